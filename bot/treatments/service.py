"""Treatment lookups with the community's own survey reports, and the suggestion queue."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.checkins.outcomes import OutcomesReport
from bot.i18n import TRANSLATED, current_language
from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.suggestions import Suggestion, SuggestionRepository
from bot.storage.tx import Tx
from bot.survey.groupings import TreatmentsSpec
from bot.survey.questionnaire import Questionnaire, load_questionnaire
from bot.survey.translations import Translated
from bot.treatments.knowledge import KnowledgeBase, Treatment
from bot.treatments.search import How, Match, TreatmentSearch

if TYPE_CHECKING:
    from bot.results.releases import Releases

MAX_SUGGESTION = 1000
# One member cannot flood the moderators' queue (security review F5).
MAX_OPEN_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class SymptomAnswer:
    """A question about a symptom: the conditions that can cause it, before any product."""

    symptom: str  # the symptom the query named first, as the knowledge base words it
    conditions: tuple[Treatment, ...]
    products: tuple[Treatment, ...]


class TooManyWaiting(Exception):
    """The member's suggestions waiting for review in this server are at the cap."""


@dataclass(frozen=True, slots=True)
class CommunityReport:
    """What this server's members reported, from its latest release: every count is a
    rounded one or "<k" (`bot.results.rounding`), so no surface can show a raw one."""

    survey_choice: str | None  # None: the survey does not ask about this entry
    min_group_size: int = 5
    hidden: bool = True  # too few reports to show anything (or no release yet)
    tried: str = ""
    effects: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> answer -> shown
    # How the questionnaire words them: (field id, field prompt, ((answer id, label), ...)).
    labels: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    group: str | None = None  # the survey choice's label when it stands for several entries
    released_at: str | None = None  # when the release was made (ISO), None before the first
    respondents: int = 0  # members the release counts


class TreatmentService:
    def __init__(
        self,
        db: Database,
        kb: KnowledgeBase,
        questionnaire: Questionnaire | None = None,
        releases: Releases | None = None,
    ) -> None:
        """`questionnaire` (default: the bundled one) says, in its [results.treatments]
        table, which survey answers report on which entry; `releases` are the server's
        published results (the results service's, shared)."""
        self.db = db
        self.kb = kb
        self.search = TreatmentSearch(kb)
        self.questionnaire = questionnaire or load_questionnaire()
        self.reports: TreatmentsSpec | None = self.questionnaire.results.treatments
        # The prompts and labels a report quotes, in each member's language.
        self.questionnaires = Translated(self.questionnaire, TRANSLATED)
        if releases is None:
            from bot.results.service import ResultsService

            releases = ResultsService(db, self.questionnaire).releases
        self.releases = releases

    def find(self, query: str) -> Treatment | None:
        return self.search.best(query)

    def symptom_answer(self, query: str, limit: int = 5) -> SymptomAnswer | None:
        """For a query whose best match is a symptom ("burning scalp"), the conditions to
        tell apart and then the products; None when the query names an entry."""
        found = self.search.search(query, 25)
        if not found or found[0].how != How.SYMPTOM:
            return None
        conditions = tuple(m.treatment for m in found if m.how == How.SYMPTOM)
        products = tuple(m.treatment for m in found if not m.treatment.is_condition)
        return SymptomAnswer(found[0].matched_name, conditions, products[:limit])

    def matches(self, query: str, limit: int = 25) -> list[Match]:
        """For autocomplete: what was typed so far may be the start of a name."""
        return self.search.search(query, limit, partial=True)

    async def reports_visible(self, guild_id: int, is_manager: bool) -> bool:
        """Survey counts follow the server's results visibility, here as in /survey results."""
        settings = await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))
        return settings.results_visibility == "everyone" or is_manager

    async def reports_private(self, guild_id: int, is_manager: bool) -> bool:
        """Whether a lookup must be private: it shows reports the server keeps for moderators."""
        settings = await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))
        return settings.results_visibility == "managers" and is_manager

    def survey_choice(self, treatment: Treatment) -> str | None:
        """The survey choice whose members report on this entry, if the survey asks."""
        return self.reports.choice_for(treatment.id) if self.reports else None

    async def community_report(self, guild_id: int, treatment: Treatment) -> CommunityReport:
        """What members reported about an entry, from the server's latest release."""
        spec, choice = self.reports, self.survey_choice(treatment)
        if spec is None or choice is None:
            return CommunityReport(None)
        found = await self.releases.part(guild_id, f"treatment:{choice}")
        if found is None:
            return CommunityReport(choice)
        record, part = found
        k = record.k
        report = CommunityReport(
            choice,
            k,
            released_at=record.claimed_at,
            respondents=record.respondents,
            labels=self._labels(spec),
            group=self._group_label(spec, choice),
        )
        if part is None or part["tried"] is None:
            return report
        return replace(
            report,
            hidden=False,
            tried=str(part["tried"]),
            effects={
                effect: {a: f"<{k}" if v is None else str(v) for a, v in answers.items()}
                for effect, answers in part["effects"].items()
            },
        )

    async def outcomes(self, guild_id: int, choice: str) -> OutcomesReport:
        return await self.releases.outcomes(guild_id, choice)

    def _labels(
        self, spec: TreatmentsSpec
    ) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
        questionnaire = self.questionnaires.in_language(current_language())
        group = questionnaire.question(spec.effects or "")
        found = []
        for effect in spec.fields:
            asked = group.field(effect.id) if group is not None else None
            names = {c.id: c.label for c in asked.choices} if asked is not None else {}
            prompt = asked.prompt if asked is not None else effect.id
            found.append((effect.id, prompt, tuple((a, names.get(a, a)) for a in effect.answers)))
        return tuple(found)

    def _group_label(self, spec: TreatmentsSpec, choice: str) -> str | None:
        if sum(1 for _entry, c in spec.entries if c == choice) < 2:
            return None
        questionnaire = self.questionnaires.in_language(current_language())
        question = questionnaire.question(spec.question)
        found = question.choice(choice) if question is not None else None
        return found.label if found is not None else choice

    async def suggest(self, guild_id: int, user_id: int, treatment: Treatment, text: str) -> int:
        """Queue a suggestion; raises TooManyWaiting when the member already has
        MAX_OPEN_SUGGESTIONS waiting in this server (counted and stored in one unit, so two
        sent at once cannot both pass)."""
        text = text.strip()
        if not text:
            raise ValueError("empty suggestion")

        def unit(tx: Tx) -> int:
            suggestions = SuggestionRepository(tx)
            waiting = suggestions.open_count(guild_id, user_id)
            if waiting >= MAX_OPEN_SUGGESTIONS:
                raise TooManyWaiting(waiting)
            return suggestions.add(guild_id, user_id, treatment.id, text[:MAX_SUGGESTION])

        return await self.db.run(unit)

    async def queue(self, guild_id: int, page: int, per_page: int) -> tuple[list[Suggestion], int]:
        return await self.db.read(
            lambda tx: SuggestionRepository(tx).open_queue(guild_id, per_page, page * per_page)
        )

    async def resolve(
        self, guild_id: int, suggestion_id: int, accepted: bool, moderator_id: int
    ) -> bool:
        status = "accepted" if accepted else "dismissed"
        return await self.db.run(
            lambda tx: SuggestionRepository(tx).resolve(
                guild_id, suggestion_id, status, moderator_id
            )
        )
