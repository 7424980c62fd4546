"""The `/survey` cog: the member's commands, and the listeners for typed DM answers and
the answer form (the survey's and check-ins').

`/survey results` and `/survey compare` are declared here too, as two thin entry points:
discord.py binds a group's subcommands to the cog that defines the group, so a cog of
their own would mean renaming them (`/results`, breaking every guide members follow) or
grafting commands onto this group at load time, which depends on extension order. What
they show, and their buttons and menus, live in `cogs/survey/results.py`."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.errors import UserFacingError
from bot.i18n import (
    BY_CODE,
    LANGUAGES,
    N_,
    SOURCE,
    _,
    current_language,
    from_discord,
    known,
    set_language,
)
from bot.results.published import ComparisonRefused, NotPublished
from bot.survey.refs import EngineKind, ResponseRef
from bot.survey.screens import NOT_ANSWERED, SummaryScreen
from bot.survey.service_types import StartState
from bot.tree import send_ephemeral
from cogs._components import Controls, dispatch_direct, enter_language, submitted_text
from cogs.survey import ids, items
from cogs.survey import results as shown
from cogs.survey.present import Presenter
from cogs.survey.render import render

log = logging.getLogger(__name__)

FOLLOW_CLIENT = "auto"
NO_SURVEY_IN_DMS = N_(
    "You have no survey in progress here. Run `/survey start` in your server to begin one."
)
NO_SURVEY_QUIET = timedelta(minutes=5)


def _earlier_line(started: str, completed: bool, answers: int) -> str:
    """One earlier response in `/survey mine`."""
    if completed:
        # Translators: {started} is a date (YYYY-MM-DD).
        return _("{started}: completed, {answers} answers").format(started=started, answers=answers)
    # Translators: {started} is a date (YYYY-MM-DD).
    return _("{started}: not finished, {answers} answers").format(started=started, answers=answers)


def _member_key(interaction: discord.Interaction) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


class Survey(commands.Cog):
    survey = app_commands.Group(
        name="survey", description=N_("The scalp-symptom survey"), guild_only=True
    )

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.service = bot.services.survey
        self.results = bot.services.results
        self.presenter = Presenter(bot)
        self._told: dict[int, datetime] = {}  # member -> until when "no survey" is not repeated

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*items.ALL, shown.MoreButton, shown.PickSelect)
        for engine in self.bot.services.engines.values():
            engine.membership = self.bot.is_member

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*items.ALL, shown.MoreButton, shown.PickSelect)
        for engine in self.bot.services.engines.values():
            engine.membership = None

    # -- commands -----------------------------------------------------------------------------

    @survey.command(
        name="start",
        description=N_("Take the scalp-symptom survey in your DMs, or continue where you left off"),
    )
    @app_commands.checks.cooldown(2, 30.0, key=_member_key)
    async def start(self, interaction: discord.Interaction) -> None:
        await self.presenter.start(interaction)

    @survey.command(
        name="retake",
        description=N_("Answer the survey again as a new response; your earlier one is kept"),
    )
    @app_commands.checks.cooldown(2, 30.0, key=_member_key)
    async def retake(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        state, _response = await self.service.start_state(interaction.guild_id, interaction.user.id)
        if state is StartState.RESUME:
            await send_ephemeral(
                interaction,
                _(
                    "You have a survey in progress: `/survey start` continues it. A retake starts "
                    "once it is finished."
                ),
            )
            return
        await self.presenter.require_open(interaction.guild_id)
        await self.presenter.continue_in_dms(interaction, StartState.NEW, retake=True)

    @survey.command(name="status", description=N_("See how far you are in the survey"))
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        status = await self.service.status(interaction.guild_id, interaction.user.id)
        if status.state is StartState.NEW:
            text = _("You have not started the survey yet. `/survey start` begins it.")
        elif status.state is StartState.RESUME:
            # Translators: {started} is a date (YYYY-MM-DD).
            text = _(
                "In progress: {answered} of {total} questions answered (started {started}). "
                "`/survey start` continues where you left off."
            ).format(
                answered=status.answered,
                total=status.total,
                started=status.started_at[:10] if status.started_at else "?",
            )
        else:
            # Translators: {completed} is a date (YYYY-MM-DD).
            text = _(
                "Completed on {completed} ({answered} answers). `/survey mine` shows them; "
                "`/survey retake` starts a new response."
            ).format(
                completed=status.completed_at[:10] if status.completed_at else "?",
                answered=status.answered,
            )
        await send_ephemeral(interaction, text)

    @survey.command(name="mine", description=N_("See your own answers (only you can see them)"))
    async def mine(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        found = await self.service.mine(interaction.guild_id, interaction.user.id)
        if not found:
            await send_ephemeral(interaction, _("You have no answers stored in this server."))
            return
        latest_response, latest = found[-1]
        rendered = render(
            SummaryScreen(latest.response_id, latest.rows, completed=True),
            self.service.questionnaire,
            in_dm=False,
        )
        assert rendered.embed is not None
        started = latest_response.started_at[:10]
        rendered.embed.title = (
            # Translators: {started} is a date (YYYY-MM-DD).
            _("Your answers (completed, started {started})").format(started=started)
            if latest_response.completed
            # Translators: {started} is a date (YYYY-MM-DD).
            else _("Your answers (in progress, started {started})").format(started=started)
        )
        not_answered = _(NOT_ANSWERED)
        earlier = [
            "• "
            + _earlier_line(
                r.started_at[:10], r.completed, sum(row.answer != not_answered for row in s.rows)
            )
            for r, s in found[:-1]
        ]
        content = (
            (_("Earlier responses, kept as history:") + "\n" + "\n".join(earlier))
            if earlier
            else ""
        )
        await interaction.response.send_message(
            content=content[:1900], embed=rendered.embed, ephemeral=True
        )

    @survey.command(
        name="delete", description=N_("Erase everything Anagen stores about you in this server")
    )
    async def delete(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = Controls()
        for verdict in ("erase", "keep"):
            view.add_item(items.EraseButton(interaction.guild_id, interaction.user.id, verdict))
        await interaction.response.send_message(
            _(
                "This permanently erases everything Anagen stores about you in this server: all "
                "your survey answers (earlier responses too), your check-ins, regimen and "
                "check-in schedule, and your treatment suggestions. It cannot be undone."
            ),
            view=view,
            ephemeral=True,
        )

    @survey.command(
        name="language",
        description=N_("Choose the language Anagen writes to you in, everywhere"),
    )
    @app_commands.describe(language=N_("Your language, or your Discord app's"))
    @app_commands.choices(
        language=[
            app_commands.Choice(name=N_("Same as my Discord app"), value=FOLLOW_CLIENT),
            *(app_commands.Choice(name=lang.native, value=lang.code) for lang in LANGUAGES),
        ]
    )
    async def language(self, interaction: discord.Interaction, language: str) -> None:
        chosen = None if language == FOLLOW_CLIENT else known(language)
        await self.bot.languages.choose(interaction.user.id, chosen)
        # Say it in the language just chosen.
        set_language(chosen or from_discord(str(interaction.locale)))
        if chosen is None:
            text = _(
                "Done: I will write to you in the language of your Discord app, now {language}."
            )
        else:
            text = _(
                "Done: I will write to you in {language}, in servers and in DMs, whatever "
                "language your Discord app uses. Treatment facts stay in English, the language "
                "of their sources."
            )
        shown = BY_CODE[chosen or from_discord(str(interaction.locale))].native
        await send_ephemeral(interaction, text.format(language=shown))

    # -- results ------------------------------------------------------------------------------

    async def _require_results_access(self, interaction: discord.Interaction) -> tuple[int, bool]:
        """The server id, and whether replies must be private (results for moderators only)."""
        assert interaction.guild_id is not None
        settings = await self.results.settings(interaction.guild_id)
        managers_only = settings.results_visibility == "managers"
        if managers_only and not interaction.permissions.manage_guild:
            raise UserFacingError(
                _("In this server, survey results are visible to members with Manage Server only.")
            )
        return interaction.guild_id, managers_only

    @survey.command(
        name="results",
        description=N_(
            "How members here answered: the latest release, a chart, and any question one at a time"
        ),
    )
    @app_commands.checks.cooldown(3, 30.0, key=_member_key)
    async def results_command(self, interaction: discord.Interaction) -> None:
        guild_id, private = await self._require_results_access(interaction)
        # A release draws its chart in English; another language's is drawn the first time
        # it is asked for, which can outlast Discord's three seconds: say "thinking" first.
        drawing = current_language() != SOURCE
        if drawing:
            await interaction.response.defer(thinking=True, ephemeral=private)
        try:
            overview = await self.results.overview(guild_id)
        except NotPublished as exc:
            raise UserFacingError(str(exc)) from None
        if drawing:
            await interaction.followup.send(**shown.overview_message(overview), ephemeral=private)
        else:
            await interaction.response.send_message(
                **shown.overview_message(overview), ephemeral=private
            )

    @survey.command(
        name="compare",
        description=N_(
            "Compare answers between groups of members, with the right statistic in plain words"
        ),
    )
    @app_commands.describe(
        question=N_("What to compare; ★ marks the community's own questions"),
        by=N_("The grouping, e.g. receding or diffuse (optional for ★ questions)"),
    )
    @app_commands.checks.cooldown(5, 30.0, key=_member_key)
    async def compare(
        self, interaction: discord.Interaction, question: str, by: str | None = None
    ) -> None:
        guild_id, private = await self._require_results_access(interaction)
        try:
            question_id, by_id = shown.resolve_pair(self.results, question, by)
        except KeyError:
            raise UserFacingError(_("Pick what to compare *by* from the list as well.")) from None
        await interaction.response.defer(thinking=True, ephemeral=private)  # a chart may be drawn
        try:
            comparisons = await self.results.compare(guild_id, question_id, by_id)
        except KeyError:
            raise UserFacingError(
                _("I do not know that question; pick one from the suggestions as you type.")
            ) from None
        except (ComparisonRefused, NotPublished) as exc:
            raise UserFacingError(str(exc)) from None
        for index, comparison in enumerate(comparisons):
            await interaction.followup.send(
                **shown.comparison_message(comparison, index), ephemeral=private
            )

    @compare.autocomplete("question")
    async def _question_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return shown.compare_choices(self.results, current, with_ready=True)

    @compare.autocomplete("by")
    async def _by_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = shown.compare_choices(self.results, current, with_ready=False)
        return [c for c in choices if ":" in c.value or c.value in self.results.variables]

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if await dispatch_direct(interaction, items.DIRECT):
            return
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        form = ids.FORM.parse(str(data.get("custom_id", "")))
        if form is None:
            return
        await enter_language(interaction)
        ref, step_key = ResponseRef.parse(form["rid"]), form["step"]
        engine, rid = self.presenter.engine(ref.kind), ref.response_id
        text = submitted_text(data)
        user = interaction.user.id
        if not text.strip():
            action = engine.skip(rid, user, step_key)
        else:
            action = engine.submit_text(rid, user, step_key, text)
        await self.presenter.run(interaction, action, ref.kind)

    # -- typed replies in DMs -----------------------------------------------------------------

    async def _replying_to(self, user_id: int) -> EngineKind:
        """The engine whose DM questionnaire the member touched last (a survey and a
        check-in may both be open; the typed reply answers the one on screen)."""
        latest: tuple[datetime, EngineKind] | None = None
        for kind, engine in self.bot.services.engines.items():
            touched = await engine.dm_activity(user_id)
            if touched is not None and (latest is None or touched > latest[0]):
                latest = (touched, kind)
        return latest[1] if latest else EngineKind.SURVEY

    async def _no_survey(self, message: discord.Message) -> None:
        """Say there is no survey here once per member every few minutes; other DMs go
        unanswered, so chatter never spends the request budget every member shares."""
        now = self.bot.clock.now()
        until = self._told.get(message.author.id)
        if until is not None and until > now:
            return
        if len(self._told) > 10_000:
            self._told = {u: t for u, t in self._told.items() if t > now}
        self._told[message.author.id] = now + NO_SURVEY_QUIET
        await message.channel.send(_(NO_SURVEY_IN_DMS))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot:
            return
        try:
            set_language(await self.bot.languages.for_message(message.author.id))
            kind = await self._replying_to(message.author.id)
            screen = await self.presenter.engine(kind).reply(message.author.id, message.content)
            if screen is None:
                await self._no_survey(message)
                return
            await self.presenter.send_in_dm(message.channel, message.author.id, screen, kind)
        except discord.Forbidden:
            # DMs closed after they typed: the answer is saved, and /survey start offers to
            # continue privately in the server.
            log.info("Cannot reply to user %s in DMs any more", message.author.id)
        except Exception:
            log.exception("Could not handle a typed survey reply from user %s", message.author.id)
            with contextlib.suppress(discord.HTTPException):
                await message.channel.send(
                    _(
                        "Sorry, something went wrong on our side; your earlier answers are safe. "
                        "Please try again in a moment."
                    )
                )
