"""Plain sentences about a release, shared by Discord (which adds its own emphasis in
`cogs/`) and the HTML report: what a number means, when it was counted, what comes next."""

from __future__ import annotations

from datetime import date

from bot.i18n import SOURCE, _, current_language, formats, ngettext
from bot.results.published import Comparison, Overview, Panel, QuestionBars, TreatmentEffects
from bot.results.rounding import BASE, Published
from bot.storage.releases import ReleaseRecord


def count_text(value: Published, k: int) -> str:
    return f"<{k}" if value is None else str(value)


def percent_text(percent: int) -> str:
    """A whole percent as the current language writes it ("33%", "33 %", "%33")."""
    return formats.percent(percent / 100)


def share(value: Published, total: Published) -> int | None:
    """A rounded count's share of a rounded total, in whole percent (None when either is
    hidden or the total is 0)."""
    if value is None or not total:
        return None
    return round(100 * value / total)


def day_text(day: date) -> str:
    """A release's day: "7 Dec 2026" in English, as Anagen always wrote it, and the
    current language's usual date elsewhere."""
    return formats.day(day, "d MMM y" if current_language() == SOURCE else "medium")


def release_date(record: ReleaseRecord) -> str:
    return day_text(record.claimed_on)


def as_of(record: ReleaseRecord) -> str:
    """ "46 members, as of 7 Dec 2026" """
    # Translators: {date} is the day the release was made, e.g. "7 Dec 2026".
    return _("{members} members, as of {date}").format(
        members=record.respondents, date=release_date(record)
    )


def next_release(batch: int) -> str:
    return _(
        "Results are refreshed after at least {batch} more completed surveys, retakes, "
        "check-ins or deletions, at most once a day, so no one's answers can be picked out "
        "by comparing two readings."
    ).format(batch=batch)


def rounding_note(k: int) -> str:
    # Translators: {base} is 5; "<{k}" is how a hidden count is written, e.g. "<5".
    return _(
        "Counts are rounded to a multiple of {base} (so 15 stands for 11 to 19), and fewer "
        "than {k} members show as <{k}. Members chose to answer and describe themselves; "
        "this is not a representative or clinical sample."
    ).format(base=BASE, k=k)


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
    if percent:
        # Translators: {title} is a survey question, {answer} one of its answers, {count}
        # how many members gave it (rounded) and {percent} their share, e.g. "33%".
        text = _("{title}: most often “{answer}” (about {count}, {percent})")
        return text.format(
            title=panel.title, answer=label, count=top, percent=percent_text(percent)
        )
    # Translators: {title} is a survey question, {answer} one of its answers and {count} how
    # many members gave it (rounded).
    text = _("{title}: most often “{answer}” (about {count})")
    return text.format(title=panel.title, answer=label, count=top)


def held_back(titles: list[str], k: int) -> str | None:
    if not titles:
        return None
    names = "; ".join(f"“{t}”" for t in titles)
    # Translators: {names} are survey questions, each in quotes.
    return _("Not shown yet, answered by fewer than {k} members: {names}.").format(k=k, names=names)


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
        return _(
            "No statistic: some cells have fewer than {k} members, and a test needs every "
            "count. Members chose to answer and describe themselves; any pattern is an "
            "association, not a cause."
        ).format(k=k)
    from bot.results.stats import describe

    approximate = _("Computed on the rounded counts (to {base}), so it is approximate.")
    return describe(comparison.test, comparison.total) + " " + approximate.format(base=BASE)


def hidden_note(comparison: Comparison) -> str | None:
    """Which groups and answers are held back, by name (no count is given away)."""
    k = comparison.k
    groups = answers = None
    if held := comparison.hidden_groups:
        names = ", ".join(f"“{g}”" for g in held)
        # Translators: {names} are groups of members, each in quotes.
        groups = ngettext("the group {names}", "the groups {names}", len(held)).format(names=names)
    if held := comparison.hidden_levels:
        names = ", ".join(f"“{a}”" for a in held)
        # Translators: {names} are answers to a question, each in quotes.
        answers = ngettext("the answer {names}", "the answers {names}", len(held)).format(
            names=names
        )
    if groups and answers:
        # Translators: {groups} is "the group(s) …" and {answers} "the answer(s) …".
        text = _("Held back, fewer than {k} members each: {groups} and {answers}.")
        return text.format(k=k, groups=groups, answers=answers)
    if what := groups or answers:
        # Translators: {what} is "the group(s) …" or "the answer(s) …".
        return _("Held back, fewer than {k} members each: {what}.").format(k=k, what=what)
    return None


# -- one question at a time, and what each treatment did ------------------------------------


def with_share(value: Published, total: Published, k: int) -> str:
    """ "15 (33%)", or "<5" """
    percent = share(value, total)
    shown = count_text(value, k)
    return shown if percent is None else f"{shown} ({percent_text(percent)})"


def bar_lines(view: QuestionBars) -> list[str]:
    """ "Slowly: 15 (33%)", one per answer, shares of the n (or of all members counted)."""
    total = view.n if view.n is not None else view.release.respondents
    return [f"{label}: {with_share(value, total, view.k)}" for label, value in view.bars]


def bars_notes(view: QuestionBars) -> list[str]:
    """What a question's numbers are of, and what they leave out."""
    notes = []
    if view.n is None:
        notes.append(
            _("Shares are of all {members} members counted.").format(
                members=view.release.respondents
            )
        )
    if view.left_out:
        names = ", ".join(f"“{name}”" for name in view.left_out)
        # Translators: {names} are answers to the question, each in quotes.
        left_out = ngettext(
            "{names} is not counted separately here (the tables these numbers come from leave "
            "such answers out).",
            "{names} are not counted separately here (the tables these numbers come from "
            "leave such answers out).",
            len(view.left_out),
        )
        notes.append(left_out.format(names=names))
    if view.multi:
        notes.append(
            _("Members could choose several answers, so the shares add up to more than 100%.")
        )
    if view.asked_some:
        notes.append(_("Asked only of members whose earlier answers called for it."))
    return notes


def effects_lines(view: TreatmentEffects) -> list[str]:
    """One line per treatment: how many tried it, and each answer with its share of them."""
    k = view.k
    # Translators: {treatment} is a treatment, {count} how many members tried it (rounded),
    # and {answers} what they said it did, e.g. "less 15 (33%) · the same 20 (44%)".
    line = _("{treatment} (about {count} tried it): {answers}")
    return [
        line.format(
            treatment=row.label,
            count=row.tried,
            answers=" · ".join(
                f"{level.lower()} {with_share(value, row.tried, k)}"
                for level, value in zip(view.levels, row.cells, strict=True)
            ),
        )
        for row in view.rows
    ]


def effects_notes(view: TreatmentEffects) -> list[str]:
    notes = []
    if view.hidden:
        names = ", ".join(view.hidden)
        # Translators: {names} are treatments.
        hidden = _("Not shown, fewer than {k} members reported trying each: {names}.")
        notes.append(hidden.format(k=view.k, names=names))
    if not view.rows:
        notes.append(_("No treatment was reported by {k} or more members yet.").format(k=view.k))
    notes.append(
        # Translators: /treatment lookup is a command's name and stays in English.
        _(
            "The same member reports as /treatment lookup. Self-reported by members who tried "
            "each one; not a controlled study, and no proof that a treatment works."
        )
    )
    return notes
