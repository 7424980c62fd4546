"""Load and validate the treatment knowledge base (``data/kb/*.toml``, one file a category).

Pure Python, no Discord code: the bot, ``anagen check`` and the tests all use this module.
Every factual claim carries at least one source and an "as of" date, and every treatment
carries the cautions its safety classes (``data/safety.toml``) require; the validator reports
*every* problem it finds, one readable line each, naming the entry id and the field, so a
broken edit is fixed in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "CATEGORIES",
    "KINDS",
    "SOURCE_KINDS",
    "STATUSES",
    "STATUS_TOPICS",
    "TOPICS",
    "Caution",
    "Fact",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "SafetyClass",
    "SafetyRules",
    "Source",
    "Treatment",
    "alias_key",
    "check_knowledge_base",
    "denied_host",
    "load_knowledge_base",
    "load_safety_rules",
    "load_source_denylist",
    "normalise",
]

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
SAFETY_TOPICS = ("caution", "see_doctor")
_SENTENCE_END_RE = re.compile(r"[.!?][)\"'\u201d\u2019]*$")
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
# A research target is biology, not a product: it has no approval or trial phase of its own.
RESEARCH_TARGET_STATUSES = frozenset({"not_applicable", "preclinical", "unconfirmed"})
# Medical devices (an entry with ``device = true``: lasers, implants, needling tools) reach
# the US market by FDA 510(k) *clearance* ("substantially equivalent" to a device already
# sold), not by the approval a drug gets from efficacy trials. So a device is never
# "approved" here, and "cleared" is only for devices.
DEVICE_ONLY_STATUSES = frozenset({"cleared"})
NOT_FOR_DEVICES = frozenset({"approved"})
SOURCE_KINDS = ("pubmed", "doi", "nct", "label", "release", "url")

MAX_NAME = 100
MAX_ALIAS = 100
MAX_SUMMARY = 300
MAX_TEXT = 900

# Ids travel in button custom_ids (at most 100 characters, matched as [a-z0-9_]+).
_ID_RE = re.compile(r"(?=.{1,40}$)[a-z0-9]+(?:_[a-z0-9]+)*")
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
# A regulator label changes over time: a "label:" source names its revision year.
_YEAR_RE = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
# The date someone looked at a label ("version current on 2026-11-24", "seen 2026-11-24",
# "accessed ...") is not a revision: it is removed before looking for the revision year.
_VIEWED_DATE_RE = re.compile(
    r"\b(?:version\s+)?(?:current|seen|accessed|retrieved|viewed|checked|read)"
    r"(?:\s+(?:on|as\s+of))?\s+(?:19|20)[0-9]{2}(?:-[0-9]{2}(?:-[0-9]{2})?)?",
    re.IGNORECASE,
)
# Where the revision could not be found, the citation must say so in these words.
_NO_REVISION_RE = re.compile(r"\brevision(?:\s+date)?\s+not\s+confirmed\b", re.IGNORECASE)
_SOURCE_HELP = (
    "PMID:<digits>, DOI:10.<registrant>/<suffix>, NCT<8 digits>, label:<regulator label>, "
    "release:<organisation, title, date> or url:https://..."
)

_ENTRY_KEYS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "category",
        "kind",
        "device",
        "summary",
        "related",
        "fact",
        "safety",
        "symptoms",
    }
)
_FACT_KEYS = frozenset({"topic", "text", "sources", "as_of", "confirmed", "status", "covers"})
_TOP_KEYS = frozenset({"schema", "treatment"})


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


def load_safety_rules(text: str | None = None) -> SafetyRules:
    """Read the class table; a broken table is the project's bug, so it raises at once."""
    where = "safety.toml"
    if text is None:
        text = resources.files(__package__).joinpath("data", "safety.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError([f"not valid TOML: {exc}"], where=where) from exc
    problems: list[str] = []
    cautions: dict[str, Caution] = {}
    for caution_id, raw in (data.get("caution") or {}).items():
        patterns = raw.get("mentions") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not patterns:
            problems.append(f"caution {caution_id!r}: needs a title and mentions")
            continue
        try:
            compiled = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
        except (re.error, TypeError) as exc:
            problems.append(f"caution {caution_id!r}: a mentions pattern is invalid ({exc})")
            continue
        cautions[caution_id] = Caution(caution_id, raw["title"], compiled)
    classes: dict[str, SafetyClass] = {}
    for class_id, raw in (data.get("class") or {}).items():
        requires = _str_list(raw.get("requires")) if isinstance(raw, dict) else None
        if requires is None or not isinstance(raw.get("title"), str):
            problems.append(f"class {class_id!r}: needs a title and a requires list")
            continue
        for caution_id in requires:
            if caution_id not in cautions:
                problems.append(f"class {class_id!r}: requires unknown caution {caution_id!r}")
        classes[class_id] = SafetyClass(class_id, raw["title"], tuple(requires))
    if problems:
        raise KnowledgeBaseError(problems, where=where)
    return SafetyRules(MappingProxyType(cautions), MappingProxyType(classes))


class KnowledgeBaseError(ValueError):
    """The knowledge base file is missing, unreadable or invalid; ``problems`` lists each."""

    def __init__(self, problems: list[str], *, where: str = "knowledge base") -> None:
        self.problems = list(problems)
        self.where = where
        count = len(self.problems)
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"{where}: {count} problem{'s' if count != 1 else ''}\n{lines}")


