"""A member's check-in history from a real SQLite file: points, marks, table rows and a chart
whose embedded series equals what the database holds; shedding drawn as the member's own
answers (steps), and said in words in `/checkin history`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from bot.app import AnagenBot
from bot.checkins.history import (
    History,
    MarkKind,
    build_history,
    history_chart,
    member_history,
    read_series,
)
from bot.results.charts import BarPanel, bar_panels
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp, utc_now
from bot.storage.responses import Answer, AnswerKey, Response, ResponseRepository, checkin_tables
from bot.storage.tx import Tx
from bot.survey.questionnaire import CHECKIN_BUNDLED, Choice, Questionnaire, load_questionnaire
from tests.double import DiscordDouble, User

T = TypeVar("T")

GUILD, USER = 1, 10
CHECKINS = checkin_tables(utc_now)  # for reading: the clock only stamps writes
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCORES = {"less": -1, "same": 0, "more": 1}  # how the chart places the shedding answers


async def unit(db: Database, work: Callable[[CheckinRepository], T]) -> T:
    """`work` on the check-in repository, as one unit of work."""
    return await db.run(lambda tx: work(CheckinRepository(tx)))


def responses(tx: Tx, at: datetime) -> ResponseRepository:
    """The check-in responses, with `at` as the clock."""
    return checkin_tables(lambda: stamp(at)).on(tx)


async def history_of(db: Database, questionnaire: Questionnaire) -> History:
    return await db.read(lambda tx: member_history(tx, CHECKINS, questionnaire, GUILD, USER))


@pytest.fixture(scope="module")
def checkin() -> Questionnaire:
    return load_questionnaire(CHECKIN_BUNDLED)


def at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 8, 30, tzinfo=UTC)


async def answer(
    db: Database,
    started: datetime,
    answers: dict[AnswerKey, Answer],
    *,
    completed: bool = True,
    member: tuple[int, int] = (GUILD, USER),
) -> int:
    def work(tx: Tx) -> int:
        response = responses(tx, started).create(*member, 1, "dm")
        for key, given in answers.items():
            responses(tx, started).save_answer(response.id, key, given)
        if completed:
            done = responses(tx, started + timedelta(minutes=2))
            done.update(response.id, position=None, completed=True)
        return response.id

    return await db.run(work)


async def four_months(db: Database, guild: int = GUILD, user: int = USER) -> None:
    """Four completed check-ins, one still in progress, and a regimen with every kind of mark."""
    await unit(
        db,
        lambda r: r.start_treatments(
            guild,
            user,
            [("finasteride", "2024-11"), ("minoxidil_topical", None)],
            at(1, 1),
            source="survey",
        ),
    )
    await unit(
        db, lambda r: r.start_treatments(guild, user, [("ketoconazole", "2025-01")], at(1, 20))
    )
    await unit(db, lambda r: r.change_dose(guild, user, "finasteride", "2025-02", at(2, 17)))
    await unit(db, lambda r: r.stop_treatment(guild, user, "ketoconazole", "2025-03", at(3, 17)))
    side = "regimen.side_effects"
    await answer(
        db,
        at(1, 20),
        {
            ("current", ""): Answer(("finasteride", "minoxidil_topical")),
            ("regimen.status", "finasteride"): Answer(("still_using",)),
            (side, "finasteride"): Answer(("none",)),
            (side, "minoxidil_topical"): Answer(("skin_irritation", "unwanted_hair")),
            ("shedding", ""): Answer(("more",)),
            ("itch", ""): Answer(number=6),
            ("burning", ""): Answer(number=2),
            ("satisfaction", ""): Answer(("dissatisfied",)),
            ("note", ""): Answer(text="itchy after washing"),
        },
        member=(guild, user),
    )
    await answer(
        db,
        at(2, 17),
        {
            (side, "finasteride"): Answer(("mood", "sexual")),
            ("shedding", ""): Answer(("same",)),
            ("itch", ""): Answer(number=4),
            ("burning", ""): Answer(skipped=True),
            ("satisfaction", ""): Answer(("neutral",)),
        },
        member=(guild, user),
    )
    await answer(
        db,
        at(3, 17),
        {
            ("shedding", ""): Answer(("less",)),
            ("itch", ""): Answer(number=2),
            ("burning", ""): Answer(number=1),
            ("satisfaction", ""): Answer(("satisfied",)),
        },
        member=(guild, user),
    )
    await answer(
        db,
        at(4, 14),
        {
            ("shedding", ""): Answer(skipped=True),
            ("itch", ""): Answer(number=1),
            ("burning", ""): Answer(number=0),
        },
        member=(guild, user),
    )
    await answer(  # in progress: not part of the history yet
        db,
        at(5, 12),
        {("shedding", ""): Answer(("more",)), ("itch", ""): Answer(number=9)},
        completed=False,
        member=(guild, user),
    )


def label(questionnaire: Questionnaire, question_id: str, choice_id: str) -> str:
    found = questionnaire[question_id].choice(choice_id)
    assert found is not None
    return found.label


async def test_the_history_holds_completed_check_ins_in_date_order(
    db: Database, checkin: Questionnaire
) -> None:
    await four_months(db)
    history = await history_of(db, checkin)
    assert [p.day.isoformat() for p in history.points] == [
        "2025-01-20",
        "2025-02-17",
        "2025-03-17",
        "2025-04-14",
    ]
    assert [p.shedding for p in history.points] == ["more", "same", "less", None]
    assert [p.itch for p in history.points] == [6, 4, 2, 1]
    assert [p.burning for p in history.points] == [2, None, 1, 0]
    assert [p.satisfaction for p in history.points] == [
        "dissatisfied",
        "neutral",
        "satisfied",
        None,
    ]
    first, second = history.points[:2]
    assert first.side_effects == (
        ("finasteride", ("none",)),
        ("minoxidil_topical", ("skin_irritation", "unwanted_hair")),
    )
    assert second.side_effects_of("finasteride") == ("mood", "sexual")
    assert second.side_effects_of("minoxidil_topical") == ()
    assert [(m.treatment_id, m.month, m.kind) for m in history.marks] == [
        ("finasteride", "2024-11", MarkKind.STARTED),
        ("ketoconazole", "2025-01", MarkKind.STARTED),
        ("finasteride", "2025-02", MarkKind.DOSE_CHANGED),
        ("ketoconazole", "2025-03", MarkKind.STOPPED),
    ]  # minoxidil has no known start month, so no mark
    assert [history.shedding_score(level) for level in ("less", "same", "more")] == [-1, 0, 1]


async def test_table_rows_use_the_questionnaires_labels(
    db: Database, checkin: Questionnaire
) -> None:
    await four_months(db)
    history = await history_of(db, checkin)
    shed = lambda choice: label(checkin, "shedding", choice)  # noqa: E731
    happy = lambda choice: label(checkin, "satisfaction", choice)  # noqa: E731
    assert history.table_rows() == [
        ("2025-01-20", shed("more"), "6", "2", happy("dissatisfied")),
        ("2025-02-17", shed("same"), "4", "–", happy("neutral")),
        ("2025-03-17", shed("less"), "2", "1", happy("satisfied")),
        ("2025-04-14", "–", "1", "0", "–"),
    ]
    assert history.table_rows()[1][1] == "About the same"  # a label, not the id "same"
    assert history.marks[0].text == "Finasteride started"


def relabelled(questionnaire: Questionnaire, prefix: str) -> Questionnaire:
    """The same questionnaire with every choice label changed, as a translation would."""

    def choices(found: tuple[Choice, ...]) -> tuple[Choice, ...]:
        return tuple(dataclasses.replace(c, label=f"{prefix} {c.label}") for c in found)

    return dataclasses.replace(
        questionnaire,
        questions=tuple(
            dataclasses.replace(q, choices=choices(q.choices)) for q in questionnaire.questions
        ),
    )


async def test_labels_follow_the_questionnaire_file(db: Database, checkin: Questionnaire) -> None:
    await four_months(db)
    history = await history_of(db, relabelled(checkin, "Auf Deutsch:"))
    assert history.table_rows()[0][1] == "Auf Deutsch: More"
    assert history.table_rows()[0][4] == "Auf Deutsch: Dissatisfied"
    assert history.marks[0].treatment == "Auf Deutsch: Finasteride"
    series = read_series(history_chart(history))
    assert series["marks"][0]["label"] == "Auf Deutsch: Finasteride started"


async def expected_series(db: Database) -> dict[str, Any]:
    """The chart's data computed straight from the stored rows, independently of the module."""
    shedding, itch, burning = [], [], []
    stored_responses = await db.read(lambda tx: CHECKINS.on(tx).history(GUILD, USER))
    completed = [r for r in stored_responses if r.completed]
    for response in sorted(completed, key=lambda r: str(r.completed_at)):
        assert response.completed_at is not None
        when = datetime.fromisoformat(response.completed_at).isoformat()
        stored = await db.read(lambda tx, r=response: CHECKINS.on(tx).answers(r.id))
        level = stored.get(("shedding", ""))
        if level is not None and not level.skipped:
            shedding.append(
                {"at": when, "level": level.choices[0], "score": SCORES[level.choices[0]]}
            )
        for question, out in (("itch", itch), ("burning", burning)):
            value = stored.get((question, ""))
            if value is not None and not value.skipped:
                out.append({"at": when, "value": value.number})
    marks = []
    for entry in await unit(db, lambda r: r.regimen(GUILD, USER)):
        for month, kind in (
            (entry.started_month, "started"),
            (entry.stopped_month, "stopped"),
            (entry.dose_changed_month, "dose_changed"),
        ):
            if month is not None:
                marks.append((month, kind, entry.treatment_id))
    # each answer holds from its check-in until the next answer (the latest: open-ended)
    steps = [
        {"from": point["at"], "to": later["at"] if later else None, "level": point["level"]}
        for point, later in zip(shedding, [*shedding[1:], None][: len(shedding)], strict=True)
    ]
    return {
        "shedding": shedding,
        "shedding_steps": steps,
        "itch": itch,
        "burning": burning,
        "marks": sorted(marks),
    }


