"""The Discord shell: the Bot subclass and its start-up."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import pkgutil
from typing import Any

import discord
from discord.ext import commands

from bot import __version__
from bot.checkins.pacing import TokenBucket
from bot.clock import Clock, SystemClock
from bot.languages import Languages
from bot.services import Services
from bot.settings import Settings, SettingsError
from bot.shards import ShardScope, format_shard_ids, shard_problem, share_of
from bot.storage import Database
from bot.storage.meta import MetaRepository
from bot.survey.questionnaire import CHECKIN_BUNDLED, Questionnaire, load_questionnaire
from bot.treatments.knowledge import KnowledgeBase, load_knowledge_base
from bot.tree import AnagenTree, CommandTranslator

log = logging.getLogger(__name__)


# The package whose modules are the bot's extensions. Named, never imported here: discord.py
# loads each by its name, and the core stays below the cogs that use it.
EXTENSIONS = "cogs"


def extension_names() -> list[str]:
    """Every module in the `cogs` package is an extension, except the shared ones whose names
    start with an underscore; a new cog needs no registration."""
    spec = importlib.util.find_spec(EXTENSIONS)  # finds the folder without running the package
    if spec is None or spec.submodule_search_locations is None:
        raise RuntimeError(f"the {EXTENSIONS!r} package of extensions is not installed")
    return sorted(
        f"{EXTENSIONS}.{m.name}"
        for m in pkgutil.iter_modules(spec.submodule_search_locations)
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


class AnagenBot(commands.AutoShardedBot):
    """Anagen on Discord: one process holding some or all of the bot's shards.

    Always sharded, so one process and many run the same code: by default (no shard
    settings) it holds every shard of the count Discord recommends; with `shard_ids` and
    `shard_count` it holds those of a split over several processes sharing one PostgreSQL
    database. Work that must happen once across processes (syncing slash commands) is
    done by the process holding shard 0."""

    def __init__(
        self,
        settings: Settings,
        *,
        force_sync: bool = False,
        clock: Clock | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        """`guild_ready_timeout`: how long discord.py waits after the last server arrived
        before it calls the bot ready (its default, for Discord's stream of servers; the
        tests' double sends them all at once, so the tests wait less)."""
        if problem := shard_problem(settings.shard_ids, settings.shard_count, settings.database):
            raise SettingsError([problem])
        super().__init__(
            # None (every shard) is discord.py's default, though its hints only say a list.
            shard_ids=None if settings.shard_ids is None else list(settings.shard_ids),  # type: ignore[arg-type]
            shard_count=settings.shard_count,
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=minimal_intents(),
            tree_cls=AnagenTree,
            owner_ids=set(settings.owner_ids) or None,
            allowed_mentions=discord.AllowedMentions.none(),
            activity=discord.CustomActivity(name="Ask me: /survey start · /treatment"),
            guild_ready_timeout=guild_ready_timeout,
        )
        self.settings = settings
        self.force_sync = force_sync
        # Discord's global limit is the bot's, shared by all its processes: each paces
        # itself to its part (the shards it holds).
        self.request_pacing = pace_requests(
            self.http, self.share_of_limit(GLOBAL_REQUESTS_PER_SECOND, 1)
        )
        self.version = __version__
        self._db: Database | None = None
        self.questionnaire: Questionnaire = load_questionnaire(settings.questionnaire_path)
        self.knowledge: KnowledgeBase = load_knowledge_base(settings.knowledge_base_path)
        self.checkin_questionnaire = load_questionnaire(CHECKIN_BUNDLED)
        # Time is injected so tests move it (check-in schedules) instead of sleeping.
        self.clock: Clock = clock or SystemClock()
        self._services: Services | None = None
        self._languages: Languages | None = None

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

    @property
    def languages(self) -> Languages:
        if self._languages is None:
            raise RuntimeError("languages are read in setup_hook; the bot has not started")
        return self._languages

    async def language_of(self, interaction: discord.Interaction[Any]) -> str:
        """The language to answer this interaction in: the member's own choice, else their
        Discord client's."""
        return await self.languages.for_interaction(interaction.user.id, str(interaction.locale))

    async def setup_hook(self) -> None:
        self._db = await Database.open(self.settings.database, exclusive=True)
        self._languages = Languages(self._db, self.clock)
        assert isinstance(self.tree, AnagenTree)
        self.tree.language_of = self.language_of
        await self.tree.set_translator(CommandTranslator())
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
        log.info("This process holds %s", self.shards_held())
        # Every process has the whole tree, but Discord keeps one copy per application:
        # syncing it is the job of one process, the one holding shard 0 (and of `anagen
        # sync`, which forces it from wherever it runs).
        if self.force_sync or self.holds_first_shard:
            await self.sync_commands(force=self.force_sync)
        else:
            log.info("Application commands are left to the process holding shard 0")

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

    async def command_tree_payload(self) -> list[dict[str, Any]]:
        """The commands as synced, with their descriptions in every language, so a changed
        translation is synced like a changed command."""
        guild, _ = self._sync_scope()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        commands_ = self.tree.get_commands(guild=guild)
        translator = self.tree.translator
        payload = [
            await c.get_translated_payload(self.tree, translator)
            if translator is not None
            else c.to_dict(self.tree)
            for c in commands_
        ]
        return sorted(payload, key=lambda c: (c["type"], c["name"]))

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync only when the tree changed since the last sync, to spare Discord's rate limit."""
        guild, scope = self._sync_scope()
        payload = await self.command_tree_payload()
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

    # -- membership -------------------------------------------------------------------------

    async def is_member(self, guild_id: int, user_id: int) -> bool:
        """Whether a user still belongs to a server, asked of Discord (no privileged intent
        needed): a survey started or finished from an old DM must not count for a server
        the member left or was banned from. Asked when a response starts and when it is
        completed, never per answer."""
        try:
            await self.http.get_member(guild_id, user_id)
        except discord.NotFound:
            return False
        return True

    # -- shards -----------------------------------------------------------------------------

    def shard_scope(self) -> ShardScope | None:
        """The servers this process serves, or None when it serves them all."""
        return ShardScope.of(self.shard_ids, self.shard_count)

    def share_of_limit(self, limit: int, cost: int) -> int:
        """This process's part of a bot-wide per-second `limit`, never too small to let one
        request of `cost` through. Shard ids without a count are refused in settings, so the
        share is known before connecting."""
        share = share_of(ShardScope.of(self.settings.shard_ids, self.settings.shard_count))
        return max(cost + 1, int(limit * share))

    @property
    def holds_first_shard(self) -> bool:
        """Whether this process holds shard 0 (every process without shard ids does)."""
        return self.shard_ids is None or 0 in self.shard_ids

    def shards_held(self) -> str:
        """The shards of this process, for logs: 'shards 0-3 of 8', 'all 8 shards'."""
        if self.shard_ids is not None:
            return f"shards {format_shard_ids(tuple(self.shard_ids))} of {self.shard_count}"
        if self.shard_count is None:  # until connecting asks Discord how many
            return "every shard (as many as Discord recommends)"
        return f"all {self.shard_count} shards" if self.shard_count > 1 else "the only shard"

    async def on_shard_ready(self, shard_id: int) -> None:
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("Shard %d of %s ready with %d servers", shard_id, self.shard_count, servers)

    async def on_ready(self) -> None:
        """Every shard of this process has connected; not where one-time work goes (it can
        fire again after reconnecting), which is `setup_hook`."""
        log.info(
            "Ready as %s (id %s) in %d servers, holding %s",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
            self.shards_held(),
        )
