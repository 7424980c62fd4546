"""`/survey …`: the scalp-symptom survey, answered in DMs (or privately in the server)."""

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
from bot.results.published import ComparisonRefused, NotPublished
from bot.survey.screens import NoticeKind, NoticeScreen, QuestionScreen, Screen, SummaryScreen
from bot.survey.service import ALREADY_DONE, CLOSED, NotYourSurvey, StartState, SurveyService
from bot.tree import send_ephemeral
from cogs._components import Controls, dispatch_direct
from cogs.checkins.items import OptInButton
from cogs.survey import ids, items
from cogs.survey import results as shown
from cogs.survey.admin import SurveyAdmin
from cogs.survey.forms import AnswerForm, submitted_text
from cogs.survey.render import Rendered, render

log = logging.getLogger(__name__)

CONSENT = """\
**{title}**
{intro}

**What is stored:** your answers, your Discord user id and the server you started from, \
with dates. Nothing else you write is read or kept.
**Who sees what:** nobody sees your individual answers; members never see each other's. \
Server results only show counts of groups of at least a few people, and exports for \
moderators use pseudonymous ids instead of your name.
**Deleting:** `/survey delete` in the server erases everything about you, at any time.

Answer with the buttons or by typing; every answer is saved as you go, so you can pause \
and come back later. Nothing here is medical advice."""

DMS_CLOSED = """\
I could not send you a direct message: your DMs are closed for this server. Either allow \
them (server name → **Privacy Settings** → **Direct Messages** on) and run \
`/survey start` again, or take the survey privately right here: only you can see it."""

CHECKIN_OFFER = (
    "**Want to see what helps you over time?** This server runs check-ins: a one-minute "
    "question set every few weeks about your treatments, shedding and scalp, on a day and "
    "hour you choose. Only your answers to them are stored; stop whenever you like."
)

NO_SURVEY_IN_DMS = (
    "You have no survey in progress here. Run `/survey start` in your server to begin one."
)
NO_SURVEY_QUIET = timedelta(minutes=5)


def _member_key(interaction: discord.Interaction) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


