"""Check-in reminders: N members due at the same minute, sent while other members click
through the survey; the same clicks with no reminders going out are the baseline.

Run from the repository root:

    .venv/bin/python bench/reminders.py [--members 10000] [--clickers 20] [--think 1.0]
                                        [--baseline 60]

A full run (10,000 members) takes about 17 minutes on the 2-core development machine
(1,033 s measured), nearly all of it the burst itself: the bot allows itself 36 requests/s
for reminders at 3 requests each (fetch the member, open the DM, send it), and its token
bucket's steady rate is 36 - 3 = 33 requests/s, so sending 10,000 cannot take less than
909 s. ``--members 1000`` takes about 3 minutes (185 s measured).

Everything runs in this one process, on one event loop, over loopback: the Discord double
(``tests.double``, with Discord's global limit of 50 requests/s switched on, so an
overshoot is answered 429) and the real, unmodified ``AnagenBot`` connected to it as the
end-to-end tests do, with a fresh database in a temporary folder. As in
``bench/survey_load.py``, the double's schema validation of request bodies is switched off
during the run and applied afterwards to the recorded bodies (``ValidateLater``).

Set-up (not measured). N members are added to the double's server and enrolled in
check-ins with ``CheckinRepository.enrol`` (every 4 weeks, UTC, at the hour of the run's
start); check-ins are switched on for the server. Their first check-in is four weeks away,
so the bot starts with nothing due.

Baseline phase. C members at a time (``--clickers``) each run ``/survey start``, press
**Start the survey**, answer every question by clicks (``tests.survey_driver.CLICKS``, the
forms submitted) and press **Done**, pausing about ``--think`` seconds (0.5 to 1.5 times,
at random) before each click; a member who finishes is replaced by a new one. This lasts
``--baseline`` seconds.

Burst phase. All N enrolments are made due at the top of the current hour (one period,
nothing earlier owed) and the bot's reminder scheduler is restarted (``stop`` then
``start``, which is what the bot does when it becomes ready), so it finds them at once.
The same click load runs until the scheduler has recorded an outcome for all N.

Printed: time from waking the scheduler to the last outcome recorded, reminders per
second, the pacing floor (N x 3 / 37 s: the token bucket's steady rate is the budget of
40 less one reminder's cost, its capacity), the most requests the double saw in any
one-second window (what Discord's global limit counts: not interaction endpoints, 429s
included; the reminders' own requests apart), the 429s answered; reminder DMs per member
(duplicates: more than one; missing: none) and the log's states; for survey clicks
(component presses and form submissions, from the double sending INTERACTION_CREATE to
the bot's callback arriving) p50, p99 and max in both phases and the ratio burst /
baseline; the double's rejections and the warnings logged. A benchmark, not a test: it
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import logging
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.survey_load import LogCounter, ValidateLater, running, running_double
from bot.app import AnagenBot
from bot.checkins.scheduler import Pacing, ReminderScheduler
from bot.schedule import Schedule
from bot.settings import Settings
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.tx import Tx
from tests.double import DiscordDouble, User
from tests.survey_driver import CLICKS, answer_step, start_survey, step_of

DISCORD_GLOBAL_LIMIT = 50
DEADLINE_S = 3.0
CLICK_TYPES = (3, 5)  # component presses and form submissions
MEMBER_PATH = re.compile(r"/guilds/\d+/members/(\d+)")


@dataclass
class Phase:
    name: str
    started: float = 0.0  # time.monotonic()
    ended: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    late: int = 0  # answered after the deadline, rejected, or never answered
    failures: list[str] = field(default_factory=list)  # members who got stuck in the phase

    def holds(self, instant: float) -> bool:
        return self.started <= instant <= self.ended

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    def pct(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


@dataclass
class Traffic:
    """Requests under Discord's global limit in one phase: the most in any one second."""

    peak: int = 0  # 429s included: what Discord would count
    peak_admitted: int = 0
    peak_reminders: int = 0  # the reminders' own requests (429s included)
    rate_limited: int = 0  # 429s answered


@dataclass
class Burst:
    members: int
    pacing: Pacing = field(default_factory=Pacing)  # the running scheduler's
    wall_s: float = 0.0  # scheduler woken -> every reminder's outcome recorded
    first_to_last_s: float = 0.0  # first reminder posted -> last reminder posted
    outcomes: Counter[str] = field(default_factory=Counter)
    dms: Counter[int] = field(default_factory=Counter)  # reminder DMs per count: {1: N}
    log_states: dict[str, int] = field(default_factory=dict)
    log_rows_per_member: Counter[int] = field(default_factory=Counter)
    traffic: dict[str, Traffic] = field(default_factory=dict)  # by phase name
    timed_out: bool = False

    @property
    def floor_s(self) -> float:
        """The least time pacing allows: the token bucket's steady rate is the budget less
        one reminder's cost (its capacity), so that any one second stays within budget."""
        cost = self.pacing.requests_per_reminder
        return self.members * cost / (self.pacing.max_requests_per_second - cost)


