"""Each answer's share of each group, from the published counts: side by side as grouped
bars for a wide screen (`grouped_percentages`), or one group's panel under another on a shared
0-100% axis for a phone (`share_rows`). A hidden cell is a hatched stub and a held-back group
keeps its own hatched slot, so no group silently disappears."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.i18n import _, formats
from bot.results.chart_basics import (
    COLOURS,
    HIDDEN_EDGE,
    HIDDEN_FACE,
    HIDDEN_HATCH,
    HIDDEN_TEXT,
    PHONE,
    Layout,
    hidden_patch,
    percent,
    shown,
    style_axes,
    to_png,
    value_of,
    wrap,
)

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
                    color=HIDDEN_FACE,
                    edgecolor=HIDDEN_EDGE,
                    hatch=HIDDEN_HATCH,
                    linewidth=0.8,
                )
                _bar_label(axes, x, stub, text, None, hidden=True)
            else:
                axes.bar(x, share, width * 0.92, color=COLOURS[column % len(COLOURS)])
                _bar_label(axes, x, share, percent(share), shown(text))

    for x in range(len(groups), slots):
        axes.axvspan(
            x - 0.4,
            x + 0.4,
            facecolor="#f6f6f6",  # lighter than a stub: a whole slot must not look like a bar
            edgecolor="#b8b8b8",
            hatch=HIDDEN_HATCH,
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
            color=HIDDEN_TEXT,
            fontstyle="italic",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
        )

    ticks = [f"{wrap(label, 16)}\n(n={shown(total)})" for label, total, _texts in groups]
    ticks += [wrap(label, 16) for label in hidden_groups]
    axes.set_xticks(range(slots), ticks)
    axes.set_xlim(-0.6, slots - 0.4)
    axes.set_ylim(0, top)
    axes.tick_params(axis="x", labelsize=8, length=0)
    axes.tick_params(axis="y", labelsize=8)
    # Translators: an axis of shares, in percent of each group's members.
    axes.set_ylabel(_("% of the group (counts rounded to 5)"), fontsize=9)
    axes.set_title(wrap(title, 80), fontsize=11)
    axes.grid(axis="y", color="#e6e6e6", linewidth=0.6)
    style_axes(axes)
    handles: list[Any] = [
        Patch(color=COLOURS[column % len(COLOURS)], label=wrap(level, 28))
        for column, level in enumerate(levels)
    ]
    axes.legend(
        handles=[*handles, hidden_patch(k)],
        fontsize=8,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
    )
    figure.tight_layout()
    drawn = _drawn_groups("grouped", title, levels, groups, table, hidden_groups)
    return to_png(figure, drawn)


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
    value, total = value_of(text), value_of(total_text)
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
        color=HIDDEN_TEXT if hidden else "black",
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
                    color=HIDDEN_FACE,
                    edgecolor=HIDDEN_EDGE,
                    hatch=HIDDEN_HATCH,
                    linewidth=0.8,
                )
                note, end = text, stub
            else:
                axes.barh(y, share, height=0.72, color=COLOURS[position % len(COLOURS)])
                note, end = f"{shown(text)} ({percent(share)})", share
            axes.annotate(
                note,
                (end, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=layout.text,
                fontstyle="italic" if share is None else "normal",
                color=HIDDEN_TEXT if share is None else "black",
            )
        axes.set_yticks(range(len(levels)), [wrap(level, layout.wrap) for level in levels][::-1])
        axes.set_ylim(-0.6, len(levels) - 0.4)
        axes.set_title(
            wrap(f"{label} (n={shown(total)})", layout.wrap * 2),
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
            hatch=HIDDEN_HATCH,
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
            color=HIDDEN_TEXT,
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
    figure.suptitle(wrap(title, layout.wrap * 2), fontsize=layout.title)
    figure.tight_layout()
    drawn = _drawn_groups("rows", title, levels, groups, table, hidden_groups)
    return to_png(figure, drawn, layout)


def _row_style(axes: Axes, layout: Layout) -> None:
    axes.tick_params(axis="y", labelsize=layout.text, length=0)
    axes.tick_params(axis="x", labelsize=layout.text)
    axes.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    style_axes(axes)
