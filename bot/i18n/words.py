"""The words a typed reply may use in each language: navigation ("zurück"), the "and" of a
list ("vorne und oben"), the filler around a number ("tengo 27 años") and numbers written
as words ("veintisiete"). English always works too, whatever the member's language.

Each language has a TOML file in `bot/i18n/words/`; words are compared after the same
normalisation as replies (casefolded, accents and punctuation removed)."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.i18n.languages import SOURCE

FOLDER = Path(__file__).with_name("words")
COMMANDS = ("back", "skip", "pause")


# Turkish dotless i has no accent to strip, so members typing without Turkish letters
# write "kasinti" for the word with two of them.
_DOTLESS_I = "\u0131"


def plain(text: str) -> str:
    """Casefolded, accent-free, punctuation-free words; control and zero-width characters
    removed. Typed replies and the words they are matched against are compared this way."""
    text = unicodedata.normalize("NFKD", text.replace(_DOTLESS_I, "i"))
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category.startswith("M") or category in ("Cf", "Cc", "Co", "Cs"):
            continue
        kept.append(char if category[0] in "LN" else " ")
    return " ".join("".join(kept).casefold().split())


@dataclass(frozen=True, slots=True)
class Words:
    commands: dict[str, str]  # word -> "back" | "skip" | "pause"
    conjunctions: frozenset[str]  # "and" between the parts of a list
    filler: frozenset[str]  # words allowed around a number ("years", "old", "about")
    numbers: dict[str, int]  # "twenty seven" -> 27; "twenty" -> 20
    connectors: frozenset[str]  # between tens and units ("y" in "treinta y dos")
    done: frozenset[str] = frozenset()  # "done" at the summary: submit the answers

    def number(self, reply: str) -> int | None:
        """The number a reply writes in words, if it is one: a listed phrase, or a tens word
        followed by a units word ("treinta y dos", "otuz iki", "trente deux")."""
        words = [w for w in plain(reply).split() if w not in self.filler]
        if not words:
            return None
        phrase = " ".join(words)
        if phrase in self.numbers:
            return self.numbers[phrase]
        parts = [w for w in words if w not in self.connectors]
        if len(parts) == 2 and all(p in self.numbers for p in parts):
            tens, units = self.numbers[parts[0]], self.numbers[parts[1]]
            if tens >= 20 and tens % 10 == 0 and 0 < units < 10:
                return tens + units
        return None


def _read(language: str) -> dict[str, object]:
    path = FOLDER / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _list(raw: dict[str, object], key: str) -> list[str]:
    value = raw.get(key, [])
    return [plain(str(v)) for v in value] if isinstance(value, list) else []


@cache
def words_for(language: str) -> Words:
    """The words of `language`, together with English's."""
    tables = [_read(SOURCE)] + ([_read(language)] if language != SOURCE else [])
    commands: dict[str, str] = {}
    conjunctions: set[str] = set()
    filler: set[str] = set()
    numbers: dict[str, int] = {}
    connectors: set[str] = set()
    done: set[str] = set()
    for raw in tables:
        for command in COMMANDS:
            commands |= dict.fromkeys(_list(raw, command), command)
        conjunctions |= set(_list(raw, "and"))
        filler |= set(_list(raw, "filler"))
        connectors |= set(_list(raw, "connectors"))
        done |= set(_list(raw, "done"))
        table = raw.get("numbers", {})
        if isinstance(table, dict):
            numbers |= {plain(k): int(v) for k, v in table.items()}
    return Words(
        commands,
        frozenset(conjunctions),
        frozenset(filler),
        numbers,
        frozenset(connectors),
        frozenset(done),
    )
