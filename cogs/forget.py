"""`/forget-me`: erase what Anagen holds about you in a server, from anywhere, DMs
included, so leaving or being banned from a server never takes the right away."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.erasure import servers_holding
from bot.i18n import N_, _, ngettext
from cogs.survey.items import EraseButton

# Discord allows 25 components in a message: 24 servers and a way out.
MAX_SERVERS = 24


class Forget(commands.Cog):
    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="forget-me",
        description=N_("Erase what Anagen holds about you in a server, even one you have left"),
    )
    @app_commands.checks.cooldown(3, 60.0, key=lambda i: i.user.id)
    async def forget_me(self, interaction: discord.Interaction) -> None:
        user_id = interaction.user.id
        servers = await servers_holding(self.bot.db, user_id)
        if not servers:
            await interaction.response.send_message(
                _("Anagen holds nothing about you in any server."), ephemeral=True
            )
            return
        view = discord.ui.View(timeout=None)
        for guild_id in servers[:MAX_SERVERS]:
            guild = self.bot.get_guild(guild_id)
            label = (
                # Translators: {name} is the name of a Discord server.
                _("Erase all in {name}").format(name=guild.name)
                if guild is not None
                # Translators: {id} is the id of a server the bot no longer sees.
                else _("Erase all in server {id}").format(id=guild_id)
            )
            view.add_item(EraseButton(guild_id, user_id, "erase", label))
        view.add_item(EraseButton(servers[0], user_id, "keep", _("Keep everything")))
        listed = len(servers[:MAX_SERVERS])
        text = ngettext(
            "Anagen holds answers or other data about you in {count} server. Pressing a "
            "server's button permanently erases everything about you there: survey answers "
            "(earlier responses too), check-ins, regimen and schedule, and treatment "
            "suggestions. It cannot be undone. Published results leave you out from that "
            "server's next release.",
            "Anagen holds answers or other data about you in {count} servers. Pressing a "
            "server's button permanently erases everything about you there: survey answers "
            "(earlier responses too), check-ins, regimen and schedule, and treatment "
            "suggestions. It cannot be undone. Published results leave you out from that "
            "server's next release.",
            listed,
        ).format(count=listed)
        await interaction.response.send_message(
            text,
            view=view,
            ephemeral=True,
        )


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(Forget(bot))
