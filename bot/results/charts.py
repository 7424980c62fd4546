"""PNG charts of published (rounded, small-count-protected) results, with matplotlib's object
API and the Agg canvas: no display, no global pyplot state, so charts can be drawn in a worker
thread while the bot keeps serving.

Every count given here is a published text: a number (a count rounded to 5) or "<k" (fewer than
k members). A chart never lies by omission: a hidden answer or group is drawn as a labelled,
hatched grey mark, never as empty space or a zero bar. What was drawn is embedded in the PNG as
a JSON text chunk (`DRAWN_KEY`) so tests and the report can read it back with `read_drawn`.

`chart_basics` holds what every chart shares (layouts, palette, the hidden mark, the PNG);
`chart_counts` draws answer counts as bars, `chart_shares` each group's shares.
"""

from __future__ import annotations

from bot.results.chart_basics import DRAWN_KEY, PHONE, SCREEN, Layout, read_drawn
from bot.results.chart_counts import BarPanel, bar_chart, bar_panels
from bot.results.chart_shares import grouped_percentages, share_rows

__all__ = [
    "DRAWN_KEY",
    "PHONE",
    "SCREEN",
    "BarPanel",
    "Layout",
    "bar_chart",
    "bar_panels",
    "grouped_percentages",
    "read_drawn",
    "share_rows",
]
