"""Run the real `anagen` command line in its own process, pointed at a DiscordDouble.

Crash tests need a bot they can `kill -9`; this is the only place outside conftest.py that
redirects discord.py, so the bot's own code never knows about the double.

    python -m tests.double.launch run    # with ANAGEN_TEST_API and ANAGEN_TEST_GATEWAY set
"""

from __future__ import annotations

import os
import sys

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def main() -> int:
    Route.BASE = os.environ["ANAGEN_TEST_API"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["ANAGEN_TEST_GATEWAY"])
    from bot.cli import main as anagen

    return anagen(sys.argv[1:] or ["run"])


if __name__ == "__main__":
    sys.exit(main())