def peak(times: list[float], window: float = 1.0) -> int:
    """The most instants within any `window` seconds (a sliding window)."""
    times = sorted(times)
    best = 0
    for end, at in enumerate(times):
        best = max(best, end - bisect.bisect_right(times, at - window, 0, end) + 1)
    return best


# -- set-up -----------------------------------------------------------------------------------


async def enrol(database: Path, guild_id: int, members: list[User], hour: datetime) -> float:
    """Enrol every member (first check-in four weeks away); returns the seconds it took."""
    started = time.perf_counter()
    schedule = Schedule(4, hour.weekday(), hour.hour, "UTC")
    now = datetime.now(UTC)

    def unit(tx: Tx) -> None:
        repo = CheckinRepository(tx)
        for member in members:
            repo.enrol(guild_id, member.id, schedule, now)
        GuildSettingsRepository(tx).save(GuildSettings(guild_id, checkins_enabled=True))

    async with await Database.open(database) as db:
        await db.run(unit)
    return time.perf_counter() - started


async def make_due(bot: AnagenBot, hour: datetime) -> None:
    """Every enrolment due at `hour`, the schedule's first occurrence: one period owed."""
    await bot.db.run(
        lambda tx: tx.run(
            "UPDATE checkin_enrolments SET anchor_date = ?, next_due_utc = ?",
            (hour.date().isoformat(), stamp(hour)),
        )
    )


# -- the click load -----------------------------------------------------------------------------


class Clickers:
    """`count` survey members at a time clicking through the survey; a member who finishes
    is replaced by a new one, until `stop`. One load runs through both phases, which are
    windows of time, so the load is the same with and without the burst."""

    def __init__(self, double: DiscordDouble, count: int, think: float) -> None:
        self.double, self.count, self.think = double, count, think
        # Pauses vary (0.5-1.5 x think) so members do not click, finish and start new
        # surveys in lockstep, which would bunch their DM requests unrealistically.
        self._rng = random.Random(12)
        self.users: set[int] = set()
        self.failures: list[tuple[float, str]] = []  # (time.monotonic(), what happened)
        self._made = 0
        self._stop = asyncio.Event()

    @property
    def warm_up_s(self) -> float:
        """Until every member has started: starts are staggered over about one survey."""
        return 25 * self.think

    async def run(self) -> None:
        await asyncio.gather(*(self._member_after_member() for _ in range(self.count)))

    def stop(self) -> None:
        self._stop.set()

    async def _member_after_member(self) -> None:
        await asyncio.sleep(self._rng.uniform(0, self.warm_up_s))
        while not self._stop.is_set():
            self._made += 1
            user = self.double.add_member(f"clicker{self._made}")
            self.users.add(user.id)
            try:
                await self._survey(user)
            except Exception as exc:  # a member who got stuck: counted, the load goes on
                self.failures.append((time.monotonic(), f"{type(exc).__name__}: {exc}"[:300]))

    async def _pause(self) -> None:
        await asyncio.sleep(self.think * self._rng.uniform(0.5, 1.5))

    async def _survey(self, user: User) -> None:
        message = await start_survey(self.double, user)
        while (step := step_of(message)) is not None:
            if self._stop.is_set():
                return
            await self._pause()
            message = await answer_step(self.double, user, message, CLICKS[step.split("/")[0]])
        await self._pause()
        done = await self.double.click(user, message, "Done")
        if "Thank you" not in done.message.text:
            raise AssertionError(f"Done did not finish: {done.message.text[:100]!r}")


def measure_clicks(double: DiscordDouble, phase: Phase, clickers: Clickers) -> None:
    """The phase's click latencies, from the interactions the double sent within it."""
    phase.failures = [what for at, what in clickers.failures if phase.holds(at)]
    for record in double.interactions.values():
        if record.type not in CLICK_TYPES or record.user.id not in clickers.users:
            continue
        if not phase.holds(record.sent_at):
            continue
        if record.answered_at is None or record.error is not None:
            phase.late += 1
            continue
        elapsed = record.answered_at - record.sent_at
        phase.latencies_ms.append(elapsed * 1000)
        phase.late += elapsed > DEADLINE_S


# -- the burst --------------------------------------------------------------------------------


async def wait_for_outcomes(scheduler: ReminderScheduler, members: int, limit_s: float) -> bool:
    """Poll the scheduler's outcome counts until every reminder has one; False after
    `limit_s` seconds."""
    deadline = time.monotonic() + limit_s
    while sum(scheduler.counts.values()) < members:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


