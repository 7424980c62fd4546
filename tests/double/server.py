"""A local Discord: enough REST v10 and Gateway v10 for the unmodified discord.py client.

It is strict where bots break in production: every body is validated against
Discord's OpenAPI description and documented limits (400/50035 on failure, and
the failure is recorded so the test fails), interactions expire after 3 s
(10062), can be answered once (40060), DMs can be closed (50007), members can
leave (10007), a global rate limit can be switched on (429 with `global: true`),
a message sent again with the same nonce and `enforce_nonce` is not posted twice, and
rate limits, server errors, slow answers and gateway drops can be injected.

It shards like Discord: one gateway session per shard (IDENTIFY's `shard`), each with its
own sequence numbers, backlog and RESUME; a guild's events go to the session of shard
`(guild_id >> 22) % shard_count`, DM events to shard 0; a bad or inconsistent shard is
closed with 4010. Several guilds can exist; `guild` and `general` are the default one.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from aiohttp import WSMsgType, web

from tests.double.model import (
    ADMIN_PERMISSIONS,
    MEMBER_PERMISSIONS,
    Attachment,
    Channel,
    Guild,
    Interaction,
    Message,
    MessageStore,
    User,
    shard_of,
    snowflake,
    snowflake_on_shard,
)
from tests.double.validation import RequestValidator, discord_error_body, get_validator

log = logging.getLogger(__name__)
T = TypeVar("T")

BOT_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAx.GdOubl.e-not-a-real-token-0123456789abcdef"
TOKEN_LIFETIME_S = 15 * 60
# Discord: "Interaction endpoints are not bound to the bot's Global Rate Limit"; in the
# double these are the callback and the interaction-token webhook routes.
INTERACTION_PATHS = ("/interactions/", "/webhooks/")
RATE_LIMITED = "You are being rate limited."
# Discord only promises that `enforce_nonce` deduplicates "in the past few minutes"; the
# double uses five minutes of time.monotonic(). A test can shorten `nonce_window`.
NONCE_WINDOW_S = 5 * 60
SESSION_STARTS_PER_DAY = 1000

Handler = Callable[..., Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Exactly `application/json`, no charset: discord.py compares the header verbatim."""
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


