"""Charts of published results never lie by omission: a hidden count or group is drawn as a
labelled mark (read back from the PNG's embedded JSON), and a chart with nothing to draw is
not made."""

from __future__ import annotations

import struct
from typing import Any

import matplotlib.figure
import pytest

from bot.png import read_text_chunk
from bot.results.charts import (
    DRAWN_KEY,
    PHONE,
    BarPanel,
    bar_chart,
    bar_panels,
    grouped_percentages,
    read_drawn,
    share_rows,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
K = 5

HAIR_LOSS = BarPanel(
    "Where do you notice hair loss?",
    "45",
    (("Temples", "15"), ("Crown", "<5"), ("Diffuse thinning all over the top", "10")),
)
ALL_HIDDEN = BarPanel("Minoxidil form", "<5", (("Foam", "<5"), ("Liquid", "<5")))
SHEDDING = ("Less", "Same", "More")


def _is_small_png(png: bytes | None) -> bytes:
    assert png is not None
    assert png.startswith(PNG_SIGNATURE)
    assert 1_000 < len(png) < 400_000
    return png


def test_bar_panels_draw_numbers_as_bars_and_hidden_counts_as_marks() -> None:
    png = _is_small_png(bar_panels([HAIR_LOSS], "Scalp survey results", K))
    drawn = read_drawn(png)
    assert drawn["kind"] == "panels"
    assert drawn["title"] == "Scalp survey results"
    [panel] = drawn["panels"]
    assert panel["title"] == HAIR_LOSS.title
    assert panel["n"] == "45"
    assert panel["bars"] == [
        {"label": "Temples", "text": "15", "drawn": "bar"},
        {"label": "Crown", "text": "<5", "drawn": "hidden"},
        {"label": "Diffuse thinning all over the top", "text": "10", "drawn": "bar"},
    ]


def test_bar_labels_carry_counts_percentages_and_the_hidden_note() -> None:
    figures: list[object] = []
    original = matplotlib.figure.Figure.savefig

    def capture(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matplotlib.figure.Figure, "savefig", capture)
        bar_panels([HAIR_LOSS, ALL_HIDDEN], "results", K)
    [figure] = figures
    assert isinstance(figure, matplotlib.figure.Figure)
    texts = [t.get_text() for axes in figure.axes for t in axes.texts]
    assert "15 (33%)" in texts  # round(100 * 15 / 45)
    assert "10 (22%)" in texts
    assert texts.count(f"hidden (fewer than {K})") == 3  # one on Crown, two in the n<5 panel
    titles = [axes.get_title() for axes in figure.axes]
    assert any("(n=45)" in title for title in titles)
    assert all(axes.get_xlabel() == "members (rounded to 5)" for axes in figure.axes)


def test_a_panel_with_only_hidden_counts_is_drawn_not_omitted() -> None:
    png = _is_small_png(bar_panels([HAIR_LOSS, ALL_HIDDEN], "results", K))
    panels = read_drawn(png)["panels"]
    assert [p["title"] for p in panels] == [HAIR_LOSS.title, ALL_HIDDEN.title]
    assert [b["drawn"] for b in panels[1]["bars"]] == ["hidden", "hidden"]


def test_no_panels_no_chart() -> None:
    assert bar_panels([], "results", K) is None


def test_grouped_shares_come_from_the_published_numbers_and_hidden_groups_are_shown() -> None:
    png = grouped_percentages(
        "Shedding by age",
        SHEDDING,
        [("18-24", "20", ["5", "10", "<5"]), ("25-34", "40", ["10", "15", "15"])],
        ["45+"],
        K,
    )
    drawn = read_drawn(_is_small_png(png))
    assert drawn["kind"] == "grouped"
    assert drawn["title"] == "Shedding by age"
    assert drawn["levels"] == list(SHEDDING)
    young, older = drawn["groups"]
    assert (young["label"], young["total"]) == ("18-24", "20")
    assert young["cells"] == [
        {"level": "Less", "text": "5", "share": 25, "drawn": "bar"},  # 5 of 20
        {"level": "Same", "text": "10", "share": 50, "drawn": "bar"},
        {"level": "More", "text": "<5", "share": None, "drawn": "hidden"},
    ]
    assert [c["share"] for c in older["cells"]] == [25, 38, 38]  # rounded 37.5 -> 38
    assert drawn["hidden_groups"] == [{"label": "45+", "drawn": "hidden"}]


def test_grouped_with_only_hidden_groups_is_not_made() -> None:
    assert grouped_percentages("Shedding by age", SHEDDING, [], ["18-24", "45+"], K) is None


def test_grouped_refuses_a_row_that_does_not_match_the_levels() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 levels"):
        grouped_percentages("t", SHEDDING, [("a", "20", ["5", "10"])], [], K)


def test_a_text_that_is_not_a_published_count_is_refused() -> None:
    with pytest.raises(ValueError, match="not a published count"):
        bar_panels([BarPanel("t", "45", (("a", "about 3"),))], "results", K)


def test_read_drawn_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        read_drawn(b"GIF89a")
    png = _is_small_png(bar_panels([HAIR_LOSS], "results", K))
    with pytest.raises(ValueError, match="no anagen:other"):
        read_text_chunk(png, "anagen:other")
    assert read_text_chunk(png, DRAWN_KEY).isascii()  # a plain tEXt chunk
    damaged = bytearray(png)
    damaged[40] ^= 0xFF  # a byte of the chunk after IHDR: its CRC no longer matches
    with pytest.raises(ValueError, match="damaged"):
        read_drawn(bytes(damaged))


def text_on_a_phone(png: bytes, column: int = 360) -> float:
    """The chart's smallest text in CSS pixels when the picture fills a phone's column."""
    (width,) = struct.unpack(">I", png[16:20])
    layout = read_drawn(png)["layout"]
    return layout["text_pt"] / 72 * layout["dpi"] * column / width


def test_one_question_is_one_picture_readable_on_a_phone() -> None:
    png = _is_small_png(bar_chart(HAIR_LOSS, K))
    drawn = read_drawn(png)
    [panel] = drawn["panels"]
    assert [b["drawn"] for b in panel["bars"]] == ["bar", "hidden", "bar"]
    assert drawn["layout"] == {"text_pt": PHONE.text, "dpi": PHONE.dpi}
    assert text_on_a_phone(png) >= 10
    # the seven-panel overview, scaled to the same column, is what a phone must not get
    overview = _is_small_png(bar_panels([HAIR_LOSS] * 7, "results", K))
    assert text_on_a_phone(overview) < 6


def test_shares_stacked_for_a_phone_name_every_hidden_group() -> None:
    png = share_rows(
        "What each treatment did: effect on shedding",
        ("Better", "No change", "Worse"),
        [("Finasteride", "20", ["10", "5", "<5"]), ("Topical minoxidil", "15", ["5", "5", "5"])],
        ["PRP", "Dutasteride"],
        K,
    )
    drawn = read_drawn(_is_small_png(png))
    assert drawn["kind"] == "rows"
    assert [c["share"] for c in drawn["groups"][0]["cells"]] == [50, 25, None]
    assert drawn["groups"][0]["cells"][2]["drawn"] == "hidden"
    assert [g["label"] for g in drawn["hidden_groups"]] == ["PRP", "Dutasteride"]
    assert text_on_a_phone(_is_small_png(png)) >= 10
    assert share_rows("t", ("a",), [], ["PRP"], K) is None  # nothing to draw: no chart


def test_a_question_with_shares_of_all_members_says_so() -> None:
    figures: list[object] = []
    original = matplotlib.figure.Figure.savefig

    def capture(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        original(self, *args, **kwargs)

    panel = BarPanel("How fast?", "46", (("Slowly", "15"),), "shares of all 46 members counted")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matplotlib.figure.Figure, "savefig", capture)
        bar_chart(panel, K)
    [figure] = figures
    assert isinstance(figure, matplotlib.figure.Figure)
    [axes] = figure.axes
    assert "shares of all 46 members counted" in axes.get_title().replace("\n", " ")
    assert "15 (33%)" in [t.get_text() for t in axes.texts]