class Survey(commands.Cog):
    survey = app_commands.Group(
        name="survey", description="The scalp-symptom survey", guild_only=True
    )

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.service = bot.services.survey
        self.results = bot.services.results
        # Every questionnaire the engine runs, by the prefix of its response references:
        # the survey, and check-ins (their controls and forms are the survey's own).
        self.engines: dict[str, SurveyService] = {
            "": self.service,
            "c": bot.services.checkins.engine,
        }
        self._told: dict[int, datetime] = {}  # member -> until when "no survey" is not repeated

    def engine(self, ref: str) -> tuple[SurveyService, int]:
        """The engine a response reference ("12", "c7") belongs to, and the response id."""
        book, number = (ref[0], ref[1:]) if ref[:1].isalpha() else ("", ref)
        return self.engines[book], int(number)

    @staticmethod
    def book_of(ref: str) -> str:
        return ref[0] if ref[:1].isalpha() else ""

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*items.ALL, shown.MoreButton, shown.PickSelect)
        for engine in self.engines.values():
            engine.membership = self.bot.is_member

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*items.ALL, shown.MoreButton, shown.PickSelect)
        for engine in self.engines.values():
            engine.membership = None

    # -- showing screens ----------------------------------------------------------------------

    async def show(self, interaction: discord.Interaction, screen: Screen, ref: str = "") -> None:
        """Answer a component or form interaction by editing its message in place."""
        in_dm = interaction.guild_id is None
        book = self.book_of(ref)
        engine = self.engines[book]
        rendered = render(screen, engine.questionnaire, in_dm=in_dm, book=book)
        await self._offer_checkins(rendered, screen, book, interaction.user.id)
        await interaction.response.edit_message(**rendered.kwargs())
        message = interaction.message
        if (
            in_dm
            and message is not None
            and isinstance(screen, QuestionScreen)
            and screen.prompt_message_id != message.id  # usually the same: no write needed
        ):
            await engine.use_surface(
                screen.response_id, interaction.user.id, "dm", message.channel.id, message.id
            )

    async def _offer_checkins(
        self, rendered: Rendered, screen: Screen, book: str, user_id: int
    ) -> None:
        """On the survey's thank-you, the opt-in to check-ins where the server has them on."""
        if book or not isinstance(screen, NoticeScreen) or screen.kind is not NoticeKind.FINISHED:
            return
        if screen.response_id is None:
            return
        guild_id = await self.bot.services.checkins.offer_after_survey(screen.response_id, user_id)
        if guild_id is not None:
            rendered.content += "\n\n" + CHECKIN_OFFER
            view = rendered.view or Controls()
            view.add_item(OptInButton(guild_id))
            rendered.view = view

    async def send_in_dm(
        self, channel: discord.abc.Messageable, user_id: int, screen: Screen, book: str = ""
    ) -> None:
        """Send a screen as a new DM, retiring the buttons of the previous question message."""
        engine = self.engines[book]
        rendered = render(screen, engine.questionnaire, in_dm=True, book=book)
        await self._offer_checkins(rendered, screen, book, user_id)
        sent = await channel.send(**rendered.send_kwargs())
        response_id = getattr(screen, "response_id", None)
        if response_id is None:
            return
        old_channel, old_message = await engine.prompt_message(response_id)
        if old_message is not None and old_message != sent.id and old_channel is not None:
            partial = self.bot.get_partial_messageable(old_channel).get_partial_message(old_message)
            with contextlib.suppress(discord.HTTPException):
                await partial.edit(view=None)
        if isinstance(screen, QuestionScreen | SummaryScreen):
            await engine.use_surface(response_id, user_id, "dm", sent.channel.id, sent.id)

    async def open_form(self, interaction: discord.Interaction, ref: str, step_key: str) -> None:
        engine, response_id = self.engine(ref)
        try:
            screen = await engine.screen(response_id, interaction.user.id)
        except NotYourSurvey:
            await send_ephemeral(interaction, items.NOT_YOURS)
            return
        if not isinstance(screen, QuestionScreen) or screen.step.key != step_key:
            await self.show(interaction, screen, ref)  # stale: show where they are instead
            return
        form = AnswerForm(screen, self.book_of(ref))
        await interaction.response.send_modal(form)
        form.stop()  # forgotten before any other task runs: submissions go to on_interaction

    # -- commands -----------------------------------------------------------------------------

    @survey.command(
        name="start",
        description="Take the scalp-symptom survey in your DMs, or continue where you left off",
    )
    @app_commands.checks.cooldown(2, 30.0, key=_member_key)
    async def start(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        state, _ = await self.service.start_state(interaction.guild_id, interaction.user.id)
        if state is StartState.COMPLETED:
            await send_ephemeral(interaction, ALREADY_DONE)
            return
        if state is StartState.NEW:
            await self._require_open(interaction.guild_id)
        await self._continue_in_dms(interaction, state, retake=False)

    async def _require_open(self, guild_id: int) -> None:
        """Refuse before sending a consent DM; `begin` checks again when it is clicked."""
        if not (await self.results.settings(guild_id)).survey_open:
            raise UserFacingError(CLOSED)

    @survey.command(
        name="retake",
        description="Answer the survey again as a new response; your earlier one is kept",
    )
    @app_commands.checks.cooldown(2, 30.0, key=_member_key)
    async def retake(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        state, _ = await self.service.start_state(interaction.guild_id, interaction.user.id)
        if state is StartState.RESUME:
            await send_ephemeral(
                interaction,
                "You have a survey in progress: `/survey start` continues it. A retake starts "
                "once it is finished.",
            )
            return
        await self._require_open(interaction.guild_id)
        await self._continue_in_dms(interaction, StartState.NEW, retake=True)

    async def _continue_in_dms(
        self, interaction: discord.Interaction, state: StartState, *, retake: bool
    ) -> None:
        guild_id, user = interaction.guild_id, interaction.user
        assert guild_id is not None
        mode = "retake" if retake else "new"
        resuming = state is StartState.RESUME
        await interaction.response.send_message(
            "Check your DMs: your survey continues there."
            if resuming
            else "Check your DMs: I have sent you the survey.",
            ephemeral=True,
        )
        try:
            channel = await user.create_dm()
            if resuming:
                screen = await self.service.begin(guild_id, user.id, surface="dm")
                await self.send_in_dm(channel, user.id, screen)
            else:
                view = Controls()
                view.add_item(items.StartButton(guild_id, mode, "dm"))
                view.add_item(items.DeclineButton())
                questionnaire = self.service.questionnaire
                await channel.send(
                    CONSENT.format(title=questionnaire.title, intro=questionnaire.intro), view=view
                )
        except discord.Forbidden:
            view = Controls()
            view.add_item(items.StartButton(guild_id, mode, "guild"))
            await interaction.edit_original_response(content=DMS_CLOSED, view=view)

    @survey.command(name="status", description="See how far you are in the survey")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        status = await self.service.status(interaction.guild_id, interaction.user.id)
        if status.state is StartState.NEW:
            text = "You have not started the survey yet. `/survey start` begins it."
        elif status.state is StartState.RESUME:
            text = (
                f"In progress: {status.answered} of {status.total} questions answered "
                f"(started {status.started_at[:10] if status.started_at else '?'}). "
                "`/survey start` continues where you left off."
            )
        else:
            text = (
                f"Completed on {status.completed_at[:10] if status.completed_at else '?'} "
                f"({status.answered} answers). `/survey mine` shows them; `/survey retake` "
                "starts a new response."
            )
        await send_ephemeral(interaction, text)

    @survey.command(name="mine", description="See your own answers (only you can see them)")
    async def mine(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        found = await self.service.mine(interaction.guild_id, interaction.user.id)
        if not found:
            await send_ephemeral(interaction, "You have no answers stored in this server.")
            return
        latest_response, latest = found[-1]
        rendered = render(
            SummaryScreen(latest.response_id, latest.rows, completed=True),
            self.service.questionnaire,
            in_dm=False,
        )
        assert rendered.embed is not None
        state = "completed" if latest_response.completed else "in progress"
        rendered.embed.title = f"Your answers ({state}, started {latest_response.started_at[:10]})"
        earlier = [
            f"• {r.started_at[:10]}: {'completed' if r.completed else 'not finished'}, "
            f"{sum(row.answer != 'not answered' for row in s.rows)} answers"
            for r, s in found[:-1]
        ]
        content = ("Earlier responses, kept as history:\n" + "\n".join(earlier)) if earlier else ""
        await interaction.response.send_message(
            content=content[:1900], embed=rendered.embed, ephemeral=True
        )

    @survey.command(
        name="delete", description="Erase everything Anagen stores about you in this server"
    )
    async def delete(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        view = Controls()
        for verdict in ("erase", "keep"):
            view.add_item(items.EraseButton(interaction.guild_id, interaction.user.id, verdict))
        await interaction.response.send_message(
            "This permanently erases everything Anagen stores about you in this server: all "
            "your survey answers (earlier responses too), your check-ins, regimen and "
            "check-in schedule, and your treatment suggestions. It cannot be undone.",
            view=view,
            ephemeral=True,
        )

    # -- results ------------------------------------------------------------------------------

    async def _require_results_access(self, interaction: discord.Interaction) -> tuple[int, bool]:
        """The server id, and whether replies must be private (results for moderators only)."""
        assert interaction.guild_id is not None
        settings = await self.results.settings(interaction.guild_id)
        managers_only = settings.results_visibility == "managers"
        if managers_only and not interaction.permissions.manage_guild:
            raise UserFacingError(
                "In this server, survey results are visible to members with Manage Server only."
            )
        return interaction.guild_id, managers_only

    @survey.command(
        name="results",
        description=(
            "How members here answered: the latest release, a chart, and any question one at a time"
        ),
    )
    @app_commands.checks.cooldown(3, 30.0, key=_member_key)
    async def results_command(self, interaction: discord.Interaction) -> None:
        guild_id, private = await self._require_results_access(interaction)
        try:
            overview = await self.results.overview(guild_id)
        except NotPublished as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            **shown.overview_message(overview), ephemeral=private
        )

    @survey.command(
        name="compare",
        description="Compare answers between groups of members, "
        "with the right statistic in plain words",
    )
    @app_commands.describe(
        question="What to compare; ★ marks the community's own questions",
        by="The grouping, e.g. receding or diffuse (optional for ★ questions)",
    )
    @app_commands.checks.cooldown(5, 30.0, key=_member_key)
    async def compare(
        self, interaction: discord.Interaction, question: str, by: str | None = None
    ) -> None:
        guild_id, private = await self._require_results_access(interaction)
        try:
            question_id, by_id = shown.resolve_pair(self.results, question, by)
        except KeyError:
            raise UserFacingError("Pick what to compare *by* from the list as well.") from None
        await interaction.response.defer(thinking=True, ephemeral=private)  # a chart may be drawn
        try:
            comparisons = await self.results.compare(guild_id, question_id, by_id)
        except KeyError:
            raise UserFacingError(
                "I do not know that question; pick one from the suggestions as you type."
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
        ref, step_key = form["rid"], form["step"]
        engine, rid = self.engine(ref)
        text = submitted_text(data)
        user = interaction.user.id
        if not text.strip():
            action = engine.skip(rid, user, step_key)
        else:
            action = engine.submit_text(rid, user, step_key, text)
        await items.run(interaction, action, ref)

    # -- typed replies in DMs -----------------------------------------------------------------

    async def _replying_to(self, user_id: int) -> str:
        """The engine whose DM questionnaire the member touched last (a survey and a
        check-in may both be open; the typed reply answers the one on screen)."""
        latest: tuple[datetime, str] | None = None
        for book, engine in self.engines.items():
            touched = await engine.dm_activity(user_id)
            if touched is not None and (latest is None or touched > latest[0]):
                latest = (touched, book)
        return latest[1] if latest else ""

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
        await message.channel.send(NO_SURVEY_IN_DMS)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot:
            return
        try:
            book = await self._replying_to(message.author.id)
            screen = await self.engines[book].reply(message.author.id, message.content)
            if screen is None:
                await self._no_survey(message)
                return
            await self.send_in_dm(message.channel, message.author.id, screen, book)
        except discord.Forbidden:
            # DMs closed after they typed: the answer is saved, and /survey start offers to
            # continue privately in the server.
            log.info("Cannot reply to user %s in DMs any more", message.author.id)
        except Exception:
            log.exception("Could not handle a typed survey reply from user %s", message.author.id)
            with contextlib.suppress(discord.HTTPException):
                await message.channel.send(
                    "Sorry, something went wrong on our side; your earlier answers are safe. "
                    "Please try again in a moment."
                )


async def setup(bot: AnagenBot) -> None:
    survey = Survey(bot)
    await bot.add_cog(survey)
    await bot.add_cog(SurveyAdmin(bot, survey.results))
