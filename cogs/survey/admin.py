"""`/survey-admin`: moderators' settings, exports, the survey panel and participation
counts, top-level so Discord hides it from members without Manage Server (the permission is
checked again on every use)."""

from __future__ import annotations

import contextlib
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.i18n import N_, _
from bot.results.service import ResultsService
from bot.storage.guilds import GuildSettings
from bot.storage.releases import ReleaseRecord
from bot.tree import report_error, send_ephemeral
from cogs._components import dispatch_direct
from cogs.survey import panel
from cogs.survey import results as shown

# Translators: “Take the survey” is the label of the survey panel's button.
MORE = N_(
    "-# How many started and finished: `/survey-admin status`. A “Take the survey” button "
    "for a channel: `/survey-admin post`."
)


def _checkins_line(settings: GuildSettings) -> str:
    if not settings.checkins_enabled:
        return _("**Check-ins:** off (members cannot opt in)")
    return _("**Check-ins:** on, offered every {weeks} weeks by default").format(
        weeks=settings.checkin_interval_weeks
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SurveyAdmin(
    commands.GroupCog,
    group_name="survey-admin",
    group_description=N_("Moderators: survey settings and exports"),
):
    """Top-level so Discord itself hides it from members without Manage Server."""

    def __init__(self, bot: AnagenBot, results: ResultsService) -> None:
        self.bot = bot
        self.results = results
        self.poster = panel.PanelPoster(bot)
        super().__init__()

    async def cog_load(self) -> None:
        # A new release refreshes the panel's count of members who took part (in the
        # process that made it; the panel is edited over REST, whichever shard it is on).
        self.results.releases.on_release.append(self._release_made)

    async def cog_unload(self) -> None:
        with contextlib.suppress(ValueError):
            self.results.releases.on_release.remove(self._release_made)

    async def _release_made(self, record: ReleaseRecord) -> None:
        await self.poster.refresh(record.guild_id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """The panel's button and "Edit again" (persistent items), and its form."""
        if await dispatch_direct(interaction, panel.DIRECT):
            return
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        form = panel.FORM.parse(str(data.get("custom_id", "")))
        if form is None:
            return
        try:
            await self.poster.submitted(interaction, int(form["channel"]))
        except Exception as exc:
            await report_error(interaction, exc)

    @app_commands.command(
        name="settings",
        description=N_("Who sees results, the minimum group size, survey and check-ins on or off"),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        visibility=N_("Who may run /survey results and /survey compare"),
        min_group_size=N_("Smallest group a public count may describe (3 or more; default 5)"),
        survey_open=N_("Whether members can start new responses (results stay either way)"),
        include_imported=N_("Count replies imported from threads (anagen import-replies)"),
        checkins=N_("Offer members follow-up check-ins every few weeks (off by default)"),
        checkin_interval=N_("The interval members are offered first (they may pick another)"),
        release_batch=N_("Changes a new release of results waits for (never below 2k)"),
        announce_channel=N_("Post each new release's chart here (results visible to everyone)"),
        announce_off=N_("Stop posting new releases"),
        count_role=N_("Count only members holding this role in results (against fresh accounts)"),
        count_min_days=N_("Count only members of the server for at least this many days (0: all)"),
        count_everyone=N_("Count every member again (clears the role)"),
    )
    @app_commands.choices(
        visibility=[
            app_commands.Choice(name=N_("Everyone"), value="everyone"),
            app_commands.Choice(name=N_("Members with Manage Server"), value="managers"),
        ]
    )
    @app_commands.choices(
        checkin_interval=[
            app_commands.Choice(name=N_("Every 2 weeks"), value=2),
            app_commands.Choice(name=N_("Every 4 weeks"), value=4),
            app_commands.Choice(name=N_("Every 8 weeks"), value=8),
        ]
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        visibility: app_commands.Choice[str] | None = None,
        min_group_size: app_commands.Range[int, 3, 100] | None = None,
        survey_open: bool | None = None,
        include_imported: bool | None = None,
        checkins: bool | None = None,
        checkin_interval: app_commands.Choice[int] | None = None,
        release_batch: app_commands.Range[int, 6, 1000] | None = None,
        announce_channel: discord.TextChannel | None = None,
        announce_off: bool | None = None,
        count_role: discord.Role | None = None,
        count_min_days: app_commands.Range[int, 0, 3650] | None = None,
        count_everyone: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes: dict[str, object] = {}
        if release_batch is not None:
            changes["release_batch"] = release_batch
        if announce_channel is not None:
            changes["announce_channel_id"] = announce_channel.id
        if announce_off:
            changes["announce_channel_id"] = None
        if count_role is not None:
            changes["count_role_id"] = count_role.id
        if count_min_days is not None:
            changes["count_min_days"] = count_min_days
        if count_everyone:
            changes["count_role_id"] = None
            changes["count_min_days"] = 0
        if visibility is not None:
            changes["results_visibility"] = visibility.value
        if min_group_size is not None:
            changes["min_group_size"] = min_group_size
        if survey_open is not None:
            changes["survey_open"] = survey_open
        if include_imported is not None:
            changes["include_imported"] = include_imported
        if checkins is not None:
            changes["checkins_enabled"] = checkins
        if checkin_interval is not None:
            changes["checkin_interval_weeks"] = checkin_interval.value
        if changes:
            current = await self.results.update_settings(interaction.guild_id, **changes)
            lead = _("Saved.") + " "
        else:
            current = await self.results.settings(interaction.guild_id)
            lead = ""
        await send_ephemeral(
            interaction,
            lead + shown.settings_text(current) + "\n" + _checkins_line(current) + "\n" + _(MORE),
        )
        if visibility is not None:
            # the panel shows how many took part only while results are public
            await self.poster.refresh(interaction.guild_id)

    @app_commands.command(
        name="post",
        description=N_("Post a “Take the survey” button in a channel; run again to edit its text"),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        channel=N_("Where to post it (default: where it already is, else this channel)"),
        remove=N_("Take the panel down instead (its text is kept for next time)"),
    )
    async def post(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        remove: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        if remove:
            await send_ephemeral(interaction, await self.poster.remove(interaction.guild_id))
            return
        target = await self.poster.target(
            interaction.guild_id, channel.id if channel else None, interaction.channel_id
        )
        await self.poster.open_form(interaction, target)

    @app_commands.command(
        name="status",
        description=N_("How many started and finished the survey; check-in reminders answered"),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        counts = await self.poster.panels.participation(interaction.guild_id)
        await send_ephemeral(interaction, panel.status_text(counts))

    @app_commands.command(
        name="release",
        description=N_(
            "Where the next release of results stands; ask for one before the day is out"
        ),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(
        publish_soon=N_(
            "Lift the once-a-day limit for the next release (it still needs a full batch)"
        )
    )
    async def release(self, interaction: discord.Interaction, publish_soon: bool = False) -> None:
        assert interaction.guild_id is not None
        releases = self.results.releases
        if publish_soon:
            status = await releases.request(interaction.guild_id)
            made = await releases.make(interaction.guild_id)
            if made is not None:
                status = await releases.status(interaction.guild_id)
        else:
            status = await releases.status(interaction.guild_id)
        await send_ephemeral(interaction, shown.release_status_text(status))

    @app_commands.command(
        name="export",
        description=N_(
            "Every completed response, every check-in and a codebook (pseudonymous ids)"
        ),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.describe(format=N_("csv for spreadsheets, json for scripts"))
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
            _(
                "Completed responses, the codebook describing every column of both files, and "
                "every check-in (one row per check-in and treatment). Respondent ids are "
                "pseudonymous (stable in this server only, the same in both files so rows join); "
                "free-text answers are included, so keep these files private."
            ),
            files=shown.export_files(files),
            ephemeral=True,
        )
