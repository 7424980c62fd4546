"""How questionnaire screens (the survey's and check-ins') look in Discord: message content,
embeds and persistent components.

Components are built here from the custom_id formats in `ids`, not from the item classes:
the items in `items.py` only handle clicks, so drawing a screen never reaches back into the
code that reacts to one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import discord

from bot.i18n import N_, _, formats, pgettext
from bot.survey.flow import Step
from bot.survey.questionnaire import Kind, Questionnaire
from bot.survey.refs import EngineKind, ResponseRef
from bot.survey.screens import (
    Advice,
    NoticeKind,
    NoticeScreen,
    QuestionScreen,
    Screen,
    SummaryScreen,
    Tone,
)
from bot.survey.stage_pictures import StagePicture, picture_for, picture_path
from cogs._components import Controls, discord_markup
from cogs.survey import ids

MAX_BUTTON_CHOICES = 20  # four rows of five; the fifth row holds back/skip/pause
ECHO_LIMIT = 300
NOTE_ICONS = {Tone.SAVED: "✅", Tone.CORRECTION: "⚠️", Tone.INFO: "ℹ️"}  # noqa: RUF001
NAV_LABELS = {
    "back": ("◀", discord.ButtonStyle.secondary),
    "skip": ("⏭", discord.ButtonStyle.secondary),
    "pause": ("⏸", discord.ButtonStyle.secondary),
    "continue": ("▶", discord.ButtonStyle.primary),
    "done": ("✅", discord.ButtonStyle.success),
}


def nav_label(action: str) -> str:
    """The label of a step's navigation button, in the member's language."""
    labels = {
        "back": pgettext("button", "Back"),
        "skip": pgettext("button", "Skip"),
        "pause": pgettext("button", "Pause"),
        "continue": pgettext("button", "Continue"),
        "done": pgettext("button", "Done"),
    }
    return labels[action]


@dataclass
class Rendered:
    """Keyword arguments for send/edit: always all of them, so an edit clears what it replaces."""

    content: str
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    picture: StagePicture | None = None  # a reference figure sent with the question

    def _file(self) -> discord.File | None:
        # A discord.File is read once when sent: a fresh one for every send or edit.
        if self.picture is None:
            return None
        return discord.File(
            picture_path(self.picture.name),
            filename=self.picture.filename,
            description=self.picture.alt,
        )

    def kwargs(self) -> dict[str, Any]:
        file = self._file()
        # An edit replaces the attachments too, so the next question drops the picture.
        return {
            "content": self.content,
            "embed": self.embed,
            "view": self.view,
            "attachments": [file] if file is not None else [],
        }

    def send_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"content": self.content}
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        if (file := self._file()) is not None:
            kwargs["file"] = file
        return kwargs


def _clip(text: str, limit: int) -> str:
    text = discord.utils.escape_mentions(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _note(screen: Screen) -> str:
    note = screen.note
    if note is None:
        return ""
    limit = ECHO_LIMIT if note.tone is Tone.SAVED else 900
    text = note.text if note.tone is Tone.SAVED else discord_markup(note.text)
    return f"{NOTE_ICONS[note.tone]} {_clip(text, limit)}\n\n"


def render(
    screen: Screen,
    questionnaire: Questionnaire,
    *,
    in_dm: bool,
    kind: EngineKind = EngineKind.SURVEY,
) -> Rendered:
    """`kind` names the engine in the controls' response references (custom_ids)."""
    if isinstance(screen, QuestionScreen):
        rendered = _question(screen, in_dm, kind)
        rendered.picture = picture_for(questionnaire, screen.step.question.id)
        return rendered
    if isinstance(screen, SummaryScreen):
        return _summary(screen, questionnaire, kind)
    return _notice(screen, kind)


def answer_button(
    rid: str, step: str, value: str, label: str, selected: bool, row: int | None
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label[:80],
        style=discord.ButtonStyle.primary if selected else discord.ButtonStyle.secondary,
        custom_id=ids.ANSWER.build(rid=rid, step=step, value=value),
        row=row,
    )


def choice_select(
    rid: str,
    step: str,
    field: str,
    options: list[discord.SelectOption],
    *,
    placeholder: str,
    max_values: int,
) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=ids.CHOICE.build(rid=rid, step=step, field=field),
        options=options or [discord.SelectOption(label="-")],
        placeholder=placeholder[:150] or None,
        min_values=1,
        max_values=max_values,
    )


def form_button(rid: str, step: str) -> discord.ui.Button[Any]:
    """Opens a form for number and text questions (the only way in a server channel)."""
    return discord.ui.Button(
        label=pgettext("button", "Answer"),
        emoji="✏️",
        style=discord.ButtonStyle.primary,
        custom_id=ids.FORM_BUTTON.build(rid=rid, step=step),
    )


def nav_button(
    rid: str, step: str, action: str, *, disabled: bool = False
) -> discord.ui.Button[Any]:
    emoji, style = NAV_LABELS[action]
    return discord.ui.Button(
        label=nav_label(action),
        emoji=emoji,
        style=style,
        disabled=disabled,
        row=4,
        custom_id=ids.NAV.build(rid=rid, step=step, action=action),
    )


