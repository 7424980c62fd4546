"""`anagen report`: one self-contained HTML page (charts inlined) for a community blog,
under the same privacy rules as Discord: no count under k, no free text."""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime

from bot.checkins.outcomes import (
    HORIZONS,
    SHEDDING,
    SIDE_EFFECTS,
    OutcomesReport,
    started_treatments,
    treatment_outcomes,
)
from bot.results.service import Comparison, ComparisonRefused, ResultsService

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
    head = "".join(
        f"<th>{html.escape(comparison.question.level_label(level))}</th>"
        for level in comparison.levels
    )
    rows = []
    for group, texts in zip(comparison.groups, comparison.shown, strict=True):
        cells = "".join(f"<td>{html.escape(text)}</td>" for text in texts)
        label = comparison.by.level_label(group)
        rows.append(f"<tr><td>{html.escape(label)}</td>{cells}</tr>")
    rows.append(
        f'<tr><td colspan="{len(comparison.levels) + 1}">Answers and groups of fewer than '
        f"{k} members are left out.</td></tr>"
    )
    return (
        f"<table><caption>{html.escape(comparison.title)}</caption>"
        f"<tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


async def build_report(service: ResultsService, guild_id: int) -> str:
    overview = await service.overview(guild_id)
    k = overview.k
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(service.questionnaire.title)}: community results</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(service.questionnaire.title)}: community results</h1>",
        f'<p class="note">Generated {datetime.now(UTC):%Y-%m-%d} by Anagen. Members chose to '
        "answer and describe themselves; this is not a clinical or representative sample, and "
        f"an association is not a cause. Any count below {k} is shown as &lt;{k} so that no "
        "one can be singled out. Not medical advice.</p>",
    ]
    if overview.respondents < k:
        parts.append(
            f"<p>Fewer than {k} members have completed the survey, so there are no "
            "results to publish yet.</p>"
        )
        parts += await _outcomes_section(service, guild_id, k)
        parts.append("</body></html>")
        return "".join(parts)
    summary = overview.summary().replace("**", "")
    lines = [line.removeprefix("• ").removeprefix("-# ") for line in summary.splitlines()]
    parts.append(
        "<h2>Overview</h2><ul>"
        + "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        + "</ul>"
    )
    parts.append(_img(overview.png, "Distribution of the key answers"))
    parts.append("<h2>The community's questions</h2>")
    for question_id, by_id, title in service.ready_made():
        parts.append(f"<h3>{html.escape(title)}</h3>")
        try:
            comparisons = await service.compare(guild_id, question_id, by_id)
        except ComparisonRefused as exc:
            parts.append(f"<p>{html.escape(str(exc))}</p>")
            continue
        for comparison in comparisons:
            parts.append(_table(comparison))
            parts.append(f"<p>{html.escape(comparison.statement())}</p>")
            parts.append(_img(comparison.png, comparison.title))
    parts += await _outcomes_section(service, guild_id, k)
    parts.append("</body></html>")
    return "\n".join(parts)


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
    choices = await started_treatments(service.db, guild_id)
    order = {choice: index for index, choice in enumerate(labels)}
    choices.sort(key=lambda choice: (order.get(choice, len(order)), choice))
    tables = []
    for choice in choices:
        report = await treatment_outcomes(service.db, guild_id, choice)
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
        f"Counts below {k} (zero included) are shown as &lt;{k}, and – marks a number "
        "hidden so that a small count cannot be worked out.</p>",
    ]
    if not tables:
        parts.append(
            f"<p>No treatment has {k} or more members who checked in {HORIZONS[0]} months or "
            "more after starting it yet.</p>"
        )
    return parts + tables
