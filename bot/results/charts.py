"""PNG charts of published (rounded, small-count-protected) results, with matplotlib's object
API and the Agg canvas: no display, no global pyplot state, so charts can be drawn in a worker
thread while the bot keeps serving.

Every count given here is a published text: a number (a count rounded to 5) or "<k" (fewer than
k members). A chart never lies by omission: a hidden answer or group is drawn as a labelled,
hatched grey mark, never as empty space or a zero bar. What was drawn is embedded in the PNG as
a JSON text chunk (`DRAWN_KEY`) so tests and the report can read it back with `read_drawn`.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.i18n import _, formats
from bot.png import read_text_chunk

COLOURS = ("#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#264653", "#8ab17d", "#b5838d")
DRAWN_KEY = "anagen:drawn"


@dataclass(frozen=True, slots=True)
class Layout:
    """How wide a chart is drawn and how big its smallest text is. A picture is shown scaled
    to the reader's column, so text stays readable only if the figure is narrow enough for its
    text size: on a 360 px phone column, `text` points come out as
    ``text / 72 * 360 / width`` pixels, whatever the dpi (the dpi only sets the sharpness)."""

    width: float  # inches
    text: float  # the smallest text, points
    dpi: int
    wrap: int  # characters per line of an answer's label

    @property
    def title(self) -> float:
        return self.text + 2


# The seven-panel overview for a wide screen, and one question per picture for a phone
# (Discord's own column on a phone, or the HTML report): 10.5 pt on 4.8 in is 11 px at 360 px.
SCREEN = Layout(width=11.0, text=8.0, dpi=110, wrap=24)
PHONE = Layout(width=4.8, text=10.5, dpi=150, wrap=18)

# The look of a hidden count: light, hatched and outlined, so it reads as "a mark", not a value.
_HIDDEN_FACE, _HIDDEN_EDGE, _HIDDEN_TEXT, _HIDDEN_HATCH = "#ececec", "#8a8a8a", "#555555", "//"


@dataclass(frozen=True, slots=True)
class BarPanel:
    """One question's published answer counts, drawn as one subplot of `bar_panels`."""

    title: str  # e.g. "Where do you notice hair loss?"
    n: str  # the panel's published n: "45" or "<5"; shares are of it
    bars: tuple[tuple[str, str], ...]  # (answer label, published text "15" or "<5"), in order
    # What the shares are of, when it is not the members who answered ("of all 46 members
    # counted"); shown instead of "n=…".
    counted: str = ""


# -- helpers ----------------------------------------------------------------------------------


def _count(text: str) -> int | None:
    """The number a published text stands for; None when it is hidden ("<k"). Anything else is
    a caller's bug: refusing it beats drawing a guess."""
    if text.isascii() and text.isdigit():
        return int(text)
    if text.startswith("<"):
        return None
    raise ValueError(f"not a published count: {text!r} (expected digits or '<k')")


def _shown(text: str) -> str:
    """A published text as drawn: a number as the current language writes it ("1,234",
    "1.234"), or "<k" as it is."""
    value = _count(text)
    return text if value is None else formats.number(value)


def _percent(share: int) -> str:
    """A whole percent as the current language writes it ("33%", "33 %", "%33")."""
    return formats.percent(share / 100)


def _hidden_note(k: int) -> str:
    # Translators: the label of a count that is not shown, e.g. "hidden (fewer than 5)".
    return _("hidden (fewer than {k})").format(k=formats.number(k))


def _png(figure: Figure, drawn: dict[str, Any], layout: Layout = SCREEN) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=layout.dpi, bbox_inches="tight", facecolor="white")
    drawn = {**drawn, "layout": {"text_pt": layout.text, "dpi": layout.dpi}}
    return _compact(buffer.getvalue(), json.dumps(drawn, sort_keys=True), layout.dpi)


def _compact(png: bytes, drawn: str, dpi: int) -> bytes:
    """The PNG with 64 colours (a chart is a few flat colours and anti-aliased text: the
    picture looks the same at a third of the bytes, which a report of twenty charts read on
    a phone needs), and what it drew as a tEXt chunk (`json.dumps` writes ASCII)."""
    from PIL import Image, PngImagePlugin  # matplotlib's own image library

    info = PngImagePlugin.PngInfo()
    info.add_text(DRAWN_KEY, drawn)
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(colors=64).save(
            out, format="PNG", pnginfo=info, optimize=True, dpi=(dpi, dpi)
        )
    return out.getvalue()


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def _hidden_patch(k: int) -> Patch:
    return Patch(
        facecolor=_HIDDEN_FACE,
        edgecolor=_HIDDEN_EDGE,
        hatch=_HIDDEN_HATCH,
        label=_hidden_note(k),
    )


