"""`anagen report`: one self-contained HTML page (charts inlined) for a community blog. It
prints the server's latest release, the same numbers Discord shows: two reports made from one
release are identical, and the page is dated by its release, not by when it was written.

The page is read on phones as much as on desktops: one narrow column, one chart per
question (each drawn for a phone's width, `charts.PHONE`, and shown at the column's width),
tables that scroll sideways instead of widening the page, and every chart's numbers in
words beside it."""

from __future__ import annotations

import asyncio
import base64
import html
from collections.abc import Callable

from bot.checkins.outcomes import (
    HORIZONS,
    SHEDDING,
    SIDE_EFFECTS,
    OutcomesReport,
)
from bot.i18n import N_, _, current_language, formats
from bot.results import charts, wording
from bot.results.published import (
    Comparison,
    ComparisonRefused,
    NotPublished,
    NotShown,
    Overview,
    QuestionBars,
    TreatmentEffects,
)
from bot.results.questions import Questions
from bot.results.service import ResultsService
from bot.results.variables import Variable

# The survey question whose choice ids name treatments in the regimen and check-ins.
TREATMENTS_QUESTION = "treatments"

# The outcomes table's heads, by the check-in's answer ids (bot.checkins.outcomes).
SHEDDING_HEADS = {
    # Translators: a column of members whose shedding was less than at their last check-in.
    "less": N_("Shedding less"),
    # Translators: a column of members whose shedding was the same as at their last check-in.
    "same": N_("Shedding same"),
    # Translators: a column of members whose shedding was more than at their last check-in.
    "more": N_("Shedding more"),
}
SIDE_EFFECT_HEADS = {
    # Translators: a column of members who reported sexual side effects.
    "sexual": N_("Sexual"),
    # Translators: a column of members who reported side effects on their mood.
    "mood": N_("Mood"),
    # Translators: a column of members who reported side effects on their heart.
    "heart": N_("Heart"),
    "skin_irritation": N_("Skin irritation"),
    "unwanted_hair": N_("Unwanted hair"),
    # Translators: a column of members who reported another side effect.
    "other": N_("Other"),
}

# One readable column: ~70 characters a line on a desktop, the whole width on a phone.
STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; color: #1f2328; background: #fff;
       font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.7rem; line-height: 1.2; margin: 1rem 0; }
h2 { font-size: 1.35rem; line-height: 1.25; margin: 2.5rem 0 .75rem;
     padding-bottom: .3rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.1rem; line-height: 1.3; margin: 2rem 0 .5rem; }
