"""Typed settings read from the environment and an optional `.env` file.

Every problem is collected and reported as one line naming the variable and
the fix, so an operator can correct them all in one go.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.shards import read_shards
from bot.storage.location import DatabaseLocation, SQLiteLocation, as_location, parse_location

__all__ = ["Settings", "SettingsError", "load_settings", "read_settings"]

# Three dot-separated base64url parts: user id, timestamp, HMAC.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_SOURCE_URL = "https://github.com/your-org/anagen"
DEFAULT_DATABASE = SQLiteLocation(Path("anagen.db"))

TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create an application at "
    "https://discord.com/developers/applications, open Bot > Reset Token, copy the token "
    "and put DISCORD_TOKEN=<token> in a .env file beside where you run anagen "
    "(see .env.example)."
)


class SettingsError(Exception):
    """One or more settings are invalid; `problems` holds one line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None = field(repr=False)  # never in a repr, a traceback or a log line
    database: DatabaseLocation = DEFAULT_DATABASE
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    source_url: str = DEFAULT_SOURCE_URL
    questionnaire_path: Path | None = None  # None: the bundled questionnaire
    knowledge_base_path: Path | None = None  # None: the bundled treatment knowledge base
    # The shards this process holds, of `shard_count` in all. None: every shard (of
    # `shard_count`, or of the count Discord recommends when that is None too).
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None
    # discord.py's own DEBUG lines (gateway events, HTTP bodies): members' messages included
    discord_debug: bool = False

    def __post_init__(self) -> None:
        # A path or a URL is accepted where a location is meant (tests, benches, scripts).
        object.__setattr__(self, "database", as_location(self.database))
        if self.shard_ids is not None:  # a list is accepted where a tuple is meant
            object.__setattr__(self, "shard_ids", tuple(self.shard_ids))

    @property
    def log_level_number(self) -> int:
        return logging.getLevelName(self.log_level)


def _snowflake(name: str, raw: str, problems: list[str]) -> int | None:
    value = raw.strip()
    if value.isdecimal() and 15 <= len(value) <= 20:
        return int(value)
    problems.append(
        f"{name}={raw!r} is not a Discord id: use the numeric id from "
        "'Copy ID' (enable Developer Mode in Discord's settings)."
    )
    return None


def _check_database(raw: str, problems: list[str]) -> DatabaseLocation:
    location = parse_location(raw)
    if not isinstance(location, SQLiteLocation):
        return location  # reachability is checked where it is used (`anagen check`, start-up)
    path = location.path
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        problems.append(
            f"ANAGEN_DATABASE={raw!r} is a directory: "
            f"give a file path such as {path / 'anagen.db'}."
        )
    elif not parent.is_dir():
        problems.append(
            f"ANAGEN_DATABASE={raw!r}: folder {parent} does not exist; "
            "create it or choose another path."
        )
    elif not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        problems.append(
            f"ANAGEN_DATABASE={raw!r} is not writable by this user; choose a writable path."
        )
    return location


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    require_token: bool = True,
) -> Settings:
    """Read settings, raising `SettingsError` listing every problem found."""
    settings, problems = read_settings(environ, env_file=env_file, require_token=require_token)
    if problems:
        raise SettingsError(problems)
    return settings


def read_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    require_token: bool = True,
    shards: str | None = None,
    shard_count: str | None = None,
) -> tuple[Settings, list[str]]:
    """Settings (defaults where a value was invalid) and the problems found.

    Real environment variables win over the `.env` file. `shards` and `shard_count`, when
    given, win over ANAGEN_SHARDS and ANAGEN_SHARD_COUNT: they are `anagen run --shards` and
    `--shard-count`, and problems name them so.
    """
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    problems: list[str] = []
    token = values.get("DISCORD_TOKEN", "").strip() or None
    if token is None:
        if require_token:
            problems.append(TOKEN_HELP)
    elif not _TOKEN_RE.match(token):
        problems.append(
            "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); copy it "
            "again from Bot > Reset Token, without quotes or a 'Bot ' prefix."
        )

    database = _check_database(values.get("ANAGEN_DATABASE", "").strip() or "anagen.db", problems)

    dev_guild_id = None
    if raw_guild := values.get("ANAGEN_DEV_GUILD_ID", "").strip():
        dev_guild_id = _snowflake("ANAGEN_DEV_GUILD_ID", raw_guild, problems)

    owner_ids: set[int] = set()
    for raw_owner in filter(
        None, (p.strip() for p in values.get("ANAGEN_OWNER_IDS", "").split(","))
    ):
        if (owner := _snowflake("ANAGEN_OWNER_IDS", raw_owner, problems)) is not None:
            owner_ids.add(owner)

    log_level = values.get("ANAGEN_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in _LOG_LEVELS:
        problems.append(
            f"ANAGEN_LOG_LEVEL={log_level!r} is not a level: use one of {', '.join(_LOG_LEVELS)}."
        )
        log_level = "INFO"

    raw_discord_debug = values.get("ANAGEN_DISCORD_DEBUG", "").strip().lower()
    discord_debug = raw_discord_debug in ("1", "true", "yes", "on")
    if not discord_debug and raw_discord_debug not in ("", "0", "false", "no", "off"):
        problems.append(
            f"ANAGEN_DISCORD_DEBUG={raw_discord_debug!r}: use 1 to log discord.py's debug "
            "output (members' messages and all), or leave it empty."
        )

    source_url = values.get("ANAGEN_SOURCE_URL", "").strip() or DEFAULT_SOURCE_URL
    if not source_url.startswith(("https://", "http://")):
        problems.append(f"ANAGEN_SOURCE_URL={source_url!r} must start with https://.")

    questionnaire_path = None
    if raw_questionnaire := values.get("ANAGEN_QUESTIONNAIRE", "").strip():
        questionnaire_path = Path(raw_questionnaire).expanduser()
        if not questionnaire_path.is_file():
            problems.append(
                f"ANAGEN_QUESTIONNAIRE={raw_questionnaire!r} is not a file: give the path of a "
                "questionnaire TOML file, or leave it empty for the bundled one."
            )

    knowledge_base_path = None
    if raw_kb := values.get("ANAGEN_KNOWLEDGE_BASE", "").strip():
        knowledge_base_path = Path(raw_kb).expanduser()
        if not (knowledge_base_path.is_file() or knowledge_base_path.is_dir()):
            problems.append(
                f"ANAGEN_KNOWLEDGE_BASE={raw_kb!r} does not exist: give a knowledge-base TOML "
                "file or a folder of them, or leave it empty for the bundled one."
            )

    ids_name, raw_ids = (
        ("ANAGEN_SHARDS", values.get("ANAGEN_SHARDS", ""))
        if shards is None
        else ("--shards", shards)
    )
    count_name, raw_count = (
        ("ANAGEN_SHARD_COUNT", values.get("ANAGEN_SHARD_COUNT", ""))
        if shard_count is None
        else ("--shard-count", shard_count)
    )
    shard_ids, count = read_shards(
        raw_ids, raw_count, database, problems, ids_name=ids_name, count_name=count_name
    )

    settings = Settings(
        token=token,
        database=database,
        dev_guild_id=dev_guild_id,
        log_level=log_level,
        owner_ids=frozenset(owner_ids),
        source_url=source_url,
        questionnaire_path=questionnaire_path,
        knowledge_base_path=knowledge_base_path,
        shard_ids=shard_ids,
        shard_count=count,
        discord_debug=discord_debug,
    )
    return settings, problems
