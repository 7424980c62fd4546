"""The double's world: users, guilds, channels, messages and interactions, as Discord payloads."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)

# Permissions a member with every right has; members without Manage Server get MEMBER_PERMISSIONS.
ADMIN_PERMISSIONS = str((1 << 50) - 1)
MEMBER_PERMISSIONS = str(
    0x0000000000000400 | 0x0000000000000800 | 0x80000000
)  # view, send, use app cmds
MANAGE_GUILD = 1 << 5


def snowflake() -> int:
    """Time-ordered ids like Discord's, so discord.py's created_at is meaningful."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def snowflake_on_shard(shard_id: int, shard_count: int) -> int:
    """A fresh id that Discord's formula puts on `shard_id`: the timestamp is moved back
    (by less than `shard_count` ms) to the nearest millisecond with the right remainder."""
    if not 0 <= shard_id < shard_count:
        raise ValueError(f"shard {shard_id} does not exist among {shard_count}")
    ms = snowflake() >> 22
    ms -= (ms - shard_id) % shard_count
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's routing rule: the shard whose session receives this guild's events."""
    return (guild_id >> 22) % shard_count


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    dms_open: bool = True
    permissions: str = MEMBER_PERMISSIONS
    joined_at: str = "2024-01-01T00:00:00+00:00"  # when they joined the double's servers
    roles: list[str] = field(default_factory=list)  # role ids, as Discord gives them
    locale: str = "en-US"  # the client's language, sent with every interaction they make

    def payload(self) -> dict[str, Any]:
        """A user object with every field the OpenAPI description requires."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }

    def member_payload(self) -> dict[str, Any]:
        """A guild member as REST and GUILD_CREATE give it; interactions add `permissions`."""
        return {
            "user": self.payload(),
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": list(self.roles),
            "joined_at": self.joined_at,
            "premium_since": None,
            "communication_disabled_until": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }


@dataclass
class Channel:
    id: int
    type: int  # 0 guild text, 1 DM
    guild_id: int | None = None
    name: str | None = None
    recipient: User | None = None

    def payload(self) -> dict[str, Any]:
        if self.type == 1:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.recipient.payload()],
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    channels: list[Channel]
    members: list[User]
    # Lookups by id are O(1) for servers of 10,000 members; rebuilt if `members` was changed
    # other than through add/remove (checked by the list's identity and length).
    _by_id: dict[int, User] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: tuple[int, int] = field(default=(0, -1), init=False, repr=False, compare=False)

    @property
    def general(self) -> Channel:
        """The #general channel every guild of the double is created with."""
        return self.channels[0]

    def member(self, user_id: int) -> User | None:
        """The member with this id, or None if they are not (or no longer) in the server."""
        if self._indexed != (id(self.members), len(self.members)):
            self._by_id = {m.id: m for m in self.members}
            self._indexed = (id(self.members), len(self.members))
        return self._by_id.get(user_id)

    def add(self, user: User) -> None:
        self.member(user.id)  # brings the index up to date first
        self.members.append(user)
        self._by_id[user.id] = user
        self._indexed = (id(self.members), len(self.members))

    def remove(self, user_id: int) -> None:
        self.members = [m for m in self.members if m.id != user_id]
        self._by_id.pop(user_id, None)
        self.member(user_id)  # re-indexes the new list

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [
                {
                    "id": str(self.id),
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "position": 0,
                    "permissions": MEMBER_PERMISSIONS,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.member_payload() for m in self.members],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    description: str | None = None


@dataclass
class Message:
    """A message as the double stores it; `payload` is what the REST API returns."""

    id: int
    channel_id: int
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    edited: bool = False
    deleted: bool = False
    base_url: str = ""
    nonce: str | int | None = None  # as the sender gave it; Discord echoes it back

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in iter_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any]:
        for comp in iter_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        raise KeyError(f"no component {custom_id!r} in message {self.id}: {self.custom_ids()}")

    def button(self, label: str) -> dict[str, Any]:
        """The button with this label (case-insensitive), for tests that click like a person."""
        for comp in iter_components(self.components):
            if comp.get("type") == 2 and str(comp.get("label", "")).lower() == label.lower():
                return comp
        labels = [c.get("label") for c in iter_components(self.components) if c.get("type") == 2]
        raise KeyError(f"no button {label!r} in message {self.id}: {labels}")

    @property
    def text(self) -> str:
        """Content plus embed text, for assertions that don't care where the words are."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for fld in embed.get("fields", []):
                parts += [fld.get("name", ""), fld.get("value", "")]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso_now(),
            "edited_timestamp": iso_now() if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.id + i),
                    "filename": a.filename,
                    "size": len(a.data),
                    "url": f"{self.base_url}/attachments/{self.id}/{i}/{a.filename}",
                    "proxy_url": f"{self.base_url}/attachments/{self.id}/{i}/{a.filename}",
                    "content_type": a.content_type,
                    **({"description": a.description} if a.description else {}),
                }
                for i, a in enumerate(self.attachments)
            ],
            "embeds": [{"type": "rich", **e} for e in self.embeds],
            "components": self.components,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
        }
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        return data


class MessageStore(dict[int, Message]):
    """Every message by id, plus each channel's messages in order of creation, so reading
    one member's DMs does not scan the messages of 10,000 others. Messages are never
    removed (deletion is a flag), so the per-channel lists only grow."""

    def __init__(self) -> None:
        super().__init__()
        self._by_channel: dict[int, list[Message]] = {}

    def __setitem__(self, key: int, message: Message) -> None:
        if key in self:  # replaced: drop the old one from its channel's list
            old = self[key]
            listed = self._by_channel.get(old.channel_id, [])
            listed[:] = [m for m in listed if m is not old]
        super().__setitem__(key, message)
        self._by_channel.setdefault(message.channel_id, []).append(message)

    def in_channel(self, channel_id: int) -> list[Message]:
        """The channel's messages, oldest first, deleted ones included."""
        return list(self._by_channel.get(channel_id, ()))


