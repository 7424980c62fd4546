"""Plain sentences about a release, shared by Discord (which adds its own emphasis in
`cogs/`) and the HTML report: what a number means, when it was counted, what comes next."""

from __future__ import annotations

from datetime import datetime

from bot.results.published import Comparison, Overview, Panel, QuestionBars, TreatmentEffects
from bot.results.rounding import BASE, Published
from bot.storage.releases import ReleaseRecord


def count_text(value: Published, k: int) -> str:
    return f"<{k}" if value is None else str(value)


def share(value: Published, total: Published) -> int | None:
    """A rounded count's share of a rounded total, in whole percent (None when either is
    hidden or the total is 0)."""
    if value is None or not total:
        return None
    return round(100 * value / total)


def release_date(record: ReleaseRecord) -> str:
    return f"{datetime.fromisoformat(record.claimed_at):%-d %b %Y}"


def as_of(record: ReleaseRecord) -> str:
    """ "46 members, as of 7 Dec 2026" """
    return f"{record.respondents} members, as of {release_date(record)}"


def next_release(batch: int) -> str:
    return (
        f"Results are refreshed after at least {batch} more completed surveys, retakes, "
        "check-ins or deletions, at most once a day, so no one's answers can be picked out "
        "by comparing two readings."
    )


def rounding_note(k: int) -> str:
    return (
        f"Counts are rounded to a multiple of {BASE} (so 15 stands for 11 to 19), and fewer "
        f"than {k} members show as <{k}. Members chose to answer and describe themselves; "
        "this is not a representative or clinical sample."
    )


def most_often(panel: Panel) -> str | None:
    """The answer given most often, when one stands out in the rounded counts."""
    counted = [(value, label) for _, label, value in panel.bars if value is not None]
    if not counted:
        return None
    counted.sort(reverse=True)
    top, label = counted[0]
    if len(counted) > 1 and counted[1][0] == top:
        return None  # a tie in rounded counts says nothing
    percent = share(top, panel.n)
    return f"{panel.title}: most often “{label}” (about {top}{f', {percent}%' if percent else ''})"


def held_back(titles: list[str], k: int) -> str | None:
    if not titles:
        return None
    names = "; ".join(f"“{t}”" for t in titles)
    return f"Not shown yet, answered by fewer than {k} members: {names}."


def overview_lines(overview: Overview) -> list[str]:
    lines = [f"{as_of(overview.release)}."]
    lines += [line for panel in overview.panels if (line := most_often(panel))]
    if note := held_back(overview.held_back, overview.k):
        lines.append(note)
    return lines


def statement(comparison: Comparison) -> str:
    """The statistic in words, or why there is none."""
    k = comparison.k
    if comparison.test is None:
        return (
            f"No statistic: some cells have fewer than {k} members, and a test needs every "
            "count. Members chose to answer and describe themselves; any pattern is an "
            "association, not a cause."
        )
    from bot.results.stats import describe

    return (
        describe(comparison.test, comparison.total)
        + f" Computed on the rounded counts (to {BASE}), so it is approximate."
    )


def hidden_note(comparison: Comparison) -> str | None:
    """Which groups and answers are held back, by name (no count is given away)."""
    k = comparison.k
    parts = []
    if comparison.hidden_groups:
        names = ", ".join(f"“{g}”" for g in comparison.hidden_groups)
        parts.append(f"the group{'s' if len(comparison.hidden_groups) > 1 else ''} {names}")
    if comparison.hidden_levels:
        names = ", ".join(f"“{a}”" for a in comparison.hidden_levels)
        parts.append(f"the answer{'s' if len(comparison.hidden_levels) > 1 else ''} {names}")
    if not parts:
        return None
    return f"Held back, fewer than {k} members each: {' and '.join(parts)}."


# -- one question at a time, and what each treatment did ------------------------------------


def with_share(value: Published, total: Published, k: int) -> str:
    """ "15 (33%)", or "<5" """
    percent = share(value, total)
    return count_text(value, k) + (f" ({percent}%)" if percent is not None else "")


def bar_lines(view: QuestionBars) -> list[str]:
    """ "Slowly: 15 (33%)", one per answer, shares of the n (or of all members counted)."""
    total = view.n if view.n is not None else view.release.respondents
    return [f"{label}: {with_share(value, total, view.k)}" for label, value in view.bars]


def bars_notes(view: QuestionBars) -> list[str]:
    """What a question's numbers are of, and what they leave out."""
    notes = []
    if view.n is None:
        notes.append(f"Shares are of all {view.release.respondents} members counted.")
    if view.left_out:
        names = ", ".join(f"“{name}”" for name in view.left_out)
        notes.append(
            f"{names} {'is' if len(view.left_out) == 1 else 'are'} not counted separately "
            "here (the tables these numbers come from leave such answers out)."
        )
    if view.multi:
        notes.append(
            "Members could choose several answers, so the shares add up to more than 100%."
        )
    if view.asked_some:
        notes.append("Asked only of members whose earlier answers called for it.")
    return notes


def effects_lines(view: TreatmentEffects) -> list[str]:
    """One line per treatment: how many tried it, and each answer with its share of them."""
    k = view.k
    return [
        f"{row.label} (about {row.tried} tried it): "
        + " · ".join(
            f"{level.lower()} {with_share(value, row.tried, k)}"
            for level, value in zip(view.levels, row.cells, strict=True)
        )
        for row in view.rows
    ]


def effects_notes(view: TreatmentEffects) -> list[str]:
    notes = []
    if view.hidden:
        names = ", ".join(view.hidden)
        notes.append(f"Not shown, fewer than {view.k} members reported trying each: {names}.")
    if not view.rows:
        notes.append(f"No treatment was reported by {view.k} or more members yet.")
    notes.append(
        "The same member reports as /treatment lookup. Self-reported by members who tried "
        "each one; not a controlled study, and no proof that a treatment works."
    )
    return notes
