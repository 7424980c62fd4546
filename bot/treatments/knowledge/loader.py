"""Reading the knowledge base: its TOML files (the bundled folder with one file a category,
another such folder, or one file), checked whole before anything is handed out so a broken
edit is fixed in one pass; and the one line ``anagen check`` prints about it."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from bot.treatments.knowledge._files import bundled
from bot.treatments.knowledge.entries import build_knowledge_base
from bot.treatments.knowledge.model import (
    KnowledgeBase,
    KnowledgeBaseError,
    SafetyRules,
    alias_key,
)
from bot.treatments.knowledge.safety import load_safety_rules
from bot.treatments.knowledge.sources import load_source_denylist

_TOP_KEYS = frozenset({"schema", "treatment"})


def _read_files(path: Path | None) -> tuple[list[tuple[str, str]], str]:
    """(file name, text) of each knowledge-base file, and how to name them in errors.

    The bundled base is a folder with one file per category; ``path`` may be another such
    folder or a single file holding every entry.
    """
    if path is None:
        folder = bundled("kb")
        names = sorted(item.name for item in folder.iterdir() if item.name.endswith(".toml"))
        texts = [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]
        return texts, "bundled knowledge base"
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        return [(f.name, f.read_text(encoding="utf-8")) for f in files], str(path)
    return [(path.name, path.read_text(encoding="utf-8"))], str(path)


def _add_local_names(entries: list[Any]) -> list[str]:
    """The names members use in other languages ("finasterida", "Finasterid"), from
    `data/names/<language>.toml`, become aliases of the bundled entries, so a lookup or a
    typed survey answer in any language finds them. Facts stay English."""
    folder = bundled("names")
    if not folder.is_dir():
        return []
    by_id = {str(entry.get("id")): entry for entry in entries if isinstance(entry, dict)}
    problems = []
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".toml"):
            continue
        try:
            table = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"names/{file.name}: not valid TOML: {exc}")
            continue
        for entry_id, names in table.items():
            entry = by_id.get(entry_id)
            if entry is None or not isinstance(names, list):
                problems.append(f"names/{file.name}: {entry_id!r} is not a knowledge-base entry")
                continue
            known = {
                alias_key(str(a))
                for a in [entry.get("id"), entry.get("name"), *entry.get("aliases", [])]
            }
            fresh = []
            for name in map(str, names):
                if alias_key(name) not in known:
                    known.add(alias_key(name))
                    fresh.append(name)
            entry["aliases"] = [*entry.get("aliases", []), *fresh]
    return problems


def load_knowledge_base(
    path: Path | None = None,
    *,
    today: dt.date | None = None,
    denylist: frozenset[str] | None = None,
    safety: SafetyRules | None = None,
) -> KnowledgeBase:
    """Read and validate the knowledge base; raise :class:`KnowledgeBaseError` listing all problems.

    ``path`` defaults to the folder bundled with the package (or names another folder or one
    file); ``today`` (for tests) is the date an ``as_of`` may not be later than; ``denylist``
    and ``safety`` (for tests) replace the bundled host denylist and safety class table.
    """
    try:
        texts, where = _read_files(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(
            [f"cannot read the file: {exc}"], where=str(path or "knowledge base")
        ) from exc
    if not texts:
        raise KnowledgeBaseError(["no .toml files"], where=where)
    entries: list[Any] = []
    problems: list[str] = []
    for name, text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{name}: not valid TOML: {exc}")
            continue
        for key in sorted(set(data) - _TOP_KEYS):
            problems.append(
                f"{name}: unknown top-level key {key!r} (expected [[treatment]] tables)"
            )
        found = data.get("treatment")
        if isinstance(found, list):
            entries.extend(found)
        elif found is not None:
            problems.append(f"{name}: treatment must be [[treatment]] tables")
    if path is None:
        problems += _add_local_names(entries)
    if problems:
        raise KnowledgeBaseError(problems, where=where)
    if denylist is None:
        denylist = load_source_denylist()
    if safety is None:
        safety = load_safety_rules()
    # The local calendar day: a fact may be dated today wherever the operator is.
    today = today or dt.datetime.now(dt.UTC).astimezone().date()
    return build_knowledge_base(entries, today, where, denylist, safety)


def _describe(kb: KnowledgeBase) -> str:
    used = len({t.category for t in kb.treatments})
    unconfirmed = kb.unconfirmed_count
    note = f" ({unconfirmed} marked unconfirmed)" if unconfirmed else ""
    return (
        f"knowledge base: {len(kb.treatments)} entries, {used} categories, "
        f"{kb.fact_count} sourced facts{note}"
    )


def check_knowledge_base(path: Path | None = None) -> str:
    """For ``anagen check``: one line on success, a one-line ValueError otherwise."""
    try:
        kb = load_knowledge_base(path)
    except KnowledgeBaseError as exc:
        shown = "; ".join(exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise ValueError(f"knowledge base: {len(exc.problems)} problem(s): {shown}{more}") from None
    return _describe(kb)
