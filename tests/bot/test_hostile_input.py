"""Hostile input: generated typed replies, form texts, option values, lookup queries and
forged interactions. Nothing may raise unexpectedly, nothing may ping, and the database
stays consistent.

Two layers: the pure parsers with thousands of hypothesis examples, and the real bot
against the double with a seeded corpus (one bot per test, examples looped inside).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.app import AnagenBot
from bot.settings import Settings
from bot.storage.location import DatabaseLocation
from bot.survey.flow import Answer, InvalidAnswer, Refused, Step
from bot.survey.questionnaire import Kind, Question, load_questionnaire
from bot.survey.replies import Reply, interpret
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.search import TreatmentSearch
from tests.databases import location_of, rows
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import (
    CLICKS,
    answer_step,
    custom_id,
    response_id_of,
    start_survey,
    step_of,
)

QUESTIONNAIRE = load_questionnaire()
SEARCH = TreatmentSearch(load_knowledge_base())


def _all_steps() -> list[Step]:
    steps: list[Step] = []
    for question in QUESTIONNAIRE.questions:
        if question.kind is Kind.GROUP:
            assert question.repeat_for is not None
            source = QUESTIONNAIRE[question.repeat_for]
            # every item parses the same way; two are enough to vary the prompt
            items = [c.id for c in source.choices if not c.exclusive][:2]
            steps.extend(Step(question, item) for item in items)
        else:
            steps.append(Step(question))
    return steps


STEPS = _all_steps()

# -- the hostile corpus ---------------------------------------------------------------------

ZERO_WIDTH_AND_MARKS = (
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"  # bidi
    "\u0301\u0308\u0327\u20dd\u0489\u1ab0"  # combining
    "\x00\x01\x07\x08\x1b\x7f\x85\r\n\t\x0b\x0c"  # control
    "\u00a0\u2028\u2029\u3000\u1680"  # odd spaces and separators
    "\ufdfa\ufb2c\u0390\u1e9e\u0130\u00df\ufb03"  # expand or change under NFKD/casefold
    "\U000e0001\U000e0041\ufff9\ufffa\ufffb\ufffe\uffff\U0010ffff\ue000"  # tags, specials, PUA
)
MENTIONS = [
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&123>",
    "<#123>",
    "</survey start:123>",
    "<:emoji:123>",
    "<a:dance:123>",
    "<t:0:R>",
    "@\u200beveryone",
    "\uff20everyone",  # fullwidth at sign
    "@everyone@here<@&1>",
]
MARKDOWN = [
    "**bold**",
    "__u__",
    "~~s~~",
    "||spoiler||",
    "`code`",
    "```py\nprint(1)\n```",
    "> quote",
    "# heading",
    "-# small",
    "[link](https://example.com)",
    "\\*",
    "* * *",
    "1. 2. 3.",
]
SQL = [
    "'; DROP TABLE answers; --",
    '" OR 1=1 --',
    "1; DELETE FROM responses",
    "Robert'); DROP TABLE responses;--",
    "%",
    "_",
    "\\",
    "NULL",
    "0x41",
    "1e9",
    "1,5",
    "1.5",
    "-0",
    "٣٤",  # Arabic-Indic digits
    "\uff13\uff14",  # fullwidth digits
    "\U0001d7d1\U0001d7d2",  # mathematical bold digits
    "²",
    "99999999999999999999999",
    "-2147483649",
]
HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;",
    "&#64;everyone",
    "</code>",
    "<!--",
    "]]>",
]
FTS = [
    '"fin" OR *',
    "NEAR(fin minox, 2)",
    "fin*",
    "^fin",
    "names: fin",
    "{names body}: x",
    '"',
    '""*',
    "AND",
    "NOT OR AND",
    "fin -minox",
    "(",
    ")",
    "*",
    "a" * 3 + "*" * 3,
    "MATCH",
    "bm25(docs)",
]
SURVEY_WORDS = [
    "skip",
    "back",
    "pause",
    "done",
    "1",
    "2",
    "25",
    "0",
    "12",
    "13",
    "34",
    "100",
    "101",
    "crown, front",
    "none, crown",
    "better, worse",
    "better",
    "better, no change, worse",
    "male",
    "norwod 2",
    "and",
    ",,,",
    ";/+&",
    "fin",
    "finasteride",
    "propecia",
    "minoxidil",
]
LABELS = sorted(
    {c.label for q in QUESTIONNAIRE.questions for c in q.choices}
    | {c.label for q in QUESTIONNAIRE.questions for f in q.fields for c in f.choices}
)
FRAGMENTS = [
    *MENTIONS,
    *MARKDOWN,
    *SQL,
    *HTML,
    *FTS,
    *SURVEY_WORDS,
    *LABELS,
    "🙂",
    "👨‍👩‍👧‍👦",
    "🏳️‍🌈",
    "Z̸̢̛̖a̷l̵g̶o̴",
    "ﷺ",
    "مرحبا",
    "שלום",
    "日本語",
    "Ⅻ",
    "ǅ",
]

fragments = st.sampled_from(FRAGMENTS)
specials = st.text(alphabet=st.sampled_from(ZERO_WIDTH_AND_MARKS), max_size=12)
anything = st.text(max_size=200)  # every code point but surrogates (impossible in str)
pieces = st.one_of(fragments, specials, anything, st.integers(-(10**9), 10**9).map(str))
mixed = st.lists(pieces, max_size=8).map("".join)
joined = st.lists(st.one_of(fragments, specials), min_size=1, max_size=6).map(
    lambda parts: random.Random(len(parts)).choice([" ", ", ", "", "\n", "\u200b"]).join(parts)
)


def _repeat_to(text: str, size: int) -> str:
    text = text or "x"
    return (text * (size // len(text) + 1))[:size]


long_text = st.builds(_repeat_to, st.one_of(fragments, mixed, specials), st.integers(4000, 6000))
hostile = st.one_of(anything, mixed, joined, fragments, long_text)


def corpus(seed: int, size: int) -> list[str]:
    """A deterministic list of hostile strings: every fragment kind, combined and repeated,
    plus random code points; the same for every run with the same seed."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(0x20, 0x2FFF)] + list(ZERO_WIDTH_AND_MARKS)

    def random_text(length: int) -> str:
        return "".join(
            chr(rng.randrange(0x110000)) if rng.random() < 0.2 else rng.choice(alphabet)
            for _ in range(length)
        ).replace("\ud800", "")

    def safe(text: str) -> str:
        return "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)

    texts = list(FRAGMENTS)
    for _ in range(size):
        roll = rng.random()
        if roll < 0.35:
            text = rng.choice([" ", ", ", "", "\n"]).join(
                rng.choice(FRAGMENTS) for _ in range(rng.randint(2, 5))
            )
        elif roll < 0.55:
            text = rng.choice(FRAGMENTS) + "".join(
                rng.choice(ZERO_WIDTH_AND_MARKS) for _ in range(rng.randint(1, 6))
            )
        elif roll < 0.92:
            text = random_text(rng.randint(1, 80))
        else:
            text = _repeat_to(rng.choice(FRAGMENTS) + " ", rng.randint(4000, 5000))
        texts.append(safe(text))
    rng.shuffle(texts)
    return texts


# -- layer a: the parsers -------------------------------------------------------------------


def _assert_choices_valid(choices: tuple[str, ...], options: Any, *, multiple: bool) -> None:
    ids = [c.id for c in options]
    assert choices, "an answer without a choice"
    assert set(choices) <= set(ids), f"{choices} not among {ids}"
    assert len(set(choices)) == len(choices), f"duplicate choices {choices}"
    if not multiple:
        assert len(choices) == 1, f"several choices {choices} for a single-choice question"
    exclusive = {c.id for c in options if c.exclusive}
    if set(choices) & exclusive:
        assert len(choices) == 1, f"exclusive choice combined: {choices}"


def assert_valid_answer(question: Question, answer: Answer, field_id: str = "") -> None:
    """The answer is one the questionnaire allows for this question (or field)."""
    if answer.skipped:
        assert not question.required, f"{question.id} is required but was skipped"
        return
    if question.kind is Kind.GROUP:
        group_field = question.field(field_id)
        assert group_field is not None, f"unknown field {field_id!r} of {question.id}"
        _assert_choices_valid(answer.choices, group_field.choices, multiple=False)
    elif question.kind in (Kind.SINGLE, Kind.MULTI):
        assert not field_id
        _assert_choices_valid(
            answer.choices, question.choices, multiple=question.kind is Kind.MULTI
        )
    elif question.kind in (Kind.NUMBER, Kind.SCALE):
        assert isinstance(answer.number, int)
        assert not answer.choices
        assert answer.text is None
        assert question.min is not None
        assert question.max is not None
        assert question.min <= answer.number <= question.max, answer
    else:
        assert question.kind is Kind.TEXT
        assert question.max_length is not None
        assert isinstance(answer.text, str)
        assert answer.number is None
        assert 1 <= len(answer.text) <= question.max_length
        assert answer.text == answer.text.strip()
        assert not any(
            unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") and c not in "\n\t"
            for c in answer.text
        ), f"control or invisible characters kept in {answer.text!r}"


