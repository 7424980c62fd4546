"""`anagen preview`: take a questionnaire in the terminal through the same survey core.

Useful to proof-read a questionnaire file, and it keeps the core honest: nothing here
knows about Discord. Answers go to a throw-away database that is deleted on exit.

A terminal has no buttons and shows no Discord markdown: what the engine says is printed
as plain text, and what it says of buttons and of answers being kept is said as it is
here (nothing is kept).
"""

from __future__ import annotations

import os
import re
import select
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.storage import Database
from bot.survey.questionnaire import Kind, Questionnaire
from bot.survey.screens import NoticeScreen, QuestionScreen, Screen, SummaryScreen
from bot.survey.service import SurveyService
from bot.survey.service_texts import EngineTexts
from bot.survey.service_turns import SUMMARY

PREVIEW_GUILD, PREVIEW_USER = 1, 1
Ask = Callable[[str], str]

# What the preview says where the bot points at a Continue button and at saved answers.
PAUSED = (
    "Paused. In Discord a member's answers so far stay saved, and they carry on later from "
    "the DM or with /survey start in the server. This preview keeps nothing."
)
CONSENT_BUTTONS = (
    "(In Discord the member answers this with the buttons Start the survey or No thanks; "
    "here the questions start now. Ctrl+C or Ctrl+D stops at any time.)"
)
_MARKUP = re.compile(r"\*\*|__|`")
_LINE_MARKUP = re.compile(r"^(?:-# |#{1,3} |> )", re.MULTILINE)


def plain(text: str) -> str:
    """Discord markdown as a terminal shows it: no **bold**, `code`, headings or subtext
    marks, the words kept."""
    return _LINE_MARKUP.sub("", _MARKUP.sub("", text))


def preview_texts() -> EngineTexts:
    """The engine's texts for a terminal: plain, no button, no promise to keep anything."""
    texts = EngineTexts()
    return EngineTexts(
        paused=PAUSED,
        finished=plain(texts.finished),
        already_done=plain(texts.already_done),
        closed=plain(texts.closed),
        gone=plain(texts.gone),
    )


def screen_text(screen: Screen) -> str:
    lines = [f"\n> {plain(screen.note.text)}"] if screen.note else []
    if isinstance(screen, QuestionScreen):
        question = screen.step.question
        lines.append(f"\n[{screen.number} of about {screen.total}] {screen.prompt}")
        if question.help:
            lines.append(f"    {plain(question.help)}")
        if question.kind is Kind.GROUP:
            for group_field in question.fields:
                options = ", ".join(f"{i}. {c.label}" for i, c in enumerate(group_field.choices, 1))
                lines.append(f"    {group_field.prompt}: {options}")
            lines.append("    Answer both, separated by a comma.")
        else:
            lines.extend(f"    {i}. {c.label}" for i, c in enumerate(question.choices, 1))
            if question.kind in (Kind.NUMBER, Kind.SCALE):
                lines.append(f"    A whole number from {question.min} to {question.max}.")
        extra = "skip, " if not question.required else ""
        lines.append(f"    ({extra}back, pause)")
    elif isinstance(screen, SummaryScreen):
        lines.append("\nYour answers:")
        lines.extend(
            f"  {i}. {row.prompt}  ->  {row.answer}" for i, row in enumerate(screen.rows, 1)
        )
        if not screen.completed:
            lines.append("Type 'done' to finish, or a number to change that answer.")
    else:
        lines.append(f"\n{plain(screen.text)}")
    return "\n".join(lines)


def interruptible_input(prompt: str) -> str:
    """input(), but Ctrl+C is never lost: a signal that lands between the prompt and the
    blocking read would otherwise wait for the next Enter. Waiting in short select() calls
    lets Python run the signal handler in between."""
    try:
        waitable = os.name != "nt" and sys.stdin.fileno() >= 0
    except (OSError, ValueError):  # a replaced stdin (tests, embedding) has no descriptor
        waitable = False
    if not waitable:
        return input(prompt)
    sys.stdout.write(prompt)
    sys.stdout.flush()
    while not select.select([sys.stdin], [], [], 0.25)[0]:
        pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


async def run_preview(
    questionnaire: Questionnaire,
    ask: Ask = interruptible_input,
    show: Callable[[str], None] = print,
    *,
    consent: str | None = None,
    engine: Callable[[Database], SurveyService] | None = None,
) -> int:
    """Returns the number of answers given; ends on 'pause', completion or end of input.
    `engine` builds the survey service as the bot does (with the knowledge base's names);
    without it, the questionnaire alone.
    `consent`: the consent message members read first (Discord markdown is shown plain);
    without it, the questionnaire's title and intro."""
    with tempfile.TemporaryDirectory(prefix="anagen-preview-") as folder:
        async with await Database.open(Path(folder) / "preview.db") as db:
            service = (
                engine(db) if engine else SurveyService(db, questionnaire, texts=preview_texts())
            )
            header = f"Preview of {questionnaire.title} (version {questionnaire.version})"
            if consent is None:
                show(f"{header}\n{questionnaire.intro}")
            else:
                show(
                    f"{header}: the consent message first.\n\n{plain(consent)}\n\n{CONSENT_BUTTONS}"
                )
            screen = await service.begin(PREVIEW_GUILD, PREVIEW_USER)
            rid = getattr(screen, "response_id", 0)
            while True:
                show(screen_text(screen))
                if isinstance(screen, NoticeScreen):
                    break
                try:
                    typed = ask("your answer: ")
                except EOFError:
                    break
                if isinstance(screen, SummaryScreen) and typed.strip().isdecimal():
                    rows = screen.rows
                    index = int(typed) - 1
                    key = rows[index].step_key if 0 <= index < len(rows) else SUMMARY
                    screen = await service.change(rid, PREVIEW_USER, key)
                else:
                    screen = await service.reply(PREVIEW_USER, typed) or screen
            status = await service.status(PREVIEW_GUILD, PREVIEW_USER)
    return status.answered
