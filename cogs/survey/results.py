"""How community results look in Discord: chart attachments, tables and plain-words stats."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from bot.results import wording
from bot.results.published import Comparison, Overview
from bot.results.releases import ReleaseStatus
from bot.results.service import ExportFile, ResultsService
from bot.storage.guilds import GuildSettings

READY_PREFIX = "ready:"


def overview_message(overview: Overview) -> dict:
    """Keyword arguments for a follow-up: the summary, and the chart when there is one."""
    lines = wording.overview_lines(overview)
    lines[0] = f"**{lines[0]}**"
    lines[1:] = [f"• {line}" for line in lines[1:]]
    lines.append(f"-# {wording.rounding_note(overview.k)} {wording.next_release(overview.batch)}")
    summary = "\n".join(lines)
    if overview.png is None:
        return {"content": summary}
    embed = discord.Embed(
        title="Scalp survey: community results",
        colour=discord.Colour.teal(),
        description=summary,
    )
    embed.set_image(url="attachment://survey-results.png")
    return {"embed": embed, "file": discord.File(io.BytesIO(overview.png), "survey-results.png")}


def table_text(comparison: Comparison) -> str:
    """A fixed-width table of the published counts, with each group's shares."""
    k = comparison.k
    heads = [label[:14] for _, label in comparison.levels]
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
            "-# Odds ratio: how much higher the odds of the first answer are in the first "
            "group than in the second."
        )
    if hidden := wording.hidden_note(comparison):
        notes.append(f"-# {hidden}")
    notes.append(
        f"-# {wording.as_of(comparison.release)}; group sizes in brackets. “Not sure” and "
        f"“Prefer not to say” are left out of comparisons. {wording.rounding_note(comparison.k)}"
    )
    description = f"```\n{table_text(comparison)[:2500]}\n```\n" + "\n".join(notes)
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
        f"**Release batch:** a new release after {settings.batch} changes (at least 2k)\n"
        f"**Announcements:** "
        f"{f'<#{settings.announce_channel_id}>' if settings.announce_channel_id else 'off'}\n"
        f"**Who counts in results:** {_who_counts(settings)}\n"
        f"**Replies imported from threads:** "
        f"{'included in results' if settings.include_imported else 'not included'}"
    )


def release_status_text(status: ReleaseStatus) -> str:
    """For moderators: the current release and what the next one waits for."""
    lines = []
    if status.latest is None:
        lines.append("**Current release:** none yet.")
    else:
        lines.append(
            f"**Current release:** #{status.latest.number}, {wording.as_of(status.latest)}."
        )
    pending = status.pending
    lines.append(
        f"**Changes since:** {pending.changes} of the {status.batch} a release waits for "
        f"({pending.completions} completed surveys, {pending.checkins} check-ins, "
        f"{pending.erasures} deletions)."
    )
    if status.still_needed:
        lines.append(f"The next release comes after {status.still_needed} more changes.")
    elif status.due_at is not None:
        when = int(status.due_at.timestamp())
        lines.append(
            f"The batch is full; the next release comes after <t:{when}:f> (once a day), "
            "or sooner with `publish_soon`."
        )
    else:
        lines.append(
            "The batch is full; the release is made within a few minutes, once a minute has "
            "passed without a new answer."
        )
    if status.requested:
        lines.append("-# A release was asked for: the once-a-day limit is lifted for it.")
    lines.append(
        "-# Exact counts of changes are for moderators only: members see only the batch size."
    )
    return "\n".join(lines)


def _who_counts(settings: GuildSettings) -> str:
    if not settings.gated:
        return "every member who completes the survey"
    parts = []
    if settings.count_role_id is not None:
        parts.append(f"members with <@&{settings.count_role_id}>")
    if settings.count_min_days:
        parts.append(f"members of the server for {settings.count_min_days}+ days")
    return " and ".join(parts) + " (checked at each release)"


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
