"""What the log may hold: never what members typed, never a token (security review F7).

discord.py logs every gateway event at DEBUG, with members' DM replies, form fields and
command options in it, and every HTTP request with its URL, in which an interaction's token
lets anyone post as the bot in that channel for 15 minutes. So `discord`'s loggers stay at
INFO or above whatever ANAGEN_LOG_LEVEL says, unless the operator opts in with
ANAGEN_DISCORD_DEBUG; and a filter on the log handler cuts interaction, webhook and bot
tokens out of whatever still reaches it (the opt-in's lines, a rate-limit warning's URL,
an exception's text).

Anagen's own log lines name ids, counts and commands, never answers (see `bot.tree.describe`).
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED", "NoVoiceWarnings", "RedactTokens", "keep_members_out", "redact"]

REDACTED = "[redacted]"

_PATTERNS = (
    # https://discord.com/api/v10/interactions/<id>/<token>/callback, /webhooks/<id>/<token>/…
    re.compile(r"(?P<keep>/(?:interactions|webhooks)/\d+/)[^/?#\s'\"\\]+"),
    # 'token': '…' in a gateway payload (INTERACTION_CREATE, IDENTIFY) or a JSON body
    re.compile(r"(?P<keep>['\"]token['\"]\s*:\s*['\"])[^'\"]+"),
    # a bot token: three dot-separated base64url parts
    re.compile(r"(?P<keep>)\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"),
)

_TRACEBACKS = logging.Formatter()


def redact(text: str) -> str:
    """`text` with every interaction, webhook or bot token replaced by REDACTED."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group("keep") + REDACTED, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites a record that holds a token; keeps every record (it only redacts)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True  # the handler reports the broken call; its arguments are not printed
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            # Formatters (discord.py's coloured one too) render the exception from
            # exc_info; a traceback holding a token is folded into the message instead.
            trace = _TRACEBACKS.formatException(record.exc_info)
            if (cleaned_trace := redact(trace)) != trace:
                record.msg, record.args = f"{record.getMessage()}\n{cleaned_trace}", None
                record.exc_info = None
                record.exc_text = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class NoVoiceWarnings(logging.Filter):
    """Drops discord.py's start-up warnings that PyNaCl and davey are not installed: they
    are voice libraries, Anagen has no voice, and a moderator cannot tell the warnings are
    harmless."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == "discord.client"
            and isinstance(record.msg, str)
            and record.msg.endswith("voice will NOT be supported")
        )


def keep_members_out(handler: logging.Handler, level: int, *, discord_debug: bool) -> None:
    """Holds `discord`'s loggers at INFO or above (unless `discord_debug`) and redacts tokens
    in everything `handler` writes; leaves out discord.py's voice warnings."""
    library = logging.getLogger("discord")
    library.setLevel(level if discord_debug else max(level, logging.INFO))
    if not any(isinstance(f, RedactTokens) for f in handler.filters):
        handler.addFilter(RedactTokens())
    if not any(isinstance(f, NoVoiceWarnings) for f in handler.filters):
        handler.addFilter(NoVoiceWarnings())
