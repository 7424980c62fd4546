"""Results use cases: server settings, and reading the current release (the overview of
`/survey results`, the tables of `/survey compare`).

No public number is counted here: a release (`bot.results.releases`) counted every one of
them, once, when it was made; commands read it. Charts of the overview and the ready-made
comparisons are drawn with the release; any other comparison's chart is drawn on its first
request and kept with the release.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.clock import Clock
from bot.i18n import SOURCE, TRANSLATED, _, current_language, formats, ngettext, speaking
from bot.results.export import Exporter, ExportFile
from bot.results.importer import ImportedReply
from bot.results.published import (
    Comparison,
    ComparisonRefused,
    NotPublished,
    Overview,
    Panel,
    comparison_from,
)
from bot.results.release import Part, ReleaseSpec, pair_key
from bot.results.releases import Releases, chart_key
from bot.results.variables import (
    Source,
    Variable,
    build_checkin_variables,
    build_variables,
    checkin_sources,
    short,
    survey_sources,
)
from bot.storage import Database
from bot.storage.guilds import MIN_GROUP_SIZE_FLOOR, GuildSettings, GuildSettingsRepository
from bot.storage.imports import ImportedReplyRepository
from bot.storage.releases import ReleaseRecord
from bot.storage.responses import SURVEY
from bot.storage.tx import Tx
from bot.survey.questionnaire import (
    CHECKIN_BUNDLED,
    Kind,
    Question,
    Questionnaire,
    load_questionnaire,
)
from bot.survey.translations import Translated

__all__ = ["Comparison", "ComparisonRefused", "NotPublished", "Overview", "ResultsService"]


class ResultsService:
    def __init__(
        self,
        db: Database,
        questionnaire: Questionnaire,
        checkin: Questionnaire | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`checkin`: the check-in questionnaire (the bundled one unless given)."""
        self.db = db
        self.checkin = checkin if checkin is not None else load_questionnaire(CHECKIN_BUNDLED)
        self._questionnaires = Translated(questionnaire, TRANSLATED)
        self._checkins = Translated(self.checkin, TRANSLATED)
        # every comparable question by its results id, the check-in's as "checkin_…", and
        # every grouping, labelled in English; each language's labels are built when asked
        with speaking(SOURCE):
            self.sources, self.variables = self._groupings(questionnaire, self.checkin)
        self._labelled = {SOURCE: (self.sources, self.variables)}
        treatments = questionnaire.results.treatments
        self.spec = ReleaseSpec(
            tuple(self.overview_questions()), self.variables, self.sources, treatments
        )
        self.releases = Releases(db, self.spec, treatments.effects if treatments else None, clock)
        self.releases.charts = self._release_charts
        self.exports = Exporter(db, questionnaire, self.checkin)

    @staticmethod
    def _groupings(
        survey: Questionnaire, checkin: Questionnaire
    ) -> tuple[dict[str, Source], dict[str, Variable]]:
        variables = build_variables(survey)
        sources = survey_sources(survey)
        taken = {*sources, *variables}
        from_checkins = checkin_sources(checkin, taken)
        sources.update(from_checkins)
        variables.update(build_checkin_variables(checkin, from_checkins, taken))
        return sources, variables

    def _in_language(self) -> tuple[dict[str, Source], dict[str, Variable]]:
        """Built from the questionnaires in that language: the same ids and levels, their
        prompts and labels in the viewer's words."""
        language = current_language()
        if language not in self._labelled:
            self._labelled[language] = self._groupings(
                self._questionnaires.in_language(language),
                self._checkins.in_language(language),
            )
        return self._labelled[language]

    @property
    def questionnaire(self) -> Questionnaire:
        """The survey in the viewer's language: the same ids and groupings in every
        language, so only the words of a question or an answer change."""
        return self._questionnaires.in_language(current_language())

    def shown_sources(self) -> Mapping[str, Source]:
        """The comparable questions, labelled in the current language (the same ids, the
        same answers counted: only the words differ from `sources`)."""
        return self._in_language()[0]

    def shown_variables(self) -> Mapping[str, Variable]:
        """The groupings, labelled in the current language ("Yes", "Latest check-in: …",
        default bins), with the ids and levels of `variables`."""
        return self._in_language()[1]

    # -- settings ---------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> GuildSettings:
        return await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))

    async def update_settings(self, guild_id: int, **changes: object) -> GuildSettings:
        if "min_group_size" in changes:
            size = int(changes["min_group_size"])  # type: ignore[call-overload]
            if size < MIN_GROUP_SIZE_FLOOR:
                raise ValueError(f"The minimum group size cannot be below {MIN_GROUP_SIZE_FLOOR}.")

        def unit(tx: Tx) -> GuildSettings:
            repository = GuildSettingsRepository(tx)
            updated = replace(repository.of(guild_id), **changes)  # type: ignore[arg-type]
            repository.save(updated)
            return updated

        return await self.db.run(unit)

    # -- the overview -----------------------------------------------------------------------

    def overview_questions(self) -> list[Question]:
        """The choice questions /survey results shows, as the questionnaire file lists them."""
        results = self.questionnaire.results
        found = (
            self.questionnaire.question(i)
            for i in results.overview_for(self.questionnaire.questions)
        )
        return [q for q in found if q is not None and q.is_choice]

    async def _part(self, guild_id: int, key: str) -> tuple[ReleaseRecord, Any]:
        found = await self.releases.part(guild_id, key)
        if found is None:
            settings = await self.settings(guild_id)
            raise NotPublished(
                _(
                    "No results have been published in this server yet. The first release "
                    "comes once {batch} members have completed the survey; after that, results "
                    "are refreshed in batches, so nobody's answers can be picked out."
                ).format(batch=settings.batch)
            )
        return found

    async def overview(self, guild_id: int, *, chart: bool = True) -> Overview:
        """The latest release's overview. Raises NotPublished before the first release."""
        record, part = await self._part(guild_id, "overview")
        settings = await self.settings(guild_id)
        panels, held_back = _panels(part, self.questionnaire)
        png = None
        if chart:
            key = chart_key("png:overview")
            found = await self.releases.part(guild_id, key)
            png = found[1] if found is not None and found[0].number == record.number else None
            if png is None and key != "png:overview":
                # drawn with the release in English; in another language, on first request
                png = await asyncio.to_thread(overview_chart, panels, record.k)
                if png is not None:
                    png = await self.releases.add_chart(record, key, png)
        return Overview(record, settings.batch, panels, held_back, png)

    # -- comparisons ------------------------------------------------------------------------

    def comparable(self, query: str = "") -> list[tuple[str, str]]:
        """(id, label) of what can be compared, for autocomplete: the survey's groupings,
        the check-in's ("Latest check-in: …"), then multi questions option by option."""
        options = []
        for variable in self.shown_variables().values():
            options.append((variable.id, variable.label))
        # Translators: {question} is a multi-choice question, compared option by option.
        each = _("{question} (each option)")
        for source in self.shown_sources().values():
            if source.question.kind is Kind.MULTI:
                stem = source.labelled(short(source.question.prompt, 50 + source.room))
                options.append((source.question.id, each.format(question=stem)))
        words = query.casefold().split()
        return [
            (i, label)
            for i, label in options
            if all(w in label.casefold() or w in i for w in words)
        ]

    def ready_made(self) -> list[tuple[str, str, str]]:
        """(question, grouping, title) of the questionnaire's ready-made comparisons."""
        return [
            (r.question, r.by, r.title)
            for r in self.questionnaire.results.ready_made
            if r.question in self.variables and r.by in self.variables
        ]

    def is_checkin(self, variable_id: str) -> bool:
        """Whether a grouping comes from members' latest check-in."""
        variable = self.variables.get(variable_id)
        return variable is not None and self.sources[variable.question_id].checkin

    def _expand(self, variable_id: str) -> list[Variable]:
        """The grouping, or each option of a multi question, labelled in the current
        language."""
        variables = self.shown_variables()
        if variable_id in variables:
            return [variables[variable_id]]
        source = self.sources.get(variable_id)
        if source is not None and source.question.kind is Kind.MULTI:
            return [
                v
                for v in variables.values()
                if v.question_id == variable_id and not v.id.endswith(":any")
            ]
        raise KeyError(variable_id)

    async def compare(
        self, guild_id: int, question_id: str, by_id: str, *, chart: bool = True
    ) -> list[Comparison]:
        """One comparison, or one per option when `question_id` is a multi-choice question,
        from the latest release.

        Raises KeyError for an unknown id, NotPublished before the first release and
        ComparisonRefused when no table has two groups to compare (the message names the
        groups held back)."""
        by_list = self._expand(by_id)
        if len(by_list) != 1:
            raise KeyError(by_id)  # grouping by "each option" is not a grouping
        by = by_list[0]
        found, refusals = [], []
        for question in self._expand(question_id):
            if question.id == by.id:
                continue  # "each option" by one of them: that one is left out
            if not self.spec.comparable(question, by):
                if question.question_id == by.question_id:
                    raise ComparisonRefused(
                        _(
                            "Those are two answers to the same question: pick a grouping from "
                            "another question."
                        )
                    )
                raise ComparisonRefused(
                    _(
                        "A check-in answer is compared by a survey answer (or the other way "
                        "round), not by another check-in answer."
                    )
                )
            record, part = await self._part(guild_id, pair_key(question.id, by.id))
            if part is None:
                raise ComparisonRefused(_("That comparison is not in the current release."))
            comparison = comparison_from(part, question, by, record)
            refusal = _refusal(comparison)
            if refusal:
                refusals.append(refusal)
                continue
            found.append(comparison)
        if not found:
            raise ComparisonRefused(refusals[0] if refusals else _("Nothing to compare yet."))
        if chart:
            found = [replace(c, png=await self._chart(guild_id, c)) for c in found]
        return found

    async def _chart(self, guild_id: int, comparison: Comparison) -> bytes | None:
        found = await self.releases.part(guild_id, comparison.chart_key)
        if found is not None and found[0].number == comparison.release.number and found[1]:
            return bytes(found[1])
        png = await asyncio.to_thread(comparison_chart, comparison)
        if png is None:
            return None
        return await self.releases.add_chart(comparison.release, comparison.chart_key, png)

    def _release_charts(self, parts: dict[str, Part]) -> dict[str, bytes]:
        """Charts drawn with a release (in its worker thread): the overview's and the
        ready-made comparisons', in English whoever's action made the release (another
        language's are drawn on first request)."""
        with speaking(SOURCE):
            return self._english_charts(parts)

    def _english_charts(self, parts: dict[str, Part]) -> dict[str, bytes]:
        drawn: dict[str, bytes] = {}
        k = _k_of(parts)
        panels, _held_back = _panels(parts["overview"], self.questionnaire)
        png = overview_chart(panels, k)
        if png is not None:
            drawn["png:overview"] = png
        for question_id, by_id, _title in self.ready_made():
            question, by = self.variables[question_id], self.variables[by_id]
            part = parts.get(pair_key(question_id, by_id))
            if part is None:
                continue
            record = ReleaseRecord(0, 0, "building", "", None, 0, 0, 0, k)
            comparison = comparison_from(part, question, by, record)
            png = comparison_chart(comparison) if not _refusal(comparison) else None
            if png is not None:
                drawn[comparison.chart_key] = png
        return drawn

    # -- imports ----------------------------------------------------------------------------

    async def import_replies(self, guild_id: int, replies: list[ImportedReply]) -> list[int]:
        """Store parsed thread replies as completed, imported responses (no Discord member)."""

        def unit(tx: Tx) -> list[int]:
            stored, imports = SURVEY.on(tx), ImportedReplyRepository(tx)
            next_user = imports.next_synthetic_user()
            ids = []
            for reply in replies:
                response = stored.create(guild_id, next_user, self.questionnaire.version, "dm")
                next_user -= 1
                for key, answer in reply.answers.items():
                    stored.save_answer(response.id, key, answer)
                stored.update(response.id, position="summary", completed=True)
                imports.record(response.id, reply.original, "\n".join(reply.unmapped))
                ids.append(response.id)
            return ids

        return await self.db.run(unit)

    # -- exports (bot/results/export.py) ----------------------------------------------------

    async def export(self, guild_id: int, fmt: str) -> list[ExportFile]:
        return await self.exports.export(guild_id, fmt)


