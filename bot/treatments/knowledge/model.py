"""The knowledge base as the bot reads it: entries, their sourced facts, the safety class
table, and the words (categories, kinds, topics, statuses) they are written in.

Frozen dataclasses with no I/O, so the cogs, the search and the advice can hold a loaded
base without knowing how it was read or checked (``loader.py`` does that).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "conditions": "Conditions to tell apart",
        "dht_blockers": "DHT blockers and antiandrogens",
        "growth_stimulants": "Growth stimulants",
        "scalp_care": "Anti-inflammatory and antifungal scalp care",
        "immunomodulators": "Immunomodulators",
        "procedures": "Procedures",
        "cosmetic": "Cosmetic",
        "oils_actives": "Oils and cosmetic actives",
        "supplements_lifestyle": "Supplements and lifestyle",
        "pipeline": "Experimental and pipeline",
        "research_targets": "Research targets",
        "services": "Telehealth and services",
    }
)

KINDS = ("treatment", "research_target", "condition")
TOPICS = (
    "what",
    "mechanism",
    "status_pattern",
    "status_areata",
    "evidence",
    "side_effects",
    "caution",
    "availability",
    "differs",
    "see_doctor",
)
# Safety text is shown whole, so it must be written as whole sentences.
SAFETY_TOPICS = ("caution", "see_doctor")
STATUS_TOPICS = ("status_pattern", "status_areata")
STATUSES = frozenset(
    {
        "approved",
        "cleared",
        "off_label",
        "phase_1",
        "phase_2",
        "phase_3",
        "abandoned",
        "no_evidence",
        "not_applicable",
        "unconfirmed",
        "preclinical",
    }
)
SOURCE_KINDS = ("pubmed", "doi", "nct", "label", "release", "url")

_SOURCE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pubmed", re.compile(r"PMID:[1-9][0-9]{0,8}")),
    ("doi", re.compile(r"DOI:10\.[0-9]{4,9}/\S+")),
    ("nct", re.compile(r"NCT[0-9]{8}")),
    # A regulator label or product information named in words, e.g. "label:FDA Propecia ...".
    ("label", re.compile(r"label:\S.{4,}")),
    # A company or organisation release: who, what and when, in words.
    ("release", re.compile(r"release:\S.{4,}")),
    ("url", re.compile(r"url:https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:[/?#]\S*)?")),
)


def normalise(text: str) -> str:
    """Case-fold, strip accents and punctuation, collapse whitespace: "Rogaíne!" -> "rogaine"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


def alias_key(text: str) -> str:
    """The form used to compare names and aliases: normalised with the spaces removed too."""
    return normalise(text).replace(" ", "")


@dataclass(frozen=True, slots=True)
class Source:
    """One citation: ``raw`` as written in the file, ``kind`` one of :data:`SOURCE_KINDS`."""

    raw: str
    kind: str

    @classmethod
    def parse(cls, raw: str) -> Source | None:
        text = raw.strip()
        for kind, pattern in _SOURCE_PATTERNS:
            if pattern.fullmatch(text):
                return cls(text, kind)
        return None

    @property
    def value(self) -> str:
        """The citation without its prefix: the PMID digits, the DOI, the label's words."""
        if self.kind == "nct":
            return self.raw
        return self.raw.split(":", 1)[1]

    @property
    def link(self) -> str | None:
        """A URL a reader can open, or None for labels and releases cited by name."""
        if self.kind == "pubmed":
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.value}/"
        if self.kind == "doi":
            return f"https://doi.org/{self.value}"
        if self.kind == "nct":
            return f"https://clinicaltrials.gov/study/{self.value}"
        if self.kind == "url":
            return self.value
        return None

    @property
    def label(self) -> str:
        """A short human-readable form for an embed: "PubMed 12345", "FDA Propecia label"."""
        if self.kind == "pubmed":
            return f"PubMed {self.value}"
        if self.kind == "doi":
            return f"doi:{self.value}"
        if self.kind == "nct":
            return f"ClinicalTrials.gov {self.value}"
        return self.value


@dataclass(frozen=True, slots=True)
class Fact:
    """One claim about a treatment, with its sources and the date it was last checked."""

    topic: str
    text: str
    sources: tuple[Source, ...]
    as_of: dt.date
    confirmed: bool = True
    status: str | None = None
    covers: tuple[str, ...] = ()  # the safety cautions (data/safety.toml) this fact gives


