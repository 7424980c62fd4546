"""What a member's own answers should make them read: after the survey, the "see a doctor
when" line of the conditions that burning or pain can mean; after a check-in, the caution an
entry gives for a side effect the member reported with it.

It is shown once, privately: a side effect reported again for the same treatment at the next
check-in is not repeated. Never a diagnosis: the member reads what the knowledge base says,
sourced, and is asked to talk to a doctor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from bot.i18n import N_, _, formats
from bot.storage.checkin_outcomes import SIDE_EFFECTS_QUESTION
from bot.storage.responses import Answers
from bot.survey.groupings import TreatmentsSpec
from bot.survey.screens import Advice
from bot.treatments.knowledge import Fact, KnowledgeBase, Treatment

# Survey answers (question, choice) that mean a condition should be ruled out by a doctor:
# burning, pain or tenderness with hair loss can be a scarring alopecia, whose lost follicles
# do not come back.
SCARRING = ("lichen_planopilaris", "frontal_fibrosing_alopecia", "ccca")
SURVEY_SIGNS: Mapping[tuple[str, str], tuple[str, ...]] = MappingProxyType(
    {
        ("sensations", "burning"): SCARRING,
        ("sensations", "pain"): SCARRING,
    }
)
# Check-in side effects (the regimen group's `side_effects` choices) and the cautions
# (data/safety.toml) that speak to each.
SIDE_EFFECT_CAUTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "mood": ("mood",),
        "heart": ("heart",),
        "skin_irritation": ("irritation",),
    }
)
# The survey's sensations that call for advice, as its title names them.
SIGN_WORDS = {"burning": N_("burning"), "pain": N_("pain")}
SIDE_EFFECT_WORDS = {
    "mood": N_("mood changes"),
    "heart": N_("heart symptoms"),
    "skin_irritation": N_("skin irritation"),
}
TALK_TO_A_DOCTOR = N_(
    "Please talk to a doctor or pharmacist about it soon. This is not a diagnosis."
)
SEE_A_DOCTOR = N_("This is not a diagnosis: only a doctor who examines your scalp can tell.")


class AdviceBook:
    """Reads the knowledge base for the lines a member's answers call for."""

    def __init__(self, kb: KnowledgeBase, reports: TreatmentsSpec | None) -> None:
        self.kb = kb
        # A survey / check-in treatment choice -> the entry that speaks for it (the first
        # the questionnaire's [results.treatments] table lists, e.g. "jak_inhibitors").
        first: dict[str, str] = {}
        for entry_id, choice in reports.entries if reports else ():
            first.setdefault(choice, entry_id)
        self.entry_for: Mapping[str, str] = MappingProxyType(first)

    def after_survey(self, answers: Answers, previous: Answers | None) -> tuple[Advice, ...]:
        """One piece of advice: each condition the reported sensations can mean, with its
        "see a doctor when" line."""
        wanted: list[str] = []
        signs: list[str] = []
        for (question_id, choice), condition_ids in SURVEY_SIGNS.items():
            if choice in _chosen(answers, question_id):
                signs.append(choice)
                wanted.extend(c for c in condition_ids if c not in wanted)
        conditions = [c for c in (self.kb.get(i) for i in wanted) if c is not None]
        facts = [(c, f) for c in conditions for f in c.facts_about("see_doctor")]
        if not facts:
            return ()
        named = formats.all_of([_(SIGN_WORDS[s]) if s in SIGN_WORDS else s for s in signs])
        return (
            Advice(
                # Translators: {signs} is "burning", "pain" or "burning and pain".
                title=_("You reported {signs} on your scalp").format(signs=named),
                lines=(
                    *(f"{condition.name}: {fact.text}" for condition, fact in facts),
                    _(SEE_A_DOCTOR),
                ),
                sources=_sources(fact for _condition, fact in facts),
            ),
        )

    def after_checkin(self, answers: Answers, previous: Answers | None) -> tuple[Advice, ...]:
        found = []
        for (field, choice), answer in answers.items():
            if field != SIDE_EFFECTS_QUESTION or answer.skipped:
                continue
            entry = self._entry(choice)
            if entry is None:
                continue
            before = previous.get((field, choice)) if previous else None
            already = set(before.choices) if before is not None else set()
            for effect in answer.choices:
                if effect in already:
                    continue  # told at an earlier check-in
                cautions = SIDE_EFFECT_CAUTIONS.get(effect, ())
                facts = tuple(
                    f for f in entry.facts_about("caution") if set(f.covers) & set(cautions)
                )
                if facts:
                    word = SIDE_EFFECT_WORDS.get(effect)
                    label = _(word) if word is not None else effect.replace("_", " ")
                    found.append(
                        _advice(
                            # Translators: a treatment's name (in English) and a side effect.
                            _("{treatment} and {side_effect}").format(
                                treatment=entry.name, side_effect=label
                            ),
                            facts,
                            _(TALK_TO_A_DOCTOR),
                            urgent_help=effect == "mood",
                        )
                    )
        return tuple(found)

    def _entry(self, choice: str) -> Treatment | None:
        entry_id = self.entry_for.get(choice)
        return self.kb.get(entry_id) if entry_id else None


def _chosen(answers: Answers, question_id: str) -> tuple[str, ...]:
    answer = answers.get((question_id, ""))
    return () if answer is None or answer.skipped else answer.choices


def _sources(facts: Iterable[Fact]) -> tuple[tuple[str, str | None], ...]:
    found: dict[tuple[str, str | None], None] = {}
    for fact in facts:
        for source in fact.sources:
            found[(source.label, source.link)] = None
    return tuple(found)


def _advice(
    title: str, facts: tuple[Fact, ...], closing: str, *, urgent_help: bool = False
) -> Advice:
    return Advice(
        title=title,
        lines=(*(fact.text for fact in facts), closing),
        sources=_sources(facts),
        urgent_help=urgent_help,
    )
