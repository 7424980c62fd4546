"""Draw the survey's stage reference pictures: Norwood (men) and Ludwig (women), one PNG each,
a grid of schematic heads seen from above, each labelled with the words of its survey button.

Regenerate them after changing a drawing below or a stage question's choices, from the
repository root, and commit the PNGs with the change:

    python scripts/draw_stages.py              # writes bot/survey/pictures/*.png
    python scripts/draw_stages.py --out DIR    # writes them somewhere else, to compare

(`.venv/bin/python` if Anagen is installed in `.venv`.) The labels come from the bundled
questionnaire (`bot/survey/questionnaires/`), never typed here: a stage choice that has no
drawing stops the script with a message saying where to add one. The output is
deterministic: the same matplotlib and Pillow versions write the same bytes, which
tests/unit/test_stage_pictures.py checks against the checked-in files.

Only matplotlib is used, with what it brings along: numpy for the shapes and Pillow, which
matplotlib writes its PNGs with, to store each picture with 64 colours (a third of the size).
The drawing uses matplotlib's object API and Agg canvas, its default style and bundled font,
so a local matplotlibrc changes nothing.

License: these figures are the Anagen project's own work, drawn from the simple geometric
shapes below (ellipses, and curves given by the numbers in NORWOOD and LUDWIG); no published
chart was copied or traced. They are distributed under the project's MIT licence, like the
rest of the code.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.style
import numpy as np
import PIL
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, Patch, Polygon
from PIL import Image, PngImagePlugin

# Run as `python scripts/draw_stages.py` from a checkout: find `bot` beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.survey.questionnaire import (
    Choice,
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
)
from bot.survey.stage_pictures import (
    PICTURES,
    PICTURES_DIR,
    STAGES_KEY,
    StagePicture,
    stages_to_draw,
)

# High contrast that survives any colour vision and greyscale: hair is near-black, bare
# scalp near-white, thinning hair is dark stripes on bare scalp. Nothing is told by hue.
HAIR = "#2b1d14"
SKIN = "#f7e3cc"
INK = "#111111"
LINE = 2.0  # outline width, points

WIDTH_IN, DPI = 9.6, 100  # 960 px: sharp on a phone, small enough for a DM
COLUMNS = 3
HEAD_W, HEAD_H = 1.56, 2.0  # the head from above: an ellipse, the face at the top (+y)
CROWN_Y = -0.40  # where the crown (vertex) is
PALETTE_COLOURS = 64
SOFTWARE_KEY = "Software"

_X, _Y = np.meshgrid(np.linspace(-1.0, 1.0, 401), np.linspace(-1.1, 1.1, 441))


@dataclass(frozen=True, slots=True)
class Scalp:
    """One stage as a few numbers. A point is bare scalp where the frontal recession or the
    crown reaches it, and only inside the fringe (the hair kept at the sides and back)."""

    front: float  # y of the front hairline on the midline (the head's front edge is y = 1)
    temples: float = 0.0  # how much further back the hairline is at the temples
    curve: float = 0.0  # how much the hairline curves forward at the sides ('A' stages)
    crown: float = 0.0  # radius of the bald crown; 0 for none
    fringe: tuple[float, float, float] | None = None  # (half width, y the U turns, depth)
    # Ludwig: the area of thin hair on top, an ellipse (half width, centre y, half length).
    thinning: tuple[float, float, float] | None = None
    stripes: str = "|||"  # Ludwig: the thinning area's hair as stripes; fewer is thinner
    bare_core: float = 0.0  # Ludwig: radius of scalp showing through in the thinning area
    parting: bool = False  # draw a centre parting (the widening part of female pattern loss)


# Men: the front recedes (at the temples, or evenly in the 'A' stages) and the crown opens.
NORWOOD: dict[str, Scalp] = {
    "nw1": Scalp(front=0.86, curve=0.12),
    "nw2": Scalp(front=0.84, temples=0.14),
    "nw2a": Scalp(front=0.66, curve=0.45),
    "nw3": Scalp(front=0.80, temples=0.36),
    "nw3v": Scalp(front=0.80, temples=0.36, crown=0.17),
    "nw3a": Scalp(front=0.48, curve=0.55),
    "nw4": Scalp(front=0.55, temples=0.32, crown=0.23, fringe=(0.60, 0.25, 0.95)),
    "nw4a": Scalp(front=0.16, curve=0.70, fringe=(0.60, 0.25, 0.95)),
    "nw5": Scalp(front=0.36, temples=0.24, crown=0.31, fringe=(0.58, 0.20, 0.95)),
    "nw5a": Scalp(front=-0.22, curve=0.80, fringe=(0.56, 0.20, 0.80)),
    "nw6": Scalp(front=-2.0, fringe=(0.55, 0.15, 0.70)),
    "nw7": Scalp(front=-2.0, fringe=(0.63, 0.15, 0.87)),
}

# Women: the front hairline is kept; thinning spreads on top around a widening parting.
LUDWIG: dict[str, Scalp] = {
    "ludwig1": Scalp(front=0.84, thinning=(0.17, 0.18, 0.48), stripes="||||", parting=True),
    "ludwig2": Scalp(front=0.84, thinning=(0.33, 0.14, 0.62), stripes="|||", parting=True),
    "ludwig3": Scalp(
        front=0.84, thinning=(0.48, 0.10, 0.74), stripes="||", bare_core=0.24, parting=True
    ),
}


@dataclass(frozen=True, slots=True)
class Sheet:
    """How one picture is laid out: its title, its drawings and the legend's entries."""

    title: str
    drawings: dict[str, Scalp]
    legend_hatch: str = ""  # the stripes of thinning hair in the legend; empty: none thins


