"""Which questionnaire engine a response belongs to, and the reference that names both.

The survey and check-ins run on the same engine (`SurveyService`), each over its own
tables, so a response id alone is ambiguous. The reference's text ("12" for the survey,
"c7" for a check-in) travels in custom_ids already sent, so that form never changes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EngineKind(StrEnum):
    """A questionnaire engine; its value prefixes the response id in a reference."""

    SURVEY = ""
    CHECKIN = "c"


@dataclass(frozen=True, slots=True)
class ResponseRef:
    """One response of one engine: what a control points at."""

    kind: EngineKind
    response_id: int

    def __str__(self) -> str:
        return f"{self.kind.value}{self.response_id}"

    @classmethod
    def parse(cls, text: str) -> ResponseRef:
        """Read a reference back from a custom_id ("12", "c7")."""
        prefix, number = (text[0], text[1:]) if text[:1].isalpha() else ("", text)
        return cls(EngineKind(prefix), int(number))
