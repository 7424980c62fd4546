"""Per-server settings, with defaults for servers that never changed anything."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.clock import utc_now
from bot.storage.tx import Tx

DEFAULT_MIN_GROUP_SIZE = 5
MIN_GROUP_SIZE_FLOOR = 3


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    results_visibility: str = "everyone"  # or "managers"
    survey_open: bool = True
    include_imported: bool = False
    checkins_enabled: bool = False  # follow-up check-ins are opt-in for the server too
    checkin_interval_weeks: int = 4
    release_batch: int = 0  # changes a release waits for; 0 or less than 2k: 2k
    announce_channel_id: int | None = None  # where a new release's chart is posted, if any
    release_requested: bool = False  # a moderator asked for a release before the day is out
    count_role_id: int | None = None  # results count only members holding this role
    count_min_days: int = 0  # ... or members of the server for at least this many days

    @property
    def gated(self) -> bool:
        return self.count_role_id is not None or self.count_min_days > 0

    @property
    def batch(self) -> int:
        """Completions, check-ins, retakes and erasures the next release waits for."""
        return max(2 * self.min_group_size, self.release_batch)


class GuildSettingsRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def of(self, guild_id: int) -> GuildSettings:
        row = self.tx.row(
            "SELECT min_group_size, results_visibility, survey_open, include_imported,"
            " checkins_enabled, checkin_interval_weeks, release_batch, announce_channel_id,"
            " release_requested, count_role_id, count_min_days FROM guild_settings"
            " WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return GuildSettings(guild_id)
        (
            size,
            visibility,
            open_,
            imported,
            checkins,
            weeks,
            batch,
            channel,
            requested,
            role,
            days,
        ) = row
        return GuildSettings(
            guild_id,
            size,
            visibility,
            bool(open_),
            bool(imported),
            bool(checkins),
            weeks,
            batch,
            channel,
            bool(requested),
            role,
            days,
        )

    def save(self, settings: GuildSettings) -> None:
        self.tx.run(
            "INSERT INTO guild_settings (guild_id, min_group_size, results_visibility,"
            " survey_open, include_imported, checkins_enabled, checkin_interval_weeks,"
            " release_batch, announce_channel_id, release_requested, count_role_id,"
            " count_min_days, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE"
            " SET min_group_size = excluded.min_group_size,"
            " results_visibility = excluded.results_visibility,"
            " survey_open = excluded.survey_open, include_imported = excluded.include_imported,"
            " checkins_enabled = excluded.checkins_enabled,"
            " checkin_interval_weeks = excluded.checkin_interval_weeks,"
            " release_batch = excluded.release_batch,"
            " announce_channel_id = excluded.announce_channel_id,"
            " release_requested = excluded.release_requested,"
            " count_role_id = excluded.count_role_id,"
            " count_min_days = excluded.count_min_days,"
            " updated_at = excluded.updated_at",
            (
                settings.guild_id,
                max(MIN_GROUP_SIZE_FLOOR, settings.min_group_size),
                settings.results_visibility,
                int(settings.survey_open),
                int(settings.include_imported),
                int(settings.checkins_enabled),
                settings.checkin_interval_weeks,
                settings.release_batch,
                settings.announce_channel_id,
                int(settings.release_requested),
                settings.count_role_id,
                settings.count_min_days,
                utc_now(),
            ),
        )


@dataclass(frozen=True, slots=True)
class GuildSummary:
    """What the database holds for one server: how an operator tells servers apart when
    they need a server id (`anagen guilds`, or a `--guild` the database does not know)."""

    guild_id: int
    members: int  # members with a completed survey response (imported replies apart)
    in_progress: int  # survey responses started and not finished
    imported: int  # replies imported from a thread (`anagen import-replies`)
    checkins: int  # completed check-ins
    last_activity: str | None  # the latest stored instant of a response or check-in


# Every table whose rows belong to a server: a server is "in the database" when one of them
# names it (a server whose moderators only changed its settings counts too).
_GUILD_TABLES = (
    "responses",
    "guild_settings",
    "checkin_enrolments",
    "checkin_responses",
    "checkin_reminders",
    "treatment_suggestions",
    "releases",
)


def known_guilds(tx: Tx) -> list[GuildSummary]:
    """Every server the database holds anything about, by id; read-only (a read command
    that names a server must never create a row for it)."""
    ids = " UNION ".join(f"SELECT guild_id FROM {table}" for table in _GUILD_TABLES)
    rows = tx.rows(
        f"SELECT g.guild_id,"
        " (SELECT count(DISTINCT user_id) FROM responses r WHERE r.guild_id = g.guild_id"
        "   AND r.status = 'completed' AND r.imported = 0),"
        " (SELECT count(*) FROM responses r WHERE r.guild_id = g.guild_id"
        "   AND r.status = 'in_progress'),"
        " (SELECT count(*) FROM responses r WHERE r.guild_id = g.guild_id AND r.imported = 1),"
        " (SELECT count(*) FROM checkin_responses c WHERE c.guild_id = g.guild_id"
        "   AND c.status = 'completed'),"
        " (SELECT max(updated_at) FROM ("
        "   SELECT updated_at FROM responses r WHERE r.guild_id = g.guild_id AND r.imported = 0"
        "   UNION ALL SELECT updated_at FROM checkin_responses c WHERE c.guild_id = g.guild_id"
        " ) AS activity)"
        f" FROM ({ids}) AS g ORDER BY g.guild_id"
    )
    return [
        GuildSummary(int(gid), int(members), int(open_), int(imported), int(checkins), last)
        for gid, members, open_, imported, checkins, last in rows
    ]


def imported_texts(tx: Tx, guild_id: int) -> set[str]:
    """The text of every thread reply already imported for the server (stripped), so that
    importing a file again stores only what is new."""
    return {
        str(text).strip()
        for (text,) in tx.rows(
            "SELECT i.original FROM imported_replies i JOIN responses r ON r.id = i.response_id"
            " WHERE r.guild_id = ? AND r.imported = 1",
            (guild_id,),
        )
    }
