"""`/survey-admin`: moderators' settings and exports, top-level so Discord hides it from
members without Manage Server (the permission is checked again on every use)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.results.service import ResultsService
from bot.tree import send_ephemeral
from cogs.survey import results as shown


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SurveyAdmin(
    commands.GroupCog,
    group_name="survey-admin",
    group_description="Moderators: survey settings and exports",
):
    """Top-level so Discord itself hides it from members without Manage Server."""

    def __init__(self, bot: AnagenBot, results: ResultsService) -> None:
        self.bot = bot
        self.results = results
        super().__init__()

    @app_commands.command(
        name="settings",
        description="Who sees results, the minimum group size, and whether the survey is open",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        visibility="Who may run /survey results and /survey compare",
        min_group_size="Smallest group a public count may describe (3 or more; default 5)",
        survey_open="Whether members can start new responses (results stay either way)",
        include_imported="Count replies imported from threads (anagen import-replies)",
    )
    @app_commands.choices(
        visibility=[
            app_commands.Choice(name="Everyone", value="everyone"),
            app_commands.Choice(name="Members with Manage Server", value="managers"),
        ]
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        visibility: app_commands.Choice[str] | None = None,
        min_group_size: app_commands.Range[int, 3, 100] | None = None,
        survey_open: bool | None = None,
        include_imported: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes: dict[str, object] = {}
        if visibility is not None:
            changes["results_visibility"] = visibility.value
        if min_group_size is not None:
            changes["min_group_size"] = min_group_size
        if survey_open is not None:
            changes["survey_open"] = survey_open
        if include_imported is not None:
            changes["include_imported"] = include_imported
        if changes:
            current = await self.results.update_settings(interaction.guild_id, **changes)
            lead = "Saved. "
        else:
            current = await self.results.settings(interaction.guild_id)
            lead = ""
        await send_ephemeral(interaction, lead + shown.settings_text(current))

    @app_commands.command(
        name="export", description="Every completed response with a codebook (pseudonymous ids)"
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(format="csv for spreadsheets, json for scripts")
    @app_commands.choices(
        format=[
            app_commands.Choice(name="CSV", value="csv"),
            app_commands.Choice(name="JSON", value="json"),
        ]
    )
    async def export(
        self, interaction: discord.Interaction, format: app_commands.Choice[str]
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        files = await self.results.export(interaction.guild_id, format.value)
        await interaction.followup.send(
            "Completed responses and the codebook describing every column. Respondent ids are "
            "pseudonymous (stable in this server only); free-text answers are included, so "
            "keep these files private.",
            files=shown.export_files(files),
            ephemeral=True,
        )
