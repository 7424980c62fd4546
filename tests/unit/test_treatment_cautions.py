"""Safety cautions and corrected statuses from the knowledge-base fact-check stay in place.

Each check matches meaningful keywords in the facts an entry shows, loaded through the public
loader, so an edit that drops a caution (or quietly restores an overstated status) fails here.
"""

from __future__ import annotations

import re

import pytest

from bot.treatments import knowledge
from bot.treatments.knowledge import load_knowledge_base


@pytest.fixture(scope="module")
def kb() -> knowledge.KnowledgeBase:
    return load_knowledge_base()


def _texts(kb: knowledge.KnowledgeBase, entry_id: str, *topics: str) -> list[str]:
    treatment = kb.by_id[entry_id]
    facts = [f for f in treatment.facts if not topics or f.topic in topics]
    return [f.text.casefold() for f in facts]


def _has(texts: list[str], *patterns: str) -> bool:
    """True when one fact matches every pattern (a caution is one coherent statement)."""
    return any(all(re.search(p, text) for p in patterns) for text in texts)


# (entry, topics searched, patterns one fact must all match, what the caution is about)
CAUTIONS = [
    ("spironolactone", ("caution",), (r"pregnan", r"fetus|foetus", r"contracept"), "pregnancy"),
    (
        "minoxidil",
        ("caution",),
        (r"\bcats?\b", r"\bdogs?\b", r"toxic", r"lick|bedding|pillow"),
        "pets",
    ),
    (
        "minoxidil",
        ("side_effects",),
        (r"shed|falling out", r"weeks after starting", r"see a doctor"),
        "early shedding",
    ),
    ("vitamin_d_sun", ("caution",), (r"scalp", r"skin cancer", r"bald|thinning"), "scalp sun"),
    ("finasteride", ("caution", "side_effects"), (r"suicid", r"mood|depress"), "mood"),
    ("finasteride", ("caution",), (r"prac|eu", r"suicid", r"patient card"), "EU 2025 review"),
    ("dutasteride", ("caution",), (r"\bpsa\b", r"half|halves|50"), "PSA"),
    (
        "hair_transplant",
        ("caution",),
        (r"black-market|black market", r"unlicensed"),
        "black market",
    ),
]


@pytest.mark.parametrize(
    ("entry_id", "topics", "patterns", "about"),
    CAUTIONS,
    ids=[f"{c[0]}-{c[3]}" for c in CAUTIONS],
)
def test_safety_caution_is_present(kb, entry_id, topics, patterns, about) -> None:
    texts = _texts(kb, entry_id, *topics)
    assert _has(texts, *patterns), (
        f"{entry_id}: the {about} caution is missing or was reworded away"
    )


def test_safety_cautions_are_checked_and_sourced(kb) -> None:
    for entry_id, topics, patterns, about in CAUTIONS:
        facts = [
            f
            for f in kb.by_id[entry_id].facts
            if f.topic in topics and all(re.search(p, f.text.casefold()) for p in patterns)
        ]
        assert facts, f"{entry_id}: no {about} fact"
        assert all(f.sources for f in facts), f"{entry_id}: {about} fact has no source"


def test_finasteride_syndrome_paper_is_described_for_what_it_is(kb) -> None:
    facts = [
        f for f in kb.by_id["finasteride"].facts if any("28408350" in s.raw for s in f.sources)
    ]
    assert facts, "the post-finasteride syndrome paper (PMID 28408350) is no longer cited"
    text = facts[0].text.casefold()
    assert re.search(r"\b16\b", text)
    assert re.search(r"comparison|control", text)


def test_pyrilutamide_is_not_presented_as_phase_3(kb) -> None:
    status = kb.by_id["pyrilutamide"].status_pattern
    assert status.status != "phase_3"
    text = status.text.casefold()
    assert "placebo" in text
    assert re.search(r"not statistically significant|no significant|not significantly", text)
    assert "phase 3" not in kb.by_id["pyrilutamide"].summary.casefold().replace(
        "phase 3 showed", ""
    )


def test_pyrilutamide_phase_2_figure_is_from_baseline(kb) -> None:
    assert _has(
        _texts(kb, "pyrilutamide", "evidence"), r"baseline", r"not a difference from placebo"
    )


def test_sm04554_is_abandoned_and_known_as_dalosirvat(kb) -> None:
    assert kb.by_id["sm04554"].status_pattern.status == "abandoned"
    assert kb.lookup("dalosirvat") is kb.by_id["sm04554"]


def test_ruxolitinib_tablets_are_not_said_to_carry_the_boxed_warning(kb) -> None:
    texts = _texts(kb, "ruxolitinib")
    assert not any("both forms carry" in t for t in texts)
    assert _has(texts, r"cream \(opzelura\) carries", r"tablets \(jakafi\) have no boxed warning")


def test_deuruxolitinib_cyp2c9_is_a_contraindication(kb) -> None:
    texts = _texts(kb, "deuruxolitinib", "caution")
    assert _has(texts, r"cyp2c9", r"contraindication|must not")
    assert not any("not recommended for people who break down cyp2c9" in t for t in texts)


def test_ritlecitinib_eu_dates_and_side_effects(kb) -> None:
    assert _has(
        _texts(kb, "ritlecitinib", "status_areata"), r"european commission", r"september 2023"
    )
    assert kb.by_id["ritlecitinib"].facts_about("side_effects")


@pytest.mark.parametrize(
    ("word", "wrong_entry"),
    [("selenium", "selenium_sulfide"), ("BioD", "acell_ecm")],
)
def test_misleading_aliases_are_gone(kb, word, wrong_entry) -> None:
    found = kb.lookup(word)
    assert found is None or found.id != wrong_entry