SHEETS: dict[str, Sheet] = {
    "norwood": Sheet("Norwood stages (men), seen from above, face at the top", NORWOOD),
    "ludwig": Sheet("Ludwig stages (women), seen from above, face at the top", LUDWIG, "|||"),
}


class DrawingMissing(ValueError):
    """A stage choice of the questionnaire has no drawing here (or a drawing no choice)."""


def planned_stages(questionnaire: Questionnaire) -> dict[str, tuple[Choice, ...]]:
    """Picture name -> the choices it draws, labelled as the questionnaire labels them."""
    planned: dict[str, tuple[Choice, ...]] = {}
    for picture in PICTURES:
        question = questionnaire.question(picture.question)
        if question is None:
            raise DrawingMissing(f"the questionnaire has no question {picture.question!r}")
        choices = stages_to_draw(question)
        drawings = SHEETS[picture.name].drawings
        missing = [c.id for c in choices if c.id not in drawings]
        unused = [d for d in drawings if d not in {c.id for c in choices}]
        if missing or unused:
            raise DrawingMissing(
                f"question {question.id}: "
                + (f"no drawing for {', '.join(missing)}; " if missing else "")
                + (f"drawings for no choice: {', '.join(unused)}; " if unused else "")
                + f"edit {picture.name.upper()} in scripts/draw_stages.py"
            )
        planned[picture.name] = choices
    return planned


# -- drawing ----------------------------------------------------------------------------------


def _bald(scalp: Scalp) -> np.ndarray:
    """Positive where the scalp is bare: (front recession or crown) inside the fringe."""
    temple = np.exp(-(((np.abs(_X) - 0.40) / 0.17) ** 2))
    field = _Y - (scalp.front - scalp.temples * temple + scalp.curve * _X**2)
    if scalp.crown:
        crown = 1 - (_X / scalp.crown) ** 2 - ((_Y - CROWN_Y) / (scalp.crown * 0.92)) ** 2
        field = np.maximum(field, crown)
    if scalp.fringe is not None:
        half, turn, depth = scalp.fringe
        inside = 1 - (_X / half) ** 2 - (np.minimum(_Y - turn, 0) / depth) ** 2
        field = np.minimum(field, inside)
    return field


def _ellipse_field(rx: float, cy: float, ry: float) -> np.ndarray:
    return 1 - (_X / rx) ** 2 - ((_Y - cy) / ry) ** 2


def _head(axes: Axes, scalp: Scalp) -> None:
    for side in (-1, 1):  # ears, half hidden under the head
        ear = Ellipse((side * 0.76, 0.05), 0.17, 0.36, facecolor=SKIN, edgecolor=INK, lw=LINE)
        axes.add_patch(ear)
    nose_at = [(-0.11, 0.96), (0.11, 0.96), (0.0, 1.16)]
    nose = Polygon(nose_at, closed=True, facecolor=SKIN, edgecolor=INK, lw=LINE)
    axes.add_patch(nose)
    head = Ellipse((0, 0), HEAD_W, HEAD_H, facecolor=HAIR, edgecolor="none", zorder=2)
    axes.add_patch(head)

    layers: list[tuple[np.ndarray, str]] = [(_bald(scalp), "")]
    if scalp.thinning is not None:
        half, cy, half_length = scalp.thinning
        layers.append((_ellipse_field(half, cy, half_length), scalp.stripes))
    if scalp.bare_core:
        layers.append((_ellipse_field(scalp.bare_core, CROWN_Y + 0.45, scalp.bare_core), ""))
    for field, layer_hatch in layers:
        if float(field.max()) <= 0:
            continue  # nothing bare or thin at this stage
        filled = axes.contourf(
            _X,
            _Y,
            field,
            levels=[0.0, float(field.max()) + 1.0],
            colors=[SKIN],
            hatches=[layer_hatch or None],
            zorder=3,
        )
        filled.set_clip_path(head)
    if scalp.parting:
        parting_end = scalp.thinning[1] - scalp.thinning[2] if scalp.thinning else CROWN_Y
        axes.plot([0, 0], [scalp.front, parting_end], color=SKIN, linewidth=2.5, zorder=4)
    axes.add_patch(
        Ellipse((0, 0), HEAD_W, HEAD_H, facecolor="none", edgecolor=INK, lw=LINE, zorder=5)
    )
    axes.set_xlim(-1.0, 1.0)
    axes.set_ylim(-1.08, 1.22)
    axes.set_aspect("equal")
    axes.set_axis_off()