def check_interpret(step: Step, text: str) -> None:
    try:
        reply = interpret(step, text)
    except (InvalidAnswer, Refused) as exc:
        if not str(exc):
            raise AssertionError(f"a correction without words for {text!r}") from exc
        return
    assert isinstance(reply, Reply)
    if reply.command is not None:
        assert reply.answers is None
        return
    assert reply.answers, f"neither an answer nor a command for {text!r}"
    question = step.question
    if question.kind is Kind.GROUP:
        assert set(reply.answers) == {f.id for f in question.fields}
    else:
        assert set(reply.answers) == {""}
    for field_id, answer in reply.answers.items():
        assert_valid_answer(question, answer, field_id)


@hsettings(max_examples=2000, deadline=None)
@given(step=st.sampled_from(STEPS), text=hostile)
@example(step=STEPS[0], text="12")
@example(step=STEPS[0], text="٣٤")
@example(step=STEPS[0], text="1" * 5000)
def test_interpret_only_accepts_valid_answers_or_corrects(step: Step, text: str) -> None:
    check_interpret(step, text)


def test_interpret_on_every_step_with_the_seeded_corpus() -> None:
    texts = corpus(seed=6, size=200)
    for step in STEPS:
        for text in texts:
            check_interpret(step, text)


def check_search(text: str) -> None:
    for partial in (False, True):
        results = SEARCH.search(text, partial=partial)
        assert len(results) <= 25
        ids = [m.treatment.id for m in results]
        assert len(ids) == len(set(ids)), f"duplicate results for {text!r}: {ids}"
        assert all(len(m.matched_name) >= 1 for m in results)
    SEARCH.best(text)


@hsettings(max_examples=1500, deadline=None)
@given(text=hostile)
@example(text='"fin" OR *')
@example(text="ß" * 300)
def test_treatment_search_never_raises(text: str) -> None:
    check_search(text)


def test_treatment_search_with_the_seeded_corpus() -> None:
    for text in corpus(seed=25, size=600):
        check_search(text)


# -- layer b: the real bot, the double and the database --------------------------------------

VALID_TYPED = {  # a reply that answers each question, to move on after the hostile ones
    "age": "29",
    "sex": "male",
    "pattern": "1",
    "norwood": "2",
    "ludwig": "1",
    "areas": "crown",
    "speed": "slowly",
    "onset_age": "24",
    "sensations": "itch",
    "sensation_areas": "crown",
    "intensity": "5",
    "sensation_shedding": "no",
    "shedding": "normal",
    "dandruff": "none",
    "oiliness": "no change",
    "conditions": "none",
    "treatments": "fin, dutasteride",
    "effects": "better, not sure",
    "notes": "fine",
}
WATCHED_LOGGERS = ("discord", "bot", "cogs")


@pytest.fixture
def errors() -> Iterator[list[logging.LogRecord]]:
    """Every ERROR (or worse) record from discord.py or Anagen while the test runs."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name.split(".")[0] in WATCHED_LOGGERS:
                records.append(record)

    handler = Collect(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    yield records
    root.removeHandler(handler)


def assert_no_errors(records: list[logging.LogRecord]) -> None:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    assert not records, "unhandled errors were logged:\n" + "\n\n".join(
        formatter.format(r) for r in records
    )


def _message_bodies(double: DiscordDouble) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, body) of every request that creates or edits a message."""
    for request in double.requests:
        method, path, body = request.method, request.path, request.body
        if not isinstance(body, dict):
            continue
        if path.endswith("/callback"):
            if body.get("type") in (4, 7):
                yield f"{method} {path} type {body['type']}", body.get("data") or {}
        elif (method == "POST" and path.startswith(("/channels/", "/webhooks/"))) or (
            method == "PATCH" and "/messages/" in path
        ):
            yield f"{method} {path}", body


