"""The rules the ``[[treatment]]`` entries are held to, one by one and together: a unique
id, name and aliases (each resolves a lookup), a known category and kind, a short summary,
the safety classes a treatment belongs to and the cautions they require, related entries
that exist. Each entry's facts are checked by ``facts.py``."""

from __future__ import annotations

import datetime as dt
import re
from types import MappingProxyType
from typing import Any

from bot.treatments.knowledge._files import str_list
from bot.treatments.knowledge.facts import build_facts
from bot.treatments.knowledge.model import (
    CATEGORIES,
    KINDS,
    KnowledgeBase,
    KnowledgeBaseError,
    SafetyRules,
    Treatment,
    alias_key,
)

MAX_NAME = 100
MAX_ALIAS = 100
MAX_SUMMARY = 300

# Ids travel in button custom_ids (at most 100 characters, matched as [a-z0-9_]+).
_ID_RE = re.compile(r"(?=.{1,40}$)[a-z0-9]+(?:_[a-z0-9]+)*")
_ENTRY_KEYS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "category",
        "kind",
        "device",
        "summary",
        "related",
        "fact",
        "safety",
        "symptoms",
    }
)


def build_knowledge_base(
    raw_entries: list[Any],
    today: dt.date,
    where: str,
    denylist: frozenset[str],
    safety: SafetyRules,
) -> KnowledgeBase:
    """The base made of ``raw_entries`` (every ``[[treatment]]`` table read), or
    :class:`KnowledgeBaseError` listing every problem found in them."""
    problems: list[str] = []
    if not raw_entries:
        problems.append("top level: no [[treatment]] entries")
        raise KnowledgeBaseError(problems, where=where)

    treatments: list[Treatment] = []
    ids_seen: dict[str, int] = {}
    # alias key -> (entry id, the alias as written); names and ids count as aliases here.
    alias_owner: dict[str, tuple[str, str]] = {}
    related_wanted: list[tuple[str, list[str]]] = []

    for index, raw in enumerate(raw_entries):
        label = _entry_label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a [[treatment]] table")
            continue
        entry_problems: list[str] = []
        for key in sorted(set(raw) - _ENTRY_KEYS):
            entry_problems.append(f"{label}: unknown field {key!r}")

        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not entry_id.strip():
            entry_problems.append(f"{label}: id is missing")
            entry_id = label
        elif not _ID_RE.fullmatch(entry_id):
            entry_problems.append(
                f"{label}: id {entry_id!r} must be lowercase ASCII letters and digits joined "
                "by '_' or '-'"
            )
        if entry_id in ids_seen:
            entry_problems.append(
                f"{label}: duplicate id {entry_id!r} (also entry #{ids_seen[entry_id] + 1})"
            )
        else:
            ids_seen[entry_id] = index

        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            entry_problems.append(f"{label}: name is missing")
            name = entry_id
        elif len(name) > MAX_NAME:
            entry_problems.append(f"{label}: name is {len(name)} characters (max {MAX_NAME})")

        aliases = str_list(raw.get("aliases", []))
        if aliases is None:
            entry_problems.append(f"{label}: aliases must be a list of strings")
            aliases = []

        # Names, ids and aliases all resolve a lookup, so they must not collide across entries.
        # An alias may spell out the id ("PRP" for "prp"); it may not repeat the name or
        # another alias of the same entry.
        own_keys: dict[str, str] = {}
        seen_here: dict[str, str] = {}
        for field_name, value in (
            ("id", entry_id),
            ("name", name),
            *(("alias", a) for a in aliases),
        ):
            key = alias_key(value)
            if not key:
                entry_problems.append(f"{label}: {field_name} {value!r} has no letters or digits")
                continue
            if field_name == "alias" and len(value) > MAX_ALIAS:
                entry_problems.append(f"{label}: alias {value!r} is longer than {MAX_ALIAS}")
            if field_name != "id":
                if key in seen_here:
                    entry_problems.append(
                        f"{label}: alias {value!r} repeats {seen_here[key]!r} after normalisation"
                    )
                    continue
                seen_here[key] = value
            if key in own_keys:
                continue
            own_keys[key] = value
            owner = alias_owner.get(key)
            if owner is not None and owner[0] != entry_id:
                entry_problems.append(
                    f"{label}: {field_name} {value!r} is also used by {owner[0]!r} "
                    f"(as {owner[1]!r}); aliases must be unique"
                )
            else:
                alias_owner.setdefault(key, (entry_id, value))

        raw_category = raw.get("category")
        # Narrowed to str only once validated, so the Treatment below gets a real category.
        category: str | None = raw_category if raw_category in CATEGORIES else None
        if category is None:
            entry_problems.append(
                f"{label}: unknown category {raw_category!r} (one of {', '.join(CATEGORIES)})"
            )
        kind = raw.get("kind", "treatment")
        if kind not in KINDS:
            entry_problems.append(f"{label}: kind {kind!r} must be one of {', '.join(KINDS)}")
        elif (kind == "research_target") != (category == "research_targets"):
            entry_problems.append(
                f"{label}: kind {kind!r} and category {category!r} disagree (research targets "
                "use kind 'research_target' in category 'research_targets')"
            )

        summary = raw.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            entry_problems.append(f"{label}: summary is missing")
            summary = ""
        elif len(summary) > MAX_SUMMARY:
            entry_problems.append(
                f"{label}: summary is {len(summary)} characters (max {MAX_SUMMARY})"
            )

        device = raw.get("device", False)
        if not isinstance(device, bool):
            entry_problems.append(f"{label}: device must be true or false")
            device = False

        related = str_list(raw.get("related", []))
        if related is None:
            entry_problems.append(f"{label}: related must be a list of entry ids")
            related = []
        related_wanted.append((entry_id, related))

        safety_classes = str_list(raw.get("safety", []))
        if safety_classes is None:
            entry_problems.append(f"{label}: safety must be a list of safety class ids")
            safety_classes = []
        for class_id in safety_classes:
            if class_id not in safety.classes:
                entry_problems.append(
                    f"{label}: unknown safety class {class_id!r} (one of "
                    f"{', '.join(safety.classes)}; see data/safety.toml)"
                )
        if kind == "treatment" and not safety_classes:
            entry_problems.append(
                f"{label}: no safety classes (add safety = [...] from data/safety.toml; "
                "'lifestyle' or 'cosmetic' when nothing needs a caution)"
            )
        elif kind != "treatment" and safety_classes:
            entry_problems.append(f"{label}: a {kind} has no safety classes (only treatments do)")

        symptoms = str_list(raw.get("symptoms", []))
        if symptoms is None:
            entry_problems.append(f"{label}: symptoms must be a list of strings")
            symptoms = []
        if symptoms and kind != "condition":
            entry_problems.append(f"{label}: only a condition lists symptoms")

        facts = build_facts(
            label, raw.get("fact"), kind, device, today, denylist, safety, entry_problems
        )
        covered = {caution for fact in facts for caution in fact.covers}
        for caution in safety.required(tuple(safety_classes)):
            if caution not in covered:
                needed_by = [c for c in safety_classes if caution in safety.classes[c].requires]
                entry_problems.append(
                    f"{label}: no caution covers {caution!r} "
                    f"({safety.cautions[caution].title}), which its class "
                    f"{', '.join(needed_by)} requires: add a caution fact with "
                    f"covers = [{caution!r}]"
                )

        problems.extend(entry_problems)
        if not entry_problems and category is not None:
            treatments.append(
                Treatment(
                    id=entry_id,
                    name=name.strip(),
                    aliases=tuple(a.strip() for a in aliases),
                    category=category,
                    kind=kind,
                    summary=summary.strip(),
                    facts=tuple(facts),
                    related=tuple(related),
                    device=device,
                    safety=tuple(safety_classes),
                    symptoms=tuple(s.strip() for s in symptoms),
                )
            )

    for entry_id, related in related_wanted:
        seen: set[str] = set()
        for other in related:
            if other == entry_id:
                problems.append(f"{entry_id}: related lists the entry itself")
            elif other not in ids_seen:
                problems.append(f"{entry_id}: related id {other!r} does not exist")
            elif other in seen:
                problems.append(f"{entry_id}: related id {other!r} is listed twice")
            seen.add(other)

    if problems:
        raise KnowledgeBaseError(problems, where=where)
    return KnowledgeBase(
        treatments=tuple(treatments),
        by_id=MappingProxyType({t.id: t for t in treatments}),
        categories=CATEGORIES,
        safety=safety,
    )


def _entry_label(index: int, raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return raw["id"].strip()
    return f"entry #{index + 1}"
