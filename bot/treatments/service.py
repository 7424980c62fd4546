"""Treatment lookups with the community's own survey reports, and the suggestion queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.privacy import Disclosure
from bot.storage import Database, guilds, outcomes, results, suggestions
from bot.storage.suggestions import Suggestion
from bot.treatments.knowledge import KnowledgeBase, Treatment
from bot.treatments.search import Match, TreatmentSearch

# Knowledge-base entries → the survey's "treatments tried" choice that reports on them.
# Several entries share a broader survey choice (every JAK inhibitor reports as "JAK inhibitor").
SURVEY_CHOICE: dict[str, str] = {
    "finasteride": "finasteride",
    "dutasteride": "dutasteride",
    "minoxidil": "minoxidil_topical",
    "minoxidil_compounded": "minoxidil_topical",
    "minoxidil_oral": "minoxidil_oral",
    "ketoconazole": "ketoconazole",
    "ciclopirox": "antidandruff_other",
    "selenium_sulfide": "antidandruff_other",
    "zinc_pyrithione": "antidandruff_other",
    "coal_tar": "antidandruff_other",
    "tea_tree_oil": "antidandruff_other",
    "topical_steroids": "topical_steroid",
    "fluocinolone_oil": "topical_steroid",
    "tretinoin": "tretinoin",
    "isotretinoin": "isotretinoin",
    **dict.fromkeys(
        (
            "jak_inhibitors",
            "jak_topical",
            "jak_oral",
            "tofacitinib",
            "ruxolitinib",
            "baricitinib",
            "ritlecitinib",
            "deuruxolitinib",
            "decernotinib",
        ),
        "jak_inhibitor",
    ),
    "prp": "prp",
    "microneedling": "microneedling",
    "lllt": "laser",
    "hair_transplant": "transplant",
}

MAX_SUGGESTION = 1000
# The answers to "what did it do" (the survey's effects group), in the order they are shown.
EFFECT_FIELDS = ("shedding", "sensations")
EFFECT_ANSWERS = ("better", "no_change", "worse", "not_sure")


@dataclass(frozen=True, slots=True)
class CommunityReport:
    """What this server's members reported, as the public may see it: every count has been
    through the small-group rule (`bot.privacy`), so no surface can show a raw one."""

    survey_choice: str | None  # None: the survey does not ask about this entry
    min_group_size: int = 5
    hidden: bool = True  # too few reports to show anything
    tried: str = ""
    effects: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> answer -> shown


def protected_report(
    choice: str,
    tried: int,
    effects: dict[str, dict[str, int]],
    k: int,
    respondents: int,
    everyone: bool,
) -> CommunityReport:
    """The report's numbers, suppressed together. The answers to each question add up to
    the number who tried it (`everyone`: the questions were required, as in the survey;
    imported thread replies may have skipped them), and the respondent total is public, so
    the members who did not try it are protected too: "all but two tried it" is a small
    group as well."""
    if tried < k:
        return CommunityReport(choice, k)
    disclosure = Disclosure(k)
    levels: tuple[str | None, ...] = EFFECT_ANSWERS if everyone else (*EFFECT_ANSWERS, None)
    cells = {(a, b): disclosure.cell() for a in levels for b in levels}
    others = disclosure.cell()
    disclosure.publish([*cells.values(), others], respondents, fixed=True)
    disclosure.guard([others], respondents - tried)
    tried_index = disclosure.publish(cells.values(), tried)
    shown_index: dict[str, dict[str, int]] = {}
    for position, field_id in enumerate(EFFECT_FIELDS):
        counts = effects.get(field_id, {})
        shown_index[field_id] = {
            answer: disclosure.publish(
                (c for key, c in cells.items() if key[position] == answer),
                counts.get(answer, 0),
            )
            for answer in EFFECT_ANSWERS
        }
    disclosure.protect()
    if disclosure.refused or not disclosure.is_exact(tried_index):
        return CommunityReport(choice, k)
    return CommunityReport(
        choice,
        k,
        hidden=False,
        tried=disclosure.shown(tried_index),
        effects={
            field_id: {answer: disclosure.shown(i) for answer, i in indexes.items()}
            for field_id, indexes in shown_index.items()
        },
    )


class TreatmentService:
    def __init__(self, db: Database, kb: KnowledgeBase) -> None:
        self.db = db
        self.kb = kb
        self.search = TreatmentSearch(kb)

    def find(self, query: str) -> Treatment | None:
        return self.search.best(query)

    def matches(self, query: str, limit: int = 25) -> list[Match]:
        """For autocomplete: what was typed so far may be the start of a name."""
        return self.search.search(query, limit, partial=True)

    async def reports_visible(self, guild_id: int, is_manager: bool) -> bool:
        """Survey counts follow the server's results visibility, here as in /survey results."""
        async with self.db.reading() as conn:
            settings = await guilds.get(conn, guild_id)
        return settings.results_visibility == "everyone" or is_manager

    async def community_report(self, guild_id: int, treatment: Treatment) -> CommunityReport:
        choice = SURVEY_CHOICE.get(treatment.id)
        async with self.db.reading() as conn:
            settings = await guilds.get(conn, guild_id)
            if choice is None:
                return CommunityReport(None, settings.min_group_size)
            tried, effects = await outcomes.treatment_outcomes(
                conn, guild_id, choice, settings.include_imported
            )
            everyone = await results.respondents(conn, guild_id, settings.include_imported)
        return await asyncio.to_thread(
            protected_report,
            choice,
            tried,
            effects,
            settings.min_group_size,
            everyone,
            not settings.include_imported,
        )

    async def suggest(self, guild_id: int, user_id: int, treatment: Treatment, text: str) -> int:
        text = text.strip()
        if not text:
            raise ValueError("empty suggestion")
        async with self.db.transaction() as conn:
            return await suggestions.add(
                conn, guild_id, user_id, treatment.id, text[:MAX_SUGGESTION]
            )

    async def queue(self, guild_id: int, page: int, per_page: int) -> tuple[list[Suggestion], int]:
        async with self.db.reading() as conn:
            return await suggestions.open_queue(conn, guild_id, per_page, page * per_page)

    async def resolve(
        self, guild_id: int, suggestion_id: int, accepted: bool, moderator_id: int
    ) -> bool:
        async with self.db.transaction() as conn:
            return await suggestions.resolve(
                conn,
                guild_id,
                suggestion_id,
                "accepted" if accepted else "dismissed",
                moderator_id,
            )
