"""Acting as a member taking the survey through the double, click by click or by typing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.storage import Database, DatabaseLocation
from bot.storage.responses import SURVEY
from bot.storage.tx import Tx
from bot.survey.flow import Answer
from tests.databases import rows
from tests.double import DiscordDouble, Message, User

# How a member who clicks answers each question (by question id).
CLICKS: dict[str, tuple[str, Any]] = {
    "age": ("form", "34"),
    "sex": ("button", "Male"),
    "pattern": ("button", "Male or female pattern"),
    "norwood": ("button", "Norwood 3 vertex"),
    "areas": ("select", ["hairline", "crown"]),
    "speed": ("button", "Moderately"),
    "onset_age": ("button", "Skip"),
    "sensations": ("select", ["itch", "burning"]),
    "sensation_areas": ("select", ["crown"]),
    "intensity": ("button", "7"),
    "sensation_shedding": ("button", "Yes, clearly"),
    "shedding": ("button", "More than normal"),
    "dandruff": ("button", "An oily film rather than flakes"),
    "oiliness": ("button", "Much oilier"),
    "conditions": ("select", ["acne"]),
    "treatments": ("select", ["finasteride", "ketoconazole"]),
    "treatments_other": ("form", "Nutrafol"),
    "effects": (
        "group",
        {"shedding": "better", "sensations": "no_change", "started": "m6_12", "dose": "usual"},
    ),
    "notes": ("form", "Itches most in summer, @everyone <@&123>"),
}


def step_of(message: Message) -> str | None:
    """The step key a survey question message asks, from its answer controls."""
    for custom_id in message.custom_ids():
        parts = custom_id.split(":")
        if parts[0] == "sv" and parts[1] in ("a", "m", "f"):
            return parts[3]
    return None


def response_id_of(message: Message) -> int:
    for custom_id in message.custom_ids():
        parts = custom_id.split(":")
        if parts[0] == "sv" and parts[1] in ("a", "m", "f", "n", "c"):
            return int(parts[2])
    raise AssertionError(f"no survey controls on {message.text!r}")


def custom_id(message: Message, prefix: str) -> str:
    return next(c for c in message.custom_ids() if c.startswith(prefix))


async def answer_step(
    double: DiscordDouble, user: User, message: Message, how: tuple[str, Any]
) -> Message:
    """Answer the question on `message` the way `how` says; returns the updated message."""
    kind, value = how
    if kind == "button":
        return (await double.click(user, message, value)).message
    if kind == "select":
        return (await double.select(user, message, custom_id(message, "sv:m:"), value)).message
    if kind == "form":
        opened = await double.click(user, message, "Answer")
        return (await double.submit_modal(user, opened, {"answer": value})).message
    if kind == "group":
        for field, choice in value.items():
            select = next(
                (
                    c
                    for c in message.custom_ids()
                    if c.startswith("sv:m:") and c.endswith(f":{field}")
                ),
                None,
            )
            if select is None:  # a part that does not apply to this item or these answers
                continue
            message = (await double.select(user, message, select, [choice])).message
        return message
    raise AssertionError(kind)


async def click_through(
    double: DiscordDouble,
    user: User,
    message: Message,
    answers: Mapping[str, tuple[str, Any]] = CLICKS,
) -> tuple[Message, list[str]]:
    """Answer every question by clicks until the summary; returns it and the steps asked."""
    asked: list[str] = []
    for _ in range(60):
        step = step_of(message)
        if step is None:
            return message, asked
        asked.append(step)
        message = await answer_step(double, user, message, answers[step.split("/")[0]])
    raise AssertionError("the survey never ended")


async def start_survey(double: DiscordDouble, user: User, timeout: float = 5.0) -> Message:
    """Run /survey start, accept the consent in DMs; returns the first question message.
    `timeout`: how long the consent DM may take (the bot paces its DMs to Discord's global
    rate limit, so hundreds of members starting at once wait their turn)."""
    reply = await double.slash(user, "survey start")
    assert reply.message.ephemeral
    consent = await double.wait_for_dm(user, len(double.dms(user)) + 1, timeout=timeout)
    return (await double.click(user, consent, "Start the survey")).message


def stored_answers(
    database: DatabaseLocation | Path, response_id: int
) -> dict[tuple[str, str], Any]:
    """{(question, item): value} where value is a sorted choice tuple, number, text or 'skipped'."""
    found: dict[tuple[str, str], Any] = {}
    for qid, item, number, text, skipped in rows(
        database,
        "SELECT question_id, item, number, text, skipped FROM answers WHERE response_id = ?",
        (response_id,),
    ):
        choices = tuple(
            sorted(
                c
                for (c,) in rows(
                    database,
                    "SELECT choice_id FROM answer_choices WHERE response_id = ? AND question_id = ?"
                    " AND item = ?",
                    (response_id, qid, item),
                )
            )
        )
        if skipped:
            found[(qid, item)] = "skipped"
        elif choices:
            found[(qid, item)] = choices
        else:
            found[(qid, item)] = number if number is not None else text
    return found


async def seed_response(
    db: Database,
    guild_id: int,
    user_id: int,
    answers: Mapping[tuple[str, str], Answer],
    *,
    completed: bool = True,
    version: int = 1,
) -> int:
    """Store a response as if the member had answered it (for results and reports tests),
    under questionnaire `version`."""

    def unit(tx: Tx) -> int:
        store = SURVEY.on(tx)
        response = store.create(guild_id, user_id, version, "dm")
        for key, answer in answers.items():
            store.save_answer(response.id, key, answer)
        store.update(response.id, position="summary", completed=completed)
        return response.id

    return await db.run(unit)


def treatment_answers(
    treatment: str, shedding: str, sensations: str
) -> dict[tuple[str, str], Answer]:
    return {
        ("treatments", ""): Answer(choices=(treatment,)),
        ("effects.shedding", treatment): Answer(choices=(shedding,)),
        ("effects.sensations", treatment): Answer(choices=(sensations,)),
    }


def stored_steps(database: DatabaseLocation | Path, response_id: int) -> set[str]:
    """The steps of a response with a stored answer, named as `step_of` names them
    ("sex", "effects/finasteride"), to compare with what a member saw confirmed."""
    return {
        question if not item else f"{question.split('.')[0]}/{item}"
        for question, item in rows(
            database, "SELECT question_id, item FROM answers WHERE response_id = ?", (response_id,)
        )
    }
