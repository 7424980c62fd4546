"""`anagen erase`: everything about one member in one server erased, for a moderator acting
on the member's request; the server is checked before the question is asked."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3

from bot.cli.database import UnknownGuild, database_name, database_or_exit, require_guild
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error
from bot.settings import Settings
from bot.storage import Database, StorageError


def command_erase(args: argparse.Namespace) -> int:
    settings = database_or_exit(args)
    if isinstance(settings, int):
        return settings

    async def known() -> None:
        async with await Database.open(settings.database, readonly=True) as db:
            await require_guild(db, args.guild)

    try:
        asyncio.run(known())  # before asking: a mistyped server is said at once
    except UnknownGuild as exc:
        exc.explain(database_name(settings))
        return EXIT_FAILURE
    except (StorageError, sqlite3.Error) as exc:
        error(str(exc))
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
        error(str(exc))
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
