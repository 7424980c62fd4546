"""`anagen kb check` and `anagen kb search`: the knowledge base validated, and searched as
/treatment lookup searches it, each entry shown as a member sees it first (name, first
sentence, safety badge)."""

from __future__ import annotations

import argparse
import sys
from typing import IO, TYPE_CHECKING

from bot.cli.database import settings_or_exit
from bot.cli.output import EXIT_FAILURE, EXIT_OK, can_print, paint, print_json
from bot.treatments.knowledge import KnowledgeBaseError

if TYPE_CHECKING:
    from bot.treatments.knowledge import KnowledgeBase, Treatment
    from bot.treatments.search import Match


def first_sentence(text: str, limit: int = 110) -> str:
    """The start of a summary, as a member's eye takes it in: its first sentence, cut at a
    word under `limit` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if ". " in line:
        line = line[: line.index(". ") + 1]
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def safety_badge(treatment: Treatment, stream: IO[str] | None = None) -> str:
    """What an entry carries that a member must read: its cautions, or for a condition when
    to see a doctor ("" when none)."""
    facts = treatment.safety_facts
    cautions = sum(1 for fact in facts if fact.topic == "caution")
    parts = []
    if cautions:
        parts.append(f"{cautions} caution{'s' if cautions != 1 else ''}")
    if any(fact.topic == "see_doctor" for fact in facts):
        parts.append("when to see a doctor")
    if not parts:
        return ""
    sign = "⚠" if can_print("⚠", stream or sys.stdout) else "!"
    return f"{sign} {', '.join(parts)}"


def _entry_json(treatment: Treatment, match: Match | None) -> dict[str, object]:
    facts = treatment.safety_facts
    found: dict[str, object] = {
        "id": treatment.id,
        "name": treatment.name,
        "first_line": first_sentence(treatment.summary),
        "cautions": sum(1 for fact in facts if fact.topic == "caution"),
        "see_a_doctor": any(fact.topic == "see_doctor" for fact in facts),
    }
    if match is not None:
        found.update(
            how=match.how.name.lower(), score=round(match.score, 2), matched=match.matched_name
        )
    return found


def _entry_lines(number: int, treatment: Treatment, match: Match | None, debug: bool) -> list[str]:
    badge = safety_badge(treatment)
    title = f"{number:>2}. {paint(treatment.name, 'bold')}"
    lines = [f"{title}  {paint(badge, 'yellow')}" if badge else title]
    lines.append(f"    {first_sentence(treatment.summary)}")
    if debug and match is not None:
        how = match.how.name.lower().replace("fulltext", "full-text")
        lines.append(
            paint(
                f"    [{how}, score {match.score:.1f}, matched {match.matched_name!r}, "
                f"id {treatment.id}]",
                "dim",
            )
        )
    return lines


def _kb_search(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.treatments.search import How, TreatmentSearch

    query = " ".join(args.query)
    search = TreatmentSearch(kb)
    matches = search.search(query, limit=10)
    symptom = bool(matches) and matches[0].how == How.SYMPTOM
    suggestions = [] if matches else search.suggestions()
    if args.json:
        print_json(
            {
                "query": query,
                "found": bool(matches),
                "symptom": symptom,
                "results": [_entry_json(m.treatment, m) for m in matches],
                "suggestions": [_entry_json(t, None) for t in suggestions],
            }
        )
        return EXIT_OK if matches else EXIT_FAILURE
    if not matches:
        print(
            f"Nothing found for {query!r}. /treatment lookup suggests these popular entries "
            "instead (`/treatments` lists everything):"
        )
        for number, treatment in enumerate(suggestions, 1):
            print("\n".join(_entry_lines(number, treatment, None, False)))
        return EXIT_FAILURE
    if symptom:
        print(
            f"/treatment lookup {query!r} names a symptom: it shows the conditions that cause "
            "it first, to tell apart, then products."
        )
    else:
        print(
            f"/treatment lookup {query!r} opens {matches[0].treatment.name}; autocomplete offers:"
        )
    for number, match in enumerate(matches, 1):
        print("\n".join(_entry_lines(number, match.treatment, match, args.debug)))
    return EXIT_OK


def command_kb(args: argparse.Namespace) -> int:
    from bot.treatments.knowledge import load_knowledge_base

    settings = settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        kb = load_knowledge_base(settings.knowledge_base_path)
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(f"{paint('PROBLEM', 'red')}  {problem}")
        print(f"{len(exc.problems)} problem(s) found.")
        return EXIT_FAILURE
    if args.kb_command == "check":
        print(
            f"{paint('ok', 'green')}  {len(kb.treatments)} entries in "
            f"{len({t.category for t in kb.treatments})} categories, {kb.fact_count} facts "
            f"each with a source and a date ({kb.unconfirmed_count} marked unconfirmed); "
            "every treatment has the cautions its safety classes require."
        )
        return EXIT_OK
    return _kb_search(kb, args)
