"""What every persistent item in the cogs shares.

Persistent components outlive the process that sent them, so two promises hold for each
one: its custom_id parses back to the item that owns it (each cog keeps its formats in an
`ids` module), and a failure inside it reaches the member with an incident id rather than
Discord's bare "This interaction failed" (discord.py on its own only logs it)."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.app import AnagenBot
from bot.i18n import from_discord, set_language
from bot.tree import report_error

_FIELD = re.compile(r"\{(\w+)\}")
CUSTOM_ID_LIMIT = 100


class IdFormat:
    """One custom_id shape, such as ``sv:a:{rid}:{step}:{value}``, with a pattern per field.

    `build` fills it in for sending; `template` is the regular expression discord.py
    matches incoming ids against, so the two can never drift apart."""

    def __init__(self, shape: str, **fields: str) -> None:
        names = _FIELD.findall(shape)
        if sorted(names) != sorted(fields):
            raise ValueError(f"{shape!r}: fields {sorted(fields)} do not match {names}")
        self.shape = shape
        self.template = _FIELD.sub(lambda m: f"(?P<{m[1]}>{fields[m[1]]})", shape)
        self.pattern = re.compile(self.template)

    def build(self, **values: object) -> str:
        return self.shape.format(**values)

    def parse(self, custom_id: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(custom_id)
        return match.groupdict() if match else None

    def __repr__(self) -> str:
        return f"IdFormat({self.shape!r})"


def bot_of(interaction: discord.Interaction[Any]) -> AnagenBot:
    """The bot a click or a form reached. Items find the services (and the presenters
    built over them) here, typed, rather than looking a cog up by its name."""
    client = interaction.client
    if not isinstance(client, AnagenBot):
        raise TypeError(f"Anagen's controls run on AnagenBot, not {type(client).__name__}")
    return client


def server_language(bot: AnagenBot, guild_id: int) -> str:
    """The language of a server's public messages (the panel, announcements): its
    community's preferred locale, the same for every reader, whoever caused the message."""
    guild = bot.get_guild(guild_id)
    return from_discord(None if guild is None else str(guild.preferred_locale))


async def enter_language(interaction: discord.Interaction[Any]) -> None:
    """Answer this click or form in the member's language: it runs in a task of its own,
    so what it says, down to `bot/`, reads the language from there."""
    set_language(await bot_of(interaction).language_of(interaction))


class Form(discord.ui.Modal):
    """A modal whose submission is answered in the member's language."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        await enter_language(interaction)
        return True


def submitted_text(data: dict[str, Any], field: str = "answer") -> str:
    """One field of a modal submission (classic rows or label components)."""
    for row in data.get("components", []):
        for component in [*row.get("components", []), row.get("component") or {}]:
            if component.get("custom_id") == field:
                return str(component.get("value") or "")
    return ""


def as_button(item: discord.ui.Item[Any]) -> discord.ui.Button[Any]:
    """The button a persistent item is rebuilt from, as drawn; a blank one with the same
    custom_id if a forged message carried the id on another kind of component."""
    if isinstance(item, discord.ui.Button):
        return item
    return discord.ui.Button(custom_id=getattr(item, "custom_id", None))


def as_select(item: discord.ui.Item[Any]) -> discord.ui.Select[Any]:
    """The select menu a persistent item is rebuilt from (see `as_button`)."""
    if isinstance(item, discord.ui.Select):
        return item
    return discord.ui.Select(
        custom_id=getattr(item, "custom_id", ""), options=[discord.SelectOption(label="-")]
    )


def label_of(item: discord.ui.Item[Any]) -> str:
    """The label of the button a persistent item is rebuilt from (empty for other kinds)."""
    return (item.label or "") if isinstance(item, discord.ui.Button) else ""


class ReportingItem:
    """Mixin for `DynamicItem`s (listed first): subclasses write `handle`, not `callback`.

    Whatever escapes `handle` goes through the tree's error reporting, so the member is
    answered with a friendly line or an incident id, and the log names the custom_id."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await enter_language(interaction)
            await self.handle(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


Direct = dict[IdFormat, type[discord.ui.DynamicItem[Any]]]


async def dispatch_direct(interaction: discord.Interaction[Any], routes: Direct) -> bool:
    """Run the persistent item a click belongs to, built from its custom_id alone.

    For the controls pressed on every survey step: discord.py's own dispatch of a dynamic
    item first rebuilds a whole `View` from the message (a few hundred microseconds for a
    question's 10 to 25 components, on every click), which these items never use. As
    discord.py does, a custom_id counts only if the message carries it, on a component of
    the kind that was used. Returns whether an item took the interaction."""
    if interaction.type is not discord.InteractionType.component or interaction.message is None:
        return False
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id, kind = str(data.get("custom_id", "")), data.get("component_type")
    for format_, cls in routes.items():
        match = format_.pattern.fullmatch(custom_id)
        if match is None:
            continue
        shown = _component_on(interaction.message, custom_id, kind)
        if shown is None:
            return False
        base: discord.ui.Item[Any] = (
            discord.ui.Button(label=getattr(shown, "label", None), custom_id=custom_id)
            if kind == discord.ComponentType.button.value
            else discord.ui.Select(custom_id=custom_id)
        )
        item = await cls.from_custom_id(interaction, base, match)
        await item.callback(interaction)
        return True
    return False


def _component_on(message: discord.Message, custom_id: str, kind: object) -> Any | None:
    for row in message.components:
        for component in getattr(row, "children", ()):
            if getattr(component, "custom_id", None) == custom_id and (
                component.type.value == kind
            ):
                return component
    return None


class Controls(discord.ui.View):
    """The controls on one of the bot's messages, none of which discord.py needs to keep.

    Every control is persistent (a dynamic item registered at start-up, or dispatched by
    `dispatch_direct`), so a copy per message in discord.py's view store would only cost
    memory, and for the directly dispatched ones would answer a click a second time."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


_COMMAND = re.compile(
    r"(?<![`\w])(/(?:survey-admin|survey|checkin|treatment|forget-me)(?: [a-z-]+)?)"
)
_BUTTON = re.compile(r"\b(Press|or) (Continue|Done|Change an answer)\b")


def discord_markup(text: str) -> str:
    """The domain's plain sentences as Discord shows them: slash commands in code spans and
    the buttons a sentence names in bold ("Press Done" -> "Press **Done**"). bot/ writes no
    markdown, so the same sentences serve the terminal preview and the HTML report."""
    return _BUTTON.sub(r"\1 **\2**", _COMMAND.sub(r"`\1`", text))
