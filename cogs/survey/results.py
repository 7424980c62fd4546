"""How community results look in Discord: chart attachments, tables and plain-words stats,
and the questions `/survey results` shows one at a time (a button under the overview, then a
menu that edits one private message in place)."""

from __future__ import annotations

import io
import re
from typing import Any, Self

import discord
from discord import app_commands

from bot.errors import UserFacingError
from bot.i18n import N_, _, formats
from bot.results import wording
from bot.results.published import (
    EFFECTS_PREFIX,
    Comparison,
    NotPublished,
    NotShown,
    Overview,
    QuestionBars,
    TreatmentEffects,
    View,
)
from bot.results.questions import Questions
from bot.results.releases import ReleaseStatus
from bot.results.service import ExportFile, ResultsService
from bot.storage.guilds import GuildSettings
from cogs._components import IdFormat, ReportingItem, bot_of

READY_PREFIX = "ready:"

# The one-at-a-time controls: no state in the id (each click re-reads the latest release).
MORE = IdFormat("sv:r:more")
PICK = IdFormat("sv:r:pick")
IDS = (MORE, PICK)
MENU_PROMPT = N_(
    "Pick a question to see how members here answered it, one at a time, with a chart "
    "you can open large. Every number comes from the current release of results."
)


def overview_message(overview: Overview) -> dict:
    """Keyword arguments for a follow-up: the summary, and the chart when there is one."""
    lines = wording.overview_lines(overview)
    lines[0] = f"**{lines[0]}**"
    lines[1:] = [f"• {line}" for line in lines[1:]]
    lines.append(f"-# {wording.rounding_note(overview.k)} {wording.next_release(overview.batch)}")
    summary = "\n".join(lines)
    if overview.png is None:
        return {"content": summary, "view": more_view()}
    embed = discord.Embed(
        title=_("Scalp survey: community results"),
        colour=discord.Colour.teal(),
        description=summary,
    )
    embed.set_image(url="attachment://survey-results.png")
    return {
        "embed": embed,
        "file": discord.File(io.BytesIO(overview.png), "survey-results.png"),
        "view": more_view(),
    }


# -- one question at a time -----------------------------------------------------------------


class _Persistent(discord.ui.View):
    """Holds only dynamic items. Sending it registers their classes with discord.py's view
    store (which keeps nothing per message for such a view), so a click is dispatched even
    where the cog has not registered them itself."""

    def __init__(self, *items: discord.ui.Item[Any]) -> None:
        super().__init__(timeout=None)
        for item in items:
            self.add_item(item)


def more_view() -> discord.ui.View:
    return _Persistent(MoreButton())


def pick_view(offered: list[tuple[str, str]], current: str | None = None) -> discord.ui.View:
    """The menu; past Discord's 25 options, the last questions give way, never the
    treatments' reports."""
    reports = [o for o in offered if o[0].startswith(EFFECTS_PREFIX)]
    questions = [o for o in offered if not o[0].startswith(EFFECTS_PREFIX)]
    return _Persistent(PickSelect(questions[: 25 - len(reports)] + reports, current))


def _results(interaction: discord.Interaction) -> ResultsService:
    return bot_of(interaction).services.results


async def _check_access(interaction: discord.Interaction, results: ResultsService) -> int:
    """The server, when the member may read its results (a forwarded or old control is
    checked again on every use)."""
    if interaction.guild_id is None:
        raise UserFacingError(_("Survey results can only be read inside a server."))
    settings = await results.settings(interaction.guild_id)
    if settings.results_visibility == "managers" and not interaction.permissions.manage_guild:
        raise UserFacingError(
            _("In this server, survey results are visible to members with Manage Server only.")
        )
    return interaction.guild_id


