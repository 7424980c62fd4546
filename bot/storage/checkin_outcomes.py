"""What check-ins say about one treatment over time, counted in SQL for one server.

The counting returns trajectories (the answers a member gave at the two horizons) with how
many members share each, never user ids: who said what stays in the database. The
counts are joint over both horizons because the privacy model needs them that way (a
member in both cohorts is one unknown, not two), and a GROUP BY per published number would
lose that; `bot.checkins.outcomes` reads them and decides what may be shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.tx import Tx

# Where the check-in questionnaire (checkin-v1.toml) stores the answers counted here.
SHEDDING_QUESTION = "shedding"
SIDE_EFFECTS_QUESTION = "regimen.side_effects"  # item = the treatment's choice id


@dataclass(frozen=True, slots=True)
class Trajectory:
    """One member's answers at the short and the long horizon.

    `later` is None when the member has no check-in far enough after the start for the
    long horizon. `one_checkin`: both horizons read the same check-in (the member's first
    check-in that late was also the first one late enough for the short horizon)."""

    first: str  # shedding answer at the short horizon
    first_effects: frozenset[str]  # side effects reported from the start up to it
    later: str | None = None
    later_effects: frozenset[str] = frozenset()
    one_checkin: bool = False


# Per member: the earliest known start of the treatment; per horizon, the first completed
# check-in at least that many months after the first day of the start month that answered
# the shedding question; the side effects reported for the treatment in any check-in from
# the start up to and including that one. Then grouped, so only counts leave SQLite.
_TRAJECTORIES = """
WITH starts AS (
    SELECT user_id, min(started_month) || '-01' AS start_day
    FROM regimen_entries
    WHERE guild_id = :guild AND treatment_id = :treatment AND started_month IS NOT NULL
    GROUP BY user_id
),
horizons (months) AS (VALUES (:short), (:long)),
answered AS (
    SELECT s.user_id, s.start_day, r.id, r.completed_at, c.choice_id AS shedding
    FROM starts s
    JOIN checkin_responses r ON r.guild_id = :guild AND r.user_id = s.user_id
    JOIN checkin_answer_choices c ON c.response_id = r.id
        AND c.question_id = :shedding_question AND c.item = ''
    WHERE r.status = 'completed' AND r.completed_at >= s.start_day
        AND c.choice_id IN ({levels})
),
ranked AS (
    SELECT h.months, a.user_id, a.start_day, a.id, a.completed_at, a.shedding,
        row_number() OVER (PARTITION BY h.months, a.user_id ORDER BY a.completed_at, a.id) AS nth
    FROM horizons h
    JOIN answered a ON a.completed_at >= {horizon_day}
),
firsts AS (SELECT * FROM ranked WHERE nth = 1),
effects AS (
    SELECT f.months, f.user_id, {side_effects} AS side_effects
    FROM firsts f
    JOIN checkin_responses r ON r.guild_id = :guild AND r.user_id = f.user_id
        AND r.status = 'completed' AND r.completed_at >= f.start_day
        AND (r.completed_at, r.id) <= (f.completed_at, f.id)
    JOIN checkin_answer_choices e ON e.response_id = r.id
        AND e.question_id = :effects_question AND e.item = :treatment
        AND e.choice_id IN ({effects})
    GROUP BY f.months, f.user_id
)
SELECT s.shedding, coalesce(se.side_effects, ''), l.shedding, coalesce(le.side_effects, ''),
    CASE WHEN l.id = s.id THEN 1 ELSE 0 END, count(*)
FROM firsts s
LEFT JOIN effects se ON se.months = s.months AND se.user_id = s.user_id
LEFT JOIN firsts l ON l.months = :long AND l.user_id = s.user_id
LEFT JOIN effects le ON le.months = :long AND le.user_id = s.user_id
WHERE s.months = :short
GROUP BY 1, 2, 3, 4, 5
"""


def _placeholders(names: dict[str, str]) -> str:
    return ", ".join(f":{name}" for name in names) or "NULL"


def _choices(text: str) -> frozenset[str]:
    return frozenset(text.split(",")) if text else frozenset()


def trajectories(
    tx: Tx,
    guild_id: int,
    treatment_id: str,
    shedding_levels: Sequence[str],
    side_effects: Sequence[str],
    short: int = 3,
    long: int = 6,
) -> dict[Trajectory, int]:
    """How many members of the short-horizon cohort for `treatment_id` had each trajectory.

    Only check-ins whose shedding answer is one of `shedding_levels` count, so every member
    counted has exactly one of them at each horizon they reached; of the side-effect
    answers only `side_effects` are kept ("none" is not one)."""
    if not 0 < short < long:
        raise ValueError("horizons must be 0 < short < long months")
    levels = {f"level{i}": level for i, level in enumerate(shedding_levels)}
    effects = {f"effect{i}": effect for i, effect in enumerate(side_effects)}
    sql = _TRAJECTORIES.format(
        levels=_placeholders(levels),
        effects=_placeholders(effects),
        horizon_day=tx.dialect.add_months("a.start_day", "h.months"),
        side_effects=tx.dialect.list_agg("e.choice_id", distinct=True),
    )
    params = {
        "guild": guild_id,
        "treatment": treatment_id,
        "short": short,
        "long": long,
        "shedding_question": SHEDDING_QUESTION,
        "effects_question": SIDE_EFFECTS_QUESTION,
        **levels,
        **effects,
    }
    found: dict[Trajectory, int] = {}
    for first, first_effects, later, later_effects, one, count in tx.rows(sql, params):
        trajectory = Trajectory(
            first,
            _choices(first_effects),
            later,
            _choices(later_effects) if later is not None else frozenset(),
            bool(one),
        )
        # the aggregate's order is not defined: equal sets may arrive as two rows
        found[trajectory] = found.get(trajectory, 0) + count
    return found


def started_treatments(tx: Tx, guild_id: int) -> list[str]:
    """The treatments some member of the server has a known start month for."""
    rows = tx.rows(
        "SELECT DISTINCT treatment_id FROM regimen_entries WHERE guild_id = ?"
        " AND started_month IS NOT NULL ORDER BY treatment_id",
        (guild_id,),
    )
    return [row[0] for row in rows]