def assert_nothing_can_ping(double: DiscordDouble) -> int:
    """Every message the bot sent or edited disabled mentions; returns how many were checked."""
    checked = 0
    for where, body in _message_bodies(double):
        if not body.get("content") and not body.get("embeds"):
            continue  # only components or attachments: there is no text that could ping
        mentions = body.get("allowed_mentions")
        assert isinstance(mentions, dict), f"{where} sent without allowed_mentions: {body}"
        assert mentions.get("parse") == [], f"{where} may ping: {mentions}"
        assert not mentions.get("users"), f"{where}: {mentions}"
        assert not mentions.get("roles"), f"{where}: {mentions}"
        assert not mentions.get("replied_user"), f"{where}: {mentions}"
        checked += 1
    assert checked, "no message was checked"
    return checked


def _valid_keys() -> dict[str, tuple[Question, str]]:
    keys: dict[str, tuple[Question, str]] = {}
    for question in QUESTIONNAIRE.questions:
        if question.kind is Kind.GROUP:
            for group_field in question.fields:
                keys[f"{question.id}.{group_field.id}"] = (question, group_field.id)
        else:
            keys[question.id] = (question, "")
    return keys


def assert_database_consistent(database: DatabaseLocation | Path) -> None:
    if location_of(database).dialect == "sqlite":  # PostgreSQL checks its own pages and keys
        assert rows(database, "PRAGMA integrity_check") == [("ok",)]
        assert rows(database, "PRAGMA foreign_key_check") == []
    orphans = rows(
        database,
        "SELECT c.* FROM answer_choices c LEFT JOIN answers a USING"
        " (response_id, question_id, item) WHERE a.response_id IS NULL",
    )
    assert orphans == [], f"answer_choices without an answer: {orphans}"
    loose = rows(
        database,
        "SELECT a.response_id FROM answers a LEFT JOIN responses r ON r.id = a.response_id"
        " WHERE r.id IS NULL",
    )
    assert loose == [], f"answers without a response: {loose}"
    keys = _valid_keys()
    answers = rows(
        database, "SELECT response_id, question_id, item, number, text, skipped FROM answers"
    )
    for response_id, question_id, item, number, text, skipped in answers:
        where = f"response {response_id} {question_id}/{item}"
        assert question_id in keys, f"{where}: not a question of the questionnaire"
        question, field_id = keys[question_id]
        if question.kind is Kind.GROUP:
            assert question.repeat_for is not None
            assert QUESTIONNAIRE[question.repeat_for].choice(item) is not None, where
        else:
            assert item == "", where
        choices = tuple(
            c
            for (c,) in rows(
                database,
                "SELECT choice_id FROM answer_choices WHERE response_id = ? AND"
                " question_id = ? AND item = ?",
                (response_id, question_id, item),
            )
        )
        order = (
            [c.id for c in question.field(field_id).choices]  # type: ignore[union-attr]
            if field_id
            else [c.id for c in question.choices]
        )
        choices = tuple(sorted(choices, key=lambda c: order.index(c) if c in order else -1))
        answer = Answer(choices=choices, number=number, text=text, skipped=bool(skipped))
        try:
            assert_valid_answer(question, answer, field_id)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from None


async def say(double: DiscordDouble, user: User, text: str) -> Message:
    """Type `text` in the DM; wait for the bot's answer and for the old question to retire."""
    before = double.dms(user)
    previous = [m for m in before if m.components]
    await double.dm(user, text)
    reply = await double.wait_for_dm(user, len(before) + 1)
    if reply.custom_ids():  # the survey goes on (question, summary or paused): old one retired
        await double.wait_until(lambda: not any(m.components for m in previous))
    assert "went wrong" not in reply.text, f"{text!r} -> {reply.text!r}"
    return reply


