"""`anagen import-replies`: answers people wrote in the thread's free-text format.

    Age: 18
    Balding: receding at both temples (about NW 2.5)
    Pain: a burning feeling on the crown now and then
    Itch: terrible itching around the temples lately
    Shedding: as far as I can tell I don't shed that many hairs
    Dandruff: Yes, mainly at the front

Each line is mapped by plain keyword rules to questionnaire ids where the meaning is
clear, and reported as not mapped where it is not (past tense, vague wording). The
original text is kept with the imported response for admin exports.

The file is text anyone in the thread wrote, so reading it is bounded: at most
`MAX_FILE_BYTES`, UTF-8 only (a one-line `ImportFileError` otherwise), and parsing is
linear in its size (each line is matched once, by patterns that cannot backtrack over it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.survey.flow import Answer, AnswerKey

MAX_FILE_BYTES = 2 * 1024 * 1024  # thousands of replies; a thread's replies are far smaller
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Matched in full against a stripped line: after the separator nothing can backtrack (the
# former lazy `(.+?)\s*$` was quadratic in the blanks inside a value).
_LINE = re.compile(r"([A-Za-z][A-Za-z /]{1,30}?)\s*[:\-–]\s*(.+)")
_AGE = re.compile(r"\s*age\s*[:\-–]", re.IGNORECASE)
_PAST = re.compile(r"\b(years? ago|used to|before i|before|in the past|back then|was shedding)\b")
_NEGATIVE = re.compile(r"\b(no|none|never|not really|don'?t|do not|nothing)\b")
_NORWOOD = re.compile(r"\b(?:nw|norwood)\s*(\d(?:\.\d)?)\s*(a|v|vertex)?\b")
_AREAS = (
    ("hairline", r"temple|hairline|forelock|front|corner"),
    ("crown", r"crown|vertex"),
    ("mid", r"mid[- ]?scalp|middle"),
    ("diffuse", r"diffuse|all over|everywhere"),
)
_SENSATION_AREAS = (
    ("front", r"temple|hairline|forelock|front|corner"),
    ("crown", r"crown|vertex"),
    ("mid", r"mid[- ]?scalp|middle"),
    ("sides_back", r"sides?|back of"),
)


@dataclass
class ImportedReply:
    original: str
    answers: dict[AnswerKey, Answer] = field(default_factory=dict)
    mapped: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


class ImportFileError(ValueError):
    """A replies file that cannot be read as text; the message is one line for the operator."""


def read_replies_file(path: Path) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), at most `MAX_FILE_BYTES`."""
    with path.open("rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)  # never more, whatever the file's size
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; "
            "split it into smaller files and import them one at a time."
        )
    # Notepad's "Unicode" is UTF-16: a byte-order mark, or a zero byte in every other one.
    utf16 = data.startswith(_UTF16_BOMS) or data.count(0) > len(data) // 4
    what = "UTF-16 text (what Notepad calls Unicode), not UTF-8" if utf16 else "not UTF-8 text"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        where = "" if utf16 else f" (byte {exc.start} is not valid UTF-8)"
        raise ImportFileError(
            f"{path} is {what}{where}; save it as UTF-8 and run the command again."
        ) from None
    if "\x00" in text:
        raise ImportFileError(
            f"{path} is {what} (it has zero bytes); save it as UTF-8 and run the command again."
        )
    return text


def _reply_line(line: str) -> re.Match[str] | None:
    """A "Key: value" line, key and value without surrounding blanks; None otherwise."""
    return _LINE.fullmatch(line.strip())


def split_replies(text: str) -> list[str]:
    """Replies start at an "Age:" line (the thread's format); otherwise the file is one.

    Linear in the text: each line is matched once, and the reply being read remembers
    whether it has a "Key: value" line yet (an "Age:" line starts a new one only then)."""
    blocks: list[str] = []
    current: list[str] = []
    has_line = False
    for line in text.splitlines():
        if has_line and _AGE.match(line):
            blocks.append("\n".join(current).strip())
            current, has_line = [], False
        current.append(line)
        has_line = has_line or _reply_line(line) is not None
    if has_line:
        blocks.append("\n".join(current).strip())
    return blocks


def _found(pairs: tuple[tuple[str, str], ...], value: str) -> list[str]:
    return [choice for choice, pattern in pairs if re.search(pattern, value)]


