"""A local stand-in for Discord's REST API and Gateway, for end-to-end tests."""

from tests.double.model import Channel, Interaction, Message, User
from tests.double.server import BOT_TOKEN, DiscordDouble

__all__ = ["BOT_TOKEN", "Channel", "DiscordDouble", "Interaction", "Message", "User"]
