"""Check-ins' persistent controls: the reminder's four buttons and the opt-in button on the
survey's thank-you (`render.py` draws them). Each reads what it needs from the database when
clicked, so they keep working after a restart, and each checks the clicker is the member it
was sent to."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.i18n import _
from bot.survey.refs import EngineKind
from bot.tree import send_ephemeral
from cogs._components import Form, ReportingItem, as_button, bot_of
from cogs.checkins import ids, render
from cogs.survey.present import Presenter


class ReminderButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.REMINDER.template
):
    def __init__(
        self, item: discord.ui.Button[Any], guild_id: int, period: str, action: str
    ) -> None:
        super().__init__(item)
        self.guild_id, self.period, self.action = guild_id, period, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), int(match["guild"]), match["period"], match["action"])

    async def handle(self, interaction: discord.Interaction) -> None:
        presenter = Presenter.of(interaction)
        service = presenter.services.checkins
        guild_id, period, user = self.guild_id, self.period, interaction.user.id
        enrolment = await service.enrolment(guild_id, user)
        if enrolment is None:
            await interaction.response.edit_message(
                content=_("You have no check-ins in that server any more."), view=None
            )
            return
        if self.action == "start":
            screen = await service.begin(guild_id, user, period=period)
            await presenter.show(interaction, screen, EngineKind.CHECKIN)
            return
        if self.action == "tomorrow":
            until = await service.snooze(guild_id, user, period)
            zone = enrolment.schedule.zone
            text = (
                # Translators: {when} is a date and time, e.g. "Monday 2 March 2026, 09:00 (UTC)".
                _("Done: I will remind you again on {when}.").format(
                    when=render.local_time(until, zone)
                )
                if until is not None
                else _(
                    "Your check-ins are not active, so there is nothing to put off. "
                    "`/checkin resume` in the server starts them again."
                )
            )
        elif self.action == "skip":
            await service.skip(guild_id, user, period)
            text = _("Skipped. See you at the next one.")
        else:
            await service.stop(guild_id, user)
            text = _(
                "Check-ins stopped: no more reminders. Your earlier check-ins stay in your "
                "history; `/survey delete` in the server erases everything."
            )
        await interaction.response.edit_message(content=text, view=None)


class OptInButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.OPT_IN.template
):
    def __init__(self, item: discord.ui.Button[Any], guild_id: int) -> None:
        super().__init__(item)
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), int(match["guild"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        service = bot_of(interaction).services.checkins
        settings = await service.settings(self.guild_id)
        if not settings.checkins_enabled:
            await send_ephemeral(interaction, _(render.OFF))
            return
        form = ScheduleForm(self.guild_id, settings.checkin_interval_weeks)
        await interaction.response.send_modal(form)
        form.stop()  # submissions arrive through on_interaction, even after a restart


class ScheduleForm(Form):
    """Day, hour and time zone for check-ins opened from a DM, where slash-command options
    are not at hand. Submissions are handled by `CheckIns.on_interaction`."""

    def __init__(self, guild_id: int, default_weeks: int) -> None:
        super().__init__(
            title=_("Check-in schedule"), custom_id=ids.SCHEDULE_FORM.build(guild=guild_id)
        )
        fields = (
            (
                "zone",
                _("Your time zone (a city or UTC offset)"),
                _("e.g. Berlin, New York, UTC+5:30"),
                60,
            ),
            # Room for a day's name in every language ("Segunda-feira").
            ("weekday", _("Day of the week"), _("e.g. Monday"), 20),
            ("hour", _("Hour (your local time)"), _("e.g. 9, 18 or 6pm"), 8),
            ("every", _("Every how many weeks: 2, 4 or 8"), None, 2),
        )
        for field_id, label, placeholder, length in fields:
            self.add_item(
                discord.ui.TextInput(
                    label=label,
                    custom_id=field_id,
                    placeholder=placeholder,
                    default=str(default_weeks) if field_id == "every" else None,
                    max_length=length,
                )
            )


ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ReminderButton, OptInButton)
