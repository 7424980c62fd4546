"""The `anagen` command line: run the bot, check an installation, sync, back up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import discord

from bot import __version__
from bot.checks import run_checks
from bot.logs import keep_members_out
from bot.settings import TOKEN_HELP, Settings, read_settings
from bot.storage import Database, SQLiteLocation, StorageError
from bot.survey.questionnaire import QuestionnaireError
from bot.treatments.knowledge import KnowledgeBaseError

if TYPE_CHECKING:
    from bot.results.service import ResultsService

T = TypeVar("T")

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anagen",
        description=(
            "Anagen, a Discord bot for hair-loss communities. Settings come from the "
            "environment and from a .env file (see .env.example). Without a command, runs the bot."
        ),
    )
    parser.add_argument("--version", action="version", version=f"anagen {__version__}")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        metavar="PATH",
        help="read settings from this file as well as the environment (default: ./.env)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="connect to Discord and serve members (the default)",
        description="Open the database (migrating it), load every feature, sync slash commands "
        "if they changed, and serve until interrupted (Ctrl+C or SIGTERM). Discord splits a "
        "bot's servers into shards, one connection each; by default this process holds them "
        "all. A large bot can run as several processes, each holding some shards, over one "
        "PostgreSQL database (see 'Running at scale' in the README); the process holding "
        "shard 0 syncs the slash commands.",
    )
    run.add_argument(
        "--shards",
        metavar="IDS",
        help="the shards this process holds when several processes share the bot: a range "
        "such as 0-3, a list such as 0,2,5, or one id such as 4. Needs the shard count "
        "(--shard-count or ANAGEN_SHARD_COUNT), and PostgreSQL unless this process holds "
        "every shard. Overrides ANAGEN_SHARDS (default: every shard)",
    )
    run.add_argument(
        "--shard-count",
        metavar="N",
        help="how many shards the bot has across all its processes, the same number in each "
        "(shard ids run from 0 to N-1). Overrides ANAGEN_SHARD_COUNT (default: the number "
        "Discord recommends for the bot's servers)",
    )
    commands.add_parser(
        "check",
        help="check settings, database and data files without connecting to Discord",
        description="Validate settings, the database file (identity, integrity, pending "
        "migrations) and the bundled data files. Exits 1 and lists every problem if any.",
    )
    commands.add_parser(
        "sync",
        help="push the slash commands to Discord now, changed or not",
        description="Log in over HTTP only (no gateway), sync the application commands "
        "globally, or to ANAGEN_DEV_GUILD_ID when set, and exit.",
    )
    preview = commands.add_parser(
        "preview",
        help="take the questionnaire in this terminal (nothing is kept)",
        description="Walk through the questionnaire with the same engine the bot uses, typing "
        "answers as a member would in DMs. Answers go to a temporary database that is deleted "
        "on exit. Handy for checking a questionnaire file before the bot uses it.",
    )
    preview.add_argument(
        "--questionnaire",
        type=Path,
        metavar="PATH",
        help="questionnaire file to preview (default: ANAGEN_QUESTIONNAIRE or the bundled one)",
    )
    kb = commands.add_parser(
        "kb",
        help="the treatment knowledge base",
        description="Inspect the treatment knowledge base bundled with Anagen.",
    )
    kb_commands = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    kb_commands.add_parser(
        "check",
        help="validate every entry, source, date and required caution",
        description="Load and validate the knowledge base: ids, aliases, categories, related "
        "entries, a source and as-of date on every fact, and the cautions each entry's safety "
        "classes require (bot/treatments/data/safety.toml; see docs/knowledge-base.md). "
        "Exits 1 listing every problem.",
    )
    kb_search = kb_commands.add_parser(
        "search",
        help="search as /treatment does",
        description="Run the same search /treatment and its autocomplete use, and show how "
        "each result matched (exact, symptom, prefix, fuzzy or full-text).",
    )
    kb_search.add_argument("query", nargs="+", help="what a member would type")
    export = commands.add_parser(
        "export",
        help="write a server's responses, check-ins and codebook (as /survey-admin export)",
        description="Write every completed response of one server to PATH, with pseudonymous "
        "respondent ids; beside it, its check-ins in long format (one row per check-in and "
        "treatment, PATH with .checkins.csv or .checkins.json) and a codebook describing "
        "every column of both (.codebook.csv or .codebook.json).",
    )
    export.add_argument("--guild", type=int, required=True, metavar="ID", help="server id")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="PATH")
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML page of a server's results",
        description="Write one HTML file (charts embedded) with the results and the community's "
        "comparisons, under the same privacy rules as Discord: no count under the server's "
        "minimum group size, no free text. Fit to publish on a blog.",
    )
    report.add_argument("--guild", type=int, required=True, metavar="ID", help="server id")
    report.add_argument("-o", "--output", type=Path, required=True, metavar="PATH")
    imports = commands.add_parser(
        "import-replies",
        help="import questionnaire replies people wrote in a thread",
        description="Read replies in the thread's free-text format (Age: … / Balding: … / "
        "Pain: … / Itch: … / Shedding: … / Dandruff: …), map what can be mapped to the "
        "questionnaire, print what was and was not mapped, and store them as imported "
        "responses. They count in results only when the server includes imported replies "
        "(/survey-admin settings include_imported:true).",
    )
    imports.add_argument("file", type=Path, metavar="FILE", help="a text file of replies")
    imports.add_argument("--guild", type=int, required=True, metavar="ID", help="server id")
    imports.add_argument(
        "--include-imported",
        action="store_true",
        help="also switch the server's results to include imported replies",
    )
    imports.add_argument(
        "--dry-run", action="store_true", help="only print the mapping report; store nothing"
    )
    checkins = commands.add_parser(
        "checkins", help="follow-up check-ins: the reminder log", description="Check-in tools."
    )
    checkin_commands = checkins.add_subparsers(
        dest="checkins_command", metavar="CHECKINS_COMMAND", required=True
    )
    reminder_log = checkin_commands.add_parser(
        "log",
        help="every reminder scheduled, sent, skipped or failed in a server, newest first",
        description="Print a server's check-in reminder log from the database, newest first: "
        "when each was claimed, the period it was for, what happened (sent, skipped, failed, "
        "or still claimed by a running bot) and why.",
    )
    reminder_log.add_argument("--guild", type=int, required=True, metavar="ID", help="server id")
    reminder_log.add_argument("--user", type=int, metavar="ID", help="only this member")
    reminder_log.add_argument(
        "--limit", type=int, default=100, metavar="N", help="at most N entries (default 100)"
    )
    erase = commands.add_parser(
        "erase",
        help="erase everything about one member in one server (an erasure request)",
        description="Erase everything Anagen stores about one member in one server: survey "
        "answers (earlier responses too), check-ins, regimen and schedule, and treatment "
        "suggestions, in one transaction; for a moderator acting on a member's request (a "
        "member can do it themselves with /survey delete in the server or /forget-me in "
        "DMs). Asks for confirmation unless --yes; logs one line without the member's data. "
        "Published results leave the member out from the server's next release.",
    )
    erase.add_argument("--guild", type=int, required=True, metavar="ID", help="server id")
    erase.add_argument("--user", type=int, required=True, metavar="ID", help="member's user id")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    backup = db_commands.add_parser(
        "backup",
        help="copy the SQLite file safely, even while the bot runs",
        description="Copy the SQLite database file with SQLite's online backup API: a "
        "consistent snapshot even while the bot is writing to it. For PostgreSQL use pg_dump, "
        "or `anagen db copy` into an SQLite file.",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    copy = db_commands.add_parser(
        "copy",
        help="copy every table into another database: SQLite into PostgreSQL, or back",
        description="Copy all of Anagen's data from SOURCE into TARGET, e.g. from the SQLite "
        "file into PostgreSQL before running several bot processes, or back. SOURCE is read "
        "in one consistent snapshot and never changed, so it is safe while the bot runs on it "
        "(what the bot writes after the snapshot is not copied: stop it before switching it to "
        "TARGET). SOURCE must be at this Anagen's schema version: after an upgrade, start the "
        "bot on it once first. TARGET is created and migrated if needed and must hold no "
        "Anagen data; every row is written in one transaction (all or nothing), then each "
        "table's row count in TARGET is checked against SOURCE's snapshot.",
    )
    for name, role in (("source", "the database to copy from"), ("target", "where to copy")):
        copy.add_argument(
            name,
            metavar=name.upper(),
            help=f"{role}: an SQLite file's path (or sqlite:///PATH) or a PostgreSQL URL "
            "such as postgresql://USER:PASSWORD@HOST/DATABASE",
        )
    return parser


def _error(message: str) -> None:
    print(f"anagen: {message}", file=sys.stderr)


def _settings_or_exit(
    args: argparse.Namespace,
    *,
    require_token: bool,
    shards: str | None = None,
    shard_count: str | None = None,
) -> Settings | int:
    settings, problems = read_settings(
        env_file=args.env_file,
        require_token=require_token,
        shards=shards,
        shard_count=shard_count,
    )
    if not problems:
        return settings
    if problems == [TOKEN_HELP]:
        print(TOKEN_HELP, file=sys.stderr)
    else:
        for problem in problems:
            _error(problem)
    return EXIT_CONFIG


async def _run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    from bot.app import AnagenBot  # imports every cog: keep `check` and `--help` fast

    assert settings.token is not None
    async with AnagenBot(settings, force_sync=sync_only) as bot:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
        try:
            if sync_only:
                await bot.login(settings.token)
            else:
                await bot.start(settings.token)
        except discord.LoginFailure:
            _error(
                "Discord rejected DISCORD_TOKEN: reset the token in the developer portal "
                "and update .env."
            )
            return EXIT_CONFIG
    return EXIT_OK


def configure_logging(
    settings: Settings, handler: logging.Handler | None = None
) -> logging.Handler:
    """Log to stderr (or `handler`) in discord.py's format, coloured on a terminal; never
    members' text or tokens, whatever the level (bot/logs.py)."""
    handler = handler or logging.StreamHandler()
    discord.utils.setup_logging(handler=handler, level=settings.log_level_number, root=True)
    keep_members_out(handler, settings.log_level_number, discord_debug=settings.discord_debug)
    return handler


