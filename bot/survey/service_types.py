"""The small types the questionnaire engine hands out and takes in: where a member starts,
their progress, the error for someone else's controls, and the hooks its users plug in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.storage.responses import Response
from bot.storage.tx import Tx
from bot.survey.flow import Answer, Answers, Step
from bot.survey.screens import Advice


class NotYourSurvey(Exception):
    """A member used a control of someone else's survey."""


class StartState(StrEnum):
    NEW = "new"  # show the consent message
    RESUME = "resume"  # a survey is in progress
    COMPLETED = "completed"  # finished before; offer review or retake


@dataclass(frozen=True, slots=True)
class Status:
    state: StartState
    answered: int = 0
    total: int = 0
    started_at: str | None = None
    completed_at: str | None = None


AnswerBuilder = Callable[[Step], dict[str, Answer]]
# Runs inside the transaction that completes a response, so whatever it records (a
# check-in's regimen changes) is committed together with the completion, or not at all.
FinishHook = Callable[[Tx, Response, Answers], None]
# What a completed response should prompt the member to read: given its answers and those of
# the member's previous completed response (None for a first), so a repeat is not re-sent.
AdviceHook = Callable[[Answers, Answers | None], tuple[Advice, ...]]
# A typed name -> (the name to store, what to tell the member), or None when not recognised.
Resolver = Callable[[str], tuple[str, str] | None]
OpenCheck = Callable[[Tx, int], bool]
# Whether a member still belongs to a server (Discord knows: the shell answers). Answers are
# stored for a server only while the member is in it.
MembershipCheck = Callable[[int, int], Awaitable[bool]]
