"""The questions `/survey results` offers one at a time, and the treatments' reports:
`Questions` reads each view's published numbers from the latest release and draws its chart
for a phone. The values it hands out are `published`'s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, overload

from bot.i18n import _, formats
from bot.results.published import (
    EFFECTS_PREFIX,
    QUESTION_PREFIX,
    NotPublished,
    NotShown,
    QuestionBars,
    TreatmentEffects,
    TreatmentRow,
    View,
)
from bot.results.release import ReleaseSpec, pair_key
from bot.results.releases import Releases, chart_key
from bot.results.rounding import Published
from bot.results.variables import Variable, short
from bot.storage.releases import ReleaseRecord
from bot.survey.questionnaire import Kind, Question, Questionnaire


class ReleaseReader(Protocol):
    """What `Questions` reads: the survey questionnaire, what its releases cover, and the
    releases. `ResultsService` is one; named by what is read, so these values stand below
    the service that hands them out."""

    @property
    def questionnaire(self) -> Questionnaire: ...
    @property
    def spec(self) -> ReleaseSpec: ...
    @property
    def releases(self) -> Releases: ...
    def shown_variables(self) -> Mapping[str, Variable]:
        """The groupings, labelled in the current language."""
        ...


class Questions:
    """The questions `/survey results` offers one at a time, and the treatments' reports.

    No number is counted here: each is read from one release. The overview's questions are
    its panels. Another question's answer counts are the group totals of its stored table
    with a grouping every member answers (an unconditional, required multi-choice question's
    "any of these": `partner`), so the same members, the same cell key, the same published
    number as `/survey compare` shows for that grouping; a share is that number over the
    release's member count, which is public too. Nothing a reader could not already read or
    work out is shown. "Not sure" is not in those tables (comparisons leave it out), and the
    view says so."""

    def __init__(self, service: ReleaseReader) -> None:
        self.service = service
        self.overview_ids = [q.id for q in service.spec.overview]
        self.partner = self._partner()

    # -- what is offered --------------------------------------------------------------------

    def _partner(self) -> Variable | None:
        for variable in self.service.spec.variables.values():
            source = self.service.spec.sources.get(variable.question_id)
            if source is None or source.checkin or not variable.id.endswith(":any"):
                continue
            question = source.question
            if question.kind is Kind.MULTI and question.required and question.when is None:
                return variable
        return None

    def _derivable(self, question: Question) -> bool:
        if self.partner is None or question.id == self.partner.question_id:
            return False
        if question.kind is Kind.MULTI:
            variables = self.service.spec.variables
            return any(f"{question.id}:{c.id}" in variables for c in question.choices)
        return question.id in self.service.spec.variables

    def questions(self) -> list[Question]:
        """The survey questions offered, overview first, then the file's order."""
        found = [self.service.questionnaire.question(i) for i in self.overview_ids]
        shown = [q for q in found if q is not None]
        for source in self.service.spec.sources.values():
            question = source.question
            if source.checkin or question.id in self.overview_ids:
                continue
            if self._derivable(question):
                # the same question in the viewer's words
                shown.append(self.service.questionnaire.question(question.id) or question)
        return shown

    def effect_fields(self) -> list[tuple[str, str]]:
        """(field id, prompt) of the effects group's counted fields."""
        spec = self.service.questionnaire.results.treatments
        if spec is None:
            return []
        group = self.service.questionnaire.question(spec.effects or "")
        found = []
        for effect in spec.fields:
            asked = group.field(effect.id) if group is not None else None
            found.append((effect.id, asked.prompt if asked is not None else effect.id))
        return found

    def offered(self) -> list[tuple[str, str]]:
        """(key, label) of every view, in the order a menu lists them."""
        views = [(QUESTION_PREFIX + q.id, q.prompt) for q in self.questions()]
        # Translators: {title} is what the treatments are compared on, e.g. "shedding".
        did = _("What each treatment did: {title}")
        views += [
            (EFFECTS_PREFIX + field_id, did.format(title=formats.in_sentence(prompt)))
            for field_id, prompt in self.effect_fields()
        ]
        return views

    # -- reading ----------------------------------------------------------------------------

    async def read(self, guild_id: int, key: str) -> View:
        """One view from the latest release. Raises KeyError for a key not offered,
        NotPublished before the first release, NotShown when it has nothing to show."""
        for _attempt in range(3):  # the parts of one view all come from one release
            numbers: set[int] = set()
            view = await self._read(guild_id, key, numbers)
            if len(numbers) <= 1:
                return view
        raise NotShown(_("The results were being refreshed just now; please try again."))

    async def _part(self, guild_id: int, key: str, numbers: set[int]) -> tuple[ReleaseRecord, Any]:
        found = await self.service.releases.part(guild_id, key)
        if found is None:
            raise NotPublished(
                _(
                    "No results have been published in this server yet. The first release "
                    "comes once enough members have completed the survey."
                )
            )
        numbers.add(found[0].number)
        return found

    async def _read(self, guild_id: int, key: str, numbers: set[int]) -> View:
        if key.startswith(EFFECTS_PREFIX):
            field_id = key.removeprefix(EFFECTS_PREFIX)
            prompts = dict(self.effect_fields())
            if field_id not in prompts:
                raise KeyError(key)
            return await self._effects(guild_id, key, field_id, prompts[field_id], numbers)
        question_id = key.removeprefix(QUESTION_PREFIX)
        question = next((q for q in self.questions() if q.id == question_id), None)
        if not key.startswith(QUESTION_PREFIX) or question is None:
            raise KeyError(key)
        if question.id in self.overview_ids:
            return await self._from_overview(guild_id, key, question, numbers)
        return await self._from_tables(guild_id, key, question, numbers)

    async def _from_overview(
        self, guild_id: int, key: str, question: Question, numbers: set[int]
    ) -> QuestionBars:
        record, part = await self._part(guild_id, "overview", numbers)
        panel = next((p for p in part["panels"] if p["question"] == question.id), None)
        if panel is None or panel["n"] is None:
            # Translators: {question} is a survey question.
            text = _(
                "“{question}” is not shown yet: fewer than {k} members answered it in the "
                "current release."
            )
            raise NotShown(text.format(question=short(question.prompt, 80), k=record.k))
        return QuestionBars(
            key,
            question.prompt,
            record,
            [(_shown_label(question, cid, label), value) for cid, label, value in panel["bars"]],
            panel["n"],
            question.kind is Kind.MULTI,
            [],
            question.when is not None,
        )

    async def _total(
        self, guild_id: int, variable: Variable, level: str, numbers: set[int]
    ) -> tuple[ReleaseRecord, Published] | None:
        """The published total of one level of `variable` in its table with the partner."""
        assert self.partner is not None
        record, part = await self._part(guild_id, pair_key(variable.id, self.partner.id), numbers)
        if part is None:
            return None
        side = "a" if part["a"] == variable.id else "b"
        levels = part[f"{side}_levels"]
        if level not in levels:
            return None
        return record, part[f"{side}_totals"][levels.index(level)]

    async def _tried(
        self, guild_id: int, choice: str, numbers: set[int]
    ) -> tuple[ReleaseRecord, Published] | None:
        record, part = await self._part(guild_id, f"treatment:{choice}", numbers)
        return None if part is None else (record, part["tried"])

    async def _from_tables(
        self, guild_id: int, key: str, question: Question, numbers: set[int]
    ) -> QuestionBars:
        service = self.service
        treatments = service.questionnaire.results.treatments
        bars: list[tuple[str, Published]] = []
        left_out: list[str] = []
        record: ReleaseRecord | None = None
        if question.kind is Kind.MULTI:
            for choice in question.choices:
                found = None
                if treatments is not None and treatments.question == question.id:
                    # the same members /treatment lookup counts as having tried it
                    found = await self._tried(guild_id, choice.id, numbers)
                variable = service.spec.variables.get(f"{question.id}:{choice.id}")
                if found is None and variable is not None:
                    found = await self._total(guild_id, variable, "yes", numbers)
                if found is None:
                    left_out.append(choice.label)
                    continue
                record = found[0]
                bars.append((choice.label, found[1]))
        else:
            variable = service.shown_variables()[question.id]
            shown = {level for level, _ in service.spec.levels(variable)}
            for level, label in variable.levels:
                found = None
                if level in shown:
                    found = await self._total(guild_id, variable, level, numbers)
                if found is None:
                    left_out.append(label)
                    continue
                record = found[0]
                bars.append((label, found[1]))
        if record is None:
            # Translators: {question} is a survey question.
            text = _("“{question}” is not in the current release of results.")
            raise NotShown(text.format(question=short(question.prompt, 80)))
        if all(value is None for _label, value in bars):
            # Translators: {question} is a survey question.
            text = _(
                "“{question}” is not shown yet: fewer than {k} members gave each of its answers "
                "in the current release."
            )
            raise NotShown(text.format(question=short(question.prompt, 80), k=record.k))
        return QuestionBars(
            key,
            question.prompt,
            record,
            bars,
            None,
            question.kind is Kind.MULTI,
            left_out,
            question.when is not None,
        )

    async def _effects(
        self, guild_id: int, key: str, field_id: str, prompt: str, numbers: set[int]
    ) -> TreatmentEffects:
        spec = self.service.questionnaire.results.treatments
        assert spec is not None
        effect = next(f for f in spec.fields if f.id == field_id)
        group = self.service.questionnaire.question(spec.effects or "")
        asked = group.field(field_id) if group is not None else None
        names = {c.id: c.label for c in asked.choices} if asked is not None else {}
        question = self.service.questionnaire.question(spec.question)
        labels = {c.id: c.label for c in question.choices} if question is not None else {}
        rows, hidden = [], []
        record: ReleaseRecord | None = None
        for choice in dict.fromkeys(c for _entry, c in spec.entries):
            record, part = await self._part(guild_id, f"treatment:{choice}", numbers)
            if part is None:
                continue
            label = labels.get(choice, choice)
            if part["tried"] is None:
                hidden.append(label)
                continue
            said = part["effects"].get(field_id)
            if said is None:
                continue  # a release made before the field was counted
            rows.append(TreatmentRow(label, part["tried"], [said.get(a) for a in effect.answers]))
        if record is None:
            record, _overview = await self._part(guild_id, "overview", numbers)
        return TreatmentEffects(
            key,
            prompt,
            record,
            [names.get(a, a) for a in effect.answers],
            rows,
            hidden,
        )

    # -- charts -----------------------------------------------------------------------------

    @overload
    async def with_chart(self, guild_id: int, view: QuestionBars) -> QuestionBars: ...
    @overload
    async def with_chart(self, guild_id: int, view: TreatmentEffects) -> TreatmentEffects: ...
    @overload
    async def with_chart(self, guild_id: int, view: View) -> View: ...
    async def with_chart(self, guild_id: int, view: View) -> View:
        """The view with its chart: drawn once per release and language (first request) and
        kept with it, so every process shows the same picture. None when there is nothing to
        draw."""
        import asyncio
        from dataclasses import replace

        key = chart_key(f"png:view:{view.key}")
        found = await self.service.releases.part(guild_id, key)
        if found is not None and found[0].number == view.release.number and found[1]:
            return replace(view, png=bytes(found[1]))
        png = await asyncio.to_thread(view_chart, view)
        if png is not None:
            png = await self.service.releases.add_chart(view.release, key, png)
        return replace(view, png=png)


def bars_counted(view: QuestionBars) -> str:
    """What a view's shares are of, in words."""
    if view.n is None:
        return _("shares of all {members} members counted").format(members=view.release.respondents)
    return f"n={view.n}"


def view_chart(view: View) -> bytes | None:
    """One view's chart, sized for a phone (`charts.PHONE`), from its published numbers."""
    from bot.results import charts

    k = view.k

    def text(value: Published) -> str:
        return f"<{k}" if value is None else str(value)

    if isinstance(view, QuestionBars):
        if not view.bars:
            return None
        n = text(view.n) if view.n is not None else str(view.release.respondents)
        counted = "" if view.n is not None else bars_counted(view)
        panel = charts.BarPanel(
            view.title, n, tuple((label, text(v)) for label, v in view.bars), counted
        )
        return charts.bar_chart(panel, k)
    return charts.share_rows(
        # Translators: {title} is what the treatments are compared on, e.g. "shedding".
        _("What each treatment did: {title}").format(title=formats.in_sentence(view.title)),
        view.levels,
        [(row.label, text(row.tried), [text(c) for c in row.cells]) for row in view.rows],
        view.hidden,
        k,
    )


def _shown_label(question: Question, choice_id: str, stored: str) -> str:
    """A stored bar's answer in the viewer's words (the release keeps its id beside the
    English label)."""
    choice = question.choice(choice_id)
    return stored if choice is None else choice.label
