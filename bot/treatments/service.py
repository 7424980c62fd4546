"""Treatment lookups with the community's own survey reports, and the suggestion queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.storage import Database, guilds, outcomes, suggestions
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


@dataclass(frozen=True, slots=True)
class CommunityReport:
    """What this server's members reported; `hidden` while too few answered to be safe."""

    survey_choice: str | None  # None: the survey does not ask about this entry
    tried: int = 0
    effects: dict[str, dict[str, int]] = field(default_factory=dict)
    min_group_size: int = 5

    @property
    def hidden(self) -> bool:
        return self.tried < self.min_group_size


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
                return CommunityReport(None, min_group_size=settings.min_group_size)
            tried, effects = await outcomes.treatment_outcomes(
                conn, guild_id, choice, settings.include_imported
            )
        return CommunityReport(choice, tried, effects, settings.min_group_size)

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
