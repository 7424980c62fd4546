"""Autocomplete latency of the treatment search, against a difflib baseline.

Run from the repository root:

    .venv/bin/python bench/autocomplete.py [--rounds N]

The search is built once. The query set is every prefix of about 60 real names, aliases and
misspellings (what Discord sends while someone types) plus a set of hostile inputs. Each
round times every query with ``time.perf_counter_ns`` for

  (a) Anagen: ``TreatmentSearch.search(q, 25)`` (exact, prefix, rapidfuzz, then SQLite FTS5);
  (b) difflib: ``difflib.get_close_matches(normalise(q), names, n=25, cutoff=0.6)`` over the
      same normalised names and aliases (spelling only; no prefixes, no full-text search).

It prints p50 and p99 in microseconds for both, and the ratio Anagen / difflib: below 1 means
Anagen answers faster than the naive baseline, above 1 is the price of doing more per query.
Either way, an autocomplete answer well under a millisecond leaves Discord's 3-second
interaction deadline untouched. This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.treatments.knowledge import load_knowledge_base, normalise
from bot.treatments.search import TreatmentSearch

# Real names, aliases and misspellings; every prefix of each is a query.
TYPED = [
    "finasteride", "Propecia", "finisteride", "finastride", "dutasteride", "Avodart",
    "dutastride", "minoxidil", "Rogaine", "Regaine", "minoxodil", "Rogain", "oral minoxidil",
    "LDOM", "ketoconazole", "Nizoral", "ketaconazole", "nizorel", "T/Gel", "coal tar",
    "Head & Shoulders", "zinc pyrithione", "tea tree oil", "Derma-Smoothe", "fluocinolone",
    "betamethasone", "pramoxine", "JAK inhibitors", "is the JAK stuff out yet?", "tofacitinib",
    "tofacitnib", "Xeljanz", "ruxolitinib", "Opzelura", "baricitinib", "baracitinib",
    "Olumiant", "ritlecitinib", "Litfulo", "deuruxolitinib", "Leqselvi", "rapamycin",
    "Accutane", "accutaine", "does accutane cause hair loss", "Retin-A", "PRP", "ACell",
    "hair transplant", "scalp micropigmentation", "microneedling", "dermaroller",
    "saw palmeto", "spironolactone", "clascoterone", "pyrilutamide", "RU58841",
    "what helps with itch", "hair cloning", "Krox20",
]  # fmt: skip

HOSTILE = [
    "asdfghjkl", "'; DROP TABLE treatments; --", "NEAR(a b)", '"unterminated', "a OR b", "*",
    "^title", "<script>alert(1)</script>", "@everyone", "<@123>", "<@&456>",
    "**bold** ~~strike~~", "x" * 5000, "😀😂🔥", "\u200b\u200c\u200d", "\x00\x01\x02", "   ",
    "hair loss", "spam " * 1000,
]  # fmt: skip


def build_queries() -> list[str]:
    queries = [word[:end] for word in TYPED for end in range(1, len(word) + 1)]
    return queries + HOSTILE


def time_each(run: Callable[[str], object], queries: list[str], rounds: int) -> list[int]:
    """Nanoseconds per call, for every query in every round."""
    samples: list[int] = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter_ns()
            run(query)
            samples.append(time.perf_counter_ns() - start)
    return samples


def percentile(samples: list[int], pct: int) -> float:
    """The pct-th percentile in microseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[pct - 1] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the queries")
    args = parser.parse_args()
    rounds = max(1, args.rounds)

    kb = load_knowledge_base()
    search = TreatmentSearch(kb)
    names = sorted(
        {normalise(n) for t in kb.treatments for n in (*t.names, t.id.replace("_", " "))}
    )
    queries = build_queries()

    def anagen(query: str) -> object:
        return search.search(query, 25)

    def baseline(query: str) -> object:
        return difflib.get_close_matches(normalise(query), names, n=25, cutoff=0.6)

    # One untimed pass each, so imports, caches and SQLite statements are warm.
    time_each(anagen, queries, 1)
    time_each(baseline, queries, 1)
    ours = time_each(anagen, queries, rounds)
    theirs = time_each(baseline, queries, rounds)

    p50, p99 = percentile(ours, 50), percentile(ours, 99)
    b50, b99 = percentile(theirs, 50), percentile(theirs, 99)
    print(f"queries: {len(queries)} x {rounds} rounds = {len(ours)} timings each")
    print(f"names and aliases: {len(names)}")
    print(f"{'':10} {'p50 (us)':>10} {'p99 (us)':>10}")
    print(f"{'anagen':10} {p50:>10.1f} {p99:>10.1f}")
    print(f"{'difflib':10} {b50:>10.1f} {b99:>10.1f}")
    print(f"{'ratio':10} {p50 / b50:>10.2f} {p99 / b99:>10.2f}   (anagen / difflib)")


if __name__ == "__main__":
    main()
