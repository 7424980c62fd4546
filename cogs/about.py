"""`/about`: what Anagen is, what it keeps about you, and how to erase it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.i18n import N_, _

STORED = N_(
    "Only what you give Anagen: your survey answers, keyed by your Discord user id and the "
    "server you started it in, with the time and questionnaire version; if you opt in to "
    "check-ins, your schedule and time zone, your regimen and your check-in answers; and any "
    "correction you suggest with `/treatment suggest`. No messages outside the survey and "
    "check-in DMs are read or kept."
)
LANGUAGE_KEPT = N_(
    "Once you take the survey, start check-ins or choose one with `/survey language`, the "
    "language Anagen writes to you in is kept too, so DMs and reminders reach you in it."
)
WHO_SEES = N_(
    "Nobody sees your individual answers. Server results are published as releases: counts "
    "rounded to 5, none for groups of fewer than k members, refreshed only after a batch of "
    "members has taken part, so your answers cannot be read off a change. Exports for "
    "moderators use pseudonymous ids and dates without times."
)
DELETE = N_(
    "Run `/survey delete` at any time to erase everything Anagen holds about you. Your answers "
    "are gone from the database at once; the published results leave you out from the next "
    "release, which comes after the server's next batch of changes (your erasure counts as "
    "one), at most once a day."
)
INDEPENDENT = N_(
    "Anagen is an independent open-source project. It is not affiliated with any company, "
    "product or brand of the same name, and it sells nothing and earns nothing from the "
    "treatments it describes."
)


def about_embed(version: str, source_url: str) -> discord.Embed:
    embed = discord.Embed(
        title="Anagen",
        description=_(
            "A scalp-symptom survey, follow-up check-ins, treatment lookups and community "
            "results for hair-loss communities. Not medical advice."
        ),
        colour=discord.Colour.teal(),
    )
    embed.add_field(name=_("What is stored"), value=f"{_(STORED)} {_(LANGUAGE_KEPT)}", inline=False)
    embed.add_field(name=_("Who sees it"), value=_(WHO_SEES), inline=False)
    embed.add_field(name=_("Deleting your data"), value=_(DELETE), inline=False)
    embed.add_field(name=_("Who makes it"), value=_(INDEPENDENT), inline=False)
    embed.add_field(name=_("Source code"), value=source_url, inline=False)
    embed.set_footer(text=f"Anagen {version}")
    return embed


class About(commands.Cog):
    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot

    @app_commands.command(
        description=N_("What Anagen is, what it stores about you and how to delete it")
    )
    async def about(self, interaction: discord.Interaction) -> None:
        embed = about_embed(self.bot.version, self.bot.settings.source_url)
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(About(bot))