@dataclass(frozen=True, slots=True)
class Treatment:
    id: str
    name: str
    aliases: tuple[str, ...]
    category: str
    kind: str
    summary: str
    facts: tuple[Fact, ...]
    related: tuple[str, ...]
    device: bool = False
    safety: tuple[str, ...] = ()  # safety classes, e.g. ("minoxidil",)
    symptoms: tuple[str, ...] = ()  # conditions: what a member feels, for the search

    @property
    def is_condition(self) -> bool:
        return self.kind == "condition"

    @property
    def safety_facts(self) -> tuple[Fact, ...]:
        """What must be read whole and first: cautions, and when to see a doctor."""
        return tuple(fact for fact in self.facts if fact.topic in SAFETY_TOPICS)

    def facts_about(self, topic: str) -> tuple[Fact, ...]:
        return tuple(fact for fact in self.facts if fact.topic == topic)

    def _first(self, topic: str) -> Fact | None:
        found = self.facts_about(topic)
        return found[0] if found else None

    @property
    def what(self) -> Fact | None:
        return self._first("what")

    @property
    def status_pattern(self) -> Fact | None:
        """Status for pattern hair loss (androgenetic alopecia)."""
        return self._first("status_pattern")

    @property
    def status_areata(self) -> Fact | None:
        """Status for alopecia areata."""
        return self._first("status_areata")

    @property
    def names(self) -> tuple[str, ...]:
        """The display name followed by every alias."""
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    treatments: tuple[Treatment, ...]
    by_id: Mapping[str, Treatment]
    categories: Mapping[str, str]
    safety: SafetyRules | None = None

    def in_category(self, category: str) -> tuple[Treatment, ...]:
        return tuple(t for t in self.treatments if t.category == category)

    def get(self, treatment_id: str) -> Treatment | None:
        return self.by_id.get(treatment_id)

    def lookup(self, text: str) -> Treatment | None:
        """Exact match on id, name or alias after normalisation; fuzzy search lives elsewhere."""
        key = alias_key(text)
        if not key:
            return None
        return self._keys.get(key)

    @property
    def _keys(self) -> Mapping[str, Treatment]:
        # Built on demand: the knowledge base is small, and the dataclass stays frozen.
        keys: dict[str, Treatment] = {}
        for treatment in self.treatments:
            for name in (treatment.id, *treatment.names):
                keys.setdefault(alias_key(name), treatment)
        return keys

    @property
    def fact_count(self) -> int:
        return sum(len(t.facts) for t in self.treatments)

    @property
    def unconfirmed_count(self) -> int:
        return sum(1 for t in self.treatments for f in t.facts if not f.confirmed)


@dataclass(frozen=True, slots=True)
class Caution:
    """Something a careful pharmacist would say, and the words that show a fact says it."""

    id: str
    title: str
    mentions: tuple[re.Pattern[str], ...]

    def missing_words(self, text: str) -> list[str]:
        """The ``mentions`` patterns ``text`` does not match (empty: it says what it must)."""
        return [p.pattern for p in self.mentions if p.search(text) is None]


@dataclass(frozen=True, slots=True)
class SafetyClass:
    id: str
    title: str
    requires: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SafetyRules:
    """The class table of ``data/safety.toml``: which cautions each kind of treatment needs."""

    cautions: Mapping[str, Caution]
    classes: Mapping[str, SafetyClass]

    def required(self, class_ids: tuple[str, ...]) -> list[str]:
        """The cautions an entry in ``class_ids`` must carry, each once, in table order."""
        wanted: list[str] = []
        for class_id in class_ids:
            safety_class = self.classes.get(class_id)
            for caution in safety_class.requires if safety_class else ():
                if caution not in wanted:
                    wanted.append(caution)
        return wanted


class KnowledgeBaseError(ValueError):
    """The knowledge base file is missing, unreadable or invalid; ``problems`` lists each."""

    def __init__(self, problems: list[str], *, where: str = "knowledge base") -> None:
        self.problems = list(problems)
        self.where = where
        count = len(self.problems)
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"{where}: {count} problem{'s' if count != 1 else ''}\n{lines}")
