"""What the commands on a server's data share: the settings (a problem in them exits 2), the
database, which must exist already, named by its absolute path, and the server --guild
names, which must be in it: a mistyped id is refused before any work, with the list of
servers the database holds."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.output import EXIT_CONFIG, error
from bot.settings import TOKEN_HELP, Settings, read_settings
from bot.storage import Database, SQLiteLocation
from bot.storage.guilds import GuildSummary, known_guilds

# Where Discord shows a server's id, for every message that asks for one.
SERVER_ID_HELP = (
    "Discord shows a server's id: turn on Developer Mode (User Settings > Advanced), then "
    "right-click the server's icon > Copy Server ID."
)


def settings_or_exit(
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
            error(problem)
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


def database_or_exit(args: argparse.Namespace) -> Settings | int:
    """Settings for a command on the bot's data: the database must exist already. A read
    command run from the wrong folder would otherwise create an empty `anagen.db` there
    and report nothing, as if the server had no data."""
    settings, problems = read_settings(env_file=args.env_file, require_token=False)
    location = settings.database
    if isinstance(location, SQLiteLocation) and not location.path.exists():
        error(_missing_database(location.path))
        for problem in problems:
            if not problem.startswith("ANAGEN_DATABASE="):  # said above, for this command
                error(problem)
        return EXIT_CONFIG
    return settings_or_exit(args, require_token=False)


def database_name(settings: Settings) -> str:
    """The database as an operator must see it named: an SQLite file by its absolute path."""
    location = settings.database
    return str(absolute(location.path)) if isinstance(location, SQLiteLocation) else str(location)


def guild_table(guilds: Sequence[GuildSummary]) -> list[str]:
    """The servers as a table an operator can pick an id from."""
    from bot.results.export.privacy import utc_day

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
        error(
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