class MoreButton(ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=MORE.template):
    """Under the overview: opens a private menu of every question."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("One question at a time"),
                emoji="📊",
                style=discord.ButtonStyle.secondary,
                custom_id=MORE.build(),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls()

    async def handle(self, interaction: discord.Interaction) -> None:
        results = _results(interaction)
        await _check_access(interaction, results)
        offered = Questions(results).offered()
        await interaction.response.send_message(
            _(MENU_PROMPT), view=pick_view(offered), ephemeral=True
        )


class PickSelect(ReportingItem, discord.ui.DynamicItem[discord.ui.Select], template=PICK.template):
    """The private menu: each pick replaces the message with that question's answers."""

    def __init__(self, offered: list[tuple[str, str]], current: str | None = None) -> None:
        options = [
            discord.SelectOption(label=_clip(label, 100), value=key, default=key == current)
            for key, label in offered
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=PICK.build(),
                placeholder=_("Pick a question…"),
                options=options or [discord.SelectOption(label="-")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls([])

    async def handle(self, interaction: discord.Interaction) -> None:
        results = _results(interaction)
        guild_id = await _check_access(interaction, results)
        values = list(self.item.values)
        questions = Questions(results)
        offered = questions.offered()
        key = values[0] if values else ""
        await interaction.response.defer()  # a chart may be drawn: edit the menu's message
        try:
            shown = await questions.with_chart(guild_id, await questions.read(guild_id, key))
        except KeyError:
            await interaction.edit_original_response(
                content=_("That question is no longer offered; pick another one."),
                embed=None,
                attachments=[],
                view=pick_view(offered),
            )
            return
        except (NotShown, NotPublished) as exc:
            await interaction.edit_original_response(
                content=str(exc), embed=None, attachments=[], view=pick_view(offered, key)
            )
            return
        await interaction.edit_original_response(**view_message(shown, offered))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def view_message(view: View, offered: list[tuple[str, str]]) -> dict[str, Any]:
    """Keyword arguments editing the menu's message to show one view (with the menu kept)."""
    embed = discord.Embed(colour=discord.Colour.teal(), description=view_text(view)[:4000])
    embed.title = _clip(view_title(view), 256)
    kwargs: dict[str, Any] = {"content": None, "embed": embed, "attachments": []}
    if view.png is not None:
        filename = f"{view.key.replace(':', '-')}.png"
        embed.set_image(url=f"attachment://{filename}")
        kwargs["attachments"] = [discord.File(io.BytesIO(view.png), filename)]
    kwargs["view"] = pick_view(offered, view.key)
    return kwargs


def view_title(view: View) -> str:
    if isinstance(view, TreatmentEffects):
        # Translators: {title} is what the treatments are compared on, e.g. "shedding".
        return _("What each treatment did: {title}").format(title=formats.in_sentence(view.title))
    return view.title


def view_text(view: View) -> str:
    """The numbers in words beside the chart, and what they mean."""
    lines = [f"**{wording.as_of(view.release)}**"]
    if isinstance(view, QuestionBars):
        lines += [f"• {line}" for line in wording.bar_lines(view)]
        notes = wording.bars_notes(view)
    else:
        lines += [f"• {line}" for line in wording.effects_lines(view)]
        notes = wording.effects_notes(view)
    lines += [f"-# {note}" for note in notes]
    lines.append(f"-# {wording.rounding_note(view.k)}")
    return "\n".join(lines)


def table_text(comparison: Comparison) -> str:
    """A fixed-width table of the published counts, with each group's shares."""
    k = comparison.k
    heads = [label[:14] for _level, label in comparison.levels]
    labels = [
        f"{group.label[:18]} ({wording.count_text(group.total, k)})" for group in comparison.groups
    ]
    width = max(12, *(len(label) for label in labels))
    lines = [" " * width + " | " + " | ".join(f"{h:>14}" for h in heads)]
    for label, group in zip(labels, comparison.groups, strict=True):
        cells = []
        for value in group.cells:
            percent = wording.share(value, group.total)
            text = wording.count_text(value, k) + (f" ({percent}%)" if percent is not None else "")
            cells.append(f"{text:>14}")
        lines.append(f"{label:<{width}} | " + " | ".join(cells))
    return "\n".join(lines)


def comparison_message(comparison: Comparison, index: int) -> dict:
    filename = f"comparison-{index}.png"
    embed = discord.Embed(title=comparison.title[:256], colour=discord.Colour.teal())
    notes = [wording.statement(comparison)]
    if comparison.is_two_by_two and comparison.test is not None:
        notes.append(
            "-# "
            + _(
                "Odds ratio: how much higher the odds of the first answer are in the first "
                "group than in the second."
            )
        )
    if hidden := wording.hidden_note(comparison):
        notes.append(f"-# {hidden}")
    notes.append(
        "-# "
        # Translators: {as_of} names the release the numbers come from; {rounding_note} is a
        # sentence on how counts are rounded. “Not sure” and “Prefer not to say” are answers
        # of the survey.
        + _(
            "{as_of}; group sizes in brackets. “Not sure” and “Prefer not to say” are left out "
            "of comparisons. {rounding_note}"
        ).format(
            as_of=wording.as_of(comparison.release),
            rounding_note=wording.rounding_note(comparison.k),
        )
    )
    description = f"```\n{table_text(comparison)[:2500]}\n```\n" + "\n".join(notes)
    embed.description = description[:4000]
    kwargs: dict = {"embed": embed}
    if comparison.png is not None:
        embed.set_image(url=f"attachment://{filename}")
        kwargs["file"] = discord.File(io.BytesIO(comparison.png), filename)
    return kwargs


def settings_text(settings: GuildSettings) -> str:
    k = settings.min_group_size
    lines = [
        _("**Survey:** open") if settings.survey_open else _("**Survey:** closed to new starts"),
        _("**Results visible to:** everyone")
        if settings.results_visibility == "everyone"
        else _("**Results visible to:** members with Manage Server"),
        _("**Minimum group size (k):** {k} — smaller counts show as <{k}").format(k=k),
        _("**Release batch:** a new release after {batch} changes (at least 2k)").format(
            batch=settings.batch
        ),
        # Translators: {channel} is a channel mention.
        _("**Announcements:** {channel}").format(channel=f"<#{settings.announce_channel_id}>")
        if settings.announce_channel_id
        else _("**Announcements:** off"),
        _("**Who counts in results:** {who}").format(who=_who_counts(settings)),
        _("**Replies imported from threads:** included in results")
        if settings.include_imported
        else _("**Replies imported from threads:** not included"),
    ]
    return "\n".join(lines)


def release_status_text(status: ReleaseStatus) -> str:
    """For moderators: the current release and what the next one waits for."""
    lines = []
    if status.latest is None:
        lines.append(_("**Current release:** none yet."))
    else:
        # Translators: {number} is the release's number; {as_of} names when it was made.
        current = _("**Current release:** #{number}, {as_of}.")
        lines.append(
            current.format(number=status.latest.number, as_of=wording.as_of(status.latest))
        )
    pending = status.pending
    lines.append(
        _(
            "**Changes since:** {changes} of the {batch} a release waits for "
            "({completions} completed surveys, {checkins} check-ins, {erasures} deletions)."
        ).format(
            changes=pending.changes,
            batch=status.batch,
            completions=pending.completions,
            checkins=pending.checkins,
            erasures=pending.erasures,
        )
    )
    if status.still_needed:
        lines.append(
            _("The next release comes after {count} more changes.").format(
                count=status.still_needed
            )
        )
    elif status.due_at is not None:
        when = int(status.due_at.timestamp())
        # Translators: {when} is a Discord timestamp, shown as a date and time; `publish_soon`
        # is an option of the command and stays in English.
        due = _(
            "The batch is full; the next release comes after {when} (once a day), "
            "or sooner with `publish_soon`."
        )
        lines.append(due.format(when=f"<t:{when}:f>"))
    else:
        lines.append(
            _(
                "The batch is full; the release is made within a few minutes, once a minute has "
                "passed without a new answer."
            )
        )
    if status.requested:
        lines.append("-# " + _("A release was asked for: the once-a-day limit is lifted for it."))
    lines.append(
        "-# "
        + _("Exact counts of changes are for moderators only: members see only the batch size.")
    )
    return "\n".join(lines)


def _who_counts(settings: GuildSettings) -> str:
    role, days = settings.count_role_id, settings.count_min_days
    if role is not None and days:
        # Translators: {role} is a role mention; {days} a number of days.
        text = _(
            "members with {role} and members of the server for {days}+ days "
            "(checked at each release)"
        )
    elif role is not None:
        # Translators: {role} is a role mention.
        text = _("members with {role} (checked at each release)")
    elif days:
        text = _("members of the server for {days}+ days (checked at each release)")
    else:
        return _("every member who completes the survey")
    return text.format(role=f"<@&{role}>", days=days)


def export_files(files: list[ExportFile]) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.content), f.filename) for f in files]


