"""Which citations a fact may carry, beyond their format (``Source.parse``): no host on the
denylist (``data/source_denylist.txt``: mirrors, dev servers, marketing sites), and a
regulator label names the revision that was read."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.treatments.knowledge._files import bundled
from bot.treatments.knowledge.model import Source

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


def load_source_denylist(text: str | None = None) -> frozenset[str]:
    """Hosts a ``url:`` source may not use: mirrors, dev servers and marketing sites.

    Read from ``data/source_denylist.txt`` (one host a line, ``#`` starts a comment); a host
    also denies its subdomains.
    """
    if text is None:
        text = bundled("source_denylist.txt").read_text(encoding="utf-8")
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


def checked_source(item: str, denylist: frozenset[str]) -> Source | str:
    """``item`` as a source, or the one problem that keeps it out: a format the base does
    not know, a denylisted host, a label without its revision year."""
    source = Source.parse(item)
    if source is None:
        return f"source {item!r} is not a recognised format ({_SOURCE_HELP})"
    problem = _source_problem(source, denylist)
    return source if problem is None else problem


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
