"""Groupings declared in the questionnaire file ([results]): the bundled file keeps today's
behaviour, another file brings its own, broken references are problem lines, and a file
without the table still has results. Real files in temporary folders, public interfaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.results.service import ResultsService
from bot.storage import Database
from bot.survey.flow import Answer
from bot.survey.groupings import ResultsSpec
from bot.survey.questionnaire import CHECKIN_BUNDLED, QuestionnaireError, load_questionnaire
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.service import TreatmentService
from tests.releases_driver import publish
from tests.survey_driver import seed_response, treatment_answers

GOOD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
KB = load_knowledge_base()

QUESTIONS = """\
version = 1
title = "Hair check"
intro = "A custom survey with ids of its own."

[[questions]]
id = "years"
type = "number"
prompt = "How old are you?"
min = 18
max = 90

[[questions]]
id = "zones"
type = "multi"
prompt = "Where is it thinning?"
choices = [
  { id = "front", label = "Front" },
  { id = "back", label = "Back" },
  { id = "whole", label = "All over" },
  { id = "nowhere", label = "Nowhere", exclusive = true },
]

[[questions]]
id = "itchy"
type = "single"
prompt = "Is your scalp itchy?"
choices = [{ id = "yes", label = "Yes" }, { id = "no", label = "No" }]

[[questions]]
id = "burn"
type = "scale"
prompt = "How much does it burn?"
min = 0
max = 10

[[questions]]
id = "products"
type = "multi"
prompt = "What have you used?"
choices = [
  { id = "minox", label = "Minoxidil" },
  { id = "keto", label = "Ketoconazole" },
  { id = "nothing", label = "Nothing", exclusive = true },
]

[[questions]]
id = "result"
type = "group"
repeat_for = "products"
prompt = "How did {item} go?"

[[questions.fields]]
id = "hairfall"
prompt = "Hair fall"
choices = [
  { id = "less", label = "Less" },
  { id = "same", label = "Same" },
  { id = "more", label = "More" },
]
"""

RESULTS = """
[results]
overview = ["itchy", "zones"]

[results.bins]
years = [
  { from = 18, to = 39, label = "under 40" },
  { from = 40, to = 90, label = "40+" },
]

[[results.groups]]
id = "front_loss"
label = "Front or all over"
question = "zones"
levels = [
  { id = "front", label = "Front only", any_of = ["front"], none_of = ["whole"] },
  { id = "whole", label = "All over", any_of = ["whole"] },
]

[[results.ready_made]]
question = "itchy"
by = "front_loss"
title = "Is the front more itchy?"

[results.treatments]
question = "products"
effects = "result"

