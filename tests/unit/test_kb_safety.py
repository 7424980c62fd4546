"""Safety by class: every treatment names its safety classes, each class requires cautions,
and the loader (so `anagen kb check`) fails when an entry lacks one.

Small temporary knowledge bases show each rule failing with a readable line; the bundled base
shows that the classes hold for the entries a pharmacist would put in them.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from bot.treatments.knowledge import (
    KnowledgeBase,
    KnowledgeBaseError,
    load_knowledge_base,
    load_safety_rules,
)

TODAY = dt.date(2026, 12, 7)
STATUSES = """
    [[treatment.fact]]
    topic = "status_pattern"
    status = "off_label"
    text = "Example."
    sources = ["PMID:1"]
    as_of = 2026-01-01

    [[treatment.fact]]
    topic = "status_areata"
    status = "no_evidence"
    text = "Example."
    sources = ["PMID:1"]
    as_of = 2026-01-01
"""


def treatment(entry_id: str, safety: str, *cautions: tuple[str, str, str]) -> str:
    """An entry in `safety` classes with caution facts given as (covers, text, topic)."""
    facts = "".join(
        f"""
    [[treatment.fact]]
    topic = "{topic}"
    covers = {covers}
    text = "{text}"
    sources = ["PMID:2"]
    as_of = 2026-01-01
"""
        for covers, text, topic in cautions
    )
    return f"""
    [[treatment]]
    id = "{entry_id}"
    name = "{entry_id.title()}"
    category = "growth_stimulants"
    safety = {safety}
    summary = "An example."

    [[treatment.fact]]
    topic = "what"
    text = "Example."
    sources = ["PMID:1"]
    as_of = 2026-01-01
    {STATUSES}
    {facts}
"""


def condition(entry_id: str, *facts: str, extra: str = "") -> str:
    body = "".join(
        f"""
    [[treatment.fact]]
    topic = "{topic}"
    text = "It is a thing to see a doctor about."
    sources = ["PMID:3"]
    as_of = 2026-01-01
"""
        for topic in facts
    )
    return f"""
    [[treatment]]
    id = "{entry_id}"
    name = "{entry_id.title()}"
    kind = "condition"
    category = "conditions"
    summary = "A condition."
    symptoms = ["burning", "pain"]
    {extra}
    {body}
