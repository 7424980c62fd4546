"""Releases of community results: made in the background when due, and announced in the
channel a moderator chose (off by default)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from datetime import datetime, timedelta

import discord
from discord.ext import commands

from bot.app import AnagenBot
from bot.i18n import _, speaking
from bot.results import wording
from bot.storage.guilds import GuildSettings
from bot.storage.releases import ReleaseRecord
from cogs._components import server_language

log = logging.getLogger(__name__)

# How often to look for a due release. A release is never made within a minute of an
# answer, so checking more often gains nothing.
CHECK_EVERY = 30.0


class ReleaseMaker(commands.Cog):
    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.results = bot.services.results
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self.results.releases.on_release.append(self.announce)
        self.results.releases.eligible = self.eligible
        self._task = asyncio.create_task(self._run())

    async def cog_unload(self) -> None:
        with contextlib.suppress(ValueError):
            self.results.releases.on_release.remove(self.announce)
        self.results.releases.eligible = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        while True:
            try:
                await self.results.releases.make_due()
            except Exception:
                log.exception("Looking for due releases failed; trying again later")
            await self.bot.clock.sleep(CHECK_EVERY)

    async def eligible(self, settings: GuildSettings, user_ids: list[int]) -> set[int]:
        """The members a gated server counts: still in it, holding its role, and members
        for its number of days (asked of Discord one member at a time, in the background,
        within the bot's request budget). Imported replies have no member: never counted."""
        now = self.bot.clock.now()
        counted = set()
        for user_id in user_ids:
            if user_id <= 0:
                continue
            try:
                member = await self.bot.http.get_member(settings.guild_id, user_id)
            except discord.NotFound:
                continue  # left or banned
            if settings.count_role_id is not None and str(settings.count_role_id) not in member.get(
                "roles", []
            ):
                continue
            joined = member.get("joined_at")
            if settings.count_min_days:
                if not joined:
                    continue
                if now - datetime.fromisoformat(joined) < timedelta(days=settings.count_min_days):
                    continue
            counted.add(user_id)
        return counted

    async def announce(self, record: ReleaseRecord) -> None:
        """Post the new release's overview where the server asked (only when results are
        visible to everyone: an announcement is public)."""
        settings = await self.results.settings(record.guild_id)
        if settings.announce_channel_id is None or settings.results_visibility != "everyone":
            return
        channel = self.bot.get_partial_messageable(
            settings.announce_channel_id, guild_id=record.guild_id
        )
        with speaking(server_language(self.bot, record.guild_id)):
            overview = await self.results.overview(record.guild_id)
            lines = [_("**New community results**"), *wording.overview_lines(overview)]
            more = _("Run `/survey results` any time.")
            lines.append(f"-# {wording.rounding_note(overview.k)} {more}")
        kwargs: dict = {"content": "\n".join(lines)[:2000]}
        if overview.png is not None:
            kwargs["file"] = discord.File(io.BytesIO(overview.png), "survey-results.png")
        try:
            await channel.send(allowed_mentions=discord.AllowedMentions.none(), **kwargs)
        except discord.HTTPException as exc:
            log.warning(
                "Could not announce release %s in server %s: %s",
                record.number,
                record.guild_id,
                exc,
            )


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(ReleaseMaker(bot))