class DiscordError(Exception):
    """Raised inside a route to answer like Discord does."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.05


@dataclass
class Delay:
    """Matching requests are slow: `before` seconds pass before Discord acts on one (a
    client that gives up meanwhile changed nothing), `after` seconds between acting and
    answering (the message exists, but the sender has not heard so yet)."""

    method: str
    pattern: re.Pattern[str]
    before: float
    after: float


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    status: int = 0
    at: float = 0.0  # time.monotonic() when the request arrived
    global_bound: bool = True  # counts towards the global rate limit (not an interaction)


@dataclass
class GatewaySession:
    """One shard's session: its own sequence numbers and backlog, so that shard alone can
    RESUME on a new socket while the others stay connected."""

    session_id: str
    shard_id: int = 0
    shard_count: int = 1
    sequence: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None  # None while the bot is disconnected
    ready: bool = False  # READY or RESUMED was sent on the current socket

    @property
    def live(self) -> bool:
        return self.ws is not None and not self.ws.closed


@dataclass
class Undeliverable:
    """An event for a shard that never identified: Discord has no session to queue it in."""

    shard_id: int
    shard_count: int
    name: str
    data: dict[str, Any]


DEFERRED_EDIT_WAIT = 30.0


class DiscordDouble:
    def __init__(
        self,
        *,
        validator: RequestValidator | None = None,
        heartbeat_ms: int = 2000,
        global_rate_limit: int | None = None,
        recommended_shards: int = 1,
    ) -> None:
        self.validator = validator or get_validator()
        self.heartbeat_ms = heartbeat_ms
        self.recommended_shards = recommended_shards  # GET /gateway/bot's `shards`
        self.interaction_deadline = 3.0
        # Off by default; N means a 429 (global) for any request beyond N in a sliding window.
        self.global_rate_limit = global_rate_limit
        self.global_rate_window = 1.0
        self.rate_limited = 0  # 429s answered, global or injected
        self._admitted: collections.deque[float] = collections.deque()
        self.application_id = snowflake()
        self.bot = User(self.application_id, "anagen", bot=True)
        self.token = BOT_TOKEN
        self.owner = User(snowflake(), "owner", permissions=ADMIN_PERMISSIONS)
        self.users: dict[int, User] = {u.id: u for u in (self.bot, self.owner)}
        self.dm_channels: dict[int, Channel] = {}
        self.channels: dict[int, Channel] = {}
        self.guilds: dict[int, Guild] = {}
        self.guild = self.add_guild("Hair Loss Talk")  # the default guild
        self.general = self.guild.general
        self.messages: dict[int, Message] = MessageStore()
        self.interactions: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        # enforce_nonce: (channel, author, nonce) -> (time.monotonic() of creation, message)
        self.nonce_window: float = NONCE_WINDOW_S
        self._nonces: dict[tuple[int, int, str], tuple[float, Message]] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[Recorded] = []
        self.rejections: list[str] = []
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []
        self.holding = 0  # requests acted on whose answers a Delay is still holding back
        self.identify_count = 0  # every shard's IDENTIFYs together
        self.identified_shards: list[tuple[int, int]] = []  # (shard_id, shard_count) per IDENTIFY
        self.resume_count = 0
        self.resumed_shards: list[tuple[int, int]] = []  # (shard_id, shard_count) per RESUME
        self.undeliverable: list[Undeliverable] = []
        self.heartbeats = 0
        self.presence: dict[str, Any] | None = None
        self._sessions: dict[int, GatewaySession] = {}  # by shard id, all of one shard count
        self._sockets: set[web.WebSocketResponse] = set()
        self._activity = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{message_id}/{index}/{filename}", self._attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- world building for tests -------------------------------------------------------------

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> Guild:
        """A guild with its own #general, the bot and the owner as members. `shard=(i, n)`
        picks an id that Discord routes to shard i of n, so a test knows where it lands.
        Added after the bot connected, it is unknown to the bot until `send_guild_create`."""
        guild_id = snowflake() if shard is None else snowflake_on_shard(*shard)
        general = Channel(snowflake(), 0, guild_id=guild_id, name="general")
        guild = Guild(guild_id, name, self.owner.id, [general], [self.bot, self.owner])
        self.guilds[guild.id] = guild
        self.channels[general.id] = general
        return guild

    def add_member(self, name: str, *, admin: bool = False, guild: Guild | None = None) -> User:
        """A new user, member of `guild` (the default guild if None)."""
        user = User(
            snowflake(), name, permissions=ADMIN_PERMISSIONS if admin else MEMBER_PERMISSIONS
        )
        self.users[user.id] = user
        (guild or self.guild).add(user)
        return user

    def join(self, user: User, guild: Guild) -> None:
        """An existing user joins another guild too (no event: no members intent)."""
        if guild.member(user.id) is None:
            guild.add(user)

    def remove_member(self, user: User, guild: Guild | None = None) -> None:
        """`user` leaves `guild` (the default one if None). No gateway event: the bot's
        intents do not include members, so Discord would not send one either."""
        (guild or self.guild).remove(user.id)

    def close_dms(self, user: User) -> None:
        """`user` stops accepting DMs from the bot: sending answers 403/50007."""
        user.dms_open = False

    def open_dms(self, user: User) -> None:
        user.dms_open = True

    def shares_guild(self, user: User) -> bool:
        """Whether any guild has both the bot and `user` (what DMs from a bot require)."""
        return any(guild.member(user.id) is not None for guild in self.guilds.values())

    def guild_of(self, channel: Channel) -> Guild | None:
        """The guild a channel belongs to; None for a DM."""
        return None if channel.guild_id is None else self.guilds[channel.guild_id]

    def dm_channel(self, user: User) -> Channel:
        if user.id not in self.dm_channels:
            channel = Channel(snowflake(), 1, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return self.dm_channels[user.id]

    def fail(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int = 429,
        times: int = 1,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next `times` matching requests with `status` (429 with retry_after, 5xx)."""
        self.faults.append(
            Fault(method.upper(), re.compile(path_pattern), status, times, retry_after)
        )

    def delay(
        self, method: str, path_pattern: str, *, before: float = 0.0, after: float = 0.0
    ) -> None:
        """Make every matching request slow (see `Delay`) until `delays` is cleared. The
        rate limit still judges a request on arrival; `holding` counts answers held back."""
        self.delays.append(Delay(method.upper(), re.compile(path_pattern), before, after))

    # -- reading what the bot did -------------------------------------------------------------

    def channel_messages(self, channel: Channel) -> list[Message]:
        messages = self.messages
        if isinstance(messages, MessageStore):  # indexed by channel
            return [m for m in messages.in_channel(channel.id) if not m.deleted]
        return [m for m in messages.values() if m.channel_id == channel.id and not m.deleted]

    def dms(self, user: User) -> list[Message]:
        """Messages the bot sent to `user` in DMs, oldest first."""
        channel = self.dm_channels.get(user.id)
        if channel is None:
            return []
        return [m for m in self.channel_messages(channel) if m.author.id == self.bot.id]

    def count(self, method: str, path_pattern: str) -> int:
        pattern = re.compile(path_pattern)
        return sum(1 for r in self.requests if r.method == method and pattern.fullmatch(r.path))

    def max_requests_per_window(
        self,
        window: float = 1.0,
        *,
        since: float | None = None,
        interactions: bool = False,
        admitted_only: bool = False,
    ) -> int:
        """The most REST requests that arrived within any `window` seconds (a sliding window).

        By default it counts what Discord's global limit counts: not interaction endpoints
        (`interactions=True` adds them), but requests answered 429 too, so a bot that
        overshoots shows it (`admitted_only=True` leaves 429s out). `since` is a
        time.monotonic() reading: only later requests count."""
        times = sorted(
            r.at
            for r in self.requests
            if (interactions or r.global_bound)
            and (since is None or r.at >= since)
            and not (admitted_only and r.status == 429)
        )
        best = 0
        for end, at in enumerate(times):
            start = bisect.bisect_right(times, at - window, 0, end)
            best = max(best, end - start + 1)
        return best

    async def wait_until(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait for the world to satisfy `check` (which returns a truthy value when it does)."""
        async with asyncio.timeout(timeout):
            while not (result := check()):
                self._activity.clear()
                # Some state (counters) changes without an event; poll as a backstop.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self._activity.wait()
        return result

    async def wait_for_dm(self, user: User, count: int, timeout: float = 5.0) -> Message:
        """Wait until the bot has sent `user` at least `count` DMs; return the newest."""
        return await self.wait_until(
            lambda: self.dms(user)[-1] if len(self.dms(user)) >= count else None, timeout
        )

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until the bot is connected: every shard session it opened is live and ready."""
        await self.wait_until(
            lambda: bool(self._sessions) and all(s.ready for s in self._sessions.values()),
            timeout,
        )

    async def wait_shards_ready(self, shard_ids: Iterable[int], timeout: float = 10.0) -> None:
        """Wait until each of these shards has a live session that got READY or RESUMED."""
        wanted = list(shard_ids)
        await self.wait_until(
            lambda: all((s := self._sessions.get(i)) is not None and s.ready for i in wanted),
            timeout,
        )

    def _changed(self) -> None:
        self._activity.set()

    # -- sharding ---------------------------------------------------------------------------

    @property
    def shard_count(self) -> int:
        """The count the bot's sessions identified with; before any, the recommended one."""
        session = next(iter(self._sessions.values()), None)
        return self.recommended_shards if session is None else session.shard_count

    def shard_of(self, guild_id: int) -> int:
        """The shard that receives this guild's events at the current shard count."""
        return shard_of(guild_id, self.shard_count)

    def guilds_on(self, shard_id: int, shard_count: int) -> list[Guild]:
        """The guilds Discord puts on shard `shard_id` of `shard_count`."""
        return [g for g in self.guilds.values() if shard_of(g.id, shard_count) == shard_id]

    def events(self, shard: int = 0) -> list[dict[str, Any]]:
        """The events shard `shard`'s session was sent (its last 500), to assert on routing."""
        session = self._sessions.get(shard)
        return [] if session is None else list(session.backlog)

    # -- gateway ----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json(
                {"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._gateway_op(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            self._unbind(ws)
        return ws

    async def _gateway_op(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data: Any = payload.get("d")
        if op == 1:  # heartbeats are per socket, acknowledged on the socket they came on
            self.heartbeats += 1
            await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(ws, data)
        elif op == 6:
            await self._resume(ws, data)
        elif op == 3:
            self.presence = data

    def _unbind(self, ws: web.WebSocketResponse) -> None:
        """The socket is gone: its session keeps queueing events for a RESUME."""
        for session in self._sessions.values():
            if session.ws is ws:
                session.ws = None
                session.ready = False
        self._changed()

    @staticmethod
    def _requested_shard(raw: Any) -> tuple[int, int] | None:
        """IDENTIFY's `shard` as (id, count); absent means [0, 1]; None if Discord refuses it."""
        if raw is None:
            return 0, 1
        if not (isinstance(raw, list) and len(raw) == 2 and all(type(v) is int for v in raw)):
            return None
        shard_id, shard_count = raw
        return (shard_id, shard_count) if 0 <= shard_id < shard_count else None

    def _count_conflicts(self, shard_count: int, ws: web.WebSocketResponse) -> bool:
        """Whether another live session uses a different shard count (Discord: 4010)."""
        return any(
            s.live and s.ws is not ws and s.shard_count != shard_count
            for s in self._sessions.values()
        )

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if any(s.ws is ws for s in self._sessions.values()):
            await ws.close(code=4005, message=b"Already authenticated.")
            return
        shard = self._requested_shard(data.get("shard"))
        if shard is None or self._count_conflicts(shard[1], ws):
            await ws.close(code=4010, message=b"Invalid shard.")
            return
        shard_id, shard_count = shard
        self.identify_count += 1
        self.identified_shards.append(shard)
        self.presence = data.get("presence")
        # Sessions of another shard count are all dead (checked above): they cannot resume.
        self._sessions = {k: s for k, s in self._sessions.items() if s.shard_count == shard_count}
        session = GatewaySession(secrets.token_hex(16), shard_id, shard_count, ws=ws)
        self._sessions[shard_id] = session  # a re-IDENTIFY replaces the shard's old session
        guilds = self.guilds_on(shard_id, shard_count)
        await self._send_to(session, "READY", self._ready_payload(session, guilds, data))
        for guild in guilds:
            await self._send_to(session, "GUILD_CREATE", guild.payload())
        session.ready = True
        self._changed()

    def _ready_payload(
        self, session: GatewaySession, guilds: list[Guild], identify: dict[str, Any]
    ) -> dict[str, Any]:
        """READY lists only this shard's guilds, unavailable until their GUILD_CREATE."""
        return {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            **({"shard": [session.shard_id, session.shard_count]} if "shard" in identify else {}),
        }

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        wanted = data.get("session_id")
        session = next((s for s in self._sessions.values() if s.session_id == wanted), None)
        if data.get("token") != self.token or session is None:
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        self.resumed_shards.append((session.shard_id, session.shard_count))
        sent = data.get("seq") or 0
        # Replay until caught up, then bind with no await in between: nothing is lost or
        # sent out of order even if events are dispatched during the replay.
        while missed := [e for e in session.backlog if e["s"] > sent]:
            for event in missed:
                await ws.send_json(event)
                sent = event["s"]
        session.ws = ws
        await self._send_to(session, "RESUMED", {})
        session.ready = True
        self._changed()

    async def _send_to(self, session: GatewaySession, name: str, data: dict[str, Any]) -> None:
        """Dispatch on one session; while it is disconnected the event waits in its backlog."""
        session.sequence += 1
        event = {"op": 0, "t": name, "s": session.sequence, "d": data}
        session.backlog = [*session.backlog[-500:], event]
        ws = session.ws
        if ws is not None and not ws.closed:
            try:
                await ws.send_json(event)
            except ConnectionResetError:
                log.info("gateway dropped while sending %s; it stays in the backlog", name)

    async def _dispatch(self, name: str, data: dict[str, Any], guild_id: int | None) -> int | None:
        """Send an event where Discord would: the guild's shard, or shard 0 for DMs. Returns
        the shard, or None (recorded in `undeliverable`) if that shard never identified."""
        count = self.shard_count
        shard = 0 if guild_id is None else shard_of(guild_id, count)
        session = self._sessions.get(shard)
        if session is None:
            self.undeliverable.append(Undeliverable(shard, count, name, data))
            self._changed()
            return None
        await self._send_to(session, name, data)
        return shard

    async def send_guild_create(self, guild: Guild) -> int | None:
        """GUILD_CREATE to the guild's shard, as when the bot joins a guild while connected."""
        return await self._dispatch("GUILD_CREATE", guild.payload(), guild.id)

    def _session(self, shard: int) -> GatewaySession:
        session = self._sessions.get(shard)
        assert session is not None, f"shard {shard} has not identified"
        return session

    async def send_reconnect(self, shard: int = 0) -> None:
        """Op 7 on one shard: Discord asks that session to reconnect and resume."""
        ws = self._session(shard).ws
        assert ws is not None, f"shard {shard} is not connected"
        await ws.send_json({"op": 7, "d": None, "s": None, "t": None})

    async def drop_gateway(self, code: int = 4000, *, shard: int = 0) -> None:
        """Close one shard's socket abruptly, as a network failure or Discord restart would."""
        session = self._session(shard)
        ws = session.ws
        assert ws is not None, f"shard {shard} is not connected"
        session.ws, session.ready = None, False
        self._changed()
        await ws.close(code=code)

    # -- REST plumbing ----------------------------------------------------------------------

    _ROUTES: ClassVar[list[tuple[str, re.Pattern[str], str]]] = [
        (method, re.compile(pattern), name)
        for method, pattern, name in [
            ("GET", r"/users/@me", "_get_me"),
            ("GET", r"/oauth2/applications/@me", "_get_application"),
            ("GET", r"/applications/@me", "_get_application"),
            ("GET", r"/gateway", "_get_gateway"),
            ("GET", r"/gateway/bot", "_get_gateway"),
            ("PUT", r"/applications/(?P<app>\d+)/commands", "_put_commands"),
            ("GET", r"/applications/(?P<app>\d+)/commands", "_get_commands"),
            ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", "_put_commands"),
            ("GET", r"/applications/(?P<app>\d+)/guilds/(?P<guild>\d+)/commands", "_get_commands"),
            ("POST", r"/users/@me/channels", "_create_dm"),
            ("GET", r"/guilds/(?P<guild>\d+)/members/(?P<user>\d+)", "_get_member"),
            ("POST", r"/channels/(?P<channel>\d+)/messages", "_create_message"),
            ("GET", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", "_get_message"),
            ("PATCH", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", "_edit_message"),
            ("DELETE", r"/channels/(?P<channel>\d+)/messages/(?P<message>\d+)", "_delete_message"),
            ("POST", r"/interactions/(?P<interaction>\d+)/(?P<token>[^/]+)/callback", "_callback"),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", "_followup"),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                "_get_webhook_message",
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                "_edit_webhook_message",
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)",
                "_delete_webhook_message",
            ),
        ]
    ]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        at = time.monotonic()
        bound = not path.startswith(INTERACTION_PATHS)
        retry_after = self._global_limit(at) if bound else None  # decided on arrival
        body, files = await self._read_body(request)
        record = Recorded(request.method, path, body, at=at, global_bound=bound)
        self.requests.append(record)
        delay = None if retry_after is not None else self._delay_for(request.method, path)
        if delay is not None and delay.before > 0:
            await asyncio.sleep(delay.before)
        response: web.StreamResponse
        if retry_after is not None:
            response = self._global_limited_response(retry_after)
        else:
            response = await self._answer(request, path, body, files)
        record.status = response.status
        self.rate_limited += response.status == 429
        self._changed()
        if delay is not None and delay.after > 0:
            await self._hold(delay.after)
        return response

    def _delay_for(self, method: str, path: str) -> Delay | None:
        return next(
            (d for d in self.delays if d.method == method and d.pattern.fullmatch(path)), None
        )

    async def _hold(self, seconds: float) -> None:
        self.holding += 1
        self._changed()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.holding -= 1
            self._changed()

    def _global_limit(self, now: float) -> float | None:
        """Seconds to wait if this request is over the global limit, else None (admitted).
        Admitted requests are tracked even while the limit is off, so switching it on
        mid-test judges the last window truthfully."""
        admitted = self._admitted
        while admitted and now - admitted[0] >= self.global_rate_window:
            admitted.popleft()
        limit = self.global_rate_limit
        if limit is not None and len(admitted) >= limit:
            wait = admitted[-limit] + self.global_rate_window - now  # when one slot frees
            return max(0.001, math.ceil(wait * 1000) / 1000)
        admitted.append(now)
        return None

    @staticmethod
    def _global_limited_response(retry_after: float) -> web.Response:
        """Discord's global 429. `code` is optional in Discord's docs but required by the
        OpenAPI description; 0 satisfies both. discord.py needs `Via` to tell a 429 from
        Cloudflare's ban."""
        return _json(
            {"message": RATE_LIMITED, "retry_after": retry_after, "global": True, "code": 0},
            status=429,
            headers={
                "Via": "1.1 google",
                "Retry-After": str(math.ceil(retry_after)),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
            },
        )

    def _route(self, method: str, path: str) -> tuple[str, re.Match[str]] | None:
        for route_method, pattern, handler_name in self._ROUTES:
            if route_method == method and (match := pattern.fullmatch(path)):
                return handler_name, match
        return None

    async def _answer(
        self, request: web.Request, path: str, body: Any, files: list[Attachment]
    ) -> web.StreamResponse:
        if (fault := self._take_fault(request.method, path)) is not None:
            return self._fault_response(fault)
        route = self._route(request.method, path)
        if route is None:
            self.rejections.append(f"unknown route {request.method} {path}")
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        handler_name, match = route
        public = path.startswith(INTERACTION_PATHS)
        if not public and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if request.method in ("POST", "PUT", "PATCH") and (
            problems := self.validator.validate(
                request.method, path, body if body is not None else {}
            )
        ):
            self.rejections.append(f"{request.method} {path}: " + "; ".join(problems))
            return _json(discord_error_body(problems), status=400)
        try:
            result = await getattr(self, handler_name)(
                body=body, files=files, query=request.query, **match.groupdict()
            )
        except DiscordError as exc:
            return _json({"message": exc.message, "code": exc.code}, status=exc.status)
        if result is None:
            return web.Response(status=204)
        return _json(result)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Attachment]]:
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            files: list[Attachment] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    payload = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(
                        Attachment(
                            filename=part.filename or "file",  # type: ignore[union-attr]
                            content_type=part.headers.get(  # type: ignore[union-attr]
                                "Content-Type", "application/octet-stream"
                            ),
                            data=bytes(await part.read()),  # type: ignore[union-attr]
                        )
                    )
            return payload, files
        if request.can_read_body:
            return await request.json(), []
        return None, []

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.pattern.fullmatch(path):
                fault.times -= 1
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            return _json(
                {
                    "message": RATE_LIMITED,
                    "retry_after": fault.retry_after,
                    "global": False,
                    "code": 0,
                },
                status=429,
                headers={
                    "Via": "1.1 google",
                    "Retry-After": str(fault.retry_after),
                    "X-RateLimit-Scope": "user",
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(fault.retry_after),
                    "X-RateLimit-Bucket": "double",
                },
            )
        return _json({"message": f"{fault.status}: Server Error", "code": 0}, status=fault.status)

    async def _attachment(self, request: web.Request) -> web.Response:
        message = self.messages.get(int(request.match_info["message_id"]))
        index = int(request.match_info["index"])
        if message is None or index >= len(message.attachments):
            return web.Response(status=404)
        attachment = message.attachments[index]
        return web.Response(body=attachment.data, content_type=attachment.content_type)

    # -- REST routes ------------------------------------------------------------------------

    async def _get_me(self, **_: Any) -> dict[str, Any]:
        return {**self.bot.payload(), "verified": True, "mfa_enabled": False, "locale": "en-US"}

    async def _get_application(self, **_: Any) -> dict[str, Any]:
        return {
            "id": str(self.application_id),
            "name": "Anagen",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner.payload(),
            "team": None,
            "flags": 0,
            "summary": "",
            "rpc_origins": [],
            "bot": self.bot.payload(),
        }

    async def _get_gateway(self, **_: Any) -> dict[str, Any]:
        """`shards` is Discord's recommendation; the start limit counts the IDENTIFYs so far
        (a day's 1000, reset 24 h from now; one IDENTIFY per 5 s, not enforced)."""
        return {
            "url": self.gateway_url,
            "shards": self.recommended_shards,
            "session_start_limit": {
                "total": SESSION_STARTS_PER_DAY,
                "remaining": max(0, SESSION_STARTS_PER_DAY - self.identify_count),
                "reset_after": 24 * 60 * 60 * 1000,
                "max_concurrency": 1,
            },
        }

    def _command_list(self, guild: str | None) -> list[dict[str, Any]]:
        return (
            self.global_commands
            if guild is None
            else self.guild_commands.setdefault(int(guild), [])
        )

    async def _put_commands(
        self, body: list[dict[str, Any]], app: str, guild: str | None = None, **_: Any
    ) -> list[dict[str, Any]]:
        if int(app) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        stored = [
            {
                "id": str(snowflake()),
                "application_id": app,
                "version": str(snowflake()),
                "type": 1,
                "default_member_permissions": None,
                **({"guild_id": guild} if guild else {}),
                **command,
            }
            for command in body
        ]
        if guild is None:
            self.global_commands = stored
        else:
            self.guild_commands[int(guild)] = stored
        return stored

    async def _get_commands(
        self, app: str, guild: str | None = None, **_: Any
    ) -> list[dict[str, Any]]:
        return self._command_list(guild)

    async def _get_member(self, guild: str, user: str, **_: Any) -> dict[str, Any]:
        known = self.guilds.get(int(guild))
        if known is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        found = known.member(int(user))
        if found is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return found.member_payload()

    async def _create_dm(self, body: dict[str, Any], **_: Any) -> dict[str, Any]:
        user = self.users.get(int(body["recipient_id"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return self.dm_channel(user).payload()

    def _channel(self, channel: str) -> Channel:
        found = self.channels.get(int(channel))
        if found is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return found

    def _message(self, channel: str, message: str) -> Message:
        found = self.messages.get(int(message))
        if found is None or found.deleted or found.channel_id != int(channel):
            raise DiscordError(404, 10008, "Unknown Message")
        return found

    def _new_message(
        self,
        channel_id: int,
        body: dict[str, Any],
        files: list[Attachment],
        *,
        interaction: Interaction | None = None,
    ) -> Message:
        if (
            not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids"))
            and not files
        ):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        message = Message(
            id=snowflake(),
            channel_id=channel_id,
            author=self.bot,
            webhook_id=self.application_id if interaction else None,
            interaction_id=interaction.id if interaction else None,
            base_url=self.base_url,
        )
        self._apply(message, body, files)
        self.messages[message.id] = message
        return message

    @staticmethod
    def _apply(message: Message, body: dict[str, Any], files: list[Attachment]) -> None:
        for key in ("content", "embeds", "components", "flags", "allowed_mentions"):
            if key in body:
                value = body[key]
                setattr(message, key, value if value is not None else type(getattr(message, key))())
        if "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            message.attachments = [
                a for i, a in enumerate(message.attachments) if str(message.id + i) in keep
            ]
        described = {str(a.get("id")): a.get("description") for a in body.get("attachments") or []}
        for index, file in enumerate(files):
            file.description = described.get(str(index))
            message.attachments.append(file)

    async def _create_message(
        self, body: dict[str, Any], files: list[Attachment], channel: str, **_: Any
    ) -> dict[str, Any]:
        target = self._channel(channel)
        recipient = target.recipient if target.type == 1 else None
        # A bot can DM only users who accept DMs and share a server with it.
        if recipient is not None and not (recipient.dms_open and self.shares_guild(recipient)):
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        body = body or {}
        nonce = body.get("nonce")
        key = None if nonce is None else (target.id, self.bot.id, str(nonce))
        if key is not None and body.get("enforce_nonce") and (earlier := self._sent_with(key)):
            return earlier.payload()  # Discord answers 200 with the message it already has
        message = self._new_message(target.id, body, files)
        if key is not None:
            message.nonce = nonce
            self._nonces[key] = (time.monotonic(), message)
        return message.payload()

    def _sent_with(self, key: tuple[int, int, str]) -> Message | None:
        """The message created with this (channel, author, nonce) within `nonce_window`."""
        found = self._nonces.get(key)
        if found is None:
            return None
        created, message = found
        if time.monotonic() - created > self.nonce_window or message.deleted:
            del self._nonces[key]
            return None
        return message

    async def _get_message(self, channel: str, message: str, **_: Any) -> dict[str, Any]:
        return self._message(channel, message).payload()

    async def _edit_message(
        self, body: dict[str, Any], files: list[Attachment], channel: str, message: str, **_: Any
    ) -> dict[str, Any]:
        found = self._message(channel, message)
        if found.author.id != self.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self._apply(found, body or {}, files)
        found.edited = True
        return found.payload()

    async def _delete_message(self, channel: str, message: str, **_: Any) -> None:
        self._message(channel, message).deleted = True

    # -- interactions -----------------------------------------------------------------------

    def _interaction(self, token: str) -> Interaction:
        interaction = self._by_token.get(token)
        if interaction is None or self.interactions.get(interaction.id) is not interaction:
            # Not indexed: one a test put in `interactions` directly (or took out of it).
            interaction = next((i for i in self.interactions.values() if i.token == token), None)
        if interaction is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if time.monotonic() - interaction.sent_at > TOKEN_LIFETIME_S:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return interaction

    async def _callback(
        self, body: dict[str, Any], files: list[Attachment], interaction: str, token: str, **_: Any
    ) -> dict[str, Any]:
        record = self.interactions.get(int(interaction))
        if record is None or record.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        now = time.monotonic()
        if record.answered_at is None:
            record.answered_at = now  # first attempt: the bot-side handling time ends here
        if now - record.sent_at > self.interaction_deadline:  # retries must be in time too
            record.error = {"code": 10062}
            self.rejections.append(
                f"interaction {record.id} answered after {self.interaction_deadline} s"
            )
            raise DiscordError(404, 10062, "Unknown interaction")
        if record.callback_type is not None:
            self.rejections.append(f"interaction {record.id} answered twice")
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        kind, data = body["type"], body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[record.type]
        if kind not in allowed:
            raise DiscordError(
                400, 50035, f"Invalid interaction response type {kind} for this interaction"
            )
        record.callback_type, record.callback_data = kind, data
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            content = (
                data if kind == 4 else {"content": "", "flags": (data.get("flags") or 0) | 128}
            )
            record.original = self._new_message_or_loading(
                record, content, files, loading=kind == 5
            )
            resource["message"] = record.original.payload()
        elif kind in (6, 7) and record.source is not None:
            record.original = record.source
            if kind == 7:
                self._apply(record.source, data, files)
                record.source.edited = True
                resource["message"] = record.source.payload()
        record.answered.set()
        record.changed.set()
        message = record.original
        return {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                **(
                    {
                        "response_message_id": str(message.id),
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": message.ephemeral,
                    }
                    if message
                    else {}
                ),
            },
            "resource": resource,
        }

    def _new_message_or_loading(
        self, record: Interaction, body: dict[str, Any], files: list[Attachment], *, loading: bool
    ) -> Message:
        if loading:
            message = Message(
                id=snowflake(),
                channel_id=record.channel_id,
                author=self.bot,
                flags=body["flags"],
                webhook_id=self.application_id,
                interaction_id=record.id,
                base_url=self.base_url,
            )
            self.messages[message.id] = message
            return message
        return self._new_message(record.channel_id, body, files, interaction=record)

    async def _followup(
        self, body: dict[str, Any], files: list[Attachment], app: str, token: str, **_: Any
    ) -> dict[str, Any]:
        record = self._interaction(token)
        if record.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        message = self._new_message(record.channel_id, body or {}, files, interaction=record)
        record.followups.append(message)
        record.changed.set()
        return message.payload()

    def _webhook_message(self, record: Interaction, message: str) -> Message:
        if message == "@original":
            if record.original is None:
                raise DiscordError(404, 10008, "Unknown Message")
            return record.original
        for candidate in [record.original, *record.followups]:
            if candidate is not None and candidate.id == int(message) and not candidate.deleted:
                return candidate
        raise DiscordError(404, 10008, "Unknown Message")

    async def _get_webhook_message(self, token: str, message: str, **_: Any) -> dict[str, Any]:
        return self._webhook_message(self._interaction(token), message).payload()

    async def _edit_webhook_message(
        self, body: dict[str, Any], files: list[Attachment], token: str, message: str, **_: Any
    ) -> dict[str, Any]:
        record = self._interaction(token)
        found = self._webhook_message(record, message)
        self._apply(found, body or {}, files)
        found.flags &= ~128  # an edit ends the "thinking…" state of a deferred response
        found.edited = True
        record.edited.set()
        record.changed.set()
        return found.payload()

    async def _delete_webhook_message(self, token: str, message: str, **_: Any) -> None:
        record = self._interaction(token)
        self._webhook_message(record, message).deleted = True
        record.changed.set()

    # -- acting as a member -----------------------------------------------------------------

    def _interaction_base(
        self, user: User, kind: int, channel: Channel
    ) -> tuple[Interaction, dict[str, Any]]:
        guild = self.guild_of(channel)
        record = Interaction(
            id=snowflake(),
            token=secrets.token_urlsafe(48),
            type=kind,
            user=user,
            channel_id=channel.id,
            sent_at=0.0,
            guild_id=None if guild is None else guild.id,
        )
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": record.token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel.payload(),
            "app_permissions": ADMIN_PERMISSIONS,
            "locale": user.locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is None:
            # Discord: the guild-install owner is "0" when used in a DM with the bot.
            payload |= {
                "user": user.payload(),
                "context": 1,
                "authorizing_integration_owners": {"0": "0"},
            }
        else:
            payload |= {
                "guild_id": str(guild.id),
                "member": {**user.member_payload(), "permissions": user.permissions},
                "guild_locale": "en-US",
                "context": 0,
                "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
                "authorizing_integration_owners": {"0": str(guild.id)},
            }
        return record, payload

    async def _send_interaction(
        self, record: Interaction, payload: dict[str, Any], wait: bool
    ) -> Interaction:
        self.interactions[record.id] = record
        self._by_token[record.token] = record
        record.sent_at = time.monotonic()
        record.shard = await self._dispatch("INTERACTION_CREATE", payload, record.guild_id)
        if wait and record.shard is None:
            raise AssertionError(
                f"interaction {payload['data']} is for a shard that never identified"
            )
        if wait:
            try:
                async with asyncio.timeout(self.interaction_deadline + 2):
                    await record.answered.wait()
            except TimeoutError:
                raise AssertionError(
                    f"the bot did not answer interaction {payload['data']}"
                ) from None
            if record.callback_type == 6:
                # A deferred update shows nothing by itself: what the member sees is the
                # edit (or a follow-up) that comes next, so a test acting like them waits.
                # Discord gives a deferred interaction 15 minutes; a test gives it 30 s.
                try:
                    async with asyncio.timeout(DEFERRED_EDIT_WAIT):
                        while not (record.edited.is_set() or record.followups):
                            record.changed.clear()
                            await record.changed.wait()
                except TimeoutError:
                    raise AssertionError(
                        f"the bot deferred {payload['data']} and showed nothing after it"
                    ) from None
        return record

    def find_command(
        self, name: str, *, in_guild: bool = True, guild: Guild | None = None
    ) -> dict[str, Any]:
        """The synced command: `guild`'s own (the default guild's if None), then global."""
        guild_id = (guild or self.guild).id
        candidates = [
            *(self.guild_commands.get(guild_id, []) if in_guild else []),
            *self.global_commands,
        ]
        for command in candidates:
            if command["name"] == name:
                return command
        raise AssertionError(
            f"command /{name} was never synced; synced: {[c['name'] for c in candidates]}"
        )

    def _command_data(
        self,
        command_path: str,
        options: dict[str, Any],
        focused: str | None,
        guild: Guild | None,
    ) -> dict[str, Any]:
        """Command data as Discord sends it; `guild` None means used in a DM."""
        root, *subs = command_path.split()
        command = self.find_command(root, in_guild=guild is not None, guild=guild)
        data: dict[str, Any] = {"id": command["id"], "name": root, "type": 1}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        level, holder = command, data
        for sub in subs:
            spec = next((o for o in level.get("options", []) if o["name"] == sub), None)
            assert spec is not None, f"/{command_path}: no subcommand {sub!r}"
            assert spec["type"] in (1, 2), f"/{command_path}: {sub!r} is not a subcommand"
            node: dict[str, Any] = {"type": spec["type"], "name": sub, "options": []}
            holder.setdefault("options", []).append(node)
            level, holder = spec, node
        values = []
        for key, value in options.items():
            spec = next((o for o in level.get("options", []) if o["name"] == key), None)
            assert spec is not None, f"/{command_path} has no option {key!r}"
            option = {"name": key, "type": spec["type"], "value": value}
            if key == focused:
                option["focused"] = True
            values.append(option)
        holder["options"] = values
        return data

    async def slash(
        self,
        user: User,
        command: str,
        *,
        dm: bool = False,
        guild: Guild | None = None,
        wait: bool = True,
        **options: Any,
    ) -> Interaction:
        """Run `/command sub` with options, as `user`, in #general of `guild` (the default
        guild if None), or in the bot's DM."""
        where = None if dm else (guild or self.guild)
        channel = self.dm_channel(user) if where is None else where.general
        record, payload = self._interaction_base(user, 2, channel)
        payload["data"] = self._command_data(command, options, None, where)
        return await self._send_interaction(record, payload, wait)

    async def autocomplete(
        self,
        user: User,
        command: str,
        focused: str,
        *,
        guild: Guild | None = None,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """Type into option `focused` in `guild` (default guild if None); returns the choices."""
        where = guild or self.guild
        record, payload = self._interaction_base(user, 4, where.general)
        payload["data"] = self._command_data(command, options, focused, where)
        await self._send_interaction(record, payload, True)
        return record.choices

    async def _component(
        self,
        user: User,
        message: Message,
        custom_id: str,
        component_type: int,
        values: list[str] | None,
        wait: bool,
    ) -> Interaction:
        channel = self.channels[message.channel_id]
        record, payload = self._interaction_base(user, 3, channel)
        record.source = message
        payload["message"] = message.payload()
        payload["data"] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            payload["data"]["values"] = values
        return await self._send_interaction(record, payload, wait)

    async def click(
        self, user: User, message: Message, label_or_custom_id: str, *, wait: bool = True
    ) -> Interaction:
        """Press a button on `message`, found by label or custom_id."""
        try:
            button = message.button(label_or_custom_id)
        except KeyError:
            button = message.component(label_or_custom_id)
        assert not button.get("disabled"), f"button {label_or_custom_id!r} is disabled"
        return await self._component(user, message, button["custom_id"], 2, None, wait)

    async def select(
        self, user: User, message: Message, custom_id: str, values: list[str], *, wait: bool = True
    ) -> Interaction:
        """Choose `values` in the select menu `custom_id` of `message`."""
        menu = message.component(custom_id)
        offered = {o["value"] for o in menu.get("options", [])}
        assert set(values) <= offered, f"{values} not among the options {sorted(offered)}"
        return await self._component(user, message, custom_id, menu["type"], values, wait)

    async def forge_component(
        self, user: User, message: Message, custom_id: str, values: list[str] | None = None
    ) -> Interaction:
        """A component interaction no real client would send (unknown ids, foreign values)."""
        return await self._component(
            user, message, custom_id, 2 if values is None else 3, values, True
        )

    async def submit_modal(
        self, user: User, opened_by: Interaction, values: dict[str, str], *, wait: bool = True
    ) -> Interaction:
        """Fill in and submit the modal that `opened_by` was answered with."""
        assert opened_by.callback_type == 9, "that interaction was not answered with a modal"
        modal = opened_by.callback_data or {}
        channel = self.channels[opened_by.channel_id]
        record, payload = self._interaction_base(user, 5, channel)
        record.source = opened_by.source
        if opened_by.source is not None:
            payload["message"] = opened_by.source.payload()
        rows = []
        for row in modal.get("components", []):
            inner = row.get("component") or (row.get("components") or [None])[0]
            field_value = {
                "type": inner["type"],
                "custom_id": inner["custom_id"],
                "value": values.get(inner["custom_id"], ""),
            }
            if row["type"] == 18:
                rows.append({"type": 18, "component": field_value})
            else:
                rows.append({"type": 1, "components": [field_value]})
        payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        return await self._send_interaction(record, payload, wait)

    async def dm(self, user: User, content: str) -> Message:
        """`user` types `content` in their DM with the bot."""
        channel = self.dm_channel(user)
        message = Message(
            id=snowflake(),
            channel_id=channel.id,
            author=user,
            content=content,
            base_url=self.base_url,
        )
        self.messages[message.id] = message
        await self._dispatch("MESSAGE_CREATE", message.payload(), None)  # DMs: shard 0
        return message
