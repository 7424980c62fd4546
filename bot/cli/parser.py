"""The whole command line in one place: every command, its options and the help `anagen
--help` prints. What each command does lives in its own module beside this one."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot import __version__
from bot.i18n import LANGUAGES

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
    _add_bot_commands(commands)
    _add_kb_commands(commands)
    _add_data_commands(commands)
    _add_db_commands(commands)
    return parser


def _add_bot_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """run, check, sync, preview and guilds: the bot itself and the installation."""
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
    _add_locale(preview, "take it as a member whose Discord is in LANGUAGE sees it")
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


def _add_kb_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """kb check and kb search: the treatment knowledge base."""
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


def _add_data_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """export, report, import-replies, checkins and erase: one server's data."""
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
    _add_locale(report, "write the page in LANGUAGE")
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


def _add_db_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """db backup and db copy: the database as a whole."""
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


def _add_locale(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--locale",
        default="en",
        metavar="LANGUAGE",
        help=f"{what}: "
        + ", ".join(language.code for language in LANGUAGES)
        + " (Discord's codes such as pt-BR work too; default: en)",
    )
