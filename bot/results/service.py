"""Results use cases: the overview, comparisons, server settings and exports.

Counting happens in SQL; statistics and charts run in a worker thread (`asyncio.to_thread`)
so a slow chart never blocks the bot. Every public number passes through the server's
minimum group size k.

Check-ins join in two places: each member's latest completed check-in adds its questions
to what /survey compare can compare ("checkin_shedding", under the same protection), and
exports gain every check-in in long format, one row per check-in and treatment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.privacy import HIDDEN, Disclosure
from bot.results.export import Exporter, ExportFile
from bot.results.importer import ImportedReply
from bot.results.protection import (
    Axis,
    Joint,
    PanelView,
    Table,
    answer_profiles,
    kept_by_checkin,
    kept_levels,
    protect_family,
)
from bot.results.variables import (
    Profile,
    Source,
    Variable,
    build_checkin_variables,
    build_variables,
    checkin_sources,
    first_choice,
    number_bin,
    short,
    survey_sources,
)
from bot.storage import Database
from bot.storage.guilds import MIN_GROUP_SIZE_FLOOR, GuildSettings, GuildSettingsRepository
from bot.storage.imports import ImportedReplyRepository
from bot.storage.responses import SURVEY
from bot.storage.results import ResultsRepository
from bot.storage.tx import Tx
from bot.survey.groupings import MAX_PROFILE_OPTIONS
from bot.survey.questionnaire import (
    CHECKIN_BUNDLED,
    Kind,
    Question,
    Questionnaire,
    load_questionnaire,
)

if TYPE_CHECKING:
    from bot.results.stats import Test

# scipy (~60 MB) and matplotlib (~40 MB) are imported on first use, not at start-up: most of
# the bot's life is spent on survey answers, and they keep its resident memory small.


class ComparisonRefused(Exception):
    """Too few answers to compare without exposing anyone; the message says why."""


class ResultsChanged(Exception):
    """Answers arrived between two reads of one comparison: it is worked out again."""


MISSING = object()


@dataclass(frozen=True, slots=True)
class Panel:
    question_id: str
    title: str
    answered: int
    bars: list[tuple[str, int]]  # (choice label, members), in questionnaire order
    shown: list[str]  # what the public may see of each bar ("12", "<5", "–")
    answered_shown: str = ""  # the panel's n as the public may see it
    choice_ids: list[str] = field(default_factory=list)  # beside `bars`

    @property
    def n_is_exact(self) -> bool:
        return self.answered_shown.isdigit()


@dataclass(frozen=True, slots=True)
class Overview:
    respondents: int
    k: int
    panels: list[Panel]
    png: bytes | None = None

    def summary(self) -> str:
        if self.respondents < self.k:
            return (
                f"Fewer than {self.k} members have completed the survey here, so there are no "
                "results to show yet."
            )
        lines = [f"**{self.respondents}** members have completed the survey here."]
        for panel in self.panels:
            if panel.answered < self.k:
                continue
            exact = [
                bar for bar, text in zip(panel.bars, panel.shown, strict=True) if text.isdigit()
            ]
            top = max(exact, key=lambda bar: bar[1], default=("", 0))
            # "most often" also says something of a hidden bar: only when none is hidden
            if top[1] >= self.k and HIDDEN not in panel.shown:
                # a share of a hidden n would reveal the n
                share = f", {round(100 * top[1] / panel.answered)}%" if panel.n_is_exact else ""
                lines.append(f"• {panel.title}: most often “{top[0]}” ({top[1]}{share})")
        lines.append(
            f"-# Counts under {self.k} (zero included) are shown as <{self.k}, and {HIDDEN} "
            "marks a number hidden so that a small count cannot be worked out. Members chose "
            "to answer and describe themselves; this is not a representative or clinical sample."
        )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A cross-table as the public may see it. Rows and columns with fewer than k members
    are left out, the same way whichever way round the two questions are asked, and `shown`
    holds every cell after the small-group rule (which also knows the respondent total and
    what /survey results shows). Group sizes are not printed: they would give cells away."""

    question: Variable
    by: Variable
    groups: list[str]  # shown row levels (ids)
    levels: list[str]  # shown column levels (ids)
    table: list[list[int]]  # shown rows × levels (for the statistic, when it may be shown)
    shown: list[list[str]]  # each cell as the public may see it
    test: Test | None  # None unless every cell is shown exactly
    k: int
    png: bytes | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        return sum(map(sum, self.table))

    @property
    def is_two_by_two(self) -> bool:
        return len(self.groups) == 2 and len(self.levels) == 2

    @property
    def title(self) -> str:
        return f"{self.question.label} — by {self.by.label.lower()}"

    @property
    def fully_shown(self) -> bool:
        """Nothing is masked: only then may a statistic be shown (it would let a reader
        solve for a masked cell)."""
        return all(text.isdigit() for row in self.shown for text in row)

    def row_is_exact(self, index: int) -> bool:
        return all(text.isdigit() for text in self.shown[index])

    def statement(self) -> str:
        if not self.fully_shown or self.test is None:
            return (
                f"Some answers here were given by fewer than {self.k} members, so the exact "
                "statistic is not shown: with the counts it could reveal them. More answers "
                "will unlock it. Members chose to answer and describe themselves; any pattern "
                "is an association, not a cause."
            )
        from bot.results.stats import describe

        return describe(self.test, self.total)

    def table_text(self) -> str:
        """A fixed-width table of counts as shown, with row percentages where a row is exact."""
        heads = [self.question.level_label(level)[:14] for level in self.levels]
        labels = [self.by.level_label(g)[:24] for g in self.groups]
        width = max(12, *(len(label) for label in labels))
        lines = [" " * width + " | " + " | ".join(f"{h:>14}" for h in heads)]
        for index, (label, row, texts) in enumerate(
            zip(labels, self.table, self.shown, strict=True)
        ):
            exact, total = self.row_is_exact(index), sum(row)
            cells = [
                f"{text + (f' ({round(100 * count / total)}%)' if exact and total else ''):>14}"
                for count, text in zip(row, texts, strict=True)
            ]
            lines.append(f"{label:<{width}} | " + " | ".join(cells))
        lines.append(
            f"Answers and groups of fewer than {self.k} members are left out; <{self.k} is "
            f"0 to {self.k - 1}, {HIDDEN} is hidden so that a small count cannot be worked out."
        )
        return "\n".join(lines)