def load_source_denylist(text: str | None = None) -> frozenset[str]:
    """Hosts a ``url:`` source may not use: mirrors, dev servers and marketing sites.

    Read from ``data/source_denylist.txt`` (one host a line, ``#`` starts a comment); a host
    also denies its subdomains.
    """
    if text is None:
        resource = resources.files(__package__).joinpath("data", "source_denylist.txt")
        text = resource.read_text(encoding="utf-8")
    hosts = set()
    for line in text.splitlines():
        host = line.split("#", 1)[0].strip().lower().rstrip(".")
        if host:
            hosts.add(host)
    return frozenset(hosts)


def denied_host(url: str, denylist: frozenset[str]) -> str | None:
    """The denylisted host (or parent domain) ``url`` points at, or None."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    parts = host.split(".")
    for start in range(len(parts) - 1):
        candidate = ".".join(parts[start:])
        if candidate in denylist:
            return candidate
    return None


def _read_files(path: Path | None) -> tuple[list[tuple[str, str]], str]:
    """(file name, text) of each knowledge-base file, and how to name them in errors.

    The bundled base is a folder with one file per category; ``path`` may be another such
    folder or a single file holding every entry.
    """
    if path is None:
        folder = resources.files(__package__).joinpath("data", "kb")
        names = sorted(item.name for item in folder.iterdir() if item.name.endswith(".toml"))
        texts = [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]
        return texts, "bundled knowledge base"
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        return [(f.name, f.read_text(encoding="utf-8")) for f in files], str(path)
    return [(path.name, path.read_text(encoding="utf-8"))], str(path)


def load_knowledge_base(
    path: Path | None = None,
    *,
    today: dt.date | None = None,
    denylist: frozenset[str] | None = None,
    safety: SafetyRules | None = None,
) -> KnowledgeBase:
    """Read and validate the knowledge base; raise :class:`KnowledgeBaseError` listing all problems.

    ``path`` defaults to the folder bundled with the package (or names another folder or one
    file); ``today`` (for tests) is the date an ``as_of`` may not be later than; ``denylist``
    and ``safety`` (for tests) replace the bundled host denylist and safety class table.
    """
    try:
        texts, where = _read_files(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(
            [f"cannot read the file: {exc}"], where=str(path or "knowledge base")
        ) from exc
    if not texts:
        raise KnowledgeBaseError(["no .toml files"], where=where)
    entries: list[Any] = []
    problems: list[str] = []
    for name, text in texts:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{name}: not valid TOML: {exc}")
            continue
        for key in sorted(set(data) - _TOP_KEYS):
            problems.append(
                f"{name}: unknown top-level key {key!r} (expected [[treatment]] tables)"
            )
        found = data.get("treatment")
        if isinstance(found, list):
            entries.extend(found)
        elif found is not None:
            problems.append(f"{name}: treatment must be [[treatment]] tables")
    if problems:
        raise KnowledgeBaseError(problems, where=where)
    if denylist is None:
        denylist = load_source_denylist()
    if safety is None:
        safety = load_safety_rules()
    return _build(entries, today or dt.date.today(), where, denylist, safety)


def _entry_label(index: int, raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"].strip():
        return raw["id"].strip()
    return f"entry #{index + 1}"


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def _build(
    raw_entries: list[Any],
    today: dt.date,
    where: str,
    denylist: frozenset[str],
    safety: SafetyRules,
) -> KnowledgeBase:
    problems: list[str] = []
    if not raw_entries:
        problems.append("top level: no [[treatment]] entries")
        raise KnowledgeBaseError(problems, where=where)

    treatments: list[Treatment] = []
    ids_seen: dict[str, int] = {}
    # alias key -> (entry id, the alias as written); names and ids count as aliases here.
    alias_owner: dict[str, tuple[str, str]] = {}
    related_wanted: list[tuple[str, list[str]]] = []

    for index, raw in enumerate(raw_entries):
        label = _entry_label(index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label}: must be a [[treatment]] table")
            continue
        entry_problems: list[str] = []
        for key in sorted(set(raw) - _ENTRY_KEYS):
            entry_problems.append(f"{label}: unknown field {key!r}")

        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not entry_id.strip():
            entry_problems.append(f"{label}: id is missing")
            entry_id = label
        elif not _ID_RE.fullmatch(entry_id):
            entry_problems.append(
                f"{label}: id {entry_id!r} must be lowercase ASCII letters and digits joined "
                "by '_' or '-'"
            )
        if entry_id in ids_seen:
            entry_problems.append(
                f"{label}: duplicate id {entry_id!r} (also entry #{ids_seen[entry_id] + 1})"
            )
        else:
            ids_seen[entry_id] = index

        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            entry_problems.append(f"{label}: name is missing")
            name = entry_id
        elif len(name) > MAX_NAME:
            entry_problems.append(f"{label}: name is {len(name)} characters (max {MAX_NAME})")

        aliases = _str_list(raw.get("aliases", []))
        if aliases is None:
            entry_problems.append(f"{label}: aliases must be a list of strings")
            aliases = []

        # Names, ids and aliases all resolve a lookup, so they must not collide across entries.
        # An alias may spell out the id ("PRP" for "prp"); it may not repeat the name or
        # another alias of the same entry.
        own_keys: dict[str, str] = {}
        seen_here: dict[str, str] = {}
        for field_name, value in (
            ("id", entry_id),
            ("name", name),
            *(("alias", a) for a in aliases),
        ):
            key = alias_key(value)
            if not key:
                entry_problems.append(f"{label}: {field_name} {value!r} has no letters or digits")
                continue
            if field_name == "alias" and len(value) > MAX_ALIAS:
                entry_problems.append(f"{label}: alias {value!r} is longer than {MAX_ALIAS}")
            if field_name != "id":
                if key in seen_here:
                    entry_problems.append(
                        f"{label}: alias {value!r} repeats {seen_here[key]!r} after normalisation"
                    )
                    continue
                seen_here[key] = value
            if key in own_keys:
                continue
            own_keys[key] = value
            owner = alias_owner.get(key)
            if owner is not None and owner[0] != entry_id:
                entry_problems.append(
                    f"{label}: {field_name} {value!r} is also used by {owner[0]!r} "
                    f"(as {owner[1]!r}); aliases must be unique"
                )
            else:
                alias_owner.setdefault(key, (entry_id, value))

        raw_category = raw.get("category")
        # Narrowed to str only once validated, so the Treatment below gets a real category.
        category: str | None = raw_category if raw_category in CATEGORIES else None
        if category is None:
            entry_problems.append(
                f"{label}: unknown category {raw_category!r} (one of {', '.join(CATEGORIES)})"
            )
        kind = raw.get("kind", "treatment")
        if kind not in KINDS:
            entry_problems.append(f"{label}: kind {kind!r} must be one of {', '.join(KINDS)}")
        elif (kind == "research_target") != (category == "research_targets"):
            entry_problems.append(
                f"{label}: kind {kind!r} and category {category!r} disagree (research targets "
                "use kind 'research_target' in category 'research_targets')"
            )

        summary = raw.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            entry_problems.append(f"{label}: summary is missing")
            summary = ""
        elif len(summary) > MAX_SUMMARY:
            entry_problems.append(
                f"{label}: summary is {len(summary)} characters (max {MAX_SUMMARY})"
            )

        device = raw.get("device", False)
        if not isinstance(device, bool):
            entry_problems.append(f"{label}: device must be true or false")
            device = False

        related = _str_list(raw.get("related", []))
        if related is None:
            entry_problems.append(f"{label}: related must be a list of entry ids")
            related = []
        related_wanted.append((entry_id, related))

        safety_classes = _str_list(raw.get("safety", []))
        if safety_classes is None:
            entry_problems.append(f"{label}: safety must be a list of safety class ids")
            safety_classes = []
        for class_id in safety_classes:
            if class_id not in safety.classes:
                entry_problems.append(
                    f"{label}: unknown safety class {class_id!r} (one of "
                    f"{', '.join(safety.classes)}; see data/safety.toml)"
                )
        if kind == "treatment" and not safety_classes:
            entry_problems.append(
                f"{label}: no safety classes (add safety = [...] from data/safety.toml; "
                "'lifestyle' or 'cosmetic' when nothing needs a caution)"
            )
        elif kind != "treatment" and safety_classes:
            entry_problems.append(f"{label}: a {kind} has no safety classes (only treatments do)")

        symptoms = _str_list(raw.get("symptoms", []))
        if symptoms is None:
            entry_problems.append(f"{label}: symptoms must be a list of strings")
            symptoms = []
        if symptoms and kind != "condition":
            entry_problems.append(f"{label}: only a condition lists symptoms")

        facts = _build_facts(
            label, raw.get("fact"), kind, device, today, denylist, safety, entry_problems
        )
        covered = {caution for fact in facts for caution in fact.covers}
        for caution in safety.required(tuple(safety_classes)):
            if caution not in covered:
                needed_by = [c for c in safety_classes if caution in safety.classes[c].requires]
                entry_problems.append(
                    f"{label}: no caution covers {caution!r} "
                    f"({safety.cautions[caution].title}), which its class "
                    f"{', '.join(needed_by)} requires: add a caution fact with "
                    f"covers = [{caution!r}]"
                )

        problems.extend(entry_problems)
        if not entry_problems and category is not None:
            treatments.append(
                Treatment(
                    id=entry_id,
                    name=name.strip(),
                    aliases=tuple(a.strip() for a in aliases),
                    category=category,
                    kind=kind,
                    summary=summary.strip(),
                    facts=tuple(facts),
                    related=tuple(related),
                    device=device,
                    safety=tuple(safety_classes),
                    symptoms=tuple(s.strip() for s in symptoms),
                )
            )

    for entry_id, related in related_wanted:
        seen: set[str] = set()
        for other in related:
            if other == entry_id:
                problems.append(f"{entry_id}: related lists the entry itself")
            elif other not in ids_seen:
                problems.append(f"{entry_id}: related id {other!r} does not exist")
            elif other in seen:
                problems.append(f"{entry_id}: related id {other!r} is listed twice")
            seen.add(other)

    if problems:
        raise KnowledgeBaseError(problems, where=where)
    return KnowledgeBase(
        treatments=tuple(treatments),
        by_id=MappingProxyType({t.id: t for t in treatments}),
        categories=CATEGORIES,
        safety=safety,
    )


def _source_problem(source: Source, denylist: frozenset[str]) -> str | None:
    """Rules beyond the format: no mirror or marketing host, a label names its year."""
    if source.kind == "url":
        host = denied_host(source.value, denylist)
        if host is not None:
            return (
                f"source {source.raw!r} is on a denylisted host ({host}: a mirror or "
                "marketing site, see data/source_denylist.txt); cite the primary source"
            )
    elif source.kind == "label" and not _names_revision(source.value):
        return (
            f"source {source.raw!r} has no year; name the label revision you read, "
            "e.g. 'label:FDA Propecia prescribing information, revised 2022' (the date you "
            "viewed it is not a revision: if none was found, write 'revision not confirmed')"
        )
    return None


def _names_revision(value: str) -> bool:
    """A label citation names a revision year, or says honestly that none was confirmed."""
    if _NO_REVISION_RE.search(value):
        return True
    return _YEAR_RE.search(_VIEWED_DATE_RE.sub(" ", value)) is not None


def _build_facts(
    label: str,
    raw_facts: Any,
    kind: Any,
    device: bool,
    today: dt.date,
    denylist: frozenset[str],
    safety: SafetyRules,
    problems: list[str],
) -> list[Fact]:
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

        covers = _str_list(raw.get("covers", []))
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
        elif _str_list(raw_sources) is None:
            problems.append(f"{where}: sources must be a list of strings")
        else:
            for item in raw_sources:
                source = Source.parse(item)
                if source is None:
                    problems.append(
                        f"{where}: source {item!r} is not a recognised format ({_SOURCE_HELP})"
                    )
                elif (problem := _source_problem(source, denylist)) is not None:
                    problems.append(f"{where}: {problem}")
                else:
                    sources.append(source)

        as_of = _as_date(raw.get("as_of"))
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


def _describe(kb: KnowledgeBase) -> str:
    used = len({t.category for t in kb.treatments})
    unconfirmed = kb.unconfirmed_count
    note = f" ({unconfirmed} marked unconfirmed)" if unconfirmed else ""
    return (
        f"knowledge base: {len(kb.treatments)} entries, {used} categories, "
        f"{kb.fact_count} sourced facts{note}"
    )


def check_knowledge_base(path: Path | None = None) -> str:
    """For ``anagen check``: one line on success, a one-line ValueError otherwise."""
    try:
        kb = load_knowledge_base(path)
    except KnowledgeBaseError as exc:
        shown = "; ".join(exc.problems[:3])
        more = f" (and {len(exc.problems) - 3} more)" if len(exc.problems) > 3 else ""
        raise ValueError(f"knowledge base: {len(exc.problems)} problem(s): {shown}{more}") from None
    return _describe(kb)