def parse_reply(text: str) -> ImportedReply:
    reply = ImportedReply(text)
    sensations: list[str] = []
    sensation_areas: list[str] = []
    for line in text.splitlines():
        match = _reply_line(line)
        if match is None:
            continue
        key, value = match[1].strip().lower(), match[2].strip()
        low = value.lower().replace("\u2019", "'")

        def take(
            question: str, answer: Answer, what: str, *, key: str = key, value: str = value
        ) -> None:
            reply.answers[(question, "")] = answer
            reply.mapped.append(f"{key.title()}: {value!r} -> {question} = {what}")

        def skip(reason: str, *, key: str = key, value: str = value) -> None:
            reply.unmapped.append(f"{key.title()}: {value!r} ({reason})")

        if key == "age":
            numbers = re.findall(r"\d+", value)
            if len(numbers) == 1 and 13 <= int(numbers[0]) <= 100:
                take("age", Answer(number=int(numbers[0])), numbers[0])
            else:
                skip("no single age from 13 to 100")
        elif key in ("balding", "stage", "norwood", "hair loss"):
            stage = _NORWOOD.search(low)
            if stage:
                level = float(stage[1])
                base = int(level)  # half stages ("NW 2.5") are rounded down
                suffix = {"a": "a", "v": "v", "vertex": "v"}.get(stage[2] or "", "")
                choice = f"nw{base}{suffix}" if 1 <= base <= 7 else None
                if choice in {f"nw{i}" for i in range(1, 8)} | {
                    "nw2a",
                    "nw3a",
                    "nw3v",
                    "nw4a",
                    "nw5a",
                }:
                    note = " (half stage rounded down)" if level != base else ""
                    take("norwood", Answer(choices=(choice,)), f"{choice}{note}")
                    take("pattern", Answer(choices=("pattern",)), "pattern (a Norwood stage)")
                else:
                    skip("Norwood stage out of range")
            else:
                skip("no Norwood stage given")
            if areas := _found(_AREAS, low):
                take("areas", Answer(choices=tuple(areas)), ", ".join(areas))
        elif key in ("pain", "burning", "itch", "itching"):
            if _PAST.search(low):
                skip("describes the past, the survey asks about the past month")
                continue
            if _NEGATIVE.search(low) and not re.search(r"itch|burn|pain|sore", low):
                reply.mapped.append(f"{key.title()}: {value!r} -> none of this sensation")
                continue
            found = []
            if key.startswith("itch") or "itch" in low:
                found.append("itch")
            if "burn" in low:
                found.append("burning")
            if re.search(r"\bpain|sore|ache", low):
                found.append("pain")
            if "tight" in low:
                found.append("tightness")
            if "tingl" in low or "prick" in low:
                found.append("prickling")
            if not found and key in ("pain", "burning"):
                found.append(key)  # "Burning: yes" names the sensation in its key
            if not found:
                skip("no sensation named")
                continue
            sensations.extend(f for f in found if f not in sensations)
            areas = _found(_SENSATION_AREAS, low)
            sensation_areas.extend(a for a in areas if a not in sensation_areas)
            reply.mapped.append(
                f"{key.title()}: {value!r} -> sensations {', '.join(found)}"
                + (f" at {', '.join(areas)}" if areas else "")
            )
        elif key == "shedding":
            if _PAST.search(low):
                skip("describes the past, not shedding now")
            elif re.search(r"profuse|heavy|a lot|massive|clumps", low):
                take("shedding", Answer(choices=("heavy",)), "heavy")
            elif re.search(r"don'?t shed (that )?many|not (that )?much|normal|little", low):
                take("shedding", Answer(choices=("normal",)), "normal")
            elif re.search(r"more than|increased|more", low):
                take("shedding", Answer(choices=("more",)), "more than normal")
            elif _NEGATIVE.search(low):
                take("shedding", Answer(choices=("none",)), "none noticeable")
            else:
                skip("amount of shedding unclear")
        elif key == "dandruff":
            if _PAST.search(low):
                skip("describes the past")
            elif "oil" in low or "greasy" in low:
                take("dandruff", Answer(choices=("oily_film",)), "oily film")
            elif re.search(r"^\s*no\b|none|never", low):
                take("dandruff", Answer(choices=("none",)), "none")
            elif re.search(r"a lot|heavy|bad|massive|thick", low):
                take("dandruff", Answer(choices=("heavy",)), "heavy flakes")
            elif re.search(r"^\s*yes|some|light|little|mild|flakes", low):
                take("dandruff", Answer(choices=("light",)), "light flakes")
            else:
                skip("amount of dandruff unclear")
        else:
            skip("not a question of the survey")
    if sensations:
        order = ["itch", "burning", "pain", "tightness", "numbness", "prickling"]
        reply.answers[("sensations", "")] = Answer(
            choices=tuple(sorted(sensations, key=order.index))
        )
        if sensation_areas:
            order = ["front", "mid", "crown", "top", "sides_back"]
            reply.answers[("sensation_areas", "")] = Answer(
                choices=tuple(sorted(sensation_areas, key=order.index))
            )
    return reply
