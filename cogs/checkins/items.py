"""Check-ins' persistent controls: the reminder's four buttons and the opt-in button on the
survey's thank-you. Each reads what it needs from the database when clicked, so they keep
working after a restart, and each checks the clicker is the member it was sent to."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from cogs._components import ReportingItem
from cogs.checkins import ids

if TYPE_CHECKING:
    from cogs.checkins import CheckIns

REMINDER_BUTTONS = {
    "start": ("Start now", discord.ButtonStyle.success),
    "tomorrow": ("Remind me tomorrow", discord.ButtonStyle.secondary),
    "skip": ("Skip this one", discord.ButtonStyle.secondary),
    "stop": ("Stop check-ins", discord.ButtonStyle.danger),
}


def _cog(interaction: discord.Interaction) -> CheckIns:
    cog = interaction.client.get_cog("CheckIns")  # type: ignore[attr-defined]
    assert cog is not None, "the check-ins cog is not loaded"
    return cog


class ReminderButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.REMINDER.template
):
    def __init__(self, guild_id: int, period: str, action: str) -> None:
        label, style = REMINDER_BUTTONS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                custom_id=ids.REMINDER.build(guild=guild_id, period=period, action=action),
            )
        )
        self.guild_id, self.period, self.action = guild_id, period, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["guild"]), match["period"], match["action"])

    async def handle(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).reminder_action(
            interaction, self.guild_id, self.period, self.action
        )


class OptInButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.OPT_IN.template
):
    def __init__(self, guild_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Set up check-ins",
                emoji="🗓️",
                style=discord.ButtonStyle.primary,
                custom_id=ids.OPT_IN.build(guild=guild_id),
            )
        )
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["guild"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).open_schedule_form(interaction, self.guild_id)


class ScheduleForm(discord.ui.Modal):
    """Day, hour and time zone for check-ins opened from a DM, where slash-command options
    are not at hand. Submissions are handled by `CheckIns.on_interaction`."""

    def __init__(self, guild_id: int, default_weeks: int) -> None:
        super().__init__(
            title="Check-in schedule", custom_id=ids.SCHEDULE_FORM.build(guild=guild_id)
        )
        self.add_item(
            discord.ui.TextInput(
                label="Your time zone (a city or UTC offset)",
                custom_id="zone",
                placeholder="e.g. Berlin, New York, UTC+5:30",
                max_length=60,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Day of the week",
                custom_id="weekday",
                placeholder="e.g. Monday",
                max_length=12,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Hour (your local time)",
                custom_id="hour",
                placeholder="e.g. 9, 18 or 6pm",
                max_length=8,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label="Every how many weeks: 2, 4 or 8",
                custom_id="every",
                default=str(default_weeks),
                max_length=2,
            )
        )


ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ReminderButton, OptInButton)