@pytest.mark.slow
async def test_typed_dm_replies_with_hostile_text(
    double: DiscordDouble,
    bot: AnagenBot,
    settings: Settings,
    errors: list[logging.LogRecord],
) -> None:
    texts = corpus(seed=11, size=120)[:200]
    steps_met: set[str] = set()
    member: User | None = None
    question: Message | None = None
    members = asked = 0
    sent_here = 0
    for text in texts:
        if question is None or step_of(question) is None:
            members += 1
            member = double.add_member(f"typist{members}")
            question, sent_here = await start_survey(double, member), 0
        assert member is not None
        step = step_of(question)
        assert step is not None
        if sent_here >= 3:  # move on, so every question meets hostile replies
            question, sent_here = await say(double, member, VALID_TYPED[step.split("/")[0]]), 0
            if step_of(question) is None:
                continue
        steps_met.add(step.split("/")[0])
        question = await say(double, member, text)
        sent_here += 1
        asked += 1
    assert asked == len(texts)
    assert len(steps_met) >= 12, steps_met  # hostile replies met most kinds of question
    assert_no_errors(errors)
    assert_nothing_can_ping(double)
    assert_database_consistent(settings.database)


async def _reach(double: DiscordDouble, user: User, target: str) -> Message:
    """A new survey for `user`, clicked through up to the step `target`."""
    message = await start_survey(double, user)
    for _ in range(40):
        step = step_of(message)
        assert step is not None, f"{target} never came"
        if step.split("/")[0] == target:
            return message
        message = await answer_step(double, user, message, CLICKS[step.split("/")[0]])
    raise AssertionError(f"{target} never came")


async def test_form_texts_for_age_and_notes_with_hostile_text(
    double: DiscordDouble,
    bot: AnagenBot,
    settings: Settings,
    errors: list[logging.LogRecord],
) -> None:
    texts = [*corpus(seed=12, size=30)[:45], "", " ", "\u200b", "12", "٣٤", "1" * 7, "x" * 4001]
    people = iter(range(1000))
    for target in ("age", "notes"):
        user = double.add_member(f"former{next(people)}")
        message = await _reach(double, user, target)
        for text in texts:
            opened = await double.click(user, message, "Answer")
            if opened.callback_type != 9:  # the step moved on under us: not expected
                raise AssertionError(f"no form for {target}: {opened.message.text!r}")
            result = (await double.submit_modal(user, opened, {"answer": text})).message
            assert "went wrong" not in result.text, f"{text!r} -> {result.text!r}"
            step = step_of(result)
            if step == target:
                continue
            if target == "age" and step == "sex":  # accepted: go back to the age question
                message = (await double.click(user, result, "Back")).message
            elif target == "notes" and step is None and "Almost done" in result.text:
                reopened = await double.select(user, result, custom_id(result, "sv:c:"), ["notes"])
                message = reopened.message
            else:  # refused (under 13): a new member starts again
                assert target == "age", result.text
                assert "13 or older" in result.text, result.text
                user = double.add_member(f"former{next(people)}")
                message = await _reach(double, user, target)
                continue
            assert step_of(message) == target
    assert_no_errors(errors)
    assert_nothing_can_ping(double)
    assert_database_consistent(settings.database)


def forged_copy(message: Message, custom_ids: list[str]) -> Message:
    """The same message with other components on it, as a forged client would present it."""
    forged = copy.deepcopy(message)
    buttons = [
        {"type": 2, "style": 2, "label": str(i), "custom_id": cid}
        for i, cid in enumerate(custom_ids)
    ]
    forged.components = [
        {"type": 1, "components": buttons[i : i + 5]} for i in range(0, len(buttons), 5)
    ]
    return forged


def forged_select(message: Message, select_id: str) -> Message:
    forged = copy.deepcopy(message)
    forged.components = [
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": select_id,
                    "options": [{"label": "x", "value": "x"}],
                    "min_values": 1,
                    "max_values": 1,
                }
            ],
        }
    ]
    return forged


BAD_VALUE_SETS: list[list[str]] = [
    [],
    ["zzz"],
    ["crown", "zzz"],
    ["none", "crown"],
    ["CROWN"],
    ["crown\u200b"],
    [" crown"],
    ["1"],
    ["nw2"],
    ["@everyone"],
    ["<@&123>", "<@123456789012345678>"],
    ["'; DROP TABLE answers; --"],
    ["x" * 150],
    ["hairline", *[f"v{i}" for i in range(30)]],
    ["better", "worse"],
    ["\x00"],
]