"""


def write(tmp_path: Path, *entries: str, name: str = "kb.toml") -> Path:
    path = tmp_path / name
    text = "schema = 1\n" + "\n".join(textwrap.dedent(e) for e in entries)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(path, today=TODAY)
    return info.value.problems


MINOXIDIL_CAUTIONS = (
    ('["pets"]', "Keep it away from cats and dogs.", "caution"),
    ('["children"]', "Keep it away from children.", "caution"),
    ('["heart"]', "Ask a doctor first if you have heart disease.", "caution"),
    ('["pregnancy"]', "Do not use it while pregnant.", "caution"),
)


def test_an_entry_with_every_caution_its_class_requires_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(
        write(tmp_path, treatment("alpha", '["minoxidil"]', *MINOXIDIL_CAUTIONS)), today=TODAY
    )
    alpha = kb.by_id["alpha"]
    assert alpha.safety == ("minoxidil",)
    assert [f.covers for f in alpha.safety_facts] == [
        ("pets",),
        ("children",),
        ("heart",),
        ("pregnancy",),
    ]


def test_a_missing_caution_names_the_caution_and_the_class(tmp_path: Path) -> None:
    without_pets = MINOXIDIL_CAUTIONS[1:]
    problems = problems_of(write(tmp_path, treatment("alpha", '["minoxidil"]', *without_pets)))
    assert problems == [
        "alpha: no caution covers 'pets' (Danger to pets), which its class minoxidil "
        "requires: add a caution fact with covers = ['pets']"
    ]


def test_a_caution_must_say_what_it_claims_to_cover(tmp_path: Path) -> None:
    vague = (('["mood", "pregnancy", "prostate_tests"]', "Talk to your doctor.", "caution"),)
    problems = problems_of(
        write(tmp_path, treatment("alpha", '["five_alpha_reductase_inhibitor"]', *vague))
    )
    assert any("covers 'mood' but its text does not say so" in p for p in problems)


def test_only_a_caution_covers_and_only_known_cautions(tmp_path: Path) -> None:
    facts = (
        ('["pets"]', "Cats and dogs can be poisoned.", "side_effects"),
        ('["telepathy"]', "Something.", "caution"),
    )
    text = "\n".join(problems_of(write(tmp_path, treatment("alpha", '["lifestyle"]', *facts))))
    assert "only a caution fact covers cautions" in text
    assert "covers unknown caution 'telepathy'" in text


def test_safety_text_is_whole_sentences(tmp_path: Path) -> None:
    cut = (('["allergy"]', "Stop it if you get an allergic rash and cal", "caution"),)
    problems = problems_of(write(tmp_path, treatment("alpha", '["antibiotic"]', *cut)))
    assert any("safety text must be whole sentences" in p for p in problems)


def test_every_treatment_names_its_classes_and_only_treatments_do(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        treatment("alpha", "[]"),
        treatment("beta", '["snake_oil"]'),
        condition("gamma", "what", "differs", "see_doctor", extra='safety = ["lifestyle"]'),
    )
    text = "\n".join(problems_of(path))
    assert "alpha: no safety classes" in text
    assert "beta: unknown safety class 'snake_oil'" in text
    assert "gamma: a condition has no safety classes" in text


def test_a_condition_says_how_it_differs_and_when_to_see_a_doctor(tmp_path: Path) -> None:
    kb = load_knowledge_base(
        write(tmp_path, condition("gamma", "what", "differs", "see_doctor")), today=TODAY
    )
    gamma = kb.by_id["gamma"]
    assert gamma.is_condition
    assert gamma.symptoms == ("burning", "pain")
    assert [f.topic for f in gamma.safety_facts] == ["see_doctor"]

    text = "\n".join(problems_of(write(tmp_path, condition("gamma", "what"))))
    assert "gamma: no 'differs' fact" in text
    assert "gamma: no 'see_doctor' fact" in text


def test_symptoms_and_condition_topics_belong_to_conditions(tmp_path: Path) -> None:
    entry = treatment("alpha", '["lifestyle"]', ("[]", "Ask a doctor.", "see_doctor"))
    entry = entry.replace('summary = "An example."', 'summary = "X."\nsymptoms = ["itch"]')
    text = "\n".join(problems_of(write(tmp_path, entry)))
    assert "alpha: only a condition lists symptoms" in text
    assert "topic 'see_doctor' is only for conditions" in text


def test_a_folder_of_files_is_one_knowledge_base(tmp_path: Path) -> None:
    write(tmp_path, treatment("alpha", '["lifestyle"]'), name="one.toml")
    write(tmp_path, condition("gamma", "what", "differs", "see_doctor"), name="two.toml")
    kb = load_knowledge_base(tmp_path, today=TODAY)
    assert set(kb.by_id) == {"alpha", "gamma"}

    write(tmp_path, treatment("alpha", '["lifestyle"]'), name="three.toml")
    assert any("duplicate id 'alpha'" in p for p in problems_of(tmp_path))


def test_kb_check_fails_on_a_missing_caution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, treatment("alpha", '["jak_inhibitor"]'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANAGEN_KNOWLEDGE_BASE", str(path))
    assert main(["kb", "check"]) != 0
    out = capsys.readouterr().out
    assert "PROBLEM  alpha: no caution covers 'boxed_warning'" in out
    assert "live_vaccines" in out
    assert "pregnancy" in out


# -- the class table, held in place --------------------------------------------------------------

# What a class must require: the cautions a careful pharmacist gives for every member of it.
CLASS_REQUIRES = {
    "five_alpha_reductase_inhibitor": {"pregnancy", "mood", "prostate_tests"},
    "systemic_antiandrogen": {"pregnancy", "lab_tests"},
    "topical_antiandrogen": {"pregnancy", "systemic_effects"},
    "jak_inhibitor": {"boxed_warning", "live_vaccines", "pregnancy"},
    "retinoid": {"pregnancy"},
    "minoxidil": {"pets", "children", "heart", "pregnancy"},
    "blood_or_needle_procedure": {"infection_control"},
    "donor_tissue": {"infection_control", "not_approved"},
    "supplement": {"interactions", "unregulated_quality"},
    "research_chemical": {"not_approved"},
    "device": {"device_risks"},
}


@pytest.mark.parametrize(("class_id", "cautions"), sorted(CLASS_REQUIRES.items()))
def test_each_class_requires_its_cautions(class_id: str, cautions: set[str]) -> None:
    rules = load_safety_rules()
    assert cautions <= set(rules.classes[class_id].requires)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


# Entries and a class each must be in: moving one out would drop the cautions it requires.
MEMBERS = {
    "five_alpha_reductase_inhibitor": ["finasteride", "dutasteride"],
    "systemic_antiandrogen": ["spironolactone"],
    "topical_antiandrogen": ["clascoterone", "pyrilutamide", "ru58841"],
    "jak_inhibitor": [
        "jak_inhibitors",
        "jak_oral",
        "jak_topical",
        "tofacitinib",
        "ruxolitinib",
        "baricitinib",
        "ritlecitinib",
        "deuruxolitinib",
        "upadacitinib",
    ],
    "retinoid": ["isotretinoin", "tretinoin"],
    "minoxidil": ["minoxidil", "minoxidil_oral", "minoxidil_compounded"],
    "blood_or_needle_procedure": ["prp", "hair_transplant", "microneedling", "smp"],
    "donor_tissue": ["biod", "acell_ecm", "adsc", "replicel", "shiseido_sdsc"],
    "supplement": ["saw_palmetto", "biotin", "selenium_supplement"],
    "research_chemical": ["ru58841"],
    "corticosteroid": ["topical_steroids", "fluocinolone_oil"],
}


@pytest.mark.parametrize(("class_id", "entries"), sorted(MEMBERS.items()))
def test_entries_stay_in_their_class(kb: KnowledgeBase, class_id: str, entries: list[str]) -> None:
    for entry_id in entries:
        assert class_id in kb.by_id[entry_id].safety, entry_id


def test_every_bundled_entry_covers_what_its_classes_require(kb: KnowledgeBase) -> None:
    rules = kb.safety
    assert rules is not None
    for entry in kb.treatments:
        covered = {c for fact in entry.safety_facts for c in fact.covers}
        assert set(rules.required(entry.safety)) <= covered, entry.id
        if entry.kind == "treatment":
            assert entry.safety, entry.id


def test_the_maintainers_page_shows_the_class_table_as_it_is() -> None:
    """docs/knowledge-base.md tells a maintainer what each class requires: it must not drift."""
    page = (Path(__file__).parents[2] / "docs" / "knowledge-base.md").read_text(encoding="utf-8")
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            required = [c.strip(" `") for c in cells[1].split(",") if "`" in c]
            rows[cells[0].strip("`")] = required
    rules = load_safety_rules()
    assert rows == {c.id: list(c.requires) for c in rules.classes.values()}
