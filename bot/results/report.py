"""`anagen report`: one self-contained HTML page (charts inlined) for a community blog. It
prints the server's latest release, the same numbers Discord shows: two reports made from one
release are identical, and the page is dated by its release, not by when it was written."""

from __future__ import annotations

import base64
import html

from bot.checkins.outcomes import (
    HORIZONS,
    SHEDDING,
    SIDE_EFFECTS,
    OutcomesReport,
)
from bot.results import wording
from bot.results.published import Comparison, ComparisonRefused, NotPublished
from bot.results.service import ResultsService

# The survey question whose choice ids name treatments in the regimen and check-ins.
TREATMENTS_QUESTION = "treatments"

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
h1, h2 { line-height: 1.2; } img { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 1rem 0; } caption { text-align: left; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: .9rem; }
"""


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    data = base64.b64encode(png).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _table(comparison: Comparison) -> str:
    k = comparison.k
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in comparison.levels)
    rows = []
    for group in comparison.groups:
        cells = []
        for value in group.cells:
            percent = wording.share(value, group.total)
            text = wording.count_text(value, k) + (f" ({percent}%)" if percent is not None else "")
            cells.append(f"<td>{html.escape(text)}</td>")
        label = f"{group.label} ({wording.count_text(group.total, k)})"
        rows.append(f"<tr><td>{html.escape(label)}</td>{''.join(cells)}</tr>")
    notes = [wording.hidden_note(comparison), wording.rounding_note(k)]
    rows.append(
        f'<tr><td colspan="{len(comparison.levels) + 1}">'
        f"{html.escape(' '.join(n for n in notes if n))}</td></tr>"
    )
    return (
        f"<table><caption>{html.escape(comparison.title)}</caption>"
        f"<tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            '<!doctype html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}: community results</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}: community results</h1>",
            *body,
            "</body></html>",
        ]
    )


async def build_report(service: ResultsService, guild_id: int) -> str:
    title = service.questionnaire.title
    try:
        overview = await service.overview(guild_id)
    except NotPublished as exc:
        return _page(title, [f"<p>{html.escape(str(exc))}</p>"])
    k = overview.k
    parts = [
        f'<p class="note">Release of {wording.release_date(overview.release)} '
        f"({overview.respondents} members), published by Anagen. Members chose to answer and "
        "describe themselves; this is not a clinical or representative sample, and an "
        f"association is not a cause. {html.escape(wording.rounding_note(k))} Not medical "
        "advice.</p>",
        "<h2>Overview</h2><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in wording.overview_lines(overview))
        + "</ul>",
        _img(overview.png, "Distribution of the key answers"),
        "<h2>The community's questions</h2>",
    ]
    for question_id, by_id, heading in service.ready_made():
        parts.append(f"<h3>{html.escape(heading)}</h3>")
        try:
            comparisons = await service.compare(guild_id, question_id, by_id)
        except ComparisonRefused as exc:
            parts.append(f"<p>{html.escape(str(exc))}</p>")
            continue
        for comparison in comparisons:
            parts.append(_table(comparison))
            parts.append(f"<p>{html.escape(wording.statement(comparison))}</p>")
            parts.append(_img(comparison.png, comparison.title))
    parts += await _outcomes_section(service, guild_id, k)
    return _page(title, parts)


def _treatment_labels(service: ResultsService) -> dict[str, str]:
    question = service.questionnaire.question(TREATMENTS_QUESTION)
    return {c.id: c.label for c in question.choices} if question is not None else {}


def _outcomes_table(label: str, report: OutcomesReport) -> str:
    k = report.min_group_size
    head = (
        "<tr><th></th><th>Members</th>"
        + "".join(f"<th>Shedding {html.escape(level)}</th>" for level in SHEDDING)
        + "".join(
            f"<th>{html.escape(effect.replace('_', ' ').capitalize())}</th>"
            for effect in SIDE_EFFECTS
        )
        + "</tr>"
    )
    rows = []
    for horizon in report.horizons:
        name = f"<td>{horizon.months}+ months after starting</td>"
        if not horizon.shown:
            span = 1 + len(SHEDDING) + len(SIDE_EFFECTS)
            rows.append(
                f'<tr>{name}<td colspan="{span}">Shown once at least {k} members have '
                "checked in this long after starting.</td></tr>"
            )
            continue
        texts = [
            horizon.cohort,
            *(horizon.shedding[level] for level in SHEDDING),
            *(horizon.side_effects[effect] for effect in SIDE_EFFECTS),
        ]
        rows.append(f"<tr>{name}{''.join(f'<td>{html.escape(t)}</td>' for t in texts)}</tr>")
    return f"<table><caption>{html.escape(label)}</caption>{head}{''.join(rows)}</table>"


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
    months = str(HORIZONS[0]) + "".join(f" (or {m})" for m in HORIZONS[1:])
    parts = [
        "<h2>Outcomes over time</h2>",
        '<p class="note">From the follow-up check-ins: members who gave the month they '
        f"started a treatment, each counted at their first check-in at least {months} "
        "months after starting, whether or not they still use it. Shedding is compared with "
        "their previous check-in; side effects are those reported at any check-in since "
        "starting. "
        f"{html.escape(wording.rounding_note(k))}</p>",
    ]
    if not tables:
        parts.append(
            f"<p>No treatment has {k} or more members who checked in {HORIZONS[0]} months or "
            "more after starting it yet.</p>"
        )
    return parts + tables
