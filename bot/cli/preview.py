"""`anagen preview`: the questionnaire taken in a terminal, with the engine and the consent
text members get in DMs, over a temporary database; Ctrl+C stops it at once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

from bot.cli.database import settings_or_exit
from bot.cli.output import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, error, language_of
from bot.i18n import TRANSLATED, _, speaking
from bot.storage import Database
from bot.survey.questionnaire import QuestionnaireError
from bot.survey.translations import Translated
from bot.treatments.knowledge import KnowledgeBaseError


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl+C raises KeyboardInterrupt where the program is, even in a blocking input()
    inside the event loop. asyncio.run's own handler only cancels the main task, which
    cannot run until input() returns: the first Ctrl+C seemed to do nothing. asyncio.run
    leaves a handler that is not Python's default alone."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (tests call main() from a worker)
        return
    previous = signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _consent_text(title: str, intro: str) -> str:
    """The consent message members read first in DMs, from the cog that sends it (one
    wording to keep true)."""
    from cogs.survey.present import CONSENT

    return _(CONSENT).format(title=title, intro=intro)


def command_preview(args: argparse.Namespace) -> int:
    from bot.survey.preview import preview_texts, run_preview
    from bot.survey.questionnaire import load_questionnaire
    from bot.survey.service import SurveyService
    from bot.treatments.knowledge import load_knowledge_base

    settings = settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    language = language_of(args.locale)
    if language is None:
        return EXIT_FAILURE
    try:
        questionnaire = load_questionnaire(args.questionnaire or settings.questionnaire_path)
    except QuestionnaireError as exc:
        for problem in exc.problems:
            error(f"{exc.source}: {problem}")
        return EXIT_FAILURE
    with speaking(language):
        shown = Translated(questionnaire, TRANSLATED).in_language(language)
        consent = _consent_text(shown.title, shown.intro)
    try:
        knowledge = load_knowledge_base(settings.knowledge_base_path)
    except KnowledgeBaseError:
        knowledge = None  # `anagen check` names the problem; preview the plain survey

    def engine(db: Database) -> SurveyService:
        # The survey as members take it: brand names and "Other: which one?" resolved.
        if knowledge is None:
            return SurveyService(db, questionnaire, texts=preview_texts())
        from bot.services import survey_engine

        return survey_engine(db, questionnaire, knowledge, preview_texts())

    try:
        # The engine's questions, replies and typed words in that language (the preview's
        # own framing stays English: it is the operator's tool).
        with _interruptible(), speaking(language):
            answered = asyncio.run(run_preview(questionnaire, consent=consent, engine=engine))
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the prompt was on
        error("preview stopped (Ctrl+C); nothing was kept.")
        return EXIT_INTERRUPTED
    print(f"\n{answered} answer{'' if answered == 1 else 's'} given; nothing was kept.")
    return EXIT_OK
