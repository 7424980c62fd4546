"""Operator-only maintenance commands."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.i18n import N_, _


class Operator(commands.Cog):
    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot

    async def _is_operator(self, interaction: discord.Interaction) -> bool:
        return await self.bot.is_owner(interaction.user)

    @app_commands.command(
        name="sync-commands",
        description=N_("Operators only: push Anagen's slash commands to Discord again"),
    )
    @app_commands.default_permissions(administrator=True)
    async def sync_commands(self, interaction: discord.Interaction) -> None:
        if not await self._is_operator(interaction):
            await interaction.response.send_message(
                _("Only Anagen's operators (ANAGEN_OWNER_IDS) can sync commands."),
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.sync_commands(force=True)
        await interaction.followup.send(_("Slash commands synced."), ephemeral=True)


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(Operator(bot))
