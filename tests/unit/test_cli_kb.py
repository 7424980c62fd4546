"""Issue 21: `anagen kb search` shows what a member would see (the entry's name, the first
sentence of its summary, a safety badge), how it matched with --debug, JSON for scripts, and
the popular entries /treatment lookup suggests when nothing matches. Run through the command
line on the bundled knowledge base; expectations read from it, not copied."""

from __future__ import annotations

import json

import pytest

from bot.cli import first_sentence, main
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.search import TreatmentSearch

KB = load_knowledge_base()
SEARCH = TreatmentSearch(KB)


@pytest.fixture(autouse=True)
def plain_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANAGEN_KNOWLEDGE_BASE", raising=False)


def test_search_shows_the_name_first_line_and_safety_badge(
    capsys: pytest.CaptureFixture[str],
) -> None:
    finasteride = KB.get("finasteride")
    assert finasteride is not None
    cautions = sum(1 for fact in finasteride.safety_facts if fact.topic == "caution")
    assert cautions > 0

    assert main(["kb", "search", "finastride"]) == 0  # a misspelling, as members type it

    out = capsys.readouterr().out
    assert "opens Finasteride" in out
    lines = out.splitlines()
    title = next(line for line in lines if line.strip().startswith("1. "))
    assert "Finasteride" in title
    assert f"⚠ {cautions} caution{'s' if cautions != 1 else ''}" in title
    assert lines[lines.index(title) + 1].strip() == first_sentence(finasteride.summary)
    assert "score" not in out
    assert "exact" not in out


def test_debug_shows_how_each_entry_matched(capsys: pytest.CaptureFixture[str]) -> None:
    best = SEARCH.search("finastride", limit=1)[0]
    assert main(["kb", "search", "finastride", "--debug"]) == 0
    out = capsys.readouterr().out
    assert f"[{best.how.name.lower()}, score {best.score:.1f}, matched " in out
    assert f"id {best.treatment.id}]" in out


def test_a_condition_says_when_to_see_a_doctor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "burning", "scalp"]) == 0
    out = capsys.readouterr().out
    assert "names a symptom" in out  # lookup shows the conditions to tell apart first
    assert "when to see a doctor" in out


def test_nothing_found_falls_back_to_popular_entries(capsys: pytest.CaptureFixture[str]) -> None:
    query = "zzqx qwxz"
    assert SEARCH.search(query) == []

    assert main(["kb", "search", *query.split()]) == 1  # like grep: nothing matched

    out = capsys.readouterr().out
    assert f"Nothing found for {query!r}" in out
    for treatment in SEARCH.suggestions():
        assert treatment.name in out

    assert main(["kb", "search", *query.split(), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["found"] is False
    assert data["results"] == []
    assert [s["id"] for s in data["suggestions"]] == [t.id for t in SEARCH.suggestions()]


def test_json_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    matches = SEARCH.search("minoxidil", limit=10)
    assert main(["kb", "search", "minoxidil", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "minoxidil"
    assert data["found"] is True
    assert [r["id"] for r in data["results"]] == [m.treatment.id for m in matches]
    first = data["results"][0]
    treatment = matches[0].treatment
    assert first["name"] == treatment.name
    assert first["first_line"] == first_sentence(treatment.summary)
    assert first["cautions"] == sum(1 for f in treatment.safety_facts if f.topic == "caution")
    assert first["how"] == matches[0].how.name.lower()


def test_first_sentence_is_cut_at_a_word() -> None:
    assert first_sentence("Short one. Then more.") == "Short one."
    long = "word " * 40
    cut = first_sentence(long, limit=30)
    assert len(cut) <= 30
    assert cut.endswith("…")
    assert " wor…" not in cut
