"""`anagen export` and `anagen report`: a server's results written to files (its responses,
check-ins and codebook; a page fit to publish), readable by their owner only. A file there
already is refused, and a server the database does not hold, before anything is written."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.cli.database import (
    UnknownGuild,
    absolute,
    database_name,
    database_or_exit,
    require_guild,
)
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error, language_of
from bot.i18n import set_language
from bot.settings import Settings
from bot.storage import Database, StorageError
from bot.survey.questionnaire import QuestionnaireError

if TYPE_CHECKING:
    from bot.results.service import ResultsService

T = TypeVar("T")


async def _with_results(
    settings: Settings, guild_id: int, work: Callable[[ResultsService], Awaitable[T]]
) -> T:
    from bot.results.service import ResultsService
    from bot.survey.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(settings.questionnaire_path)
    async with await Database.open(settings.database) as db:
        await require_guild(db, guild_id)
        return await work(ResultsService(db, questionnaire))


def command_results(args: argparse.Namespace) -> int:
    """export and report: offline work on the database."""
    settings = database_or_exit(args)
    if isinstance(settings, int):
        return settings
    try:
        if args.command == "export":
            if (refused := _export_refused(args)) is not None:
                return refused
            return asyncio.run(_with_results(settings, args.guild, lambda s: _export(s, args)))
        return asyncio.run(_report(settings, args))
    except UnknownGuild as exc:
        exc.explain(database_name(settings))
        return EXIT_FAILURE
    except (StorageError, QuestionnaireError, OSError, sqlite3.Error) as exc:
        error(str(exc))
        return EXIT_FAILURE


def _write_owner_only(path: Path, data: bytes) -> None:
    """Write `data` to `path`, readable and writable by its owner only (0600) whatever the
    umask: exports hold members' answers. A file already there is made 0600 before it is
    emptied and written."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
    with open(os.open(path, flags, 0o600), "wb") as file:
        if hasattr(os, "fchmod"):  # POSIX
            os.fchmod(file.fileno(), 0o600)
        file.truncate()
        file.write(data)


def _export_paths(output: Path) -> tuple[Path, Path, Path]:
    """PATH gets the survey; the codebook and the check-ins (long format) go beside it."""
    book = output.with_name(output.stem + ".codebook" + output.suffix)
    long = output.with_name(output.stem + ".checkins" + output.suffix)
    return output, book, long


def _export_refused(args: argparse.Namespace) -> int | None:
    """Checked before the database is opened: a folder that is not there, or files that are
    (without --force), like `db backup`."""
    output: Path = args.output
    if not absolute(output).parent.is_dir():
        error(
            f"the folder {absolute(output).parent} does not exist; create it or choose another "
            "path. Nothing was written."
        )
        return EXIT_FAILURE
    there = [path for path in _export_paths(output) if path.exists()]
    if there and not args.force:
        names = ", ".join(str(path) for path in there)
        error(f"{names} already exist{'s' if len(there) == 1 else ''}; choose another path "
               "or pass --force to overwrite. Nothing was written.")  # fmt: skip
        return EXIT_FAILURE
    return None


async def _export(service: ResultsService, args: argparse.Namespace) -> int:
    exporter = service.exports.labelled(args.labels)
    data, codebook, checkins = await exporter.export(args.guild, args.format)
    output, book, long = _export_paths(args.output)
    _write_owner_only(output, data.content)
    _write_owner_only(book, codebook.content)
    _write_owner_only(long, checkins.content)
    print(f"Wrote {output}, its codebook {book} and the check-ins {long}.")
    return EXIT_OK


async def _report(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.results.report import build_report
    from bot.results.service import ResultsService
    from bot.survey.questionnaire import load_questionnaire

    class Progressing(ResultsService):
        """Ticks the bar each time the report has read one of its sections (the overview,
        each ready-made comparison), so a moderator sees it move."""

        bar: Any = None

        async def overview(self, guild_id: int, *, chart: bool = True) -> Any:
            try:
                return await super().overview(guild_id, chart=chart)
            finally:
                self.bar.set_postfix_str("overview")
                self.bar.update()

        async def compare(
            self, guild_id: int, question_id: str, by_id: str, *, chart: bool = True
        ) -> Any:
            try:
                return await super().compare(guild_id, question_id, by_id, chart=chart)
            finally:
                self.bar.set_postfix_str(f"{question_id} by {by_id}")
                self.bar.update()

    language = language_of(args.locale)
    if language is None:
        return EXIT_FAILURE
    set_language(language)  # this command's own task: the page's words, numbers and dates
    questionnaire = load_questionnaire(settings.questionnaire_path)
    async with await Database.open(settings.database) as db:
        await require_guild(db, args.guild)
        service = Progressing(db, questionnaire)
        steps = 1 + len(service.ready_made()) + 1  # overview, comparisons, outcomes
        # on a terminal only (disable=None), on stderr: the report's own lines stay clean
        with tqdm(
            total=steps, desc="report", unit="section", file=sys.stderr, disable=None, leave=False
        ) as service.bar:
            page = await build_report(service, args.guild)
            service.bar.update(steps - service.bar.n)
    _write_owner_only(args.output, page.encode("utf-8"))
    print(f"Wrote {args.output} ({len(page) // 1024} KiB).")
    return EXIT_OK
