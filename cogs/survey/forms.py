"""The survey's form for typed answers and the erase confirmation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.survey.screens import QuestionScreen
from bot.tree import report_error, send_ephemeral

if TYPE_CHECKING:
    from cogs.survey import Survey


FORM_PREFIX = "sv:form:"


class AnswerForm(discord.ui.Modal):
    """The form for number and text answers. Its custom_id carries the response and step, and
    submissions are handled by `Survey.on_interaction`, not by this object: that way a form
    opened before a restart (or submitted very quickly) still reaches the survey."""

    def __init__(self, screen: QuestionScreen) -> None:
        question = screen.step.question
        super().__init__(
            title=f"Question {screen.number} of {screen.total}",
            custom_id=f"{FORM_PREFIX}{screen.response_id}:{screen.step.key}",
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
                placeholder=(f"{question.min} to {question.max}" if not is_text else None),
                default=default,
                required=question.required,
                max_length=min(question.max_length or 6, 4000),
            )
        )


def submitted_text(data: dict) -> str:
    """The "answer" field of a modal submission (classic rows or label components)."""
    for row in data.get("components", []):
        for component in [*row.get("components", []), row.get("component") or {}]:
            if component.get("custom_id") == "answer":
                return str(component.get("value") or "")
    return ""


class ConfirmErase(discord.ui.View):
    def __init__(self, cog: Survey, user_id: int) -> None:
        super().__init__(timeout=120)
        self.cog, self.user_id = cog, user_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.user_id:
            await send_ephemeral(interaction, "This confirmation belongs to someone else.")
            return False
        return True

    @discord.ui.button(label="Erase my answers", style=discord.ButtonStyle.danger)
    async def erase(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        assert interaction.guild_id is not None
        responses, answers, suggested = await self.cog.service.erase(
            interaction.guild_id, self.user_id
        )
        self.stop()
        text = (
            f"Done: erased {responses} survey response(s) with {answers} answer(s), and "
            f"{suggested} treatment suggestion(s). Nothing about you remains in Anagen for "
            "this server."
            if responses or suggested
            else "There was nothing stored about you in this server."
        )
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was erased.", view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await report_error(interaction, error)