def panel_disclosure(
    question: Question,
    counts: dict[str, int],
    answered: int,
    respondents: int,
    k: int,
    everyone: bool = False,
) -> tuple[list[str], str] | None:
    """The bars and n of one overview panel as the public may see them, or None when no
    suppression keeps every small count safe. The respondent total is public, so the
    members not asked (the women left out of the Norwood question) are protected too."""
    disclosure = Disclosure(k)
    outside = [] if everyone else [disclosure.cell()]
    if question.kind is Kind.SINGLE:
        by_choice = {c.id: [disclosure.cell()] for c in question.choices}
    else:
        # A member may pick any set of the options, or one exclusive option alone: one
        # cell per possible set, so "n minus the others" bounds are what a reader could do.
        exclusive = [c.id for c in question.choices if c.exclusive]
        others = [c.id for c in question.choices if not c.exclusive]
        if len(others) > MAX_PROFILE_OPTIONS:
            return None  # too many combinations to model: the panel is not shown
        by_choice = {c.id: [] for c in question.choices}
        for mask in range(1, 2 ** len(others)):
            cell = disclosure.cell()
            for bit, choice in enumerate(others):
                if mask >> bit & 1:
                    by_choice[choice].append(cell)
        for choice in exclusive:
            by_choice[choice].append(disclosure.cell())
    answered_cells = {c for cells in by_choice.values() for c in cells}
    disclosure.publish([*answered_cells, *outside], respondents, fixed=True)
    n_index = disclosure.publish(answered_cells, answered)
    bar_index = [disclosure.publish(by_choice[c.id], counts.get(c.id, 0)) for c in question.choices]
    disclosure.guard(outside, respondents - answered)
    disclosure.protect()
    if disclosure.refused:
        return None
    return [disclosure.shown(i) for i in bar_index], disclosure.shown(n_index)