async def test_the_charts_embedded_series_equals_the_database(
    db: Database, checkin: Questionnaire
) -> None:
    await four_months(db)
    png = history_chart(await history_of(db, checkin))
    assert png.startswith(PNG_SIGNATURE)
    series = read_series(png)
    expected = await expected_series(db)
    assert sorted((m["month"], m["kind"], m["treatment"]) for m in series.pop("marks")) == (
        expected.pop("marks")
    )
    assert series == expected
    assert [(s["level"], s["to"] is None) for s in series["shedding_steps"]] == [
        ("more", False),
        ("same", False),
        ("less", True),
    ]  # the April check-in skipped shedding: March's "less" is the latest answer
    assert 9 not in [v["value"] for v in series["itch"]]  # the check-in in progress


async def test_one_check_in_and_none_still_make_a_chart(
    db: Database, checkin: Questionnaire
) -> None:
    await unit(
        db, lambda r: r.start_treatments(GUILD, USER, [("finasteride", "2025-05")], at(5, 1))
    )
    empty = await history_of(db, checkin)
    assert empty.points == ()
    assert len(empty.marks) == 1
    nothing = read_series(history_chart(empty))
    assert nothing == {"shedding": [], "shedding_steps": [], "itch": [], "burning": [], "marks": []}

    await answer(
        db, at(6, 2), {("shedding", ""): Answer(("same",)), ("itch", ""): Answer(number=3)}
    )
    single = await history_of(db, checkin)
    png = history_chart(single)
    assert png.startswith(PNG_SIGNATURE)
    series = read_series(png)
    expected = await expected_series(db)
    assert [(m["month"], m["kind"], m["treatment"]) for m in series.pop("marks")] == (
        expected.pop("marks")
    )
    assert series == expected
    assert len(series["shedding"]) == len(series["itch"]) == 1
    assert series["burning"] == []


