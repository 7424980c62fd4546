"""Outcomes over time: who is counted (on real database files), what a release shows of
them (rounded counts, nothing below k), and how it looks in Discord and the report."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

from bot.checkins.outcomes import (
    HORIZONS,
    SHEDDING,
    SIDE_EFFECTS,
    HorizonOutcomes,
    OutcomesReport,
    outcomes_from,
)
from bot.results.members import Snapshot
from bot.results.release import build
from bot.results.report import build_report
from bot.results.rounding import Rounder
from bot.results.service import ResultsService
from bot.storage import Database
from bot.storage.checkin_outcomes import Trajectory, started_treatments, trajectories
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import Answer, checkin_tables
from bot.storage.tx import Tx
from bot.survey.questionnaire import CHECKIN_BUNDLED, load_questionnaire
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.service import CommunityReport
from cogs.treatments.render import FIELD_LIMIT, OUTCOMES, outcomes_text, treatment_embed
from tests.releases_driver import publish

GUILD, OTHER_GUILD = 1, 2
FIN = "finasteride"
NOW = datetime(2025, 12, 1, tzinfo=UTC)
# The survey's answers to "what did it do" (scalp-v1.toml), for the report beside outcomes.
EFFECT_ANSWERS = ("better", "no_change", "worse", "not_sure")


async def set_k(db: Database, guild_id: int, k: int) -> None:
    def unit(tx: Tx) -> None:
        settings = GuildSettingsRepository(tx)
        settings.save(replace(settings.of(guild_id), min_group_size=k))

    await db.run(unit)


async def check_in(
    db: Database,
    user_id: int,
    at: datetime,
    shedding: str | None = "same",
    effects: dict[str, tuple[str, ...]] | None = None,
    *,
    guild_id: int = GUILD,
    completed: bool = True,
) -> int:
    """A check-in answered and completed at `at`, through the repository."""

    def unit(tx: Tx) -> int:
        responses = checkin_tables(lambda: stamp(at)).on(tx)
        response = responses.create(guild_id, user_id, 1, "dm")
        if shedding is not None:
            responses.save_answer(response.id, ("shedding", ""), Answer(choices=(shedding,)))
        for treatment, chosen in (effects or {}).items():
            responses.save_answer(
                response.id, ("regimen.side_effects", treatment), Answer(choices=chosen)
            )
        if completed:
            responses.update(response.id, position=None, completed=True)
        return response.id

    return await db.run(unit)


async def start_treatment(
    db: Database, guild_id: int, user_id: int, treatment: str, month: str | None
) -> None:
    await db.run(
        lambda tx: CheckinRepository(tx).start_treatments(
            guild_id, user_id, [(treatment, month)], NOW
        )
    )


async def start(db: Database, user_id: int, month: str | None, guild_id: int = GUILD) -> None:
    await start_treatment(db, guild_id, user_id, FIN, month)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def found(db: Database, treatment: str = FIN) -> dict[Trajectory, int]:
    return await db.read(
        lambda tx: trajectories(tx, GUILD, treatment, SHEDDING, SIDE_EFFECTS, *HORIZONS)
    )


# -- who is counted ----------------------------------------------------------------------------


async def test_the_first_checkin_late_enough_is_read_with_side_effects_since_the_start(
    db: Database,
) -> None:
    await start(db, 10, "2025-01")
    await check_in(db, 10, at("2024-12-20T10:00"), "more", {FIN: ("unwanted_hair",)})  # before
    await check_in(db, 10, at("2025-03-31T23:59"), "more", {FIN: ("sexual",)})  # too early
    await check_in(db, 10, at("2025-04-01T00:00"), "less", {FIN: ("mood",)})  # 3 months
    await check_in(db, 10, at("2025-05-15T12:00"), "same", {FIN: ("none",)})
    await check_in(db, 10, at("2025-07-01T08:00"), "more", {FIN: ("skin_irritation",)})  # 6
    await check_in(db, 10, at("2025-08-01T08:00"), "less", {FIN: ("other",)})  # after: ignored
    assert await found(db) == {
        Trajectory(
            "less",
            frozenset({"sexual", "mood"}),
            "more",
            frozenset({"sexual", "mood", "skin_irritation"}),
            one_checkin=False,
        ): 1
    }


async def test_a_long_standing_member_is_read_at_one_checkin_for_both_horizons(
    db: Database,
) -> None:
    await start(db, 11, "2023-06")
    await check_in(db, 11, at("2025-04-02T09:00"), "same", {FIN: ("sexual",)})
    await check_in(db, 11, at("2025-05-02T09:00"), "less", {FIN: ("mood",)})
    assert await found(db) == {
        Trajectory("same", frozenset({"sexual"}), "same", frozenset({"sexual"}), True): 1
    }


async def test_who_is_left_out(db: Database) -> None:
    await start(db, 20, None)  # start month unknown
    await check_in(db, 20, at("2025-09-01T09:00"))
    await start(db, 21, "2025-01")  # the only late check-in is unfinished
    await check_in(db, 21, at("2025-02-01T09:00"))
    await check_in(db, 21, at("2025-05-01T09:00"), completed=False)
    await start(db, 22, "2025-06")  # not yet 3 months on
    await check_in(db, 22, at("2025-08-31T09:00"))
    await start(db, 23, "2025-01", guild_id=OTHER_GUILD)  # another server
    await check_in(db, 23, at("2025-06-01T09:00"), guild_id=OTHER_GUILD)
    await start_treatment(db, GUILD, 24, "minoxidil_topical", "2025-01")
    await check_in(db, 24, at("2025-06-01T09:00"), effects={FIN: ("sexual",)})  # another one
    assert await found(db) == {}
    assert await found(db, "minoxidil_topical") == {Trajectory("same", frozenset()): 1}
    assert await db.read(lambda tx: started_treatments(tx, GUILD)) == [FIN, "minoxidil_topical"]
    assert await db.read(lambda tx: started_treatments(tx, OTHER_GUILD)) == [FIN]
    assert await db.read(lambda tx: started_treatments(tx, 3)) == []


async def test_a_restart_counts_from_the_first_start_and_a_skipped_shedding_is_passed_over(
    db: Database,
) -> None:
    # written as plain SQL: a stopped and restarted treatment, and a check-in whose shedding
    # question was skipped (the engine stores no choice for it)
    def unit(tx: Tx) -> None:
        tx.run_many(
            "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month,"
            " stopped_month, source, updated_at) VALUES (?, ?, ?, ?, ?, 'member', ?)",
            [
                (GUILD, 30, FIN, "2024-05", "2024-09", stamp(NOW)),
                (GUILD, 30, FIN, "2025-06", None, stamp(NOW)),
            ],
        )
        response_id = tx.value(
            "INSERT INTO checkin_responses (guild_id, user_id, questionnaire_version, status,"
            " started_at, updated_at, completed_at) VALUES (?, ?, 1, 'completed', ?, ?, ?)"
            " RETURNING id",
            (GUILD, 30, *(stamp(at("2024-09-10T10:00")),) * 3),
        )
        tx.run(
            "INSERT INTO checkin_answers (response_id, question_id, item, skipped, answered_at)"
            " VALUES (?, 'shedding', '', 1, ?)",
            (response_id, stamp(at("2024-09-10T10:00"))),
        )

    await db.run(unit)
    await check_in(db, 30, at("2024-10-10T10:00"), "more", {FIN: ("mood",)})  # 5 months on
    assert await found(db) == {Trajectory("more", frozenset({"mood"})): 1}


def test_the_counted_answers_are_the_checkin_questionnaires() -> None:
    checkin = load_questionnaire(CHECKIN_BUNDLED)
    assert tuple(c.id for c in checkin["shedding"].choices) == SHEDDING
    (side_effects,) = [f for f in checkin["regimen"].fields if f.id == "side_effects"]
    assert tuple(c.id for c in side_effects.choices if not c.exclusive) == SIDE_EFFECTS
    survey = {c.id for c in load_questionnaire(None)["treatments"].choices}
    assert survey == {c.id for c in checkin["current"].choices}  # the same treatment ids


# -- what a release shows -----------------------------------------------------------------


def trajectory(
    first: str,
    later: str | None = None,
    *,
    effects: tuple[str, ...] = (),
    later_effects: tuple[str, ...] = (),
    one: bool = False,
) -> Trajectory:
    if one:
        later, later_effects = first, effects
    return Trajectory(first, frozenset(effects), later, frozenset(later_effects), one)


def released(members: dict[Trajectory, int], k: int) -> OutcomesReport:
    """The outcomes of a release counting these members, as the lookup reads them."""
    spec = ResultsService(None, load_questionnaire(None)).spec  # type: ignore[arg-type]
    parts = build(spec, Snapshot([], {FIN: members}), Rounder(b"secret", k))
    return outcomes_from(FIN, parts[f"outcomes:{FIN}"], k)


def test_nothing_is_shown_below_k() -> None:
    report = released({trajectory("less", "less", one=True): 4}, 5)
    assert not report.shown
    assert [h.months for h in report.horizons] == list(HORIZONS)
    assert "appear once at least 5 members" in outcomes_text(report)
    assert "<5" not in outcomes_text(report)


def test_the_long_horizon_waits_for_its_own_k() -> None:
    report = released(
        {
            trajectory("less"): 3,
            trajectory("same"): 3,
            trajectory("less", "same"): 2,
            trajectory("more", "more", one=True): 1,
        },
        5,
    )
    short, long = report.horizons
    assert short.shown
    assert short.cohort in ("5", "10")  # 9, rounded to a neighbouring multiple of 5
    assert short.shedding["less"] in ("5", "10")  # 5 is shown as 5 itself
    assert short.shedding["less"] == "5"
    assert short.shedding["same"] == "<5"
    assert short.shedding["more"] == "<5"
    assert not long.shown
    text = outcomes_text(report)
    assert "**6+ months after starting**: shown once at least 5" in text
    assert f"· {short.cohort} members" in text


def test_every_count_is_rounded_or_below_k() -> None:
    rng = random.Random(3)
    for _ in range(20):
        members = {
            trajectory(
                rng.choice(SHEDDING), effects=tuple(rng.sample(SIDE_EFFECTS, 2))
            ): rng.randint(1, 9)
            for _ in range(6)
        }
        (short, _) = released(members, 5).horizons
        cohort = sum(members.values())
        for text in (short.cohort, *short.shedding.values(), *short.side_effects.values()):
            if text != "<5":
                assert int(text) % 5 == 0
        assert abs(int(short.cohort) - cohort) <= 4


# -- how it looks -----------------------------------------------------------------------------


def full(months: int, text: str) -> HorizonOutcomes:
    return HorizonOutcomes(
        months, True, "1234", dict.fromkeys(SHEDDING, text), dict.fromkeys(SIDE_EFFECTS, text)
    )


def test_every_entry_stays_within_discords_limits_with_both_reports() -> None:
    kb = load_knowledge_base()
    outcomes = OutcomesReport(FIN, 100, (full(3, "<100"), full(6, "<100")))
    report = CommunityReport(
        FIN,
        100,
        hidden=False,
        tried="1234",
        effects={f: dict.fromkeys(EFFECT_ANSWERS, "<100") for f in ("shedding", "sensations")},
    )
    for treatment in kb.treatments:
        embed = treatment_embed(treatment, kb, report, outcomes)
        assert len(embed) <= 6000
        assert all(len(field.value or "") <= FIELD_LIMIT for field in embed.fields)
        # kept whole, never clipped by the trimming
        assert outcomes_text(outcomes) in [f.value for f in embed.fields], treatment.id
        assert OUTCOMES not in [f.name for f in treatment_embed(treatment, kb, report).fields]


async def test_the_report_gains_outcomes_over_time(db: Database) -> None:
    await set_k(db, GUILD, 3)
    for user, shedding in enumerate(SHEDDING * 3):
        await start(db, 100 + user, "2025-01")
        await check_in(db, 100 + user, at("2025-04-10T10:00"), shedding, {FIN: ("none",)})
    await start_treatment(db, GUILD, 200, "prp", "2025-01")
    await check_in(db, 200, at("2025-04-10T10:00"), "more")
    service = ResultsService(db, load_questionnaire(None))
    await publish(service.releases, GUILD)  # ten check-ins: a batch
    page = await build_report(service, GUILD)
    section = page[page.index("<h2>Outcomes over time</h2>") :]
    assert "<caption>Finasteride</caption>" in section
    # 9 members, 3 of each answer: 3 is at least k = 3 and is shown as the smallest number
    # shown, 5; no side effect was reported
    assert "<td>3+ months after starting</td>" in section
    assert "<td>5</td><td>5</td><td>5</td>" in section
    assert section.count("<td>&lt;3</td>") == len(SIDE_EFFECTS)
    assert "Shown once at least 3 members" in section  # the 6-month row
    assert "PRP" not in section  # one member: nothing at all
