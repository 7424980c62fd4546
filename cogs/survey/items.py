"""Persistent survey components. Each custom_id is a pointer (response, step, choice): the
state is re-read from the database on every click, so buttons keep working after a
restart and a stale or forged click can only ever be refused or redirected."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.erasure import erase_member
from bot.survey.service import NotYourSurvey
from bot.tree import report_error, send_ephemeral
from cogs._components import Direct, ReportingItem, label_of
from cogs.survey import ids

if TYPE_CHECKING:
    from bot.survey.screens import Screen
    from bot.survey.service import SurveyService
    from cogs.survey import Survey

NOT_YOURS = "This survey belongs to someone else. Start your own with `/survey start`."

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


def _engine(interaction: discord.Interaction, ref: str) -> tuple[SurveyService, int]:
    """The engine a response reference belongs to (survey or check-in), and the id."""
    return _survey(interaction).engine(ref)


async def run(interaction: discord.Interaction, action: Any, ref: str = "") -> None:
    """Run a survey action and show its screen in place; errors reach the member politely.
    `ref` is the response reference the action came from, naming its engine."""
    try:
        screen: Screen = await action
        await _survey(interaction).show(interaction, screen, ref)
    except NotYourSurvey:
        await send_ephemeral(interaction, NOT_YOURS)
    except Exception as exc:
        await report_error(interaction, exc)


class AnswerButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.ANSWER.template
):
    def __init__(
        self,
        rid: str,
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
                custom_id=ids.ANSWER.build(rid=rid, step=step, value=value),
                row=row,
            )
        )
        self.rid, self.step, self.value = rid, step, value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["rid"], match["step"], match["value"], label_of(item))

    async def handle(self, interaction: discord.Interaction) -> None:
        service, rid = _engine(interaction, self.rid)
        await run(
            interaction,
            service.choose(rid, interaction.user.id, self.step, [self.value]),
            self.rid,
        )


class ChoiceSelect(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Select], template=ids.CHOICE.template
):
    def __init__(
        self,
        rid: str,
        step: str,
        field: str,
        options: list[discord.SelectOption] | None = None,
        *,
        placeholder: str = "",
        max_values: int = 1,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=ids.CHOICE.build(rid=rid, step=step, field=field),
                options=options or [discord.SelectOption(label="-")],
                placeholder=placeholder[:150] or None,
                min_values=1,
                max_values=max_values,
            )
        )
        self.rid, self.step, self.field = rid, step, field

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["rid"], match["step"], match["field"])

    async def handle(self, interaction: discord.Interaction) -> None:
        # From the interaction itself: dispatched directly, the item is never refreshed.
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(v) for v in data.get("values", [])]
        service, rid = _engine(interaction, self.rid)
        await run(
            interaction,
            service.choose(rid, interaction.user.id, self.step, values, self.field),
            self.rid,
        )


class FormButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.FORM_BUTTON.template
):
    """Opens a form for number and text questions (the only way in a server channel)."""

    def __init__(self, rid: str, step: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Answer",
                emoji="✏️",
                style=discord.ButtonStyle.primary,
                custom_id=ids.FORM_BUTTON.build(rid=rid, step=step),
            )
        )
        self.rid, self.step = rid, step

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["rid"], match["step"])

    async def handle(self, interaction: discord.Interaction) -> None:
        await _survey(interaction).open_form(interaction, self.rid, self.step)


class NavButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.NAV.template
):
    def __init__(self, rid: str, step: str, action: str, *, disabled: bool = False) -> None:
        label, emoji, style = NAV_LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                disabled=disabled,
                row=4,
                custom_id=ids.NAV.build(rid=rid, step=step, action=action),
            )
        )
        self.rid, self.step, self.action = rid, step, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["rid"], match["step"], match["action"])

    async def handle(self, interaction: discord.Interaction) -> None:
        (service, rid), user = _engine(interaction, self.rid), interaction.user.id
        action = {
            "back": lambda: service.back(rid, user, self.step),
            "skip": lambda: service.skip(rid, user, self.step),
            "pause": lambda: service.pause(rid, user),
            "continue": lambda: service.screen(rid, user),
            "done": lambda: service.finish(rid, user),
        }[self.action]
        await run(interaction, action(), self.rid)


class ChangeSelect(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Select], template=ids.CHANGE.template
):
    """On the summary: pick a question to answer again."""

    def __init__(
        self, rid: str, chunk: int, options: list[discord.SelectOption] | None = None
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=ids.CHANGE.build(rid=rid, chunk=chunk),
                options=options or [discord.SelectOption(label="-")],
                placeholder="Change an answer…" if chunk == 0 else "Change a later answer…",
            )
        )
        self.rid = rid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["rid"], int(match["chunk"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        values = list(self.item.values)
        service, rid = _engine(interaction, self.rid)
        await run(
            interaction,
            service.change(rid, interaction.user.id, values[0] if values else ""),
            self.rid,
        )


class StartButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.START.template
):
    """Consent: creates the response. The guild travels in the id because DMs have none."""

    def __init__(self, guild_id: int, mode: str, surface: str) -> None:
        label = "Continue here privately" if surface == "guild" else "Start the survey"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.success,
                custom_id=ids.START.build(guild=guild_id, mode=mode, surface=surface),
            )
        )
        self.guild_id, self.mode, self.surface = guild_id, mode, surface

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["guild"]), match["mode"], match["surface"])

    async def handle(self, interaction: discord.Interaction) -> None:
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


class DeclineButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.DECLINE.template
):
    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Not now", style=discord.ButtonStyle.secondary, custom_id=ids.DECLINE.build()
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls()

    async def handle(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content="No problem: nothing was stored. Run `/survey start` in the server whenever "
            "you like.",
            view=None,
        )


class EraseButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.ERASE.template
):
    """The confirmation of `/survey delete`. Persistent like every other survey control, so a
    restart between the question and the click cannot leave the member with a dead button."""

    def __init__(self, guild_id: int, user_id: int, verdict: str, label: str | None = None) -> None:
        erase = verdict == "erase"
        super().__init__(
            discord.ui.Button(
                label=(label or ("Erase my answers" if erase else "Cancel"))[:80],
                style=discord.ButtonStyle.danger if erase else discord.ButtonStyle.secondary,
                custom_id=ids.ERASE.build(guild=guild_id, user=user_id, verdict=verdict),
            )
        )
        self.guild_id, self.user_id, self.verdict = guild_id, user_id, verdict

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["guild"]), int(match["user"]), match["verdict"])

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await send_ephemeral(interaction, "This confirmation belongs to someone else.")
            return
        if self.verdict != "erase":
            await interaction.response.edit_message(content="Nothing was erased.", view=None)
            return
        erased = await erase_member(_survey(interaction).bot.db, self.guild_id, self.user_id)
        text = (
            f"Done: erased {_count(erased.responses, 'survey response')} with "
            f"{_count(erased.answers, 'answer')}, {_count(erased.suggestions, 'suggestion')}, "
            f"{_count(erased.checkins, 'check-in')} and "
            f"{_count(erased.regimen_entries, 'regimen entry', 'regimen entries')}"
            + (", and your check-in schedule" if erased.enrolled else "")
            + ". Nothing about you remains in Anagen for this server."
            if erased.anything
            else "There was nothing stored about you in this server."
        )
        await interaction.response.edit_message(content=text, view=None)


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


# The controls of every survey step, run from the cog's `on_interaction` without
# discord.py rebuilding a View from the message first (`dispatch_direct`).
DIRECT: Direct = {
    ids.ANSWER: AnswerButton,
    ids.CHOICE: ChoiceSelect,
    ids.FORM_BUTTON: FormButton,
    ids.NAV: NavButton,
}
# The rest, pressed once in a while, through discord.py's dynamic items.
ALL: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    ChangeSelect,
    StartButton,
    DeclineButton,
    EraseButton,
)
