"""Persistent survey components: they handle clicks; `render.py` draws them. Each custom_id
is a pointer (response, step, choice): the state is re-read from the database on every
click, so buttons keep working after a restart and a stale or forged click can only ever be
refused or redirected."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from bot.erasure import Erased, erase_member
from bot.i18n import _, ngettext
from bot.survey.refs import ResponseRef
from bot.tree import send_ephemeral
from cogs._components import Direct, ReportingItem, as_button, as_select, bot_of
from cogs.survey import ids
from cogs.survey.present import Presenter


class AnswerButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.ANSWER.template
):
    def __init__(self, item: discord.ui.Button[Any], rid: str, step: str, value: str) -> None:
        super().__init__(item)
        self.rid, self.step, self.value = rid, step, value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), match["rid"], match["step"], match["value"])

    async def handle(self, interaction: discord.Interaction) -> None:
        presenter, ref = Presenter.of(interaction), ResponseRef.parse(self.rid)
        engine = presenter.engine(ref.kind)
        await presenter.run(
            interaction,
            engine.choose(ref.response_id, interaction.user.id, self.step, [self.value]),
            ref.kind,
        )


class ChoiceSelect(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Select], template=ids.CHOICE.template
):
    def __init__(self, item: discord.ui.Select[Any], rid: str, step: str, field: str) -> None:
        super().__init__(item)
        self.rid, self.step, self.field = rid, step, field

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_select(item), match["rid"], match["step"], match["field"])

    async def handle(self, interaction: discord.Interaction) -> None:
        # From the interaction itself: dispatched directly, the item is never refreshed.
        data: dict[str, Any] = dict(interaction.data or {})
        values = [str(v) for v in data.get("values", [])]
        presenter, ref = Presenter.of(interaction), ResponseRef.parse(self.rid)
        engine = presenter.engine(ref.kind)
        await presenter.run(
            interaction,
            engine.choose(ref.response_id, interaction.user.id, self.step, values, self.field),
            ref.kind,
        )


class FormButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.FORM_BUTTON.template
):
    """Opens a form for number and text questions (the only way in a server channel)."""

    def __init__(self, item: discord.ui.Button[Any], rid: str, step: str) -> None:
        super().__init__(item)
        self.rid, self.step = rid, step

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), match["rid"], match["step"])

    async def handle(self, interaction: discord.Interaction) -> None:
        await Presenter.of(interaction).open_form(
            interaction, ResponseRef.parse(self.rid), self.step
        )


class NavButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.NAV.template
):
    def __init__(self, item: discord.ui.Button[Any], rid: str, step: str, action: str) -> None:
        super().__init__(item)
        self.rid, self.step, self.action = rid, step, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), match["rid"], match["step"], match["action"])

    async def handle(self, interaction: discord.Interaction) -> None:
        presenter, ref = Presenter.of(interaction), ResponseRef.parse(self.rid)
        service, rid, user = presenter.engine(ref.kind), ref.response_id, interaction.user.id
        action = {
            "back": lambda: service.back(rid, user, self.step),
            "skip": lambda: service.skip(rid, user, self.step),
            "pause": lambda: service.pause(rid, user),
            "continue": lambda: service.screen(rid, user),
            "done": lambda: service.finish(rid, user),
        }[self.action]
        if self.action == "done":  # asks Discord about membership first: see StartButton
            await interaction.response.defer()
        await presenter.run(interaction, action(), ref.kind)


class ChangeSelect(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Select], template=ids.CHANGE.template
):
    """On the summary: pick a question to answer again."""

    def __init__(self, item: discord.ui.Select[Any], rid: str) -> None:
        super().__init__(item)
        self.rid = rid

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_select(item), match["rid"])

    async def handle(self, interaction: discord.Interaction) -> None:
        values = list(self.item.values)
        presenter, ref = Presenter.of(interaction), ResponseRef.parse(self.rid)
        engine = presenter.engine(ref.kind)
        await presenter.run(
            interaction,
            engine.change(ref.response_id, interaction.user.id, values[0] if values else ""),
            ref.kind,
        )


class StartButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.START.template
):
    """Consent: creates the response. The guild travels in the id because DMs have none."""

    def __init__(
        self, item: discord.ui.Button[Any], guild_id: int, mode: str, surface: str
    ) -> None:
        super().__init__(item)
        self.guild_id, self.mode, self.surface = guild_id, mode, surface

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item), int(match["guild"]), match["mode"], match["surface"])

    async def handle(self, interaction: discord.Interaction) -> None:
        presenter = Presenter.of(interaction)
        service = presenter.services.survey
        # Starting asks Discord whether they still belong to the server, a request that
        # waits its turn under the global rate limit when many start at once (a panel just
        # posted): acknowledge the click first, so Discord's three seconds never run out.
        await interaction.response.defer()
        await presenter.run(
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
    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(as_button(item))

    async def handle(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=_(
                "No problem: nothing was stored. Run `/survey start` in the server whenever "
                "you like."
            ),
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
                label=(label or (_("Erase my answers") if erase else _("Cancel")))[:80],
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
            await send_ephemeral(interaction, _("This confirmation belongs to someone else."))
            return
        if self.verdict != "erase":
            await interaction.response.edit_message(content=_("Nothing was erased."), view=None)
            return
        erased = await erase_member(bot_of(interaction).db, self.guild_id, self.user_id)
        await interaction.response.edit_message(content=erased_text(erased), view=None)


def erased_text(erased: Erased) -> str:
    """What an erasure removed, counted."""
    if not erased.anything:
        return _("There was nothing stored about you in this server.")
    counts = {
        "responses": ngettext(
            "{n} survey response", "{n} survey responses", erased.responses
        ).format(n=erased.responses),
        "answers": ngettext("{n} answer", "{n} answers", erased.answers).format(n=erased.answers),
        "suggestions": ngettext("{n} suggestion", "{n} suggestions", erased.suggestions).format(
            n=erased.suggestions
        ),
        "checkins": ngettext("{n} check-in", "{n} check-ins", erased.checkins).format(
            n=erased.checkins
        ),
        "regimen": ngettext(
            "{n} regimen entry", "{n} regimen entries", erased.regimen_entries
        ).format(n=erased.regimen_entries),
    }
    if erased.enrolled:
        # Translators: each placeholder is a count such as "3 answers" or "1 check-in".
        text = _(
            "Done: erased {responses} with {answers}, {suggestions}, {checkins} and {regimen}, "
            "and your check-in schedule. Nothing about you remains in Anagen for this server."
        )
    else:
        # Translators: each placeholder is a count such as "3 answers" or "1 check-in".
        text = _(
            "Done: erased {responses} with {answers}, {suggestions}, {checkins} and {regimen}. "
            "Nothing about you remains in Anagen for this server."
        )
    return text.format(**counts)


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
