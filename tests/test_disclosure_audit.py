"""A disclosure audit of everything public, the way statistical offices check their tables.

For generated servers (small groups, exclusive options, groups left out), the numbers the
public outputs show are gathered: /survey results, the community report of /treatment
lookup, and every comparison between the generated groupings of two questions (both ways
round, every grouping of each: "itch", "any sensation", …). Each becomes a linear
constraint on the unknown number of members with each possible set of answers. For every
count the outputs keep back (shown as <k, or left out for being small), linear programming
finds the smallest and largest value it could take given all of them; it must still be any
of at least k values. Numbers shown as "–" are treated as unknown.

All of it is checked together: every comparison of the generated groupings, the results
page and the report, as one reader would lay them side by side.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from scipy.optimize import linprog

from bot.app import AnagenBot
from bot.results.service import ComparisonRefused, ResultsService
from bot.storage import Database
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.service import TreatmentService
from tests.double import DiscordDouble, User
from tests.survey_driver import seed_response

SEXES = ("male", "female", "other", "undisclosed")
# Every answer a reader must consider possible: any set of the six sensations, or "none".
_FELT = ("itch", "burning", "pain", "tightness", "numbness", "prickling")
SENSATIONS = (
    *(
        tuple(s for bit, s in enumerate(_FELT) if mask >> bit & 1)
        for mask in range(1, 2 ** len(_FELT))
    ),
    ("none",),
)
# What generated members actually answer (and how often).
GENERATED_SENSATIONS = (("itch",), ("burning",), ("itch", "burning"), ("none",))
SHEDDING = ("none", "normal", "more", "heavy")
# The answers to "what did it do", as the bundled questionnaire's treatments report counts them.
_REPORTS = load_questionnaire().results.treatments
assert _REPORTS is not None
EFFECT_ANSWERS = _REPORTS.fields[0].answers
TREATED = (None, *EFFECT_ANSWERS)  # None: no treatment; otherwise finasteride and its effect


@dataclass(frozen=True)
class Profile:
    sex: str
    sensations: tuple[str, ...]
    shedding: str
    finasteride: str | None  # the effect on shedding reported, or None when not taken


PROFILES = [Profile(*p) for p in itertools.product(SEXES, SENSATIONS, SHEDDING, TREATED)]

# Every comparable variable the generated answers touch: its level for a profile.
VARIABLES: dict[str, Callable[[Profile], str]] = {
    "sex": lambda p: p.sex,
    "sensations:itch": lambda p: "yes" if "itch" in p.sensations else "no",
    "sensations:burning": lambda p: "yes" if "burning" in p.sensations else "no",
    "sensations:any": lambda p: "no" if p.sensations == ("none",) else "yes",
    "shedding": lambda p: p.shedding,
    "treatments:finasteride": lambda p: "no" if p.finasteride is None else "yes",
}
# Finasteride takers' answers about scalp sensations appear only as the report's margins,
# which add up to the takers (the question is required): extra unknowns beside the profiles.
SENSATION_EFFECTS = EFFECT_ANSWERS
Predicate = Callable[[Profile], bool]
Row = list[float]


def row(predicate: Predicate, effect: str | bool = False) -> Row:
    """A sum over profiles (and, for the report's sensations answers, the extra unknowns)."""
    extra = [1.0 if effect is not False and effect == e else 0.0 for e in SENSATION_EFFECTS]
    return [float(predicate(x)) for x in PROFILES] + extra


@dataclass
class Ledger:
    """What a reader has learnt: exact sums, sums under k, and the counts to protect."""

    k: int
    exact: list[tuple[Row, int]] = field(default_factory=list)
    small: list[tuple[Row, str]] = field(default_factory=list)

    def shown(self, sums: Row, text: str, what: str) -> None:
        if text.isdigit():
            self.exact.append((sums, int(text)))
        elif text == f"<{self.k}":
            self.small.append((sums, what))
        else:
            assert text == "–", f"{what}: unexpected public text {text!r}"

    def left_out(self, sums: Row, what: str) -> None:
        self.small.append((sums, what))

    def narrow(self) -> list[str]:
        """The protected counts a reader could pin to fewer than k values."""
        took = row(lambda p: p.finasteride is not None)
        every_answer = [0.0] * len(PROFILES) + [1.0] * len(SENSATION_EFFECTS)
        # structure the reader knows: each taker answered the sensations question once
        rows_eq = [[a - b for a, b in zip(every_answer, took, strict=True)]]
        rhs_eq = [0.0]
        rows_eq += [sums for sums, _ in self.exact]
        rhs_eq += [float(v) for _, v in self.exact]
        rows_ub = [sums for sums, _ in self.small]
        rhs_ub = [float(self.k - 1)] * len(self.small)
        found = []
        for objective, what in self.small:
            ends = []
            for sign in (1.0, -1.0):
                result = linprog(
                    [sign * c for c in objective],
                    A_ub=rows_ub or None,
                    b_ub=rhs_ub or None,
                    A_eq=rows_eq or None,
                    b_eq=rhs_eq or None,
                    bounds=(0, None),
                    method="highs",
                )
                assert result.status in (0, 3), result.message  # the data itself is feasible
                ends.append(math.inf if result.status == 3 else sign * result.fun)
            low, high = ends
            values = math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1
            if values < self.k:
                found.append(f"{what}: could only be {math.ceil(low - 1e-6)}-{high:.0f}")
        return found


def generate(seed: int) -> list[Profile]:
    """A small server: mostly men, a few women, one or two other answers, rare 'none's."""
    rng = random.Random(seed)
    members = []
    for _ in range(rng.randint(12, 24)):
        sex = rng.choices(SEXES, weights=(12, 5, 1, 0.5))[0]
        sensations = rng.choices(GENERATED_SENSATIONS, weights=(6, 3, 3, 1.5))[0]
        shedding = rng.choices(SHEDDING, weights=(1, 5, 5, 3))[0]
        treated = rng.choices(TREATED, weights=(4, 3, 2, 1, 1))[0]
        members.append(Profile(sex, sensations, shedding, treated))
    return members


def answers_of(profile: Profile) -> dict[tuple[str, str], Answer]:
    answers = {
        ("sex", ""): Answer(choices=(profile.sex,)),
        ("sensations", ""): Answer(choices=profile.sensations),
        ("shedding", ""): Answer(choices=(profile.shedding,)),
        ("treatments", ""): Answer(
            choices=("none",) if profile.finasteride is None else ("finasteride",)
        ),
    }
    if profile.finasteride is not None:
        answers[("effects.shedding", "finasteride")] = Answer(choices=(profile.finasteride,))
        sensed = EFFECT_ANSWERS[(len(profile.sensations) + SHEDDING.index(profile.shedding)) % 4]
        answers[("effects.sensations", "finasteride")] = Answer(choices=(sensed,))
    return answers


async def audit(tmp_path: Path, seed: int, k: int) -> tuple[list[str], int]:
    """Publish everything for one generated server; return the narrow counts found."""
    questionnaire = load_questionnaire(None)
    ledger = Ledger(k)  # what every reader sees: /survey results and the report
    async with await Database.open(tmp_path / f"audit-{seed}-{k}.db") as db:
        results = ResultsService(db, questionnaire)
        treatments = TreatmentService(db, load_knowledge_base())
        await results.update_settings(1, min_group_size=k)
        for index, profile in enumerate(generate(seed)):
            await seed_response(db, 1, 1000 + index, answers_of(profile))

        overview = await results.overview(1, chart=False)
        if overview.respondents < k:
            ledger.left_out(row(lambda p: True), "respondents")
        else:
            ledger.shown(row(lambda p: True), str(overview.respondents), "respondents")
        for panel in overview.panels:
            question = questionnaire.question(panel.question_id)
            assert question is not None
            answer_of: Callable[[Profile], tuple[str, ...]] = {
                "sex": lambda p: (p.sex,),
                "sensations": lambda p: p.sensations,
                "shedding": lambda p: (p.shedding,),
            }.get(panel.question_id, lambda p: ())
            ledger.shown(row(lambda p, a=answer_of: bool(a(p))), panel.answered_shown, panel.title)
            for choice, text in zip(panel.choice_ids, panel.shown, strict=True):
                ledger.shown(
                    row(lambda p, a=answer_of, c=choice: c in a(p)),
                    text,
                    f"{panel.title}: {choice}",
                )

        # Comparisons, by the two questions they are about.
        families: dict[frozenset[str], Ledger] = {}
        compared = 0
        for (qid, q_of), (bid, b_of) in itertools.permutations(VARIABLES.items(), 2):
            if qid.split(":")[0] == bid.split(":")[0]:
                continue
            family = families.setdefault(
                frozenset({qid.split(":")[0], bid.split(":")[0]}), Ledger(k)
            )
            try:
                (comparison,) = await results.compare(1, qid, bid, chart=False)
            except ComparisonRefused:
                continue
            compared += 1
            for group, texts in zip(comparison.groups, comparison.shown, strict=True):
                for level, text in zip(comparison.levels, texts, strict=True):
                    family.shown(
                        row(lambda p, f=q_of, h=b_of, g=group, q=level: h(p) == g and f(p) == q),
                        text,
                        f"{qid} by {bid}: {group}/{level}",
                    )
            for group, _ in comparison.by.levels:
                if group not in comparison.groups:
                    family.left_out(row(lambda p, h=b_of, g=group: h(p) == g), f"{bid}={group}")
            for level, _ in comparison.question.levels:
                if level not in comparison.levels:
                    family.left_out(row(lambda p, f=q_of, q=level: f(p) == q), f"{qid}={level}")

        report = await treatments.community_report(1, treatments.kb.by_id["finasteride"])
        took = row(lambda p: p.finasteride is not None)
        if report.hidden:
            ledger.left_out(took, "finasteride reports")
        else:
            ledger.shown(took, report.tried, "finasteride: tried")
            for answer, text in report.effects["shedding"].items():
                ledger.shown(
                    row(lambda p, a=answer: p.finasteride == a),
                    text,
                    f"finasteride shedding {answer}",
                )
            for answer, text in report.effects["sensations"].items():
                ledger.shown(row(lambda p: False, answer), text, f"finasteride sensations {answer}")
    for family in families.values():
        ledger.exact += family.exact
        ledger.small += family.small
    return ledger.narrow(), compared


@pytest.mark.parametrize(("seed", "k"), [(s, k) for s in range(6) for k in (3, 5)])
async def test_no_public_number_narrows_a_hidden_count(tmp_path: Path, seed: int, k: int) -> None:
    narrow, compared = await audit(tmp_path, seed, k)
    assert narrow == [], "\n".join(narrow)
    if k == 3:
        assert compared > 0  # the audit saw comparisons, not only refusals


# -- the two holes a reviewer found, reproduced through the double -----------------------------


async def shown_through_discord(
    double: DiscordDouble, bot: AnagenBot, moderator: User, members: list[Profile], k: int
) -> str:
    """Seed the members, set k, and return what /survey results and the comparison of itch
    by sex print in Discord."""
    await double.slash(moderator, "survey-admin settings", min_group_size=k)
    for index, profile in enumerate(members):
        await seed_response(bot.db, double.guild.id, 5000 + index, answers_of(profile))
    texts = []
    for command, options in (
        ("survey results", {}),
        ("survey compare", {"question": "sensations:itch", "by": "sex"}),
    ):
        reply = await double.slash(moderator, command, **options)
        texts.append((await reply.wait_followup(timeout=60)).text)
    return "\n".join(texts)


async def ledger_of(bot: AnagenBot, guild_id: int, k: int) -> Ledger:
    """The same outputs, read from the services, as the audit reads them."""
    results: ResultsService = bot.get_cog("Survey").results  # type: ignore[union-attr]
    ledger = Ledger(k)
    overview = await results.overview(guild_id, chart=False)
    ledger.shown(row(lambda p: True), str(overview.respondents), "respondents")
    for panel in overview.panels:
        answer_of: Callable[[Profile], tuple[str, ...]] = {
            "sensations": lambda p: p.sensations,
            "shedding": lambda p: (p.shedding,),
        }.get(panel.question_id, lambda p: ())
        ledger.shown(row(lambda p, a=answer_of: bool(a(p))), panel.answered_shown, panel.title)
        for choice, text in zip(panel.choice_ids, panel.shown, strict=True):
            ledger.shown(row(lambda p, a=answer_of, c=choice: c in a(p)), text, choice)
    try:
        (comparison,) = await results.compare(guild_id, "sensations:itch", "sex", chart=False)
    except ComparisonRefused:
        return ledger
    itch = VARIABLES["sensations:itch"]
    for group, texts in zip(comparison.groups, comparison.shown, strict=True):
        for level, text in zip(comparison.levels, texts, strict=True):
            ledger.shown(
                row(lambda p, g=group, q=level: p.sex == g and itch(p) == q),
                text,
                f"{group}/{level}",
            )
    for group, _ in comparison.by.levels:
        if group not in comparison.groups:
            ledger.left_out(row(lambda p, g=group: p.sex == g), f"sex={group}")
    for level, _ in comparison.question.levels:
        if level not in comparison.levels:
            ledger.left_out(row(lambda p, q=level: itch(p) == q), f"itch={level}")
    return ledger


async def test_fourteen_members_and_one_intersex_member(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    # "14 members have completed"; the comparison used to say "Based on 13 members"
    # and label "Male (n=7)", "Female (n=6)": 14 - 13 = 1.
    members = [Profile("male", ("itch",) if i < 4 else ("none",), "normal", None) for i in range(7)]
    members += [
        Profile("female", ("itch",) if i < 3 else ("burning",), "more", None) for i in range(6)
    ]
    members.append(Profile("other", ("itch",), "heavy", None))
    moderator = double.add_member("mod", admin=True)
    text = await shown_through_discord(double, bot, moderator, members, 3)
    assert "**14** members" in text
    assert "Based on" not in text
    assert "(n=" not in text
    assert "Intersex" not in text
    ledger = await ledger_of(bot, double.guild.id, 3)
    ledger.left_out(row(lambda p: p.sex == "other"), "the intersex member")
    assert ledger.narrow() == []


async def test_an_exclusive_answer_cannot_be_counted_by_subtraction(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    # The sensations panel used to show n = 14 and every option but "None of these":
    # with "none" exclusive, 14 - 12 = 2.
    members = [Profile("male", ("itch",), "normal", None) for _ in range(12)]
    members += [Profile("male", ("none",), "normal", None) for _ in range(2)]
    moderator = double.add_member("mod", admin=True)
    await shown_through_discord(double, bot, moderator, members, 3)
    ledger = await ledger_of(bot, double.guild.id, 3)
    ledger.left_out(row(lambda p: p.sensations == ("none",)), "None of these")
    assert ledger.narrow() == []