def reminder_requests(
    double: DiscordDouble, reminded: list[User], phase: Phase
) -> tuple[list[float], list[float]]:
    """Arrival times of the reminders' own requests (fetching one of the N members, opening
    a DM with one, posting to one's DM channel), and of the posts Discord answered 200."""
    ids = {u.id for u in reminded}
    channels = {c.id for user_id, c in double.dm_channels.items() if user_id in ids}
    every, posted = [], []
    for r in double.requests:
        if not phase.holds(r.at):
            continue
        fetched = (m := MEMBER_PATH.fullmatch(r.path)) is not None and int(m.group(1)) in ids
        opened = r.path == "/users/@me/channels" and int((r.body or {})["recipient_id"]) in ids
        sent = r.path.startswith("/channels/") and int(r.path.split("/")[2]) in channels
        if fetched or opened or sent:
            every.append(r.at)
        if sent and r.status == 200:
            posted.append(r.at)
    return every, posted


def traffic_in(double: DiscordDouble, phase: Phase, reminded: list[User]) -> Traffic:
    """The phase's requests under the global limit, in any one-second window."""
    bound = [r for r in double.requests if r.global_bound and phase.holds(r.at)]
    own, _ = reminder_requests(double, reminded, phase)
    return Traffic(
        peak=peak([r.at for r in bound]),
        peak_admitted=peak([r.at for r in bound if r.status != 429]),
        peak_reminders=peak(own),
        rate_limited=sum(r.status == 429 for r in bound),
    )


def audit_reminders(double: DiscordDouble, burst: Burst, reminded: list[User], db: Path) -> None:
    """Reminder DMs per member in the double, and the reminder log's rows, per member."""
    burst.dms = Counter(len(double.dms(u)) for u in reminded)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        burst.log_states = dict(
            conn.execute("SELECT state, count(*) FROM checkin_reminders GROUP BY state")
        )
        per_member = Counter(
            user for (user,) in conn.execute("SELECT user_id FROM checkin_reminders")
        )
    burst.log_rows_per_member = Counter(per_member[u.id] for u in reminded)


async def baseline_phase(seconds: float) -> Phase:
    phase = Phase("no reminders (baseline)", started=time.monotonic())
    await asyncio.sleep(seconds)
    phase.ended = time.monotonic()
    return phase


async def burst_phase(bot: AnagenBot, burst: Burst, hour: datetime) -> tuple[Phase, str]:
    """Wake the scheduler with everyone due and wait until every reminder has an outcome;
    returns the phase (it starts as the scheduler is woken) and a note on CPU use."""
    # discord.py loads extensions as fresh module objects, so isinstance(cog, CheckIns) fails.
    scheduler: ReminderScheduler = bot.get_cog("CheckIns").scheduler  # type: ignore[union-attr]
    burst.pacing = scheduler._pacing  # what the cog configured, for the floor
    await scheduler.stop()
    await make_due(bot, hour)
    phase = Phase("during the burst", started=time.monotonic())
    cpu = time.process_time()
    scheduler.start()
    limit_s = 3 * burst.floor_s + 300
    burst.timed_out = not await wait_for_outcomes(scheduler, burst.members, limit_s)
    phase.ended = time.monotonic()
    burst.wall_s = phase.seconds
    cpu_s = time.process_time() - cpu
    burst.outcomes = Counter(scheduler.counts)
    note = (
        f"burst phase: CPU {cpu_s:.0f} s in {phase.seconds:.0f} s wall ({cpu_s / phase.seconds:.0%}"
        " of one core, shared by the double, the bot and the clicking members)"
    )
    return phase, note


async def run(args: argparse.Namespace, logs: LogCounter) -> tuple[Phase, Phase, Burst, list[str]]:
    notes: list[str] = []
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    burst = Burst(args.members)
    with tempfile.TemporaryDirectory(prefix="anagen-reminders-") as folder:
        database = Path(folder) / "anagen.db"
        async with running_double() as double:
            double.global_rate_limit = DISCORD_GLOBAL_LIMIT
            reminded = [double.add_member(f"member{i}") for i in range(args.members)]
            seeded = await enrol(database, double.guild.id, reminded, hour)
            notes.append(f"set-up: {args.members:,} enrolments stored in {seeded:.1f} s")
            bot = AnagenBot(Settings(token=double.token, database=database))
            async with running(bot, double.token):
                clickers = Clickers(double, args.clickers, args.think)
                load = asyncio.create_task(clickers.run())
                await asyncio.sleep(clickers.warm_up_s)
                logs.records.clear()
                baseline = await baseline_phase(args.baseline)
                during, note = await burst_phase(bot, burst, hour)
                notes.append(note)
                clickers.stop()
                await load
                await asyncio.sleep(0.5)  # anything still in flight lands
                _, posted = reminder_requests(double, reminded, during)
                burst.first_to_last_s = max(posted) - min(posted) if posted else float("nan")
                for phase in (baseline, during):
                    measure_clicks(double, phase, clickers)
                    burst.traffic[phase.name] = traffic_in(double, phase, reminded)
            audit_reminders(double, burst, reminded, database)
            checked, sent, problems = ValidateLater.check(double)
            notes.append(f"request bodies validated after the run: {checked:,} of {sent:,}")
            rejections = [*double.rejections, *problems]
    notes.append(f"requests the double rejected: {len(rejections)}")
    notes.extend(f"  {r}" for r in rejections[:5])
    logged = sorted({f"{r.name}: {r.getMessage()}"[:200] for r in logs.records})
    notes.append(f"warnings and errors logged: {len(logs.records)}")
    notes.extend(f"  {line}" for line in logged[:5])
    return baseline, during, burst, notes


