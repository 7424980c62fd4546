"""A member's own check-in history (`/checkin history`): points over time, the regimen's
start/stop/dose-change marks, a short table and a chart.

Only completed check-ins count: one in progress may still change. Every label shown comes
from the questionnaire, so a translated or edited check-in file needs no code change.

The chart carries the exact series it plots as JSON in a PNG text chunk (`read_series`),
so tests can compare the picture's data with the database without reading pixels.

It is one module of a little over 500 lines because the series, the table and the chart
are one picture of the same points: split, each part would import the others' private
shapes.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.i18n import N_, _
from bot.png import read_text_chunk
from bot.storage.checkins import CheckinRepository, RegimenEntry
from bot.storage.responses import Answer, AnswerKey, Response, ResponseTables
from bot.storage.tx import Tx
from bot.survey.questionnaire import Choice, Questionnaire

# The check-in questions the history reads (checkin-v1.toml).
SHEDDING, ITCH, BURNING, SATISFACTION = "shedding", "itch", "burning", "satisfaction"
SIDE_EFFECTS = "regimen.side_effects"
TREATMENT_QUESTIONS = ("current", "started")  # where a treatment id's label is found
TABLE_COLUMNS = ("date", SHEDDING, ITCH, BURNING, SATISFACTION)
SERIES_KEY = "anagen:series"
NO_ANSWER = "–"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class MarkKind(StrEnum):
    STARTED = "started"
    STOPPED = "stopped"
    DOSE_CHANGED = "dose_changed"


_MARK_TEXTS = {
    # Translators: {treatment} is a treatment's name, e.g. "Finasteride started".
    MarkKind.STARTED: N_("{treatment} started"),
    MarkKind.STOPPED: N_("{treatment} stopped"),
    MarkKind.DOSE_CHANGED: N_("{treatment} dose changed"),
}


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One completed check-in. Skipped or unasked answers are None."""

    response_id: int
    at: datetime  # when it was completed, UTC
    shedding: str | None  # choice id of the shedding question
    itch: int | None
    burning: int | None
    satisfaction: str | None  # choice id
    side_effects: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (treatment id, effect ids)

    @property
    def day(self) -> date:
        return self.at.date()

    def side_effects_of(self, treatment_id: str) -> tuple[str, ...]:
        return next((found for t, found in self.side_effects if t == treatment_id), ())


@dataclass(frozen=True, slots=True)
class RegimenMark:
    """A treatment started, stopped or changed dose in a month (from the regimen)."""

    treatment_id: str
    treatment: str  # its label in the questionnaire
    month: str  # 'YYYY-MM'
    kind: MarkKind

    @property
    def day(self) -> date:
        """The month's first day, where the mark is drawn."""
        return date.fromisoformat(f"{self.month}-01")

    @property
    def text(self) -> str:
        return _(_MARK_TEXTS[self.kind]).format(treatment=self.treatment)


@dataclass(frozen=True, slots=True)
class History:
    points: tuple[HistoryPoint, ...]  # oldest first
    marks: tuple[RegimenMark, ...]  # by month
    shedding_levels: tuple[Choice, ...]  # the shedding question's choices, in file order
    satisfaction_levels: tuple[Choice, ...]
    scale: tuple[int, int] = (0, 10)  # itch and burning
    # Treatments in the regimen whose start month is unknown: no mark can be drawn for them,
    # so the message names them instead of leaving them out silently.
    undated: tuple[str, ...] = ()

    def shedding_score(self, level: str | None) -> float | None:
        """Choices centred on zero in file order: less / same / more give -1 / 0 / +1."""
        ids = [c.id for c in self.shedding_levels]
        if level not in ids:
            return None
        score = ids.index(level) - (len(ids) - 1) / 2
        return int(score) if score.is_integer() else score

    def shedding_answers(self) -> list[str]:
        """The shedding answers in order, as the member gave them (skipped ones left out)."""
        return [
            _label(self.shedding_levels, point.shedding)
            for point in self.points
            if self.shedding_score(point.shedding) is not None
        ]

    def table_rows(self) -> list[tuple[str, str, str, str, str]]:
        """date · shedding · itch · burning · satisfaction, one row per check-in."""
        return [
            (
                point.day.isoformat(),
                _label(self.shedding_levels, point.shedding),
                NO_ANSWER if point.itch is None else str(point.itch),
                NO_ANSWER if point.burning is None else str(point.burning),
                _label(self.satisfaction_levels, point.satisfaction),
            )
            for point in self.points
        ]


def _label(choices: Sequence[Choice], choice_id: str | None) -> str:
    if choice_id is None:
        return NO_ANSWER
    return next((c.label for c in choices if c.id == choice_id), choice_id)


# -- building -------------------------------------------------------------------------------


def _given(answers: Mapping[AnswerKey, Answer], question_id: str) -> Answer | None:
    answer = answers.get((question_id, ""))
    return None if answer is None or answer.skipped else answer


def _choice(answers: Mapping[AnswerKey, Answer], question_id: str) -> str | None:
    answer = _given(answers, question_id)
    return answer.choices[0] if answer and answer.choices else None


def _number(answers: Mapping[AnswerKey, Answer], question_id: str) -> int | None:
    answer = _given(answers, question_id)
    return None if answer is None else answer.number


def _point(response: Response, answers: Mapping[AnswerKey, Answer]) -> HistoryPoint:
    assert response.completed_at is not None
    side_effects = sorted(
        (item, answer.choices)
        for (question_id, item), answer in answers.items()
        if question_id == SIDE_EFFECTS and item and not answer.skipped
    )
    return HistoryPoint(
        response_id=response.id,
        at=datetime.fromisoformat(response.completed_at).astimezone(UTC),
        shedding=_choice(answers, SHEDDING),
        itch=_number(answers, ITCH),
        burning=_number(answers, BURNING),
        satisfaction=_choice(answers, SATISFACTION),
        side_effects=tuple(side_effects),
    )


def _treatment_labels(questionnaire: Questionnaire) -> dict[str, str]:
    labels: dict[str, str] = {}
    for question_id in reversed(TREATMENT_QUESTIONS):  # the first question's label wins
        question = questionnaire.question(question_id)
        labels |= {c.id: c.label for c in question.choices} if question else {}
    return labels


def _marks(questionnaire: Questionnaire, regimen: Iterable[RegimenEntry]) -> list[RegimenMark]:
    labels = _treatment_labels(questionnaire)
    marks = [
        RegimenMark(
            entry.treatment_id, labels.get(entry.treatment_id, entry.treatment_id), month, kind
        )
        for entry in regimen
        for month, kind in (
            (entry.started_month, MarkKind.STARTED),
            (entry.stopped_month, MarkKind.STOPPED),
            (entry.dose_changed_month, MarkKind.DOSE_CHANGED),
        )
        if month is not None
    ]
    kinds = list(MarkKind)
    return sorted(marks, key=lambda m: (m.month, kinds.index(m.kind), m.treatment))


def _levels(questionnaire: Questionnaire, question_id: str) -> tuple[Choice, ...]:
    question = questionnaire.question(question_id)
    return question.choices if question else ()


def build_history(
    questionnaire: Questionnaire,
    responses: Iterable[Response],
    answers_by_response: Mapping[int, Mapping[AnswerKey, Answer]],
    regimen: Iterable[RegimenEntry],
) -> History:
    """The member's history from stored records; check-ins still in progress are left out."""
    completed = [r for r in responses if r.completed and r.completed_at is not None]
    points = sorted(
        (_point(r, answers_by_response.get(r.id, {})) for r in completed),
        key=lambda p: (p.at, p.response_id),
    )
    itch = questionnaire.question(ITCH)
    scale = (
        (itch.min, itch.max)
        if itch is not None and itch.min is not None and itch.max is not None
        else (0, 10)
    )
    regimen = list(regimen)
    labels = _treatment_labels(questionnaire)
    return History(
        points=tuple(points),
        marks=tuple(_marks(questionnaire, regimen)),
        shedding_levels=_levels(questionnaire, SHEDDING),
        satisfaction_levels=_levels(questionnaire, SATISFACTION),
        scale=scale,
        undated=tuple(
            labels.get(e.treatment_id, e.treatment_id) for e in regimen if e.started_month is None
        ),
    )


def member_history(
    tx: Tx, tables: ResponseTables, questionnaire: Questionnaire, guild_id: int, user_id: int
) -> History:
    """One member's history from one read unit: their check-in responses (in `tables`), the
    answers of the completed ones, and their regimen."""
    stored = tables.on(tx)
    responses = stored.history(guild_id, user_id)
    answers = {r.id: stored.answers(r.id) for r in responses if r.completed}
    regimen = CheckinRepository(tx).regimen(guild_id, user_id)
    return build_history(questionnaire, responses, answers, regimen)


# -- the chart's data -------------------------------------------------------------------------


