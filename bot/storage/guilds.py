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
