"""`/treatment …` and `/treatments`: the knowledge base, searched forgivingly, with what
this server's members reported in the survey and, over time, in their check-ins."""

from __future__ import annotations

import re
from typing import Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import AnagenBot
from bot.checkins.outcomes import OutcomesReport
from bot.errors import UserFacingError
from bot.i18n import N_, _
from bot.text import clean_text
from bot.treatments.knowledge import CATEGORIES, Treatment, normalise
from bot.treatments.service import MAX_SUGGESTION, TooManyWaiting, TreatmentService
from bot.tree import send_ephemeral
from cogs._components import ReportingItem, bot_of, label_of
from cogs.treatments import ids
from cogs.treatments.render import (
    browse_embed,
    clip,
    compare_embed,
    safety_messages,
    symptom_embed,
    treatment_embed,
)

# The oldest open suggestions, one row of buttons each; resolving one makes room for the next.
QUEUE_PAGE = 4
# One member cannot flood the moderators' queue (security review F5): a few suggestions an
# hour (and `MAX_OPEN_SUGGESTIONS` waiting at once, in the service).
SUGGEST_PER_HOUR = 3


def _pages(interaction: discord.Interaction) -> Pages:
    """The pages a click opens, over the bot's treatment service (no cog lookup by name)."""
    return Pages(bot_of(interaction).services.treatments)


def nothing_found(service: TreatmentService, query: str) -> str:
    shown = clip(normalise(query), 60)  # letters and digits only: nothing can ping
    ideas = ", ".join(t.name for t in service.search.suggestions())
    if not shown:
        # Translators: {ideas} are treatment names; keep `/treatments`, the command's name.
        return _(
            "I found nothing for “that”. Try a drug or brand name, an abbreviation or a "
            "symptom, for example: {ideas}. `/treatments` lists everything by category."
        ).format(ideas=ideas)
    # Translators: {query} is what the member typed; {ideas} are treatment names; keep
    # `/treatments`, the command's name.
    return _(
        "I found nothing for “{query}”. Try a drug or brand name, an abbreviation or a "
        "symptom, for example: {ideas}. `/treatments` lists everything by category."
    ).format(query=shown, ideas=ideas)


class RelatedButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.RELATED.template
):
    """Opens a related entry privately, leaving the shared message as it was."""

    def __init__(self, treatment_id: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label or treatment_id, 80),
                style=discord.ButtonStyle.secondary,
                custom_id=ids.RELATED.build(id=treatment_id),
            )
        )
        self.treatment_id = treatment_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["id"], label_of(item))

    async def handle(self, interaction: discord.Interaction) -> None:
        pages = _pages(interaction)
        treatment = pages.service.kb.get(self.treatment_id)
        if treatment is None:
            await send_ephemeral(interaction, _("That entry no longer exists."))
            return
        embed, view = await pages.entry(interaction, treatment)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class SafetyButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.SAFETY.template
):
    """Every caution and side effect of an entry, whole, privately: nothing safety-related
    is ever cut to fit a message."""

    def __init__(self, treatment_id: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label if label is not None else _("Safety"), 80),
                emoji="⚠️",
                style=discord.ButtonStyle.danger,
                custom_id=ids.SAFETY.build(id=treatment_id),
            )
        )
        self.treatment_id = treatment_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["id"], label_of(item) or None)

    async def handle(self, interaction: discord.Interaction) -> None:
        treatment = _pages(interaction).service.kb.get(self.treatment_id)
        if treatment is None:
            await send_ephemeral(interaction, _("That entry no longer exists."))
            return
        first, *rest = safety_messages(treatment)
        await interaction.response.send_message(embeds=first, ephemeral=True)
        for embeds in rest:
            await interaction.followup.send(embeds=embeds, ephemeral=True)


class PageButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.PAGE.template
):
    def __init__(self, category: str, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=_("Previous") if direction == "prev" else _("Next"),
                emoji="◀" if direction == "prev" else "▶",
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=ids.PAGE.build(category=category, page=page, dir=direction),
            )
        )
        self.category, self.page, self.direction = category, page, direction

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(match["category"], int(match["page"]), match["dir"])

    async def handle(self, interaction: discord.Interaction) -> None:
        target = self.page + (1 if self.direction == "next" else -1)
        embed, view = _pages(interaction).browse_page(self.category or None, target)
        await interaction.response.edit_message(embed=embed, view=view)


class ResolveButton(
    ReportingItem, discord.ui.DynamicItem[discord.ui.Button], template=ids.RESOLVE.template
):
    def __init__(self, suggestion_id: int, verdict: str) -> None:
        accept = verdict == "accept"
        super().__init__(
            discord.ui.Button(
                label=(_("Accept #{id}") if accept else _("Dismiss #{id}")).format(
                    id=suggestion_id
                ),
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                custom_id=ids.RESOLVE.build(id=suggestion_id, verdict=verdict),
            )
        )
        self.suggestion_id, self.verdict = suggestion_id, verdict

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["id"]), match["verdict"])

    async def handle(self, interaction: discord.Interaction) -> None:
        # The button may be forged or forwarded: check the permission on every click.
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            await send_ephemeral(
                interaction,
                # Translators: Manage Server is Discord's permission, as Discord names it.
                _("Only members with Manage Server can resolve suggestions."),
            )
            return
        pages = _pages(interaction)
        done = await pages.service.resolve(
            interaction.guild_id, self.suggestion_id, self.verdict == "accept", interaction.user.id
        )
        if not done:
            note = _("Suggestion #{id} was already handled.")
        elif self.verdict == "accept":
            note = _("Suggestion #{id} marked accepted.")
        else:
            note = _("Suggestion #{id} marked dismissed.")
        note = note.format(id=self.suggestion_id)
        content, embed, view = await pages.queue_page(interaction.guild_id, 0, note)
        await interaction.response.edit_message(content=content, embed=embed, view=view)


