"""Issue 21: at a terminal the command line shows colour (a red PROBLEM) and the progress of
long work (`anagen report`); in a pipe, a file or a log, plain text and no bar. The real
command line in its own process on a pseudo-terminal, as a moderator's shell gives it."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from bot.results.service import ResultsService
from bot.storage import Database
from bot.storage.responses import Answer
from bot.survey.questionnaire import load_questionnaire
from tests.releases_driver import publish
from tests.survey_driver import seed_response
from tests.unit.test_cli import VARIABLES

REPO = Path(__file__).resolve().parents[2]
RED_PROBLEM = "\x1b[31mPROBLEM\x1b[0m"
GUILD = 428_000_000_000_000_009


def on_a_terminal(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Runs `python -m bot ARGS` with stdout and stderr on a pseudo-terminal; returns its
    exit status and everything it wrote there."""
    base = {k: v for k, v in os.environ.items() if k not in (*VARIABLES, "NO_COLOR")}
    base["TERM"] = "xterm-256color"
    base["PYTHONPATH"] = str(REPO)
    controller, terminal = pty.openpty()
    # 24 rows of 80 columns, as a terminal has (a new pseudo-terminal is 0 by 0)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "--env-file", os.devnull, *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env={**base, **env},
        cwd=cwd,
    )
    os.close(terminal)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process has ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return process.wait(timeout=60), shown.decode(errors="replace")


def test_problem_is_red_on_a_terminal_and_plain_otherwise(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "not-a-token"}
    status, shown = on_a_terminal("check", env=env, cwd=tmp_path)
    assert status == 1
    assert RED_PROBLEM in shown
    assert "\x1b[32mok\x1b[0m" in shown

    status, shown = on_a_terminal("check", env={**env, "NO_COLOR": "1"}, cwd=tmp_path)
    assert status == 1
    assert "\x1b[" not in shown  # https://no-color.org

    piped = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", os.devnull, "check"],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k not in VARIABLES}, **env},
        cwd=tmp_path,
        check=False,
    )
    assert piped.returncode == 1
    assert "\x1b[" not in piped.stdout + piped.stderr
    assert any(line.startswith("PROBLEM  ") for line in piped.stdout.splitlines())


async def _published(path: Path) -> None:
    """Ten members (the first release's minimum) and the release they make."""
    async with await Database.open(path) as db:
        for user in range(1, 11):
            await seed_response(db, GUILD, user, {("age", ""): Answer(number=20 + user)})
        await publish(ResultsService(db, load_questionnaire()).releases, GUILD)


def test_report_shows_its_progress_on_a_terminal_only(tmp_path: Path) -> None:
    database = tmp_path / "anagen.db"
    asyncio.run(_published(database))
    env = {"ANAGEN_DATABASE": str(database)}

    status, shown = on_a_terminal(
        "report", "--guild", str(GUILD), "-o", str(tmp_path / "a.html"), env=env, cwd=tmp_path
    )
    assert status == 0
    assert "report:" in shown
    assert "section" in shown
    assert "Wrote" in shown

    piped = subprocess.run(
        [sys.executable, "-m", "bot", "--env-file", os.devnull, "report", "--guild", str(GUILD),
         "-o", str(tmp_path / "b.html")],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={**{k: v for k, v in os.environ.items() if k not in VARIABLES}, **env},
    )  # fmt: skip
    assert piped.returncode == 0
    assert piped.stderr == ""  # no bar in a log or a pipe
    assert piped.stdout.startswith("Wrote ")
