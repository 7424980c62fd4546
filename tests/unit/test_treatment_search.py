"""Treatment search resolves what people really type, and nothing else.

Three tables: real-world queries with the entry the top result must be, question-like
queries with the category the top result must be in, and nonsense, hostile or too-generic
input that must find nothing.
Last, generated input (hypothesis) checks that the search never raises and never returns
more than the 25 choices an autocomplete may show.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.treatments.knowledge import CATEGORIES, KnowledgeBase, load_knowledge_base
from bot.treatments.search import TreatmentSearch


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def search(kb: KnowledgeBase) -> TreatmentSearch:
    return TreatmentSearch(kb)


# -- real-world queries -> the entry the top result must be ------------------------------------

QUERIES: list[Any] = [
    # What members ask about in 2026 (docs/kb-topics.md).
    ("rosemary oil", "rosemary_oil"),
    ("pumpkin seed oil", "pumpkin_seed_oil"),
    ("caffeine shampoo", "caffeine_topical"),
    ("zinc supplement", "zinc_supplement"),
    ("Nutrafol", "nutrafol"),
    ("viviscal", "viviscal"),
    ("bicalutamide", "bicalutamide"),
    ("topical bicalutamide", "bicalutamide"),
    ("GT20029", "gt20029"),
    ("exosomes", "exosomes"),
    ("ferritin", "iron_deficiency"),
    ("telogen effluvium", "telogen_effluvium"),
    ("PCOS", "pcos"),
    ("LPP", "lichen_planopilaris"),
    ("frontal fibrosing alopecia", "frontal_fibrosing_alopecia"),
    ("Hims", "telehealth_services"),
    ("Toppik", "hair_fibers"),
    ("Finjuve", "finasteride"),
    ("minoxidil tablets", "minoxidil_oral"),
    ("does finasteride cause depression", "finasteride"),
    # Two neighbouring letters swapped, in short names as in long ones.
    ("Fnia", "finasteride"),
    ("Dtuas", "dutasteride"),
    ("Nizroal", "ketoconazole"),
    ("Propceia", "finasteride"),
    ("Olmuiant", "baricitinib"),
    ("Rgoaine", "minoxidil"),
    # Brand names.
    ("Propecia", "finasteride"),
    ("Proscar", "finasteride"),
    ("Finpecia", "finasteride"),
    ("Avodart", "dutasteride"),
    ("Rogaine", "minoxidil"),
    ("Regaine", "minoxidil"),
    ("Rogaine foam", "minoxidil"),
    ("Kirkland minoxidil", "minoxidil"),
    ("Loniten", "minoxidil_oral"),
    ("Nizoral", "ketoconazole"),
    ("Nizoral A-D", "ketoconazole"),
    ("T/Gel", "coal_tar"),
    ("Neutrogena T/Gel", "coal_tar"),
    ("tgel", "coal_tar"),
    ("Head & Shoulders", "zinc_pyrithione"),
    ("head and shoulders", "zinc_pyrithione"),
    ("Derma-Smoothe", "fluocinolone_oil"),
    ("dermasmooth", "fluocinolone_oil"),
    ("Olumiant", "baricitinib"),
    ("Litfulo", "ritlecitinib"),
    ("Leqselvi", "deuruxolitinib"),
    ("Xeljanz", "tofacitinib"),
    ("Jakafi", "ruxolitinib"),
    ("Opzelura", "ruxolitinib"),
    ("Accutane", "isotretinoin"),
    ("Roaccutane", "isotretinoin"),
    ("Absorica", "isotretinoin"),
    ("Retin-A", "tretinoin"),
    ("retin a", "tretinoin"),
    ("Winlevi", "clascoterone"),
    ("Breezula", "clascoterone"),
    ("Aldactone", "spironolactone"),
    ("Selsun", "selenium_sulfide"),
    ("Selsun Blue", "selenium_sulfide"),
    ("Loprox", "ciclopirox"),
    ("Rapamune", "rapamycin"),
    ("Betnovate", "topical_steroids"),
    ("Clobex", "topical_steroids"),
    ("Kenalog injections", "topical_steroids"),
    ("Pramosone", "pramoxine"),
    ("Principen", "ampicillin"),
    ("HairMax", "lllt"),
    ("Capillus", "lllt"),
    ("iRestore", "lllt"),
    ("ACell", "acell_ecm"),
    ("Samumed", "sm04554"),
    ("Biosplice", "sm04554"),
    ("PolarityTE", "skinte"),
    ("Nioxin", "nioxin"),
    ("Hairstetics", "hairstetics"),
    ("Follica", "follica"),
    ("Replicel", "replicel"),
    ("Kintor", "pyrilutamide"),
    # Abbreviations and community shorthand.
    ("fin", "finasteride"),
    ("FIN", "finasteride"),
    ("dut", "dutasteride"),
    ("minox", "minoxidil"),
    ("keto", "ketoconazole"),
    ("spiro", "spironolactone"),
    ("RU", "ru58841"),
    ("ru58", "ru58841"),
    ("RU 58841", "ru58841"),
    ("pyri", "pyrilutamide"),
    ("KX-826", "pyrilutamide"),
    ("clasco", "clascoterone"),
    ("PRP", "prp"),
    ("SMP", "smp"),
    ("HT", "hair_transplant"),
    ("FUE", "hair_transplant"),
    ("FUT", "hair_transplant"),
    ("LLLT", "lllt"),
    ("LDOM", "minoxidil_oral"),
    ("oral minox", "minoxidil_oral"),
    ("82M", "minoxidil_compounded"),
    ("ZPT", "zinc_pyrithione"),
    ("H&S", "zinc_pyrithione"),
    ("TTO", "tea_tree_oil"),
    ("ADSC", "adsc"),
    ("SVF", "adsc"),
    ("ECM", "acell_ecm"),
    ("ATRA", "tretinoin"),
    ("JAK", "jak_inhibitors"),
    ("JAKs", "jak_inhibitors"),
    ("tofa", "tofacitinib"),
    ("rux", "ruxolitinib"),
    ("bari", "baricitinib"),
    ("deurux", "deuruxolitinib"),
    ("CTP-543", "deuruxolitinib"),
    ("VX-509", "decernotinib"),
    ("rapa", "rapamycin"),
    ("vit D", "vitamin_d_sun"),
    ("SSM", "scalp_massage"),
    ("Treg", "tregs"),
    ("EGR2", "krox20"),
    ("JAG1", "notch_jag1"),
    ("SM04554", "sm04554"),
    ("RCH-01", "replicel"),
    ("PFS", "finasteride"),
    # Misspellings people really type.
    ("finisteride", "finasteride"),
    ("finastride", "finasteride"),
    ("finasterid", "finasteride"),
    ("finesteride", "finasteride"),
    ("finastiride", "finasteride"),
    ("fenasteride", "finasteride"),
    ("finasteroid", "finasteride"),
    ("minoxodil", "minoxidil"),
    ("minoxidill", "minoxidil"),
    ("monoxidil", "minoxidil"),
    ("minoxadil", "minoxidil"),
    ("minoxidal", "minoxidil"),
    ("minoxydil", "minoxidil"),
    ("Rogain", "minoxidil"),
    ("rogane", "minoxidil"),
    ("accutaine", "isotretinoin"),
    ("acutane", "isotretinoin"),
    ("acutaine", "isotretinoin"),
    ("nizorel", "ketoconazole"),
    ("nizorol", "ketoconazole"),
    ("dutastride", "dutasteride"),
    ("dutesteride", "dutasteride"),
    ("dutastaride", "dutasteride"),
    ("dutasteried", "dutasteride"),
    ("ketaconazole", "ketoconazole"),
    ("ketoconozole", "ketoconazole"),
    ("ketocanazole", "ketoconazole"),
    ("baracitinib", "baricitinib"),
    ("barictinib", "baricitinib"),
    ("saw palmeto", "saw_palmetto"),
    ("sawpalmetto", "saw_palmetto"),
    ("tofacitnib", "tofacitinib"),
    ("tofacitinb", "tofacitinib"),
    ("ruxolitnib", "ruxolitinib"),
    ("ritlicitinib", "ritlecitinib"),
    ("deuroxolitinib", "deuruxolitinib"),
    ("spirnolactone", "spironolactone"),
    ("pyrulatamide", "pyrilutamide"),
    ("clascoteron", "clascoterone"),
    ("tretinion", "tretinoin"),
    ("isotretinoine", "isotretinoin"),
    ("ampicilin", "ampicillin"),
    ("biotine", "biotin"),
    ("novofan", "novophane"),
    ("nioxen", "nioxin"),
    ("replicell", "replicel"),
    ("microneedle", "microneedling"),
    ("micro needling", "microneedling"),
    ("derma roller", "microneedling"),
    ("derma rolling", "microneedling"),
    ("dermarolling", "microneedling"),
    ("anyone tried dermarolling", "microneedling"),
    ("micropigmentation", "smp"),
    ("hair tattoo", "smp"),
    ("korx20", "krox20"),
    # Case, accents, punctuation, full-width and styled letters, extra words.
    ("FINASTERIDE!!", "finasteride"),
    ("Finastéride", "finasteride"),
    ("FinAsTeRiDe", "finasteride"),
    ("Ｆｉｎａｓｔｅｒｉｄｅ", "finasteride"),  # noqa: RUF001 - full-width, as pasted from a phone
    ("𝕗𝕚𝕟", "finasteride"),  # noqa: RUF001 - "styled" letters from a font generator
    ("Propecia™", "finasteride"),
    ("(finasteride)", "finasteride"),
    ("#finasteride", "finasteride"),
    ("  minoxidil   ", "minoxidil"),
    ("Minoxidíl", "minoxidil"),
    ("RÓGAINE", "minoxidil"),
    ("rogaine®", "minoxidil"),
    ("Ñizoral", "ketoconazole"),
    ("kétoconazole", "ketoconazole"),
    ("dutastéride", "dutasteride"),
    ('"accutane"', "isotretinoin"),
    ("Accutane??", "isotretinoin"),
    ("minoxidil 5%", "minoxidil"),
    ("Finasteride 1mg", "finasteride"),
    ("dutasteride 0.5mg", "dutasteride"),
    ("nizoral 2%", "ketoconazole"),
    ("ketoconazole 2% shampoo", "ketoconazole"),
    ("dermaroller 1.5mm", "microneedling"),
    # Question-like input.
    ("does accutane cause hair loss", "isotretinoin"),
    ("accutane hair loss", "isotretinoin"),
    ("accurate (isotretinoin)", "isotretinoin"),
    ("what is RU?", "ru58841"),
    ("how does ru work", "ru58841"),
    ("what about RU58841?", "ru58841"),
    ("is the JAK stuff out yet?", "jak_inhibitors"),
    ("jak for aa", "jak_inhibitors"),
    ("is minoxidil safe", "minoxidil"),
    ("what about ketoconazole shampoo", "ketoconazole"),
    ("is nizoral worth it", "ketoconazole"),
    ("whats fin", "finasteride"),
    ("fin sides", "finasteride"),
    ("does fin cause ed", "finasteride"),
    ("propecia side effects", "finasteride"),
    ("post finasteride syndrome", "finasteride"),
    ("i was prescribed propecia by my derm, should i take it?", "finasteride"),
    ("anyone on dut?", "dutasteride"),
    ("dut meso", "dutasteride"),
    ("my doctor gave me spiro", "spironolactone"),
    ("how long for minox to work", "minoxidil"),
    ("is oral minoxidil better", "minoxidil_oral"),
    ("topical jak", "jak_topical"),
    ("jak cream", "jak_topical"),
    ("oral jak", "jak_oral"),
    ("olumiant for alopecia areata", "baricitinib"),
    ("anyone tried PRP?", "prp"),
    ("is PRP worth it", "prp"),
    ("PRP + ACell", "acell_ecm"),
    ("thinking about getting an HT in turkey", "hair_transplant"),
    ("FUE vs FUT", "hair_transplant"),
    ("what is SMP", "smp"),
    ("is LLLT legit", "lllt"),
    ("laser cap worth it?", "lllt"),
    ("red light therapy", "lllt"),
    ("does microneedling work", "microneedling"),
    ("stem cells for hair", "adsc"),
    ("fat stem cells", "adsc"),
    ("hair cloning when", "hair_cloning"),
    ("tsuji riken", "hair_cloning"),
    ("hair follicle neogenesis", "follica"),
    ("hard water hair loss", "shower_filter"),
    ("vitamin d deficiency", "vitamin_d_sun"),
    ("saw palmetto vs fin", "saw_palmetto"),
    ("biotin gummies", "biotin"),
    ("collagen peptides", "collagen_amino_acids"),
    ("tea tree oil shampoo for dandruff", "tea_tree_oil"),
    ("steroid shots", "topical_steroids"),
    ("pyrilutamide when", "pyrilutamide"),
]

# -- question-like queries -> the category the top result must be in ---------------------------

CATEGORY_QUERIES: list[Any] = [
    # A symptom first offers the conditions that can cause it (a burning or itching scalp
    # with hair loss may need a dermatologist, not a shampoo).
    ("what helps with itch", "conditions"),
    ("what helps with itchy scalp", "conditions"),
    ("itchy scalp", "conditions"),
    ("scalp itch", "conditions"),
    ("red itchy scalp", "conditions"),
    ("dandruff", "conditions"),
    ("what helps dandruff", "conditions"),
    ("flaky scalp", "conditions"),
    ("seb derm", "conditions"),
    ("seborrheic dermatitis", "conditions"),
    ("scalp psoriasis", "conditions"),
    ("burning scalp", "conditions"),
    ("scalp pain hair loss", "conditions"),
    ("itchy scalp shedding", "conditions"),
    ("hair shedding", "conditions"),
    ("receding hairline", "conditions"),
    ("hair loss after giving birth", "conditions"),
    ("eyebrows falling out", "conditions"),
    ("inflamed scalp", "scalp_care"),
    ("antifungal shampoo", "scalp_care"),
    ("anti dandruff shampoo", "conditions"),
    ("scalp inflammation", "scalp_care"),
    ("dht blocker", "dht_blockers"),
    ("5-alpha reductase inhibitor", "dht_blockers"),
    ("androgen receptor blocker", "dht_blockers"),
    ("dht blockers", "dht_blockers"),
    ("5ar inhibitor", "dht_blockers"),
    ("antiandrogen", "dht_blockers"),
]

# -- input that must find nothing ---------------------------------------------------------------

NOTHING: list[Any] = [
    # Random letters and words.
    pytest.param("asdfghjkl", id="random-letters"),
    pytest.param("qwertyuiop zxcvbnm", id="keyboard-rows"),
    pytest.param("xkcd", id="xkcd"),
    pytest.param("lorem ipsum dolor sit amet", id="lorem-ipsum"),
    pytest.param("aaaaaaa", id="aaaaaaa"),
    # SQL injection.
    # ("drop" and "table" are words of real entries: "blood pressure drops", "tablets".)
    pytest.param("'; DROP TABLE answers; --", id="sql-drop"),
    pytest.param("1 OR 1=1", id="sql-or-1-1"),
    pytest.param("' OR '1'='1", id="sql-quote-or"),
    pytest.param("Robert'); DROP TABLE students;--", id="sql-bobby-tables"),
    pytest.param("UNION SELECT * FROM sqlite_master", id="sql-union"),
    '" OR ""="',
    # FTS5 syntax.
    "NEAR(a b)",
    "a AND NOT b",
    "NOT",
    pytest.param('"unterminated', id="fts-unterminated-quote"),
    pytest.param("a OR b", id="fts-or"),
    pytest.param("*", id="fts-star"),
    pytest.param("^title", id="fts-caret"),
    pytest.param("(", id="fts-paren"),
    pytest.param('""', id="fts-empty-phrase"),
    # HTML, script, template and format-string payloads.
    pytest.param("<script>alert(1)</script>", id="script-tag"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("javascript:alert(1)", id="javascript-url"),
    pytest.param("${jndi:ldap://x}", id="jndi"),
    pytest.param("{{7*7}}", id="template"),
    pytest.param("%s%s%s%n", id="format-string"),
    # Discord mentions and markdown.
    pytest.param("@everyone", id="at-everyone"),
    pytest.param("@here", id="at-here"),
    "<@123>",
    pytest.param("<@!123456789012345678>", id="user-mention-nick"),
    pytest.param("<@&456>", id="role-mention"),
    pytest.param("<#789>", id="channel-mention"),
    pytest.param("<:emoji:123456>", id="custom-emoji"),
    pytest.param("**bold** __underline__ ~~strike~~", id="markdown"),
    pytest.param("||spoiler||", id="spoiler"),
    pytest.param("`code`", id="inline-code"),
    "```py\nprint(1)\n```",
    pytest.param("[link](https://example.com)", id="markdown-link"),
    # Size.
    pytest.param("x" * 5000, id="5000-x"),
    pytest.param("qz" * 2500, id="5000-qz"),
    pytest.param("hello hello hello hello " * 50, id="repeated-words"),
    pytest.param("spam " * 1000, id="5000-spam"),
    # Emoji, invisible and control characters, whitespace.
    pytest.param("😀", id="emoji"),
    pytest.param("😀😂🔥💊💉", id="emoji-string"),
    pytest.param("🧑‍🦲", id="emoji-zwj"),
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u200b\u200c\u200d\ufeff\u2060", id="zero-width-mix"),
    pytest.param("\x00\x01\x02\x7f", id="control-chars"),
    pytest.param("\x1b[31m", id="ansi-escape"),
    pytest.param("\u202e\u2066\u2069", id="bidi-controls"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="spaces"),
    pytest.param("\t\n\r", id="tab-newline"),
    pytest.param("\u00a0\u3000", id="nbsp-ideographic-space"),
    # Punctuation, numbers and placeholders.
    pytest.param("???", id="question-marks"),
    pytest.param("...", id="dots"),
    pytest.param("12345", id="digits"),
    pytest.param("null", id="null"),
    pytest.param("undefined", id="undefined"),
    "None",
    pytest.param("中文", id="cjk"),
    pytest.param("hi", id="hi"),
    pytest.param("lol", id="lol"),
    "test",
    # Too generic to name one entry.
    pytest.param("hair loss", id="hair-loss"),
    pytest.param("HAIR LOSS!!", id="hair-loss-shouted"),
    pytest.param("hairloss", id="hairloss"),
    pytest.param("male pattern baldness", id="male-pattern-baldness"),
    pytest.param("is there a cure", id="is-there-a-cure"),
    pytest.param("best treatment", id="best-treatment"),
    pytest.param("what works", id="what-works"),
    "what should i take",
    "thinning hair",
    "balding",
    "regrowth",
    "AGA",
    # Real products the knowledge base has no entry for: no stand-in entry.
    pytest.param("bimatoprost", id="bimatoprost"),
    pytest.param("melatonin", id="melatonin"),
    pytest.param("verteporfin", id="verteporfin"),
    "vitamin e",
    # Words an alias must not catch: the LLLT entry is not laser hair removal, and topical
    # steroids are not anabolic ones.
    pytest.param("laser hair removal", id="laser-hair-removal"),
    pytest.param("anabolic steroids", id="anabolic-steroids"),
]


def test_tables_are_big_enough() -> None:
    assert len(QUERIES) >= 110
    assert len(NOTHING) >= 25


def test_expected_ids_and_categories_exist(kb: KnowledgeBase) -> None:
    for case in QUERIES:
        expected = case.values[1] if hasattr(case, "values") else case[1]
        assert kb.get(expected) is not None, expected
    for case in CATEGORY_QUERIES:
        expected = case.values[1] if hasattr(case, "values") else case[1]
        assert expected in CATEGORIES, expected


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_query_resolves_to_entry(search: TreatmentSearch, query: str, expected: str) -> None:
    results = search.search(query)
    got = [m.treatment.id for m in results[:3]]
    assert results, f"{query!r} found nothing, expected {expected!r}"
    assert results[0].treatment.id == expected, f"{query!r} -> {got}, expected {expected!r}"
    best = search.best(query)
    assert best is not None
    assert best.id == expected


@pytest.mark.parametrize(("query", "category"), CATEGORY_QUERIES)
def test_question_resolves_to_category(search: TreatmentSearch, query: str, category: str) -> None:
    results = search.search(query)
    assert results, f"{query!r} found nothing, expected an entry in {category!r}"
    top = results[0].treatment
    assert top.category == category, f"{query!r} -> {top.id} ({top.category}), want {category!r}"


@pytest.mark.parametrize("query", NOTHING)
def test_finds_nothing(search: TreatmentSearch, query: str) -> None:
    found = [(m.treatment.id, m.how.name, m.matched_name) for m in search.search(query)]
    assert found == []
    assert search.best(query) is None


def test_a_dropped_first_letter_is_another_word(search: TreatmentSearch) -> None:
    # "cell" is one letter short of "ACell": short words may swap letters, not lose them.
    assert "acell_ecm" not in [m.treatment.id for m in search.search("stem cell hair")]
    assert "acell_ecm" not in [m.treatment.id for m in search.search("cell")]


def test_whole_name_query_returns_only_that_entry(search: TreatmentSearch) -> None:
    # "Propecia" is a name: autocomplete shows the one entry, not near misses.
    assert [m.treatment.id for m in search.search("Propecia")] == ["finasteride"]


def test_two_names_in_one_question_return_both(search: TreatmentSearch) -> None:
    ids = [m.treatment.id for m in search.search("fin vs dut")]
    assert set(ids[:2]) == {"finasteride", "dutasteride"}


# -- generated input ----------------------------------------------------------------------------

_WORDS = [
    "fin", "minox", "keto", "RU", "PRP", "HT", "JAK", "Propecia", "Rogaine", "accutane",
    "hair", "loss", "what", "is", "the", "does", "NEAR", "OR", "AND", "NOT", "*", "^", '"',
    "(", ")", ":", "-", "@everyone", "<@123>", "\u200b", "😀", "%", "'", ";", "--", "é",
]  # fmt: skip

_GENERATED = [
    # Any unicode at all, including surrogates-free control and format characters.
    st.text(max_size=300),
    # Words the search knows, FTS operators and Discord syntax, in any order.
    st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), max_size=40).map(" ".join),
    # Very long input: the search must cut it, not choke on it.
    st.text(alphabet=st.sampled_from("ab finoxd*\"()'\u200b😀"), min_size=1000, max_size=6000),
]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=st.one_of(*_GENERATED), limit=st.integers(min_value=1, max_value=25))
def test_generated_input_never_raises_or_overflows(
    search: TreatmentSearch, query: str, limit: int
) -> None:
    results = search.search(query)
    assert len(results) <= 25
    ids = [m.treatment.id for m in results]
    assert len(ids) == len(set(ids)), "an entry appears twice"
    assert len(search.search(query, limit)) <= limit
    best = search.best(query)
    if results:
        assert best is not None
