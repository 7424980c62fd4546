"""The use cases, built once at start-up over one database and the loaded data files, so
every cog (and the command line) shares the same objects and their caches."""

from __future__ import annotations

from dataclasses import dataclass

from bot.checkins.service import CheckinService
from bot.clock import Clock
from bot.results.service import ResultsService
from bot.storage import Database
from bot.survey.questionnaire import Questionnaire
from bot.survey.service import SurveyService
from bot.treatments.advice import AdviceBook
from bot.treatments.knowledge import KnowledgeBase
from bot.treatments.service import TreatmentService


@dataclass(frozen=True, slots=True)
class Services:
    survey: SurveyService
    checkins: CheckinService
    results: ResultsService
    treatments: TreatmentService

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
        survey = SurveyService(db, questionnaire)
        checkins = CheckinService(db, checkin_questionnaire, questionnaire, clock)
        advice = AdviceBook(knowledge, questionnaire.results.treatments)
        survey.advise = advice.after_survey
        checkins.engine.advise = advice.after_checkin
        return cls(
            survey=survey,
            checkins=checkins,
            results=results,
            treatments=TreatmentService(db, knowledge, questionnaire, results.releases),
        )
