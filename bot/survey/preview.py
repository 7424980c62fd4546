"""`anagen preview`: take a questionnaire in the terminal through the same survey core.

Useful to proof-read a questionnaire file, and it keeps the core honest: nothing here
knows about Discord. Answers go to a throw-away database that is deleted on exit.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.storage import Database
from bot.survey.questionnaire import Kind, Questionnaire
from bot.survey.screens import NoticeScreen, QuestionScreen, Screen, SummaryScreen
from bot.survey.service import SUMMARY, SurveyService

PREVIEW_GUILD, PREVIEW_USER = 1, 1
Ask = Callable[[str], str]


def screen_text(screen: Screen) -> str:
    lines = [f"\n> {screen.note.text}"] if screen.note else []
    if isinstance(screen, QuestionScreen):
        question = screen.step.question
        lines.append(f"\n[{screen.number}/{screen.total}] {screen.prompt}")
        if question.help:
            lines.append(f"    {question.help}")
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
        lines.append(f"\n{screen.text}")
    return "\n".join(lines)


async def run_preview(
    questionnaire: Questionnaire, ask: Ask = input, show: Callable[[str], None] = print
) -> int:
    """Returns the number of answers given; ends on 'pause', completion or end of input."""
    with tempfile.TemporaryDirectory(prefix="anagen-preview-") as folder:
        async with await Database.open(Path(folder) / "preview.db") as db:
            service = SurveyService(db, questionnaire)
            show(f"{questionnaire.title} (version {questionnaire.version})\n{questionnaire.intro}")
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