def iter_components(components: list[dict[str, Any]]) -> Any:
    for comp in components:
        yield comp
        yield from iter_components(comp.get("components", []))
        if isinstance(comp.get("component"), dict):
            yield from iter_components([comp["component"]])
        if isinstance(comp.get("accessory"), dict):
            yield from iter_components([comp["accessory"]])


@dataclass
class Interaction:
    """One interaction the double sent, and everything the bot did in reply."""

    id: int
    token: str
    type: int
    user: User
    channel_id: int
    sent_at: float
    guild_id: int | None = None  # None in a DM
    shard: int | None = None  # the session it was routed to; None if no session could get it
    answered_at: float | None = None  # time.monotonic() when the callback request arrived
    callback_type: int | None = None
    callback_data: dict[str, Any] | None = None
    source: Message | None = None  # the message whose component was used
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    error: dict[str, Any] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    edited: asyncio.Event = field(default_factory=asyncio.Event)  # a webhook edit arrived

    @property
    def choices(self) -> list[dict[str, Any]]:
        assert self.callback_type == 8, f"callback type {self.callback_type} is not autocomplete"
        return list((self.callback_data or {}).get("choices", []))

    @property
    def message(self) -> Message:
        """The message the response created or updated."""
        assert self.original is not None, f"callback type {self.callback_type} made no message"
        return self.original

    async def wait_followup(self, count: int = 1, timeout: float = 5.0) -> Message:
        """Wait until at least `count` follow-ups were sent; return the newest."""
        async with asyncio.timeout(timeout):
            while len(self.followups) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.followups[-1]

    async def wait_original(self, predicate: Any, timeout: float = 5.0) -> Message:
        """Wait until the original response satisfies `predicate` (after defers and edits)."""
        async with asyncio.timeout(timeout):
            while self.original is None or not predicate(self.original):
                self.changed.clear()
                await self.changed.wait()
        return self.original
