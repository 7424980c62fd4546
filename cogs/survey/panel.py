"""The survey panel in Discord: a "Take the survey" message with a persistent button, posted
by a moderator with `/survey-admin post` (the commands live in `cogs/survey/admin.py`).

Every control here is a pointer: the button's custom_id names no member and no server (the
click carries both), the form's names the channel to post in, and the panel's words and
place are re-read from the database. They are dispatched by `SurveyAdmin.on_interaction`
through `dispatch_direct`, so they work after a restart without being registered with
discord.py's view store (whose meta-test, tests/bot/test_components.py, lists the survey's
own formats only)."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any, Self

import discord
from discord import app_commands

from bot.app import AnagenBot
from bot.errors import UserFacingError
from bot.i18n import N_, _, ngettext, speaking
from bot.survey.panel import (
    LINES_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Panels,
    PanelText,
    PanelTextRefused,
    Participation,
    check_text,
)
from bot.tree import send_ephemeral
from cogs._components import (
    Controls,
    Direct,
    Form,
    IdFormat,
    ReportingItem,
    bot_of,
    server_language,
    submitted_text,
)
from cogs.survey._cog import Survey
from cogs.survey.present import Presenter

log = logging.getLogger(__name__)

# The custom_ids of the panel, in the survey's namespace ("sv:") but clear of its formats.
START = IdFormat("sv:panel")
EDIT = IdFormat("sv:panel:edit:{channel}", channel=r"\d+")
FORM = IdFormat("sv:panel:form:{channel}", channel=r"\d+")
ALL = (START, EDIT, FORM)

BUTTON_LABEL = N_("Take the survey")
NOT_A_MODERATOR = N_("You need the Manage Server permission to change the survey panel.")
MENTIONS = discord.AllowedMentions.none()


def require_manager(interaction: discord.Interaction) -> int:
    """The server id, if the member may change the panel (checked on every use: a form or a
    button can outlive the permission, or be forged)."""
    if interaction.guild_id is None or not interaction.permissions.manage_guild:
        raise UserFacingError(_(NOT_A_MODERATOR))
    return interaction.guild_id


async def start_as_the_command(interaction: discord.Interaction) -> None:
    """Exactly what `/survey start` does, checks (its cooldown) included: the command's
    checks (shared with the copy bound to the cog), then what its callback runs."""
    command: app_commands.Command[Any, ..., Any] = Survey.start
    for check in command.checks:
        if not await discord.utils.maybe_coroutine(check, interaction):
            raise app_commands.CheckFailure("a check of /survey start failed")
    await Presenter.of(interaction).start(interaction)


class PanelButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=START.template
):
    """The panel's “Take the survey”: for whoever presses it, in the panel's server."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=_(BUTTON_LABEL),
                emoji="📝",
                style=discord.ButtonStyle.success,
                custom_id=START.build(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls()

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.guild_id is None:
            await send_ephemeral(interaction, _("Run `/survey start` in your server to begin."))
            return
        await start_as_the_command(interaction)


class EditButton(ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=EDIT.template):
    """“Edit again”, under a refused text: the form, filled in with what was typed."""

    def __init__(self, channel_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Edit again"),
                emoji="✏️",
                style=discord.ButtonStyle.primary,
                custom_id=EDIT.build(channel=channel_id),
            )
        )
        self.channel_id = channel_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["channel"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await PanelPoster(bot_of(interaction)).open_form(interaction, self.channel_id)


# Dispatched by `SurveyAdmin.on_interaction`.
DIRECT: Direct = {START: PanelButton, EDIT: EditButton}


class PanelForm(Form):
    """The panel's title and text. Submissions are handled by `SurveyAdmin.on_interaction`
    from the custom_id, not by this object, so a form opened before a restart still posts."""

    def __init__(self, channel_id: int, text: PanelText) -> None:
        super().__init__(title=_("Survey panel"), custom_id=FORM.build(channel=channel_id))
        self.add_item(
            discord.ui.TextInput(
                label=_("Title"),
                custom_id="title",
                default=text.title[:TITLE_MAX],
                max_length=TITLE_MAX,
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=_("Text (up to {characters} characters, {lines} lines)").format(
                    characters=TEXT_MAX, lines=LINES_MAX
                ),
                custom_id="text",
                style=discord.TextStyle.paragraph,
                default=text.text[:TEXT_MAX],
                max_length=TEXT_MAX,
            )
        )


def panel_kwargs(text: PanelText, headline: str | None) -> dict[str, Any]:
    """The panel message: the moderator's words, the taken-part line, the button."""
    embed = discord.Embed(title=text.title, description=text.text, colour=discord.Colour.teal())
    if headline:
        embed.set_footer(text=headline)
    view = Controls()
    view.add_item(PanelButton())
    return {"embed": embed, "view": view, "allowed_mentions": MENTIONS}


def _copy_of(text: PanelText) -> str:
    """What was typed, to copy from (a code fence inside it is broken up so it shows)."""
    fence = "```"
    body = f"{text.title}\n{text.text}".replace(fence, "`\u200b`\u200b`")
    return f"{fence}\n{body}\n{fence}"


@dataclass(frozen=True, slots=True)
class Posted:
    channel_id: int
    message_id: int
    edited: bool  # the panel already there was edited rather than a new one posted


class PanelPoster:
    """Posts, edits, refreshes and removes a server's panel; keeps a refused text (in
    memory, and echoed to the moderator) so nothing typed is lost."""

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.panels: Panels = bot.services.panels
        self._drafts = self.panels.drafts  # (server, moderator) -> text

    # -- the form ---------------------------------------------------------------------------

    async def target(self, guild_id: int, chosen: int | None, here: int | None) -> int:
        """Where to post: the channel chosen, else where the panel already is, else here."""
        if chosen is not None:
            return chosen
        shown = await self.panels.shown(guild_id)
        if shown.record.posted and shown.record.channel_id is not None:
            return shown.record.channel_id
        if here is None:
            raise UserFacingError(_("Pick a channel to post the panel in."))
        return here

    async def open_form(self, interaction: discord.Interaction, channel_id: int) -> None:
        guild_id = require_manager(interaction)
        draft = self._drafts.get((guild_id, interaction.user.id))
        text = draft or (await self.panels.shown(guild_id)).text
        form = PanelForm(channel_id, text)
        await interaction.response.send_modal(form)
        form.stop()  # forgotten at once: the submission goes to SurveyAdmin.on_interaction

    async def submitted(self, interaction: discord.Interaction, channel_id: int) -> None:
        guild_id = require_manager(interaction)
        data: dict[str, Any] = dict(interaction.data or {})
        typed = PanelText(submitted_text(data, "title"), submitted_text(data, "text"))
        key = (guild_id, interaction.user.id)
        self._drafts[key] = typed  # until it is posted: nothing typed is lost on the way
        try:
            text = check_text(typed.title, typed.text)
        except PanelTextRefused as refused:
            await self._refuse(interaction, channel_id, str(refused), typed)
            return
        channel = self._channel_in(interaction, channel_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        posted = await self.post(guild_id, channel, text)
        self._drafts.pop(key, None)
        where = f"https://discord.com/channels/{guild_id}/{posted.channel_id}/{posted.message_id}"
        mention, button = f"<#{posted.channel_id}>", _(BUTTON_LABEL)
        if posted.edited:
            # Translators: {channel} is a channel mention, {link} the panel message's address,
            # {button} the label of the panel's button ("Take the survey").
            done = _(
                "Updated the survey panel in {channel} ({link}). Members press **{button}** to "
                "begin, exactly like `/survey start`. Its count of members who took part follows "
                "each new release of results. `/survey-admin post` again edits it; "
                "`/survey-admin post remove:True` takes it down."
            )
        else:
            # Translators: {channel} is a channel mention, {link} the panel message's address,
            # {button} the label of the panel's button ("Take the survey").
            done = _(
                "Posted the survey panel in {channel} ({link}). Members press **{button}** to "
                "begin, exactly like `/survey start`. Its count of members who took part follows "
                "each new release of results. `/survey-admin post` again edits it; "
                "`/survey-admin post remove:True` takes it down."
            )
        await interaction.followup.send(
            done.format(channel=mention, link=where, button=button),
            ephemeral=True,
            allowed_mentions=MENTIONS,
        )

    async def _refuse(
        self, interaction: discord.Interaction, channel_id: int, reason: str, typed: PanelText
    ) -> None:
        # Translators: **Edit again** is the label of the button under this message.
        kept = _(
            "Your text is kept: press **Edit again** to fix it (or run `/survey-admin post` "
            "again). A copy of what you typed:"
        )
        lead = f"{reason}\n{kept}\n"
        copy = _copy_of(typed)
        view = Controls()
        view.add_item(EditButton(channel_id))
        # Deferred, then edited: discord.py keeps the view of a direct `send_message` in its
        # store, which would answer "Edit again" a second time beside `dispatch_direct`.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if len(lead) + len(copy) <= 2000:
            await interaction.edit_original_response(
                content=lead + copy, view=view, allowed_mentions=MENTIONS
            )
            return
        # Translators: **Edit again** is the label of the button under this message.
        attached = _(
            "Your text is kept: press **Edit again** to fix it (or run `/survey-admin post` "
            "again). A copy of what you typed is attached."
        )
        await interaction.edit_original_response(
            content=f"{reason}\n{attached}",
            attachments=[
                discord.File(
                    io.BytesIO(f"{typed.title}\n\n{typed.text}".encode()), "survey-panel.txt"
                )
            ],
            view=view,
            allowed_mentions=MENTIONS,
        )

    @staticmethod
    def _channel_in(interaction: discord.Interaction, channel_id: int) -> int:
        """The channel, if it is one of this server's that messages can be posted in (the
        form's custom_id could be forged to name another server's)."""
        guild = interaction.guild
        channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            raise UserFacingError(
                _(
                    "I cannot find that channel in this server any more. Your text is kept: run "
                    "`/survey-admin post` in the channel you want."
                )
            )
        return channel_id

    # -- the message ------------------------------------------------------------------------

    async def post(self, guild_id: int, channel_id: int, text: PanelText) -> Posted:
        """Edit the panel where it is, or post it in `channel_id` (and take the old one
        down); the database learns where it is before the old one goes."""
        with speaking(server_language(self.bot, guild_id)):
            shown = await self.panels.shown(guild_id)
            kwargs = panel_kwargs(text, shown.headline)
        old = shown.record
        if old.posted and old.channel_id == channel_id and old.message_id is not None:
            try:
                await self._message(guild_id, channel_id, old.message_id).edit(**kwargs)
            except discord.NotFound:
                pass  # deleted in Discord: post it anew
            except discord.Forbidden:
                raise UserFacingError(self._cannot(channel_id)) from None
            else:
                await self.panels.placed(guild_id, channel_id, old.message_id, text)
                return Posted(channel_id, old.message_id, edited=True)
        try:
            sent = await self.bot.get_partial_messageable(channel_id, guild_id=guild_id).send(
                **kwargs
            )
        except discord.Forbidden:
            raise UserFacingError(self._cannot(channel_id)) from None
        await self.panels.placed(guild_id, channel_id, sent.id, text)
        if old.posted and old.channel_id is not None and old.message_id is not None:
            await self._delete(guild_id, old.channel_id, old.message_id)
        return Posted(channel_id, sent.id, edited=False)

    async def refresh(self, guild_id: int) -> bool:
        """Show the latest taken-part line on the panel (a new release, a change of who may
        see results). Returns whether a panel was edited."""
        with speaking(server_language(self.bot, guild_id)):
            shown = await self.panels.shown(guild_id)
            kwargs = panel_kwargs(shown.text, shown.headline)
        record = shown.record
        if record.channel_id is None or record.message_id is None:
            return False
        try:
            await self._message(guild_id, record.channel_id, record.message_id).edit(**kwargs)
        except discord.NotFound:
            log.info("The survey panel of server %s was deleted; forgetting it", guild_id)
            await self.panels.gone(guild_id, record.message_id)
            return False
        except discord.HTTPException as exc:
            log.warning("Could not refresh the survey panel of server %s: %s", guild_id, exc)
            return False
        return True

    async def remove(self, guild_id: int) -> str:
        """Take the panel down; the moderator's words are kept for the next post."""
        record = await self.panels.removed(guild_id)
        if record.channel_id is None or record.message_id is None:
            return _("There is no survey panel to take down. `/survey-admin post` posts one.")
        channel = f"<#{record.channel_id}>"
        if not await self._delete(guild_id, record.channel_id, record.message_id):
            # Translators: {channel} is a channel mention.
            return _(
                "I forgot the panel in {channel} but could not delete it: delete the message "
                "yourself. Its text is kept for the next `/survey-admin post`."
            ).format(channel=channel)
        # Translators: {channel} is a channel mention.
        return _(
            "Took the survey panel down from {channel}. Its text is kept for the next "
            "`/survey-admin post`."
        ).format(channel=channel)

    def _message(self, guild_id: int, channel_id: int, message_id: int) -> discord.PartialMessage:
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        return channel.get_partial_message(message_id)

    async def _delete(self, guild_id: int, channel_id: int, message_id: int) -> bool:
        """Delete a panel message; True if it is gone (already deleted counts)."""
        try:
            await self._message(guild_id, channel_id, message_id).delete()
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            log.warning("Could not delete a survey panel in channel %s: %s", channel_id, exc)
            return False
        return True

    @staticmethod
    def _cannot(channel_id: int) -> str:
        # Translators: {channel} is a channel mention; View Channel, Send Messages and Embed
        # Links are Discord's names of permissions.
        return _(
            "I cannot post in {channel}: give me View Channel, Send Messages and Embed Links "
            "there, then run `/survey-admin post` again. Your text is kept."
        ).format(channel=f"<#{channel_id}>")


def status_text(participation: Participation) -> str:
    """`/survey-admin status`: exact counts, for moderators only."""
    survey, checkins = participation.survey, participation.checkins
    lines = [_("**Survey**")]
    if survey.started == 0:
        lines.append("• " + _("Nobody has started the survey yet."))
    else:
        members = ngettext("{n} member", "{n} members", survey.members).format(n=survey.members)
        retakes = ngettext("{n} retake", "{n} retakes", survey.retakes).format(n=survey.retakes)
        lines += [
            "• "
            # Translators: {members} is a count such as "12 members", {retakes} one such as
            # "3 retakes".
            + _("Started: {started} responses by {members} ({retakes})").format(
                started=survey.started, members=members, retakes=retakes
            ),
            "• "
            + _("Finished: {finished} ({share}% of those started)").format(
                finished=survey.finished, share=participation.finished_share
            ),
            "• "
            + _("In progress: {count} (`/survey start` continues them)").format(
                count=survey.in_progress
            ),
        ]
    if survey.imported:
        lines.append(
            "• "
            + _("Imported from threads: {count} (not counted above)").format(count=survey.imported)
        )
    lines.append(
        _("**Check-ins**") if participation.checkins_enabled else _("**Check-ins** (switched off)")
    )
    if not (checkins.reminders_sent or checkins.completed or checkins.in_progress):
        enrolled = checkins.active + checkins.paused
        lines.append(
            "• "
            + ngettext(
                "{n} member signed up; no check-in sent or answered yet.",
                "{n} members signed up; no check-in sent or answered yet.",
                enrolled,
            ).format(n=enrolled)
            if enrolled
            else "• " + _("Nobody has signed up for check-ins yet.")
        )
    else:
        answered = participation.answered_share
        reminders_answered = (
            _("Reminders answered: {answered} of {reminded}")
            if answered is None
            else _("Reminders answered: {answered} of {reminded} ({share}%)")
        )
        lines += [
            "• "
            + _("Members signed up: {active} scheduled, {paused} paused").format(
                active=checkins.active, paused=checkins.paused
            ),
            "• "
            + _(
                "Reminders sent: {sent} for {reminded} check-ins due (“remind me tomorrow” "
                "repeats included); {failed} could not be delivered"
            ).format(
                sent=checkins.reminders_sent,
                reminded=checkins.reminded,
                failed=checkins.reminders_failed,
            ),
            "• "
            + reminders_answered.format(
                answered=checkins.answered, reminded=checkins.reminded, share=answered
            ),
            "• "
            + _(
                "Check-ins completed: {completed} ({self_started} started by members without a "
                "reminder); {in_progress} in progress"
            ).format(
                completed=checkins.completed,
                self_started=checkins.self_started,
                in_progress=checkins.in_progress,
            ),
        ]
    lines.append(
        "-# "
        + _(
            "Exact, live counts, shown only to you (Manage Server): they say how many take "
            "part, never what anyone answered, and `/survey-admin export` already gives "
            "moderators every completed response. Everything members see comes from releases."
        )
    )
    return "\n".join(lines)