class Pages:
    """What the lookups show: entries, browse pages and the moderators' queue, with their
    buttons. Shared by the commands and the buttons, which reach it from the bot."""

    def __init__(self, service: TreatmentService) -> None:
        self.service = service

    def resolve_name(self, query: str) -> Treatment:
        treatment = self.service.find(query)
        if treatment is None:
            raise UserFacingError(nothing_found(self.service, query))
        return treatment

    async def entry(
        self, interaction: discord.Interaction, treatment: Treatment
    ) -> tuple[discord.Embed, discord.ui.View]:
        report, outcomes = None, None
        if interaction.guild_id is not None and await self.service.reports_visible(
            interaction.guild_id, interaction.permissions.manage_guild
        ):
            report = await self.service.community_report(interaction.guild_id, treatment)
            outcomes = await self.outcomes(interaction.guild_id, report.survey_choice)
        embed = treatment_embed(treatment, self.service.kb, report, outcomes)
        related = [t for t in (self.service.kb.get(r) for r in treatment.related) if t][:8]
        view = discord.ui.View(timeout=None)  # empty when there is nothing to open
        if treatment.safety_facts or treatment.facts_about("side_effects"):
            view.add_item(SafetyButton(treatment.id))
        for other in related:
            view.add_item(RelatedButton(other.id, other.name))
        return embed, view

    def symptom_reply(self, query: str) -> tuple[discord.Embed, discord.ui.View] | None:
        """A symptom question ("burning scalp"): the conditions to tell apart, then products."""
        answer = self.service.symptom_answer(query)
        if answer is None:
            return None
        embed, _left = symptom_embed(answer)
        view = discord.ui.View(timeout=None)
        for entry in [*answer.conditions, *answer.products][:10]:
            view.add_item(RelatedButton(entry.id, entry.name))
        return embed, view

    async def outcomes(self, guild_id: int, survey_choice: str | None) -> OutcomesReport | None:
        """Check-ins report on the survey's treatment choices: none when the survey does not
        ask about the entry. Visible to whoever may see the survey's report beside it."""
        if survey_choice is None:
            return None
        return await self.service.outcomes(guild_id, survey_choice)

    def browse_page(self, category: str | None, page: int) -> tuple[discord.Embed, discord.ui.View]:
        embed, pages = browse_embed(self.service.kb, category, page)
        page = min(max(page, 0), pages - 1)
        view = discord.ui.View(timeout=None)
        view.add_item(PageButton(category or "", page, "prev", disabled=page == 0))
        view.add_item(PageButton(category or "", page, "next", disabled=page >= pages - 1))
        return embed, view

    async def queue_page(
        self, guild_id: int, page: int, note: str = ""
    ) -> tuple[str, discord.Embed | None, discord.ui.View | None]:
        items, total = await self.service.queue(guild_id, page, QUEUE_PAGE)
        if not items:
            return (note + "\n" if note else "") + _("No open suggestions. 🎉"), None, None
        embed = discord.Embed(
            title=_("Open suggestions ({total})").format(total=total),
            colour=discord.Colour.orange(),
        )
        view = discord.ui.View(timeout=None)
        for suggestion in items:
            entry = self.service.kb.get(suggestion.treatment_id)
            # Translators: {date} is when it was sent (2025-01-31); {member} mentions who sent it.
            sent = _("{date} by {member}").format(
                date=suggestion.created_at[:10], member=f"<@{suggestion.user_id}>"
            )
            embed.add_field(
                name=f"#{suggestion.id} · {entry.name if entry else suggestion.treatment_id}",
                value=clip(discord.utils.escape_mentions(suggestion.text), 960) + f"\n-# {sent}",
                inline=False,
            )
            view.add_item(ResolveButton(suggestion.id, "accept"))
            view.add_item(ResolveButton(suggestion.id, "dismiss"))
        embed.set_footer(
            text=_(
                "Accepting records the decision; edit the knowledge base file to "
                "change an entry (suggestions are never applied automatically)."
            )
        )
        return note, embed, view


