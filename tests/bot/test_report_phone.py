"""`anagen report` read on a phone: one chart per question (never the seven-panel picture
scaled down), text in every chart big enough at a phone's width, a responsive column, and
the per-treatment community reports with the very numbers `/treatment lookup` shows."""

from __future__ import annotations

import asyncio
import base64
import html
import random
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.cli import main
from bot.results.charts import read_drawn
from bot.settings import Settings
from bot.survey.flow import Answer
from tests.databases import env_value
from tests.double import DiscordDouble, User
from tests.releases_driver import publish
from tests.survey_driver import seed_response, treatment_answers

PHONE_COLUMN = 360  # CSS pixels an image gets on a 390 px phone, less the page's padding
SMALLEST_TEXT = 10  # CSS pixels: below this, chart text is hard to read on a phone


def member(rng: random.Random, index: int) -> dict[tuple[str, str], Answer]:
    receding = index % 3 != 0
    answers = {
        ("age", ""): Answer(number=rng.randint(18, 60)),
        ("sex", ""): Answer(choices=("male",)),
        ("norwood", ""): Answer(choices=(rng.choice(["nw2", "nw3", "nw5"]),)),
        ("areas", ""): Answer(choices=("hairline",) if receding else ("diffuse",)),
        ("speed", ""): Answer(choices=(rng.choice(["slow", "moderate", "not_sure"]),)),
        ("sensations", ""): Answer(choices=("itch",) if rng.random() < 0.5 else ("none",)),
        ("shedding", ""): Answer(choices=(rng.choice(["normal", "more", "heavy"]),)),
        ("dandruff", ""): Answer(choices=(rng.choice(["none", "light"]),)),
        ("oiliness", ""): Answer(choices=(rng.choice(["much_oilier", "no_change"]),)),
    }
    treatment = "finasteride" if index < 23 else "minoxidil_topical" if index < 36 else "prp"
    return answers | treatment_answers(
        treatment, rng.choice(["better", "no_change"]), rng.choice(["better", "no_change"])
    )


async def seeded(bot: AnagenBot, guild_id: int, members: int = 38) -> None:
    rng = random.Random(21)
    for index in range(members):
        await seed_response(bot.db, guild_id, 80_000 + index, member(rng, index))
    await publish(bot.services.results.releases, guild_id)


