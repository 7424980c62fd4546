"""What the questionnaire engine says whatever the member answered: its notices, and the
texts a questionnaire may word its own way (`EngineTexts`: check-ins do)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_

STALE = N_("That question was already answered; here is where you are now.")
PAUSED = N_(
    "Paused. Your answers so far are saved. Press Continue below, or run /survey start "
    "in the server, whenever you want to carry on."
)
FINISHED = N_(
    "Thank you! Your answers are saved and counted in the community results (only ever as "
    "part of groups). See them with /survey mine; erase them with /survey delete."
)
ALREADY_DONE = N_(
    "You have already completed this survey. /survey mine shows your answers and "
    "/survey retake starts a new response."
)
CLOSED = N_(
    "The survey is closed to new responses in this server for now; nothing was stored. "
    "Results stay available with /survey results."
)
GONE = N_(
    "This survey no longer exists (it may have been deleted). Run /survey start to begin again."
)
NOT_A_MEMBER = N_(
    "You are no longer a member of that server, so Anagen cannot take answers for it: "
    "nothing was stored. If you want what it holds about you there erased, use /forget-me."
)


@dataclass(frozen=True, slots=True)
class EngineTexts:
    """What the engine says that depends on which questionnaire it runs."""

    paused: str = PAUSED
    finished: str = FINISHED
    already_done: str = ALREADY_DONE
    closed: str = CLOSED
    gone: str = GONE


SURVEY_TEXTS = EngineTexts()  # the scalp survey's; check-ins word their own
