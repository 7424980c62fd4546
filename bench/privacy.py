"""The differencing attack on releases, and how much the releases still show.

Run from the repository root:

    .venv/bin/python bench/privacy.py [--trials 300] [--usefulness 30]

Attack (tests/privacy_attack.py): for each trial a generated server of plausible members,
a release, then one batch of changes of one kind (completions, erasures, retakes,
check-ins; 2k to 2k + 3 of them, the smallest batch a release waits for), and the next
release. The attacker reads every public number of both releases (the overview, every
comparison `/survey compare` offers, every treatment report), knows exactly who changed,
and reasons soundly (ranges of each count's change, and the sums within each table). It
prints the share of trials in which any answer of a member of the batch is known for
certain (issue 19's goal: ≤ 5 %), and the mean number of such answers. The baseline is
the design before releases, measured the same way: exact counts read before and after one
member's change.

Usefulness: of the cells of the ready-made comparisons whose true count is at least k, the
share a release shows as a number (goal: ≥ 50 % at 50 members, ≥ 80 % at 200), and the
charts it would send with nothing drawn (goal: 0).

A benchmark, not a test: it asserts nothing (tests/audits/test_release_attack.py does, on fewer
trials).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.privacy_attack import KINDS, run_trial, usefulness

SIZES = ((12, 40), (41, 200))


def attack(trials: int) -> None:
    print("Differencing attack: share of trials with an answer known for certain")
    for low, high in SIZES:
        for kind in KINDS:
            started = time.perf_counter()
            found = [run_trial(seed, kind, low, high) for seed in range(trials)]
            hit = sum(1 for t in found if t.facts)
            held = sum(1 for t in found if t.held)
            answers = statistics.mean(len(t.answers) for t in found)
            print(
                f"  {low:>3}-{high:<3} members, {kind:<11}: {hit:>4}/{len(found)}"
                f" = {100 * hit / len(found):5.1f} %, mean answers revealed {answers:6.2f},"
                f" held back for more changes {held}   ({time.perf_counter() - started:5.0f} s)"
            )
    live = [run_trial(seed, "completions", 12, 40, live=True) for seed in range(min(trials, 50))]
    hit = sum(1 for t in live if t.facts)
    print(
        f"  baseline (exact live counts, one member completes), 12-40 members: "
        f"{hit}/{len(live)} = {100 * hit / len(live):.0f} %, median answers revealed "
        f"{statistics.median(len(t.answers) for t in live):.0f}"
    )


def useful(servers: int) -> None:
    print("Usefulness of the ready-made comparisons")
    for size in (50, 200):
        cells = shown = blank = 0
        for seed in range(servers):
            found = usefulness(seed, size)
            cells, shown, blank = (
                cells + found.cells,
                shown + found.shown,
                blank + found.blank_charts,
            )
        print(
            f"  {size:>4} members, {servers} servers: cells with ≥ k members shown "
            f"{shown}/{cells} = {100 * shown / max(cells, 1):.1f} %; blank charts {blank}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--usefulness", type=int, default=30)
    args = parser.parse_args()
    useful(args.usefulness)
    attack(args.trials)


if __name__ == "__main__":
    main()