def test_build_history_ignores_answers_of_check_ins_in_progress(checkin: Questionnaire) -> None:
    stored = [
        Response(
            1, GUILD, USER, 1, "completed", None, "dm", None, None, "a", "a",
            "2025-01-01T00:00:00+00:00",
        ),
        Response(2, GUILD, USER, 1, "in_progress", "itch", "dm", None, None, "b", "b", None),
    ]  # fmt: skip
    answers = {
        1: {("itch", ""): Answer(number=1)},
        2: {("itch", ""): Answer(number=8)},
    }
    history = build_history(checkin, stored, answers, [])
    assert isinstance(history, History)
    assert [(p.response_id, p.itch) for p in history.points] == [(1, 1)]


def test_read_series_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        read_series(b"GIF89a")
    plain = bar_panels([BarPanel("panel", "5", (("a", "5"),))], "a chart without a series", 5)
    assert plain is not None
    with pytest.raises(ValueError, match="no anagen:series"):
        read_series(plain)
    damaged = bytearray(plain)
    damaged[40] ^= 0xFF  # a byte of the chunk after IHDR: its CRC no longer matches
    with pytest.raises(ValueError, match="damaged"):
        read_series(bytes(damaged))


def drawn_figure(history: History) -> Any:
    """The matplotlib figure `history_chart` saves, to read its labels."""
    import matplotlib.figure

    figures: list[Any] = []
    original = matplotlib.figure.Figure.savefig

    def capture(self: matplotlib.figure.Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matplotlib.figure.Figure, "savefig", capture)
        history_chart(history)
    [figure] = figures
    return figure