class Page(HTMLParser):
    """The parts of the page a reader meets: headings, images, text, the viewport."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.headings: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.style = ""
        self.text: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "img":
            self.images.append(found)
        elif tag == "meta" and "name" in found:
            self.meta[found["name"]] = found.get("content", "")
        elif tag in ("h1", "h2", "h3", "style"):
            self._open = tag
            if tag != "style":
                self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "style":
            self.style += data
        elif self._open is not None:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)
        self.text.append(data)


async def report(settings: Settings, guild_id: int, folder: Path) -> str:
    output = folder / "report.html"
    argv = ["report", "--guild", str(guild_id), "-o", str(output)]
    assert await asyncio.to_thread(main, argv) == 0
    return output.read_text()


def png_of(image: dict[str, str]) -> bytes:
    src = image["src"]
    assert src.startswith("data:image/png;base64,")
    return base64.b64decode(src.removeprefix("data:image/png;base64,"))


def smallest_text_on_a_phone(png: bytes) -> float:
    """The chart's smallest text, in CSS pixels, when the image fills a phone's column."""
    (width,) = struct.unpack(">I", png[16:20])  # IHDR
    layout = read_drawn(png)["layout"]
    text_px = layout["text_pt"] / 72 * layout["dpi"]
    return text_px * PHONE_COLUMN / width


@pytest.fixture
def in_tmp(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANAGEN_DATABASE", env_value(settings.database))
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def test_the_report_has_one_readable_chart_per_question_in_a_phone_column(
    double: DiscordDouble, bot: AnagenBot, settings: Settings, in_tmp: Path
) -> None:
    await seeded(bot, double.guild.id)
    page = Page()
    page.feed(await report(settings, double.guild.id, in_tmp))

    assert "width=device-width" in page.meta["viewport"]
    assert re.search(r"main \{[^}]*max-width: 44rem", page.style)
    assert re.search(r"img \{[^}]*width: 100%", page.style)
    assert re.search(r"\.scroll \{[^}]*overflow-x: auto", page.style)  # wide tables scroll

    charts = [read_drawn(png_of(image)) for image in page.images]
    assert all(image["alt"] for image in page.images)
    panels = [c for c in charts if c["kind"] == "panels"]
    assert all(len(c["panels"]) == 1 for c in panels), "one question per picture"
    titles = {c["title"] for c in panels}
    overview = await bot.services.results.overview(double.guild.id, chart=False)
    questionnaire = bot.services.results.questionnaire
    for shown in overview.panels:
        assert questionnaire[shown.question_id].prompt in titles  # each overview question
    assert "How fast are you losing hair?" in titles  # and the others
    assert "How old are you?" in titles
    for image in page.images:
        png = png_of(image)
        assert smallest_text_on_a_phone(png) >= SMALLEST_TEXT, read_drawn(png)["title"]

    headings = [text for _, text in page.headings]
    assert headings[0].endswith("community results")
    for section in ("The survey at a glance", "More questions", "The community's questions"):
        assert section in headings
    for shown in overview.panels:  # each question is a heading a reader can find
        assert questionnaire[shown.question_id].prompt in headings
    text = " ".join(page.text)
    assert "38 members" in text
    assert "“Not sure” is not counted separately" in text  # speed's third answer
    for cell in re.findall(r"(?<![<\w.])(\d+) \(\d+%\)", text):
        assert int(cell) % 5 == 0  # every count is a rounded one


async def test_the_report_shows_each_treatments_community_report(
    double: DiscordDouble, bot: AnagenBot, settings: Settings, in_tmp: Path, member: User
) -> None:
    await seeded(bot, double.guild.id)
    html = await report(settings, double.guild.id, in_tmp)
    page = Page()
    page.feed(html)
    headings = [text for _, text in page.headings]
    assert "What members said each treatment did" in headings
    assert "Effect on shedding" in headings

    # the report's row for finasteride holds the numbers /treatment lookup shows
    lookup = await (
        await double.slash(member, "treatment lookup", name="finasteride")
    ).wait_followup()
    fields = {f["name"]: f["value"] for f in lookup.embeds[0]["fields"]}
    reported = fields["Community reports"]
    tried = re.search(r"About \*\*(\d+)\*\* members here reported trying it", reported)
    assert tried is not None
    better = re.search(r"Effect on shedding: better (\d+)", reported)
    assert better is not None
    row = re.search(r"<tr><td>Finasteride</td><td>(\d+)</td><td>(\d+) \(\d+%\)</td>", html)
    assert row is not None
    assert (row[1], row[2]) == (tried[1], better[1])
    assert abs(int(row[1]) - 23) <= 4  # 23 tried it, rounded to a neighbouring 5

    # a treatment fewer than k tried is named, never counted
    hidden = re.search(r"fewer than 5 members reported trying each: ([^.]*)\.", html)
    assert hidden is not None
    assert "PRP" in hidden[1].split(", ")  # 2 tried it
    assert "Finasteride" not in hidden[1]
    charts = [read_drawn(png_of(image)) for image in page.images]
    [shedding] = [c for c in charts if c["title"] == "What each treatment did: effect on shedding"]
    assert [g["label"] for g in shedding["groups"]] == ["Finasteride", "Topical minoxidil"]
    assert "PRP" in [g["label"] for g in shedding["hidden_groups"]]
    assert shedding["groups"][0]["total"] == row[1]


async def test_the_report_in_another_language(
    double: DiscordDouble, bot: AnagenBot, settings: Settings, in_tmp: Path
) -> None:
    """`--locale fr`: the page's language, headings, questions and numbers in French; the
    same counts as the English page, since both read one release."""
    from bot.i18n import _, speaking

    await seeded(bot, double.guild.id)
    output = in_tmp / "rapport.html"
    argv = ["report", "--guild", str(double.guild.id), "-o", str(output), "--locale", "fr"]
    assert await asyncio.to_thread(main, argv) == 0
    french = output.read_text()
    english = await report(settings, double.guild.id, in_tmp)
    with speaking("fr"):
        glance = _("The survey at a glance")
        age = bot.services.survey.questionnaire["age"].prompt
    assert glance != "The survey at a glance"
    assert '<html lang="fr">' in french
    assert html.escape(glance) in french
    assert html.escape(age) in french
    assert "The survey at a glance" not in french
    assert "The survey at a glance" in english
    assert '<html lang="en">' in english


async def test_survey_results_in_discord_speak_the_viewers_language(
    double: DiscordDouble, bot: AnagenBot, settings: Settings
) -> None:
    """The same release read by a member whose Discord is in Turkish: questions, answers
    and sentences in Turkish, the chart drawn for that language (its own cache key)."""
    from bot.i18n import speaking
    from bot.survey.questionnaire import load_questionnaire

    await seeded(bot, double.guild.id)
    viewer = double.add_member("deniz")
    viewer.locale = "tr"
    reply = await double.slash(viewer, "survey results")
    shown = reply.message if reply.message.text else await reply.wait_followup()
    english = load_questionnaire()
    with speaking("tr"):
        turkish = bot.services.survey.questionnaire
    overview = [english[q] for q in ("areas", "sensations", "dandruff", "oiliness")]
    assert not [q.prompt for q in overview if q.prompt.rstrip("?")[:20] in shown.text]
    assert any(turkish[q.id].prompt.rstrip(" ?")[:20] in shown.text for q in overview), shown.text
    assert shown.attachments, "the overview chart"