def compare_choices(
    service: ResultsService, current: str, *, with_ready: bool
) -> list[app_commands.Choice[str]]:
    choices = []
    words = current.casefold().split()
    if with_ready:
        for index, (_first, _second, title) in enumerate(service.ready_made()):
            if all(w in title.casefold() for w in words):
                choices.append(
                    app_commands.Choice(name=f"★ {title}"[:100], value=f"{READY_PREFIX}{index}")
                )
    options = service.comparable(current)
    # Discord shows 25: the check-in's groupings keep a place among the survey's many
    checkins = [o for o in options if service.is_checkin(o[0])]
    survey = [o for o in options if not service.is_checkin(o[0])]
    room = max(0, 25 - len(choices) - len(checkins))
    for value, label in [*survey[:room], *checkins]:
        choices.append(app_commands.Choice(name=label[:100], value=value))
    return choices[:25]


def resolve_pair(service: ResultsService, question: str, by: str | None) -> tuple[str, str]:
    """The (question, grouping) ids, expanding a ready-made comparison."""
    if question.startswith(READY_PREFIX):
        ready = service.ready_made()
        index = question.removeprefix(READY_PREFIX)
        if index.isdecimal() and int(index) < len(ready):
            first, second, _title = ready[int(index)]
            return first, by or second
    if not by:
        raise KeyError("by")
    return question, by
