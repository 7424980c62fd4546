"""The knowledge base's names where members type treatments into the survey and check-ins.

A member who types "propecia, nizoral" means finasteride and ketoconazole shampoo: treatment
choices learn the aliases of the entries they report on (the questionnaire's
[results.treatments.choices] table). A name that would stand for two choices is left out,
and a reply that could be either ("minoxidil": topical or oral?) is asked back, not
guessed. A treatment typed after "Other" is resolved to the knowledge base's name where it
can be.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from bot.i18n import _
from bot.survey.questionnaire import Choice, Question, Questionnaire
from bot.survey.replies import normalise
from bot.treatments.knowledge import KnowledgeBase
from bot.treatments.search import How, TreatmentSearch

MIN_ALIAS = 3  # "OM", "HT": too short to type safely in a list


def entries_by_choice(questionnaire: Questionnaire) -> dict[str, tuple[str, ...]]:
    """Survey choice id -> the knowledge-base entries it reports on."""
    spec = questionnaire.results.treatments
    found: dict[str, list[str]] = {}
    for entry_id, choice in spec.entries if spec else ():
        found.setdefault(choice, []).append(entry_id)
    return {choice: tuple(entries) for choice, entries in found.items()}


def with_treatment_names(
    questionnaire: Questionnaire,
    kb: KnowledgeBase,
    entries: Mapping[str, tuple[str, ...]],
    question_ids: Collection[str],
) -> Questionnaire:
    """The questionnaire with the knowledge base's names added to treatment choices."""
    questions = tuple(
        _named(q, kb, entries) if q.id in question_ids else q for q in questionnaire.questions
    )
    return replace(questionnaire, questions=questions)


def _named(
    question: Question, kb: KnowledgeBase, entries: Mapping[str, tuple[str, ...]]
) -> Question:
    wanted: dict[str, list[str]] = {}
    for choice in question.choices:
        names = list(choice.aliases)
        for entry_id in entries.get(choice.id, ()):
            entry = kb.get(entry_id)
            if entry is not None:
                names.extend(entry.names)
        wanted[choice.id] = names

    def own_names(choice: Choice) -> set[str]:
        return {normalise(choice.label), normalise(choice.id.replace("_", " "))}

    taken = {c.id: own_names(c) | {normalise(n) for n in wanted[c.id]} for c in question.choices}
    choices = []
    for choice in question.choices:
        others = [n for cid, names in taken.items() if cid != choice.id for n in names]
        kept = []
        for name in wanted[choice.id]:
            key = normalise(name)
            # A name another choice also answers to stands for both: it is given to neither,
            # so a reply using it is asked back. (An exact name wins over a longer one it
            # starts: "fin" is finasteride even though "finasteride topical" starts with it.)
            clash = key in others
            if len(key.replace(" ", "")) >= MIN_ALIAS and not clash and key not in kept:
                kept.append(key)
        choices.append(replace(choice, aliases=tuple(kept)))
    return replace(question, choices=tuple(choices))


class TreatmentNamer:
    """Resolves what a member typed after "Other" against the knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        entries: Mapping[str, tuple[str, ...]],
        labels: Mapping[str, str],
    ) -> None:
        """`entries`: choice -> the entries it reports on; `labels`: choice -> its label."""
        self.search = TreatmentSearch(kb)
        self.choice_of = {e: choice for choice, found in entries.items() for e in found}
        self.labels = labels

    def __call__(self, typed: str) -> tuple[str, str] | None:
        found = self.search.search(typed, limit=1)
        if not found or found[0].how < How.FUZZY or found[0].treatment.is_condition:
            return None
        entry = found[0].treatment
        choice = self.choice_of.get(entry.id)
        if choice is not None and choice in self.labels:
            # Translators: {name} is the knowledge base's (English) name; {choice} is the
            # survey's answer that covers it.
            return entry.name, _(
                "Saved as {name}. That is one of the choices (“{choice}”): "
                "you can go back to the list of treatments and choose it there instead."
            ).format(name=entry.name, choice=self.labels[choice])
        return entry.name, _("Saved as {name}, as the treatment guide names it.").format(
            name=entry.name
        )
