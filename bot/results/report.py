"""`anagen report`: one self-contained HTML page (charts inlined) for a community blog,
under the same privacy rules as Discord: no count under k, no free text."""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime

from bot.results.service import Comparison, ComparisonRefused, ResultsService

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
h1, h2 { line-height: 1.2; } img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; } caption { text-align: left; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: .9rem; }
"""


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _table(comparison: Comparison) -> str:
    k = comparison.k
    head = "".join(
        f"<th>{html.escape(comparison.question.level_label(level))}</th>"
        for level in comparison.levels
    )
    rows = []
    for group, texts in zip(comparison.groups, comparison.shown, strict=True):
        cells = "".join(f"<td>{html.escape(text)}</td>" for text in texts)
        label = comparison.by.level_label(group)
        rows.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
    rows.append(
        f'<tr><td colspan="{len(comparison.levels) + 1}">Answers and groups of fewer than '
        f"{k} members are left out.</td></tr>"
    )
    return (
        f"<table><caption>{html.escape(comparison.title)}</caption>"
        f"<tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


async def build_report(service: ResultsService, guild_id: int) -> str:
    overview = await service.overview(guild_id)
    k = overview.k
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(service.questionnaire.title)}: community results</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(service.questionnaire.title)}: community results</h1>",
        f'<p class="note">Generated {datetime.now(UTC):%Y-%m-%d} by Anagen. Members chose to '
        "answer and describe themselves; this is not a clinical or representative sample, and "
        f"an association is not a cause. Any count below {k} is shown as &lt;{k} so that no "
        "one can be singled out. Not medical advice.</p>",
    ]
    if overview.respondents < k:
        parts.append(
            f"<p>Fewer than {k} members have completed the survey, so there are no "
            "results to publish yet.</p></body></html>"
        )
        return "".join(parts)
    summary = overview.summary().replace("**", "")
    lines = [line.removeprefix("• ").removeprefix("-# ") for line in summary.splitlines()]
    parts.append(
        "<h2>Overview</h2><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        + "</ul>"
    )
    parts.append(_img(overview.png, "Distribution of the key answers"))
    parts.append("<h2>The community's questions</h2>")
    for question_id, by_id, title in service.ready_made():
        parts.append(f"<h3>{html.escape(title)}</h3>")
        try:
            comparisons = await service.compare(guild_id, question_id, by_id)
        except ComparisonRefused as exc:
            parts.append(f"<p>{html.escape(str(exc))}</p>")
            continue
        for comparison in comparisons:
            parts.append(_table(comparison))
            parts.append(f"<p>{html.escape(comparison.statement())}</p>")
            parts.append(_img(comparison.png, comparison.title))
    parts.append("</body></html>")
    return "\n".join(parts)
