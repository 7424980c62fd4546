"""`anagen`, `anagen run` and `anagen sync`: log in to Discord and serve (or only push the
slash commands). The one part of the CLI that speaks discord.py: the login's failures
become one line an operator can act on, and logging is set up the way bot/logs.py keeps
members' text out of it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import socket
import ssl

import aiohttp
import discord  # the CLI starts the Discord client, like bot/app.py

from bot.cli.database import settings_or_exit
from bot.cli.output import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, error
from bot.logs import keep_members_out
from bot.settings import Settings
from bot.storage import StorageError
from bot.survey.questionnaire import QuestionnaireError
from bot.treatments.knowledge import KnowledgeBaseError


def unreachable(exc: BaseException) -> str | None:
    """One line naming why Discord could not be reached, or None when `exc` is something
    else. What a self-hoster meets first behind a firewall, a broken DNS or a proxy:
    aiohttp's own traceback runs to 80 lines and names none of it plainly."""
    if isinstance(exc, discord.DiscordServerError):
        return (
            f"Discord answered with a server error (HTTP {exc.status}): an outage on its side. "
            "See https://discordstatus.com and start anagen again later."
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = f"{exc.host}:{exc.port}"
        cause = exc.os_error
        if isinstance(cause, socket.gaierror) or isinstance(
            exc, getattr(aiohttp, "ClientConnectorDNSError", ())
        ):
            why = (
                f"looking up {exc.host} failed (DNS); check this machine's network "
                "connection and DNS settings"
            )
        elif isinstance(exc, aiohttp.ClientProxyConnectionError):
            why = "the proxy refused the connection; check the proxy settings"
        elif isinstance(exc, aiohttp.ClientConnectorCertificateError) or isinstance(
            cause, ssl.SSLError
        ):
            why = (
                "its TLS certificate could not be verified (a proxy or firewall intercepting "
                "HTTPS, outdated CA certificates, or a wrong system clock)"
            )
        elif cause.errno == errno.ECONNREFUSED:
            why = "the connection was refused; check the firewall and any proxy"
        elif cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            why = "there is no route to it; check this machine's network connection"
        elif cause.errno == errno.ETIMEDOUT:
            why = "the connection timed out; check the firewall and network"
        else:
            why = f"{cause.strerror or cause}; check the network, the firewall and any proxy"
        return f"cannot reach Discord at {where}: {why}, then start anagen again."
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return (
            "Discord did not answer in time: check the network, the firewall and any proxy (or "
            "https://discordstatus.com), then start anagen again."
        )
    if isinstance(exc, aiohttp.ClientError):
        return (
            f"cannot talk to Discord ({type(exc).__name__}: {exc}): check the network, the "
            "firewall and any proxy, then start anagen again."
        )
    return None


async def _run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    from bot.app import AnagenBot  # imports every cog: keep `check` and `--help` fast

    assert settings.token is not None
    async with AnagenBot(settings, force_sync=sync_only) as bot:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
        try:
            if sync_only:
                await bot.login(settings.token)
            else:
                await bot.start(settings.token)
        except discord.LoginFailure:
            error(
                "Discord rejected DISCORD_TOKEN: reset the token in the developer portal "
                "and update .env."
            )
            return EXIT_CONFIG
        except (aiohttp.ClientError, discord.DiscordServerError, TimeoutError) as exc:
            if (reason := unreachable(exc)) is None:
                raise
            error(reason)
            return EXIT_FAILURE
    return EXIT_OK


def configure_logging(
    settings: Settings, handler: logging.Handler | None = None
) -> logging.Handler:
    """Log to stderr (or `handler`) in discord.py's format, coloured on a terminal; never
    members' text or tokens, whatever the level, nor discord.py's voice warnings (Anagen
    has no voice) (bot/logs.py)."""
    handler = handler or logging.StreamHandler()
    discord.utils.setup_logging(handler=handler, level=settings.log_level_number, root=True)
    keep_members_out(handler, settings.log_level_number, discord_debug=settings.discord_debug)
    return handler


def command_run(args: argparse.Namespace, *, sync_only: bool = False) -> int:
    # `anagen run --shards … --shard-count …` over ANAGEN_SHARDS and ANAGEN_SHARD_COUNT;
    # `anagen` alone and `anagen sync` have no such flags.
    settings = settings_or_exit(
        args,
        require_token=True,
        shards=getattr(args, "shards", None),
        shard_count=getattr(args, "shard_count", None),
    )
    if isinstance(settings, int):
        return settings
    configure_logging(settings)
    try:
        return asyncio.run(_run_bot(settings, sync_only=sync_only))
    except (StorageError, QuestionnaireError, KnowledgeBaseError) as exc:
        error(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
