"""The two file formats an export is written in. CSV for spreadsheets, where members' text
could otherwise run as a formula; JSON for scripts, where a number left empty is null.
Both UTF-8."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence


def json_nulls(rows: list[dict[str, object]], numbers: set[str]) -> list[dict[str, object]]:
    """JSON has a value for "nothing": an empty cell of a number column is null, not ""
    (one type per column, as in the CSV, where the cell is empty)."""
    return [{k: None if k in numbers and v == "" else v for k, v in r.items()} for r in rows]


def json_bytes(data: object) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def csv_bytes(
    names: list[str], rows: Sequence[Mapping[str, object]], *, safe: bool = True
) -> bytes:
    """Answers to choices a later questionnaire dropped have no column: left out here,
    still in the JSON export. Members' text is made `spreadsheet_safe`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    if safe:
        writer.writerows({key: spreadsheet_safe(value) for key, value in r.items()} for r in rows)
    else:
        writer.writerows(rows)
    return buffer.getvalue().encode()


def spreadsheet_safe(value: object) -> object:
    """Members' text cannot run as a spreadsheet formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