def change_select(
    rid: str, chunk: int, options: list[discord.SelectOption]
) -> discord.ui.Select[Any]:
    """On the summary: pick a question to answer again."""
    return discord.ui.Select(
        custom_id=ids.CHANGE.build(rid=rid, chunk=chunk),
        options=options or [discord.SelectOption(label="-")],
        placeholder=_("Change an answer…") if chunk == 0 else _("Change a later answer…"),
    )


def start_button(guild_id: int, mode: str, surface: str) -> discord.ui.Button[Any]:
    """Consent: creates the response. The guild travels in the id because DMs have none."""
    return discord.ui.Button(
        label=_("Continue here privately") if surface == "guild" else _("Start the survey"),
        style=discord.ButtonStyle.success,
        custom_id=ids.START.build(guild=guild_id, mode=mode, surface=surface),
    )


def decline_button() -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_("Not now"), style=discord.ButtonStyle.secondary, custom_id=ids.DECLINE.build()
    )


def opt_in_button(guild_id: int) -> discord.ui.Button[discord.ui.View]:
    """The opt-in under the survey's thank-you, where the server runs check-ins (the click
    is check-ins' to handle)."""
    return discord.ui.Button(
        label=_("Set up check-ins"),
        emoji="🗓️",
        style=discord.ButtonStyle.primary,
        custom_id=ids.OPT_IN.build(guild=guild_id),
    )


