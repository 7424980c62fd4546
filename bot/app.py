"""The Discord shell: the Bot subclass and its start-up."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
from typing import Any

import discord
from discord.ext import commands

import cogs
from bot import __version__
from bot.checkins.pacing import TokenBucket
from bot.clock import Clock, SystemClock
from bot.services import Services
from bot.settings import Settings
from bot.storage import Database
from bot.storage.meta import MetaRepository
from bot.survey.questionnaire import CHECKIN_BUNDLED, Questionnaire, load_questionnaire
from bot.treatments.knowledge import KnowledgeBase, load_knowledge_base
from bot.tree import AnagenTree

log = logging.getLogger(__name__)


def extension_names() -> list[str]:
    """Every module in the `cogs` package is an extension, except the shared ones whose names
    start with an underscore; a new cog needs no registration."""
    return sorted(
        f"{cogs.__name__}.{m.name}"
        for m in pkgutil.iter_modules(cogs.__path__)
        if not m.name.startswith("_")
    )


# Discord allows a bot 50 requests a second across all routes (interaction responses are
# exempt). Every other request waits for a token, at most this many in any one-second
# window, with room below 50 for the jitter between leaving here and arriving there.
GLOBAL_REQUESTS_PER_SECOND = 45
_EXEMPT_ROUTES = ("/interactions/", "/webhooks/{webhook_id}/{webhook_token}")


def pace_requests(http: Any, limit: int = GLOBAL_REQUESTS_PER_SECOND) -> TokenBucket:
    """Make every request of discord.py's HTTP client that counts towards the global limit
    wait its turn. discord.py only reacts to a 429; this keeps one from happening when
    reminders, survey DMs and lookups all send at once."""
    bucket = TokenBucket.per_second(SystemClock(), limit, 1)  # real seconds, as Discord's
    send = http.request

    async def paced(route: Any, **kwargs: Any) -> Any:
        if not str(route.path).startswith(_EXEMPT_ROUTES):
            await bucket.take(1)
        return await send(route, **kwargs)

    http.request = paced
    return bucket


def minimal_intents() -> discord.Intents:
    """No privileged intent: DMs to the bot carry their content without Message Content."""
    intents = discord.Intents.none()
    intents.guilds = True  # guild objects for interactions and per-server settings
    intents.dm_messages = True  # typed survey answers
    return intents


class AnagenBot(commands.Bot):
    def __init__(
        self, settings: Settings, *, force_sync: bool = False, clock: Clock | None = None
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=minimal_intents(),
            tree_cls=AnagenTree,
            owner_ids=set(settings.owner_ids) or None,
            allowed_mentions=discord.AllowedMentions.none(),
            activity=discord.CustomActivity(name="Ask me: /survey start · /treatment"),
        )
        self.settings = settings
        self.force_sync = force_sync
        self.request_pacing = pace_requests(self.http)
        self.version = __version__
        self._db: Database | None = None
        self.questionnaire: Questionnaire = load_questionnaire(settings.questionnaire_path)
        self.knowledge: KnowledgeBase = load_knowledge_base(settings.knowledge_base_path)
        self.checkin_questionnaire = load_questionnaire(CHECKIN_BUNDLED)
        # Time is injected so tests move it (check-in schedules) instead of sleeping.
        self.clock: Clock = clock or SystemClock()
        self._services: Services | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the database is opened in setup_hook; the bot has not started")
        return self._db

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook; the bot has not started")
        return self._services

    async def setup_hook(self) -> None:
        self._db = await Database.open(self.settings.database_path)
        self._services = Services.build(
            self._db,
            questionnaire=self.questionnaire,
            checkin_questionnaire=self.checkin_questionnaire,
            knowledge=self.knowledge,
            clock=self.clock,
        )
        # A half-loaded bot would sync a tree without the missing commands and delete
        # them from Discord, so an extension that fails to load stops start-up.
        for name in extension_names():
            await self.load_extension(name)
        await self.sync_commands(force=self.force_sync)

    async def close(self) -> None:
        for name in list(self.extensions):
            await self.unload_extension(name)
        await super().close()
        if self._db is not None:
            await self._db.close()
            self._db = None

    # -- command sync -------------------------------------------------------------------------

    def _sync_scope(self) -> tuple[discord.Object | None, str]:
        guild_id = self.settings.dev_guild_id
        if guild_id is None:
            return None, "global"
        return discord.Object(id=guild_id), f"guild:{guild_id}"

    def command_tree_payload(self) -> list[dict[str, Any]]:
        guild, _ = self._sync_scope()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        commands_ = self.tree.get_commands(guild=guild)
        return sorted(
            (c.to_dict(self.tree) for c in commands_), key=lambda c: (c["type"], c["name"])
        )

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync only when the tree changed since the last sync, to spare Discord's rate limit."""
        guild, scope = self._sync_scope()
        payload = self.command_tree_payload()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"command_tree_hash:{self.application_id}:{scope}"
        synced_digest = await self.db.read(lambda tx: MetaRepository(tx).value(key))
        if not force and synced_digest == digest:
            log.info("Application commands unchanged (%s); not syncing", scope)
            return False
        synced = await self.tree.sync(guild=guild)
        await self.db.run(lambda tx: MetaRepository(tx).remember(key, digest))
        log.info("Synced %d application commands (%s)", len(synced), scope)
        return True

    async def on_ready(self) -> None:
        log.info(
            "Ready as %s (id %s) in %d servers",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )
