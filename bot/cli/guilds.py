"""`anagen guilds`: the servers the database holds, with their counts, so an operator can
find the id every --guild takes."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3

from bot.cli.database import SERVER_ID_HELP, database_name, database_or_exit, guild_table
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error, print_json
from bot.storage import Database, StorageError
from bot.storage.guilds import GuildSummary, known_guilds


def command_guilds(args: argparse.Namespace) -> int:
    settings = database_or_exit(args)
    if isinstance(settings, int):
        return settings

    async def read() -> list[GuildSummary]:
        async with await Database.open(settings.database, readonly=True) as db:
            return await db.read(known_guilds)

    try:
        guilds = asyncio.run(read())
    except (StorageError, sqlite3.Error) as exc:
        error(str(exc))
        return EXIT_FAILURE
    where = database_name(settings)
    if args.json:
        from bot.results.export.privacy import utc_day

        print_json(
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
