"""The survey's form for typed answers."""

from __future__ import annotations

import discord

from bot.i18n import _
from bot.survey.refs import EngineKind, ResponseRef
from bot.survey.screens import QuestionScreen
from cogs._components import Form
from cogs.survey import ids


class AnswerForm(Form):
    """The form for number and text answers. Its custom_id carries the response and step, and
    submissions are handled by `Survey.on_interaction`, not by this object: that way a form
    opened before a restart (or submitted very quickly) still reaches the survey."""

    def __init__(self, screen: QuestionScreen, kind: EngineKind = EngineKind.SURVEY) -> None:
        question = screen.step.question
        super().__init__(
            title=_("Question {number} of {total}").format(
                number=screen.number, total=screen.total
            ),
            custom_id=ids.FORM.build(
                rid=ResponseRef(kind, screen.response_id), step=screen.step.key
            ),
        )
        current = screen.current.get("")
        default = None
        if current is not None and not current.skipped:
            default = str(current.number if current.number is not None else current.text)
        is_text = question.max_length is not None
        self.add_item(
            discord.ui.TextInput(
                label=screen.prompt[:45],
                custom_id="answer",
                style=discord.TextStyle.paragraph if is_text else discord.TextStyle.short,
                placeholder=(
                    # Translators: the range of numbers the answer may take, e.g. "18 to 99".
                    _("{min} to {max}").format(min=question.min, max=question.max)
                    if not is_text
                    else None
                ),
                default=default,
                required=question.required,
                max_length=min(question.max_length or 6, 4000),
            )
        )
