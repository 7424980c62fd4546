"""`anagen check`: settings, the database and the bundled data files checked without
connecting to Discord, as text for a person or JSON for a script."""

from __future__ import annotations

import argparse
import asyncio

from bot.checks import run_checks
from bot.cli.database import database_name
from bot.cli.output import EXIT_FAILURE, EXIT_OK, paint, print_json
from bot.settings import read_settings


def command_check(args: argparse.Namespace) -> int:
    settings, problems = read_settings(env_file=args.env_file, require_token=True)
    report = asyncio.run(run_checks(settings, problems, env_file=args.env_file))
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "database": database_name(settings),
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
