"""What every persistent item in the cogs shares.

Persistent components outlive the process that sent them, so two promises hold for each
one: its custom_id parses back to the item that owns it (each cog keeps its formats in an
`ids` module), and a failure inside it reaches the member with an incident id rather than
Discord's bare "This interaction failed" (discord.py on its own only logs it)."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.tree import report_error

_FIELD = re.compile(r"\{(\w+)\}")
CUSTOM_ID_LIMIT = 100


class IdFormat:
    """One custom_id shape, such as ``sv:a:{rid}:{step}:{value}``, with a pattern per field.

    `build` fills it in for sending; `template` is the regular expression discord.py
    matches incoming ids against, so the two can never drift apart."""

    def __init__(self, shape: str, **fields: str) -> None:
        names = _FIELD.findall(shape)
        if sorted(names) != sorted(fields):
            raise ValueError(f"{shape!r}: fields {sorted(fields)} do not match {names}")
        self.shape = shape
        self.template = _FIELD.sub(lambda m: f"(?P<{m[1]}>{fields[m[1]]})", shape)
        self.pattern = re.compile(self.template)

    def build(self, **values: object) -> str:
        return self.shape.format(**values)

    def parse(self, custom_id: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(custom_id)
        return match.groupdict() if match else None

    def __repr__(self) -> str:
        return f"IdFormat({self.shape!r})"


def label_of(item: discord.ui.Item[Any]) -> str:
    """The label of the button a persistent item is rebuilt from (empty for other kinds)."""
    return (item.label or "") if isinstance(item, discord.ui.Button) else ""


class ReportingItem:
    """Mixin for `DynamicItem`s (listed first): subclasses write `handle`, not `callback`.

    Whatever escapes `handle` goes through the tree's error reporting, so the member is
    answered with a friendly line or an incident id, and the log names the custom_id."""

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.handle(interaction)
        except Exception as exc:
            await report_error(interaction, exc)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError
