"""The stage reference pictures (Norwood, Ludwig) are the project's own drawings, checked in as
small PNGs that a phone shows well, labelled with exactly the words of the survey's buttons,
and redrawn identically by `scripts/draw_stages.py`."""

from __future__ import annotations

import struct
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from bot.png import read_text_chunk
from bot.survey.questionnaire import BUNDLED, Questionnaire, load_questionnaire
from bot.survey.stage_pictures import (
    MAX_ALT,
    PICTURES,
    PICTURES_DIR,
    UnknownPicture,
    check_pictures,
    drawn_stages,
    picture,
    picture_for,
    picture_path,
)
from scripts.draw_stages import SOFTWARE_KEY, main, planned_stages, software

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "draw_stages.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_WIDTH, MAX_BYTES = 1000, 150_000

# Every scalp questionnaire the bot ships: a picture must fit each one that asks its question.
QUESTIONNAIRES = sorted({BUNDLED, *BUNDLED.parent.glob("scalp-v*.toml")})


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _button_labels(questionnaire: Questionnaire, question_id: str) -> tuple[tuple[str, str], ...]:
    """What the member sees on the stage buttons, but "Not sure", which has no drawing."""
    question = questionnaire[question_id]
    return tuple((c.id, c.label) for c in question.choices if c.id != "not_sure")


def _with_changed_stages(tmp_path: Path, old: str, new: str) -> Path:
    text = BUNDLED.read_text(encoding="utf-8")
    assert old in text
    changed = tmp_path / "changed.toml"
    changed.write_text(text.replace(old, new), encoding="utf-8")
    return changed


def test_there_is_a_picture_for_each_stage_question() -> None:
    assert {(p.name, p.question) for p in PICTURES} == {
        ("norwood", "norwood"),
        ("ludwig", "ludwig"),
    }


@pytest.mark.parametrize("stage_picture", PICTURES, ids=lambda p: p.name)
def test_every_picture_is_a_small_png_a_phone_shows_well(stage_picture) -> None:
    path = picture_path(stage_picture.name)
    assert path.parent == PICTURES_DIR
    png = path.read_bytes()
    width, height = _size(png)
    assert 600 <= width <= MAX_WIDTH
    assert height <= 1400  # one tap shows it whole on a phone
    assert len(png) < MAX_BYTES
    assert 0 < len(stage_picture.alt) <= MAX_ALT  # Discord's attachment description


def test_the_pictures_ship_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["package-data"]["bot"]
    for stage_picture in PICTURES:
        inside = picture_path(stage_picture.name).relative_to(ROOT / "bot").as_posix()
        assert any(fnmatch(inside, pattern) for pattern in shipped), (
            f"{inside} would be left out of the wheel: add 'survey/pictures/*.png' to "
            "[tool.setuptools.package-data] bot in pyproject.toml"
        )


@pytest.mark.parametrize("path", QUESTIONNAIRES, ids=lambda p: p.name)
@pytest.mark.parametrize("stage_picture", PICTURES, ids=lambda p: p.name)
def test_pictures_are_labelled_with_the_questionnaires_button_words(path, stage_picture) -> None:
    questionnaire = load_questionnaire(path)
    labels = _button_labels(questionnaire, stage_picture.question)
    assert labels  # the question has stages to draw

    assert drawn_stages(picture_path(stage_picture.name).read_bytes()) == labels
    planned = planned_stages(questionnaire)[stage_picture.name]
    assert tuple((c.id, c.label) for c in planned) == labels
    assert picture_for(questionnaire, stage_picture.question) == stage_picture
    assert check_pictures(questionnaire) == []


def test_running_the_script_redraws_the_checked_in_pictures(tmp_path: Path) -> None:
    out = tmp_path / "pictures"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    checked_in = {p.name for p in PICTURES_DIR.glob("*.png")}
    assert {p.name for p in out.iterdir()} == checked_in == {p.filename for p in PICTURES}
    for name in sorted(checked_in):
        fresh, kept = (out / name).read_bytes(), (PICTURES_DIR / name).read_bytes()
        assert drawn_stages(fresh) == drawn_stages(kept)
        assert _size(fresh) == _size(kept)
        if read_text_chunk(kept, SOFTWARE_KEY) == software():
            # Same versions, same bytes: a drawing changed without redrawing fails here.
            assert fresh == kept, f"{name} is out of date: run python scripts/draw_stages.py"


def test_a_stage_without_a_drawing_stops_the_script_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = _with_changed_stages(
        tmp_path,
        '{ id = "nw7", label = "Norwood 7" },',
        '{ id = "nw7", label = "Norwood 7" },\n  { id = "nw8", label = "Norwood 8" },',
    )
    out = tmp_path / "pictures"

    assert main(["--questionnaire", str(changed), "--out", str(out)]) == 1

    error = capsys.readouterr().err
    assert "question norwood: no drawing for nw8" in error
    assert "scripts/draw_stages.py" in error
    assert not out.exists()


def test_a_renamed_stage_gets_no_picture_and_check_says_why(tmp_path: Path) -> None:
    changed = _with_changed_stages(
        tmp_path,
        '{ id = "nw3v", label = "Norwood 3 vertex" },',
        '{ id = "nw3v", label = "Norwood 3V" },',
    )
    questionnaire = load_questionnaire(changed)

    assert picture_for(questionnaire, "norwood") is None  # the picture would say "3 vertex"
    assert picture_for(questionnaire, "ludwig") == picture("ludwig")
    problems = check_pictures(questionnaire)
    assert len(problems) == 1
    assert problems[0].startswith("question norwood: its choices differ from the stages")
    assert "Norwood 3 vertex" in problems[0]


def test_only_stage_questions_get_a_picture() -> None:
    questionnaire = load_questionnaire()
    assert picture_for(questionnaire, "age") is None
    assert picture_for(questionnaire, "no_such_question") is None


@pytest.mark.parametrize("name", ["../questionnaires/scalp-v1", "Norwood", "", "hamilton"])
def test_picture_path_knows_only_the_listed_pictures(name: str) -> None:
    with pytest.raises(UnknownPicture, match=r"known: ludwig, norwood"):
        picture_path(name)
