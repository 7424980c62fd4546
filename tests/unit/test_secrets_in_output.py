"""The PostgreSQL password never shows, whatever spelling of the connection string carries
it (security review F2), and `anagen check` warns of a remote PostgreSQL reached without a
verified TLS connection (F12)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from bot.storage import Database, StorageError
from bot.storage.location import PostgresLocation, parse_location, redact

GOOD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
# Nothing listens on port 1 of the loopback address: the connection is refused at once.
SERVER = "127.0.0.1:1"
SHOWN = "postgresql://anagen@127.0.0.1:1/anagen"
UNPARSABLE = "postgresql://(unparsable URL)"
# Each spelling of a password in a connection string, with a marker ("Zq8") found only in
# the password, and the printable form expected. A URL whose unescaped `/` or `@` libpq
# reads as part of the host, port or database is not shown at all: each of those would hold
# a piece of the password.
FORMS = {
    "userinfo": (f"postgresql://anagen:Zq8word@{SERVER}/anagen", SHOWN),
    "postgres scheme": (f"postgres://anagen:Zq8word@{SERVER}/anagen", SHOWN),
    "query parameter": (f"postgresql://anagen@{SERVER}/anagen?password=Zq8word", SHOWN),
    "query after others": (
        f"postgresql://anagen@{SERVER}/anagen?connect_timeout=3&password=Zq8word",
        SHOWN,
    ),
    "key/value": ("host=127.0.0.1 port=1 dbname=anagen user=anagen password=Zq8word", SHOWN),
    "key/value quoted": (
        "host=127.0.0.1 port=1 dbname=anagen user=anagen password='pa ss#Zq8'",
        SHOWN,
    ),
    "hash": (f"postgresql://anagen:pa#Zq8@{SERVER}/anagen", SHOWN),
    "question mark": (f"postgresql://anagen:pa?Zq8@{SERVER}/anagen", SHOWN),
    "slash": (f"postgresql://anagen:pa/Zq8@{SERVER}/anagen", UNPARSABLE),
    "digits then slash": (f"postgresql://anagen:123/Zq8@{SERVER}/anagen", UNPARSABLE),
    "at sign": (f"postgresql://anagen:pa@Zq8@{SERVER}/anagen", UNPARSABLE),
    "percent escapes": (f"postgresql://anagen:pa%40Zq8%2F%23x@{SERVER}/anagen", SHOWN),
    "bad percent escape": (f"postgresql://anagen:Zq8%zz@{SERVER}/anagen", UNPARSABLE),
    "client key passphrase": (f"postgresql://anagen@{SERVER}/anagen?sslpassword=Zq8word", SHOWN),
}
MARKERS = ("Zq8", "Zq8word", "%40Zq8", "pa@Zq8", "pa/Zq8")


def _assert_secret_free(text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, text


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DISCORD_TOKEN",
        "ANAGEN_DATABASE",
        "ANAGEN_LOG_LEVEL",
        "ANAGEN_DEV_GUILD_ID",
        "ANAGEN_SHARDS",
        "ANAGEN_SHARD_COUNT",
        "PGHOST",
        "PGHOSTADDR",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGPASSWORD",
        "PGSERVICE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("form", FORMS)
def test_redact_str_and_repr_hide_the_password(form: str) -> None:
    url, shown = FORMS[form]
    location = parse_location(url)
    assert isinstance(location, PostgresLocation)
    assert location.url == url  # the connection itself is given the string as written
    assert redact(url) == shown
    assert str(location) == shown
    assert f"{location}" == shown
    assert repr(location) == f"PostgresLocation({shown!r})"
    for text in (redact(url), str(location), repr(location)):
        _assert_secret_free(text)


@pytest.mark.parametrize("form", FORMS)
def test_the_settings_repr_hides_the_password(form: str) -> None:
    url, shown = FORMS[form]
    settings = Settings(token=None, database=parse_location(url))
    assert isinstance(settings.database, PostgresLocation)
    assert settings.database.url == url
    assert shown in repr(settings)
    _assert_secret_free(repr(settings))
    _assert_secret_free(str(settings))


@pytest.mark.parametrize("form", FORMS)
def test_check_never_prints_the_password(
    form: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, shown = FORMS[form]
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", url)
    caplog.set_level(logging.DEBUG)

    assert main(["--env-file", "/dev/null", "check"]) == 1

    captured = capsys.readouterr()
    _assert_secret_free(captured.out + captured.err)
    _assert_secret_free(caplog.text)
    [problem] = [line for line in captured.out.splitlines() if line.startswith("PROBLEM")]
    assert problem.startswith(f"PROBLEM  database: cannot connect to PostgreSQL at {shown}")
    if shown == UNPARSABLE:  # the operator is told what to fix, without the driver's words
        assert "percent-encode" in problem


@pytest.mark.parametrize("form", FORMS)
async def test_a_connection_error_and_its_traceback_never_hold_the_password(form: str) -> None:
    """What the bot logs when it cannot connect at start or on a reconnect: the error, its
    cause and the traceback, as `log.exception` writes them."""
    url, shown = FORMS[form]
    with pytest.raises(StorageError) as caught:
        await Database.open(url, readonly=True, migrate=False)
    assert str(caught.value).startswith(f"cannot connect to PostgreSQL at {shown}: ")
    _assert_secret_free("".join(traceback.format_exception(caught.value)))


def test_several_hosts_and_sockets_are_shown_without_the_password() -> None:
    assert (
        redact("postgresql://anagen:Zq8word@db1:5433,[::1]:5434/anagen")
        == "postgresql://anagen@db1:5433,[::1]:5434/anagen"
    )
    assert (
        redact("postgresql:///anagen?host=/run/postgresql&password=Zq8word")
        == "postgresql:///anagen?host=/run/postgresql"
    )
    assert redact("postgresql://") == "postgresql://"


# -- F12: TLS for a remote server -------------------------------------------------------------

REMOTE = "db.example.invalid"  # never resolves (RFC 6761): the check fails fast, offline


def _warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("WARNING")]


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://anagen:Zq8word@{REMOTE}/anagen",
        f"postgresql://anagen@{REMOTE}/anagen?sslmode=require",
        f"postgresql://anagen@{REMOTE}/anagen?sslmode=prefer",
        f"host={REMOTE} dbname=anagen sslmode=disable",
        f"postgresql://anagen@127.0.0.1:1,{REMOTE}/anagen?sslmode=require",
        "postgresql://anagen@192.0.2.7:1/anagen",
    ],
)
def test_check_warns_of_a_remote_server_without_verified_tls(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.storage.postgres.CONNECT_TIMEOUT_S", 2)
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", url)
    main(["--env-file", "/dev/null", "check"])  # cannot connect: a problem, and the warning
    [warning] = _warnings(capsys)
    assert "sslmode=verify-full" in warning
    assert "not verified" in warning
    _assert_secret_free(warning)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://anagen@{REMOTE}/anagen?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        f"postgresql://anagen@{REMOTE}/anagen?sslmode=verify-ca",
        f"postgresql://anagen@{REMOTE}/anagen?sslrootcert=system",
        f"host={REMOTE} dbname=anagen sslmode=verify-full",
        "postgresql://anagen@127.0.0.1:1/anagen",
        "postgresql://anagen@localhost:1/anagen",
        "postgresql://anagen@[::1]:1/anagen",
        "postgresql:///anagen?host=/nonexistent/socket/dir",
        "postgresql:///anagen",
        f"postgresql://anagen@{REMOTE}:1/anagen?hostaddr=127.0.0.1",
    ],
)
def test_check_does_not_warn_of_a_local_or_verified_server(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.storage.postgres.CONNECT_TIMEOUT_S", 2)
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", url)
    main(["--env-file", "/dev/null", "check"])
    assert _warnings(capsys) == []


def test_the_tls_warning_follows_the_libpq_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.storage.postgres.CONNECT_TIMEOUT_S", 2)
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", f"postgresql://anagen@{REMOTE}/anagen")
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    main(["--env-file", "/dev/null", "check"])
    assert _warnings(capsys) == []
    monkeypatch.setenv("ANAGEN_DATABASE", "postgresql:///anagen")
    monkeypatch.setenv("PGSSLMODE", "require")
    monkeypatch.setenv("PGHOST", REMOTE)
    main(["--env-file", "/dev/null", "check"])
    assert len(_warnings(capsys)) == 1


def test_a_tls_warning_does_not_fail_the_check() -> None:
    from bot.checks import CheckReport

    report = CheckReport(passed=["database: reachable"], warnings=["database: not verified"])
    assert report.ok
