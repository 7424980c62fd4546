"""Treatment lookups with the community's own survey reports, and the suggestion queue."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field, replace

from bot.privacy import Disclosure
from bot.storage import Database
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.results import ResultsRepository
from bot.storage.suggestions import Suggestion, SuggestionRepository
from bot.storage.tx import Tx
from bot.survey.groupings import EffectField, TreatmentsSpec
from bot.survey.questionnaire import Questionnaire, load_questionnaire
from bot.treatments.knowledge import KnowledgeBase, Treatment
from bot.treatments.search import Match, TreatmentSearch

MAX_SUGGESTION = 1000


@dataclass(frozen=True, slots=True)
class CommunityReport:
    """What this server's members reported, as the public may see it: every count has been
    through the small-group rule (`bot.privacy`), so no surface can show a raw one."""

    survey_choice: str | None  # None: the survey does not ask about this entry
    min_group_size: int = 5
    hidden: bool = True  # too few reports to show anything
    tried: str = ""
    effects: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> answer -> shown
    # How the questionnaire words them: (field id, field prompt, ((answer id, label), ...)).
    labels: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    group: str | None = None  # the survey choice's label when it stands for several entries


def protected_report(
    choice: str,
    tried: int,
    effects: dict[str, dict[str, int]],
    k: int,
    respondents: int,
    everyone: bool,
    fields: tuple[EffectField, ...],
) -> CommunityReport:
    """The report's numbers, suppressed together. The answers to each effects field (the
    questionnaire's, e.g. shedding and sensations) add up to the number who tried it
    (`everyone`: the questions were required, as in the survey; imported thread replies may
    have skipped them), and the respondent total is public, so the members who did not try
    it are protected too: "all but two tried it" is a small group as well."""
    if tried < k:
        return CommunityReport(choice, k)
    disclosure = Disclosure(k)
    # one cell per combination of answers to every field
    levels = [(*f.answers, *(() if everyone else (None,))) for f in fields]
    cells = {key: disclosure.cell() for key in itertools.product(*levels)}
    others = disclosure.cell()
    disclosure.publish([*cells.values(), others], respondents, fixed=True)
    disclosure.guard([others], respondents - tried)
    tried_index = disclosure.publish(cells.values(), tried)
    shown_index: dict[str, dict[str, int]] = {}
    for position, effect in enumerate(fields):
        counts = effects.get(effect.id, {})
        shown_index[effect.id] = {
            answer: disclosure.publish(
                (c for key, c in cells.items() if key[position] == answer),
                counts.get(answer, 0),
            )
            for answer in effect.answers
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
    def __init__(
        self, db: Database, kb: KnowledgeBase, questionnaire: Questionnaire | None = None
    ) -> None:
        """`questionnaire` (default: the bundled one) says, in its [results.treatments]
        table, which survey answers report on which entry."""
        self.db = db
        self.kb = kb
        self.search = TreatmentSearch(kb)
        self.questionnaire = questionnaire or load_questionnaire()
        self.reports: TreatmentsSpec | None = self.questionnaire.results.treatments
        # A report is a pure function of its counts: lookups of the same entry between two
        # survey answers ask the same question, so the protected answer is remembered.
        self._protected: dict[tuple[object, ...], CommunityReport] = {}

    def find(self, query: str) -> Treatment | None:
        return self.search.best(query)

    def matches(self, query: str, limit: int = 25) -> list[Match]:
        """For autocomplete: what was typed so far may be the start of a name."""
        return self.search.search(query, limit, partial=True)

    async def reports_visible(self, guild_id: int, is_manager: bool) -> bool:
        """Survey counts follow the server's results visibility, here as in /survey results."""
        settings = await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))
        return settings.results_visibility == "everyone" or is_manager

    def survey_choice(self, treatment: Treatment) -> str | None:
        """The survey choice whose members report on this entry, if the survey asks."""
        return self.reports.choice_for(treatment.id) if self.reports else None

    async def community_report(self, guild_id: int, treatment: Treatment) -> CommunityReport:
        spec, choice = self.reports, self.survey_choice(treatment)

        def unit(tx: Tx) -> tuple[GuildSettings, int, dict[str, dict[str, int]], int]:
            settings = GuildSettingsRepository(tx).of(guild_id)
            if spec is None or choice is None:
                return settings, 0, {}, 0
            counts = ResultsRepository(tx, settings.include_imported)
            tried, effects = counts.treatment_reports(
                guild_id,
                spec.question,
                choice,
                [f"{spec.effects}.{f.id}" for f in spec.fields],
            )
            return settings, tried, effects, counts.respondents(guild_id)

        settings, tried, effects, everyone = await self.db.read(unit)
        if spec is None or choice is None:
            return CommunityReport(None, settings.min_group_size)
        asked = (
            choice,
            tried,
            tuple(sorted((f, tuple(sorted(counts.items()))) for f, counts in effects.items())),
            settings.min_group_size,
            everyone,
            not settings.include_imported,
            spec.fields,
        )
        report = self._protected.get(asked)
        if report is None:  # the solver runs once per set of counts, off the event loop
            report = await asyncio.to_thread(
                protected_report,
                choice,
                tried,
                effects,
                settings.min_group_size,
                everyone,
                not settings.include_imported,
                fields=spec.fields,
            )
            if len(self._protected) >= 256:
                self._protected.clear()
            self._protected[asked] = report
        return replace(report, labels=self._labels(spec), group=self._group_label(spec, choice))

    def _labels(
        self, spec: TreatmentsSpec
    ) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
        group = self.questionnaire.question(spec.effects or "")
        found = []
        for effect in spec.fields:
            asked = group.field(effect.id) if group is not None else None
            names = {c.id: c.label for c in asked.choices} if asked is not None else {}
            prompt = asked.prompt if asked is not None else effect.id
            found.append((effect.id, prompt, tuple((a, names.get(a, a)) for a in effect.answers)))
        return tuple(found)

    def _group_label(self, spec: TreatmentsSpec, choice: str) -> str | None:
        if sum(1 for _, c in spec.entries if c == choice) < 2:
            return None
        question = self.questionnaire.question(spec.question)
        found = question.choice(choice) if question is not None else None
        return found.label if found is not None else choice

    async def suggest(self, guild_id: int, user_id: int, treatment: Treatment, text: str) -> int:
        text = text.strip()
        if not text:
            raise ValueError("empty suggestion")
        return await self.db.run(
            lambda tx: SuggestionRepository(tx).add(
                guild_id, user_id, treatment.id, text[:MAX_SUGGESTION]
            )
        )

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