async def test_forged_select_values_and_custom_ids(
    double: DiscordDouble,
    bot: AnagenBot,
    member: User,
    settings: Settings,
    errors: list[logging.LogRecord],
) -> None:
    rng = random.Random(13)
    value_sets = BAD_VALUE_SETS + [
        [t[:100] or "?" for t in rng.sample(corpus(seed=14, size=30), 3)] for _ in range(20)
    ]
    areas = await _reach(double, member, "areas")
    rid = response_id_of(areas)
    select = custom_id(areas, "sv:m:")
    for values in value_sets:
        if set(values) <= {c.id for c in QUESTIONNAIRE["areas"].choices} and values:
            continue
        result = (await double.forge_component(member, areas, select, values)).message
        assert step_of(result) == "areas", f"{values} accepted: {result.text!r}"
        areas = result

    answered = areas
    for step in ("areas", "speed", "onset_age", "sensations", "sensation_areas", "intensity"):
        answered = await answer_step(double, member, answered, CLICKS[step])
    effects = await _reach_in_place(double, member, answered, "effects")
    group_selects = [c for c in effects.custom_ids() if c.startswith("sv:m:")]
    assert len(group_selects) == 4  # finasteride: shedding, sensations, started, dose
    for values in value_sets:
        for select_id in group_selects:
            result = (await double.forge_component(member, effects, select_id, values)).message
            assert step_of(result) == step_of(effects), f"{values} accepted: {result.text!r}"
            effects = result
    here = step_of(effects)
    assert here is not None

    # Custom ids that match Anagen's patterns but point nowhere sensible, presented on a
    # message as a forged client would: each gets an answer, none changes anything.
    huge = "9" * 80
    forged_ids = [
        f"sv:a:{rid}:{here}:zzz",
        f"sv:a:{rid}:{here}:-1",
        f"sv:a:{rid}:age:34",
        f"sv:a:{rid}:intensity:99",
        f"sv:a:{rid}:age:5",
        "sv:a:999999999:sex:male",
        f"sv:a:{rid}:effects/nothing:better",
        f"sv:n:{rid}:{here}:done",
        f"sv:n:{rid}:{here}:skip",
        f"sv:n:{rid}:summary:back",
        "sv:n:999999999:summary:done",
        f"sv:f:{rid}:notes",
        f"sv:f:{rid}:{here}",
        "sv:f:999999999:age",
        "tr:v:no_such_entry",
        "tr:p:no_such_category:3:next",
        f"tr:p::{huge}:prev",
        "tr:r:1:accept",
        "sv:x",
    ]
    before = snapshot_answers(settings.database, rid)
    for forged_id in forged_ids:
        forged = forged_copy(effects, [forged_id])
        result = await double.forge_component(member, forged, forged_id)
        assert result.callback_type is not None, forged_id
        text = result.message.text if result.original else ""
        assert "went wrong" not in text, f"{forged_id} -> {text!r}"
    for select_id, values in [
        (f"sv:m:{rid}:{here}:no_such_field", ["better"]),
        (f"sv:m:{rid}:areas:", ["crown"]),
        (f"sv:c:{rid}:0", ["age"]),
        (f"sv:c:{rid}:7", []),
    ]:
        forged = forged_select(effects, select_id)
        result = await double.forge_component(member, forged, select_id, values)
        assert result.callback_type is not None, select_id
        assert "went wrong" not in (result.message.text if result.original else "")
    assert snapshot_answers(settings.database, rid) == before
    assert_no_errors(errors)
    assert_nothing_can_ping(double)
    assert_database_consistent(settings.database)


async def test_forged_custom_id_with_a_huge_response_id(
    double: DiscordDouble,
    bot: AnagenBot,
    member: User,
    settings: Settings,
    errors: list[logging.LogRecord],
) -> None:
    question = await start_survey(double, member)
    forged_id = f"sv:a:{'9' * 80}:sex:male"
    result = await double.forge_component(member, forged_copy(question, [forged_id]), forged_id)
    assert result.callback_type is not None
    assert_no_errors(errors)


