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
        fields = (
            (
                "zone",
                "Your time zone (a city or UTC offset)",
                "e.g. Berlin, New York, UTC+5:30",
                60,
            ),
            ("weekday", "Day of the week", "e.g. Monday", 12),
            ("hour", "Hour (your local time)", "e.g. 9, 18 or 6pm", 8),
            ("every", "Every how many weeks: 2, 4 or 8", None, 2),
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