def draw(picture: StagePicture, choices: Sequence[Choice]) -> bytes:
    """The PNG of one picture: a grid of labelled heads, a title and a legend."""
    sheet = SHEETS[picture.name]
    rows = -(-len(choices) // COLUMNS)
    cell_h, title_h, legend_h = 2.85, 0.75, 0.5
    height = rows * cell_h + title_h + legend_h
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {"hatch.color": HAIR, "hatch.linewidth": 2.2, "font.family": "DejaVu Sans"}
        ),
    ):
        figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
        canvas = FigureCanvasAgg(figure)
        figure.subplots_adjust(
            left=0.01,
            right=0.99,
            top=1 - title_h / height,
            bottom=legend_h / height,
            wspace=0.06,
            hspace=0.16,
        )
        grid = figure.subplots(rows, COLUMNS, squeeze=False)
        for index, axes in enumerate(grid.flat):
            if index >= len(choices):
                axes.set_axis_off()
                continue
            choice = choices[index]
            _head(axes, sheet.drawings[choice.id])
            axes.set_title(choice.label, fontsize=21, fontweight="bold", color=INK, pad=4)
        figure.suptitle(sheet.title, fontsize=19, color=INK, y=1 - 0.12 / height, va="top")
        legend = [
            Patch(facecolor=HAIR, edgecolor=INK, label="hair"),
            Patch(facecolor=SKIN, edgecolor=INK, label="bare scalp"),
        ]
        if sheet.legend_hatch:
            legend.insert(
                1, Patch(facecolor=SKIN, edgecolor=INK, hatch=sheet.legend_hatch, label="thin hair")
            )
        figure.legend(
            handles=legend,
            loc="lower center",
            ncol=len(legend),
            fontsize=17,
            frameon=False,
            handlelength=1.6,
            handleheight=1.1,
            bbox_to_anchor=(0.5, 0.0),
        )
        canvas.draw()
        rgba = canvas.buffer_rgba()
        size = canvas.get_width_height()
    stages = [{"id": c.id, "label": c.label} for c in choices]
    return _palette_png(Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1), stages)


def _palette_png(image: Image.Image, stages: list[dict[str, str]]) -> bytes:
    """The picture as a 64-colour PNG: a third of the size of matplotlib's RGBA one (flat
    colours and their anti-aliased edges need no more), written by Pillow, which matplotlib
    requires and itself writes PNGs with."""
    palette = image.convert("RGB").quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    info = PngImagePlugin.PngInfo()
    # ASCII JSON: a plain tEXt chunk, read back by bot.survey.stage_pictures.
    info.add_text(STAGES_KEY, json.dumps(stages, ensure_ascii=True))
    info.add_text(SOFTWARE_KEY, software())
    buffer = io.BytesIO()
    palette.save(buffer, format="png", optimize=True, pnginfo=info)
    return buffer.getvalue()


def software() -> str:
    """What drew the PNGs: the same versions write the same bytes."""
    return f"scripts/draw_stages.py, matplotlib {matplotlib.__version__}, Pillow {PIL.__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Draw the survey's Norwood and Ludwig reference pictures as PNGs.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=PICTURES_DIR,
        help=f"folder to write the PNGs into (default: {PICTURES_DIR})",
    )
    parser.add_argument(
        "--questionnaire",
        type=Path,
        default=None,
        help="questionnaire TOML whose stage choices label the pictures (default: the bundled)",
    )
    args = parser.parse_args(argv)
    try:
        planned = planned_stages(load_questionnaire(args.questionnaire))
    except (QuestionnaireError, DrawingMissing) as exc:
        print(f"draw_stages: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for picture in PICTURES:
        png = draw(picture, planned[picture.name])
        path = args.out / picture.filename
        path.write_bytes(png)
        print(f"wrote {path} ({len(png) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