async def _reach_in_place(
    double: DiscordDouble, user: User, message: Message, target: str
) -> Message:
    for _ in range(40):
        step = step_of(message)
        assert step is not None, f"{target} never came"
        if step.split("/")[0] == target:
            return message
        message = await answer_step(double, user, message, CLICKS[step.split("/")[0]])
    raise AssertionError(f"{target} never came")


def snapshot_answers(database: DatabaseLocation | Path, response_id: int) -> list[tuple[Any, ...]]:
    """One row per answer: question, item, number, text, skipped, its choices joined."""
    found: dict[tuple[Any, ...], list[str]] = {}
    for *answer, choice in rows(
        database,
        "SELECT a.question_id, a.item, a.number, a.text, a.skipped, c.choice_id"
        " FROM answers a LEFT JOIN answer_choices c USING (response_id, question_id, item)"
        " WHERE a.response_id = ?",
        (response_id,),
    ):
        found.setdefault(tuple(answer), []).extend([choice] if choice is not None else [])
    return sorted(
        (*answer, ",".join(sorted(choices)) if choices else None)
        for answer, choices in found.items()
    )


async def test_autocomplete_and_lookups_with_hostile_text(
    double: DiscordDouble,
    bot: AnagenBot,
    member: User,
    settings: Settings,
    errors: list[logging.LogRecord],
) -> None:
    texts = [t[:6000] for t in corpus(seed=15, size=30)[:60]]
    for text in texts:
        for command, option in [
            ("treatment lookup", "name"),
            ("treatment compare", "b"),
            ("survey compare", "question"),
        ]:
            choices = await double.autocomplete(member, command, option, **{option: text})
            assert len(choices) <= 25, (text, choices)
            assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    for text in texts[:30]:
        reply = await double.slash(member, "treatment lookup", name=text[:200] or "?")
        if reply.callback_type == 5:  # an entry was found: acknowledged, then sent
            shown = await reply.wait_followup()
            assert shown.embeds, (text, shown.text)
        else:  # nothing found (or the cooldown): answered at once
            assert reply.callback_type == 4
            shown = reply.message
        assert "went wrong" not in shown.text
    assert_no_errors(errors)
    assert_nothing_can_ping(double)
    assert_database_consistent(settings.database)


@pytest.mark.parametrize(
    "text",
    [
        "Minoxidil helps @everyone <@&123> **x**",
        "\u200b" * 8,
        "     ",
        "\n\n\n\n\n",
    ],
)
async def test_suggestions_with_hostile_text(
    double: DiscordDouble,
    bot: AnagenBot,
    member: User,
    settings: Settings,
    errors: list[logging.LogRecord],
    text: str,
) -> None:
    reply = await double.slash(member, "treatment suggest", name="minoxidil", text=text)
    assert reply.message.ephemeral
    assert "went wrong" not in reply.message.text, reply.message.text
    assert_no_errors(errors)
    assert_nothing_can_ping(double)


async def test_a_forged_field_on_a_plain_question_is_not_confirmed(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    areas = await _reach(double, member, "areas")
    rid = response_id_of(areas)
    select_id = f"sv:m:{rid}:areas:bogus"
    result = await double.forge_component(
        member, forged_select(areas, select_id), select_id, ["crown"]
    )
    stored = {row[0] for row in snapshot_answers(settings.database, rid)}
    assert "areas.bogus" not in stored
    # either the answer is stored, or the member is not told it was
    assert "areas" in stored or "Saved" not in result.message.text, result.message.text


async def test_a_lookup_that_finds_nothing_is_answered_once(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    reply = await double.slash(member, "treatment lookup", name="<@123> asdfgh @everyone")
    assert "found nothing" in reply.message.text
    for _ in range(20):  # give a second answer time to arrive
        await asyncio.sleep(0.05)
    assert reply.followups == [], [m.text for m in reply.followups]


async def test_a_reply_that_is_not_an_age_does_not_end_the_survey(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await _reach(double, member, "speed")  # age, sex, pattern, norwood, areas given
    rid = response_id_of(question)
    for _ in range(5):
        question = (await double.click(member, question, "Back")).message
    assert step_of(question) == "age"
    reply = await say(double, member, "Norwood 3 vertex")
    assert "13 or older" not in reply.text
    assert len(snapshot_answers(settings.database, rid)) == 5
