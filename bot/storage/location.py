"""Where the data lives: an SQLite file (the embedded default) or a PostgreSQL database.

`ANAGEN_DATABASE` holds either; this module tells them apart once, so the rest of the code
asks `location.dialect` rather than parsing strings.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

Dialect = Literal["sqlite", "postgresql"]

# What a PostgreSQL location prints as when libpq's reading of it cannot be shown safely.
UNPARSABLE = "postgresql://(unparsable URL)"
UNPARSABLE_HELP = (
    "the connection string cannot be read as libpq reads it: percent-encode the characters "
    "@ / : ? # % in its user name and password (as %40 %2F %3A %3F %23 %25), or leave the "
    "password out of it and give it in PGPASSFILE or PGPASSWORD"
)
# The parameters a connection string may carry that are secrets.
_SECRETS = ("password", "sslpassword")
_VERIFIED_SSLMODES = ("verify-ca", "verify-full")


@dataclass(frozen=True, slots=True)
class SQLiteLocation:
    path: Path
    dialect: Dialect = "sqlite"

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """A libpq connection string: a `postgresql://` URL or `key=value` pairs. Its password
    never appears in `str` or `repr`, so a location can be named in logs and error
    messages."""

    url: str
    dialect: Dialect = "postgresql"

    def __str__(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"PostgresLocation({redact(self.url)!r})"

    def scrub(self, message: str) -> str:
        """A driver's `message` about this location, fit to print: see `scrub`."""
        return scrub(self.url, message)

    def unverified_remote_hosts(
        self, environ: Mapping[str, str] | None = None
    ) -> tuple[list[str], str] | None:
        """See `unverified_remote_hosts`."""
        return unverified_remote_hosts(self.url, os.environ if environ is None else environ)


DatabaseLocation = SQLiteLocation | PostgresLocation

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# libpq's connection keywords: a string starting `keyword=` is a key/value connection
# string, never a file name.
_LIBPQ_KEYWORDS = frozenset(
    """host hostaddr port dbname user password passfile require_auth channel_binding
    connect_timeout client_encoding options application_name fallback_application_name
    keepalives keepalives_idle keepalives_interval keepalives_count tcp_user_timeout
    replication gssencmode sslmode sslnegotiation requiressl sslcompression sslcert sslkey
    sslpassword sslcertmode sslrootcert sslcrl sslcrldir sslsni requirepeer
    ssl_min_protocol_version ssl_max_protocol_version krbsrvname gsslib gssdelegation service
    target_session_attrs load_balance_hosts""".split()  # noqa: SIM905
)
_KEYWORD_VALUE = re.compile(r"([A-Za-z_]+)\s*=")
_PORTS = re.compile(r"[0-9]*(,[0-9]*)*")
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^@/]*)@")


def parse_location(raw: str) -> DatabaseLocation:
    """`postgresql://…` (or `postgres://…`) and libpq's `host=… dbname=…` are PostgreSQL;
    `sqlite:///path` or a bare path is an SQLite file."""
    text = raw.strip()
    if text.lower().startswith(_POSTGRES_SCHEMES) or _is_keyword_value(text):
        return PostgresLocation(text)
    if text.lower().startswith("sqlite:///"):  # sqlite:///rel/path, sqlite:////abs/path
        text = text[len("sqlite:///") :]
    elif text.lower().startswith("sqlite:"):
        text = text[len("sqlite:") :]
    return SQLiteLocation(Path(text).expanduser())


def _is_keyword_value(text: str) -> bool:
    match = _KEYWORD_VALUE.match(text)
    return match is not None and match.group(1).lower() in _LIBPQ_KEYWORDS


def as_location(target: DatabaseLocation | Path | str) -> DatabaseLocation:
    if isinstance(target, SQLiteLocation | PostgresLocation):
        return target
    if isinstance(target, Path):
        return SQLiteLocation(target)
    return parse_location(target)


def _parameters(conninfo: str) -> dict[str, str] | None:
    """The connection string's parameters as libpq reads them; None when libpq cannot read
    it, or reads pieces of the user name and password into the host, port or database (an
    unescaped `/` or `@` in the password), where showing them would show the password."""
    try:
        from psycopg.conninfo import conninfo_to_dict  # psycopg only when it is used

        params = {key: str(value) for key, value in conninfo_to_dict(conninfo).items()}
    except Exception:  # psycopg.ProgrammingError, or anything else: nothing can be shown
        return None
    if not conninfo.strip().lower().startswith(_POSTGRES_SCHEMES):
        return params  # key=value pairs: libpq reads each value exactly as written
    # In a URL libpq ends the user name and password at the first `/` or `@`; the rest of an
    # unescaped password then lands in the host, port or database, where no `@` belongs.
    found = [params.get(key, "") for key in ("host", "hostaddr", "port", "dbname")]
    if any("@" in value for value in found) or not _PORTS.fullmatch(params.get("port", "")):
        return None
    return params


