"""The questionnaire file, its skip logic and typed-reply understanding, without Discord."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.survey.flow import Answer, InvalidAnswer, Refused, Step, applicable_steps, next_step
from bot.survey.preview import run_preview
from bot.survey.questionnaire import BUNDLED, QuestionnaireError, load_questionnaire
from bot.survey.replies import interpret, normalise

QUESTIONNAIRE = load_questionnaire()


def write_variant(tmp_path: Path, edit) -> Path:
    raw = tomllib.loads(BUNDLED.read_text())
    edit(raw)
    path = tmp_path / "variant.toml"
    path.write_text(_to_toml(raw))
    return path


def _to_toml(raw: dict) -> str:
    """Just enough TOML writing for the questionnaire's shape."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    lines = [f"{k} = {value(v)}" for k, v in raw.items() if k != "questions"]
    for question in raw["questions"]:
        lines.append("[[questions]]")
        lines.extend(f"{k} = {value(v)}" for k, v in question.items() if k != "fields")
        for group_field in question.get("fields", []):
            lines.append("[[questions.fields]]")
            lines.extend(f"{k} = {value(v)}" for k, v in group_field.items())
    return "\n".join(lines) + "\n"


def test_bundled_questionnaire_is_valid_and_in_the_issue_order() -> None:
    ids = [q.id for q in QUESTIONNAIRE.questions]
    assert ids == [
        "age",
        "sex",
        "pattern",
        "norwood",
        "ludwig",
        "areas",
        "speed",
        "onset_age",
        "sensations",
        "sensation_areas",
        "intensity",
        "sensation_shedding",
        "shedding",
        "dandruff",
        "oiliness",
        "conditions",
        "treatments",
        "treatments_other",
        "effects",
        "notes",
    ]
    assert len(QUESTIONNAIRE["treatments"].choices) <= 25


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda raw: raw["questions"][2].update(id="sex"), "duplicate question id"),
        (
            lambda raw: raw["questions"][9]["when"].update(question="itching"),
            "names 'itching', which is not an earlier question",
        ),
        (
            lambda raw: raw["questions"][16]["choices"].extend(
                {"id": f"extra{i}", "label": f"Extra {i}"} for i in range(10)
            ),
            "at most 25",
        ),
    ],
    ids=["duplicate-id", "unknown-condition", "too-many-choices"],
)
def test_anagen_check_rejects_a_broken_questionnaire(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit,
    expected: str,
) -> None:
    path = write_variant(tmp_path, edit)
    with pytest.raises(QuestionnaireError, match=expected):
        load_questionnaire(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANAGEN_QUESTIONNAIRE", str(path))
    monkeypatch.setenv(
        "DISCORD_TOKEN", "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
    )
    assert main(["check"]) == 1
    problem = next(line for line in capsys.readouterr().out.splitlines() if "PROBLEM" in line)
    assert "questionnaire" in problem
    assert expected in problem


def test_no_sensations_skips_where_and_how_strong() -> None:
    answers = {("sensations", ""): Answer(choices=("none",))}
    keys = [s.key for s in applicable_steps(QUESTIONNAIRE, answers)]
    assert "sensation_areas" not in keys
    assert "intensity" not in keys
    answers = {("sensations", ""): Answer(choices=("itch",))}
    assert "intensity" in [s.key for s in applicable_steps(QUESTIONNAIRE, answers)]


def test_treatment_effects_repeat_for_each_chosen_treatment_but_none() -> None:
    answers = {("treatments", ""): Answer(choices=("finasteride", "prp", "other"))}
    keys = [s.key for s in applicable_steps(QUESTIONNAIRE, answers)]
    assert [k for k in keys if k.startswith("effects/")] == [
        "effects/finasteride",
        "effects/prp",
        "effects/other",
    ]


def test_first_step_is_age() -> None:
    step = next_step(QUESTIONNAIRE, {})
    assert step is not None
    assert step.key == "age"


@pytest.mark.parametrize(
    ("question", "typed", "expected"),
    [
        ("areas", "front, crown", None),  # 'front' is not an area option
        ("areas", "hairline, crown", ("hairline", "crown")),
        ("areas", "1 / 3", ("hairline", "crown")),
        ("areas", "CROWN", ("crown",)),
        ("sensations", "itchy and burning", ("itch", "burning")),
        ("sensations", "tigthness", ("tightness",)),
        ("sensation_areas", "Front, Crown", ("front", "crown")),
        ("norwood", "NW 3A", ("nw3a",)),
        ("norwood", "norwood 3 vertex", ("nw3v",)),
        ("dandruff", "oily", ("oily_film",)),
        ("sex", "ｍａｌｅ", ("male",)),  # noqa: RUF001 (full-width letters on purpose)
        ("sex", "ma\u200ble", ("male",)),
        ("sex", "mael", ("male",)),  # two letters swapped is one slip
        ("sex", "femlae", ("female",)),
        ("areas", "crwon", ("crown",)),
        ("sensations", "ithc, burnign", ("itch", "burning")),
        ("sex", "99", None),
        ("sex", "'; DROP TABLE answers; --", None),
    ],
)
def test_typed_choice_replies(question: str, typed: str, expected: tuple[str, ...] | None) -> None:
    step = Step(QUESTIONNAIRE[question])
    if expected is None:
        with pytest.raises(InvalidAnswer):
            interpret(step, typed)
    else:
        reply = interpret(step, typed)
        assert reply.answers is not None
        assert reply.answers[""].choices == tuple(
            c.id for c in QUESTIONNAIRE[question].choices if c.id in expected
        )


def test_numbers_and_refusal() -> None:
    age = Step(QUESTIONNAIRE["age"])
    assert interpret(age, "I am 27 years old").answers[""].number == 27  # type: ignore[index]
    for bad in ("abc", "27.5", "250", "1 2", "-5"):
        with pytest.raises((InvalidAnswer, Refused)):
            interpret(age, bad)
    with pytest.raises(Refused, match="13 or older"):
        interpret(age, "12")


def test_normalise_strips_accents_punctuation_and_invisible_characters() -> None:
    assert normalise("  Crówn!!\u200b ") == "crown"
    assert normalise("@everyone") == "everyone"


async def test_preview_runs_the_questionnaire_in_a_terminal() -> None:
    typed = iter(
        [
            "29",
            "2",
            "1",
            "1",
            "crown",
            "1",
            "skip",
            "none",
            "2",
            "1",
            "3",
            "2",
            "none",
            "skip",
            "done",
        ]
    )
    shown: list[str] = []
    answered = await run_preview(QUESTIONNAIRE, lambda _: next(typed), shown.append)
    assert answered == 14
    assert any("Ludwig" in text for text in shown)  # female: the Ludwig scale
    assert "Thank you" in shown[-1]


def test_importer_reads_a_sensation_named_by_its_key() -> None:
    from bot.results.importer import parse_reply

    reply = parse_reply("Age: 30\nBurning: Yes, on the crown sometimes\nItch: no")
    assert reply.answers[("sensations", "")].choices == ("burning",)
    assert reply.answers[("sensation_areas", "")].choices == ("crown",)
