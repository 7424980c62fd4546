"""Persistent survey components. Each custom_id is a pointer (response, step, choice): the
state is re-read from the database on every click, so buttons keep working after a
restart and a stale or forged click can only ever be refused or redirected."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.survey.service import NotYourSurvey
from bot.tree import report_error, send_ephemeral

if TYPE_CHECKING:
    from bot.survey.screens import Screen
    from cogs.survey import Survey

NOT_YOURS = "This survey belongs to someone else. Start your own with `/survey start`."
_STEP = r"[a-z0-9_/]+"

NAV_LABELS = {
    "back": ("Back", "◀", discord.ButtonStyle.secondary),
    "skip": ("Skip", "⏭", discord.ButtonStyle.secondary),
    "pause": ("Pause", "⏸", discord.ButtonStyle.secondary),
    "continue": ("Continue", "▶", discord.ButtonStyle.primary),
    "done": ("Done", "✅", discord.ButtonStyle.success),
}


def _survey(interaction: discord.Interaction) -> Survey:
    cog = interaction.client.get_cog("Survey")  # type: ignore[attr-defined]
    assert cog is not None, "the survey cog is not loaded"
    return cog


async def run(interaction: discord.Interaction, action: Any) -> None:
    """Run a survey action and show its screen in place; errors reach the member politely."""
    try:
        screen: Screen = await action
        await _survey(interaction).show(interaction, screen)
    except NotYourSurvey:
        await send_ephemeral(interaction, NOT_YOURS)
    except Exception as exc:
        await report_error(interaction, exc)


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(rf"sv:a:(?P<rid>\d+):(?P<step>{_STEP}):(?P<value>-?[a-z0-9_]+)"),
):
    def __init__(
        self,
        rid: int,
        step: str,
        value: str,
        label: str,
        selected: bool = False,
        row: int | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary if selected else discord.ButtonStyle.secondary,
                custom_id=f"sv:a:{rid}:{step}:{value}",
                row=row,
            )
        )
        self.rid, self.step, self.value = rid, step, value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Self:
        return cls(int(match["rid"]), match["step"], match["value"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        service = _survey(interaction).service
        await run(
            interaction, service.choose(self.rid, interaction.user.id, self.step, [self.value])
        )


class ChoiceSelect(
    discord.ui.DynamicItem[discord.ui.Select],
    template=(rf"sv:m:(?P<rid>\d+):(?P<step>{_STEP}):(?P<field>[a-z0-9_]*)"),
):
    def __init__(
        self,
        rid: int,
        step: str,
        field: str,
        options: list[discord.SelectOption] | None = None,
        *,
        placeholder: str = "",
        max_values: int = 1,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"sv:m:{rid}:{step}:{field}",
                options=options or [discord.SelectOption(label="-")],
                placeholder=placeholder[:150] or None,
                min_values=1,
                max_values=max_values,
            )
        )
        self.rid, self.step, self.field = rid, step, field

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> Self:
        return cls(int(match["rid"]), match["step"], match["field"])

    async def callback(self, interaction: discord.Interaction) -> None:
        values = [str(v) for v in (interaction.data or {}).get("values", [])]  # type: ignore[union-attr]
        service = _survey(interaction).service
        await run(
            interaction,
            service.choose(self.rid, interaction.user.id, self.step, values, self.field),
        )


class FormButton(
    discord.ui.DynamicItem[discord.ui.Button], template=(rf"sv:f:(?P<rid>\d+):(?P<step>{_STEP})")
):
    """Opens a form for number and text questions (the only way in a server channel)."""

    def __init__(self, rid: int, step: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Answer",
                emoji="✏️",
                style=discord.ButtonStyle.primary,
                custom_id=f"sv:f:{rid}:{step}",
            )
        )
        self.rid, self.step = rid, step

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Self:
        return cls(int(match["rid"]), match["step"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _survey(interaction).open_form(interaction, self.rid, self.step)


class NavButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(rf"sv:n:(?P<rid>\d+):(?P<step>{_STEP}):(?P<action>back|skip|pause|continue|done)"),
):
    def __init__(self, rid: int, step: str, action: str, *, disabled: bool = False) -> None:
        label, emoji, style = NAV_LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                disabled=disabled,
                row=4,
                custom_id=f"sv:n:{rid}:{step}:{action}",
            )
        )
        self.rid, self.step, self.action = rid, step, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Self:
        return cls(int(match["rid"]), match["step"], match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        service, user = _survey(interaction).service, interaction.user.id
        action = {
            "back": lambda: service.back(self.rid, user, self.step),
            "skip": lambda: service.skip(self.rid, user, self.step),
            "pause": lambda: service.pause(self.rid, user),
            "continue": lambda: service.screen(self.rid, user),
            "done": lambda: service.finish(self.rid, user),
        }[self.action]
        await run(interaction, action())


class ChangeSelect(
    discord.ui.DynamicItem[discord.ui.Select], template=(r"sv:c:(?P<rid>\d+):(?P<chunk>\d)")
):
    """On the summary: pick a question to answer again."""

    def __init__(
        self, rid: int, chunk: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"sv:c:{rid}:{chunk}",
                options=options or [discord.SelectOption(label="-")],
                placeholder="Change an answer…" if chunk == 0 else "Change a later answer…",
            )
        )
        self.rid = rid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> Self:
        return cls(int(match["rid"]), int(match["chunk"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        values = [str(v) for v in (interaction.data or {}).get("values", [])]  # type: ignore[union-attr]
        service = _survey(interaction).service
        await run(
            interaction, service.change(self.rid, interaction.user.id, values[0] if values else "")
        )


class StartButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=(r"sv:s:(?P<guild>\d+):(?P<mode>new|retake):(?P<surface>dm|guild)"),
):
    """Consent: creates the response. The guild travels in the id because DMs have none."""

    def __init__(self, guild_id: int, mode: str, surface: str) -> None:
        label = "Continue here privately" if surface == "guild" else "Start the survey"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=f"sv:s:{guild_id}:{mode}:{surface}",
            )
        )
        self.guild_id, self.mode, self.surface = guild_id, mode, surface

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Self:
        return cls(int(match["guild"]), match["mode"], match["surface"])

    async def callback(self, interaction: discord.Interaction) -> None:
        service = _survey(interaction).service
        await run(
            interaction,
            service.begin(
                self.guild_id,
                interaction.user.id,
                surface=self.surface,
                retake=self.mode == "retake",
            ),
        )


class DeclineButton(discord.ui.DynamicItem[discord.ui.Button], template=r"sv:x"):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Not now", style=discord.ButtonStyle.secondary, custom_id="sv:x"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Self:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content="No problem: nothing was stored. Run `/survey start` in the server whenever "
            "you like.",
            view=None,
        )


ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    AnswerButton,
    ChoiceSelect,
    FormButton,
    NavButton,
    ChangeSelect,
    StartButton,
    DeclineButton,
)
