"""How a questionnaire screen reaches the member: shown in place of the message a control
was on, sent as a new DM, or opened as a form. The survey and check-ins share it (one
engine, one set of controls), and the items reach it from the bot they run on, so no cog
has to find another by its name."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable

import discord

from bot.app import AnagenBot
from bot.errors import UserFacingError
from bot.i18n import N_, _
from bot.survey.refs import EngineKind, ResponseRef
from bot.survey.screens import NoticeKind, NoticeScreen, QuestionScreen, Screen, SummaryScreen
from bot.survey.service import SurveyService
from bot.survey.service_texts import ALREADY_DONE, CLOSED
from bot.survey.service_types import NotYourSurvey, StartState
from bot.tree import report_error, send_ephemeral
from cogs._components import Controls, bot_of, discord_markup
from cogs.survey.forms import AnswerForm
from cogs.survey.render import Rendered, decline_button, opt_in_button, render, start_button

NOT_YOURS = N_("This survey belongs to someone else. Start your own with `/survey start`.")

# Translators: {title} and {intro} are the questionnaire's title and introduction.
CONSENT = N_("""\
**{title}**
{intro}

**What is stored:** your answers, your Discord user id and the server you started from, \
with dates. Nothing else you write is read or kept.
**Who sees what:** nobody sees your individual answers; members never see each other's. \
Server results only show counts of groups of at least a few people, and exports for \
moderators use pseudonymous ids instead of your name.
**Deleting:** `/survey delete` in the server erases everything about you, at any time.

Answer with the buttons or by typing; every answer is saved as you go, so you can pause \
and come back later. Nothing here is medical advice.""")

# Translators: **Privacy Settings** and **Direct Messages** are the names Discord shows in
# its server menu, in the member's language.
DMS_CLOSED = N_("""\
I could not send you a direct message: your DMs are closed for this server. Either allow \
them (server name → **Privacy Settings** → **Direct Messages** on) and run \
`/survey start` again, or take the survey privately right here: only you can see it.""")

CHECKIN_OFFER = N_(
    "**Want to see what helps you over time?** This server runs check-ins: a one-minute "
    "question set every few weeks about your treatments, shedding and scalp, on a day and "
    "hour you choose. Only your answers to them are stored; stop whenever you like."
)


class Presenter:
    """Shows screens of both engines. Holds nothing but the bot, so building one per click
    is free and every cog and item sees the same services."""

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.services = bot.services

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Presenter:
        return cls(bot_of(interaction))

    def engine(self, kind: EngineKind) -> SurveyService:
        return self.services.engine(kind)

    async def run(
        self,
        interaction: discord.Interaction,
        action: Awaitable[Screen],
        kind: EngineKind = EngineKind.SURVEY,
    ) -> None:
        """Run an engine action and show its screen in place; errors reach the member
        politely. `kind` is the engine the action belongs to."""
        try:
            screen = await action
            await self.show(interaction, screen, kind)
        except NotYourSurvey:
            await send_ephemeral(interaction, _(NOT_YOURS))
        except Exception as exc:
            await report_error(interaction, exc)

    async def show(
        self,
        interaction: discord.Interaction,
        screen: Screen,
        kind: EngineKind = EngineKind.SURVEY,
    ) -> None:
        """Answer a component or form interaction by editing its message in place."""
        in_dm = interaction.guild_id is None
        engine = self.engine(kind)
        rendered = render(screen, engine.questionnaire, in_dm=in_dm, kind=kind)
        await self._offer_checkins(rendered, screen, kind, interaction.user.id)
        if interaction.response.is_done():  # deferred: Discord waits for the edit
            await interaction.edit_original_response(**rendered.kwargs())
        else:
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
        self, rendered: Rendered, screen: Screen, kind: EngineKind, user_id: int
    ) -> None:
        """On the survey's thank-you, the opt-in to check-ins where the server has them on."""
        if kind is not EngineKind.SURVEY:
            return
        if not isinstance(screen, NoticeScreen) or screen.kind is not NoticeKind.FINISHED:
            return
        if screen.response_id is None:
            return
        guild_id = await self.services.checkins.offer_after_survey(screen.response_id, user_id)
        if guild_id is not None:
            rendered.content += "\n\n" + _(CHECKIN_OFFER)
            view = rendered.view or Controls()
            view.add_item(opt_in_button(guild_id))
            rendered.view = view

    async def send_in_dm(
        self,
        channel: discord.abc.Messageable,
        user_id: int,
        screen: Screen,
        kind: EngineKind = EngineKind.SURVEY,
    ) -> None:
        """Send a screen as a new DM, retiring the buttons of the previous question message."""
        engine = self.engine(kind)
        rendered = render(screen, engine.questionnaire, in_dm=True, kind=kind)
        await self._offer_checkins(rendered, screen, kind, user_id)
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

    async def open_form(
        self, interaction: discord.Interaction, ref: ResponseRef, step_key: str
    ) -> None:
        engine = self.engine(ref.kind)
        try:
            screen = await engine.screen(ref.response_id, interaction.user.id)
        except NotYourSurvey:
            await send_ephemeral(interaction, _(NOT_YOURS))
            return
        if not isinstance(screen, QuestionScreen) or screen.step.key != step_key:
            await self.show(interaction, screen, ref.kind)  # stale: show where they are instead
            return
        form = AnswerForm(screen, ref.kind)
        await interaction.response.send_modal(form)
        form.stop()  # forgotten before any other task runs: submissions go to on_interaction

    # -- starting the survey (`/survey start`, `/survey retake` and the panel's button) -------

    async def start(self, interaction: discord.Interaction) -> None:
        """What `/survey start` does: resume, or ask for consent in DMs."""
        assert interaction.guild_id is not None
        service = self.services.survey
        state, _response = await service.start_state(interaction.guild_id, interaction.user.id)
        if state is StartState.COMPLETED:
            await send_ephemeral(interaction, discord_markup(_(ALREADY_DONE)))
            return
        if state is StartState.NEW:
            await self.require_open(interaction.guild_id)
        await self.continue_in_dms(interaction, state, retake=False)

    async def require_open(self, guild_id: int) -> None:
        """Refuse before sending a consent DM; `begin` checks again when it is clicked."""
        if not (await self.services.results.settings(guild_id)).survey_open:
            raise UserFacingError(discord_markup(_(CLOSED)))

    async def continue_in_dms(
        self, interaction: discord.Interaction, state: StartState, *, retake: bool
    ) -> None:
        guild_id, user = interaction.guild_id, interaction.user
        assert guild_id is not None
        # DMs typed after a restart and reminders carry no locale: remember this one.
        await self.bot.languages.seen(user.id, str(interaction.locale))
        mode = "retake" if retake else "new"
        resuming = state is StartState.RESUME
        await interaction.response.send_message(
            _("Check your DMs: your survey continues there.")
            if resuming
            else _("Check your DMs: I have sent you the survey."),
            ephemeral=True,
        )
        try:
            channel = await user.create_dm()
            if resuming:
                screen = await self.services.survey.begin(guild_id, user.id, surface="dm")
                await self.send_in_dm(channel, user.id, screen)
            else:
                view = Controls()
                view.add_item(start_button(guild_id, mode, "dm"))
                view.add_item(decline_button())
                questionnaire = self.services.survey.questionnaire
                await channel.send(
                    _(CONSENT).format(title=questionnaire.title, intro=questionnaire.intro),
                    view=view,
                )
        except discord.Forbidden:
            view = Controls()
            view.add_item(start_button(guild_id, mode, "guild"))
            await interaction.edit_original_response(content=_(DMS_CLOSED), view=view)
