"""How check-in messages look in Discord: the reminder, status, regimen and history, and
the check-ins' persistent buttons, built from the formats in `ids` (`items.py` handles
their clicks)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import discord

from bot.checkins.history import History
from bot.checkins.parse import WEEKDAYS
from bot.checkins.service import CheckinStatus
from bot.i18n import N_, SOURCE, _, current_language, formats, ngettext
from bot.storage.checkins import Enrolment, EnrolmentStatus, PauseReason, RegimenEntry
from cogs._components import Controls
from cogs.checkins import ids

WHAT_IS_STORED = N_(
    "**What is stored:** your schedule and time zone, your regimen (which treatments, "
    "since when) and your check-in answers, with your Discord user id and this server. "
    "They build your own history; community numbers only ever show groups of several "
    "members. `/checkin stop` ends reminders; `/survey delete` erases all of it."
)
OFF = N_(
    "Check-ins are switched off in this server. A moderator can switch them on with "
    "`/survey-admin settings checkins:True`."
)
REMINDER_BUTTONS = {
    "start": (N_("Start now"), discord.ButtonStyle.success),
    "tomorrow": (N_("Remind me tomorrow"), discord.ButtonStyle.secondary),
    "skip": (N_("Skip this one"), discord.ButtonStyle.secondary),
    "stop": (N_("Stop check-ins"), discord.ButtonStyle.danger),
}
PAUSE_REASONS = {
    # Translators: why check-ins are paused, shown in brackets after "Check-ins are paused".
    PauseReason.MEMBER: N_("you paused them"),
    PauseReason.DM_CLOSED: N_("I could not send you a direct message (your DMs are closed)"),
    PauseReason.GONE: N_("you were no longer a member of the server"),
}


def local_time(instant: datetime, zone: str) -> str:
    local = instant.astimezone(ZoneInfo(zone))
    if current_language() == SOURCE:
        day = f"{local:%A} {local.day} {local:%B %Y}"
    else:
        day = formats.day(local.date(), "full")
    # Translators: a date and time: {day} e.g. "Monday 2 March 2026", {time} e.g. "09:00",
    # {zone} a time zone name such as Europe/Berlin.
    return _("{day}, {time} ({zone})").format(day=day, time=f"{local:%H:%M}", zone=zone)


def schedule_text(enrolment: Enrolment) -> str:
    schedule = enrolment.schedule
    rhythm = {
        "weeks": schedule.interval_weeks,
        "weekday": _(WEEKDAYS[schedule.weekday]),
        "time": f"{schedule.hour:02d}:00",
        "zone": schedule.zone,
    }
    if enrolment.status is EnrolmentStatus.ACTIVE and enrolment.next_due is not None:
        # Translators: {weeks} is 2, 4 or 8; {time} e.g. "09:00"; {next} a date and time.
        return _(
            "Check-ins every {weeks} weeks on {weekday} at {time} ({zone}). Next: **{next}**."
        ).format(**rhythm, next=local_time(enrolment.next_due, schedule.zone))
    if enrolment.status is EnrolmentStatus.PAUSED:
        why = PAUSE_REASONS.get(enrolment.pause_reason or PauseReason.MEMBER)
        # Translators: {why} is one of the reasons ("you paused them"); {weeks} is 2, 4 or 8.
        return _(
            "Check-ins are **paused** ({why}). `/checkin resume` picks up every {weeks} weeks "
            "on {weekday} at {time} ({zone})."
        ).format(**rhythm, why=_(why) if why else "")
    return _("Check-ins are **stopped**. `/checkin start` sets them up again.")


def regimen_lines(entries: Iterable[RegimenEntry], label_of: Callable[[str], str]) -> list[str]:
    lines = []
    for entry in entries:
        since = (
            # Translators: when a treatment was started; {month} is a month as YYYY-MM.
            _("since {month}").format(month=entry.started_month)
            if entry.started_month
            else _("start month unknown")
        )
        if entry.stopped_month:
            # Translators: a treatment's state; {month} is a month as YYYY-MM.
            state = _("stopped {month}").format(month=entry.stopped_month)
        elif entry.dose_changed_month:
            # Translators: a treatment's state; {month} is a month as YYYY-MM.
            state = _("dose changed {month}").format(month=entry.dose_changed_month)
        else:
            # Translators: a treatment's state: still taken.
            state = _("current")
        lines.append(f"• **{label_of(entry.treatment_id)}**: {since}, {state}")
    return lines


def status_text(status: CheckinStatus, label_of: Callable[[str], str]) -> str:
    if status.enrolment is None:
        head = _("You have not set up check-ins. `/checkin start` does, in under a minute.")
    else:
        head = schedule_text(status.enrolment)
    n = status.completed
    if status.last_completed:
        # Translators: {day} is a date as YYYY-MM-DD.
        done = ngettext(
            "You have completed {n} check-in(s), the last on {day}.",
            "You have completed {n} check-in(s), the last on {day}.",
            n,
        ).format(n=n, day=status.last_completed[:10])
    else:
        done = ngettext(
            "You have completed {n} check-in(s).", "You have completed {n} check-in(s).", n
        ).format(n=n)
    if status.in_progress:
        done += " " + _("One is in progress: `/checkin now` continues it.")
    regimen = regimen_lines([e for e in status.regimen if e.current], label_of)
    parts = [head, done]
    if regimen:
        parts.append(_("**Your current treatments**") + "\n" + "\n".join(regimen))
    return "\n\n".join(parts)


def reminder_view(guild_id: int, period: str) -> discord.ui.View:
    view = Controls()
    for action, (label, style) in REMINDER_BUTTONS.items():
        view.add_item(
            discord.ui.Button(
                label=_(label),
                style=style,
                custom_id=ids.REMINDER.build(guild=guild_id, period=period, action=action),
            )
        )
    return view


def reminder_text(guild_name: str) -> str:
    # Translators: {server} is the Discord server's name.
    return _(
        "🗓️ **Time for your check-in** for **{server}**. "
        "A few questions about your treatments, shedding and scalp since last time: under a "
        "minute. Your answers build your own history (`/checkin history`)."
    ).format(server=discord.utils.escape_markdown(guild_name))


def history_table(history: History, limit: int = 12) -> str:
    rows = history.table_rows()[-limit:]
    header = (_("Date"), _("Shedding"), _("Itch"), _("Burning"), _("Satisfaction"))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True))
        for row in (header, *rows)
    ]
    more = len(history.table_rows()) - len(rows)
    note = (
        "\n-# "
        # Translators: {total} check-ins are drawn on the chart; the table lists the last {limit}.
        + _("The chart shows all {total}; the table the last {limit}.").format(
            total=len(history.points), limit=limit
        )
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
        # Translators: {answers} is the member's answers in order, like "Less → The same".
        _("**Shedding, check-in by check-in:** {answers}").format(
            answers=earlier + " → ".join(shown)
        )
        + "\n-# "
        + _(
            "Each answer compares your shedding with the check-in before. In the chart each "
            "answer is a coloured step (lower is less shedding) that lasts until your next "
            "check-in; nothing is added up."
        )
        + "\n"
    )


def _undated(history: History) -> str:
    if not history.undated:
        return ""
    names = ", ".join(history.undated)
    # Translators: {names} lists treatments, separated by commas.
    return "\n-# " + _("Not marked on the chart, as their start month is unknown: {names}.").format(
        names=names
    )
