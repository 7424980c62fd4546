"""`anagen checkins log`: a server's check-in reminder log, newest first: what each reminder
was for, and whether it was sent, skipped or failed, and why."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3

from bot.cli.database import UnknownGuild, database_name, database_or_exit, require_guild
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error, print_json
from bot.settings import Settings
from bot.storage import Database, StorageError


def command_checkins(args: argparse.Namespace) -> int:
    settings = database_or_exit(args)
    if isinstance(settings, int):
        return settings
    try:
        return asyncio.run(_reminder_log(settings, args))
    except UnknownGuild as exc:
        exc.explain(database_name(settings))
        return EXIT_FAILURE
    except (StorageError, sqlite3.Error) as exc:
        error(str(exc))
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
        print_json(
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
