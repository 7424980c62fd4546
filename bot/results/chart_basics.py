"""What every chart of published results shares: the layouts (a wide screen, a phone's
column), the palette, the look of a hidden count, published texts as drawn, and the PNG itself,
with what was drawn embedded as a JSON text chunk (`DRAWN_KEY`) that `read_drawn` reads back.
The chart kinds are in `chart_counts` and `chart_shares`; `charts` hands them all on."""

from __future__ import annotations

import io
import json
import textwrap
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

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
HIDDEN_FACE, HIDDEN_EDGE, HIDDEN_TEXT, HIDDEN_HATCH = "#ececec", "#8a8a8a", "#555555", "//"


# -- published texts, as drawn ----------------------------------------------------------------


def value_of(text: str) -> int | None:
    """The number a published text stands for; None when it is hidden ("<k"). Anything else is
    a caller's bug: refusing it beats drawing a guess."""
    if text.isascii() and text.isdigit():
        return int(text)
    if text.startswith("<"):
        return None
    raise ValueError(f"not a published count: {text!r} (expected digits or '<k')")


def shown(text: str) -> str:
    """A published text as drawn: a number as the current language writes it ("1,234",
    "1.234"), or "<k" as it is."""
    value = value_of(text)
    return text if value is None else formats.number(value)


def percent(share: int) -> str:
    """A whole percent as the current language writes it ("33%", "33 %", "%33")."""
    return formats.percent(share / 100)


def hidden_note(k: int) -> str:
    # Translators: the label of a count that is not shown, e.g. "hidden (fewer than 5)".
    return _("hidden (fewer than {k})").format(k=formats.number(k))


# -- marks and axes ---------------------------------------------------------------------------


def wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def hidden_patch(k: int) -> Patch:
    return Patch(
        facecolor=HIDDEN_FACE,
        edgecolor=HIDDEN_EDGE,
        hatch=HIDDEN_HATCH,
        label=hidden_note(k),
    )


def style_axes(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_axisbelow(True)


# -- the PNG, and reading it back -------------------------------------------------------------


def to_png(figure: Figure, drawn: dict[str, Any], layout: Layout = SCREEN) -> bytes:
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


def read_drawn(png: bytes) -> dict[str, Any]:
    """What a chart drew, read back from its DRAWN_KEY text chunk (for tests and the report)."""
    loaded = json.loads(read_text_chunk(png, DRAWN_KEY))
    if not isinstance(loaded, dict):
        raise ValueError(f"{DRAWN_KEY} is not a JSON object")
    return loaded
