"""What a member answered, as stored: the value types shared by the survey's rules and by
storage. A leaf module, so storage depends on these and nothing else of the survey."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# (question id, item): a group question's fields are "<group>.<field>", item the chosen
# choice it repeats for ("" for plain questions).
AnswerKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Answer:
    choices: tuple[str, ...] = ()
    number: int | None = None
    text: str | None = None
    skipped: bool = False


Answers = Mapping[AnswerKey, Answer]
