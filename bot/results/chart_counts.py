"""Published answer counts as horizontal bars: one question's answers per panel, several
panels side by side for a wide screen (`bar_panels`), or one question on its own picture for
a phone (`bar_chart`). A hidden count is a short hatched grey bar, never an empty space."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.i18n import _, formats
from bot.results.chart_basics import (
    COLOURS,
    HIDDEN_EDGE,
    HIDDEN_FACE,
    HIDDEN_HATCH,
    HIDDEN_TEXT,
    PHONE,
    SCREEN,
    Layout,
    hidden_note,
    percent,
    shown,
    style_axes,
    to_png,
    value_of,
    wrap,
)


@dataclass(frozen=True, slots=True)
class BarPanel:
    """One question's published answer counts, drawn as one subplot of `bar_panels`."""

    title: str  # e.g. "Where do you notice hair loss?"
    n: str  # the panel's published n: "45" or "<5"; shares are of it
    bars: tuple[tuple[str, str], ...]  # (answer label, published text "15" or "<5"), in order
    # What the shares are of, when it is not the members who answered ("of all 46 members
    # counted"); shown instead of "n=…".
    counted: str = ""


def bar_panels(panels: Sequence[BarPanel], title: str, k: int) -> bytes | None:
    """Horizontal bars, one subplot per panel (2 columns). None when there are no panels.

    A number is drawn at its height and labelled "15 (33%)" (the share of the panel's n, when
    that n is a number); a hidden count is a short hatched grey bar labelled "hidden (fewer
    than k)" so it never reads as nobody. A panel whose bars are all hidden is still drawn."""
    if not panels:
        return None
    columns = min(2, len(panels))
    rows = -(-len(panels) // columns)
    # each row of panels is as tall as its longest panel needs (labels wrap to 2-3 lines)
    heights = [
        1.3 + 0.42 * max(max(len(p.bars), 1) for p in panels[r * columns : (r + 1) * columns])
        for r in range(rows)
    ]
    figure = Figure(figsize=(11 if columns == 2 else 6.5, sum(heights) + 0.6))
    grid = figure.add_gridspec(rows, columns, height_ratios=heights)
    figure.suptitle(wrap(title, 90), fontsize=12, fontweight="bold")
    drawn_panels = []
    for index, panel in enumerate(panels):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        # one colour: a colour per panel would mean nothing
        drawn_panels.append(_draw_panel(axes, panel, COLOURS[0], k, SCREEN))
    figure.tight_layout()  # it leaves room for the suptitle itself
    drawn = {"kind": "panels", "title": title, "panels": drawn_panels}
    return to_png(figure, drawn)


def bar_chart(panel: BarPanel, k: int, layout: Layout = PHONE) -> bytes:
    """One question on its own picture, sized for a phone (`PHONE`): its answers as
    horizontal bars, drawn as in `bar_panels`."""
    lines = len(textwrap.wrap(panel.title, layout.wrap * 2)) + 1
    figure = Figure(figsize=(layout.width, 0.9 + 0.28 * lines + 0.45 * max(len(panel.bars), 1)))
    axes = figure.add_subplot(1, 1, 1)
    drawn_panel = _draw_panel(axes, panel, COLOURS[0], k, layout)
    figure.tight_layout()
    return to_png(figure, {"kind": "panels", "title": panel.title, "panels": [drawn_panel]}, layout)


def _draw_panel(axes: Axes, panel: BarPanel, colour: str, k: int, layout: Layout) -> dict[str, Any]:
    """One panel, top to bottom in the given order; returns what it drew."""
    n = value_of(panel.n)
    values = [value_of(text) for _, text in panel.bars]
    top = max([v for v in values if v is not None] + [0])
    # room for the labels at the bar ends: more on a narrow picture
    right = max(top * (1.55 if layout.width > 6 else 1.75), k * 4.0)
    # a hidden bar is short (k/2) but never thinner than a sliver of the axis, never past k
    placeholder = min(float(k), max(k / 2, right * 0.02))
    bars = []
    count = len(panel.bars)
    for position, ((label, text), value) in enumerate(zip(panel.bars, values, strict=True)):
        y = count - 1 - position  # first bar on top
        if value is None:
            axes.barh(
                y,
                placeholder,
                height=0.7,
                color=HIDDEN_FACE,
                edgecolor=HIDDEN_EDGE,
                hatch=HIDDEN_HATCH,
                linewidth=0.8,
            )
            note, end, style = hidden_note(k), placeholder, "italic"
        else:
            axes.barh(y, value, height=0.7, color=colour)
            share = f" ({percent(round(100 * value / n))})" if n is not None and n > 0 else ""
            note, end, style = f"{formats.number(value)}{share}", value, "normal"
        axes.annotate(
            note,
            (end, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=layout.text,
            fontstyle=style,
            color=HIDDEN_TEXT if value is None else "black",
        )
        bars.append(
            {"label": label, "text": text, "drawn": "bar" if value is not None else "hidden"}
        )
    if not panel.bars:
        axes.text(
            0.5,
            0.5,
            _("no answers to show"),
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=layout.text,
            color=HIDDEN_TEXT,
        )
    axes.set_yticks(range(count), [wrap(label, layout.wrap) for label, _ in panel.bars][::-1])
    axes.set_ylim(-0.6, max(count, 1) - 0.4)
    axes.set_xlim(0, right)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(value)))
    counted = panel.counted or f"n={shown(panel.n)}"
    title_width = 52 if layout is SCREEN else layout.wrap * 2
    axes.set_title(wrap(f"{panel.title} ({counted})", title_width), fontsize=layout.title)
    axes.tick_params(axis="y", labelsize=layout.text, length=0)
    axes.tick_params(axis="x", labelsize=layout.text)
    # Translators: an axis of counts of members.
    axes.set_xlabel(_("members (rounded to 5)"), fontsize=layout.text)
    axes.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    style_axes(axes)
    return {"title": panel.title, "n": panel.n, "bars": bars}
