"""Source and status rules of the knowledge base: no mirror or marketing host, a year on every
label, and devices are FDA-cleared rather than approved.

Each test writes a small temporary treatments.toml, like tests/unit/test_treatments_knowledge.py,
and checks that the loader (which `anagen kb check` and `anagen check` use) names the problem.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from bot.treatments import knowledge
from bot.treatments.knowledge import (
    KnowledgeBaseError,
    denied_host,
    load_knowledge_base,
    load_source_denylist,
)

TODAY = dt.date(2026, 11, 28)


def entry(
    *,
    what_source: str = "PMID:1",
    pattern: str = "no_evidence",
    device: bool | None = None,
    entry_id: str = "alpha",
) -> str:
    device_line = "" if device is None else f"device = {'true' if device else 'false'}"
    return f"""
        [[treatment]]
        id = "{entry_id}"
        name = "{entry_id.title()}"
        category = "procedures"
        safety = ["lifestyle"]
        {device_line}
        summary = "An example."

        [[treatment.fact]]
        topic = "what"
        text = "Example."
        sources = ["{what_source}"]
        as_of = 2026-01-01

        [[treatment.fact]]
        topic = "status_pattern"
        status = "{pattern}"
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


def write(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "treatments.toml"
    text = "schema = 1\n" + "\n".join(textwrap.dedent(e) for e in entries)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(path, today=TODAY)
    return info.value.problems


# -- the denylist ------------------------------------------------------------------------------


def test_bundled_denylist_names_known_mirrors_and_our_namesake() -> None:
    hosts = load_source_denylist()
    assert "anagen.xyz" in hosts
    for host in ("coek.info", "docslib.org", "tressless.com", "tweb-dev.unibo.it"):
        assert host in hosts
    # Comments and blank lines are not hosts.
    assert all(" " not in host and "#" not in host and host for host in hosts)


def test_denylist_file_parsing_and_subdomains() -> None:
    hosts = load_source_denylist("# comment\n\nExample.COM   # why\nmirror.org.\n")
    assert hosts == {"example.com", "mirror.org"}
    assert denied_host("https://example.com/a", hosts) == "example.com"
    assert denied_host("https://www.Example.com/a?b=c", hosts) == "example.com"
    assert denied_host("https://c.mirror.org/x.pdf", hosts) == "mirror.org"
    assert denied_host("https://notexample.com/a", hosts) is None
    assert denied_host("https://example.com.evil.net/", hosts) is None
    assert denied_host("https://com/", hosts) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://anagen.xyz/treatment-science/ru58841",
        "https://c.coek.info/pdf-alopecia-areata.html",
        "https://acnpsearch.tweb-dev.unibo.it/singlejournalindex/1",
        "https://www.docslib.org/doc/1/x",
    ],
)
def test_denylisted_url_source_is_rejected(tmp_path: Path, url: str) -> None:
    problems = problems_of(write(tmp_path, entry(what_source=f"url:{url}")))
    assert any(
        "alpha: fact #1 (what)" in p and "denylisted host" in p and url in p for p in problems
    ), problems


def test_primary_url_source_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, entry(what_source="url:https://pmc.ncbi.nlm.nih.gov/articles/PMC1/"))
    assert load_knowledge_base(path, today=TODAY).by_id["alpha"]


def test_denylist_can_be_replaced_for_a_test(tmp_path: Path) -> None:
    path = write(tmp_path, entry(what_source="url:https://example.org/paper"))
    load_knowledge_base(path, today=TODAY)
    with pytest.raises(KnowledgeBaseError, match=r"denylisted host \(example\.org"):
        load_knowledge_base(path, today=TODAY, denylist=frozenset({"example.org"}))


