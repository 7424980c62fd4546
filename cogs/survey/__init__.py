"""`/survey …`: the scalp-symptom survey, answered in DMs (or privately in the server)."""

from __future__ import annotations

from bot.app import AnagenBot
from cogs.survey._cog import Survey
from cogs.survey.admin import SurveyAdmin


async def setup(bot: AnagenBot) -> None:
    survey = Survey(bot)
    await bot.add_cog(survey)
    await bot.add_cog(SurveyAdmin(bot, survey.results))
