"""The rules one entry's ``[[treatment.fact]]`` tables are held to: a known topic, whole
sentences for safety text, the cautions a fact claims to give actually said, a source and
an "as of" date on every fact, and a status that fits the entry (a device is "cleared",
never "approved"; a research target has no trial phase)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot.treatments.knowledge._files import as_date, str_list
from bot.treatments.knowledge.model import (
    SAFETY_TOPICS,
    STATUS_TOPICS,
    STATUSES,
    TOPICS,
    Fact,
    SafetyRules,
    Source,
)
from bot.treatments.knowledge.sources import checked_source

# What each kind of entry must have, and the topics only conditions use.
REQUIRED_TOPICS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "treatment": ("what", "status_pattern", "status_areata"),
        "research_target": ("what", "status_pattern", "status_areata"),
        "condition": ("what", "differs", "see_doctor"),
    }
)
CONDITION_TOPICS = frozenset({"differs", "see_doctor"})
# Safety text is shown whole, so it must be written as whole sentences.
_SENTENCE_END_RE = re.compile(r"[.!?][)\"'\u201d\u2019]*$")
# A research target is biology, not a product: it has no approval or trial phase of its own.
RESEARCH_TARGET_STATUSES = frozenset({"not_applicable", "preclinical", "unconfirmed"})
# Medical devices (an entry with ``device = true``: lasers, implants, needling tools) reach
# the US market by FDA 510(k) *clearance* ("substantially equivalent" to a device already
# sold), not by the approval a drug gets from efficacy trials. So a device is never
# "approved" here, and "cleared" is only for devices.
DEVICE_ONLY_STATUSES = frozenset({"cleared"})
NOT_FOR_DEVICES = frozenset({"approved"})

MAX_TEXT = 900

_FACT_KEYS = frozenset({"topic", "text", "sources", "as_of", "confirmed", "status", "covers"})


def build_facts(
    label: str,
    raw_facts: Any,
    kind: Any,
    device: bool,
    today: dt.date,
    denylist: frozenset[str],
    safety: SafetyRules,
    problems: list[str],
) -> list[Fact]:
    """The entry's valid facts; every problem found is added to ``problems``, one line each
    naming the entry (``label``), the fact's number and its topic."""
    if not isinstance(raw_facts, list) or not raw_facts:
        problems.append(f"{label}: no facts (add [[treatment.fact]] tables)")
        return []
    facts: list[Fact] = []
    topic_counts: dict[str, int] = {}
    for number, raw in enumerate(raw_facts, start=1):
        where = f"{label}: fact #{number}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a [[treatment.fact]] table")
            continue
        before = len(problems)
        for key in sorted(set(raw) - _FACT_KEYS):
            problems.append(f"{where}: unknown field {key!r}")

        raw_topic = raw.get("topic")
        # Each validated value is narrowed (None until valid) so the Fact below is well typed.
        topic: str | None = raw_topic if raw_topic in TOPICS else None
        if topic is None:
            problems.append(f"{where}: topic {raw_topic!r} must be one of {', '.join(TOPICS)}")
        else:
            where = f"{label}: fact #{number} ({topic})"
            topic_counts[topic] = topic_counts.get(topic, 0) + 1

        raw_text = raw.get("text")
        text: str | None = raw_text if isinstance(raw_text, str) and raw_text.strip() else None
        if text is None:
            problems.append(f"{where}: text is missing")
        elif len(text) > MAX_TEXT:
            problems.append(f"{where}: text is {len(text)} characters (max {MAX_TEXT})")
        elif topic in SAFETY_TOPICS and not _SENTENCE_END_RE.search(text.strip()):
            problems.append(f"{where}: safety text must be whole sentences (end it with '.')")
        if topic in CONDITION_TOPICS and kind != "condition":
            problems.append(f"{where}: topic {topic!r} is only for conditions")

        covers = str_list(raw.get("covers", []))
        if covers is None:
            problems.append(f"{where}: covers must be a list of caution ids")
            covers = []
        elif covers and topic != "caution":
            problems.append(f"{where}: only a caution fact covers cautions")
        for caution_id in covers:
            caution = safety.cautions.get(caution_id)
            if caution is None:
                problems.append(
                    f"{where}: covers unknown caution {caution_id!r} "
                    f"(one of {', '.join(safety.cautions)})"
                )
            elif text is not None and (missing := caution.missing_words(text)):
                problems.append(
                    f"{where}: covers {caution_id!r} but its text does not say so "
                    f"(it should match {' and '.join(repr(m) for m in missing)})"
                )

        sources: list[Source] = []
        raw_sources = raw.get("sources")
        if raw_sources is None or raw_sources == []:
            problems.append(f"{where}: no source (every fact needs at least one)")
        elif str_list(raw_sources) is None:
            problems.append(f"{where}: sources must be a list of strings")
        else:
            for item in raw_sources:
                checked = checked_source(item, denylist)
                if isinstance(checked, Source):
                    sources.append(checked)
                else:
                    problems.append(f"{where}: {checked}")

        as_of = as_date(raw.get("as_of"))
        if "as_of" not in raw:
            problems.append(f"{where}: as_of date is missing")
        elif as_of is None:
            problems.append(f"{where}: as_of {raw.get('as_of')!r} is not a date (write YYYY-MM-DD)")
        elif as_of > today:
            problems.append(f"{where}: as_of {as_of.isoformat()} is in the future")

        confirmed = raw.get("confirmed", True)
        if not isinstance(confirmed, bool):
            problems.append(f"{where}: confirmed must be true or false")
            confirmed = True

        status = raw.get("status")
        if topic in STATUS_TOPICS:
            if status is None:
                problems.append(f"{where}: status is missing")
            elif status not in STATUSES:
                problems.append(
                    f"{where}: status {status!r} must be one of {', '.join(sorted(STATUSES))}"
                )
            elif kind == "research_target" and status not in RESEARCH_TARGET_STATUSES:
                problems.append(
                    f"{where}: a research target's status must be one of "
                    f"{', '.join(sorted(RESEARCH_TARGET_STATUSES))}"
                )
            elif status == "unconfirmed" and confirmed:
                problems.append(f"{where}: status 'unconfirmed' needs confirmed = false")
            elif device and status in NOT_FOR_DEVICES:
                problems.append(
                    f"{where}: status {status!r} is for drugs; a device (device = true) that "
                    "the FDA cleared through 510(k) has status 'cleared'"
                )
            elif not device and status in DEVICE_ONLY_STATUSES:
                problems.append(
                    f"{where}: status {status!r} is only for devices (set device = true on "
                    "the entry if it is one)"
                )
        elif status is not None:
            problems.append(f"{where}: status is only allowed on status_pattern/status_areata")

        if len(problems) == before and topic is not None and text is not None and as_of is not None:
            facts.append(
                Fact(
                    topic=topic,
                    text=" ".join(text.split()),
                    sources=tuple(sources),
                    as_of=as_of,
                    confirmed=confirmed,
                    status=status,
                    covers=tuple(covers),
                )
            )

    for required in REQUIRED_TOPICS.get(kind, REQUIRED_TOPICS["treatment"]):
        count = topic_counts.get(required, 0)
        if count == 0:
            problems.append(f"{label}: no {required!r} fact")
    for topic in STATUS_TOPICS:
        if topic_counts.get(topic, 0) > 1:
            problems.append(f"{label}: {topic_counts[topic]} {topic!r} facts (exactly one allowed)")
    return facts