p, ul { margin: .5rem 0; } li { margin: .2rem 0; }
img { display: block; width: 100%; max-width: 100%; height: auto; margin: .5rem 0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .75rem 0; }
table { border-collapse: collapse; font-size: .95rem; }
caption { text-align: left; font-weight: 600; padding-bottom: .4rem; }
th, td { border: 1px solid #d0d7de; padding: .35rem .55rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #57606a; font-size: .92rem; }
nav ul { padding-left: 1.2rem; }
"""

Progress = Callable[[str], None]


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _p(text: str, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<p{attribute}>{html.escape(text)}</p>"


def _scroll(table: str) -> str:
    """A table scrolls sideways on its own on a narrow screen; the page never does."""
    return f'<div class="scroll">{table}</div>'


def _page(title: str, body: list[str]) -> str:
    # Translators: {title} is the survey's title.
    heading = html.escape(_("{title}: community results").format(title=title))
    return "\n".join(
        [
            f'<!doctype html><html lang="{_html_language()}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{heading}</title>",
            f"<style>{STYLE}</style></head><body><main>",
            f"<h1>{heading}</h1>",
            *body,
            "</main></body></html>",
        ]
    )


def _html_language() -> str:
    """The current language as HTML names it ("pt_BR" is "pt-BR")."""
    return current_language().replace("_", "-")


async def build_report(
    service: ResultsService, guild_id: int, *, progress: Progress | None = None
) -> str:
    """The page for the server's latest release. `progress` hears each step as it starts
    (drawing a release's charts for the first time takes a while)."""
    step = progress or (lambda _: None)
    title = service.questionnaire.title
    try:
        overview = await service.overview(guild_id, chart=False)
    except NotPublished as exc:
        return _page(title, [_p(str(exc))])
    k = overview.k
    questions = Questions(service)
    step("the survey's questions")
    at_a_glance, more = await _question_sections(questions, guild_id, overview)
    step("what each treatment did")
    treatments = await _treatments_section(questions, guild_id)
    step("the community's questions")
    compared = await _comparisons_section(service, guild_id)
    step("outcomes over time")
    outcomes = await _outcomes_section(service, guild_id, k)
    sections = [
        ("glance", _("The survey at a glance"), at_a_glance),
        ("more", _("More questions"), more),
        ("treatments", _("What members said each treatment did"), treatments),
        ("questions", _("The community's questions"), compared),
        ("outcomes", _("Outcomes over time"), outcomes),
    ]
    sections = [s for s in sections if s[2]]
    # Translators: {date} is the day the release was made, e.g. "7 Dec 2026".
    release = _("Release of {date}: {members} members.").format(
        date=wording.release_date(overview.release), members=overview.respondents
    )
    published = _("Published by Anagen from the members who chose to answer the survey.")
    not_advice = _("An association is not a cause. Not medical advice.")
    parts = [
        f"<p><strong>{html.escape(release)}</strong> {html.escape(published)}</p>",
        _p(wording.rounding_note(k) + " " + not_advice, "note"),
        "<nav><ul>"
        + "".join(
            f'<li><a href="#{anchor}">{html.escape(name)}</a></li>'
            for anchor, name, _body in sections
        )
        + "</ul></nav>",
    ]
    for anchor, name, body in sections:
        parts.append(f'<section id="{anchor}"><h2>{html.escape(name)}</h2>')
        parts += body
        parts.append("</section>")
    return _page(title, parts)


# -- one question at a time -------------------------------------------------------------------


async def _question_sections(
    questions: Questions, guild_id: int, overview: Overview
) -> tuple[list[str], list[str]]:
    """The overview's questions, then the others: each a heading, its chart and its numbers
    in words."""
    at_a_glance: list[str] = []
    more: list[str] = []
    not_yet: list[str] = []
    for question in questions.questions():
        key = f"q:{question.id}"
        target = at_a_glance if question.id in questions.overview_ids else more
        try:
            view = await questions.read(guild_id, key)
        except NotShown:
            if question.id not in questions.overview_ids:
                not_yet.append(question.prompt)
            continue  # an overview question answered by too few is named below it
        if not isinstance(view, QuestionBars):
            continue
        view = await questions.with_chart(guild_id, view)
        target += _bars_html(view)
    if note := wording.held_back(overview.held_back, overview.k):
        at_a_glance.append(_p(note, "note"))
    if not_yet:
        names = "; ".join(f"“{name}”" for name in not_yet)
        # Translators: {names} are survey questions, each in quotes.
        note = _("Not shown yet, fewer than {k} members gave each answer: {names}.")
        more.append(_p(note.format(k=overview.k, names=names), "note"))
    if more:
        more.insert(
            0,
            _p(
                # Translators: “Not sure” is an answer of the survey.
                _(
                    "Questions that are not in the overview. Their counts come from the tables "
                    "of the comparisons, which leave out “Not sure”, so their shares are of all "
                    "the members counted."
                ),
                "note",
            ),
        )
    return at_a_glance, more


def _bars_html(view: QuestionBars) -> list[str]:
    lines = wording.bar_lines(view)
    parts = [f"<h3>{html.escape(view.title)}</h3>"]
    # Translators: a chart's description for screen readers; {answers} are its numbers.
    alt = _("Bar chart of the answers: {answers}.").format(answers="; ".join(lines))
    parts.append(_img(view.png, alt))
    parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")
    notes = wording.bars_notes(view)
    if view.n is not None:
        notes.insert(0, _("{members} members answered (rounded).").format(members=view.n))
    parts.append(_p(" ".join(notes), "note"))
    return parts


# -- what each treatment did ------------------------------------------------------------------


async def _treatments_section(questions: Questions, guild_id: int) -> list[str]:
    """Per treatment, what members who tried it reported: the `treatment:<choice>` parts,
    the same numbers `/treatment lookup` shows under each entry."""
    parts: list[str] = []
    for field_id, _prompt in questions.effect_fields():
        view = await questions.read(guild_id, f"did:{field_id}")
        if not isinstance(view, TreatmentEffects):
            continue
        view = await questions.with_chart(guild_id, view)
        parts.append(f"<h3>{html.escape(view.title)}</h3>")
        lines = wording.effects_lines(view)
        if view.rows:
            # Translators: a chart's description for screen readers; {treatments} are its
            # numbers.
            alt = _("Bar charts per treatment: {treatments}.").format(treatments="; ".join(lines))
            parts.append(_img(view.png, alt))
            parts.append(_scroll(_effects_table(view)))
        parts.append(_p(" ".join(wording.effects_notes(view)), "note"))
    return parts


def _effects_table(view: TreatmentEffects) -> str:
    k = view.k
    treatment, tried = html.escape(_("Treatment")), html.escape(_("Tried it"))
    head = f"<tr><th>{treatment}</th><th>{tried}</th>"
    head += "".join(f"<th>{html.escape(level)}</th>" for level in view.levels)
    rows = [
        f"<tr><td>{html.escape(row.label)}</td><td>{row.tried}</td>"
        + "".join(
            f"<td>{html.escape(wording.with_share(value, row.tried, k))}</td>"
            for value in row.cells
        )
        + "</tr>"
        for row in view.rows
    ]
    # Translators: {title} is what the treatments are compared on, e.g. "Effect on shedding".
    caption = _("{title}: members who tried each treatment (rounded), and their answers").format(
        title=view.title
    )
    return f"<table><caption>{html.escape(caption)}</caption>{head}</tr>{''.join(rows)}</table>"


# -- the community's questions ----------------------------------------------------------------


def full_label(service: ResultsService, variable: Variable) -> str:
    """A grouping named in full (the question's whole prompt, then the option), where the
    Discord menus must shorten it."""
    source = service.shown_sources().get(variable.question_id)
    if source is None:
        return variable.label
    prompt = source.labelled(source.question.prompt)
    if variable.id == variable.question_id:
        return prompt
    option = variable.id.partition(":")[2]
    if not option:
        return variable.label  # a derived group ("Receding or diffuse")
    if option == "any":
        # Translators: {question} is a multi-choice question; the grouping is whether a member
        # chose any of its options.
        return _("{question} (any of them)").format(question=prompt)
    choice = source.question.choice(option)
    return f"{prompt} ({choice.label if choice is not None else option})"


def _caption(service: ResultsService, comparison: Comparison) -> str:
    by = full_label(service, comparison.by)
    # Translators: {question} is what is compared, {grouping} the grouping it is compared by.
    return _("{question}, by {grouping}").format(
        question=full_label(service, comparison.question),
        grouping=formats.in_sentence(by, whole=False),
    )


def _table(comparison: Comparison, caption: str) -> str:
    k = comparison.k
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in comparison.levels)
    rows = []
    for group in comparison.groups:
        cells = "".join(
            f"<td>{html.escape(wording.with_share(value, group.total, k))}</td>"
            for value in group.cells
        )
        label = f"{group.label} ({wording.count_text(group.total, k)})"
        rows.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
    group_members = html.escape(_("Group (members)"))
    return (
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<tr><th>{group_members}</th>{head}</tr>{''.join(rows)}</table>"
    )


def _comparison_chart(comparison: Comparison, caption: str) -> bytes | None:
    k = comparison.k
    return charts.share_rows(
        caption,
        [label for _, label in comparison.levels],
        [
            (
                g.label,
                wording.count_text(g.total, k),
                [wording.count_text(c, k) for c in g.cells],
            )
            for g in comparison.groups
        ],
        comparison.hidden_groups,
        k,
    )


async def _comparisons_section(service: ResultsService, guild_id: int) -> list[str]:
    parts: list[str] = []
    for question_id, by_id, heading in service.ready_made():
        parts.append(f"<h3>{html.escape(heading)}</h3>")
        try:
            comparisons = await service.compare(guild_id, question_id, by_id, chart=False)
        except ComparisonRefused as exc:
            parts.append(_p(str(exc)))
            continue
        for comparison in comparisons:
            caption = _caption(service, comparison)
            png = await asyncio.to_thread(_comparison_chart, comparison, caption)
            # Translators: a chart's description for screen readers; {caption} names the
            # comparison.
            alt = _("Bar charts of each group's answers: {caption}").format(caption=caption)
            parts.append(_img(png, alt))
            parts.append(_scroll(_table(comparison, caption)))
            parts.append(_p(wording.statement(comparison)))
            if hidden := wording.hidden_note(comparison):
                parts.append(_p(hidden, "note"))
    return parts


# -- outcomes over time -----------------------------------------------------------------------


def _treatment_labels(service: ResultsService) -> dict[str, str]:
    question = service.questionnaire.question(TREATMENTS_QUESTION)
    return {c.id: c.label for c in question.choices} if question is not None else {}


def _outcomes_table(label: str, report: OutcomesReport) -> str:
    k = report.min_group_size
    heads = [
        _("Members"),
        *(_(SHEDDING_HEADS[level]) if level in SHEDDING_HEADS else level for level in SHEDDING),
        *(
            _(SIDE_EFFECT_HEADS[effect])
            if effect in SIDE_EFFECT_HEADS
            else effect.replace("_", " ").capitalize()
            for effect in SIDE_EFFECTS
        ),
    ]
    head = "<tr><th></th>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"
    rows = []
    for horizon in report.horizons:
        # Translators: a row of the outcomes table; {months} is 3 or 6.
        after = _("{months}+ months after starting").format(months=horizon.months)
        name = f"<td>{html.escape(after)}</td>"
        if not horizon.shown:
            span = 1 + len(SHEDDING) + len(SIDE_EFFECTS)
            later = _(
                "Shown once at least {k} members have checked in this long after starting."
            ).format(k=k)
            rows.append(f'<tr>{name}<td colspan="{span}">{html.escape(later)}</td></tr>')
            continue
        texts = [
            horizon.cohort,
            *(horizon.shedding[level] for level in SHEDDING),
            *(horizon.side_effects[effect] for effect in SIDE_EFFECTS),
        ]
        rows.append(f"<tr>{name}{''.join(f'<td>{html.escape(t)}</td>' for t in texts)}</tr>")
    return _scroll(f"<table><caption>{html.escape(label)}</caption>{head}{''.join(rows)}</table>")


async def _outcomes_section(service: ResultsService, guild_id: int, k: int) -> list[str]:
    """Outcomes over time from the check-ins, for every treatment with a cohort of k or
    more: the same protected counts `/treatment lookup` shows."""
    labels = _treatment_labels(service)
    found = await service.releases.part(guild_id, "overview")
    choices = list(found[1].get("outcomes", [])) if found else []
    order = {choice: index for index, choice in enumerate(labels)}
    choices.sort(key=lambda choice: (order.get(choice, len(order)), choice))
    tables = []
    for choice in choices:
        report = await service.releases.outcomes(guild_id, choice)
        if report.shown:
            tables.append(_outcomes_table(labels.get(choice, choice), report))
    months = str(HORIZONS[0])
    for later in HORIZONS[1:]:
        # Translators: numbers of months, e.g. "3 (or 6)".
        months = _("{months} (or {later})").format(months=months, later=later)
    # Translators: {months} is a number of months, or "3 (or 6)".
    about = _(
        "From the follow-up check-ins: members who gave the month they started a treatment, "
        "each counted at their first check-in at least {months} months after starting, "
        "whether or not they still use it. Shedding is compared with their previous "
        "check-in; side effects are those reported at any check-in since starting."
    ).format(months=months)
    parts = [f'<p class="note">{html.escape(about)} {html.escape(wording.rounding_note(k))}</p>']
    if not tables:
        none_yet = _(
            "No treatment has {k} or more members who checked in {months} months or more "
            "after starting it yet."
        ).format(k=k, months=HORIZONS[0])
        parts.append(_p(none_yet))
    return parts + tables