def _command_run(args: argparse.Namespace, *, sync_only: bool = False) -> int:
    # `anagen run --shards … --shard-count …` over ANAGEN_SHARDS and ANAGEN_SHARD_COUNT;
    # `anagen` alone and `anagen sync` have no such flags.
    settings = _settings_or_exit(
        args,
        require_token=True,
        shards=getattr(args, "shards", None),
        shard_count=getattr(args, "shard_count", None),
    )
    if isinstance(settings, int):
        return settings
    configure_logging(settings)
    try:
        return asyncio.run(_run_bot(settings, sync_only=sync_only))
    except (StorageError, QuestionnaireError, KnowledgeBaseError) as exc:
        _error(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK


def _command_check(args: argparse.Namespace) -> int:
    settings, problems = read_settings(env_file=args.env_file, require_token=True)
    report = asyncio.run(run_checks(settings, problems, env_file=args.env_file))
    for line in report.passed:
        print(f"ok       {line}")
    for line in report.warnings:
        print(f"WARNING  {line}")
    for line in report.problems:
        print(f"PROBLEM  {line}")
    summary = "All checks passed." if report.ok else f"{len(report.problems)} problem(s) found."
    if report.warnings:
        summary += f" {len(report.warnings)} warning(s) above."
    print(summary)
    return EXIT_OK if report.ok else EXIT_FAILURE


def _sidecars(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database: its WAL, shared memory and rollback
    journal."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


async def _backup(source: Path, destination: Path) -> None:
    """The copy is one self-contained file (rollback journal mode), owner-only (0600) like
    the database; nothing is left beside it."""
    partial = destination.with_name(destination.name + ".partial")
    for stale in (partial, *_sidecars(partial)):  # SQLite would replay a stale WAL into it
        stale.unlink(missing_ok=True)
    try:
        async with await Database.open(source, readonly=True, migrate=False) as db:
            await db.backup_to(partial)
        async with await Database.open(partial, readonly=True, migrate=False) as copy:
            if problems := await copy.integrity_problems():
                raise StorageError(f"the copy failed its integrity check: {problems[0]}")
    except BaseException:
        for leftover in (partial, *_sidecars(partial)):
            leftover.unlink(missing_ok=True)
        raise
    for leftover in _sidecars(partial):  # a read-only open may leave an empty -shm behind
        leftover.unlink(missing_ok=True)
    # The files beside a database being overwritten (--force) are its own: SQLite would
    # apply them to the copy.
    for stale in _sidecars(destination):
        stale.unlink(missing_ok=True)
    os.replace(partial, destination)


def _command_backup(args: argparse.Namespace) -> int:
    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    destination: Path = args.path
    if destination.exists() and not args.force:
        _error(f"{destination} already exists; choose another path or pass --force.")
        return EXIT_FAILURE
    source = settings.database
    if not isinstance(source, SQLiteLocation):
        _error(
            f"{source} is PostgreSQL: back it up with pg_dump, or copy it into an SQLite file "
            "with `anagen db copy`."
        )
        return EXIT_FAILURE
    if destination.resolve() == source.path.resolve():
        _error("the backup path is the database itself; choose another path.")
        return EXIT_FAILURE
    try:
        asyncio.run(_backup(source.path, destination))
    except (StorageError, OSError) as exc:
        _error(f"backup failed: {exc}")
        return EXIT_FAILURE
    print(f"Backed up {source.path} to {destination}.")
    return EXIT_OK


def _command_db_copy(args: argparse.Namespace) -> int:
    import sqlite3

    import psycopg

    from bot.storage.copy import copy_database

    try:
        report = asyncio.run(copy_database(args.source, args.target))
    except (StorageError, psycopg.Error, sqlite3.Error, OSError) as exc:
        lines = str(exc).strip().splitlines()
        _error(f"error: copy failed: {lines[0] if lines else type(exc).__name__}")
        return EXIT_FAILURE
    width = max(len(name) for name in (*report.counts, "total"))
    print(f"Copied {report.source} to {report.target} (one snapshot of the source):")
    print(f"  {'table':{width}}  {'rows':>9}")
    for name, count in report.counts.items():
        print(f"  {name:{width}}  {count:>9}")
    print(f"  {'total':{width}}  {report.total:>9}")
    print(
        f"Done: {report.total} rows in {len(report.counts)} tables; every table's row count "
        "in the target matches the source's snapshot."
    )
    return EXIT_OK


def _command_preview(args: argparse.Namespace) -> int:
    from bot.survey.preview import run_preview
    from bot.survey.questionnaire import load_questionnaire

    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        questionnaire = load_questionnaire(args.questionnaire or settings.questionnaire_path)
    except QuestionnaireError as exc:
        for problem in exc.problems:
            _error(f"{exc.source}: {problem}")
        return EXIT_FAILURE
    with contextlib.suppress(KeyboardInterrupt):
        answered = asyncio.run(run_preview(questionnaire))
        print(f"\n{answered} answers given; nothing was kept.")
    return EXIT_OK


def _command_kb(args: argparse.Namespace) -> int:
    from bot.treatments.knowledge import load_knowledge_base
    from bot.treatments.search import TreatmentSearch

    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        kb = load_knowledge_base(settings.knowledge_base_path)
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(f"PROBLEM  {problem}")
        print(f"{len(exc.problems)} problem(s) found.")
        return EXIT_FAILURE
    if args.kb_command == "check":
        print(
            f"ok  {len(kb.treatments)} entries in {len({t.category for t in kb.treatments})} "
            f"categories, {kb.fact_count} facts each with a source and a date "
            f"({kb.unconfirmed_count} marked unconfirmed); every treatment has the "
            f"cautions its safety classes require."
        )
        return EXIT_OK
    query = " ".join(args.query)
    matches = TreatmentSearch(kb).search(query, limit=10)
    if not matches:
        print(f"Nothing found for {query!r}.")
        return EXIT_FAILURE
    for match in matches:
        print(
            f"{match.how.name.lower():9} {match.score:6.1f}  {match.treatment.id:22} "
            f"(matched {match.matched_name!r})"
        )
    return EXIT_OK


async def _with_results(settings: Settings, work: Callable[[ResultsService], Awaitable[T]]) -> T:
    from bot.results.service import ResultsService
    from bot.survey.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(settings.questionnaire_path)
    async with await Database.open(settings.database) as db:
        return await work(ResultsService(db, questionnaire))


def _command_results(args: argparse.Namespace) -> int:
    """export, report and import-replies: offline work on the database."""
    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        if args.command == "export":
            return asyncio.run(_with_results(settings, lambda s: _export(s, args)))
        if args.command == "report":
            return asyncio.run(_with_results(settings, lambda s: _report(s, args)))
        return _import(settings, args)
    except (StorageError, QuestionnaireError, OSError) as exc:
        _error(str(exc))
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


async def _export(service: ResultsService, args: argparse.Namespace) -> int:
    """PATH gets the survey; the codebook and the check-ins (long format) go beside it."""
    data, codebook, checkins = await service.export(args.guild, args.format)
    output: Path = args.output
    _write_owner_only(output, data.content)
    book = output.with_name(output.stem + ".codebook" + output.suffix)
    _write_owner_only(book, codebook.content)
    long = output.with_name(output.stem + ".checkins" + output.suffix)
    _write_owner_only(long, checkins.content)
    print(f"Wrote {output}, its codebook {book} and the check-ins {long}.")
    return EXIT_OK


async def _report(service: ResultsService, args: argparse.Namespace) -> int:
    from bot.results.report import build_report

    page = await build_report(service, args.guild)
    _write_owner_only(args.output, page.encode("utf-8"))
    print(f"Wrote {args.output} ({len(page) // 1024} KiB).")
    return EXIT_OK


def _import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.results.importer import (
        ImportFileError,
        parse_reply,
        read_replies_file,
        split_replies,
    )

    try:
        text = read_replies_file(args.file)  # UTF-8 and size-capped: one clear line if not
    except ImportFileError as exc:
        _error(str(exc))
        return EXIT_FAILURE
    replies = [parse_reply(block) for block in split_replies(text)]
    if not replies:
        _error(f"no replies in the 'Key: value' format found in {args.file}.")
        return EXIT_FAILURE
    for number, reply in enumerate(replies, 1):
        print(f"Reply {number}:")
        for line in reply.mapped:
            print(f"  mapped      {line}")
        for line in reply.unmapped:
            print(f"  not mapped  {line}")
    if args.dry_run:
        print(f"{len(replies)} replies read; nothing stored (--dry-run).")
        return EXIT_OK

    async def store(service: ResultsService) -> list[int]:
        ids = await service.import_replies(args.guild, replies)
        if args.include_imported:
            await service.update_settings(args.guild, include_imported=True)
        return ids

    ids = asyncio.run(_with_results(settings, store))
    counted = (
        "counted in results"
        if args.include_imported
        else (
            "not counted in results until the server includes imported replies "
            "(--include-imported, or /survey-admin settings)"
        )
    )
    print(f"Stored {len(ids)} imported responses for server {args.guild}; {counted}.")
    return EXIT_OK


def _command_erase(args: argparse.Namespace) -> int:
    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    if not args.yes:
        try:
            answer = input(
                f"Erase everything Anagen stores about user {args.user} in server {args.guild}? "
                "This cannot be undone. Type 'erase' to confirm: "
            )
        except EOFError:
            answer = ""
        if answer.strip().lower() != "erase":
            print("Nothing was erased.")
            return EXIT_FAILURE
    try:
        return asyncio.run(_erase(settings, args.guild, args.user))
    except StorageError as exc:
        _error(str(exc))
        return EXIT_FAILURE


async def _erase(settings: Settings, guild_id: int, user_id: int) -> int:
    from bot.erasure import erase_member

    async with await Database.open(settings.database) as db:
        erased = await erase_member(db, guild_id, user_id)
    if not erased.anything:
        print(f"Nothing was stored about user {user_id} in server {guild_id}.")
        return EXIT_OK
    print(
        f"Erased user {user_id} in server {guild_id}: {erased.responses} survey responses with "
        f"{erased.answers} answers, {erased.checkins} check-ins, {erased.regimen_entries} "
        f"regimen entries, {erased.suggestions} suggestions"
        + (", and the check-in schedule" if erased.enrolled else "")
        + ". Published results leave them out from the server's next release."
    )
    return EXIT_OK


def _command_checkins(args: argparse.Namespace) -> int:
    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        return asyncio.run(_reminder_log(settings, args))
    except StorageError as exc:
        _error(str(exc))
        return EXIT_FAILURE


async def _reminder_log(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage.checkins import CheckinRepository

    guild, user, limit = args.guild, args.user, max(1, args.limit)
    async with await Database.open(settings.database, readonly=True) as db:
        entries = await db.read(
            lambda tx: CheckinRepository(tx).reminder_log(guild, user_id=user, limit=limit)
        )
    if not entries:
        print(f"No check-in reminders logged for server {args.guild}.")
        return EXIT_OK
    print(f"{'claimed (UTC)':19}  {'member':>20}  {'period':21}  {'state':8}  {'tries':>5}  reason")
    for entry in entries:
        print(
            f"{entry.claimed_at:%Y-%m-%d %H:%M:%S}  {entry.user_id:>20}  {entry.period:21}  "
            f"{entry.state.value:8}  {entry.attempts:>5}  {entry.reason or ''}"
        )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    match args.command:
        case "check":
            return _command_check(args)
        case "sync":
            return _command_run(args, sync_only=True)
        case "export" | "report" | "import-replies":
            return _command_results(args)
        case "kb":
            return _command_kb(args)
        case "preview":
            return _command_preview(args)
        case "db":
            return _command_db_copy(args) if args.db_command == "copy" else _command_backup(args)
        case "checkins":
            return _command_checkins(args)
        case "erase":
            return _command_erase(args)
        case _:
            return _command_run(args)
