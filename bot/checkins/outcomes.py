"""Outcomes over time: what members who started a treatment report months later.

What is counted, for a treatment T in one server and a horizon of 3 and of 6 months:

- The cohort is the members with a regimen entry for T whose start month is known (the
  earliest, when T was stopped and started again) and who completed a check-in at least
  that many months after the first day of the start month (UTC). Whether they still use T
  does not matter: the question is what happened to the people who started it.
- Each member is read at their first such check-in that answered the shedding question
  (every completed check-in does: it is required). Shedding there is less / the same /
  more *than at their previous check-in*, not than before starting.
- A side effect counts when the member reported it for T in any check-in from the start
  month up to and including that one.

What may be shown: these counts are part of a server's release (`bot.results.release`),
rounded like every other public count (under k: not a number; else rounded to 5), and read
from it here; nothing is counted when a member looks a treatment up. A horizon fewer than
k members reached shows nothing but that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HORIZONS = (3, 6)  # months after the start
# The check-in's answers, as ids in checkin-v1.toml ("none" of the side effects is not one).
SHEDDING = ("less", "same", "more")
SIDE_EFFECTS = ("sexual", "mood", "heart", "skin_irritation", "unwanted_hair", "other")


@dataclass(frozen=True, slots=True)
class HorizonOutcomes:
    """One horizon as the public may see it; every text is a rounded count or "<k"."""

    months: int
    shown: bool = False  # False: fewer than k members have reached it
    cohort: str = ""
    shedding: dict[str, str] = field(default_factory=dict)  # less/same/more -> text
    side_effects: dict[str, str] = field(default_factory=dict)  # side effect -> text


@dataclass(frozen=True, slots=True)
class OutcomesReport:
    treatment: str  # the survey's / check-in's treatment choice id
    min_group_size: int
    horizons: tuple[HorizonOutcomes, ...]

    @property
    def shown(self) -> bool:
        return any(horizon.shown for horizon in self.horizons)


def _text(value: int | None, k: int) -> str:
    return f"<{k}" if value is None else str(value)


def outcomes_from(treatment: str, part: dict[str, Any] | None, k: int) -> OutcomesReport:
    """A release's outcomes part as the report commands show (nothing when it has none)."""
    if part is None:
        return OutcomesReport(treatment, k, tuple(HorizonOutcomes(m) for m in HORIZONS))
    horizons = []
    for horizon in part["horizons"]:
        if horizon["cohort"] is None:
            horizons.append(HorizonOutcomes(horizon["months"]))
            continue
        horizons.append(
            HorizonOutcomes(
                horizon["months"],
                shown=True,
                cohort=_text(horizon["cohort"], k),
                shedding={a: _text(horizon["shedding"][a], k) for a in SHEDDING},
                side_effects={
                    # A release made before a side effect was asked about has no count for it.
                    e: _text(horizon["side_effects"][e], k) if e in horizon["side_effects"] else "–"
                    for e in SIDE_EFFECTS
                },
            )
        )
    return OutcomesReport(treatment, k, tuple(horizons))
