"""A throw-away PostgreSQL server for the tests: `initdb` in a temporary folder, `pg_ctl` on a
Unix socket inside it, nothing listening on the network, removed when stopped.

    python -m tests.pg_cluster start DIR   # prints the URL to use as ANAGEN_TEST_POSTGRES
    python -m tests.pg_cluster stop DIR

`.ci/run` starts one for the whole run; without one, the test session starts its own when
PostgreSQL is installed (`find_binaries`). Debian keeps `initdb` and `pg_ctl` in a
versioned folder rather than on PATH, and `initdb` refuses to run as root: as root, the
server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

USER = "anagen"
DATABASE = "anagen"
# Test data is thrown away: no fsync. Everything else is PostgreSQL's defaults.
TEST_OPTIONS = "-c fsync=off -c full_page_writes=off -c max_connections=200"


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`, or None when PostgreSQL is not installed."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for folder in reversed(versions):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    # From "/": the caller's folder may be one the postgres user cannot enter.
    return ["runuser", "-u", "postgres", "--", "env", "-C", "/", *command]


def _free_port() -> int:
    """A port number for the socket's name (nothing listens on TCP); any free one will do."""
    for _ in range(100):
        port = random.randint(20_000, 60_000)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port found")


def url(folder: Path, port: int, database: str = DATABASE) -> str:
    return f"postgresql://{USER}@/{database}?host={folder / 'socket'}&port={port}"


def start(folder: Path, *, options: str = TEST_OPTIONS) -> str:
    """Create and start a cluster in `folder` (created if needed, and empty); returns its URL."""
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb/pg_ctl found)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "socket").mkdir()
    if os.geteuid() == 0:
        folder.chmod(0o755)
        shutil.chown(folder, "postgres", "postgres")
        shutil.chown(folder / "socket", "postgres", "postgres")
    data = folder / "data"
    subprocess.run(
        _as_server_user(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = _free_port()
    (folder / "port").write_text(str(port))
    (folder / "options").write_text(options)
    _serve(binaries, folder)
    # PostgreSQL's own client, not psycopg: CI starts the cluster before the virtual
    # environment exists (the README's test command makes it).
    subprocess.run(
        _as_server_user(
            [
                str(binaries / "createdb"),
                "-h",
                str(folder / "socket"),
                "-p",
                str(port),
                "-U",
                USER,
                DATABASE,
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url(folder, port)


def _serve(binaries: Path, folder: Path) -> None:
    port = (folder / "port").read_text()
    options = (folder / "options").read_text()
    server_options = f"-k {folder / 'socket'} -p {port} -c listen_addresses='' {options}"
    subprocess.run(
        _as_server_user(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-o",
                server_options,
                "-l",
                str(folder / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def stop(folder: Path) -> None:
    """Stop the cluster (fast shutdown) and remove its folder."""
    binaries = find_binaries()
    data = folder / "data"
    if binaries is not None and (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
    shutil.rmtree(folder, ignore_errors=True)


def restart(folder: Path) -> None:
    """Restart the server (immediate stop: as a crash would), keeping its data and socket."""
    binaries = find_binaries()
    assert binaries is not None
    data = folder / "data"
    subprocess.run(
        _as_server_user(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _serve(binaries, folder)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    if argv[0] == "start":
        print(start(folder))
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
