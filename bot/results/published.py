"""What commands read from a release, as plain values (no Discord, no formatting): the
overview of `/survey results` and the tables of `/survey compare`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
        return f"{self.question.label} — by {self.by.label.lower()}"

    @property
    def chart_key(self) -> str:
        return f"png:{self.question.id}|{self.by.id}"

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
