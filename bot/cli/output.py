"""How the CLI speaks: colour only for a person at a terminal, plain text in pipes, logs and
cron, JSON for scripts that ask for it, one `anagen:` line on stderr for an error, and the
exit codes every command returns."""

from __future__ import annotations

import json
import os
import sys
from typing import IO

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl+C

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def colour_on(stream: IO[str]) -> bool:
    """Colour for a person at a terminal; never in a pipe, a file or a log, nor when they
    asked for none (NO_COLOR, https://no-color.org) or the terminal cannot show it."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, colour: str, stream: IO[str] | None = None) -> str:
    """`text` in `colour` when `stream` (stdout by default) is a terminal."""
    if not colour_on(stream or sys.stdout):
        return text
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def can_print(text: str, stream: IO[str]) -> bool:
    """Whether `stream` can encode `text` (a badge's ⚠ on a Latin-1 console cannot)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def error(message: str) -> None:
    print(f"{paint('anagen:', 'red', sys.stderr)} {message}", file=sys.stderr)


def print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def language_of(code: str) -> str | None:
    """The language `--locale` names, or None after saying which ones Anagen speaks."""
    from bot.i18n import LANGUAGES, known

    language = known(code)
    if language is None:
        codes = ", ".join(lang.code for lang in LANGUAGES)
        error(f"--locale {code}: not a language Anagen speaks ({codes})")
    return language
