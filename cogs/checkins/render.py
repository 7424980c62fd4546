"""How check-in messages look in Discord: the reminder, status, regimen and history, and
the check-ins' persistent buttons, built from the formats in `ids` (`items.py` handles
their clicks)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.checkins.history import History
from bot.checkins.model import Enrolment, EnrolmentStatus, PauseReason, RegimenEntry
from bot.checkins.parse import WEEKDAYS
from bot.checkins.service import CheckinStatus
from cogs._components import Controls
from cogs.checkins import ids

WHAT_IS_STORED = (
    "**What is stored:** your schedule and time zone, your regimen (which treatments, "
    "since when) and your check-in answers, with your Discord user id and this server. "
    "They build your own history; community numbers only ever show groups of several "
    "members. `/checkin stop` ends reminders; `/survey delete` erases all of it."
)
OFF = (
    "Check-ins are switched off in this server. A moderator can switch them on with "
    "`/survey-admin settings checkins:True`."
)
REMINDER_BUTTONS = {
    "start": ("Start now", discord.ButtonStyle.success),
    "tomorrow": ("Remind me tomorrow", discord.ButtonStyle.secondary),
    "skip": ("Skip this one", discord.ButtonStyle.secondary),
    "stop": ("Stop check-ins", discord.ButtonStyle.danger),
}
PAUSE_REASONS = {
    PauseReason.MEMBER: "you paused them",
    PauseReason.DM_CLOSED: "I could not send you a direct message (your DMs are closed)",
    PauseReason.GONE: "you were no longer a member of the server",
}


def local_time(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} ({zone})"


def schedule_text(enrolment: Enrolment) -> str:
    schedule = enrolment.schedule
    rhythm = (
        f"every {schedule.interval_weeks} weeks on {WEEKDAYS[schedule.weekday]} at "
        f"{schedule.hour:02d}:00 ({schedule.zone})"
    )
    if enrolment.status is EnrolmentStatus.ACTIVE and enrolment.next_due is not None:
        return f"Check-ins {rhythm}. Next: **{local_time(enrolment.next_due, schedule.zone)}**."
    if enrolment.status is EnrolmentStatus.PAUSED:
        why = PAUSE_REASONS.get(enrolment.pause_reason or PauseReason.MEMBER, "")
        return f"Check-ins are **paused** ({why}). `/checkin resume` picks up {rhythm}."
    return "Check-ins are **stopped**. `/checkin start` sets them up again."


def regimen_lines(entries: Iterable[RegimenEntry], label_of: Callable[[str], str]) -> list[str]:
    lines = []
    for entry in entries:
        since = f"since {entry.started_month}" if entry.started_month else "start month unknown"
        if entry.stopped_month:
            state = f"stopped {entry.stopped_month}"
        elif entry.dose_changed_month:
            state = f"dose changed {entry.dose_changed_month}"
        else:
            state = "current"
        lines.append(f"• **{label_of(entry.treatment_id)}**: {since}, {state}")
    return lines


def status_text(status: CheckinStatus, label_of: Callable[[str], str]) -> str:
    if status.enrolment is None:
        head = "You have not set up check-ins. `/checkin start` does, in under a minute."
    else:
        head = schedule_text(status.enrolment)
    done = (
        f"You have completed {status.completed} check-in(s)"
        + (f", the last on {status.last_completed[:10]}" if status.last_completed else "")
        + "."
    )
    if status.in_progress:
        done += " One is in progress: `/checkin now` continues it."
    regimen = regimen_lines([e for e in status.regimen if e.current], label_of)
    parts = [head, done]
    if regimen:
        parts.append("**Your current treatments**\n" + "\n".join(regimen))
    return "\n\n".join(parts)


def reminder_view(guild_id: int, period: str) -> discord.ui.View:
    view = Controls()
    for action, (label, style) in REMINDER_BUTTONS.items():
        view.add_item(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=ids.REMINDER.build(guild=guild_id, period=period, action=action),
            )
        )
    return view


def reminder_text(guild_name: str) -> str:
    return (
        f"🗓️ **Time for your check-in** for **{discord.utils.escape_markdown(guild_name)}**. "
        "A few questions about your treatments, shedding and scalp since last time: under a "
        "minute. Your answers build your own history (`/checkin history`)."
    )


def history_table(history: History, limit: int = 12) -> str:
    rows = history.table_rows()[-limit:]
    header = ("Date", "Shedding", "Itch", "Burning", "Satisfaction")
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    more = len(history.table_rows()) - len(rows)
    note = (
        f"\n-# The chart shows all {len(history.points)}; the table the last {limit}."
        if more > 0
        else ""
    )
    table = "```\n" + "\n".join(lines) + "\n```"
    return shedding_words(history) + table + note + _undated(history)


def shedding_words(history: History, limit: int = 12) -> str:
    """The shedding answers in words, in order, above the table: what the chart's steps show."""
    answers = history.shedding_answers()
    if not answers:
        return ""
    shown = answers[-limit:]
    earlier = "… → " if len(answers) > len(shown) else ""
    return (
        f"**Shedding, check-in by check-in:** {earlier}{' → '.join(shown)}\n"
        "-# Each answer compares your shedding with the check-in before. In the chart each "
        "answer is a coloured step (lower is less shedding) that lasts until your next "
        "check-in; nothing is added up.\n"
    )


def _undated(history: History) -> str:
    if not history.undated:
        return ""
    names = ", ".join(history.undated)
    return f"\n-# Not marked on the chart, as their start month is unknown: {names}."
