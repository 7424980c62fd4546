"""The `anagen` command line: run the bot, check an installation, read a server's data,
back up. Colour and progress bars only where a terminal is attached; plain text otherwise
(logs, pipes, cron), and JSON for scripts where they would want it.

`parser.py` declares every command and its help; each command lives in its own module
(`run.py`, `check.py`, `guilds.py`, `kb.py`, `preview.py`, `results.py` for export and
report, `import_replies.py`, `erase.py`, `checkins.py`, `db.py`), on what they share:
`output.py` (how the CLI speaks) and `database.py` (settings, the database, --guild).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli.check import command_check
from bot.cli.checkins import command_checkins
from bot.cli.db import command_backup, command_db_copy
from bot.cli.erase import command_erase
from bot.cli.guilds import command_guilds
from bot.cli.import_replies import command_import
from bot.cli.kb import command_kb, first_sentence
from bot.cli.output import EXIT_FAILURE
from bot.cli.parser import build_parser
from bot.cli.preview import command_preview
from bot.cli.results import command_results
from bot.cli.run import command_run, configure_logging, unreachable

__all__ = ["build_parser", "configure_logging", "first_sentence", "main", "unreachable"]


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
            return command_check(args)
        case "sync":
            return command_run(args, sync_only=True)
        case "guilds":
            return command_guilds(args)
        case "export" | "report":
            return command_results(args)
        case "import-replies":
            return command_import(args)
        case "kb":
            return command_kb(args)
        case "preview":
            return command_preview(args)
        case "db":
            return command_db_copy(args) if args.db_command == "copy" else command_backup(args)
        case "checkins":
            return command_checkins(args)
        case "erase":
            return command_erase(args)
        case _:
            return command_run(args)
