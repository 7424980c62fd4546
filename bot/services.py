"""The use cases, built once at start-up over one database and the loaded data files, so
every cog (and the command line) shares the same objects and their caches."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.checkins.service import CheckinService
from bot.clock import Clock
from bot.results.service import ResultsService
from bot.storage import Database
from bot.survey.panel import Panels
from bot.survey.questionnaire import Questionnaire
from bot.survey.refs import EngineKind
from bot.survey.service import SurveyService
from bot.survey.service_texts import EngineTexts
from bot.treatments.advice import AdviceBook
from bot.treatments.knowledge import KnowledgeBase
from bot.treatments.service import TreatmentService
from bot.treatments.survey_names import TreatmentNamer, entries_by_choice, with_treatment_names

# The check-in questions whose choices are the survey's treatment choices.
CHECKIN_TREATMENTS = ("current", "started")


def survey_engine(
    db: Database,
    questionnaire: Questionnaire,
    knowledge: KnowledgeBase,
    texts: EngineTexts | None = None,
) -> SurveyService:
    """The survey as members take it (the bot and `anagen preview` alike): typed treatment
    names read with the knowledge base's brands and abbreviations, and "Other: which one?"
    resolved to the knowledge base's name."""
    entries = entries_by_choice(questionnaire)
    treatments = questionnaire.results.treatments
    asked_ids = {treatments.question} if treatments else set()
    named = with_treatment_names(questionnaire, knowledge, entries, asked_ids)
    survey = SurveyService(db, named) if texts is None else SurveyService(db, named, texts=texts)
    if treatments is not None:
        asked = named[treatments.question]
        namer = TreatmentNamer(knowledge, entries, _LabelsAsShown(survey, asked.id))
        for choice in asked.choices:
            if choice.detail is not None:  # "Other: which one?" names a treatment
                survey.resolvers[choice.detail] = namer
    return survey


class _LabelsAsShown(Mapping[str, str]):
    """A question's choice labels in the language of the member being answered."""

    def __init__(self, survey: SurveyService, question_id: str) -> None:
        self.survey = survey
        self.question_id = question_id

    def _choices(self) -> dict[str, str]:
        return {c.id: c.label for c in self.survey.questionnaire[self.question_id].choices}

    def __getitem__(self, choice_id: str) -> str:
        return self._choices()[choice_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._choices())

    def __len__(self) -> int:
        return len(self._choices())


@dataclass(frozen=True, slots=True)
class Services:
    survey: SurveyService
    checkins: CheckinService
    results: ResultsService
    treatments: TreatmentService
    panels: Panels

    def engine(self, kind: EngineKind) -> SurveyService:
        """The questionnaire engine a response reference names: the survey's, or the one
        check-ins run on their own tables (cogs show both through the same controls)."""
        return self.checkins.engine if kind is EngineKind.CHECKIN else self.survey

    @property
    def engines(self) -> dict[EngineKind, SurveyService]:
        return {kind: self.engine(kind) for kind in EngineKind}

    @classmethod
    def build(
        cls,
        db: Database,
        *,
        questionnaire: Questionnaire,
        checkin_questionnaire: Questionnaire,
        knowledge: KnowledgeBase,
        clock: Clock,
    ) -> Services:
        results = ResultsService(db, questionnaire, checkin_questionnaire, clock)
        survey = survey_engine(db, questionnaire, knowledge)
        checkins = CheckinService(
            db,
            with_treatment_names(
                checkin_questionnaire,
                knowledge,
                entries_by_choice(questionnaire),
                CHECKIN_TREATMENTS,
            ),
            questionnaire,
            clock,
        )
        advice = AdviceBook(knowledge, questionnaire.results.treatments)
        survey.advise = advice.after_survey
        checkins.engine.advise = advice.after_checkin
        return cls(
            survey=survey,
            checkins=checkins,
            results=results,
            treatments=TreatmentService(db, knowledge, questionnaire, results.releases),
            panels=Panels(db, questionnaire.title),
        )