def _style(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_axisbelow(True)


# -- bar panels -------------------------------------------------------------------------------


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
    figure.suptitle(_wrap(title, 90), fontsize=12, fontweight="bold")
    drawn_panels = []
    for index, panel in enumerate(panels):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        # one colour: a colour per panel would mean nothing
        drawn_panels.append(_draw_panel(axes, panel, COLOURS[0], k, SCREEN))
    figure.tight_layout()  # it leaves room for the suptitle itself
    drawn = {"kind": "panels", "title": title, "panels": drawn_panels}
    return _png(figure, drawn)


def bar_chart(panel: BarPanel, k: int, layout: Layout = PHONE) -> bytes:
    """One question on its own picture, sized for a phone (`PHONE`): its answers as
    horizontal bars, drawn as in `bar_panels`."""
    lines = len(textwrap.wrap(panel.title, layout.wrap * 2)) + 1
    figure = Figure(figsize=(layout.width, 0.9 + 0.28 * lines + 0.45 * max(len(panel.bars), 1)))
    axes = figure.add_subplot(1, 1, 1)
    drawn_panel = _draw_panel(axes, panel, COLOURS[0], k, layout)
    figure.tight_layout()
    return _png(figure, {"kind": "panels", "title": panel.title, "panels": [drawn_panel]}, layout)


def _draw_panel(axes: Axes, panel: BarPanel, colour: str, k: int, layout: Layout) -> dict[str, Any]:
    """One panel, top to bottom in the given order; returns what it drew."""
    n = _count(panel.n)
    values = [_count(text) for _, text in panel.bars]
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
                color=_HIDDEN_FACE,
                edgecolor=_HIDDEN_EDGE,
                hatch=_HIDDEN_HATCH,
                linewidth=0.8,
            )
            note, end, style = _hidden_note(k), placeholder, "italic"
        else:
            axes.barh(y, value, height=0.7, color=colour)
            share = f" ({_percent(round(100 * value / n))})" if n is not None and n > 0 else ""
            note, end, style = f"{formats.number(value)}{share}", value, "normal"
        axes.annotate(
            note,
            (end, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=layout.text,
            fontstyle=style,
            color=_HIDDEN_TEXT if value is None else "black",
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
            color=_HIDDEN_TEXT,
        )
    axes.set_yticks(range(count), [_wrap(label, layout.wrap) for label, _ in panel.bars][::-1])
    axes.set_ylim(-0.6, max(count, 1) - 0.4)
    axes.set_xlim(0, right)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: formats.number(value)))
    counted = panel.counted or f"n={_shown(panel.n)}"
    title_width = 52 if layout is SCREEN else layout.wrap * 2
    axes.set_title(_wrap(f"{panel.title} ({counted})", title_width), fontsize=layout.title)
    axes.tick_params(axis="y", labelsize=layout.text, length=0)
    axes.tick_params(axis="x", labelsize=layout.text)
    # Translators: an axis of counts of members.
    axes.set_xlabel(_("members (rounded to 5)"), fontsize=layout.text)
    axes.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    _style(axes)
    return {"title": panel.title, "n": panel.n, "bars": bars}


# -- grouped percentages ----------------------------------------------------------------------


