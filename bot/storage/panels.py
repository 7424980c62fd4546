"""What the moderators' panels show: where the public survey panel is and what it says, and
the participation counts of `/survey-admin status`.

The panel is a per-server setting (columns of `guild_settings`, migration 0008): one per
server, holding nothing about any member. The counts are exact and read live, which is why
only moderators see them (see `ParticipationRepository`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.clock import utc_now
from bot.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class PanelRecord:
    """Where the server's survey panel is, and the moderator's title and text (None: the
    default wording)."""

    guild_id: int
    channel_id: int | None = None
    message_id: int | None = None
    title: str | None = None
    text: str | None = None

    @property
    def posted(self) -> bool:
        return self.channel_id is not None and self.message_id is not None


class PanelRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def of(self, guild_id: int) -> PanelRecord:
        row = self.tx.row(
            "SELECT panel_channel_id, panel_message_id, panel_title, panel_text"
            " FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return PanelRecord(guild_id) if row is None else PanelRecord(guild_id, *row)

    def save(self, panel: PanelRecord) -> None:
        """Keep the panel's place and text; the server's other settings stay as they are (a
        server without settings gets the defaults)."""
        self.tx.run(
            "INSERT INTO guild_settings (guild_id, panel_channel_id, panel_message_id,"
            " panel_title, panel_text, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET panel_channel_id = excluded.panel_channel_id,"
            " panel_message_id = excluded.panel_message_id,"
            " panel_title = excluded.panel_title, panel_text = excluded.panel_text,"
            " updated_at = excluded.updated_at",
            (
                panel.guild_id,
                panel.channel_id,
                panel.message_id,
                panel.title,
                panel.text,
                utc_now(),
            ),
        )

    def forget_message(self, guild_id: int, message_id: int) -> bool:
        """The panel message is gone (deleted in Discord): forget where it was, keep its
        text for the next post. Only if it is still the stored one (a newer post wins)."""
        return bool(
            self.tx.run(
                "UPDATE guild_settings SET panel_channel_id = NULL, panel_message_id = NULL,"
                " updated_at = ? WHERE guild_id = ? AND panel_message_id = ?",
                (utc_now(), guild_id, message_id),
            )
        )


@dataclass(frozen=True, slots=True)
class SurveyCounts:
    """Survey responses of one server, retakes included; replies imported from a thread
    (`anagen import-replies`) apart, since nobody started them here. Erased responses are
    gone, so they count nowhere."""

    started: int
    finished: int
    members: int  # members with at least one response
    imported: int

    @property
    def in_progress(self) -> int:
        return self.started - self.finished

    @property
    def retakes(self) -> int:
        """Responses beyond each member's first."""
        return self.started - self.members


@dataclass(frozen=True, slots=True)
class CheckinCounts:
    """Check-ins of one server: reminders sent against check-ins completed."""

    active: int  # members whose check-ins are scheduled
    paused: int  # paused by the member, or by the bot (DMs closed, left the server)
    reminders_sent: int  # every reminder DM, "remind me tomorrow" repeats included
    reminders_failed: int  # reminders Discord would not deliver
    reminded: int  # check-in dates (member and period) with at least one reminder sent
    answered: int  # of those, the ones a completed check-in answered
    completed: int  # every completed check-in
    self_started: int  # completed check-ins a member started without a reminder
    in_progress: int


def _period(key: str) -> str:
    """A reminder's period: "remind me tomorrow" repeats are keyed "<period>+<date>"."""
    return key.split("+", 1)[0]


class ParticipationRepository:
    """How many take part, counted live and exactly: for moderators only, never published
    (public numbers come from releases)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def survey(self, guild_id: int) -> SurveyCounts:
        started, finished, members = self.tx.row(
            "SELECT count(*), coalesce(sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END), 0),"
            " count(DISTINCT user_id) FROM responses WHERE guild_id = ? AND imported = 0",
            (guild_id,),
        ) or (0, 0, 0)
        imported = self.tx.value(
            "SELECT count(*) FROM responses WHERE guild_id = ? AND imported = 1", (guild_id,)
        )
        return SurveyCounts(int(started), int(finished), int(members), int(imported or 0))

    def checkins(self, guild_id: int) -> CheckinCounts:
        enrolled = {
            str(status): int(count)
            for status, count in self.tx.rows(
                "SELECT status, count(*) FROM checkin_enrolments WHERE guild_id = ?"
                " GROUP BY status",
                (guild_id,),
            )
        }
        sent = failed = 0
        reminded: set[tuple[int, str]] = set()
        for user_id, period, state in self.tx.rows(
            "SELECT user_id, period, state FROM checkin_reminders WHERE guild_id = ?"
            " AND state IN ('sent', 'failed')",
            (guild_id,),
        ):
            if state == "failed":
                failed += 1
                continue
            sent += 1
            reminded.add((int(user_id), _period(str(period))))
        answered: set[tuple[int, str]] = set()
        completed = self_started = in_progress = 0
        for user_id, period, status in self.tx.rows(
            "SELECT user_id, period, status FROM checkin_responses WHERE guild_id = ?",
            (guild_id,),
        ):
            if status != "completed":
                in_progress += 1
                continue
            completed += 1
            if period is None:
                self_started += 1
            else:
                answered.add((int(user_id), _period(str(period))))
        return CheckinCounts(
            active=enrolled.get("active", 0),
            paused=enrolled.get("paused", 0),
            reminders_sent=sent,
            reminders_failed=failed,
            reminded=len(reminded),
            answered=len(answered & reminded),
            completed=completed,
            self_started=self_started,
            in_progress=in_progress,
        )