# -- the report ---------------------------------------------------------------------------------


def report(args: argparse.Namespace, baseline: Phase, during: Phase, burst: Burst) -> None:
    pacing = burst.pacing
    print(
        f"reminders: {burst.members:,} members due at the same minute; pacing"
        f" {pacing.max_requests_per_second} requests/s, {pacing.requests_per_reminder} per"
        f" reminder; Discord's global limit ({DISCORD_GLOBAL_LIMIT}/s) enforced by the double"
    )
    sent = burst.outcomes.get("sent", 0)
    rate = sent / burst.wall_s if burst.wall_s else float("nan")
    print(
        f"\n{'sending':24} {'wall s':>7} {'floor s':>7} {'wall/floor':>10} {'reminders/s':>11}"
        f" {'first-last post s':>17}"
    )
    print(
        f"{'all due at once':24} {burst.wall_s:>7.1f} {burst.floor_s:>7.1f}"
        f" {burst.wall_s / burst.floor_s:>10.2f} {rate:>11.2f} {burst.first_to_last_s:>17.1f}"
        + ("   TIMED OUT" if burst.timed_out else "")
    )
    print(
        f"\n{'requests in any 1 s':24} {'all':>7} {'admitted':>8} {'reminders':>9} {'429s':>5}"
        f"   (limit {DISCORD_GLOBAL_LIMIT}; 'all' and 'reminders' include 429s)"
    )
    for phase in (baseline, during):
        t = burst.traffic[phase.name]
        print(
            f"{phase.name:24} {t.peak:>7} {t.peak_admitted:>8} {t.peak_reminders:>9}"
            f" {t.rate_limited:>5}"
        )
    duplicates = sum(n for count, n in burst.dms.items() if count > 1)
    print(
        f"\ndelivery: sent {sent:,} of {burst.members:,}; duplicates (members with more than one"
        f" reminder DM) {duplicates}; members without one {burst.dms.get(0, 0)}"
    )
    print(
        f"  outcomes {dict(burst.outcomes)}; log states {burst.log_states};"
        f" log rows per member {dict(burst.log_rows_per_member)}"
    )
    print(
        f"\nsurvey clicks: {args.clickers} members at a time, about {args.think:.2f} s between"
        " clicks, a new member for each one who finishes"
    )
    print(
        f"{'':24} {'clicks':>7} {'clicks/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'>3 s':>5} {'stuck':>5}"
    )
    for phase in (baseline, during):
        peak_ms = max(phase.latencies_ms, default=float("nan"))
        per_s = len(phase.latencies_ms) / phase.seconds if phase.seconds else float("nan")
        print(
            f"{phase.name:24} {len(phase.latencies_ms):>7,} {per_s:>8.1f} {phase.pct(50):>7.1f}"
            f" {phase.pct(99):>7.1f} {peak_ms:>7.1f} {phase.late:>5} {len(phase.failures):>5}"
        )
    print(
        f"{'ratio burst / baseline':24} {'':>7} {'':>8} {during.pct(50) / baseline.pct(50):>7.2f}"
        f" {during.pct(99) / baseline.pct(99):>7.2f}"
    )
    for phase in (baseline, during):
        for failure in sorted(set(phase.failures))[:3]:
            print(f"  stuck in {phase.name}: {failure}")


async def main_async(args: argparse.Namespace) -> None:
    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.WARNING)
    started = time.perf_counter()
    baseline, during, burst, notes = await run(args, logs)
    report(args, baseline, during, burst)
    print()
    for note in notes:
        print(note)
    print(f"total wall time: {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="members due at once")
    parser.add_argument("--clickers", type=int, default=20, help="survey members at a time")
    parser.add_argument("--think", type=float, default=1.0, help="seconds before each click")
    parser.add_argument("--baseline", type=float, default=60.0, help="seconds of baseline")
    args = parser.parse_args()
    args.members = max(1, args.members)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
