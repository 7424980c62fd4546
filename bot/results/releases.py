"""When a release is made, making it once, and reading it.

The rules (README, "Privacy"):

- a release waits for a batch: at least `GuildSettings.batch` changes (completions,
  retakes, check-ins, erasures; 2k unless a moderator asks for more) since the last one;
- never while answers are arriving: the newest change must be `QUIET` old;
- at most one a day (`SPACING`), unless a moderator asks for one (still with a full batch);
- one process makes it: the release number is claimed in the database first, so every
  other process skips it (a claim older than `STALE` is a dead process's, and is taken over).

Readers ask for one part of the latest ready release; parts are parsed once per process.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.checkins.outcomes import OutcomesReport, outcomes_from
from bot.clock import Clock, SystemClock
from bot.i18n import SOURCE, current_language
from bot.results.members import Snapshot, read_snapshot
from bot.results.release import AuditFailed, Part, ReleaseSpec, build
from bot.results.rounding import Rounder
from bot.storage import Database
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.releases import Pending, ReleaseRecord, ReleaseRepository
from bot.storage.results import guild_secret
from bot.storage.tx import Tx

log = logging.getLogger(__name__)

QUIET = timedelta(minutes=1)
SPACING = timedelta(days=1)
STALE = timedelta(minutes=10)
_CACHED_PARTS = 512

# Charts drawn when a release is made (key -> PNG), in English; the rest, and every chart in
# another language, are drawn on first request.
ChartMaker = Callable[[dict[str, Part]], dict[str, bytes]]
# Which of these members a gated server counts (its role, its days of membership): Discord
# knows, so the shell answers (cogs/releases.py).
Eligibility = Callable[[GuildSettings, list[int]], Awaitable[set[int]]]


def chart_key(key: str) -> str:
    """A chart's part key ("png:…") in the current language. A chart's words are drawn into
    it, so each language's picture is kept under a key of its own ("png:overview@de"), and
    English under the plain key, as releases have always stored it."""
    language = current_language()
    return key if language == SOURCE else f"{key}@{language}"


@dataclass(frozen=True, slots=True)
class ReleaseStatus:
    """Where the next release stands, for moderators (and the member-facing footer)."""

    latest: ReleaseRecord | None
    pending: Pending
    batch: int
    due_at: datetime | None  # when the day's spacing allows the next one (None: now)
    requested: bool

    @property
    def still_needed(self) -> int:
        return max(0, self.batch - self.pending.changes)


class Releases:
    def __init__(
        self,
        db: Database,
        spec: ReleaseSpec,
        effects_question: str | None,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.spec = spec
        self.effects_question = effects_question
        self.clock = clock or SystemClock()
        self.charts: ChartMaker | None = None  # set by the results service
        self.eligible: Eligibility | None = None  # set by the bot; needed by gated servers
        self._parts: OrderedDict[tuple[int, int, str], Any] = OrderedDict()
        self._making: dict[int, asyncio.Task[ReleaseRecord | None]] = {}
        # servers whose release the audit held back, with the changes it had then
        self._held: dict[int, int] = {}
        self.on_release: list[Callable[[ReleaseRecord], Awaitable[None]]] = []

    # -- reading ----------------------------------------------------------------------------

    async def latest(self, guild_id: int) -> ReleaseRecord | None:
        return await self.db.read(lambda tx: ReleaseRepository(tx).latest(guild_id))

    async def part(self, guild_id: int, key: str) -> tuple[ReleaseRecord, Any] | None:
        """The latest release and one of its parts (None: no release yet). A part the
        release does not have is None beside the release."""
        if key.startswith("private:"):
            raise KeyError(key)  # what a release keeps for its own audit is never read out

        def unit(tx: Tx) -> tuple[ReleaseRecord | None, str | None]:
            releases = ReleaseRepository(tx)
            record = releases.latest(guild_id)
            if record is None or (guild_id, record.number, key) in self._parts:
                return record, None
            return record, releases.part(guild_id, record.number, key)

        record, body = await self.db.read(unit)
        if record is None:
            return None
        cache_key = (guild_id, record.number, key)
        if cache_key in self._parts:
            self._parts.move_to_end(cache_key)
            return record, self._parts[cache_key]
        value = None if body is None else _decode(key, body)
        if value is not None:
            self._parts[cache_key] = value
            while len(self._parts) > _CACHED_PARTS:
                self._parts.popitem(last=False)
        return record, value

    async def outcomes(self, guild_id: int, choice: str) -> OutcomesReport:
        """Outcomes over time for one treatment choice, from the latest release."""
        found = await self.part(guild_id, f"outcomes:{choice}")
        if found is None:
            return outcomes_from(choice, None, 5)
        record, part = found
        return outcomes_from(choice, part, record.k)

    async def add_chart(self, record: ReleaseRecord, key: str, png: bytes) -> bytes:
        """Keep a chart drawn on first request with its release; the first stored wins."""
        body = base64.b64encode(png).decode()

        def unit(tx: Tx) -> str | None:
            releases = ReleaseRepository(tx)
            releases.add_part(record.guild_id, record.number, key, body)
            return releases.part(record.guild_id, record.number, key)

        stored = await self.db.run(unit)
        kept = base64.b64decode(stored) if stored else png
        self._parts[(record.guild_id, record.number, key)] = kept
        return kept

    async def _settings(self, guild_id: int) -> GuildSettings:
        return await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))

    async def status(self, guild_id: int) -> ReleaseStatus:
        def unit(tx: Tx) -> tuple[GuildSettings, ReleaseRecord | None, Pending]:
            latest = ReleaseRepository(tx).latest(guild_id)
            pending = ReleaseRepository(tx).pending(guild_id, latest.as_of if latest else None)
            return GuildSettingsRepository(tx).of(guild_id), latest, pending

        settings, latest, pending = await self.db.read(unit)
        due_at = None
        if latest is not None and not settings.release_requested:
            next_day = datetime.fromisoformat(latest.claimed_at) + SPACING
            due_at = next_day if next_day > self.clock.now() else None
        return ReleaseStatus(latest, pending, settings.batch, due_at, settings.release_requested)

    # -- making -----------------------------------------------------------------------------

    def is_due(self, status: ReleaseStatus, guild_id: int | None = None) -> bool:
        pending = status.pending
        if pending.changes < status.batch or status.due_at is not None:
            return False
        if guild_id is not None and self._held.get(guild_id, -1) >= pending.changes:
            return False  # the audit held it back: wait for more changes
        last = pending.last_change
        return last is None or datetime.fromisoformat(last) <= self.clock.now() - QUIET

    async def make_due(self) -> list[ReleaseRecord]:
        """Every release that is due, across the servers with answers."""
        guilds = await self.db.read(lambda tx: ReleaseRepository(tx).guilds_with_answers())
        made = []
        for guild_id in guilds:
            try:
                record = await self.make(guild_id)
            except Exception:
                log.exception("Could not make a release for server %s", guild_id)
                continue
            if record is not None:
                made.append(record)
        return made

    async def make(self, guild_id: int) -> ReleaseRecord | None:
        """The next release of a server if it is due and no other process makes it."""
        task = self._making.get(guild_id)
        if task is None:  # one maker per server in this process too
            task = asyncio.ensure_future(self._make(guild_id))
            self._making[guild_id] = task
            task.add_done_callback(lambda _: self._making.pop(guild_id, None))
        return await asyncio.shield(task)

    async def request(self, guild_id: int) -> ReleaseStatus:
        """A moderator asks for a release before the day's spacing is over."""

        def unit(tx: Tx) -> None:
            settings = GuildSettingsRepository(tx)
            current = settings.of(guild_id)
            if not current.release_requested:
                settings.save(replace(current, release_requested=True))

        await self.db.run(unit)
        return await self.status(guild_id)

    async def _make(self, guild_id: int) -> ReleaseRecord | None:
        status = await self.status(guild_id)
        if not self.is_due(status, guild_id):
            return None
        now = self.clock.now()
        if self.eligible is None and (await self._settings(guild_id)).gated:
            log.warning("Server %s counts only some members; releases need the bot", guild_id)
            return None

        def claim(tx: Tx) -> tuple[int, bytes, GuildSettings] | None:
            releases = ReleaseRepository(tx)
            newest = releases.latest(guild_id, ready=False)
            ready = releases.latest(guild_id)
            if (ready.number if ready else 0) != (status.latest.number if status.latest else 0):
                return None  # another process published meanwhile
            number = (
                newest.number
                if newest and newest.status == "building"
                else ((newest.number if newest else 0) + 1)
            )
            if not releases.claim(guild_id, number, stamp(now), stamp(now - STALE)):
                return None
            return number, guild_secret(tx, guild_id), GuildSettingsRepository(tx).of(guild_id)

        claimed = await self.db.run(claim)
        if claimed is None:
            return None
        number, secret, settings = claimed
        sources = dict(self.spec.sources)

        def read(tx: Tx) -> tuple[Snapshot, dict[str, str], str | None]:
            snapshot = read_snapshot(
                tx, guild_id, sources, self.effects_question, settings.include_imported
            )
            releases = ReleaseRepository(tx)
            previous = releases.parts(guild_id, status.latest.number) if status.latest else {}
            # Changes are dated by the database's own stamps: the newest one this snapshot
            # holds is where the next batch starts counting.
            return snapshot, previous, releases.pending(guild_id, None).last_change

        snapshot, previous_bodies, as_of = await self.db.read(read)
        if settings.gated and self.eligible is not None:
            counted = await self.eligible(settings, [m.user_id for m in snapshot.members])
            snapshot = replace(
                snapshot, members=[m for m in snapshot.members if m.user_id in counted]
            )
        previous = {
            key: json.loads(body)
            for key, body in previous_bodies.items()
            if not key.startswith("png:")
        }
        rounder = Rounder(secret, settings.min_group_size)
        pending = status.pending
        try:
            parts = await asyncio.to_thread(
                self._build, snapshot, rounder, previous, pending, status.latest
            )
        except AuditFailed as exc:
            log.info("Release %s of server %s waits for more changes: %s", number, guild_id, exc)
            self._held[guild_id] = pending.changes
            await self.db.run(lambda tx: ReleaseRepository(tx).unclaim(guild_id, number))
            return None
        record = ReleaseRecord(
            guild_id,
            number,
            "ready",
            stamp(now),
            as_of,
            len(snapshot.members),
            pending.joined,
            pending.left,
            settings.min_group_size,
        )

        def publish(tx: Tx) -> None:
            ReleaseRepository(tx).publish(record, parts.items())
            repository = GuildSettingsRepository(tx)
            current = repository.of(guild_id)
            if current.release_requested:
                repository.save(replace(current, release_requested=False))

        await self.db.run(publish)
        log.info(
            "Release %s of server %s: %s members, %s changes",
            number,
            guild_id,
            record.respondents,
            pending.changes,
        )
        for listener in self.on_release:
            try:
                await listener(record)
            except Exception:
                log.exception("A release listener failed for server %s", guild_id)
        return record

    def _build(
        self,
        snapshot: Snapshot,
        rounder: Rounder,
        previous: dict[str, Part],
        pending: Pending,
        latest: ReleaseRecord | None,
    ) -> dict[str, str]:
        parts = build(
            self.spec,
            snapshot,
            rounder,
            previous or None,
            joined=pending.joined,
            left=pending.left,
            previous_k=latest.k if latest else None,
        )
        bodies = {key: json.dumps(part, separators=(",", ":")) for key, part in parts.items()}
        if self.charts is not None:
            for key, png in self.charts(parts).items():
                bodies[key] = base64.b64encode(png).decode()
        return bodies


def _decode(key: str, body: str) -> Any:
    if key.startswith("png:"):
        return base64.b64decode(body)
    return json.loads(body)