def grouped_percentages(
    title: str,
    levels: Sequence[str],
    groups: Sequence[tuple[str, str, Sequence[str]]],
    hidden_groups: Sequence[str],
    k: int,
) -> bytes | None:
    """Within each shown group, each answer's share of the group, as grouped bars. None when
    no group is shown (nothing to draw).

    `groups` holds (label, published total, published cell text per level). A share is
    cell / total of the published (rounded) numbers, so a group's shares need not add to 100.
    A "<k" cell is a hatched grey stub labelled "<k"; each held-back group gets its own slot,
    hatched and labelled "hidden: fewer than k", so no group silently disappears."""
    if not groups:
        return None
    width = 0.8 / max(1, len(levels))
    slots = len(groups) + len(hidden_groups)
    figure = Figure(figsize=(min(18.0, max(6.5, 2.5 + slots * (0.34 * len(levels) + 0.35))), 4.8))
    axes = figure.add_subplot(1, 1, 1)

    table: list[list[int | None]] = []  # each group's share per level; None: not drawable
    for label, total_text, texts in groups:
        if len(texts) != len(levels):
            raise ValueError(f"group {label!r}: {len(texts)} cells for {len(levels)} levels")
        table.append([_share(text, total_text) for text in texts])

    top = max(20.0, max((s for row in table for s in row if s is not None), default=0) * 1.22 + 6)
    stub = top * 0.035  # a hidden cell: a visible sliver, far below any real share
    for index, ((_label, _total, texts), row) in enumerate(zip(groups, table, strict=True)):
        for column, (text, share) in enumerate(zip(texts, row, strict=True)):
            x = index - 0.4 + width * (column + 0.5)
            if share is None:
                axes.bar(
                    x,
                    stub,
                    width * 0.92,
                    color=_HIDDEN_FACE,
                    edgecolor=_HIDDEN_EDGE,
                    hatch=_HIDDEN_HATCH,
                    linewidth=0.8,
                )
                _bar_label(axes, x, stub, text, None, hidden=True)
            else:
                axes.bar(x, share, width * 0.92, color=COLOURS[column % len(COLOURS)])
                _bar_label(axes, x, share, _percent(share), _shown(text))

    for x in range(len(groups), slots):
        axes.axvspan(
            x - 0.4,
            x + 0.4,
            facecolor="#f6f6f6",  # lighter than a stub: a whole slot must not look like a bar
            edgecolor="#b8b8b8",
            hatch=_HIDDEN_HATCH,
            linestyle="--",
            linewidth=0.8,
        )
        axes.text(
            x,
            top * 0.5,
            # Translators: a group that is not shown, on three short lines (keep the line
            # breaks, "\n"); {k} is the smallest group shown, e.g. 5.
            _("hidden:\nfewer\nthan {k}").format(k=formats.number(k)),
            ha="center",
            va="center",
            fontsize=8,
            color=_HIDDEN_TEXT,
            fontstyle="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
        )

    ticks = [f"{_wrap(label, 16)}\n(n={_shown(total)})" for label, total, _texts in groups]
    ticks += [_wrap(label, 16) for label in hidden_groups]
    axes.set_xticks(range(slots), ticks)
    axes.set_xlim(-0.6, slots - 0.4)
    axes.set_ylim(0, top)
    axes.tick_params(axis="x", labelsize=8, length=0)
    axes.tick_params(axis="y", labelsize=8)
    # Translators: an axis of shares, in percent of each group's members.
    axes.set_ylabel(_("% of the group (counts rounded to 5)"), fontsize=9)
    axes.set_title(_wrap(title, 80), fontsize=11)
    axes.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    _style(axes)
    handles: list[Any] = [
        Patch(color=COLOURS[column % len(COLOURS)], label=_wrap(level, 28))
        for column, level in enumerate(levels)
    ]
    axes.legend(
        handles=[*handles, _hidden_patch(k)],
        fontsize=8,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
    )
    figure.tight_layout()
    drawn = _drawn_groups("grouped", title, levels, groups, table, hidden_groups)
    return _png(figure, drawn)


def _drawn_groups(
    kind: str,
    title: str,
    levels: Sequence[str],
    groups: Sequence[tuple[str, str, Sequence[str]]],
    table: Sequence[Sequence[float | None]],
    hidden_groups: Sequence[str],
) -> dict[str, Any]:
    """What a grouped chart shows, cell by cell, stored in its PNG for tests and readers."""
    return {
        "kind": kind,
        "title": title,
        "levels": list(levels),
        "groups": [
            {
                "label": label,
                "total": total,
                "cells": [
                    {
                        "level": level,
                        "text": text,
                        "share": share,
                        "drawn": "bar" if share is not None else "hidden",
                    }
                    for level, text, share in zip(levels, texts, row, strict=True)
                ],
            }
            for (label, total, texts), row in zip(groups, table, strict=True)
        ],
        "hidden_groups": [{"label": label, "drawn": "hidden"} for label in hidden_groups],
    }


def _share(text: str, total_text: str) -> int | None:
    """A cell's share (%) of its group from the published numbers; None when either is hidden
    (or the total is 0), so the cell is drawn as a hidden mark, not as a guess."""
    value, total = _count(text), _count(total_text)
    if value is None or total is None or total <= 0:
        return None
    return round(100 * value / total)


