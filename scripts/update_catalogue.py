"""Refresh the message catalogues after changing what Anagen says.

    .venv/bin/python scripts/update_catalogue.py            # template and every language
    .venv/bin/python scripts/update_catalogue.py --add it   # start a new language

Extracts every `_()`, `N_()`, `ngettext()` and `pgettext()` message of bot/ and cogs/ into
`bot/i18n/locales/anagen.pot`, then merges it into each language's `.po`: new messages
arrive untranslated, changed ones are marked fuzzy (shown in English until a translator
checks them), removed ones are dropped. The test suite fails while a shipped language has
an untranslated or fuzzy message, or while the template is behind the code."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "i18n" / "locales"
TEMPLATE = LOCALES / "anagen.pot"
KEYWORDS = ("-k", "N_", "-k", "pgettext:1c,2")


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract() -> None:
    pybabel(
        "extract",
        "-F",
        str(ROOT / "bot" / "i18n" / "babel.cfg"),
        *KEYWORDS,
        "--add-comments=Translators:",
        "--sort-by-file",
        "--no-wrap",
        "--project=Anagen",
        "--copyright-holder=The Anagen contributors",
        "-o",
        str(TEMPLATE),
        "bot",
        "cogs",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--add", metavar="LANGUAGE", help="start a catalogue for LANGUAGE")
    args = parser.parse_args()
    extract()
    if args.add:
        pybabel("init", "-D", "anagen", "-i", str(TEMPLATE), "-d", str(LOCALES), "-l", args.add)
    if any(LOCALES.glob("*/LC_MESSAGES/anagen.po")):
        pybabel(
            "update",
            "-D",
            "anagen",
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES),
            "--no-wrap",
            "--ignore-obsolete",
        )


if __name__ == "__main__":
    main()
