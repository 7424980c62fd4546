"""PNG charts with matplotlib's object API and the Agg canvas: no display, no global pyplot
state, so charts can be drawn in a worker thread while the bot keeps serving."""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

COLOURS = ("#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#264653", "#8ab17d", "#b5838d")


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def bar_panels(panels: list[tuple[str, list[tuple[str, int, str]]]], title: str) -> bytes:
    """One horizontal bar chart per panel of (label, count, shown text); a count whose shown
    text is not the number itself ("<5") is drawn as an empty bar with that text."""
    columns = 2
    rows = max(1, -(-len(panels) // columns))
    figure = Figure(figsize=(11, 3.2 * rows))
    figure.suptitle(title, fontsize=14, fontweight="bold")
    for index, (panel_title, bars) in enumerate(panels):
        axes = figure.add_subplot(rows, columns, index + 1)
        labels = [_wrap(label) for label, _, _ in bars][::-1]
        heights = [count if text.isdigit() else 0 for _, count, text in bars][::-1]
        axes.barh(labels, heights, color=COLOURS[index % len(COLOURS)])
        for position, ((_, _, text), height) in enumerate(zip(bars[::-1], heights, strict=True)):
            axes.text(
                max([*heights, 1]) * 0.01 + height, position, f" {text}", va="center", fontsize=8
            )
        axes.set_title(_wrap(panel_title, 48), fontsize=10)
        axes.tick_params(axis="y", labelsize=8)
        axes.set_xlabel("members", fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    return _png(figure)


def grouped_percentages(
    groups: list[str],
    levels: list[str],
    table: list[list[int]],
    shown: list[list[str]],
    title: str,
    k: int,
) -> bytes:
    """Within each group (row), the share giving each answer (column), as grouped bars; a
    row with a masked cell is not drawn (its share would reveal the masked count)."""
    figure = Figure(figsize=(9, 4.6))
    axes = figure.add_subplot(1, 1, 1)
    width = 0.8 / max(1, len(levels))
    for column, level in enumerate(levels):
        shares = []
        for row, texts in zip(table, shown, strict=True):
            # a share needs the whole row: a row with a masked cell is not drawn
            exact = all(text.isdigit() for text in texts) and sum(row) > 0
            shares.append(100 * row[column] / sum(row) if exact else 0)
        positions = [i + column * width for i in range(len(groups))]
        axes.bar(
            positions, shares, width, label=_wrap(level, 30), color=COLOURS[column % len(COLOURS)]
        )
    axes.set_xticks(
        [i + width * (len(levels) - 1) / 2 for i in range(len(groups))],
        [_wrap(g, 22) for g in groups],
    )
    axes.set_ylabel(f"% of the group (small cells not drawn, k={k})")
    axes.set_title(_wrap(title, 70), fontsize=11)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return _png(figure)
