"""What commands read from a release, as plain values (no Discord, no formatting): the
overview of `/survey results`, the tables of `/survey compare`, and the questions and
treatment reports `/survey results` and the HTML report show one at a time (read by
`questions.Questions`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.i18n import _, formats
from bot.results.releases import chart_key
from bot.results.rounding import Published
from bot.results.variables import Variable
from bot.storage.releases import ReleaseRecord

if TYPE_CHECKING:
    from bot.results.stats import Test


class NotPublished(Exception):
    """No release yet in this server; the message says when the first one comes."""


class ComparisonRefused(Exception):
    """Nothing can be compared for this pair in the current release; the message says why."""


@dataclass(frozen=True, slots=True)
class Panel:
    question_id: str
    title: str
    n: Published
    bars: list[tuple[str, str, Published]]  # (choice id, label, members), questionnaire order


@dataclass(frozen=True, slots=True)
class Overview:
    release: ReleaseRecord
    batch: int  # changes the next release waits for
    panels: list[Panel]
    held_back: list[str] = field(default_factory=list)  # titles answered by fewer than k
    png: bytes | None = None

    @property
    def k(self) -> int:
        return self.release.k

    @property
    def respondents(self) -> int:
        return self.release.respondents


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    total: Published
    cells: list[Published]  # one per shown level


@dataclass(frozen=True, slots=True)
class Comparison:
    """One table of a release, the question's answers across the grouping's groups. Groups
    and answers of fewer than k members are held back by name, never silently."""

    question: Variable
    by: Variable
    release: ReleaseRecord
    levels: list[tuple[str, str]]  # shown answers (id, label)
    groups: list[Group]  # shown groups
    hidden_groups: list[str]  # labels of groups with fewer than k members
    hidden_levels: list[str]  # labels of answers given by fewer than k members
    test: Test | None
    png: bytes | None = None

    @property
    def k(self) -> int:
        return self.release.k

    @property
    def title(self) -> str:
        # Translators: {question} is what is compared, {grouping} the grouping it is compared
        # by, e.g. "Itching — by receding or diffuse".
        return _("{question} — by {grouping}").format(
            question=self.question.label, grouping=formats.in_sentence(self.by.label)
        )

    @property
    def chart_key(self) -> str:
        """Where its chart is kept with the release, in the current language."""
        return chart_key(f"png:{self.question.id}|{self.by.id}")

    @property
    def total(self) -> int:
        """The published counts' sum (what the statistic was computed on)."""
        return sum(cell or 0 for group in self.groups for cell in group.cells)

    @property
    def is_two_by_two(self) -> bool:
        return len(self.groups) == 2 and len(self.levels) == 2


def test_from(data: dict[str, Any] | None) -> Test | None:
    if data is None:
        return None
    from bot.results.stats import Independence, TwoByTwo

    fields = {k: v for k, v in data.items() if k != "kind"}
    return TwoByTwo(**fields) if data["kind"] == "TwoByTwo" else Independence(**fields)


def comparison_from(
    part: dict[str, Any], question: Variable, by: Variable, record: ReleaseRecord
) -> Comparison:
    """A stored pair turned the asked way round: groups are `by`'s levels, answers the
    question's."""
    if part["a"] == by.id:
        group_ids, level_ids = part["a_levels"], part["b_levels"]
        group_totals, level_totals = part["a_totals"], part["b_totals"]
        cells = part["cells"]
    else:
        group_ids, level_ids = part["b_levels"], part["a_levels"]
        group_totals, level_totals = part["b_totals"], part["a_totals"]
        cells = [list(row) for row in zip(*part["cells"], strict=True)] if part["cells"] else []
    shown_levels = [j for j, total in enumerate(level_totals) if total is not None]
    groups, hidden_groups = [], []
    for i, group_id in enumerate(group_ids):
        label = by.level_label(group_id)
        if group_totals[i] is None:
            hidden_groups.append(label)
            continue
        groups.append(Group(label, group_totals[i], [cells[i][j] for j in shown_levels]))
    return Comparison(
        question,
        by,
        record,
        [(level_ids[j], question.level_label(level_ids[j])) for j in shown_levels],
        groups,
        hidden_groups,
        [
            question.level_label(i)
            for i, t in zip(level_ids, level_totals, strict=True)
            if t is None
        ],
        test_from(part.get("test")),
    )


# -- one question at a time (`/survey results`' menu and the HTML report) -------------------

# What a view's key names: a question's answers ("q:speed"), or what each treatment did for
# one field of the effects group ("did:shedding").
QUESTION_PREFIX, EFFECTS_PREFIX = "q:", "did:"


class NotShown(Exception):
    """This view has nothing to show in the current release; the message says why."""


@dataclass(frozen=True, slots=True)
class QuestionBars:
    """One question's answers, every number read from the current release.

    The overview's questions come with their n (members who answered). For the others the
    release holds each answer's count as the group totals of a stored table (`pair:`; see
    `Questions`), but no n: their shares are of every member the release counts."""

    key: str
    title: str  # the question, in full
    release: ReleaseRecord
    bars: list[tuple[str, Published]]  # (answer label, members), questionnaire order
    n: Published | None  # members who answered; None: not in the release (shares of all)
    multi: bool  # members could choose several answers
    left_out: list[str]  # answers not counted here ("Not sure", "None of these")
    asked_some: bool  # asked only after some earlier answers
    png: bytes | None = None

    @property
    def k(self) -> int:
        return self.release.k


@dataclass(frozen=True, slots=True)
class TreatmentRow:
    label: str  # the survey's treatment choice
    tried: Published
    cells: list[Published]  # one per answer of the field


@dataclass(frozen=True, slots=True)
class TreatmentEffects:
    """What members who tried each treatment said it did, for one field of the effects group
    ("Effect on shedding"): the `treatment:<choice>` parts `/treatment lookup` shows."""

    key: str
    title: str  # the field's prompt
    release: ReleaseRecord
    levels: list[str]  # answer labels
    rows: list[TreatmentRow]  # treatments tried by k or more members
    hidden: list[str]  # treatments tried by fewer than k members
    png: bytes | None = None

    @property
    def k(self) -> int:
        return self.release.k


View = QuestionBars | TreatmentEffects
