"""One search for `/treatment` and its autocomplete.

In order of trust: an exact name or alias (of the whole query, or of a few words inside a
question such as "does accutane cause hair loss"), a condition whose symptoms the query
names ("burning scalp"), a name that starts with what was typed, a close spelling
(rapidfuzz), and finally full-text search over the descriptions (SQLite FTS5) for
question-like input ("what helps with itch"). Conditions come before products for a symptom
because a burning scalp may need a dermatologist, not a shampoo. Hostile or meaningless input
finds nothing: fuzzy matching needs enough letters, and full-text search needs every
meaningful word of the query to appear in one entry.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from rapidfuzz import fuzz, process

from bot.text import similarity
from bot.treatments.knowledge import KnowledgeBase, Treatment, alias_key, normalise

MAX_QUERY = 200  # longer input is cut before any work is done
MAX_NGRAM = 4
FUZZY_MIN_LENGTH = 4  # "fin", "RU", "HT" match exactly or by prefix only
SHORT_WORD = 5  # below this, a typo keeps the length: a changed or swapped letter
FUZZY_SCORE = 82  # on bot.text.similarity, where a swap of two letters is one slip
# rapidfuzz's ratio charges a swap twice; candidates are gathered this low and re-scored.
_GATHER_SCORE = 70
# Community shorthand that names a condition or a class rather than an entry.
SYNONYMS = {
    "seb derm": "seborrheic dermatitis",
    "sebderm": "seborrheic dermatitis",
    "pfs": "post finasteride syndrome",
    "5ar": "5 alpha reductase",
    "5ari": "5 alpha reductase inhibitor",
    "dermarolling": "dermaroller",
    "derma rolling": "dermaroller",
}
PREFIX_MIN = 4  # a submitted query must type this much of a name to match it by its start
_SUFFIXES = ("ational", "ation", "ities", "ness", "ings", "ing", "ies", "ory", "ed", "es", "s", "y")

# Words that carry no meaning in a lookup ("does accutane cause hair loss?").
_STOPWORD_TEXT = """\
a about an and any anyone anything are as at be best better can cause caused causes
    could did do does doing effect effects else everyone for from get good got hair help helps
    here how i if in is it its know loss lose losing me my of on or out question should so
    some stuff that the their them there this to treat treatment treatments use used using vs
    was what whats when where which who why will with work works worth yet you your
    near not none test take taking took anybody someone people guys thanks please
    bald balding baldness thin thinning shed shedding regrow regrowth grow growing aga
    androgenetic alopecia male female pattern"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class How(IntEnum):
    """How a result matched; higher is more certain."""

    FULLTEXT = 1
    FUZZY = 2
    PREFIX = 3
    SYMPTOM = 4  # a condition whose symptoms the query names
    EXACT = 5


@dataclass(frozen=True, slots=True)
class Match:
    treatment: Treatment
    how: How
    score: float
    matched_name: str  # the name or alias that matched (for "Propecia → Finasteride")


def clean_query(text: str) -> str:
    """Drop control and zero-width characters and cut to a sane length."""
    text = text[: MAX_QUERY * 4]
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) not in ("Cf", "Co", "Cs", "Cn")
    )
    return " ".join(kept.split())[:MAX_QUERY]