def _bar_label(
    axes: Axes, x: float, y: float, main: str, small: str | None, *, hidden: bool = False
) -> None:
    """The share on top of a bar and, smaller, the published count under it."""
    axes.annotate(
        main,
        (x, y),
        xytext=(0, 9 if small else 2),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=8,
        fontstyle="italic" if hidden else "normal",
        color=_HIDDEN_TEXT if hidden else "black",
    )
    if small:
        axes.annotate(
            small,
            (x, y),
            xytext=(0, 1.5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="#555555",
        )


# -- shares, one group under another (for a phone) -----------------------------------------


def share_rows(
    title: str,
    levels: Sequence[str],
    groups: Sequence[tuple[str, str, Sequence[str]]],
    hidden_groups: Sequence[str],
    k: int,
    layout: Layout = PHONE,
) -> bytes | None:
    """Within each shown group, each answer's share of the group, one small panel per group
    stacked on one shared 0-100% axis: on a narrow column every label stays on its own line
    (`grouped_percentages` is the wide, side-by-side form). None when no group is shown.

    `groups` holds (label, published total, published cell text per level), as in
    `grouped_percentages`; a "<k" cell is a hatched stub labelled "<k", and the held-back
    groups are named in a last hatched panel, "Hidden: fewer than k members each"."""
    if not groups:
        return None
    table: list[list[int | None]] = []
    for label, total_text, texts in groups:
        if len(texts) != len(levels):
            raise ValueError(f"group {label!r}: {len(texts)} cells for {len(levels)} levels")
        table.append([_share(text, total_text) for text in texts])
    top = max((s for row in table for s in row if s is not None), default=0)
    right = max(40.0, top * 1.6)  # room for "15 (100%)" at the end of the longest bar
    title_lines = len(textwrap.wrap(title, layout.wrap * 2))
    heights = [0.42 + 0.34 * len(levels)] * len(groups)
    # every held-back group is named in one hatched panel under the others
    hidden_text = "\n".join(textwrap.wrap(", ".join(hidden_groups), layout.wrap * 2))
    if hidden_groups:
        heights.append(0.45 + 0.2 * (hidden_text.count("\n") + 1))
    figure = Figure(figsize=(layout.width, sum(heights) + 0.55 + 0.3 * title_lines))
    panels = figure.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)
    for axes, (label, total, texts), row in zip(panels[:, 0], groups, table, strict=False):
        for position, (text, share) in enumerate(zip(texts, row, strict=True)):
            y = len(levels) - 1 - position  # first answer on top
            if share is None:
                stub = right * 0.03
                axes.barh(
                    y,
                    stub,
                    height=0.72,
                    color=_HIDDEN_FACE,
                    edgecolor=_HIDDEN_EDGE,
                    hatch=_HIDDEN_HATCH,
                    linewidth=0.8,
                )
                note, end = text, stub
            else:
                axes.barh(y, share, height=0.72, color=COLOURS[position % len(COLOURS)])
                note, end = f"{_shown(text)} ({_percent(share)})", share
            axes.annotate(
                note,
                (end, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=layout.text,
                fontstyle="italic" if share is None else "normal",
                color=_HIDDEN_TEXT if share is None else "black",
            )
        axes.set_yticks(range(len(levels)), [_wrap(level, layout.wrap) for level in levels][::-1])
        axes.set_ylim(-0.6, len(levels) - 0.4)
        axes.set_title(
            _wrap(f"{label} (n={_shown(total)})", layout.wrap * 2),
            fontsize=layout.text,
            fontweight="bold",
            loc="left",
        )
        _row_style(axes, layout)
    if hidden_groups:
        axes = panels[-1, 0]
        axes.axvspan(
            0,
            right,
            facecolor="#f6f6f6",  # lighter than a stub: a whole group must not look like a bar
            edgecolor="#b8b8b8",
            hatch=_HIDDEN_HATCH,
            linestyle="--",
            linewidth=0.8,
        )
        axes.text(
            right / 2,
            0,
            hidden_text,
            ha="center",
            va="center",
            fontsize=layout.text,
            color=_HIDDEN_TEXT,
            fontstyle="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
        )
        axes.set_yticks([0], [""])
        axes.set_ylim(-0.5, 0.5)
        axes.set_title(
            _("Hidden: fewer than {k} members each").format(k=formats.number(k)),
            fontsize=layout.text,
            fontweight="bold",
            loc="left",
        )
        _row_style(axes, layout)
    bottom = panels[-1, 0]
    bottom.set_xlim(0, right)
    bottom.set_xticks([t for t in (0, 25, 50, 75, 100) if t <= right])
    # Translators: an axis of shares, in percent of each group's members.
    bottom.set_xlabel(_("% of the group (counts rounded to 5)"), fontsize=layout.text)
    figure.suptitle(_wrap(title, layout.wrap * 2), fontsize=layout.title)
    figure.tight_layout()
    drawn = _drawn_groups("rows", title, levels, groups, table, hidden_groups)
    return _png(figure, drawn, layout)


def _row_style(axes: Axes, layout: Layout) -> None:
    axes.tick_params(axis="y", labelsize=layout.text, length=0)
    axes.tick_params(axis="x", labelsize=layout.text)
    axes.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    _style(axes)


# -- reading back -----------------------------------------------------------------------------


def read_drawn(png: bytes) -> dict[str, Any]:
    """What a chart drew, read back from its DRAWN_KEY text chunk (for tests and the report)."""
    loaded = json.loads(read_text_chunk(png, DRAWN_KEY))
    if not isinstance(loaded, dict):
        raise ValueError(f"{DRAWN_KEY} is not a JSON object")
    return loaded
