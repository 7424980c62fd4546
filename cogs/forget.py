"""`/forget-me`: erase what Anagen holds about you in a server, from anywhere, DMs
included, so leaving or being banned from a server never takes the right away."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.erasure import servers_holding
from cogs.survey.items import EraseButton

# Discord allows 25 components in a message: 24 servers and a way out.
MAX_SERVERS = 24


class Forget(commands.Cog):
    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="forget-me",
        description="Erase what Anagen holds about you in a server, even one you have left",
    )
    @app_commands.checks.cooldown(3, 60.0, key=lambda i: i.user.id)
    async def forget_me(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        servers = await servers_holding(self.bot.db, user_id)
        if not servers:
            await interaction.response.send_message(
                "Anagen holds nothing about you in any server.", ephemeral=True
            )
            return
        view = discord.ui.View(timeout=None)
        for guild_id in servers[:MAX_SERVERS]:
            guild = self.bot.get_guild(guild_id)
            name = guild.name if guild is not None else f"server {guild_id}"
            view.add_item(EraseButton(guild_id, user_id, "erase", f"Erase all in {name}"))
        view.add_item(EraseButton(servers[0], user_id, "keep", "Keep everything"))
        listed = len(servers[:MAX_SERVERS])
        await interaction.response.send_message(
            f"Anagen holds answers or other data about you in {listed} "
            f"server{'s' if listed > 1 else ''}. Pressing a server's button permanently erases "
            "everything about you there: survey answers (earlier responses too), check-ins, "
            "regimen and schedule, and treatment suggestions. It cannot be undone. Published "
            "results leave you out from that server's next release.",
            view=view,
            ephemeral=True,
        )


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(Forget(bot))
