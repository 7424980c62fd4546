"""The command tree: its single error handler, and the language it speaks.

Expected failures get a short, friendly, ephemeral line; anything else is
logged with its traceback under an incident id that the member also sees, so a
report in the support channel can be matched to the log without leaking
internals into Discord. Every command runs in the member's language, and the
synced commands carry their descriptions in every language Anagen speaks.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.i18n import _, from_discord, set_language, speaking

log = logging.getLogger(__name__)


def new_incident_id() -> str:
    return secrets.token_hex(4)


def friendly_message(error: Exception) -> str | None:
    """The member-facing text for an expected error, or None for a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return _("This command only works inside a server.")
    if isinstance(error, app_commands.MissingPermissions):
        return _("You need the Manage Server permission to use this command.")
    if isinstance(error, app_commands.CommandOnCooldown):
        return _("Slow down a little: try again in {seconds} s.").format(
            seconds=f"{error.retry_after:.0f}"
        )
    if isinstance(error, app_commands.CheckFailure):
        return _("You can't use this command here.")
    return None


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Reply or follow up, whichever is still possible, without ever pinging anyone."""
    mentions = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=mentions)
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=mentions
            )
    except discord.HTTPException:
        log.warning("Could not tell the member about an error (interaction %s)", interaction.id)


def describe(interaction: discord.Interaction) -> str:
    """What was used, for the log: a command's name or a component's custom_id, never the
    values a member chose or typed (a form's fields are health details)."""
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data: Mapping[str, object] = interaction.data or {}
    custom_id = data.get("custom_id")
    kind = interaction.type.name if interaction.type else "interaction"
    return f"{kind} {custom_id}" if isinstance(custom_id, str) else kind


async def report_error(interaction: discord.Interaction, error: Exception) -> None:
    """Shared by the tree and by views: answer the member, log bugs with an incident id."""
    original = getattr(error, "original", error)
    if isinstance(original, discord.NotFound) and original.code == 10062:
        # Discord's 3 s window closed before the bot answered (overload): the interaction
        # token is dead, so a second attempt would only fail again. Committed work stays.
        log.warning("Interaction %s expired before the bot could answer it", interaction.id)
        return
    message = friendly_message(error)
    if message is None:
        incident = new_incident_id()
        log.error(
            "Incident %s in %s by user %s",
            incident,
            describe(interaction),
            interaction.user.id,
            exc_info=error,
        )
        message = _(
            "Something went wrong on our side (incident `{incident}`). Please try again in a "
            "moment; if it keeps happening, give this incident id to the server's moderators."
        ).format(incident=incident)
    await send_ephemeral(interaction, message)


LanguageOf = Callable[[discord.Interaction], Awaitable[str]]


async def client_language(interaction: discord.Interaction) -> str:
    return from_discord(str(interaction.locale))


class AnagenTree(app_commands.CommandTree):
    # The bot replaces it with one that knows members' own choices (bot/languages.py).
    language_of: LanguageOf = staticmethod(client_language)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # A command runs in this same task, so everything it says is in this language.
        set_language(await self.language_of(interaction))
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class CommandTranslator(app_commands.Translator):
    """Descriptions, option descriptions and choice names in each language Anagen speaks.

    Command and option names stay the English ASCII ones everywhere: they are what guides,
    pinned messages and the README tell members to type, in any language."""

    _NAMES = (
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    )

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if context.location in self._NAMES:
            return None
        language = from_discord(locale.value)
        with speaking(language):
            translated = _(string.message)
        return translated if translated != string.message else None
