"""Issue 21: when Discord cannot be reached, or rejects the token, `anagen` prints one line
naming the cause and exits non-zero: no aiohttp traceback, and none of discord.py's voice
warnings (Anagen has no voice). The real command line in its own process, pointed at a
closed local port or at the Discord double; never at the network."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp.client_reqrep import ConnectionKey

from bot.cli import unreachable
from tests.double import DiscordDouble
from tests.unit.test_cli import GOOD_TOKEN, VARIABLES

REPO = Path(__file__).resolve().parents[2]


async def anagen_against(api: str, gateway: str, token: str, tmp_path: Path) -> tuple[int, str]:
    """`anagen run` in its own process with discord.py pointed at `api` and `gateway`
    (tests/double/launch.py); returns its exit status and what it printed on stderr."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(
        DISCORD_TOKEN=token,
        ANAGEN_DATABASE=str(tmp_path / "anagen.db"),
        ANAGEN_TEST_API=api,
        ANAGEN_TEST_GATEWAY=gateway,
        ANAGEN_LOG_LEVEL="INFO",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.double.launch",
        "--env-file",
        os.devnull,
        "run",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, err.decode()


def closed_port() -> int:
    """A local port nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ours(stderr: str) -> list[str]:
    """The lines anagen itself printed (log lines carry discord.py's level names)."""
    return [line for line in stderr.splitlines() if line.startswith("anagen:")]


async def test_unreachable_discord_is_one_line(tmp_path: Path) -> None:
    port = closed_port()
    status, stderr = await anagen_against(
        f"http://127.0.0.1:{port}/api/v10", f"ws://127.0.0.1:{port}/", GOOD_TOKEN, tmp_path
    )
    assert status == 1
    assert "Traceback" not in stderr
    assert ours(stderr) == [
        f"anagen: cannot reach Discord at 127.0.0.1:{port}: the connection was refused; check "
        "the firewall and any proxy, then start anagen again."
    ]
    assert "voice" not in stderr  # PyNaCl, davey: Anagen has no voice
    assert len(stderr.splitlines()) <= 2  # the log's "logging in" line, and ours


async def test_a_rejected_token_is_one_line(double: DiscordDouble, tmp_path: Path) -> None:
    wrong = GOOD_TOKEN[:-2] + "XY"
    assert wrong != double.token
    status, stderr = await anagen_against(double.api_url, double.gateway_url, wrong, tmp_path)
    assert status == 2
    assert "Traceback" not in stderr
    assert ours(stderr) == [
        "anagen: Discord rejected DISCORD_TOKEN: reset the token in the developer portal and "
        "update .env."
    ]
    assert "voice" not in stderr


def test_a_failed_dns_lookup_is_named() -> None:
    """aiohttp's own error for a name that does not resolve, as a DNS failure raises it (not
    raised here: the tests reach no network, DNS included)."""
    key = ConnectionKey("discord.com", 443, True, True, None, None, None)
    lookup = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    dns_error = getattr(aiohttp, "ClientConnectorDNSError", aiohttp.ClientConnectorError)
    reason = unreachable(dns_error(key, lookup))
    assert reason is not None
    assert reason.startswith("cannot reach Discord at discord.com:443: looking up discord.com")
    assert "(DNS)" in reason
    assert "\n" not in reason
    # an older aiohttp raises the plain connector error for it: named the same
    assert unreachable(aiohttp.ClientConnectorError(key, lookup)) == reason
    assert unreachable(ValueError("something else")) is None