# -- labels carry their year -------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "label:FDA Propecia (finasteride 1 mg) prescribing information",
        "label:FDA OTC monograph (21 CFR part 358 subpart H)",
        "label:FDA Kenalog-10 prescribing information, revision 12345",
        # The day someone looked at a label is not its revision.
        "label:FDA Nizoral shampoo prescribing information, version current on 2026-11-24",
        "label:FDA Loprox shampoo prescribing information, seen 2026-11-24",
        "label:FDA Rapamune prescribing information, accessed on 2026-11-24",
    ],
)
def test_undated_label_is_rejected(tmp_path: Path, label: str) -> None:
    problems = problems_of(write(tmp_path, entry(what_source=label)))
    assert any("alpha: fact #1 (what)" in p and "has no year" in p for p in problems), problems


@pytest.mark.parametrize(
    "label",
    [
        "label:FDA Propecia (finasteride 1 mg) prescribing information, revised 2022",
        "label:FDA OTC monograph (21 CFR part 358 subpart H), final rule 1991",
        "label:DailyMed Nizoral A-D Drug Facts, 2019-03 revision",
        # An honest "not confirmed" is accepted; a viewing date next to a real year is too.
        "label:FDA Loprox shampoo label (revision not confirmed; label seen 2026-11-24)",
        "label:FDA Xeljanz prescribing information, recent major changes 10/2025 (seen 2026-11-24)",
    ],
)
def test_dated_label_is_accepted(tmp_path: Path, label: str) -> None:
    load_knowledge_base(write(tmp_path, entry(what_source=label)), today=TODAY)


# -- devices are cleared, not approved ---------------------------------------------------------


def test_device_marked_approved_is_rejected(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, entry(pattern="approved", device=True)))
    assert any(
        "alpha: fact #2 (status_pattern)" in p and "'cleared'" in p and "device" in p
        for p in problems
    ), problems


def test_device_marked_cleared_is_accepted(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, entry(pattern="cleared", device=True)), today=TODAY)
    treatment = kb.by_id["alpha"]
    assert treatment.device is True
    assert treatment.status_pattern.status == "cleared"


def test_cleared_is_only_for_devices(tmp_path: Path) -> None:
    for device in (None, False):
        problems = problems_of(write(tmp_path, entry(pattern="cleared", device=device)))
        assert any("only for devices" in p for p in problems), problems


def test_drug_may_still_be_approved_and_device_flag_must_be_boolean(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, entry(pattern="approved")), today=TODAY)
    assert kb.by_id["alpha"].device is False
    text = entry().replace('category = "procedures"', 'category = "procedures"\ndevice = "yes"')
    assert any("device must be true or false" in p for p in problems_of(write(tmp_path, text)))


def test_cleared_status_is_in_the_schema_and_has_a_member_facing_label() -> None:
    from cogs.treatments.render import STATUS_LABELS

    assert "cleared" in knowledge.STATUSES
    assert set(STATUS_LABELS) == set(knowledge.STATUSES)
    assert "FDA-cleared" in STATUS_LABELS["cleared"]
    assert "approved" not in STATUS_LABELS["cleared"].casefold()


def test_bundled_devices_are_never_approved() -> None:
    kb = load_knowledge_base()
    devices = [t for t in kb.treatments if t.device]
    assert {"lllt", "microneedling", "hairstetics"} <= {t.id for t in devices}
    for treatment in devices:
        for fact in (treatment.status_pattern, treatment.status_areata):
            assert fact.status != "approved", treatment.id
    assert kb.by_id["lllt"].status_pattern.status == "cleared"


# -- `anagen kb check` reports all three ------------------------------------------------------


def test_kb_check_command_reports_each_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        entry(entry_id="mirror", what_source="url:https://anagen.xyz/x"),
        entry(entry_id="undated", what_source="label:FDA Example prescribing information"),
        entry(entry_id="laser", pattern="approved", device=True),
    )
    monkeypatch.setenv("ANAGEN_KNOWLEDGE_BASE", str(path))
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert main(["kb", "check"]) == 1
    out = capsys.readouterr().out
    assert "mirror: fact #1 (what)" in out
    assert "denylisted host (anagen.xyz" in out
    assert "undated: fact #1 (what)" in out
    assert "has no year" in out
    assert "laser: fact #2 (status_pattern)" in out
    assert "3 problem(s) found." in out