class ResultsService:
    def __init__(
        self, db: Database, questionnaire: Questionnaire, checkin: Questionnaire | None = None
    ) -> None:
        """`checkin`: the check-in questionnaire (the bundled one unless given)."""
        self.db = db
        self.questionnaire = questionnaire
        self.checkin = checkin if checkin is not None else load_questionnaire(CHECKIN_BUNDLED)
        self.variables = build_variables(questionnaire)
        # every comparable question by its results id, the check-in's as "checkin_…"
        self.sources: dict[str, Source] = survey_sources(questionnaire)
        taken = {*self.sources, *self.variables}
        from_checkins = checkin_sources(self.checkin, taken)
        self.sources.update(from_checkins)
        self.variables.update(build_checkin_variables(self.checkin, from_checkins, taken))
        self._families: dict[object, dict[tuple[str, str], Table] | None] = {}
        self.exports = Exporter(db, questionnaire, self.checkin)

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

    # -- overview ---------------------------------------------------------------------------

    def overview_questions(self) -> list[Question]:
        """The choice questions /survey results shows, as the questionnaire file lists them."""
        results = self.questionnaire.results
        found = (
            self.questionnaire.question(i)
            for i in results.overview_for(self.questionnaire.questions)
        )
        return [q for q in found if q is not None and q.is_choice]

    async def overview(self, guild_id: int, *, chart: bool = True) -> Overview:
        settings = await self.settings(guild_id)
        imported = settings.include_imported
        panels = []
        questions = self.overview_questions()

        def unit(tx: Tx) -> tuple[int, dict[str, dict[str, int]], dict[str, int]]:
            counting = ResultsRepository(tx, imported)
            return (
                counting.respondents(guild_id),
                *counting.choice_counts(guild_id, [q.id for q in questions]),
            )

        respondents, counts, answered = await self.db.read(unit)
        k = settings.min_group_size
        for question in questions:
            if answered[question.id] < k:
                continue  # e.g. the Ludwig scale when fewer than k women answered
            bars = [(c.label, counts[question.id].get(c.id, 0)) for c in question.choices]
            protected = await asyncio.to_thread(
                panel_disclosure,
                question,
                counts[question.id],
                answered[question.id],
                respondents,
                k,
                question.required and question.when is None and not imported,
            )
            if protected is None:
                continue
            shown, n_text = protected
            panels.append(
                Panel(
                    question.id,
                    short(question.prompt, 70),
                    answered[question.id],
                    bars,
                    shown,
                    n_text,
                    [c.id for c in question.choices],
                )
            )
        overview = Overview(respondents, settings.min_group_size, panels)
        if chart and respondents >= overview.k:
            from bot.results import charts

            png = await asyncio.to_thread(
                charts.bar_panels,
                [
                    (
                        f"{p.title} (n={p.answered_shown})",
                        [
                            (label, n, text)
                            for (label, n), text in zip(p.bars, p.shown, strict=True)
                        ],
                    )
                    for p in panels
                ],
                f"Scalp survey results ({respondents} members)",
            )
            overview = replace(overview, png=png)
        return overview

    # -- comparisons ------------------------------------------------------------------------

    def comparable(self, query: str = "") -> list[tuple[str, str]]:
        """(id, label) of what can be compared, for autocomplete: the survey's groupings,
        the check-in's ("Latest check-in: …"), then multi questions option by option."""
        options = []
        for variable in self.variables.values():
            options.append((variable.id, variable.label))
        for source in self.sources.values():
            if source.question.kind is Kind.MULTI:
                stem = source.label + short(source.question.prompt, 50 + len(source.label))
                options.append((source.question.id, f"{stem} (each option)"))
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
        if variable_id in self.variables:
            return [self.variables[variable_id]]
        source = self.sources.get(variable_id)
        if source is not None and source.question.kind is Kind.MULTI:
            return [
                v
                for v in self.variables.values()
                if v.question_id == variable_id and not v.id.endswith(":any")
            ]
        raise KeyError(variable_id)

    async def compare(
        self, guild_id: int, question_id: str, by_id: str, *, chart: bool = True
    ) -> list[Comparison]:
        """One comparison, or one per option when `question_id` is a multi-choice question.

        Raises KeyError for an unknown id and ComparisonRefused when no option has two
        groups of at least k members."""
        by_list = self._expand(by_id)
        if len(by_list) != 1:
            raise KeyError(by_id)  # grouping by "each option" is not a grouping
        by = by_list[0]
        settings = await self.settings(guild_id)
        # What /survey results shows is public too: comparisons are protected knowing it.
        overview = await self.overview(guild_id, chart=False)
        found, refusals = [], []
        for question in self._expand(question_id):
            if question.question_id == by.question_id:
                raise ComparisonRefused("Pick two different questions to compare.")
            if self.is_checkin(question.id) and self.is_checkin(by.id):
                # Two check-in answers side by side would add a third face to every
                # survey-by-check-in table: more ways to rebuild a small group.
                raise ComparisonRefused(
                    "A check-in answer is compared by a survey answer (or the other way "
                    "round), not by another check-in answer."
                )
            try:
                for _ in range(3):
                    try:
                        found.append(
                            await self._comparison(guild_id, question, by, settings, overview)
                        )
                        break
                    except ResultsChanged:
                        overview = await self.overview(guild_id, chart=False)
                else:
                    raise ComparisonRefused("Answers are arriving fast: try again in a moment.")
            except ComparisonRefused as exc:
                refusals.append(str(exc))
        if not found:
            raise ComparisonRefused(refusals[0] if refusals else "Nothing to compare yet.")
        if chart:
            found = [replace(c, png=await asyncio.to_thread(self._chart, c)) for c in found]
        return found

    def _axis(
        self, variable: Variable, overview: Overview, include_imported: bool, checked_in: int
    ) -> tuple[Axis, Callable[[str], Profile | None]]:
        """The question behind a grouping as a side of the privacy model, and how to read a
        stored answer as one of its profiles. A check-in question is answered by exactly
        the members with a check-in, whose number (`checked_in`) the model knows."""
        source = self.sources[variable.question_id]
        question = source.question
        bins = tuple(level for level, _ in variable.levels)
        profiles = answer_profiles(question, bins)
        everyone = (
            not source.checkin
            and question.required
            and question.when is None
            and not include_imported
        )
        panel = next((p for p in overview.panels if p.question_id == question.id), None)
        view = (
            PanelView(panel.answered_shown, dict(zip(panel.choice_ids, panel.shown, strict=True)))
            if panel is not None
            else None
        )
        if source.checkin:  # not in /survey results; how many answered is public instead
            view = PanelView(str(checked_in), {})

        def read(raw: str) -> Profile | None:
            if question.kind in (Kind.NUMBER, Kind.SCALE):
                level = number_bin(source.bins, int(raw)) if raw.lstrip("-").isdigit() else None
                return (level,) if level is not None else None
            return tuple(sorted(raw.split(",")))

        if profiles is None:
            # Too many answer combinations: this grouping stands alone, its levels as answers.
            alone = replace(variable, level_of=first_choice)
            axis = Axis(question, (alone,), tuple((lvl,) for lvl in bins), everyone, None)

            def read_alone(raw: str) -> Profile | None:
                choices = read(raw)
                level = variable.level_of(choices) if choices is not None else None
                return (level,) if level is not None else None

            return axis, read_alone
        siblings = tuple(v for v in self.variables.values() if v.question_id == question.id)
        return Axis(question, siblings, profiles, everyone, view, presence=source.checkin), read

    async def _comparison(
        self,
        guild_id: int,
        question: Variable,
        by: Variable,
        settings: GuildSettings,
        overview: Overview,
    ) -> Comparison:
        k = settings.min_group_size
        refusal = (
            f"Not enough answers yet to compare “{question.label}” by “{by.label.lower()}” "
            "without exposing anyone"
        )
        first_var, second_var = sorted((question, by), key=lambda v: v.question_id)
        stored = [self.sources[v.question_id] for v in (first_var, second_var)]
        raw = await self.db.read(
            lambda tx: ResultsRepository(tx, settings.include_imported).answer_pairs(
                guild_id,
                stored[0].stored_id,
                stored[1].stored_id,
                checkins=(stored[0].checkin, stored[1].checkin),
            )
        )
        if sum(raw.values()) != overview.respondents:
            # a member completed the survey between the two reads: ask again
            raise ResultsChanged
        checked_in = sum(n for (_, _, checked), n in raw.items() if checked)
        for axis, source in enumerate(stored):
            if not source.checkin:
                continue
            if not k <= checked_in <= overview.respondents - k:
                # Treated as public below: neither those with a check-in nor those without
                # may be a small group (one message for both, so it does not say which).
                raise ComparisonRefused(
                    f"{refusal}: it takes at least {k} members who have checked in, and {k} "
                    "who have not."
                )
            if sum(n for key, n in raw.items() if key[axis] is not None) != checked_in:
                raise ComparisonRefused(f"{refusal}.")  # a check-in that did not ask it
        sides = [
            self._axis(v, overview, settings.include_imported, checked_in)
            for v in (first_var, second_var)
        ]
        (first, read_first), (second, read_second) = sides
        joint: dict[tuple[Profile | None, Profile | None], int] = {}
        for (a, b, _), n in raw.items():
            key = (read_first(a) if a else None, read_second(b) if b else None)
            joint[key] = joint.get(key, 0) + n
        tables = await asyncio.to_thread(
            self._family, first, second, joint, overview.respondents, checked_in, k
        )
        if tables is None:
            raise ComparisonRefused(f"{refusal}.")
        table = tables.get((first_var.id, second_var.id))
        if table is None:
            raise ComparisonRefused(
                f"{refusal}: at least two groups and two answers need {k} or more members each."
            )
        if first_var is question:  # the family's rows are the question: turn it round
            table = Table(
                table.columns,
                table.rows,
                tuple(zip(*table.counts, strict=True)),
                tuple(zip(*table.shown, strict=True)),
            )
        counts = [list(row) for row in table.counts]
        shown = [list(row) for row in table.shown]
        exact = all(text.isdigit() for row in shown for text in row)
        from bot.results.stats import analyse

        return Comparison(
            question,
            by,
            list(table.rows),
            list(table.columns),
            counts,
            shown,
            analyse(counts) if exact else None,
            k,
        )

    def _family(
        self,
        first: Axis,
        second: Axis,
        joint: Joint,
        respondents: int,
        checked_in: int,
        k: int,
    ) -> dict[tuple[str, str], Table] | None:
        """`protect_family`, remembered: every comparison between the same two questions
        shares one result until an answer or setting changes it."""
        key = (
            first.question.id,
            tuple(v.id for v in first.variables),
            second.question.id,
            tuple(v.id for v in second.variables),
            *(
                (side.panel.answered, tuple(side.panel.bars.items())) if side.panel else None
                for side in (first, second)
            ),
            first.everyone,
            second.everyone,
            first.profiles,
            second.profiles,
            tuple(sorted(joint.items(), key=repr)),
            respondents,
            checked_in,
            k,
        )
        found = self._families.get(key, MISSING)
        if found is MISSING:
            if len(self._families) >= 64:
                self._families.clear()
            found = self._protect(first, second, joint, respondents, checked_in, k)
            self._families[key] = found
        return found  # type: ignore[return-value]

    @staticmethod
    def _protect(
        first: Axis, second: Axis, joint: Joint, respondents: int, checked_in: int, k: int
    ) -> dict[tuple[str, str], Table] | None:
        """Decide what each side keeps back (its level sizes, and beside a check-in
        question the same split by check-in), then protect the family knowing it."""
        sides = []
        for axis, side in enumerate((first, second)):
            counts: dict[Profile, int] = {}
            for pair, n in joint.items():
                if (profile := pair[axis]) is not None:
                    counts[profile] = counts.get(profile, 0) + n
            kept = kept_levels(
                side.question,
                list(side.variables),
                side.profiles,
                counts,
                respondents,
                side.panel,
                k,
                side.everyone,
            )
            side = replace(side, kept=kept)
            if (first, second)[1 - axis].presence and not side.presence:
                split: dict[tuple[Profile | None, bool], int] = {}
                for pair, n in joint.items():
                    part = (pair[axis], pair[1 - axis] is not None)
                    split[part] = split.get(part, 0) + n
                by_checkin = kept_by_checkin(side, split, respondents, checked_in, k)
                if by_checkin is None:
                    return None
                side = replace(side, by_checkin=by_checkin)
            sides.append(side)
        return protect_family(sides[0], sides[1], joint, respondents, k)

    def _chart(self, comparison: Comparison) -> bytes:
        from bot.results import charts

        return charts.grouped_percentages(
            [comparison.by.level_label(g) for g in comparison.groups],
            [comparison.question.level_label(level) for level in comparison.levels],
            comparison.table,
            comparison.shown,
            comparison.title,
            comparison.k,
        )

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
