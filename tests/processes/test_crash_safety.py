"""Crash safety: the bot runs as its own process, members answer concurrently, the process
is killed with SIGKILL mid-stream and restarted. Every answer a member saw confirmed must be
stored, nothing twice, and every member must carry on from the right question with the
buttons they already have."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.storage.location import DatabaseLocation
from tests.databases import env_value
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import CLICKS, answer_step, click_through, rows, step_of, stored_steps

# Processes killed with SIGKILL: the slow lane (README, "run the tests").
pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL"),
    pytest.mark.slow,
]

REPO = Path(__file__).resolve().parents[2]
MEMBERS = 8


async def launch(
    double: DiscordDouble, database: DatabaseLocation | Path, log: Path, *args: str
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DISCORD_TOKEN": double.token,
        "ANAGEN_DATABASE": env_value(database),
        "ANAGEN_TEST_API": double.api_url,
        "ANAGEN_TEST_GATEWAY": double.gateway_url,
        "ANAGEN_LOG_LEVEL": "INFO",
    }
    identified = double.identify_count
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.double.launch",
            "--env-file",
            os.devnull,
            "run",
            *args,
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    await double.wait_until(lambda: double.identify_count > identified, timeout=60)
    await double.wait_ready(timeout=30)
    return process


async def answer_until_killed(
    double: DiscordDouble,
    member: User,
    first: Message,
    confirmed: dict[int, list[str]],
    stop: asyncio.Event,
) -> Message:
    """Click through questions, noting each step whose answer the bot confirmed."""
    message = first
    while not stop.is_set():
        step = step_of(message)
        if step is None:
            break
        try:
            updated = await answer_step(double, member, message, CLICKS[step.split("/")[0]])
        except AssertionError:  # the bot died before answering: this answer was never confirmed
            break
        if "Saved" in updated.text:
            confirmed.setdefault(member.id, []).append(step)
        message = updated
        await asyncio.sleep(0.01)
    return message


async def test_kill_9_mid_stream_loses_nothing_confirmed(
    double: DiscordDouble, db_location: DatabaseLocation, tmp_path: Path
) -> None:
    database, log = db_location, tmp_path / "bot.log"
    process = await launch(double, database, log)
    members = [double.add_member(f"m{i}") for i in range(MEMBERS)]
    firsts = []
    for member in members:
        await double.slash(member, "survey start")
        consent = await double.wait_for_dm(member, 1, timeout=10)
        firsts.append((await double.click(member, consent, "Start the survey")).message)

    confirmed: dict[int, list[str]] = {}
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(answer_until_killed(double, m, f, confirmed, stop))
        for m, f in zip(members, firsts, strict=True)
    ]
    await double.wait_until(lambda: sum(map(len, confirmed.values())) >= 3 * MEMBERS, timeout=60)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    stop.set()
    last_messages = await asyncio.gather(*tasks)
    double.rejections.clear()  # interactions sent to the dead process were never answered

    process = await launch(double, database, log)
    try:
        for member, message in zip(members, last_messages, strict=True):
            rid = int(next(c for c in message.custom_ids() if c.startswith("sv:")).split(":")[2])
            stored = stored_steps(database, rid)
            assert set(confirmed.get(member.id, [])) <= stored, member.name
            assert rows(
                database, "SELECT count(*) FROM responses WHERE user_id = ?", (member.id,)
            ) == [(1,)]
            # carry on with the buttons the member already has
            summary, _ = await click_through(double, member, message)
            assert "Almost done" in summary.text, summary.text
            done = await double.click(member, summary, "Done")
            assert "Thank you" in done.message.text
        assert rows(database, "SELECT count(*) FROM responses WHERE status = 'completed'") == [
            (MEMBERS,)
        ]
        if database.dialect == "sqlite":
            assert rows(database, "PRAGMA integrity_check") == [("ok",)]
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        process.terminate()
        await process.wait()