def _question(screen: QuestionScreen, in_dm: bool, kind: EngineKind) -> Rendered:
    step, question = screen.step, screen.step.question
    lines = [
        _note(screen)
        + "-# "
        + _("Question {number} of about {total}").format(number=screen.number, total=screen.total),
        f"## {_clip(screen.prompt, 250)}",
    ]
    if question.help:
        lines.append(f"-# {question.help}")
    hint = _reply_hint(step, in_dm)
    if hint:
        lines.append(f"-# {hint}")
    view = Controls()
    rid, key = str(ResponseRef(kind, screen.response_id)), step.key
    current = screen.current.get("")
    if question.kind is Kind.SINGLE and len(question.choices) <= MAX_BUTTON_CHOICES:
        chosen = set(current.choices) if current else set()
        for index, choice in enumerate(question.choices):
            view.add_item(
                answer_button(rid, key, choice.id, choice.label, choice.id in chosen, index // 5)
            )
    elif question.kind is Kind.SCALE:
        assert question.min is not None
        assert question.max is not None
        picked = current.number if current else None
        for index, value in enumerate(range(question.min, question.max + 1)):
            view.add_item(
                answer_button(rid, key, str(value), str(value), value == picked, index // 5)
            )
    elif question.kind in (Kind.SINGLE, Kind.MULTI):
        chosen = set(current.choices) if current else set()
        options = [
            discord.SelectOption(label=c.label, value=c.id, default=c.id in chosen)
            for c in question.choices
        ]
        multi = question.kind is Kind.MULTI
        view.add_item(
            choice_select(
                rid,
                key,
                "",
                options,
                placeholder=_("Choose all that apply") if multi else _("Choose one"),
                max_values=len(options) if multi else 1,
            )
        )
    elif question.kind is Kind.GROUP:
        for group_field in screen.step.fields:
            answer = screen.current.get(group_field.id)
            chosen = set(answer.choices) if answer else set()
            options = [
                discord.SelectOption(label=c.label, value=c.id, default=c.id in chosen)
                for c in group_field.choices
            ]
            view.add_item(
                choice_select(
                    rid,
                    key,
                    group_field.id,
                    options,
                    placeholder=group_field.prompt,
                    max_values=len(options) if group_field.multi else 1,
                )
            )
    else:  # number and text: typed in DMs, or through a form anywhere
        if current is not None and not current.skipped:
            shown = current.number if current.number is not None else current.text
            lines.append(
                "-# " + _("Your current answer: {answer}").format(answer=_clip(str(shown), 200))
            )
        view.add_item(form_button(rid, key))
    view.add_item(nav_button(rid, key, "back", disabled=not screen.can_go_back))
    if not question.required:
        view.add_item(nav_button(rid, key, "skip"))
    view.add_item(nav_button(rid, key, "pause"))
    return Rendered("\n".join(lines), view=view)


def _reply_hint(step: Step, in_dm: bool) -> str:
    kind = step.question.kind
    if not in_dm:
        if kind not in (Kind.NUMBER, Kind.TEXT):
            return _("Answer with the buttons.")
        # Translators: **Answer** is the label of the button that opens the answer form.
        return _("Press **Answer** to type it.")
    if kind is Kind.NUMBER:
        # Translators: **Answer** is the label of the button that opens the answer form.
        return _("Type the number as a message here, or press **Answer**.")
    if kind is Kind.TEXT:
        limit = step.question.max_length or 0
        # Translators: **Answer** is the label of the button that opens the answer form.
        return _(
            "Type your answer as a message here (up to {limit} characters), or press **Answer**."
        ).format(limit=formats.number(limit))
    if kind is Kind.MULTI:
        return _("Pick in the menu, or type numbers or names, e.g. “1, 3”.")
    if kind is Kind.GROUP:
        fields = step.fields
        example = ", ".join(f.choices[0].label.lower() for f in fields)
        if len(fields) == 1:
            # Translators: {example} is a sample reply made of the first choice of each menu.
            return _("Pick in the menu, or type the answer, e.g. “{example}”.").format(
                example=example
            )
        if len(fields) == 2:
            # Translators: {example} is a sample reply made of the first choice of each menu.
            return _("Pick in both menus, or type both answers, e.g. “{example}”.").format(
                example=example
            )
        # Translators: {count} is the number of menus (3 or more); {example} a sample reply
        # made of the first choice of each menu.
        return _(
            "Pick in each menu, or type the {count} answers in order, e.g. “{example}”."
        ).format(count=len(fields), example=example)
    return _("Press a button, or type a number or a name.")


def _summary(screen: SummaryScreen, questionnaire: Questionnaire, kind: EngineKind) -> Rendered:
    rows = [f"**{_clip(r.prompt, 120)}**\n{_clip(r.answer, 180)}" for r in screen.rows]
    description = "\n".join(rows)
    if len(description) > 4000:
        description = description[:3990] + "\n…"
    embed = discord.Embed(
        title=_("Your answers") if screen.completed else _("Almost done: check your answers"),
        description=description or _("No answers yet."),
        colour=discord.Colour.teal(),
    )
    # Translators: {title} is the questionnaire's title, {version} its version number.
    footer = _("{title} · questionnaire version {version}").format(
        title=questionnaire.title, version=questionnaire.version
    )
    embed.set_footer(text=footer)
    if screen.completed:
        return Rendered(_note(screen) or "", embed=embed, view=None)
    view = Controls()
    rid = str(ResponseRef(kind, screen.response_id))
    for chunk in range(0, min(len(screen.rows), 75), 25):
        options = [
            discord.SelectOption(
                label=_clip(r.prompt, 100), value=r.step_key, description=_clip(r.answer, 100)
            )
            for r in screen.rows[chunk : chunk + 25]
        ]
        view.add_item(change_select(rid, chunk // 25, options))
    view.add_item(nav_button(rid, "summary", "back"))
    view.add_item(nav_button(rid, "summary", "done"))
    # Translators: **Done** is the label of the button that submits the answers.
    content = _note(screen) + _(
        "Press **Done** to submit, or pick a question to change its answer."
    )
    return Rendered(content, embed=embed, view=view)


def _notice(screen: NoticeScreen, kind: EngineKind) -> Rendered:
    view = None
    if screen.kind is NoticeKind.PAUSED and screen.response_id is not None:
        view = Controls()
        view.add_item(nav_button(str(ResponseRef(kind, screen.response_id)), "paused", "continue"))
    text = _note(screen) + discord_markup(screen.text)
    return Rendered(text, embed=advice_embed(screen.advice), view=view)


URGENT_HELP = N_(
    "If you have thoughts of harming yourself or of suicide, please get help now: call your "
    "local emergency number, or a crisis line in your country. You do not have to wait for "
    "an appointment."
)
ADVICE_BUDGET = 5000  # of Discord's 6000 characters an embed may hold


def advice_embed(advice: tuple[Advice, ...]) -> discord.Embed | None:
    """What the member's answers call for, each sentence whole; advice that does not fit
    whole is named, never cut."""
    if not advice:
        return None
    embed = discord.Embed(
        title=_("Something to read about your answers"), colour=discord.Colour.orange()
    )
    sources: dict[tuple[str, str | None], None] = {}
    left: list[str] = []
    for item in advice:
        values = list(item.lines) + ([_(URGENT_HELP)] if item.urgent_help else [])
        cost = sum(len(v) for v in values) + len(item.title)
        if left or len(embed) + cost > ADVICE_BUDGET or any(len(v) > 1024 for v in values):
            left.append(item.title)
            continue
        for number, value in enumerate(values):
            embed.add_field(
                name=item.title[:256] if number == 0 else "\u200b", value=value, inline=False
            )
        sources.update(dict.fromkeys(item.sources))
    if left:
        # Translators: {titles} lists the advice left out, separated by semicolons.
        more = _("{titles}: `/treatment lookup` has each in full.").format(titles="; ".join(left))
        embed.add_field(name=_("And more"), value=_clip(more, 1024), inline=False)
    if sources:
        listing = "\n".join(
            f"[{label[:90]}]({link})" if link else label[:90] for label, link in sources
        )
        embed.add_field(name=_("Sources"), value=_clip(listing, 1024), inline=False)
    embed.set_footer(text=_("Not medical advice. Only you and the bot see this message."))
    return embed