class Treatments(commands.Cog):
    treatment = app_commands.Group(
        name="treatment", description=N_("Look up hair-loss treatments and what members report")
    )

    def __init__(self, bot: AnagenBot) -> None:
        self.bot = bot
        self.service = bot.services.treatments
        self.pages = Pages(self.service)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RelatedButton, SafetyButton, PageButton, ResolveButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RelatedButton, SafetyButton, PageButton, ResolveButton)

    async def name_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not current.strip():
            entries = [*self.service.search.suggestions(8), *self.service.kb.treatments]
            unique = list(dict.fromkeys(entries))[:25]
            return [app_commands.Choice(name=clip(t.name, 100), value=t.id) for t in unique]
        choices = []
        for match in self.service.matches(current, 25):
            name = match.treatment.name
            if match.matched_name.casefold() != name.casefold() and match.how > 1:
                name = f"{match.matched_name} → {name}"
            choices.append(app_commands.Choice(name=clip(name, 100), value=match.treatment.id))
        return choices

    # -- commands -----------------------------------------------------------------------------

    @treatment.command(
        name="lookup",
        description=N_("What a treatment is, its evidence, and what members here report"),
    )
    @app_commands.describe(
        name=N_("A drug, brand, procedure or abbreviation, e.g. fin, Nizoral, PRP")
    )
    @app_commands.checks.cooldown(6, 30.0, key=lambda i: (i.guild_id, i.user.id))
    async def lookup(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 200]
    ) -> None:
        if (symptom := self.pages.symptom_reply(name)) is not None:
            embed, view = symptom
            await interaction.response.send_message(embed=embed, view=view)
            return
        treatment = self.pages.resolve_name(name)
        # Where results are for moderators only, a moderator's lookup (which shows them)
        # is private too; anyone else's leaves them out and may be public.
        private = interaction.guild_id is not None and await self.service.reports_private(
            interaction.guild_id, interaction.permissions.manage_guild
        )
        # Acknowledged first: the reply waits for the database, never for Discord's 3 s.
        await interaction.response.defer(thinking=True, ephemeral=private)
        embed, view = await self.pages.entry(interaction, treatment)
        await interaction.followup.send(embed=embed, view=view, ephemeral=private)

    @treatment.command(name="compare", description=N_("Two treatments side by side"))
    @app_commands.describe(a=N_("The first treatment"), b=N_("The second treatment"))
    async def compare(
        self,
        interaction: discord.Interaction,
        a: app_commands.Range[str, 1, 200],
        b: app_commands.Range[str, 1, 200],
    ) -> None:
        first, second = self.pages.resolve_name(a), self.pages.resolve_name(b)
        if first.id == second.id:
            raise UserFacingError(
                _("Both names are {name}; pick two different treatments.").format(name=first.name)
            )
        view = discord.ui.View(timeout=None)
        for treatment in (first, second):
            label = _("Safety: {name}").format(name=treatment.name)
            view.add_item(SafetyButton(treatment.id, label))
        await interaction.response.send_message(
            embed=compare_embed(first, second, self.service.kb), view=view
        )

    @treatment.command(
        name="suggest",
        description=N_("Propose a correction or addition to an entry; moderators review it"),
    )
    @app_commands.describe(
        name=N_("The entry your suggestion is about"),
        text=N_("What should change, ideally with a source (PubMed id, link)"),
    )
    @app_commands.checks.cooldown(SUGGEST_PER_HOUR, 3600.0, key=lambda i: (i.guild_id, i.user.id))
    async def suggest(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 200],
        text: app_commands.Range[str, 5, MAX_SUGGESTION],
    ) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage
        text = clean_text(text)
        if len(text) < 5:
            raise UserFacingError(_("Please write what should change, in a few words at least."))
        treatment = self.pages.resolve_name(name)
        try:
            number = await self.service.suggest(
                interaction.guild_id, interaction.user.id, treatment, text
            )
        except TooManyWaiting as waiting:
            raise UserFacingError(
                _(
                    "You have {count} suggestions waiting for review in this server. Please "
                    "wait until the moderators have looked at them before you send more."
                ).format(count=waiting)
            ) from None
        await send_ephemeral(
            interaction,
            _(
                "Thank you! Suggestion #{number} about {name} is queued for this "
                "server's moderators. Nothing changes until a person has checked it."
            ).format(number=number, name=treatment.name),
        )

    @app_commands.command(
        name="treatment-suggestions", description=N_("Moderators: review suggested corrections")
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def suggestions(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        content, embed, view = await self.pages.queue_page(interaction.guild_id, 0)
        kwargs: dict = {"content": content or None, "ephemeral": True}
        if embed is not None:
            kwargs["embed"] = embed
        if view is not None:
            kwargs["view"] = view
        await interaction.response.send_message(**kwargs)

    lookup.autocomplete("name")(name_autocomplete)
    compare.autocomplete("a")(name_autocomplete)
    compare.autocomplete("b")(name_autocomplete)
    suggest.autocomplete("name")(name_autocomplete)

    @app_commands.command(name="treatments", description=N_("Browse every treatment by category"))
    @app_commands.describe(category=N_("Only this category"))
    @app_commands.choices(
        category=[app_commands.Choice(name=label, value=key) for key, label in CATEGORIES.items()]
    )
    async def treatments(
        self, interaction: discord.Interaction, category: app_commands.Choice[str] | None = None
    ) -> None:
        embed, view = self.pages.browse_page(category.value if category else None, 0)
        await interaction.response.send_message(embed=embed, view=view)


async def setup(bot: AnagenBot) -> None:
    await bot.add_cog(Treatments(bot))
