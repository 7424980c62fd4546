"""The command tree's single error handler.

Expected failures get a short, friendly, ephemeral line; anything else is
logged with its traceback under an incident id that the member also sees, so a
report in the support channel can be matched to the log without leaking
internals into Discord.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

import discord
from discord import app_commands

from bot.errors import UserFacingError

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
        return "This command only works inside a server."
    if isinstance(error, app_commands.MissingPermissions):
        return "You need the Manage Server permission to use this command."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
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
        message = (
            f"Something went wrong on our side (incident `{incident}`). Please try again in a "
            "moment; if it keeps happening, give this incident id to the server's moderators."
        )
    await send_ephemeral(interaction, message)


class AnagenTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)
