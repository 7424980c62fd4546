"""The operator's command line, run as an operator would run it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

GOOD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
VARIABLES = (
    "DISCORD_TOKEN",
    "ANAGEN_DATABASE",
    "ANAGEN_DEV_GUILD_ID",
    "ANAGEN_LOG_LEVEL",
    "ANAGEN_OWNER_IDS",
    "ANAGEN_SOURCE_URL",
    "ANAGEN_SHARDS",
    "ANAGEN_SHARD_COUNT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run_anagen(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **(env or {})},
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_run_without_token_explains_how_to_get_one_and_exits_2() -> None:
    result = run_anagen("run")
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "developers/applications" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help_on_every_command() -> None:
    assert run_anagen("--version").stdout.startswith("anagen ")
    for command in (
        [],
        ["run"],
        ["check"],
        ["sync"],
        ["preview"],
        ["kb"],
        ["kb", "check"],
        ["kb", "search"],
        ["export"],
        ["report"],
        ["import-replies"],
        ["db"],
        ["db", "backup"],
        ["guilds"],
        ["checkins", "log"],
        ["erase"],
    ):
        result = run_anagen(*command, "--help")
        assert result.returncode == 0, command
        assert "usage: anagen" in result.stdout


def test_check_reports_each_problem_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    corrupt = tmp_path / "broken.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-token")
    monkeypatch.setenv("ANAGEN_DEV_GUILD_ID", "my-server")
    monkeypatch.setenv("ANAGEN_DATABASE", str(corrupt))

    assert main(["check"]) == 1

    problems = [line for line in capsys.readouterr().out.splitlines() if line.startswith("PROBLEM")]
    assert len(problems) == 3
    assert any("DISCORD_TOKEN" in p and "Reset Token" in p for p in problems)
    assert any("ANAGEN_DEV_GUILD_ID='my-server'" in p for p in problems)
    assert any(str(corrupt) in p and "backup" in p for p in problems)


def test_check_passes_on_a_good_installation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    assert main(["check"]) == 0
    assert "All checks passed." in capsys.readouterr().out


def test_the_token_never_shows_in_a_repr_or_a_check(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.settings import load_settings

    settings = load_settings({"DISCORD_TOKEN": GOOD_TOKEN})
    assert settings.token == GOOD_TOKEN
    for shown in (repr(settings), str(settings), f"{settings!r}", f"{settings}"):
        assert GOOD_TOKEN not in shown
        assert "GaBcDe" not in shown
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_LOG_LEVEL", "DEBUG")
    assert main(["check"]) == 0
    captured = capsys.readouterr()
    assert "GaBcDe" not in captured.out + captured.err


def test_settings_come_from_the_env_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("DISCORD_TOKEN=nope\nANAGEN_LOG_LEVEL=loud\n")
    assert main(["--env-file", str(env_file), "check"]) == 1
    out = capsys.readouterr().out
    assert "DISCORD_TOKEN does not look like a bot token" in out
    assert "ANAGEN_LOG_LEVEL='LOUD'" in out


def test_unwritable_database_folder_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", str(tmp_path / "missing" / "anagen.db"))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ANAGEN_DATABASE" in err
    assert "does not exist" in err


def test_foreign_database_is_refused_not_reset(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.close()
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", str(foreign))

    assert main(["check"]) == 1
    assert "belongs to another application" in capsys.readouterr().out
    with sqlite3.connect(foreign) as conn:
        assert conn.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
    conn.close()


def test_backup_refuses_to_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import asyncio

    from bot.storage import Database

    async def create() -> None:
        async with await Database.open(tmp_path / "anagen.db"):
            pass

    asyncio.run(create())  # the bot's database, in the folder anagen runs in
    target = tmp_path / "copy.db"
    target.write_text("precious")
    assert main(["db", "backup", str(target)]) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "precious"


def test_check_rejects_a_broken_knowledge_base(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "kb.toml"
    broken.write_text(
        "schema = 1\n"
        '[[treatment]]\nid = "a"\nname = "A"\naliases = ["same"]\ncategory = "procedures"\n'
        'summary = "A thing."\nrelated = ["nowhere"]\n'
        '[[treatment.fact]]\ntopic = "what"\ntext = "Unsourced claim."\nsources = []\n'
        "as_of = 2026-01-01\n"
        '[[treatment]]\nid = "b"\nname = "B"\naliases = ["same"]\ncategory = "procedures"\n'
        'summary = "Another."\nrelated = []\n'
    )
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_KNOWLEDGE_BASE", str(broken))

    assert main(["check"]) == 1
    problem = next(
        line
        for line in capsys.readouterr().out.splitlines()
        if "knowledge base" in line and "PROBLEM" in line
    )
    assert "no source" in problem
    assert main(["kb", "check"]) == 1  # lists every problem, one line each
    out = capsys.readouterr().out
    assert "nowhere" in out  # the unknown related entry
    assert "'same'" in out  # the duplicate alias
    assert "no source" in out


# -- shards (issue 13) ------------------------------------------------------------------------


def test_run_help_explains_the_shard_flags() -> None:
    result = run_anagen("run", "--help")
    assert result.returncode == 0
    help_text = " ".join(result.stdout.split())
    assert "--shards IDS" in help_text
    assert "a range such as 0-3, a list such as 0,2,5" in help_text
    assert "--shard-count N" in help_text
    assert "across all its processes" in help_text
    assert "PostgreSQL" in help_text


def test_run_refuses_to_split_shards_over_an_sqlite_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    assert main(["run", "--shards", "0-3", "--shard-count", "8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("anagen: --shards=0-3 of --shard-count=8 leaves the other shards")
    assert "SQLite file, which serves one process only" in err
    assert "ANAGEN_DATABASE=postgresql://" in err
    assert "Running at scale" in err


def test_shard_variables_are_checked_like_the_others(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_SHARDS", "4")
    monkeypatch.setenv("ANAGEN_SHARD_COUNT", "8")

    assert main(["check"]) == 1
    [problem] = [line for line in capsys.readouterr().out.splitlines() if "PROBLEM" in line]
    assert "ANAGEN_SHARDS=4 of ANAGEN_SHARD_COUNT=8" in problem
    assert main(["run"]) == 2
    assert "ANAGEN_SHARDS=4 of ANAGEN_SHARD_COUNT=8" in capsys.readouterr().err


def test_run_flags_override_the_shard_variables(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_SHARDS", "0")
    monkeypatch.setenv("ANAGEN_SHARD_COUNT", "1")

    assert main(["run", "--shard-count", "0"]) == 2
    assert "anagen: --shard-count='0' is not a number of shards" in capsys.readouterr().err
    assert main(["run", "--shards", "2"]) == 2
    assert "--shards='2': shard 2 does not exist with ANAGEN_SHARD_COUNT=1" in (
        capsys.readouterr().err
    )


def test_check_names_untranslated_and_extra_keys_of_a_translation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A questionnaire of one's own, with a German file beside it that lacks a text (a
    warning: it stays English) and names a question that does not exist (a problem: its
    text would never show)."""
    bundled = Path(__file__).resolve().parents[2] / "bot/survey/questionnaires/scalp-v2.toml"
    mine = tmp_path / "mine.toml"
    mine.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    german = tmp_path / "locales" / "de"
    german.mkdir(parents=True)
    text = (bundled.parent / "locales/de/scalp-v2.toml").read_text(encoding="utf-8")
    text = text.replace(
        "\n[questions.age]\n", '\n[questions.agee]\nprompt = "Alter?"\n\n[questions.age]\n'
    )
    text = text.replace('help = "Gib dein Alter', 'hilfe = "Gib dein Alter')
    (german / "mine.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_QUESTIONNAIRE", str(mine))

    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "'questions.agee.prompt' is not in the questionnaire" in out
    assert "'questions.age.hilfe' is not in the questionnaire" in out
    assert "1 texts untranslated (shown in English): questions.age.help" in out
    assert "translated into de" in out
