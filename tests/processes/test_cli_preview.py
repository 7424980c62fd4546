"""Issue 21: `anagen preview` shows the consent message members read first, speaks plain
text (no Discord markdown, no button a terminal does not have), and stops at the first
Ctrl+C with a non-zero status and one line. The command line as a moderator runs it."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.unit.test_cli import VARIABLES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*VARIABLES, "ANAGEN_QUESTIONNAIRE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def preview(monkeypatch: pytest.MonkeyPatch, typed: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    return main(["--env-file", os.devnull, "preview"])


def test_the_consent_message_comes_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview(monkeypatch, "") == 0  # Ctrl+D at the first question
    out = capsys.readouterr().out
    consent = out.index("What is stored:")
    assert out.index("Who sees what:") > consent
    assert out.index("/survey delete") > consent
    assert out.index("How old are you?") > consent  # then the first question
    assert "Start the survey" in out  # what a member answers it with, said as such
    assert "**" not in out
    assert "`" not in out
    assert "0 answers given; nothing was kept." in out


def test_pause_prints_plain_text_and_no_button(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preview(monkeypatch, "30\npause\n") == 0
    out = capsys.readouterr().out
    paused = out[out.index("Paused.") :]
    assert "**" not in paused
    assert "`" not in paused
    assert "Continue" not in paused
    assert "button" not in paused.lower()
    assert "This preview keeps nothing." in paused
    assert "1 answer given; nothing was kept." in paused


async def test_the_first_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--env-file",
        os.devnull,
        "preview",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,  # open: the preview waits for an answer
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        await asyncio.wait_for(process.stdout.readuntil(b"your answer: "), timeout=60)
        process.send_signal(signal.SIGINT)  # what Ctrl+C sends
        status = await asyncio.wait_for(process.wait(), timeout=10)  # not at the next Enter
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    err = (await process.stderr.read()).decode()
    assert status == 130  # 128 + SIGINT, as a shell reports an interrupted command
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()] == [
        "anagen: preview stopped (Ctrl+C); nothing was kept."
    ]


def test_preview_in_another_language_reads_and_understands_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--locale de`: the consent, the questions and the replies in German, and a reply
    typed in German words understood (a number written out, the word for back)."""
    monkeypatch.setattr("sys.stdin", io.StringIO("vierunddreißig\n1\nzurück\n"))
    assert main(["--env-file", os.devnull, "preview", "--locale", "de"]) == 0
    out = capsys.readouterr().out
    assert "Was gespeichert wird:" in out
    assert "Wie alt bist du?" in out
    assert "Verstanden: Wie alt bist du? → 34" in out
    assert "Welches Geschlecht hast du?" in out
    assert "How old are you?" not in out
    assert out.count("] Welches Geschlecht hast du?") == 2  # "zurück" went back to it


def test_an_unknown_locale_is_refused_with_the_languages_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--env-file", os.devnull, "preview", "--locale", "xx"]) != 0
    assert "es, pt_BR, de, fr, tr" in capsys.readouterr().err
