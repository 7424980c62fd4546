"""`/checkin …`: follow-up check-ins every few weeks, answered in DMs, and their reminders."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.checkins.history import history_chart
from bot.checkins.parse import (
    WEEKDAYS,
    ScheduleInputError,
    parse_hour,
    parse_interval,
    parse_weekday,
    resolve_zone,
)
from bot.checkins.scheduler import Outcome, Pacing, ReminderScheduler
from bot.checkins.service import CheckinsOff, ScheduleError
from bot.checkins.zones import search_zones
from bot.errors import UserFacingError
from bot.i18n import N_, _, speaking
from bot.storage.checkins import PauseReason, Reminder
from bot.survey.refs import EngineKind
from bot.tree import report_error, send_ephemeral
from cogs._components import enter_language, submitted_text
from cogs.checkins import ids, items, render
from cogs.checkins.render import OFF
from cogs.survey.present import Presenter

log = logging.getLogger(__name__)

DMS_CLOSED = N_(
    "I could not send you a direct message: your DMs are closed for this server. Allow them "
    "(server name → **Privacy Settings** → **Direct Messages**) and try again."
)
PAUSED_NOTICE = {
    PauseReason.DM_CLOSED: N_(
        "⏸️ Your check-in reminders are paused: I could not send you a direct message (your DMs "
        "are closed for this server). Allow them, then run `/checkin resume`."
    ),
    PauseReason.GONE: N_(
        "⏸️ Your check-in reminders were paused while you were away from this server. "
        "`/checkin resume` starts them again."
    ),
}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WEEKDAY_CHOICES = [app_commands.Choice(name=day, value=i) for i, day in enumerate(WEEKDAYS)]
# Whole names, so each is in the catalogue for the command translator.
INTERVAL_CHOICES = [
    app_commands.Choice(name=N_("Every 2 weeks"), value=2),
    app_commands.Choice(name=N_("Every 4 weeks"), value=4),
    app_commands.Choice(name=N_("Every 8 weeks"), value=8),
]


def _member_key(interaction: discord.Interaction) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


def _month(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not _MONTH.match(value.strip()):
        raise UserFacingError(_("Give the month as year and month, like 2026-03."))
    return value.strip()


class CheckIns(commands.Cog):
    checkin = app_commands.Group(
        name="checkin",
        description=N_("Follow-up check-ins: what your treatments do for you over months"),
        guild_only=True,
    )

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.service = bot.services.checkins
        self.scheduler = ReminderScheduler(
            bot.db,
            self.send_reminder,
            clock=bot.clock,
            should_send=self._still_on,
            # Fetching the member (are they still here?), opening the DM, sending it; in
            # this process's share of the bot-wide budget when the bot runs as several.
            pacing=Pacing(
                max_requests_per_second=bot.share_of_limit(Pacing().max_requests_per_second, 3),
                requests_per_reminder=3,
            ),
            scope=bot.shard_scope,
        )
        self._starter: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*items.ALL)
        self._starter = asyncio.create_task(self._start_when_ready())

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*items.ALL)
        if self._starter is not None:
            self._starter.cancel()
        await self.scheduler.stop()

    async def _start_when_ready(self) -> None:
        """Reminders need the server list, which arrives once connected."""
        await self.bot.wait_until_ready()
        self.scheduler.start()

    # -- sending reminders --------------------------------------------------------------------

    async def _still_on(self, reminder: Reminder) -> bool:
        return (await self.service.settings(reminder.guild_id)).checkins_enabled

    async def send_reminder(self, reminder: Reminder) -> Outcome:
        guild = self.bot.get_guild(reminder.guild_id)
        if guild is None:  # the bot left the server
            return Outcome.GONE
        try:
            member = await guild.fetch_member(reminder.user_id)
        except discord.NotFound:
            return Outcome.GONE
        # No interaction says the member's language: the one they last used or chose.
        language = await self.bot.languages.for_message(reminder.user_id)
        try:
            with speaking(language):
                # The nonce makes Discord (enforce_nonce) return the first message instead of
                # posting a second when a run killed after sending retries the same claim.
                await member.send(
                    render.reminder_text(guild.name),
                    view=render.reminder_view(guild.id, reminder.period),
                    nonce=f"anagen-r{reminder.id}",
                )
        except discord.Forbidden as exc:
            return Outcome.DM_CLOSED if exc.code == 50007 else Outcome.FAILED
        except discord.HTTPException:
            log.warning("Discord refused check-in reminder %s", reminder.id, exc_info=True)
            return Outcome.FAILED
        return Outcome.SENT

    # -- the schedule form, opened by the opt-in on the survey's thank-you ----------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        form = ids.SCHEDULE_FORM.parse(str(data.get("custom_id", "")))
        if form is None:
            return
        try:
            # A listener's task, not the form's: answer in the member's language here.
            await enter_language(interaction)
            await self._submit_schedule(interaction, int(form["guild"]), data)
        except Exception as exc:  # a listener has no tree to report for it
            await report_error(interaction, exc)

    async def _submit_schedule(
        self, interaction: discord.Interaction, guild_id: int, data: dict[str, Any]
    ) -> None:
        try:
            at = self.bot.clock.now()
            zone = resolve_zone(submitted_text(data, "zone"), at)
            weekday = parse_weekday(submitted_text(data, "weekday"))
            hour = parse_hour(submitted_text(data, "hour"))
            every = parse_interval(submitted_text(data, "every") or "4")
        except ScheduleInputError as exc:
            await send_ephemeral(
                interaction,
                # Translators: {problem} says what was wrong with what the member typed;
                # **Set up check-ins** is the label of the button that opens the form.
                _("⚠️ {problem} Press **Set up check-ins** to try again.").format(problem=exc),
            )
            return
        await self._enrol(interaction, guild_id, weekday, hour, zone, every)

    async def _enrol(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        weekday: int,
        hour: int,
        zone: str,
        every: int | None,
    ) -> None:
        try:
            enrolment, seeded = await self.service.enrol(
                guild_id, interaction.user.id, weekday=weekday, hour=hour, zone=zone,
                interval_weeks=every,
            )  # fmt: skip
            # Reminders come when no interaction says the member's language: keep it.
            await self.bot.languages.seen(interaction.user.id, str(interaction.locale))
        except CheckinsOff:
            raise UserFacingError(_(OFF)) from None
        except ScheduleError as exc:
            raise UserFacingError(str(exc)) from None
        lines = ["✅ " + render.schedule_text(enrolment)]
        if seeded:
            names = ", ".join(self.service.treatment_label(t) for t in seeded)
            lines.append(
                # Translators: {names} lists treatments, separated by commas.
                _(
                    "Your regimen starts from the treatments you named in the survey: {names}. "
                    "Correct it any time with `/checkin regimen`."
                ).format(names=names)
            )
        else:
            lines.append(_("`/checkin regimen` shows and corrects the treatments you are on."))
        lines.append(_(render.WHAT_IS_STORED))
        await send_ephemeral(interaction, "\n\n".join(lines))

    # -- commands -----------------------------------------------------------------------------

    @checkin.command(
        name="start", description=N_("Get a one-minute check-in in your DMs every few weeks")
    )
    @app_commands.describe(
        weekday=N_("The day you want to be asked"),
        hour=N_("The hour, in your own time (0-23)"),
        time_zone=N_("Your time zone: type a city (Berlin, New York) or an offset (UTC+5:30)"),
        every=N_("How often (the server's default if left out)"),
    )
    @app_commands.choices(weekday=WEEKDAY_CHOICES, every=INTERVAL_CHOICES)
    @app_commands.checks.cooldown(3, 30.0, key=_member_key)
    async def start(
        self,
        interaction: discord.Interaction,
        weekday: app_commands.Choice[int],
        hour: app_commands.Range[int, 0, 23],
        time_zone: str,
        every: app_commands.Choice[int] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        try:
            zone = resolve_zone(time_zone, self.bot.clock.now())
        except ScheduleInputError as exc:
            raise UserFacingError(str(exc)) from None
        await self._enrol(
            interaction,
            interaction.guild_id,
            weekday.value,
            hour,
            zone,
            every.value if every else None,
        )

    @start.autocomplete("time_zone")
    async def _zones(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=z.label[:100], value=z.name)
            for z in search_zones(current, at=self.bot.clock.now())
        ]

    @checkin.command(name="now", description=N_("Answer a check-in now, in your DMs"))
    @app_commands.checks.cooldown(2, 30.0, key=_member_key)
    async def now(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        if not (await self.service.settings(interaction.guild_id)).checkins_enabled:
            raise UserFacingError(_(OFF))
        await interaction.response.send_message(
            _("Check your DMs: your check-in is there."), ephemeral=True
        )
        try:
            channel = await interaction.user.create_dm()
            screen = await self.service.begin(interaction.guild_id, interaction.user.id)
            await Presenter(self.bot).send_in_dm(
                channel, interaction.user.id, screen, EngineKind.CHECKIN
            )
        except discord.Forbidden:
            await interaction.edit_original_response(content=_(DMS_CLOSED))

    @checkin.command(
        name="status", description=N_("Your check-in schedule, next date and treatments")
    )
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        status = await self.service.status(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction, render.status_text(status, self.service.treatment_label)[:1900]
        )

    @checkin.command(name="pause", description=N_("Pause check-in reminders until you resume them"))
    async def pause(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        paused = await self.service.pause(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            _("Paused: no reminders until you run `/checkin resume`.")
            if paused
            else _("You have no active check-ins to pause."),
        )

    @checkin.command(name="resume", description=N_("Start paused check-in reminders again"))
    async def resume(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        try:
            enrolment = await self.service.resume(interaction.guild_id, interaction.user.id)
        except CheckinsOff:
            raise UserFacingError(_(OFF)) from None
        await send_ephemeral(
            interaction,
            "✅ " + render.schedule_text(enrolment)
            if enrolment is not None
            else _("You have no paused check-ins. `/checkin start` sets them up."),
        )

    @checkin.command(name="stop", description=N_("Stop check-in reminders (your history is kept)"))
    async def stop(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        stopped = await self.service.stop(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            _(
                "Stopped: no more reminders. Your check-ins stay in `/checkin history`; "
                "`/survey delete` erases everything."
            )
            if stopped
            else _("You have no check-ins to stop."),
        )

    @checkin.command(name="regimen", description=N_("See or correct the treatments you are on"))
    @app_commands.describe(
        action=N_("What to do (leave out to just see your regimen)"),
        treatment=N_("The treatment to add, mark stopped or remove"),
        month=N_("When it started or stopped, as YYYY-MM (optional)"),
    )
    @app_commands.choices(
        action=[
            app_commands.Choice(name=N_("Add a treatment I am on"), value="add"),
            app_commands.Choice(name=N_("Mark a treatment stopped"), value="stop"),
            app_commands.Choice(name=N_("Remove one added by mistake"), value="remove"),
        ]
    )
    async def regimen(
        self,
        interaction: discord.Interaction,
        action: app_commands.Choice[str] | None = None,
        treatment: str | None = None,
        month: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild, user = interaction.guild_id, interaction.user.id
        lead = ""
        if action is not None:
            if treatment not in dict(self.service.treatment_choices()):
                raise UserFacingError(_("Pick the treatment from the list as you type."))
            label = self.service.treatment_label(treatment)
            when = _month(month)
            if action.value == "add":
                done = await self.service.add_treatment(guild, user, treatment, when)
                lead = (
                    # Translators: {treatment} is a treatment's name (here and below).
                    _("Added {treatment}.")
                    if done
                    else _("{treatment} is already on your regimen.")
                )
            elif action.value == "stop":
                done = await self.service.stop_treatment(guild, user, treatment, when)
                lead = (
                    _("Marked {treatment} stopped.")
                    if done
                    else _("{treatment} is not a current one.")
                )
            else:
                done = await self.service.forget_treatment(guild, user, treatment)
                lead = _("Removed {treatment}.") if done else _("{treatment} is not a current one.")
            lead = lead.format(treatment=label)
        entries = await self.service.regimen(guild, user)
        lines = render.regimen_lines(entries, self.service.treatment_label)
        body = "\n".join(lines) if lines else _("Your regimen is empty.")
        regimen = _("**Your regimen**") + f"\n{body}"
        await send_ephemeral(interaction, (f"{lead}\n\n" if lead else "") + regimen[:1900])

    @regimen.autocomplete("treatment")
    async def _treatments(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold().strip()
        return [
            app_commands.Choice(name=label, value=value)
            for value, label in self.service.treatment_choices()
            if needle in label.casefold() or needle in value
        ][:25]

    @checkin.command(
        name="history", description=N_("Your own trend over time: a chart and a table")
    )
    async def history(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        history = await self.service.history(interaction.guild_id, interaction.user.id)
        if not history.points:
            await interaction.followup.send(
                _("No completed check-ins yet. `/checkin now` answers one."), ephemeral=True
            )
            return
        png = await asyncio.to_thread(history_chart, history)
        await interaction.followup.send(
            render.history_table(history),
            file=discord.File(io.BytesIO(png), filename="checkin-history.png"),
            ephemeral=True,
        )

    # -- telling a member why their reminders stopped -------------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, ..., Any]
    ) -> None:
        if interaction.guild_id is None:
            return
        reason = await self.service.pause_notice(interaction.guild_id, interaction.user.id)
        if reason is not None and reason in PAUSED_NOTICE:
            # A listener's task: say it in the member's language, whatever it inherited.
            with speaking(await self.bot.language_of(interaction)):
                notice = _(PAUSED_NOTICE[reason])
            with contextlib.suppress(discord.HTTPException):
                await interaction.followup.send(notice, ephemeral=True)


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(CheckIns(bot))
