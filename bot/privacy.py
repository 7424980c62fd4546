"""Small-group protection shared by every public count (k-anonymity by cell suppression).

Hiding counts under k is not enough when the numbers that stay visible add up: "14 members
answered", "13 are in the groups shown" leaves 1. So every public output is described as a
small linear model: the counts it is built from (`Disclosure.cell`) and the numbers it
shows, each a sum of cells (`Disclosure.publish`). `Disclosure.protect` then hides numbers
until every protected count could still be any of at least k values given everything the
reader sees (linear programming with scipy's HiGHS, the audit statistical offices run on
their tables; scipy is imported on first use).

Conventions a reader can rely on: "<k" is a count from 0 to k-1 (zero included, or a
shown 0 would give the others away); "–" is a number hidden only so that a small count
elsewhere cannot be worked out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HIDDEN = "–"  # a complementary suppression: no bound is given


class InconsistentCounts(ValueError):
    """The numbers given to a model cannot all be true at once; nothing is shown."""


@dataclass(slots=True)
class _Number:
    cells: frozenset[int]
    value: int
    fixed: bool  # already public elsewhere: it cannot be hidden here
    key: str  # orders ties the same way for the same table, whichever way it is laid out
    state: str = "exact"  # exact | small (shown "<k") | hidden (shown "–")


@dataclass(slots=True)
class Disclosure:
    """The counts behind one output and the numbers it would show.

    Cells are non-negative unknowns to the reader. A published number is a sum of cells;
    `fixed` numbers are shown elsewhere already (the respondent total) and stay exact.
    `guard` adds a count the output does not show but must not give away (a group left
    out for being small)."""

    k: int
    cells: int = 0
    numbers: list[_Number] = field(default_factory=list)
    guarded: list[tuple[str, frozenset[int]]] = field(default_factory=list)
    # sums that must keep exactly the range they have elsewhere (low, high)
    ranges: dict[frozenset[int], tuple[float, float]] = field(default_factory=dict)
    refused: bool = False  # no suppression pattern protects every small count
    _matrix: Any = None  # the numbers × cells incidence matrix, built once per protect()
    weak_key: str = ""  # when refused: the key of a count no pattern could protect

    def cell(self) -> int:
        self.cells += 1
        return self.cells - 1

    def publish(
        self,
        cells: Iterable[int],
        value: int,
        *,
        fixed: bool = False,
        key: str = "",
    ) -> int:
        """Show the sum of `cells` (`fixed`: already shown elsewhere, so it stays exact)."""
        self.numbers.append(_Number(frozenset(cells), value, fixed, key))
        return len(self.numbers) - 1

    def publish_small(self, cells: Iterable[int], value: int, *, key: str = "") -> None:
        """A sum the reader knows is under k (a group left out for being small)."""
        index = self.publish(cells, value, fixed=True, key=key)
        self.numbers[index].state = "small"

    def publish_fixed(self, cells: Iterable[int], text: str, *, key: str = "") -> None:
        """A sum another output already shows as `text` ("12", "<k" or "–")."""
        if text.isdigit():
            self.publish(cells, int(text), fixed=True, key=key)
        elif text.startswith("<"):
            self.publish_small(cells, 0, key=key)  # its value matters only to its own output

    def guard(self, cells: Iterable[int], value: int, *, key: str = "") -> None:
        if 0 < value < self.k:
            self.guarded.append((key, frozenset(cells)))

    def keep_range(self, cells: Iterable[int], low: float, high: float, *, key: str = "") -> None:
        """A sum every output keeps back, whose range a reader can work out from the public
        numbers alone: this output must not narrow it at all. Then no two outputs can
        narrow it together either, each step by a little."""
        kept = frozenset(cells)
        self.guarded.append((key, kept))
        self.ranges[kept] = (low, high)

    def shown(self, index: int) -> str:
        number = self.numbers[index]
        if number.state == "exact":
            return str(number.value)
        return f"<{self.k}" if number.state == "small" else HIDDEN

    def is_exact(self, index: int) -> bool:
        return self.numbers[index].state == "exact"

    # -- suppression ------------------------------------------------------------------------

    def protect(self) -> Disclosure:
        """Hide counts under k, then hide more until none of them can be narrowed down.

        Hiding a number only ever widens what a reader can infer, so a protected count
        stays protected: each is checked until it passes, and the number hidden for it is
        one the linear programme says is holding it in (a non-zero dual value)."""
        for number in self.numbers:
            if number.value < self.k and not number.fixed:
                number.state = "small"
        pending = self._sensitive()
        if not pending:
            return self
        self._matrix = self._build_matrix()
        while pending:
            try:
                safe, binding = self._is_safe(pending[0])
            except InconsistentCounts:
                self._refuse()
                return self
            if safe:
                pending.pop(0)
                continue
            candidate = self._complement_for(binding)
            if candidate is None:
                self.weak_key = self._key_of(pending[0])
                self._refuse()
                return self
            candidate.state = "hidden"
        return self

    def _refuse(self) -> None:
        self.refused = True
        for number in self.numbers:
            if not number.fixed and number.state == "exact":
                number.state = "hidden"

    def _key_of(self, cells: frozenset[int]) -> str:
        for key, guarded in self.guarded:
            if guarded == cells:
                return key
        return next((n.key for n in self.numbers if n.cells == cells and n.key), "")

    def _sensitive(self) -> list[frozenset[int]]:
        """In the order of their keys, so the same table is protected the same way however
        it is laid out."""
        small = [(n.key, n.cells) for n in self.numbers if n.state == "small"]
        return [cells for _, cells in sorted([*small, *self.guarded], key=lambda p: p[0])]

    def _build_matrix(self) -> Any:
        from scipy.sparse import csr_matrix

        rows, columns = [], []
        for index, number in enumerate(self.numbers):
            rows += [index] * len(number.cells)
            columns += sorted(number.cells)
        data = [1.0] * len(rows)
        return csr_matrix((data, (rows, columns)), shape=(len(self.numbers), self.cells))

    def feasible_range(self, cells: frozenset[int]) -> tuple[float, float]:
        """The smallest and largest value the sum of `cells` can take given what is shown."""
        self._matrix = self._build_matrix()
        low, high, _ = self._solve(cells)
        return low, high

    def _solve(self, cells: frozenset[int]) -> tuple[float, float, set[int]]:
        """The range of a sum, and the exact numbers that bound it (non-zero duals)."""
        from scipy.optimize import linprog

        exact = [i for i, n in enumerate(self.numbers) if n.state == "exact"]
        small = [i for i, n in enumerate(self.numbers) if n.state == "small"]
        objective = [0.0] * self.cells
        for cell in cells:
            objective[cell] = 1.0
        ends: list[float] = []
        binding: set[int] = set()
        for sign in (1.0, -1.0):
            result = linprog(
                [sign * w for w in objective],
                A_ub=self._matrix[small] if small else None,
                b_ub=[self.k - 1.0] * len(small) if small else None,
                A_eq=self._matrix[exact] if exact else None,
                b_eq=[float(self.numbers[i].value) for i in exact] if exact else None,
                bounds=(0, None),
                method="highs",
            )
            if result.status == 3:  # unbounded
                ends.append(math.inf)
                continue
            if result.status != 0:  # the counts contradict themselves (changed mid-read)
                raise InconsistentCounts(result.message)
            ends.append(sign * result.fun)
            for rows, duals in ((exact, result.eqlin), (small, result.ineqlin)):
                if rows and duals is not None:
                    binding.update(
                        i for i, dual in zip(rows, duals.marginals, strict=True) if abs(dual) > 1e-9
                    )
        return ends[0], ends[1], binding

    def _is_safe(self, cells: frozenset[int]) -> tuple[bool, set[int]]:
        target = self.ranges.get(cells)
        if target is None:
            width, binding = self._width(cells)
            return width >= self.k - 1e-6, binding
        low, high, binding = self._solve(cells)
        return low <= target[0] + 1e-6 and high >= target[1] - 1e-6, binding

    def _width(self, cells: frozenset[int]) -> tuple[float, set[int]]:
        low, high, binding = self._solve(cells)
        if not math.isfinite(high):
            return math.inf, binding
        return math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1, binding

    def _complement_for(self, binding: set[int]) -> _Number | None:
        """The smallest exact number holding the weak count in; failing that (several
        must go together), the smallest of all. When every exact number is hidden, a
        "<k" may still give too much away with the others: it is shown as "–" instead."""
        candidates = sorted(
            ((i, n) for i, n in enumerate(self.numbers) if n.state == "exact" and not n.fixed),
            key=lambda pair: (pair[1].value, len(pair[1].cells), pair[1].key),
        )
        holding = [n for i, n in candidates if i in binding]
        if holding:
            return holding[0]
        if candidates:
            return candidates[0][1]
        bounded = [n for i, n in enumerate(self.numbers) if n.state == "small" and not n.fixed]
        bounded.sort(key=lambda n: (self.numbers.index(n) not in binding, n.key))
        return bounded[0] if bounded else None
