"""The check-in questionnaire runs on the survey's engine: multi-choice group fields,
typed replies that fill them, and the prefill key, without Discord."""

from __future__ import annotations

import pytest

from bot.survey.flow import Answer, InvalidAnswer, Step, applicable_steps, choice_answer
from bot.survey.questionnaire import (
    CHECKIN_BUNDLED,
    QuestionnaireError,
    load_questionnaire,
    parse_questionnaire,
)
from bot.survey.replies import interpret

CHECKIN = load_questionnaire(CHECKIN_BUNDLED)


def regimen_step(item: str = "finasteride") -> Step:
    return Step(CHECKIN["regimen"], item)


def test_the_bundled_check_in_loads_with_its_prefill_and_multi_field() -> None:
    assert CHECKIN["current"].prefill == "regimen"
    side_effects = CHECKIN["regimen"].field("side_effects")
    assert side_effects is not None
    assert side_effects.multi
    status = CHECKIN["regimen"].field("status")
    assert status is not None
    assert not status.multi


def test_a_multi_field_takes_several_choices_but_not_none_with_others() -> None:
    step = regimen_step()
    answer = choice_answer(step, ["mood", "sexual"], "side_effects")
    assert answer.choices == ("sexual", "mood")  # the file's order
    with pytest.raises(InvalidAnswer, match="cannot be combined"):
        choice_answer(step, ["none", "mood"], "side_effects")
    with pytest.raises(InvalidAnswer, match="just one"):
        choice_answer(step, ["stopped", "still_using"], "status")


@pytest.mark.parametrize(
    ("typed", "status", "effects"),
    [
        ("still using, none", ("still_using",), ("none",)),
        ("stopped, sexual, mood", ("stopped",), ("sexual", "mood")),
        (
            "changed the dose; skin irritation and unwanted hair",
            ("changed_dose",),
            ("skin_irritation", "unwanted_hair"),
        ),
    ],
)
def test_typed_group_replies_give_the_extra_parts_to_the_multi_field(
    typed: str, status: tuple[str, ...], effects: tuple[str, ...]
) -> None:
    reply = interpret(regimen_step(), typed)
    assert reply.answers is not None
    assert reply.answers["status"].choices == status
    assert reply.answers["side_effects"].choices == effects


def test_a_typed_group_reply_with_too_few_parts_is_explained() -> None:
    with pytest.raises(InvalidAnswer, match="2 answers separated by commas"):
        interpret(regimen_step(), "stopped")


def test_steps_follow_the_current_and_started_treatments() -> None:
    answers = {
        ("current", ""): Answer(choices=("finasteride", "minoxidil_topical")),
        ("started", ""): Answer(choices=("ketoconazole",)),
    }
    keys = [s.key for s in applicable_steps(CHECKIN, answers)]
    assert keys[:5] == [
        "current",
        "regimen/finasteride",
        "regimen/minoxidil_topical",
        "started",
        "started_when/ketoconazole",
    ]


def _one_group(**field: object) -> dict:
    return {
        "version": 1,
        "questions": [
            {
                "id": "tried",
                "type": "multi",
                "prompt": "Tried?",
                "choices": [{"id": "a", "label": "A"}],
                "prefill": "nonsense",
            },
            {
                "id": "how",
                "type": "group",
                "repeat_for": "tried",
                "prompt": "How?",
                "fields": [
                    {"id": "x", "prompt": "X", "choices": [{"id": "y", "label": "Y"}], **field},
                    {
                        "id": "z",
                        "prompt": "Z",
                        "type": "multi",
                        "choices": [{"id": "y", "label": "Y"}],
                    },
                ],
            },
        ],
    }


def test_a_bad_prefill_and_two_multi_fields_are_reported() -> None:
    with pytest.raises(QuestionnaireError) as caught:
        parse_questionnaire(_one_group(type="multi"))
    text = str(caught.value)
    assert "prefill 'nonsense'" in text
    assert "at most one field of a group may be multi" in text
    with pytest.raises(ValueError, match="type must be single or multi"):
        parse_questionnaire(_one_group(type="scale"))
