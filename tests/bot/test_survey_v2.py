"""The questionnaire members fill in (version 2): the treatments communities use, "Other"
asks which, brand names in typed replies, only the parts that apply, a plausible onset age,
when each treatment was started (seeding the check-in regimen), and results that read
version-1 and version-2 answers together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import AnagenBot
from bot.checkins.service import month_of
from bot.results.members import read_snapshot
from bot.results.variables import build_variables, survey_sources
from bot.settings import Settings
from bot.storage import Database
from bot.survey.flow import Answer, InvalidAnswer, Step
from bot.survey.questionnaire import load_questionnaire
from bot.survey.replies import interpret
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.survey_names import entries_by_choice, with_treatment_names
from tests.checkin_driver import enable_checkins, opt_in
from tests.databases import rows
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import (
    CLICKS,
    click_through,
    seed_response,
    start_survey,
    step_of,
    stored_answers,
)

QUESTIONNAIRE = load_questionnaire()


@pytest.fixture(scope="module")
def treatments() -> Step:
    kb = load_knowledge_base()
    named = with_treatment_names(
        QUESTIONNAIRE, kb, entries_by_choice(QUESTIONNAIRE), {"treatments"}
    )
    return Step(named["treatments"])


def typed(step: Step, reply: str) -> tuple[str, ...]:
    answers = interpret(step, reply).answers
    assert answers is not None
    return answers[""].choices


def test_brand_names_and_abbreviations_are_understood(treatments: Step) -> None:
    assert typed(treatments, "propecia, nizoral, rogaine") == (
        "finasteride",
        "minoxidil_topical",
        "ketoconazole",
    )
    assert typed(treatments, "fin and LDOM") == ("finasteride", "minoxidil_oral")
    assert typed(treatments, "spironolactone") == ("spironolactone",)
    assert typed(treatments, "Olumiant") == ("jak_inhibitor",)


def test_an_ambiguous_name_is_asked_back_with_its_candidates(treatments: Step) -> None:
    with pytest.raises(InvalidAnswer) as info:
        typed(treatments, "minoxidil")
    assert "could be Topical minoxidil or Oral minoxidil: which one?" in str(info.value)


def test_every_problem_of_a_list_is_named_at_once(treatments: Step) -> None:
    with pytest.raises(InvalidAnswer) as info:
        typed(treatments, "propecia, xyzzy, minoxidil")
    message = str(info.value)
    assert "(1) I could not match “xyzzy”" in message
    assert "(2) “minoxidil” could be Topical minoxidil or Oral minoxidil" in message


async def answer_until(
    double: DiscordDouble, member: User, question: Message, stop: str, answers: dict
) -> Message:
    """Click through with `answers` (CLICKS by default) until the step `stop`."""
    from tests.survey_driver import answer_step

    for _ in range(40):
        step = step_of(question)
        assert step is not None, "the survey ended first"
        if step.split("/")[0] == stop:
            return question
        question = await answer_step(double, member, question, answers[step.split("/")[0]])
    raise AssertionError("never reached " + stop)


async def test_an_onset_age_above_the_members_age_is_refused_kindly(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await start_survey(double, member)
    question = await answer_until(double, member, question, "onset_age", CLICKS)
    sent = len(double.dms(member))
    await double.dm(member, "40")  # CLICKS gave the age 34
    refused = await double.wait_for_dm(member, sent + 1)
    assert "You told me you are 34, so this can be at most 34" in refused.content
    assert step_of(refused) == "onset_age"
    sent = len(double.dms(member))
    await double.dm(member, "30")
    accepted = await double.wait_for_dm(member, sent + 1)
    assert step_of(accepted) == "sensations"


async def test_other_asks_which_and_names_it_after(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    answers = {**CLICKS, "treatments": ("select", ["finasteride", "other"])}
    question = await start_survey(double, member)
    question = await answer_until(double, member, question, "treatments_other", answers)
    assert "Which other treatment did you try?" in question.text
    sent = len(double.dms(member))
    await double.dm(member, "nutrafol")
    named = await double.wait_for_dm(member, sent + 1)
    assert "Saved as Nutrafol" in named.content
    await answer_until(double, member, named, "effects", answers)
    # the group asks about each treatment in turn; "Other" is named as typed and resolved
    prompts = []
    message = double.dms(member)[-1]
    for _ in range(3):
        if not (step_of(message) or "").startswith("effects/"):
            break
        prompts.append(message.text)
        message = await answer_until_next(double, member, message, answers)
    assert any("What did Nutrafol do for you?" in p for p in prompts)
    assert not any("What did Other do for you?" in p for p in prompts)


async def answer_until_next(
    double: DiscordDouble, member: User, message: Message, answers: dict
) -> Message:
    from tests.survey_driver import answer_step

    step = step_of(message)
    assert step is not None
    return await answer_step(double, member, message, answers[step.split("/")[0]])


async def test_a_typed_brand_in_other_points_back_to_its_choice(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    answers = {**CLICKS, "treatments": ("select", ["other"])}
    question = await start_survey(double, member)
    question = await answer_until(double, member, question, "treatments_other", answers)
    sent = len(double.dms(member))
    await double.dm(member, "propecia")
    named = await double.wait_for_dm(member, sent + 1)
    assert "Saved as Finasteride" in named.content
    assert "one of the choices (“Finasteride”)" in named.content


async def test_the_start_month_seeds_the_check_in_regimen(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    await enable_checkins(double)
    question = await start_survey(double, member)
    summary, _ = await click_through(double, member, question)  # started 6 to 12 months ago
    thanks = (await double.click(member, summary, "Done")).message
    await opt_in(double, member, thanks)
    expected = month_of(datetime.now(UTC).date(), 9)
    found = rows(
        settings.database,
        "SELECT treatment_id, started_month FROM regimen_entries ORDER BY treatment_id",
    )
    # the month is computed from the day the survey was completed: allow a month boundary
    assert [t for t, _ in found] == ["finasteride", "ketoconazole"]
    assert all(m in (expected, month_of(datetime.now(UTC).date(), 10)) for _, m in found)
    answers = stored_answers(settings.database, 1)
    assert answers[("effects.dose", "finasteride")] == ("usual",)
    assert ("effects.dose", "ketoconazole") not in answers  # a shampoo has no dose question


async def test_results_read_both_versions_without_counting_the_unasked_as_no(
    db: Database,
) -> None:
    variables = build_variables(QUESTIONNAIRE)
    spiro = variables["treatments:spironolactone"]
    fin = variables["treatments:finasteride"]
    v1 = await seed_response(
        db, 5, 1, {("treatments", ""): Answer(choices=("finasteride",))}, version=1
    )
    v2 = await seed_response(
        db, 5, 2, {("treatments", ""): Answer(choices=("finasteride",))}, version=2
    )
    assert v1 != v2
    snapshot = await db.read(
        lambda tx: read_snapshot(tx, 5, survey_sources(QUESTIONNAIRE), "effects", True)
    )
    by_user = {m.user_id: m.answers["treatments"] for m in snapshot.members}
    # version 1 never offered spironolactone: unknown, not "no"; finasteride is read alike
    assert spiro.level_of(by_user[1]) is None
    assert spiro.level_of(by_user[2]) == "no"
    assert fin.level_of(by_user[1]) == fin.level_of(by_user[2]) == "yes"


async def test_the_stage_question_shows_its_reference_picture_and_the_next_drops_it(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    question = await start_survey(double, member)
    question = await answer_until(double, member, question, "norwood", CLICKS)
    [picture] = question.attachments
    assert picture.filename == "norwood.png"
    assert picture.data.startswith(b"\x89PNG")
    following = await answer_until_next(double, member, question, CLICKS)
    assert step_of(following) == "areas"
    assert following.attachments == []


async def test_exports_leave_a_choice_empty_where_the_version_never_offered_it(
    db: Database,
) -> None:
    from bot.results.service import ResultsService

    results = ResultsService(db, QUESTIONNAIRE)
    chose = {("treatments", ""): Answer(choices=("finasteride",))}
    await seed_response(db, 5, 1, chose, version=1)
    await seed_response(db, 5, 2, chose, version=2)
    exported = await results.exports.export_rows(5)
    by_version = {row["questionnaire_version"]: row for row in exported}
    assert by_version[1]["treatments.spironolactone"] == ""  # never offered: unknown
    assert by_version[2]["treatments.spironolactone"] == 0
    assert by_version[1]["treatments.finasteride"] == by_version[2]["treatments.finasteride"] == 1
    [column] = [c for c in results.exports.columns() if c["column"] == "treatments.spironolactone"]
    assert "before 2, which did not offer it" in column["description"]
