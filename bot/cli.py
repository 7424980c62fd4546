"""The `anagen` command line: run the bot, check an installation, read a server's data,
back up. Colour and progress bars only where a terminal is attached; plain text otherwise
(logs, pipes, cron), and JSON for scripts where they would want it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import os
import signal
import socket
import sqlite3
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, TypeVar

import aiohttp
import discord

from bot import __version__
from bot.checks import run_checks
from bot.logs import keep_members_out
from bot.settings import TOKEN_HELP, Settings, read_settings
from bot.storage import Database, SQLiteLocation, StorageError
from bot.storage.guilds import GuildSummary, imported_texts, known_guilds
from bot.survey.questionnaire import QuestionnaireError
from bot.treatments.knowledge import KnowledgeBaseError

if TYPE_CHECKING:
    from bot.results.service import ResultsService
    from bot.treatments.knowledge import KnowledgeBase, Treatment
    from bot.treatments.search import Match

T = TypeVar("T")

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl+C
# Where Discord shows a server's id, for every message that asks for one.
SERVER_ID_HELP = (
    "Discord shows a server's id: turn on Developer Mode (User Settings > Advanced), then "
    "right-click the server's icon > Copy Server ID."
)


GUILD_HELP = "the server's id (run `anagen guilds` to list the servers in the database)"
JSON_HELP = "print JSON for scripts instead of text"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anagen",
        description=(
            "Anagen, a Discord bot for hair-loss communities. Settings come from the "
            "environment and from a .env file (see .env.example). Without a command, runs the "
            "bot. The commands that read the bot's data (guilds, report, export, "
            "import-replies, checkins, erase, db backup) use the database the bot uses "
            "(ANAGEN_DATABASE, by default anagen.db in the current folder) and refuse to run "
            "when that file does not exist: run them where the bot runs."
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
        "shard 0 syncs the slash commands. Exits 2 when Discord rejects the token, 1 when "
        "Discord cannot be reached (the one line printed names why).",
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
    check = commands.add_parser(
        "check",
        help="check settings, database and data files without connecting to Discord",
        description="Validate settings, the database (its absolute path, identity, integrity, "
        "pending migrations) and the bundled data files. The token's form is checked, not "
        "whether Discord accepts it: `anagen` logs in with it. Exits 1 and lists every "
        "problem if any; warnings never fail the check.",
    )
    check.add_argument("--json", action="store_true", help=JSON_HELP)
    commands.add_parser(
        "sync",
        help="push the slash commands to Discord now, changed or not",
        description="Log in over HTTP only (no gateway), sync the application commands "
        "globally, or to ANAGEN_DEV_GUILD_ID when set, and exit.",
    )
    preview = commands.add_parser(
        "preview",
        help="take the questionnaire in this terminal (nothing is kept)",
        description="Show the consent message members read first, then walk through the "
        "questionnaire with the same engine the bot uses, typing answers as a member would "
        "in DMs (back, skip and pause work as there). Answers go to a temporary database "
        "that is deleted on exit. Ctrl+C or Ctrl+D stops at once. Handy for checking a "
        "questionnaire file before the bot uses it.",
    )
    preview.add_argument(
        "--questionnaire",
        type=Path,
        metavar="PATH",
        help="questionnaire file to preview (default: ANAGEN_QUESTIONNAIRE or the bundled one)",
    )
    guilds = commands.add_parser(
        "guilds",
        help="list the servers in the database, with their response counts",
        description="List every server the database holds anything about, by id, with its "
        "members who completed the survey, surveys in progress, imported replies, completed "
        "check-ins and the day of the last answer: the ids --guild takes. Discord shows a "
        "server's id too: turn on Developer Mode (User Settings > Advanced), then "
        "right-click the server's icon > Copy Server ID.",
    )
    guilds.add_argument("--json", action="store_true", help=JSON_HELP + " (ids as strings)")
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
        help="search as /treatment lookup does, and show what a member sees",
        description="Run the search /treatment lookup and its autocomplete use, and list the "
        "entries a member would be offered, best first: each entry's name, the first "
        "sentence of its summary and its safety badge (how many cautions it carries). "
        "When nothing matches, shows the popular entries the slash command suggests "
        "instead, and exits 1.",
    )
    kb_search.add_argument("query", nargs="+", help="what a member would type")
    kb_search.add_argument(
        "--debug",
        action="store_true",
        help="also show how each entry matched (exact, symptom, prefix, fuzzy or full-text), "
        "its score and the name or alias that matched",
    )
    kb_search.add_argument("--json", action="store_true", help=JSON_HELP)
    export = commands.add_parser(
        "export",
        help="write a server's responses, check-ins and codebook (as /survey-admin export)",
        description="Write every completed response of one server to PATH, with pseudonymous "
        "respondent ids; beside it, its check-ins in long format (one row per check-in and "
        "treatment, PATH with .checkins.csv or .checkins.json) and a codebook describing "
        "every column of both (.codebook.csv or .codebook.json). Each column holds one type: "
        "a skipped number leaves its cell empty (null in JSON) and the skipped column names "
        "what was skipped. Refuses to overwrite any of the three files without --force.",
    )
    export.add_argument("--guild", type=int, required=True, metavar="ID", help=GUILD_HELP)
    export.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="file format (default: csv)"
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="PATH",
        help="the survey's file; the codebook and the check-ins are written beside it",
    )
    export.add_argument(
        "--labels",
        action="store_true",
        help="write each choice's label (Norwood 3 vertex) instead of its id (nw3v)",
    )
    export.add_argument("--force", action="store_true", help="overwrite the files if they exist")
    report = commands.add_parser(
        "report",
        help="write a self-contained HTML page of a server's results",
        description="Write one HTML file (charts embedded) with the server's latest published "
        "results and the community's comparisons, under the same privacy rules as Discord: "
        "no count under the server's minimum group size, no free text. Fit to publish on a "
        "blog. Shows its progress on a terminal.",
    )
    report.add_argument("--guild", type=int, required=True, metavar="ID", help=GUILD_HELP)
    report.add_argument(
        "-o", "--output", type=Path, required=True, metavar="PATH", help="the HTML file to write"
    )
    imports = commands.add_parser(
        "import-replies",
        help="import questionnaire replies people wrote in a thread",
        description="Read replies in the thread's free-text format (Age: … / Balding: … / "
        "Pain: … / Itch: … / Shedding: … / Dandruff: …), map what can be mapped to the "
        "questionnaire, print what was and was not mapped, and store them as imported "
        "responses. A reply already imported for the server (the same text) is skipped and "
        "said so, so a file can grow and be imported again. They count in results only when "
        "the server includes imported replies (/survey-admin settings include_imported:true).",
    )
    imports.add_argument("file", type=Path, metavar="FILE", help="a text file of replies")
    imports.add_argument("--guild", type=int, required=True, metavar="ID", help=GUILD_HELP)
    imports.add_argument(
        "--include-imported",
        action="store_true",
        help="also switch the server's results to include imported replies",
    )
    imports.add_argument(
        "--dry-run",
        action="store_true",
        help="only print the mapping report; store nothing (needs no database)",
    )
    imports.add_argument(
        "--new-server",
        action="store_true",
        help="store for a server the database does not hold yet (nobody has used the bot "
        "there); without it, an id the database does not know is refused as a likely typo",
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
    reminder_log.add_argument("--guild", type=int, required=True, metavar="ID", help=GUILD_HELP)
    reminder_log.add_argument("--user", type=int, metavar="ID", help="only this member")
    reminder_log.add_argument(
        "--limit", type=int, default=100, metavar="N", help="at most N entries (default 100)"
    )
    reminder_log.add_argument("--json", action="store_true", help=JSON_HELP + " (ids as strings)")
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
    erase.add_argument("--guild", type=int, required=True, metavar="ID", help=GUILD_HELP)
    erase.add_argument("--user", type=int, required=True, metavar="ID", help="member's user id")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    backup = db_commands.add_parser(
        "backup",
        help="copy the SQLite file safely, even while the bot runs",
        description="Copy the SQLite database file with SQLite's online backup API: a "
        "consistent snapshot even while the bot is writing to it, one self-contained file "
        "readable by its owner only, nothing left beside it. For PostgreSQL use pg_dump, "
        "or `anagen db copy` into an SQLite file.",
    )
    backup.add_argument(
        "path",
        type=Path,
        metavar="PATH",
        help="where to write the copy: a file, or an existing folder to get a dated file "
        "in it (anagen-YYYY-MM-DD.db, today's local date)",
    )
    backup.add_argument("--force", action="store_true", help="overwrite the file if it exists")
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


# -- output -----------------------------------------------------------------------------------

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def colour_on(stream: IO[str]) -> bool:
    """Colour for a person at a terminal; never in a pipe, a file or a log, nor when they
    asked for none (NO_COLOR, https://no-color.org) or the terminal cannot show it."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, colour: str, stream: IO[str] | None = None) -> str:
    """`text` in `colour` when `stream` (stdout by default) is a terminal."""
    if not colour_on(stream or sys.stdout):
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def _can_print(text: str, stream: IO[str]) -> bool:
    """Whether `stream` can encode `text` (a badge's ⚠ on a Latin-1 console cannot)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _error(message: str) -> None:
    print(f"{paint('anagen:', 'red', sys.stderr)} {message}", file=sys.stderr)


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# -- settings and the database ------------------------------------------------------------


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


def absolute(path: Path) -> Path:
    """`path` from the root, as an operator must see it to tell which file is meant (the
    default database is relative to wherever the command runs)."""
    return Path(os.path.abspath(path))


def _missing_database(path: Path) -> str:
    where = absolute(path)
    folder = "" if where.parent.is_dir() else f": the folder {where.parent} does not exist"
    return (
        f"no database at {where}{folder}. Nothing was read or created. Run this command in "
        "the folder the bot runs in, or set ANAGEN_DATABASE to the bot's database file "
        "(`anagen check` there shows its path)."
    )


def _database_or_exit(args: argparse.Namespace) -> Settings | int:
    """Settings for a command on the bot's data: the database must exist already. A read
    command run from the wrong folder would otherwise create an empty `anagen.db` there
    and report nothing, as if the server had no data."""
    settings, problems = read_settings(env_file=args.env_file, require_token=False)
    location = settings.database
    if isinstance(location, SQLiteLocation) and not location.path.exists():
        _error(_missing_database(location.path))
        for problem in problems:
            if not problem.startswith("ANAGEN_DATABASE="):  # said above, for this command
                _error(problem)
        return EXIT_CONFIG
    return _settings_or_exit(args, require_token=False)


def _where(settings: Settings) -> str:
    location = settings.database
    return str(absolute(location.path)) if isinstance(location, SQLiteLocation) else str(location)


def guild_table(guilds: Sequence[GuildSummary]) -> list[str]:
    """The servers as a table an operator can pick an id from."""
    from bot.results.export import utc_day

    lines = [
        f"  {'server id':>20}  {'members':>7}  {'in progress':>11}  {'imported':>8}  "
        f"{'check-ins':>9}  last answer"
    ]
    for guild in guilds:
        lines.append(
            f"  {guild.guild_id:>20}  {guild.members:>7}  {guild.in_progress:>11}  "
            f"{guild.imported:>8}  {guild.checkins:>9}  {utc_day(guild.last_activity) or '-'}"
        )
    return lines


class UnknownGuild(Exception):
    """A --guild the database holds nothing about: most likely a mistyped id."""

    def __init__(self, guild_id: int, guilds: list[GuildSummary]) -> None:
        super().__init__(guild_id)
        self.guild_id = guild_id
        self.guilds = guilds

    def explain(self, where: str, *, new_server_flag: bool = False) -> None:
        _error(
            f"server {self.guild_id} is not in the database {where}; nothing was read or written."
        )
        if self.guilds:
            print("The servers it holds:", file=sys.stderr)
            for line in guild_table(self.guilds):
                print(line, file=sys.stderr)
        else:
            print(
                "It holds no server yet: is it the bot's database? (`anagen check` where the "
                "bot runs shows its path.)",
                file=sys.stderr,
            )
        if new_server_flag:
            print(
                f"If {self.guild_id} is right (a server where nobody has used the bot yet), "
                "add --new-server.",
                file=sys.stderr,
            )
        print(SERVER_ID_HELP, file=sys.stderr)


async def require_guild(db: Database, guild_id: int) -> None:
    """Raises UnknownGuild unless the database holds something about the server: checked
    before any work, so a mistyped id never writes a row (an export used to create the
    server's secret)."""
    guilds = await db.read(known_guilds)
    if all(guild.guild_id != guild_id for guild in guilds):
        raise UnknownGuild(guild_id, guilds)


# -- run and sync ---------------------------------------------------------------------------


def unreachable(exc: BaseException) -> str | None:
    """One line naming why Discord could not be reached, or None when `exc` is something
    else. What a self-hoster meets first behind a firewall, a broken DNS or a proxy:
    aiohttp's own traceback runs to 80 lines and names none of it plainly."""
    if isinstance(exc, discord.DiscordServerError):
        return (
            f"Discord answered with a server error (HTTP {exc.status}): an outage on its side. "
            "See https://discordstatus.com and start anagen again later."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = f"{exc.host}:{exc.port}"
        cause = exc.os_error
        if isinstance(cause, socket.gaierror) or isinstance(
            exc, getattr(aiohttp, "ClientConnectorDNSError", ())
        ):
            why = (
                f"looking up {exc.host} failed (DNS); check this machine's network "
                "connection and DNS settings"
            )
        elif isinstance(exc, aiohttp.ClientProxyConnectionError):
            why = "the proxy refused the connection; check the proxy settings"
        elif isinstance(exc, aiohttp.ClientConnectorCertificateError) or isinstance(
            cause, ssl.SSLError
        ):
            why = (
                "its TLS certificate could not be verified (a proxy or firewall intercepting "
                "HTTPS, outdated CA certificates, or a wrong system clock)"
            )
        elif cause.errno == errno.ECONNREFUSED:
            why = "the connection was refused; check the firewall and any proxy"
        elif cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            why = "there is no route to it; check this machine's network connection"
        elif cause.errno == errno.ETIMEDOUT:
            why = "the connection timed out; check the firewall and network"
        else:
            why = f"{cause.strerror or cause}; check the network, the firewall and any proxy"
        return f"cannot reach Discord at {where}: {why}, then start anagen again."
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return (
            "Discord did not answer in time: check the network, the firewall and any proxy (or "
            "https://discordstatus.com), then start anagen again."
        )
    if isinstance(exc, aiohttp.ClientError):
        return (
            f"cannot talk to Discord ({type(exc).__name__}: {exc}): check the network, the "
            "firewall and any proxy, then start anagen again."
        )
    return None


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
        except (aiohttp.ClientError, discord.DiscordServerError, TimeoutError) as exc:
            if (reason := unreachable(exc)) is None:
                raise
            _error(reason)
            return EXIT_FAILURE
    return EXIT_OK


def configure_logging(
    settings: Settings, handler: logging.Handler | None = None
) -> logging.Handler:
    """Log to stderr (or `handler`) in discord.py's format, coloured on a terminal; never
    members' text or tokens, whatever the level, nor discord.py's voice warnings (Anagen
    has no voice) (bot/logs.py)."""
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


# -- check ------------------------------------------------------------------------------------


def _command_check(args: argparse.Namespace) -> int:
    settings, problems = read_settings(env_file=args.env_file, require_token=True)
    report = asyncio.run(run_checks(settings, problems, env_file=args.env_file))
    if args.json:
        _print_json(
            {
                "ok": report.ok,
                "database": _where(settings),
                "passed": report.passed,
                "warnings": report.warnings,
                "problems": report.problems,
            }
        )
        return EXIT_OK if report.ok else EXIT_FAILURE
    for line in report.passed:
        print(f"{paint('ok', 'green')}       {line}")
    for line in report.warnings:
        print(f"{paint('WARNING', 'yellow')}  {line}")
    for line in report.problems:
        print(f"{paint('PROBLEM', 'red')}  {line}")
    summary = "All checks passed." if report.ok else f"{len(report.problems)} problem(s) found."
    if report.warnings:
        summary += f" {len(report.warnings)} warning(s) above."
    print(summary)
    return EXIT_OK if report.ok else EXIT_FAILURE


# -- guilds -----------------------------------------------------------------------------------


def _command_guilds(args: argparse.Namespace) -> int:
    settings = _database_or_exit(args)
    if isinstance(settings, int):
        return settings

    async def read() -> list[GuildSummary]:
        async with await Database.open(settings.database, readonly=True) as db:
            return await db.read(known_guilds)

    try:
        guilds = asyncio.run(read())
    except (StorageError, sqlite3.Error) as exc:
        _error(str(exc))
        return EXIT_FAILURE
    where = _where(settings)
    if args.json:
        from bot.results.export import utc_day

        _print_json(
            {
                "database": where,
                "servers": [
                    {
                        "guild_id": str(g.guild_id),
                        "members": g.members,
                        "in_progress": g.in_progress,
                        "imported": g.imported,
                        "checkins": g.checkins,
                        "last_answer": utc_day(g.last_activity) or None,
                    }
                    for g in guilds
                ],
            }
        )
        return EXIT_OK
    if not guilds:
        print(f"The database {where} holds no server yet: nobody has used the bot with it.")
        return EXIT_OK
    print(f"Servers in {where}:")
    for line in guild_table(guilds):
        print(line)
    print(
        "members: who completed the survey (imported replies apart); last answer: the UTC "
        f"day of the latest survey or check-in answer. {SERVER_ID_HELP}"
    )
    return EXIT_OK


# -- backup and copy --------------------------------------------------------------------------


def _sidecars(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database: its WAL, shared memory and rollback
    journal."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


async def _backup(source: Path, destination: Path) -> None:
    """The copy is one self-contained file (rollback journal mode), owner-only (0600) like
    the database; nothing is left beside it, whether it succeeds or fails."""
    partial = destination.with_name(destination.name + ".partial")
    for stale in (partial, *_sidecars(partial)):  # SQLite would replay a stale WAL into it
        stale.unlink(missing_ok=True)
    try:
        async with await Database.open(source, readonly=True, migrate=False) as db:
            await db.backup_to(partial)
        async with await Database.open(partial, readonly=True, migrate=False) as copy:
            if problems := await copy.integrity_problems():
                raise StorageError(f"the copy failed its integrity check: {problems[0]}")
        for leftover in _sidecars(partial):  # a read-only open may leave an empty -shm behind
            leftover.unlink(missing_ok=True)
        # The files beside a database being overwritten (--force) are its own: SQLite would
        # apply them to the copy.
        for stale in _sidecars(destination):
            stale.unlink(missing_ok=True)
        os.replace(partial, destination)
    except BaseException:
        for leftover in (partial, *_sidecars(partial)):
            leftover.unlink(missing_ok=True)
        raise


def _backup_target(path: Path) -> Path:
    """An existing folder gets a dated file, as backup scripts want (one a day)."""
    if path.is_dir():
        return path / f"anagen-{date.today().isoformat()}.db"
    return path


def _command_backup(args: argparse.Namespace) -> int:
    settings = _database_or_exit(args)
    if isinstance(settings, int):
        return settings
    source = settings.database
    if not isinstance(source, SQLiteLocation):
        _error(
            f"{source} is PostgreSQL: back it up with pg_dump, or copy it into an SQLite file "
            "with `anagen db copy`."
        )
        return EXIT_FAILURE
    destination = _backup_target(args.path)
    if not destination.parent.is_dir():
        _error(
            f"the folder {absolute(destination.parent)} does not exist; create it or choose "
            "another path. Nothing was written."
        )
        return EXIT_FAILURE
    if destination.exists() and not args.force:
        _error(f"{destination} already exists; choose another path or pass --force.")
        return EXIT_FAILURE
    if destination.resolve() == source.path.resolve():
        _error("the backup path is the database itself; choose another path.")
        return EXIT_FAILURE
    try:
        asyncio.run(_backup(source.path, destination))
    except (StorageError, OSError, sqlite3.Error) as exc:
        _error(f"backup failed: {exc}. Nothing was written to {destination}.")
        return EXIT_FAILURE
    print(f"Backed up {absolute(source.path)} to {destination}.")
    return EXIT_OK


def _command_db_copy(args: argparse.Namespace) -> int:
    from bot.storage.copy import copy_database

    errors: tuple[type[Exception], ...] = (StorageError, sqlite3.Error, OSError)
    try:
        import psycopg

        errors = (*errors, psycopg.Error)
    except ImportError:  # SQLite to SQLite; a PostgreSQL side says how to install psycopg
        pass
    try:
        report = asyncio.run(copy_database(args.source, args.target))
    except errors as exc:
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


# -- preview ----------------------------------------------------------------------------------


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

    return CONSENT.format(title=title, intro=intro)


def _command_preview(args: argparse.Namespace) -> int:
    from bot.survey.preview import preview_texts, run_preview
    from bot.survey.questionnaire import load_questionnaire
    from bot.survey.service import SurveyService
    from bot.treatments.knowledge import load_knowledge_base

    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        questionnaire = load_questionnaire(args.questionnaire or settings.questionnaire_path)
    except QuestionnaireError as exc:
        for problem in exc.problems:
            _error(f"{exc.source}: {problem}")
        return EXIT_FAILURE
    consent = _consent_text(questionnaire.title, questionnaire.intro)
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
        with _interruptible():
            answered = asyncio.run(run_preview(questionnaire, consent=consent, engine=engine))
    except KeyboardInterrupt:
        print(file=sys.stderr)  # end the line the prompt was on
        _error("preview stopped (Ctrl+C); nothing was kept.")
        return EXIT_INTERRUPTED
    print(f"\n{answered} answer{'' if answered == 1 else 's'} given; nothing was kept.")
    return EXIT_OK


# -- the knowledge base -----------------------------------------------------------------------


def first_sentence(text: str, limit: int = 110) -> str:
    """The start of a summary, as a member's eye takes it in: its first sentence, cut at a
    word under `limit` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if ". " in line:
        line = line[: line.index(". ") + 1]
    if len(line) <= limit:
        return line
    return line[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def safety_badge(treatment: Treatment, stream: IO[str] | None = None) -> str:
    """What an entry carries that a member must read: its cautions, or for a condition when
    to see a doctor ("" when none)."""
    facts = treatment.safety_facts
    cautions = sum(1 for fact in facts if fact.topic == "caution")
    parts = []
    if cautions:
        parts.append(f"{cautions} caution{'s' if cautions != 1 else ''}")
    if any(fact.topic == "see_doctor" for fact in facts):
        parts.append("when to see a doctor")
    if not parts:
        return ""
    sign = "⚠" if _can_print("⚠", stream or sys.stdout) else "!"
    return f"{sign} {', '.join(parts)}"


def _entry_json(treatment: Treatment, match: Match | None) -> dict[str, object]:
    facts = treatment.safety_facts
    found: dict[str, object] = {
        "id": treatment.id,
        "name": treatment.name,
        "first_line": first_sentence(treatment.summary),
        "cautions": sum(1 for fact in facts if fact.topic == "caution"),
        "see_a_doctor": any(fact.topic == "see_doctor" for fact in facts),
    }
    if match is not None:
        found.update(
            how=match.how.name.lower(), score=round(match.score, 2), matched=match.matched_name
        )
    return found


def _entry_lines(number: int, treatment: Treatment, match: Match | None, debug: bool) -> list[str]:
    badge = safety_badge(treatment)
    title = f"{number:>2}. {paint(treatment.name, 'bold')}"
    lines = [f"{title}  {paint(badge, 'yellow')}" if badge else title]
    lines.append(f"    {first_sentence(treatment.summary)}")
    if debug and match is not None:
        how = match.how.name.lower().replace("fulltext", "full-text")
        lines.append(
            paint(
                f"    [{how}, score {match.score:.1f}, matched {match.matched_name!r}, "
                f"id {treatment.id}]",
                "dim",
            )
        )
    return lines


def _kb_search(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from bot.treatments.search import How, TreatmentSearch

    query = " ".join(args.query)
    search = TreatmentSearch(kb)
    matches = search.search(query, limit=10)
    symptom = bool(matches) and matches[0].how == How.SYMPTOM
    suggestions = [] if matches else search.suggestions()
    if args.json:
        _print_json(
            {
                "query": query,
                "found": bool(matches),
                "symptom": symptom,
                "results": [_entry_json(m.treatment, m) for m in matches],
                "suggestions": [_entry_json(t, None) for t in suggestions],
            }
        )
        return EXIT_OK if matches else EXIT_FAILURE
    if not matches:
        print(
            f"Nothing found for {query!r}. /treatment lookup suggests these popular entries "
            "instead (`/treatments` lists everything):"
        )
        for number, treatment in enumerate(suggestions, 1):
            print("\n".join(_entry_lines(number, treatment, None, False)))
        return EXIT_FAILURE
    if symptom:
        print(
            f"/treatment lookup {query!r} names a symptom: it shows the conditions that cause "
            "it first, to tell apart, then products."
        )
    else:
        print(
            f"/treatment lookup {query!r} opens {matches[0].treatment.name}; autocomplete offers:"
        )
    for number, match in enumerate(matches, 1):
        print("\n".join(_entry_lines(number, match.treatment, match, args.debug)))
    return EXIT_OK


def _command_kb(args: argparse.Namespace) -> int:
    from bot.treatments.knowledge import load_knowledge_base

    settings = _settings_or_exit(args, require_token=False)
    if isinstance(settings, int):
        return settings
    try:
        kb = load_knowledge_base(settings.knowledge_base_path)
    except KnowledgeBaseError as exc:
        for problem in exc.problems:
            print(f"{paint('PROBLEM', 'red')}  {problem}")
        print(f"{len(exc.problems)} problem(s) found.")
        return EXIT_FAILURE
    if args.kb_command == "check":
        print(
            f"{paint('ok', 'green')}  {len(kb.treatments)} entries in "
            f"{len({t.category for t in kb.treatments})} categories, {kb.fact_count} facts "
            f"each with a source and a date ({kb.unconfirmed_count} marked unconfirmed); "
            "every treatment has the cautions its safety classes require."
        )
        return EXIT_OK
    return _kb_search(kb, args)


# -- a server's data: export, report, import, erase, check-ins --------------------------------


async def _with_results(
    settings: Settings, guild_id: int, work: Callable[[ResultsService], Awaitable[T]]
) -> T:
    from bot.results.service import ResultsService
    from bot.survey.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(settings.questionnaire_path)
    async with await Database.open(settings.database) as db:
        await require_guild(db, guild_id)
        return await work(ResultsService(db, questionnaire))


def _command_results(args: argparse.Namespace) -> int:
    """export, report and import-replies: offline work on the database."""
    if args.command == "import-replies":
        return _import(args)
    settings = _database_or_exit(args)
    if isinstance(settings, int):
        return settings
    try:
        if args.command == "export":
            if (refused := _export_refused(args)) is not None:
                return refused
            return asyncio.run(_with_results(settings, args.guild, lambda s: _export(s, args)))
        return asyncio.run(_report(settings, args))
    except UnknownGuild as exc:
        exc.explain(_where(settings))
        return EXIT_FAILURE
    except (StorageError, QuestionnaireError, OSError, sqlite3.Error) as exc:
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
        _error(
            f"the folder {absolute(output).parent} does not exist; create it or choose another "
            "path. Nothing was written."
        )
        return EXIT_FAILURE
    there = [path for path in _export_paths(output) if path.exists()]
    if there and not args.force:
        names = ", ".join(str(path) for path in there)
        _error(f"{names} already exist{'s' if len(there) == 1 else ''}; choose another path "
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


def _import(args: argparse.Namespace) -> int:
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
    except OSError as exc:
        _error(f"cannot read {absolute(args.file)}: {exc.strerror or exc}.")
        return EXIT_FAILURE
    replies = [parse_reply(block) for block in split_replies(text)]
    if not replies:
        _error(f"no replies in the 'Key: value' format found in {args.file}.")
        return EXIT_FAILURE
    settings: Settings | int = (
        _settings_or_exit(args, require_token=False) if args.dry_run else _database_or_exit(args)
    )
    if isinstance(settings, int):
        return settings
    for number, reply in enumerate(replies, 1):
        print(f"Reply {number}:")
        for line in reply.mapped:
            print(f"  mapped      {line}")
        for line in reply.unmapped:
            print(f"  not mapped  {line}")
    if args.dry_run:
        print(f"{len(replies)} replies read; nothing stored (--dry-run).")
        return EXIT_OK

    async def store() -> tuple[list[int], list[int]]:
        from bot.results.service import ResultsService
        from bot.survey.questionnaire import load_questionnaire

        questionnaire = load_questionnaire(settings.questionnaire_path)
        async with await Database.open(settings.database) as db:
            if not args.new_server:
                await require_guild(db, args.guild)
            stored = await db.read(lambda tx: imported_texts(tx, args.guild))
            seen = set(stored)
            fresh: list[int] = []
            repeated: list[int] = []
            for number, reply in enumerate(replies, 1):
                key = reply.original.strip()
                (repeated if key in seen else fresh).append(number)
                seen.add(key)
            service = ResultsService(db, questionnaire)
            ids = await service.import_replies(args.guild, [replies[n - 1] for n in fresh])
            if args.include_imported:
                await service.update_settings(args.guild, include_imported=True)
            return ids, repeated

    try:
        ids, repeated = asyncio.run(store())
    except UnknownGuild as exc:
        exc.explain(_where(settings), new_server_flag=True)
        return EXIT_FAILURE
    except (StorageError, QuestionnaireError, sqlite3.Error) as exc:
        _error(str(exc))
        return EXIT_FAILURE
    if repeated:
        print(
            f"Skipped reply {', '.join(map(str, repeated))}: already imported for server "
            f"{args.guild} (the same text)."
        )
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
    settings = _database_or_exit(args)
    if isinstance(settings, int):
        return settings

    async def known() -> None:
        async with await Database.open(settings.database, readonly=True) as db:
            await require_guild(db, args.guild)

    try:
        asyncio.run(known())  # before asking: a mistyped server is said at once
    except UnknownGuild as exc:
        exc.explain(_where(settings))
        return EXIT_FAILURE
    except (StorageError, sqlite3.Error) as exc:
        _error(str(exc))
        return EXIT_FAILURE
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
    settings = _database_or_exit(args)
    if isinstance(settings, int):
        return settings
    try:
        return asyncio.run(_reminder_log(settings, args))
    except UnknownGuild as exc:
        exc.explain(_where(settings))
        return EXIT_FAILURE
    except (StorageError, sqlite3.Error) as exc:
        _error(str(exc))
        return EXIT_FAILURE


async def _reminder_log(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage.checkins import CheckinRepository

    guild, user, limit = args.guild, args.user, max(1, args.limit)
    async with await Database.open(settings.database, readonly=True) as db:
        await require_guild(db, guild)
        entries = await db.read(
            lambda tx: CheckinRepository(tx).reminder_log(guild, user_id=user, limit=limit)
        )
    if args.json:
        _print_json(
            [
                {
                    "claimed_at": entry.claimed_at.isoformat(),
                    "user_id": str(entry.user_id),
                    "period": entry.period,
                    "state": entry.state.value,
                    "attempts": entry.attempts,
                    "reason": entry.reason,
                }
                for entry in entries
            ]
        )
        return EXIT_OK
    if not entries:
        whom = f"member {user} in server {guild}" if user is not None else f"server {guild}"
        print(f"No check-in reminders logged for {whom}.")
        return EXIT_OK
    print(f"{'claimed (UTC)':19}  {'member':>20}  {'period':21}  {'state':8}  {'tries':>5}  reason")
    for entry in entries:
        print(
            f"{entry.claimed_at:%Y-%m-%d %H:%M:%S}  {entry.user_id:>20}  {entry.period:21}  "
            f"{entry.state.value:8}  {entry.attempts:>5}  {entry.reason or ''}"
        )
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(build_parser().parse_args(argv))
    except BrokenPipeError:
        # `anagen kb search … | head`: the reader left; say nothing more (Python's advice:
        # point stdout at devnull so the exit's flush does not fail again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE


def _main(args: argparse.Namespace) -> int:
    match args.command:
        case "check":
            return _command_check(args)
        case "sync":
            return _command_run(args, sync_only=True)
        case "guilds":
            return _command_guilds(args)
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