class TreatmentSearch:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._exact: dict[str, tuple[Treatment, str]] = {}
        self._names: list[tuple[str, str, Treatment]] = []  # (normalised, display, treatment)
        for treatment in kb.treatments:
            for name in (treatment.name, *treatment.aliases, treatment.id.replace("_", " ")):
                self._exact.setdefault(alias_key(name), (treatment, name))
                self._names.append((normalise(name), name, treatment))
        self._choices = [n for n, _, _ in self._names]
        self._fts = self._build_fulltext(kb)
        # (condition, its symptoms as tuples of stems), for symptom questions.
        self._symptoms = [
            (t, [tuple(_stem(w) for w in normalise(s).split()) for s in t.symptoms])
            for t in kb.treatments
            if t.is_condition and t.symptoms
        ]

    @staticmethod
    def _build_fulltext(kb: KnowledgeBase) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, names, category, body,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        conn.executemany(
            "INSERT INTO docs (id, names, category, body) VALUES (?, ?, ?, ?)",
            [
                (
                    t.id,
                    " ".join((t.name, *t.aliases)),
                    kb.categories.get(t.category, ""),
                    " ".join((t.summary, *(f.text for f in t.facts))),
                )
                for t in kb.treatments
            ],
        )
        return conn

    # -- the search ---------------------------------------------------------------------------

    def search(self, query: str, limit: int = 25, *, partial: bool = False) -> list[Match]:
        """Best matches first. `partial` is for autocomplete: one typed letter may be a prefix."""
        cleaned = clean_query(query)
        words = normalise(cleaned)
        for short, long in SYNONYMS.items():
            words = re.sub(rf"\b{short}\b", long, words)
        if not words or not re.search(r"[a-z0-9]", words):
            return []
        found: dict[str, Match] = {}

        def add(match: Match) -> None:
            best = found.get(match.treatment.id)
            if best is None or (match.how, match.score) > (best.how, best.score):
                found[match.treatment.id] = match

        tokens = words.split()
        meaningful = [t for t in tokens if t not in STOPWORDS]
        for gram in self._ngrams(tokens):
            if (hit := self._exact.get(gram.replace(" ", ""))) is not None and (
                " " in gram or gram not in STOPWORDS
            ):
                # A product named in a question about a condition ("olumiant for alopecia
                # areata") is what is asked about: it comes first.
                penalty = 20.0 if hit[0].is_condition else 0.0
                add(Match(hit[0], How.EXACT, 100.0 + len(gram) - penalty, hit[1]))
        if not partial and len(found) == 1 and self._exact.get(words.replace(" ", "")):
            return list(found.values())  # the whole query is a name: nothing else is relevant
        # While typing, a whole name may still be the start of others ("minoxidil" of
        # "minoxidil tablets"): they follow it, so every form of a treatment is reachable.

        for condition, named, matched in self.symptom_matches(tokens):
            add(Match(condition, How.SYMPTOM, 50.0 + 10 * named, matched))

        for normalised_name, display, treatment in self._names:
            if len(words) >= (1 if partial else PREFIX_MIN) and normalised_name.startswith(words):
                add(Match(treatment, How.PREFIX, 90.0 - len(normalised_name) / 100, display))

        for gram in self._ngrams(meaningful or tokens):
            if len(gram.replace(" ", "")) < FUZZY_MIN_LENGTH:
                continue
            for _, _, index in process.extract(
                gram, self._choices, scorer=fuzz.ratio, score_cutoff=_GATHER_SCORE, limit=10
            ):
                normalised_name, display, treatment = self._names[index]
                score = similarity(gram, normalised_name)
                if score >= FUZZY_SCORE and _tokens_agree(gram, normalised_name):
                    add(Match(treatment, How.FUZZY, score, display))

        # A short word we cannot search for ("vitamin e") would make full-text search answer
        # a different question, so it only runs when every meaningful word takes part.
        unsearchable = [w for w in meaningful if w.isalpha() and len(w) < 3]
        if all(m.how == How.SYMPTOM for m in found.values()) and meaningful and not unsearchable:
            for treatment_id, rank in self._fulltext(meaningful):
                treatment = self.kb.by_id[treatment_id]
                add(Match(treatment, How.FULLTEXT, -rank, treatment.name))

        ranked = sorted(found.values(), key=lambda m: (m.how, m.score), reverse=True)
        return ranked[:limit]

    def symptom_matches(self, tokens: list[str]) -> list[tuple[Treatment, int, str]]:
        """Conditions whose symptoms the words name: (condition, symptoms named, the first).

        A symptom of several words ("receding eyebrows") needs each of them; a word matches
        by its stem, so "itchy" names "itch" and "burning" names "burn".
        """
        stems = {_stem(token) for token in tokens if len(token) >= 3}
        found = []
        for condition, symptoms in self._symptoms:
            named = [
                " ".join(words)
                for words in symptoms
                if words and all(any(_same_stem(w, s) for s in stems) for w in words)
            ]
            if named:
                found.append((condition, len(named), named[0]))
        return found

    def best(self, query: str) -> Treatment | None:
        """The entry a command should show: an id, or the top match."""
        by_id = self.kb.get(query.strip())
        if by_id is not None:
            return by_id
        results = self.search(query, limit=1)
        return results[0].treatment if results else None

    def suggestions(self, count: int = 5) -> list[Treatment]:
        """What to offer when nothing matched: the most asked-about entries."""
        popular = [
            "finasteride",
            "minoxidil",
            "ketoconazole",
            "jak_inhibitors",
            "prp",
            "dutasteride",
            "hair_transplant",
            "isotretinoin",
        ]
        return [t for t in (self.kb.get(i) for i in popular) if t is not None][:count]

    @staticmethod
    def _ngrams(tokens: list[str]) -> list[str]:
        grams: list[str] = []
        for size in range(min(MAX_NGRAM, len(tokens)), 0, -1):
            grams.extend(" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
        return grams

    def _fulltext(self, words: list[str]) -> list[tuple[str, float]]:
        # Every word must appear (AND); each is quoted, so no FTS syntax reaches SQLite.
        # Words are cut to a stem and matched as prefixes: "itchy" finds "itch" and "itching".
        terms = [_stem(w) for w in words if len(w) >= 3 and w.isalpha()][:8]
        if not terms:
            return []
        expression = " AND ".join(f'"{w}"*' for w in terms)
        rows = self._fts.execute(
            "SELECT id, bm25(docs, 0.0, 5.0, 8.0, 1.0) AS rank FROM docs WHERE docs MATCH ?"
            " ORDER BY rank LIMIT 10",
            (expression,),
        ).fetchall()
        return [(row[0], float(row[1])) for row in rows]


def _stem(word: str) -> str:
    """A crude suffix cut, enough for prefix matching: "inflammation" -> "inflamm"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _same_stem(one: str, other: str) -> bool:
    """Stems agree when one starts the other, sharing at least four letters, and the longer
    adds at most two ("shed" and "shedd"; not "hand" and "handful")."""
    if one == other:
        return True
    short, long = sorted((one, other), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2


def _tokens_agree(query: str, name: str) -> bool:
    """Word by word, the typed words must resemble the name's; short words must be exact.

    Keeps a shared long ending from carrying a match: "vitamin e" is not "vitamin h",
    "5ar inhibitor" is not "jak inhibitor". A short word may have a letter changed or two
    swapped ("fnia" is "fina") but not one added or dropped: "cell" is not "acell".
    """
    name_tokens, query_tokens = name.split(), query.split()
    if len(name.replace(" ", "")) < FUZZY_MIN_LENGTH or len(name_tokens) != len(query_tokens):
        return False
    for token, other in zip(query_tokens, name_tokens, strict=True):
        if len(token) < FUZZY_MIN_LENGTH or len(other) < FUZZY_MIN_LENGTH:
            if token != other:
                return False
        elif similarity(token, other) < 75 or (
            min(len(token), len(other)) < SHORT_WORD and len(token) != len(other)
        ):
            return False
    return True