[results.treatments.choices]
minox = ["minoxidil", "minoxidil_oral"]
keto = ["ketoconazole"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(text, encoding="utf-8")
    return path


def anagen_check(path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> list[str]:
    """The PROBLEM lines `anagen check` prints for this questionnaire file."""
    monkeypatch.chdir(path.parent)
    monkeypatch.setenv("ANAGEN_QUESTIONNAIRE", str(path))
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    code = main(["check"])
    problems = [line for line in capsys.readouterr().out.splitlines() if "PROBLEM" in line]
    assert code == (1 if problems else 0)
    return problems


def custom_members() -> list[dict[tuple[str, str], Answer]]:
    """30 members: ten thinning at the front, ten all over, ten at the front and back;
    18 used minoxidil (7 less, 6 same, 5 more hair fall), 12 nothing."""
    zones = [("front",), ("whole",), ("back", "front")]
    members = []
    for index in range(30):
        answers = {
            ("years", ""): Answer(number=20 + 2 * index),
            ("zones", ""): Answer(choices=zones[index % 3]),
            ("itchy", ""): Answer(choices=("yes" if index % 2 else "no",)),
            ("burn", ""): Answer(number=index % 11),
        }
        if index < 18:
            answers[("products", "")] = Answer(choices=("minox",))
            fall = "less" if index < 7 else "same" if index < 13 else "more"
            answers[("result.hairfall", "minox")] = Answer(choices=(fall,))
        else:
            answers[("products", "")] = Answer(choices=("nothing",))
        members.append(answers)
    return members


async def seeded(tmp_path: Path) -> Database:
    db = await Database.open(tmp_path / "anagen.db")
    for index, answers in enumerate(custom_members()):
        await seed_response(db, 1, 100 + index, answers)
    return db


# -- the bundled questionnaire: exactly what the Python constants used to say ---------------


BUNDLED = load_questionnaire()
# Today's behaviour, written out once more as the constants said it before the move.
OLD_BINS = {
    "age": [(13, 24, "13-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 100, "45+")],
    "onset_age": [(5, 19, "under 20"), (20, 29, "20-29"), (30, 100, "30+")],
    "intensity": [(0, 3, "0-3 (mild)"), (4, 6, "4-6 (moderate)"), (7, 10, "7-10 (strong)")],
}
OLD_STAGES = {
    "early": {"nw1", "nw2", "nw2a"},
    "middle": {"nw3", "nw3v", "nw3a", "nw4", "nw4a"},
    "advanced": {"nw5", "nw5a", "nw6", "nw7"},
}
NEW_IN_V2 = ("spironolactone", "saw_palmetto", "ru58841", "biotin", "rosemary_oil")
OLD_CHOICE = {
    "finasteride": "finasteride",
    "dutasteride": "dutasteride",
    "minoxidil": "minoxidil_topical",
    "minoxidil_compounded": "minoxidil_topical",
    "minoxidil_oral": "minoxidil_oral",
    "ketoconazole": "ketoconazole",
    "ciclopirox": "antidandruff_other",
    "selenium_sulfide": "antidandruff_other",
    "zinc_pyrithione": "antidandruff_other",
    "coal_tar": "antidandruff_other",
    "tea_tree_oil": "antidandruff_other",
    "topical_steroids": "topical_steroid",
    "fluocinolone_oil": "topical_steroid",
    "tretinoin": "tretinoin",
    "isotretinoin": "isotretinoin",
    **dict.fromkeys(
        (
            "jak_inhibitors",
            "jak_topical",
            "jak_oral",
            "tofacitinib",
            "ruxolitinib",
            "baricitinib",
            "ritlecitinib",
            "deuruxolitinib",
            "decernotinib",
        ),
        "jak_inhibitor",
    ),
    "prp": "prp",
    "microneedling": "microneedling",
    "lllt": "laser",
    "hair_transplant": "transplant",
}


async def test_bundled_file_declares_todays_bins_groups_overview_and_ready_made(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "anagen.db") as db:
        service = ResultsService(db, BUNDLED)
    variables = service.variables
    for question_id, bins in OLD_BINS.items():
        assert variables[question_id].levels == tuple(
            (f"b{i}", label) for i, (_, _, label) in enumerate(bins)
        )
        declared = BUNDLED.results.bins_for(BUNDLED[question_id])
        assert [(b.low, b.high, b.label) for b in declared] == bins

    stage = variables["stage_group"]
    assert stage.question_id == "norwood"
    assert [level for level, _ in stage.levels] == ["early", "middle", "advanced"]
    for choice in BUNDLED["norwood"].choices:
        expected = next((lv for lv, ids in OLD_STAGES.items() if choice.id in ids), None)
        assert stage.level_of((choice.id,)) == expected

    pattern = variables["loss_pattern"]
    assert pattern.levels == (
        ("receding", "Receding (hairline or temples)"),
        ("diffuse", "Diffuse thinning"),
    )
    for areas in [("hairline",), ("diffuse",), ("diffuse", "hairline"), ("crown",), ("none",)]:
        old = "diffuse" if "diffuse" in areas else "receding" if "hairline" in areas else None
        assert pattern.level_of(areas) == old

    assert [q.id for q in service.overview_questions()] == [
        "norwood",
        "ludwig",
        "areas",
        "sensations",
        "shedding",
        "dandruff",
        "oiliness",
    ]
    assert service.ready_made() == [
        (
            "sensations:any",
            "loss_pattern",
            "Do receders feel itch or burning more than diffuse thinners?",
        ),
        ("sensations:any", "stage_group", "Scalp sensations by Norwood stage"),
        ("sensations:itch", "shedding", "Does itch come with more shedding?"),
        ("oiliness", "stage_group", "Does the scalp get oilier as hair is lost?"),
    ]


async def test_bundled_file_maps_every_treatment_entry_as_before(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "anagen.db") as db:
        service = TreatmentService(db, KB, BUNDLED)
        assert TreatmentService(db, KB).reports == service.reports  # the default
    # version 2 of the survey keeps every mapping of version 1 and adds its new choices
    assert {t.id: service.survey_choice(t) for t in KB.treatments if service.survey_choice(t)} == (
        OLD_CHOICE | {c: c for c in NEW_IN_V2}
    )
    assert service.reports is not None
    assert [(f.id, f.answers) for f in service.reports.fields] == [
        ("shedding", ("better", "no_change", "worse", "not_sure")),
        ("sensations", ("better", "no_change", "worse", "not_sure")),
    ]


async def test_community_reports_word_their_answers_as_the_questionnaire_does(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "anagen.db") as db:
        service = TreatmentService(db, KB, BUNDLED)
        unpublished = await service.community_report(1, KB.by_id["finasteride"])
        assert unpublished.survey_choice == "finasteride"
        assert unpublished.released_at is None  # no release yet: nothing to word
        for index in range(10):  # a batch: the first release
            await seed_response(
                db, 1, 100 + index, treatment_answers("finasteride", "better", "better")
            )
        await publish(service.releases, 1)
        jak = await service.community_report(1, KB.by_id["baricitinib"])
        finasteride = await service.community_report(1, KB.by_id["finasteride"])
    assert jak.group == "JAK inhibitor"  # several entries report under one survey choice
    assert finasteride.group is None
    assert finasteride.released_at is not None
    assert [(f, prompt) for f, prompt, _ in finasteride.labels] == [
        ("shedding", "Effect on shedding"),
        ("sensations", "Effect on scalp sensations"),
    ]
    assert finasteride.labels[0][2][1] == ("no_change", "No change")
    assert jak.labels == finasteride.labels  # worded alike, though nobody reported on JAKs
    assert jak.hidden


def test_the_checkin_questionnaire_loads_with_default_groupings() -> None:
    assert load_questionnaire(CHECKIN_BUNDLED).results == ResultsSpec()


# -- a questionnaire of one's own ------------------------------------------------------------


async def test_a_custom_file_brings_its_own_groupings_to_results(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(write(tmp_path, QUESTIONS + RESULTS))
    async with await seeded(tmp_path) as db:
        service = ResultsService(db, questionnaire)
        assert service.variables["years"].levels == (("b0", "under 40"), ("b1", "40+"))
        assert service.variables["front_loss"].levels == (
            ("front", "Front only"),
            ("whole", "All over"),
        )
        assert service.ready_made() == [("itchy", "front_loss", "Is the front more itchy?")]
        assert ("front_loss", "Front or all over") in service.comparable("front")

        await publish(service.releases, 1)
        overview = await service.overview(1, chart=False)
        assert overview.respondents == 30
        assert [p.question_id for p in overview.panels] == ["itchy", "zones"]

        (comparison,) = await service.compare(1, "itchy", "front_loss", chart=False)
        assert comparison.by.id == "front_loss"
        # front only: the ten at the front and the ten at front and back; all over: ten
        # (multiples of 5, which rounding leaves as they are)
        assert {group.label: group.total for group in comparison.groups} == {
            "Front only": 20,
            "All over": 10,
        }
        (by_age,) = await service.compare(1, "itchy", "years", chart=False)
        # ages 20-78: ten under 40, twenty 40 or over
        assert {group.label: group.total for group in by_age.groups} == {
            "under 40": 10,
            "40+": 20,
        }


async def test_a_custom_file_says_which_answers_report_on_a_treatment(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(write(tmp_path, QUESTIONS + RESULTS))
    async with await seeded(tmp_path) as db:
        service = TreatmentService(db, KB, questionnaire)
        await publish(service.releases, 1)
        report = await service.community_report(1, KB.by_id["minoxidil_oral"])
        assert report.survey_choice == "minox"
        assert not report.hidden
        # 18 tried it (7 less, 6 same, 5 more), each rounded to a neighbouring multiple of 5
        assert report.tried in ("15", "20")
        assert set(report.effects) == {"hairfall"}
        hairfall = report.effects["hairfall"]
        assert set(hairfall) == {"less", "same", "more"}
        assert hairfall["less"] in ("5", "10")
        assert hairfall["same"] in ("5", "10")
        assert hairfall["more"] == "5"
        assert [(f, prompt) for f, prompt, _ in report.labels] == [
            ("hairfall", "Hair fall"),
        ]
        assert report.labels[0][2] == (("less", "Less"), ("same", "Same"), ("more", "More"))
        assert report.group == "Minoxidil"  # two entries report under "minox"
        unasked = await service.community_report(1, KB.by_id["finasteride"])
        assert unasked.survey_choice is None


async def test_a_file_without_results_table_still_has_results(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(write(tmp_path, QUESTIONS))
    assert questionnaire.results == ResultsSpec()
    async with await seeded(tmp_path) as db:
        service = ResultsService(db, questionnaire)
        # every choice question is shown and is a grouping; numbers get default bins
        assert [q.id for q in service.overview_questions()] == ["zones", "itchy", "products"]
        assert service.variables["years"].levels == (("b0", "18-54"), ("b1", "55-90"))
        assert [label for _, label in service.variables["burn"].levels] == [
            "0-3 (mild)",
            "4-6 (moderate)",
            "7-10 (strong)",
        ]
        assert {"zones:front", "zones:any", "itchy", "products:minox"} <= set(service.variables)
        assert service.ready_made() == []
        await publish(service.releases, 1)
        overview = await service.overview(1, chart=False)
        assert overview.respondents == 30
        assert "itchy" in [p.question_id for p in overview.panels]
        (comparison,) = await service.compare(1, "itchy", "zones:front", chart=False)
        # twenty thin at the front (alone or with the back), ten all over: all thirty
        assert {group.label: group.total for group in comparison.groups} == {"Yes": 20, "No": 10}

        treatments = TreatmentService(db, KB, questionnaire)
        assert not any(treatments.survey_choice(t) for t in KB.treatments)
        report = await treatments.community_report(1, KB.by_id["minoxidil"])
        assert report.survey_choice is None


def test_scale_default_bins_split_any_range_in_three(tmp_path: Path) -> None:
    text = QUESTIONS.replace("min = 0\nmax = 10", "min = 1\nmax = 5")
    questionnaire = load_questionnaire(write(tmp_path, text))
    bins = questionnaire.results.bins_for(questionnaire["burn"])
    assert [(b.low, b.high, b.label) for b in bins] == [
        (1, 2, "1-2 (mild)"),
        (3, 3, "3 (moderate)"),
        (4, 5, "4-5 (strong)"),
    ]


# -- broken references -----------------------------------------------------------------------


BROKEN = [
    (
        'overview = ["itchy", "zones"]',
        'overview = ["itchy", "scalp"]',
        "results overview: 'scalp' is not a question of this questionnaire",
    ),
    (
        'overview = ["itchy", "zones"]',
        'overview = ["itchy", "years"]',
        "results overview: 'years' is a number question; it must be single or multi",
    ),
    (
        "years = [",
        "itchy = [",
        "results bins of 'itchy': 'itchy' is a single question; it must be number or scale",
    ),
    (
        "{ from = 40, to = 90",
        "{ from = 41, to = 90",
        "bins must cover 18-90 in order, without gaps or overlaps (they are 18-39, 41-90)",
    ),
    (
        'question = "zones"',
        'question = "zone"',
        "results group front_loss: 'zone' is not a question of this questionnaire",
    ),
    (
        'any_of = ["whole"] }',
        'any_of = ["hole"] }',
        "results group front_loss level 'whole': 'zones' has no choice 'hole'",
    ),
    ('id = "front_loss"', 'id = "itchy"', "results group itchy: id is also a question id"),
    ('by = "front_loss"', 'by = "front_los"', "'front_los' is not a grouping"),
    (
        'question = "itchy"\nby',
        'question = "zones:front"\nby',
        "'zones:front' and 'front_loss' come from the same question",
    ),
    ("minox = [", "minoxidil = [", "'minoxidil' is not a choice of 'products'"),
    (
        'effects = "result"',
        'effects = "itchy"',
        "results treatments effects: 'itchy' is a single question; it must be group",
    ),
    (
        'keto = ["ketoconazole"]',
        'keto = ["ketoconazole", "minoxidil"]',
        "entry 'minoxidil' is listed under both 'minox' and 'keto'",
    ),
    ("overview =", "overveiw =", "results: unknown key 'overveiw'"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BROKEN, ids=[case[2][:40] for case in BROKEN])
def test_a_broken_reference_is_one_readable_problem_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    expected: str,
) -> None:
    text = QUESTIONS + RESULTS
    assert text.count(old) == 1
    path = write(tmp_path, text.replace(old, new))
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert len([p for p in raised.value.problems if expected in p]) == 1, raised.value.problems
    problems = anagen_check(path, monkeypatch, capsys)
    assert len([line for line in problems if expected in line]) == 1, problems
    assert all("questionnaire" in line for line in problems)


def test_anagen_check_prints_each_broken_reference_on_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = QUESTIONS + RESULTS
    for index in (0, 3, 5, 9):
        old, new, _ = BROKEN[index]
        text = text.replace(old, new)
    problems = anagen_check(write(tmp_path, text), monkeypatch, capsys)
    for index in (0, 3, 5, 9):
        assert len([line for line in problems if BROKEN[index][2] in line]) == 1, problems


def test_anagen_check_knows_the_knowledge_base_entries_a_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, QUESTIONS + RESULTS)
    assert anagen_check(good, monkeypatch, capsys) == []
    typo = write(tmp_path, (QUESTIONS + RESULTS).replace('["ketoconazole"]', '["ketokonazole"]'))
    load_questionnaire(typo)  # the questionnaire alone cannot know the knowledge base
    (problem,) = anagen_check(typo, monkeypatch, capsys)
    assert "'ketokonazole' is not an entry of the knowledge base" in problem