async def test_shedding_is_drawn_as_steps_of_the_answers_not_a_running_total(
    db: Database, checkin: Questionnaire
) -> None:
    await four_months(db)
    history = await history_of(db, checkin)
    shedding = drawn_figure(history).axes[0]
    ticks = [t.get_text() for t in shedding.get_yticklabels()]
    assert ticks == ["Less", "About the same", "More"]  # answers, no +1/-1 sums
    legend = [t.get_text() for t in shedding.get_legend().get_texts()]
    assert legend == ["less shedding", "about the same", "more shedding"]
    assert "running total" not in " ".join([*legend, shedding.get_title(loc="left")])
    assert "compares with the check-in before" in shedding.get_title(loc="left")
    # one thick step per answer, at the answer's own level
    steps = [line for line in shedding.get_lines() if line.get_linewidth() > 3]
    assert [set(line.get_ydata()) for line in steps] == [{1}, {0}, {-1}]
    assert history.shedding_answers() == ["More", "About the same", "Less"]
    assert history.undated == ("Topical minoxidil",)


async def test_checkin_history_says_the_shedding_answers_in_words(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await four_months(bot.db, double.guild.id, member.id)
    reply = await double.slash(member, "checkin history")
    message = await double.wait_until(lambda: reply.followups and reply.followups[0])
    assert message.ephemeral
    text = message.content
    assert "**Shedding, check-in by check-in:** More → About the same → Less" in text
    assert "Each answer compares your shedding with the check-in before" in text
    assert "nothing is added up" in text
    assert "running total" not in text
    assert "start month is unknown: Topical minoxidil" in text
    assert len(text) <= 2000
    [attachment] = message.attachments
    series = read_series(attachment.data)
    assert [s["level"] for s in series["shedding_steps"]] == ["more", "same", "less"]
    assert "shedding_trend" not in series