def chart_series(history: History) -> dict[str, Any]:
    """Exactly what `history_chart` draws, as JSON-ready data (instants as ISO text).

    Shedding is asked as a comparison with the check-in before, so each answer holds until
    the next one: a step from one check-in to the next (`to` is None for the latest)."""
    shedding: list[dict[str, Any]] = []
    for point in history.points:
        score = history.shedding_score(point.shedding)
        if score is not None:
            shedding.append({"at": point.at.isoformat(), "level": point.shedding, "score": score})
    steps = [
        {"from": point["at"], "to": later["at"] if later else None, "level": point["level"]}
        for point, later in zip(shedding, [*shedding[1:], None][: len(shedding)], strict=True)
    ]
    return {
        "shedding": shedding,
        "shedding_steps": steps,
        ITCH: _numbers(history, ITCH),
        BURNING: _numbers(history, BURNING),
        "marks": [
            {"month": m.month, "kind": m.kind.value, "treatment": m.treatment_id, "label": m.text}
            for m in history.marks
            if history.points  # without a check-in the chart only says so
        ],
    }


def _numbers(history: History, question_id: str) -> list[dict[str, Any]]:
    values = ((p.at, p.itch if question_id == ITCH else p.burning) for p in history.points)
    return [{"at": at.isoformat(), "value": value} for at, value in values if value is not None]


# -- the chart --------------------------------------------------------------------------------


def history_chart(history: History) -> bytes:
    """The member's chart as PNG: shedding (each answer a coloured step lasting until the
    next check-in) above, itch and burning below, treatment changes as numbered vertical
    lines on both, keyed beside them. A white background reads the same on Discord's dark
    and light themes. CPU-bound: callers in the event loop run it in a worker thread (no
    pyplot state is touched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    series = chart_series(history)
    figure = Figure(figsize=(11, 6.4), facecolor="white")
    FigureCanvasAgg(figure)
    if not history.points:
        _draw_empty(figure)
    else:
        top, bottom = figure.subplots(2, 1, sharex=True)
        _draw_shedding(top, series, history)
        _draw_scales(bottom, series, history.scale)
        _draw_marks((top, bottom), series["marks"])
        _set_time_axis(bottom, series)
        figure.suptitle(_("Your check-in history"), fontsize=14, fontweight="bold")
        figure.tight_layout(rect=(0, 0, 1, 0.96))
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=110,
        bbox_inches="tight",
        metadata={SERIES_KEY: json.dumps(series, sort_keys=True)},  # ASCII: a tEXt chunk
    )
    return buffer.getvalue()


# bot/results/chart_basics.py's palette for the data; muted marks so they never hide a point.
_TEAL, _ORANGE, _RED, _NAVY = "#2a9d8f", "#f4a261", "#e76f51", "#264653"
_MARK_STYLE = {
    MarkKind.STARTED.value: ("#6a994e", "-"),
    MarkKind.STOPPED.value: ("#b5838d", "--"),
    MarkKind.DOSE_CHANGED.value: ("#7a7a7a", ":"),
}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _month_instant(month: str) -> datetime:
    return datetime.fromisoformat(f"{month}-01T00:00:00+00:00")


def _draw_empty(figure: Any) -> None:
    axes = figure.add_subplot(1, 1, 1)
    axes.set_axis_off()
    axes.text(0.5, 0.5, _("No completed check-ins yet"), ha="center", va="center", fontsize=13)


def _style(axes: Any) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(axis="y", labelsize=8)


# Shedding answers by direction: less (a good sign), about the same, more.
_LESS, _SAME, _MORE = "#2a9d8f", "#8d99ae", "#bc4749"


def _direction(score: float) -> str:
    return _LESS if score < 0 else _MORE if score > 0 else _SAME


def _spans(series: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Where each shedding step is drawn: to the next answer, and the latest a third of the
    usual gap (it holds until a check-in not made yet)."""
    starts = [_instant(p["at"]) for p in series["shedding"]]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    last = (sum(gaps, timedelta()) / len(gaps)) / 3 if gaps else timedelta(days=5)
    return [
        (_instant(step["from"]), _instant(step["to"]) if step["to"] else start + last)
        for step, start in zip(series["shedding_steps"], starts, strict=True)
    ]


