"""How community results look in Discord: chart attachments, tables and plain-words stats."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.results.service import Comparison, ExportFile, Overview, ResultsService
from bot.storage.guilds import GuildSettings

READY_PREFIX = "ready:"


def overview_message(overview: Overview) -> dict:
    """Keyword arguments for a follow-up: the summary, and the chart when there is one."""
    if overview.png is None:
        return {"content": overview.summary()}
    embed = discord.Embed(
        title="Scalp survey: community results",
        colour=discord.Colour.teal(),
        description=overview.summary(),
    )
    embed.set_image(url="attachment://survey-results.png")
    return {"embed": embed, "file": discord.File(io.BytesIO(overview.png), "survey-results.png")}


def comparison_message(comparison: Comparison, index: int) -> dict:
    filename = f"comparison-{index}.png"
    embed = discord.Embed(title=comparison.title[:256], colour=discord.Colour.teal())
    description = f"```\n{comparison.table_text()[:2500]}\n```\n{comparison.statement()}"
    if comparison.is_two_by_two:
        description += (
            "\n-# Odds ratio: how much higher the odds of the first answer are in the first "
            "group than in the second."
        )
    embed.description = description[:4000]
    kwargs: dict = {"embed": embed}
    if comparison.png is not None:
        embed.set_image(url=f"attachment://{filename}")
        kwargs["file"] = discord.File(io.BytesIO(comparison.png), filename)
    return kwargs


def settings_text(settings: GuildSettings) -> str:
    who = "everyone" if settings.results_visibility == "everyone" else "members with Manage Server"
    return (
        f"**Survey:** {'open' if settings.survey_open else 'closed to new starts'}\n"
        f"**Results visible to:** {who}\n"
        f"**Minimum group size (k):** {settings.min_group_size} — smaller counts show as "
        f"<{settings.min_group_size}\n"
        f"**Replies imported from threads:** "
        f"{'included in results' if settings.include_imported else 'not included'}"
    )


def export_files(files: list[ExportFile]) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.content), f.filename) for f in files]


def compare_choices(
    service: ResultsService, current: str, *, with_ready: bool
) -> list[app_commands.Choice[str]]:
    choices = []
    words = current.casefold().split()
    if with_ready:
        for index, (_, _, title) in enumerate(service.ready_made()):
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
            first, second, _ = ready[int(index)]
            return first, by or second
    if not by:
        raise KeyError("by")
    return question, by