def _k_of(parts: dict[str, Part]) -> int:
    return int(parts["overview"].get("k", 5))


def _panels(part: Part, questionnaire: Questionnaire) -> tuple[list[Panel], list[str]]:
    """The overview's panels, worded from `questionnaire` (the viewer's language) by the
    question and choice ids the release stored beside its English words."""
    panels, held_back = [], []
    for panel in part["panels"]:
        question = questionnaire.question(panel["question"])
        title = panel["title"] if question is None else short(question.prompt, 70)
        if panel["n"] is None:
            held_back.append(title)
            continue
        panels.append(
            Panel(
                panel["question"],
                title,
                panel["n"],
                [(cid, _label(question, cid, label), value) for cid, label, value in panel["bars"]],
            )
        )
    return panels, held_back


def _label(question: Question | None, choice_id: str, stored: str) -> str:
    choice = None if question is None else question.choice(choice_id)
    return stored if choice is None else choice.label


def _refusal(comparison: Comparison) -> str | None:
    """Why a table cannot be shown (fewer than two groups, or fewer than two answers, of k
    or more members), naming what holds it back; no count is given away."""
    k = comparison.k
    if len(comparison.groups) >= 2 and len(comparison.levels) >= 2:
        return None
    groups = len(comparison.groups) < 2
    held = comparison.hidden_groups if groups else comparison.hidden_levels
    if held and groups:
        # Translators: {question} is what is compared, {grouping} the grouping it is compared
        # by; {names} are groups of members, each in quotes.
        text = ngettext(
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: {names} has fewer than {k} members, and a comparison needs at least two "
            "groups.",
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: {names} each have fewer than {k} members, and a comparison needs at "
            "least two groups.",
            len(held),
        )
    elif held:
        # Translators: {question} is what is compared, {grouping} the grouping it is compared
        # by; {names} are answers to the question, each in quotes.
        text = ngettext(
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: {names} has fewer than {k} members, and a comparison needs at least two "
            "answers.",
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: {names} each have fewer than {k} members, and a comparison needs at "
            "least two answers.",
            len(held),
        )
    elif groups:
        # Translators: {question} is what is compared, {grouping} the grouping it is compared
        # by.
        text = _(
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: fewer than two groups have {k} or more members, and a comparison needs "
            "at least two groups."
        )
    else:
        # Translators: {question} is what is compared, {grouping} the grouping it is compared
        # by.
        text = _(
            "Not enough members yet to compare “{question}” by “{grouping}” in the current "
            "release: fewer than two answers have {k} or more members, and a comparison needs "
            "at least two answers."
        )
    return text.format(
        question=comparison.question.label,
        grouping=formats.in_sentence(comparison.by.label),
        names=", ".join(f"“{name}”" for name in held),
        k=k,
    )


def published_text(value: int | None, k: int) -> str:
    return f"<{k}" if value is None else str(value)


def chart_panel(panel: Panel, k: int) -> Any:
    from bot.results import charts

    return charts.BarPanel(
        panel.title,
        published_text(panel.n, k),
        tuple((label, published_text(value, k)) for _, label, value in panel.bars),
    )


def overview_chart(panels: list[Panel], k: int) -> bytes | None:
    """The overview's panels on one picture, in the current language."""
    from bot.results import charts

    # Translators: the title of the overview's chart.
    title = _("Scalp survey results")
    return charts.bar_panels([chart_panel(panel, k) for panel in panels], title, k)


def comparison_chart(comparison: Comparison) -> bytes | None:
    from bot.results import charts

    k = comparison.k
    return charts.grouped_percentages(
        comparison.title,
        [label for _, label in comparison.levels],
        [
            (g.label, published_text(g.total, k), [published_text(c, k) for c in g.cells])
            for g in comparison.groups
        ],
        comparison.hidden_groups,
        k,
    )