def _draw_shedding(axes: Any, series: dict[str, Any], history: History) -> None:
    """Each answer as a step at its level (less below, more above), in its colour, lasting
    until the next check-in: a member reads "more, then the same, then less" left to right,
    and nothing is added up."""
    points = series["shedding"]
    for index, (point, (start, end)) in enumerate(zip(points, _spans(series), strict=True)):
        colour = _direction(point["score"])
        axes.plot(
            [start, end], [point["score"]] * 2, color=colour, linewidth=6, solid_capstyle="butt"
        )
        if index + 1 < len(points):  # a thin riser to the next answer
            axes.plot(
                [end, end],
                [point["score"], points[index + 1]["score"]],
                color="#c8c8c8",
                linewidth=1.2,
                zorder=1,
            )
        axes.scatter(
            [start],
            [point["score"]],
            color=colour,
            s=40,
            zorder=3,
            edgecolors="white",
            linewidths=0.8,
        )
    labels = {history.shedding_score(c.id): c.label for c in history.shedding_levels}
    scores = sorted(score for score in labels if score is not None)
    ticks = scores or [0]
    axes.set_yticks(ticks, [labels.get(t) or "" for t in ticks], fontsize=9)
    axes.set_ylim(min(ticks) - 0.6, max(ticks) + 0.6)
    axes.set_title(
        _("Shedding: each answer compares with the check-in before, and holds until the next"),
        fontsize=10,
        loc="left",
    )
    from matplotlib.patches import Patch

    key = [
        Patch(color=_LESS, label=_("less shedding")),
        Patch(color=_SAME, label=_("about the same")),
        Patch(color=_MORE, label=_("more shedding")),
    ]
    _legend(axes, key)
    _style(axes)


# The lower chart's legend (each question's id was its label).
_SCALE_LABELS = {ITCH: N_("itch"), BURNING: N_("burning")}


def _draw_scales(axes: Any, series: dict[str, Any], scale: tuple[int, int]) -> None:
    for question_id, colour, marker in ((ITCH, _RED, "o"), (BURNING, _ORANGE, "s")):
        values = series[question_id]
        axes.plot(
            [_instant(v["at"]) for v in values],
            [v["value"] for v in values],
            color=colour,
            marker=marker,
            markersize=5,
            linewidth=1.8,
            label=_(_SCALE_LABELS[question_id]),
        )
    low, high = scale
    axes.set_ylim(low - 0.5, high + 0.5)
    axes.set_yticks(range(low, high + 1, max(1, (high - low) // 5)))
    # Translators: the lower chart's axis: both answers on a scale from {low} to {high}.
    axes.set_ylabel(_("itch and burning ({low}–{high})").format(low=low, high=high), fontsize=9)
    _legend(axes)
    _style(axes)


def _draw_marks(axes_pair: tuple[Any, Any], marks: list[dict[str, Any]]) -> None:
    """A numbered vertical line per mark, keyed beside the lower panel; marks of one month
    share one number label so labels never overlap."""
    top, bottom = axes_pair
    numbers: dict[str, list[str]] = {}
    keys = []
    for number, mark in enumerate(marks, start=1):
        colour, style = _MARK_STYLE[mark["kind"]]
        x = _month_instant(mark["month"])
        top.axvline(x, color=colour, linestyle=style, linewidth=1.4)
        line = bottom.axvline(x, color=colour, linestyle=style, linewidth=1.4)
        line.set_label(f"{number}. {mark['label']} ({mark['month']})")
        keys.append(line)
        numbers.setdefault(mark["month"], []).append(str(number))
    for month, shown in numbers.items():
        top.text(
            _month_instant(month),
            1.01,
            ",".join(shown),
            transform=top.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
        )
    handles, _labels = bottom.get_legend_handles_labels()
    _legend(bottom, [h for h in handles if h not in keys] + keys)


def _legend(axes: Any, handles: list[Any] | None = None) -> None:
    """Beside the panel, not over the data."""
    axes.legend(
        handles=handles or axes.get_legend_handles_labels()[0],
        fontsize=8,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
    )


def _set_time_axis(axes: Any, series: dict[str, Any]) -> None:
    """Span every point and mark; a short span (one check-in) gets a week either side."""
    import matplotlib.dates as mdates

    instants = [
        _instant(item["at"]) for key in ("shedding", ITCH, BURNING) for item in series[key]
    ] + [_month_instant(m["month"]) for m in series["marks"]]
    instants += [end for _start, end in _spans(series)]
    if instants:
        first, last = min(instants), max(instants)
        span = last - first
        pad = timedelta(days=7) if span < timedelta(days=14) else span * 0.05
        axes.set_xlim(first - pad, last + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes.tick_params(axis="x", labelsize=8)


# -- reading the data back --------------------------------------------------------------------


def read_series(png: bytes) -> dict[str, Any]:
    """The series `history_chart` embedded in `png`."""
    loaded = json.loads(read_text_chunk(png, SERIES_KEY))
    if not isinstance(loaded, dict):
        raise ValueError(f"{SERIES_KEY} is not a JSON object")
    return loaded