def redact(conninfo: str) -> str:
    """A printable form of a libpq connection string (URL or key/value): its user, host(s),
    port(s) and database only, built from what libpq reads, never its password or any other
    parameter; `UNPARSABLE` when that cannot be shown safely."""
    params = _parameters(conninfo)
    if params is None:
        return UNPARSABLE
    user, port, dbname = (params.get(key, "") for key in ("user", "port", "dbname"))
    host = params.get("host", "") or params.get("hostaddr", "")
    userinfo = f"{quote(user, safe='')}@" if user else ""
    path = f"/{quote(dbname, safe='')}" if dbname else ""
    hosts = host.split(",") if host else []
    if any(h.startswith("/") for h in hosts):  # Unix-domain socket directories
        query = f"host={host}" + (f"&port={port}" if port else "")
        return f"postgresql://{userinfo}{path or '/'}?{query}"
    bracketed = [f"[{h}]" if ":" in h else h for h in hosts]
    ports = port.split(",") if port else []
    if len(ports) > 1 and len(ports) == len(hosts):
        netloc = ",".join(f"{h}:{p}" if p else h for h, p in zip(bracketed, ports, strict=True))
    else:
        netloc = ",".join(bracketed) + (f":{port}" if port else "")
    return f"postgresql://{userinfo}{netloc}{path}"


def scrub(conninfo: str, message: str) -> str:
    """A driver's `message` about connecting with `conninfo`, without its secrets.

    libpq names what it could not use: a host that does not resolve (which, with an
    unescaped `@` in the password, holds part of it), a malformed escape (part of the
    password itself). When libpq's reading of the string cannot be shown, neither can its
    message, and the operator is told how to write the string instead."""
    params = _parameters(conninfo)
    if params is None:
        return UNPARSABLE_HELP
    secrets = {params[key] for key in _SECRETS if params.get(key)}
    if (userinfo := _URL_USERINFO.match(conninfo)) is not None and ":" in userinfo.group(1):
        secrets.add(userinfo.group(1).split(":", 1)[1])  # as written, escapes and all
    secrets |= {quote(secret, safe="") for secret in secrets}
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def unverified_remote_hosts(
    conninfo: str, environ: Mapping[str, str]
) -> tuple[list[str], str] | None:
    """The hosts off this machine that `conninfo` connects to without verifying the
    server's certificate, and the sslmode in force; None when every host is a Unix socket or
    loopback, when sslmode is verify-ca or verify-full, or when the string cannot be read.

    libpq's environment (PGHOST, PGHOSTADDR, PGSSLMODE, PGSSLROOTCERT) fills in what the
    string leaves out, as libpq does; a service file (`service=`) is not read."""
    params = _parameters(conninfo)
    if params is None:
        return None

    def setting(key: str, variable: str) -> str:
        return params.get(key) or environ.get(variable, "")

    sslmode = setting("sslmode", "PGSSLMODE")
    if params.get("requiressl") == "1" and not sslmode:
        sslmode = "require"
    if sslmode in _VERIFIED_SSLMODES or (
        not sslmode and setting("sslrootcert", "PGSSLROOTCERT") == "system"
    ):
        return None
    host, hostaddr = setting("host", "PGHOST"), setting("hostaddr", "PGHOSTADDR")
    names = host.split(",") if host else []
    addresses = hostaddr.split(",") if hostaddr else []
    remote = []
    for index in range(max(len(names), len(addresses), 1)):
        name = names[index] if index < len(names) else ""
        address = addresses[index] if index < len(addresses) else ""
        if not _is_local(address or name):  # libpq connects to hostaddr when it is given
            remote.append(name or address)
    if not remote:
        return None
    return remote, sslmode or "prefer"


def _is_local(host: str) -> bool:
    """A Unix-domain socket (a directory, or an abstract `@name`), libpq's default (a
    socket), or a loopback name or address."""
    if not host or host.startswith(("/", "@")):
        return True
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
