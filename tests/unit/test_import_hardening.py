"""Security review F11: `anagen import-replies` on hostile or awkward files.

The file is thread content pasted by the operator, i.e. text anyone in the thread wrote:
parsing it must be linear, a file that is too large or not UTF-8 text must end with one
clear line (never a traceback), and a UTF-8 file with a byte-order mark must work."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.results import importer
from bot.results.importer import MAX_FILE_BYTES, parse_reply, split_replies

FIXTURE = Path(__file__).parents[1] / "fixtures" / "thread_replies.txt"


class _CountingPattern:
    """Stands in for `importer._LINE`, counting every scan and failing fast past a budget
    (the quadratic code would otherwise take minutes to finish failing)."""

    def __init__(self, pattern: re.Pattern[str], budget: int) -> None:
        self.pattern, self.budget, self.scans = pattern, budget, 0

    def _count(self) -> None:
        self.scans += 1
        if self.scans > self.budget:
            raise AssertionError(f"more than {self.budget} scans of the reply-line pattern")

    def match(self, *args: Any) -> Any:
        self._count()
        return self.pattern.match(*args)

    def fullmatch(self, *args: Any) -> Any:
        self._count()
        return self.pattern.fullmatch(*args)

    def search(self, *args: Any) -> Any:
        self._count()
        return self.pattern.search(*args)


@pytest.mark.parametrize(
    "text",
    [
        "age:\n" * 8000,  # the review's input: no line ever matches, each "age:" rescanned all
        "age:\n" * 8000 + "Pain: burning on the crown\n",
        "Age: 30\nPain: burning\n" * 4000,  # 4,000 real replies
        ("age -\n" * 100 + "Itch: yes\n") * 80,
    ],
)
def test_splitting_scans_each_line_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    lines = text.count("\n")
    counter = _CountingPattern(importer._LINE, budget=2 * lines + 2)
    monkeypatch.setattr(importer, "_LINE", counter)
    blocks = split_replies(text)
    assert counter.scans <= 2 * lines + 2
    if text.startswith("Age: 30"):
        assert len(blocks) == 4000
    monkeypatch.undo()
    for block in blocks[:50]:  # and what was split still parses
        parse_reply(block)


@pytest.mark.timeout(30)  # secondary guard: the lazy `(.+?)\s*$` took minutes on this
def test_a_value_full_of_blanks_parses_at_once() -> None:
    for blanks in (" " * 200_000, " \t" * 100_000):
        replies = [parse_reply(b) for b in split_replies(f"Age: 30\nPain: a{blanks}b\n")]
        assert len(replies) == 1
        assert replies[0].answers[("age", "")].number == 30
        assert any(line.startswith("Pain:") for line in replies[0].unmapped + replies[0].mapped)


def _split_before(text: str) -> list[str]:
    """The splitting rule as it was (quadratic), for comparison on small inputs."""
    line_re = re.compile(r"^\s*([A-Za-z][A-Za-z /]{1,30}?)\s*[:\-–]\s*(.+?)\s*$")
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if re.match(r"^\s*age\s*[:\-–]", line, re.IGNORECASE) and any(
            line_re.match(previous) for previous in current
        ):
            blocks.append("\n".join(current))
            current = []
        current.append(line)
    blocks.append("\n".join(current))
    return [b.strip() for b in blocks if any(line_re.match(line) for line in b.splitlines())]


def test_replies_are_split_as_before() -> None:
    assert split_replies(FIXTURE.read_text("utf-8")) == _split_before(FIXTURE.read_text("utf-8"))
    vocabulary = [
        "Age: 18", "age:", "AGE - 40", "  age: 22", "Balding: NW 3", "Pain: none", "",
        "Itch: yes, on the crown", "hello there", "Dandruff: no", "Shedding: a lot lately",
        "x: y", "Age 30", "Norwood: 2", "   ", "--", "Sides/back: itchy",
    ]  # fmt: skip
    rng = random.Random(11)
    for _ in range(500):
        text = "\n".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 14)))
        assert split_replies(text) == _split_before(text), text


def test_the_seed_thread_parses_as_before() -> None:
    first, second = [parse_reply(b) for b in split_replies(FIXTURE.read_text("utf-8"))]
    assert first.answers[("age", "")].number == 18
    assert first.answers[("norwood", "")].choices == ("nw2",)
    assert second.answers[("age", "")].number == 19
    assert ("shedding", "") not in second.answers


# -- the command line ------------------------------------------------------------------------


def _anagen(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANAGEN_", "DISCORD_"))}
    env["ANAGEN_DATABASE"] = str(tmp_path / "anagen.db")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("anagen: ")
    return lines[0]


@pytest.mark.parametrize(
    ("encoding", "hint"),
    [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("cp1252", "UTF-8")],
)
def test_a_file_that_is_not_utf8_ends_with_one_clear_line(
    tmp_path: Path, encoding: str, hint: str
) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_bytes(FIXTURE.read_text("utf-8").replace("Age", "Âge").encode(encoding))
    result = _anagen(tmp_path, "import-replies", str(replies), "--guild", "1", "--dry-run")
    line = _one_error_line(result)
    assert str(replies) in line
    assert hint in line
    assert "save it as UTF-8" in line


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    replies = tmp_path / "replies.txt"
    block = FIXTURE.read_bytes()
    replies.write_bytes(block * (MAX_FILE_BYTES // len(block) + 1))
    result = _anagen(tmp_path, "import-replies", str(replies), "--guild", "1", "--dry-run")
    line = _one_error_line(result)
    assert "larger than 2 MiB" in line
    assert result.stdout == ""


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_bytes(FIXTURE.read_text("utf-8").encode("utf-8-sig"))
    result = _anagen(tmp_path, "import-replies", str(replies), "--guild", "1", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "mapped      Age: '18' -> age = 18" in result.stdout
    assert "2 replies read" in result.stdout


def test_a_missing_file_ends_with_one_clear_line(tmp_path: Path) -> None:
    result = _anagen(tmp_path, "import-replies", str(tmp_path / "nope.txt"), "--guild", "1")
    assert "nope.txt" in _one_error_line(result)


# -- issue 21: importing a file again stores only what is new ----------------------------------


def test_importing_the_same_replies_twice_stores_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import sqlite3

    from bot.cli import main
    from bot.storage import Database

    async def create(path: Path) -> None:
        async with await Database.open(path):
            pass

    database = tmp_path / "anagen.db"
    asyncio.run(create(database))
    monkeypatch.setenv("ANAGEN_DATABASE", str(database))
    monkeypatch.chdir(tmp_path)
    replies = tmp_path / "replies.txt"
    replies.write_text(FIXTURE.read_text("utf-8"))  # two replies
    argv = ["--env-file", os.devnull, "import-replies", str(replies), "--guild", "7"]

    assert main([*argv, "--new-server"]) == 0
    assert "Stored 2 imported responses for server 7" in capsys.readouterr().out

    # the natural workflow: new replies appended to the file, imported again
    replies.write_text(FIXTURE.read_text("utf-8") + "\nAge: 41\nItch: no\nShedding: a lot\n")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Skipped reply 1, 2: already imported for server 7 (the same text)." in out
    assert "Stored 1 imported responses for server 7" in out
    assert main(argv) == 0
    assert "Stored 0 imported responses" in capsys.readouterr().out

    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM imported_replies").fetchone() == (3,)
        assert conn.execute("SELECT count(*) FROM responses WHERE imported = 1").fetchone() == (3,)
    conn.close()
