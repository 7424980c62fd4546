"""Reference pictures for the survey's stage questions: most newcomers do not know their Norwood
or Ludwig stage, and a drawing tells them what "Norwood 3A" means where words fail.

The pictures are schematic heads drawn by the project (`scripts/draw_stages.py`, matplotlib)
and checked in as small PNGs under `bot/survey/pictures/`. Each PNG carries the stages it
draws (choice id and label, a JSON tEXt chunk under `STAGES_KEY`), so the survey attaches a
picture only to a question whose choices it really shows: a moderator's own questionnaire
that renames or drops a stage gets no misleading picture, and `check_pictures` says why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.i18n import N_, _
from bot.png import read_text_chunk
from bot.survey.questionnaire import Choice, Question, Questionnaire

PICTURES_DIR = Path(__file__).parent / "pictures"
STAGES_KEY = "anagen:stages"
# Choices a stage picture does not draw: there is nothing to picture for "Not sure".
NOT_DRAWN = frozenset({"not_sure"})
# Discord's limit on an attachment's description (its alt text).
MAX_ALT = 1024
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class UnknownPicture(LookupError):
    """A picture name that is not one of `PICTURES`; the message lists the known ones."""


@dataclass(frozen=True, slots=True)
class StagePicture:
    """One PNG: the question whose choices it illustrates, and its alt text."""

    name: str  # the file's stem, also the attachment's name: "norwood" -> norwood.png
    question: str  # the questionnaire question id it belongs with
    alt: str  # what the picture shows, for screen readers (Discord's attachment description)

    @property
    def description(self) -> str:
        """The alt text in the current language."""
        return _(self.alt)

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


PICTURES: tuple[StagePicture, ...] = (
    StagePicture(
        name="norwood",
        question="norwood",
        alt=N_(
            "Twelve schematic heads seen from above, face at the top; dark is hair, light is "
            "bare scalp. Norwood 1: a full hairline. Norwood 2 and 3: the temples recede, "
            "deeper at 3. Norwood 3 vertex: as 3, with a bald spot on the crown. The A stages "
            "(2A, 3A, 4A, 5A): the whole front recedes evenly straight back, with no crown "
            "spot. Norwood 4 and 5: a receded front and a bald crown, separated by a band of "
            "hair that is narrower at 5. Norwood 6: the band is gone and the top is bald. "
            "Norwood 7: only a horseshoe of hair is left at the sides and back."
        ),
    ),
    StagePicture(
        name="ludwig",
        question="ludwig",
        alt=N_(
            "Three schematic heads seen from above, face at the top; dark is hair, striped "
            "is thinning hair, light is bare scalp. In all three the front hairline is kept. "
            "Ludwig I: a little thinning along the parting on top. Ludwig II: a wider "
            "thinning area on top. Ludwig III: most of the top is thin, with scalp showing "
            "in the middle."
        ),
    ),
)


def _validate(pictures: tuple[StagePicture, ...]) -> None:
    """A mistake in the list above is a developer's: fail at import, naming it."""
    names = [p.name for p in pictures]
    problems = [f"duplicate picture name {n!r}" for n in sorted(set(names)) if names.count(n) > 1]
    for picture in pictures:
        if not _NAME_RE.match(picture.name):
            problems.append(f"picture name {picture.name!r} is not lowercase letters and _")
        if not picture.alt.strip() or len(picture.alt) > MAX_ALT:
            problems.append(f"picture {picture.name}: alt text must be 1-{MAX_ALT} characters")
    if problems:
        raise ValueError("; ".join(problems))


_validate(PICTURES)
_BY_NAME = {p.name: p for p in PICTURES}


def picture(name: str) -> StagePicture:
    """The picture called `name`, or UnknownPicture naming the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise UnknownPicture(f"no stage picture called {name!r} (known: {known})") from None


def picture_path(name: str) -> Path:
    """Where the PNG of a known picture is; only names from `PICTURES` ever make a path."""
    return PICTURES_DIR / picture(name).filename


def stages_to_draw(question: Question) -> tuple[Choice, ...]:
    """The choices a picture of this question draws, in the question's order."""
    return tuple(c for c in question.choices if c.id not in NOT_DRAWN)


def drawn_stages(png: bytes) -> tuple[tuple[str, str], ...]:
    """The (choice id, label) pairs a stage PNG says it draws, in drawing order."""
    loaded = json.loads(read_text_chunk(png, STAGES_KEY))
    return tuple((str(stage["id"]), str(stage["label"])) for stage in loaded)


@cache
def _drawn_in_file(path: Path) -> tuple[tuple[str, str], ...] | None:
    try:
        return drawn_stages(path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _problem(questionnaire: Questionnaire, stage_picture: StagePicture) -> str | None:
    question = questionnaire.question(stage_picture.question)
    if question is None:
        return None  # the questionnaire does not ask it: nothing to illustrate
    drawn = _drawn_in_file(picture_path(stage_picture.name))
    if drawn is None:
        return f"{stage_picture.filename} is missing or damaged; run scripts/draw_stages.py"
    wanted = tuple((c.id, c.label) for c in stages_to_draw(question))
    if drawn != wanted:
        shown = ", ".join(label for _, label in drawn)
        return (
            f"question {question.id}: its choices differ from the stages {stage_picture.filename}"
            f" draws ({shown}), so the picture is not shown; redraw it with "
            "scripts/draw_stages.py if the drawings still fit"
        )
    return None


def picture_for(questionnaire: Questionnaire, question_id: str) -> StagePicture | None:
    """The picture to show with this question, if there is one that draws exactly its
    choices; None otherwise (the question is asked without a picture)."""
    if questionnaire.question(question_id) is None:
        return None
    for stage_picture in PICTURES:
        if stage_picture.question == question_id:
            return stage_picture if _problem(questionnaire, stage_picture) is None else None
    return None


def check_pictures(questionnaire: Questionnaire) -> list[str]:
    """One line per stage picture that will not be shown with this questionnaire, and why."""
    return [p for p in (_problem(questionnaire, sp) for sp in PICTURES) if p is not None]
