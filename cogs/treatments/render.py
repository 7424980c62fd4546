"""How treatment entries, comparisons and the browse pages look in Discord.

Safety text (cautions, and a condition's "see a doctor when") is never cut: it comes first,
each fact whole, and whatever does not fit in the entry's embed is on its Safety page.
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.checkins.outcomes import SHEDDING, SIDE_EFFECTS, OutcomesReport
from bot.treatments.knowledge import Fact, KnowledgeBase, Source, Treatment
from bot.treatments.service import CommunityReport, SymptomAnswer

NOT_ADVICE = "Not medical advice: talk to a doctor before starting or stopping any treatment."
STATUS_LABELS = {
    "approved": "Approved",
    "cleared": "FDA-cleared device",
    "off_label": "Used off-label",
    "phase_1": "In trials (phase 1)",
    "phase_2": "In trials (phase 2)",
    "phase_3": "In trials (phase 3)",
    "abandoned": "Abandoned",
    "no_evidence": "No good evidence",
    "not_applicable": "Not a treatment",
    "unconfirmed": "Unconfirmed",
    "preclinical": "Preclinical research",
}
FIELD_LIMIT = 1024
EMBED_BUDGET = 5800  # Discord allows 6000 characters per embed in total
PAGE_SIZE = 8
COMMUNITY = "Community reports"
OUTCOMES = "Outcomes over time"
CAUTION = "⚠️ Caution"
SEE_DOCTOR = "🩺 When to see a doctor"
MORE_SAFETY = "⚠️ More cautions"
SIDE_EFFECTS_TITLE = "Side effects"
EFFECT_WORDS = {"heart": "heart symptoms"}
SAFETY_BUDGET = 3200  # characters of whole safety facts in an entry's embed; the rest: Safety
MESSAGE_EMBEDS = 10  # Discord: embeds per message (sharing EMBED_BUDGET between them)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Citations:
    """Numbers each distinct source once, so facts can say [1][2] and a list can follow."""

    def __init__(self) -> None:
        self.sources: list[Source] = []

    def cite(self, fact: Fact) -> str:
        marks = []
        for source in fact.sources:
            if source not in self.sources:
                self.sources.append(source)
            marks.append(f"[{self.sources.index(source) + 1}]")
        return "".join(marks)

    def listing(self, limit: int) -> str:
        lines = []
        for number, source in enumerate(self.sources, 1):
            text = clip(source.label, 90)
            lines.append(
                f"[{number}] [{text}]({source.link})" if source.link else f"[{number}] {text}"
            )
        out = ""
        for line in lines:
            if len(out) + len(line) + 1 > limit - 20:
                return out + f"…and {len(lines) - out.count(chr(10))} more"
            out += line + "\n"
        return out.rstrip()


def _fact_text(fact: Fact, citations: _Citations, limit: int) -> str:
    prefix = "⚠️ *Unconfirmed:* " if not fact.confirmed else ""
    marks = citations.cite(fact)
    return clip(f"{prefix}{fact.text}", limit - len(marks) - 1) + f" {marks}"


def _whole(fact: Fact, citations: _Citations) -> str:
    """A fact as it must be read, never clipped (the loader keeps it under a field's size)."""
    prefix = "⚠️ *Unconfirmed:* " if not fact.confirmed else ""
    return f"{prefix}{fact.text} {citations.cite(fact)}"


def _safety_title(treatment: Treatment) -> str:
    return SEE_DOCTOR if treatment.is_condition else CAUTION


def _safety_fields(
    embed: discord.Embed, treatment: Treatment, citations: _Citations, budget: int
) -> int:
    """Add the entry's safety facts whole, first among the facts, while ``budget`` lasts;
    returns how many did not fit (they are on the Safety page)."""
    facts = treatment.safety_facts
    title = _safety_title(treatment)
    for shown, fact in enumerate(facts):
        value = _whole(fact, citations)
        if len(value) > budget:
            return len(facts) - shown
        embed.add_field(name=title if shown == 0 else "\u200b", value=value, inline=False)
        budget -= len(value)
    return 0


def _status_line(fact: Fact | None) -> str:
    if fact is None:
        return "Not recorded"
    return STATUS_LABELS.get(fact.status or "", fact.status or "Not recorded")


def treatment_embed(
    treatment: Treatment,
    kb: KnowledgeBase,
    report: CommunityReport | None,
    outcomes: OutcomesReport | None = None,
) -> discord.Embed:
    citations = _Citations()
    embed = discord.Embed(
        title=treatment.name,
        description=clip(treatment.summary, 600),
        colour=discord.Colour.teal(),
    )
    if treatment.aliases:
        embed.description = (
            (embed.description or "")
            + "\n-# Also called: "
            + clip(", ".join(treatment.aliases[:10]), 300)
        )
    embed.add_field(
        name="Category", value=kb.categories.get(treatment.category, treatment.category)
    )
    if not treatment.is_condition:
        embed.add_field(name="Pattern hair loss", value=_status_line(treatment.status_pattern))
        embed.add_field(name="Alopecia areata", value=_status_line(treatment.status_areata))
    left = _safety_fields(embed, treatment, citations, SAFETY_BUDGET)
    if left:
        embed.add_field(
            name=MORE_SAFETY,
            value=f"{left} more, in full: press **Safety** below.",
            inline=False,
        )
    sections = (
        ("What it is", ("what",)),
        ("How it differs from pattern hair loss", ("differs",)),
        ("How it is thought to work", ("mechanism",)),
        ("Status", ("status_pattern", "status_areata")),
        ("Evidence", ("evidence",)),
        ("Side effects", ("side_effects",)),
        ("Availability", ("availability",)),
    )
    for title, topics in sections:
        facts = [f for topic in topics for f in treatment.facts_about(topic)]
        if not facts:
            continue
        share = (FIELD_LIMIT - 4 * len(facts)) // len(facts)
        value = "\n".join(_fact_text(f, citations, share) for f in facts)
        embed.add_field(name=title, value=clip(value, FIELD_LIMIT), inline=False)
    if report is not None:
        embed.add_field(name=COMMUNITY, value=community_text(report), inline=False)
    if outcomes is not None:
        embed.add_field(name=OUTCOMES, value=outcomes_text(outcomes), inline=False)
    dates = [f.as_of for f in treatment.facts]
    used = len(embed) + 200
    embed.add_field(
        name="Sources",
        value=citations.listing(max(200, min(FIELD_LIMIT, EMBED_BUDGET - used))),
        inline=False,
    )
    _trim(embed)
    as_of = max(dates).isoformat() if dates else "unknown"
    embed.set_footer(text=f"Facts as of {as_of}. {NOT_ADVICE}")
    return embed


_KEPT_WHOLE = (COMMUNITY, OUTCOMES, CAUTION, SEE_DOCTOR, MORE_SAFETY, "\u200b")


def _trim(embed: discord.Embed) -> None:
    """Drop the longest optional sections until the embed fits Discord's total limit. Safety
    text is never touched, and the community's counts are kept whole: clipped, they would
    lose the legend that says what "<k" and "–" mean."""
    while len(embed) > EMBED_BUDGET:
        optional = [
            i
            for i in range(len(embed.fields) - 1)
            if not embed.fields[i].inline and embed.fields[i].name not in _KEPT_WHOLE
        ]
        if not optional:
            return
        index = max(optional, key=lambda i: len(embed.fields[i].value or ""))
        field = embed.fields[index]
        embed.set_field_at(index, name=field.name, value=clip(field.value or "", 200), inline=False)
        if len(embed) > EMBED_BUDGET:
            embed.remove_field(index)


def community_text(report: CommunityReport) -> str:
    k = report.min_group_size
    if report.survey_choice is None:
        return "The survey does not ask about this one, so there are no member reports."
    if report.released_at is None:
        return (
            "No survey results have been published in this server yet; member reports "
            "appear with the first release."
        )
    if report.hidden:
        return (
            f"Fewer than {k} members of this server reported trying it in the current "
            "release of survey results, so their answers are not shown."
        )
    lines = [f"About **{report.tried}** members here reported trying it."]
    for field_id, prompt, answers in report.labels:
        shown = report.effects.get(field_id, {})
        lines.append(
            f"{prompt}: "
            + " · ".join(f"{label.lower()} {shown.get(a, '')}" for a, label in answers)
        )
    if report.group is not None:
        lines.append(f"-# The survey asks about these as one group: {report.group}.")
    when = datetime.fromisoformat(report.released_at or "")
    lines.append(
        f"-# Release of {when:%-d %b %Y} ({report.respondents} members). Self-reported; not a "
        f"controlled study. Counts are rounded to a multiple of 5; <{k} is 0 to {k - 1}."
    )
    return "\n".join(lines)


def outcomes_text(report: OutcomesReport) -> str:
    """Check-in outcomes for the entry's survey choice, from the current release, and one
    line while too few members have checked in."""
    k = report.min_group_size
    first, *_ = report.horizons
    if not report.shown:
        return (
            f"Outcomes over time appear once at least {k} members who started it have "
            f"checked in {first.months} months or more after starting."
        )
    lines = []
    for horizon in report.horizons:
        title = f"**{horizon.months}+ months after starting**"
        if not horizon.shown:
            lines.append(f"{title}: shown once at least {k} members have checked in that long.")
            continue
        shedding = " · ".join(f"{level} {horizon.shedding[level]}" for level in SHEDDING)
        effects = " · ".join(
            f"{EFFECT_WORDS.get(effect, effect.replace('_', ' '))} {horizon.side_effects[effect]}"
            for effect in SIDE_EFFECTS
        )
        lines.append(f"{title} · {horizon.cohort} members")
        lines.append(f"Shedding since their previous check-in: {shedding}")
        lines.append(f"Side effects reported: {effects}")
    first_months, *later = (str(h.months) for h in report.horizons)
    months = first_months + "".join(f" (or {m})" for m in later)
    lines.append(
        f"-# Members who gave their start month, each counted at their first check-in at "
        f"least {months} months after starting, whether or not they still use it; side "
        "effects: reported at any check-in since starting. Self-reported; not a controlled "
        f"study. Counts are rounded to a multiple of 5; <{k} is 0 to {k - 1}."
    )
    return "\n".join(lines)


def compare_embed(first: Treatment, second: Treatment, kb: KnowledgeBase) -> discord.Embed:
    citations = _Citations()
    embed = discord.Embed(title=f"{first.name} vs {second.name}", colour=discord.Colour.teal())
    rows = (
        ("Category", lambda t: kb.categories.get(t.category, t.category)),
        ("Pattern hair loss", lambda t: _status_line(t.status_pattern)),
        ("Alopecia areata", lambda t: _status_line(t.status_areata)),
    )
    for label, value in rows:
        embed.add_field(name=f"{label}: {first.name}", value=value(first))
        embed.add_field(name=f"{label}: {second.name}", value=value(second))
        embed.add_field(name="\u200b", value="\u200b")
    for topic, label in (("what", "What it is"), ("side_effects", "Side effects")):
        for treatment in (first, second):
            facts = treatment.facts_about(topic)
            text = _fact_text(facts[0], citations, 480) if facts else "Not recorded"
            embed.add_field(name=f"{label}: {treatment.name}", value=text)
        embed.add_field(name="\u200b", value="\u200b")
    # Cautions are never cut: here they are named, and each Safety button shows them whole.
    for treatment in (first, second):
        embed.add_field(name=f"Cautions: {treatment.name}", value=caution_topics(treatment, kb))
    embed.add_field(name="\u200b", value="\u200b")
    embed.add_field(name="Sources", value=citations.listing(900), inline=False)
    dates = [f.as_of for t in (first, second) for f in t.facts]
    embed.set_footer(text=f"Facts as of {max(dates).isoformat()}. {NOT_ADVICE}")
    return embed


def browse_embed(kb: KnowledgeBase, category: str | None, page: int) -> tuple[discord.Embed, int]:
    """One page of entries (all, or one category); returns the embed and the page count."""
    entries = kb.in_category(category) if category else kb.treatments
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    title = kb.categories.get(category, "All treatments") if category else "All treatments"
    embed = discord.Embed(title=title, colour=discord.Colour.teal())
    for treatment in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        embed.add_field(
            name=treatment.name,
            value=clip(
                f"{treatment.summary}\n-# {_status_line(treatment.status_pattern)} "
                f"for pattern hair loss",
                300,
            ),
            inline=False,
        )
    embed.set_footer(
        text=f"Page {page + 1} of {pages} · /treatment lookup <name> for details. {NOT_ADVICE}"
    )
    return embed, pages


def caution_topics(treatment: Treatment, kb: KnowledgeBase) -> str:
    """What an entry's cautions are about, by name, pointing to where they are in full."""
    facts = treatment.safety_facts
    if not facts:
        return "None recorded."
    rules = kb.safety
    names = [
        rules.cautions[c].title if rules is not None and c in rules.cautions else c
        for fact in facts
        for c in fact.covers
    ]
    listed = "; ".join(dict.fromkeys(names)) if names else f"{len(facts)} in the entry"
    return clip(f"{listed}. In full: **Safety: {treatment.name}** below.", FIELD_LIMIT)


def safety_messages(treatment: Treatment) -> list[list[discord.Embed]]:
    """Every caution and side effect of an entry, whole: the embeds of one message or more,
    each message within Discord's limits (10 embeds, 6000 characters between them)."""
    facts = [*treatment.safety_facts, *treatment.facts_about("side_effects")]
    citations = _Citations()
    title = f"Safety: {treatment.name}"
    embeds: list[discord.Embed] = []
    current = discord.Embed(title=title, colour=discord.Colour.orange())
    for fact in facts:
        value = _whole(fact, citations)
        name = SIDE_EFFECTS_TITLE if fact.topic == "side_effects" else _safety_title(treatment)
        if len(current) + len(value) + len(name) > EMBED_BUDGET // 2 or len(current.fields) >= 8:
            embeds.append(current)
            current = discord.Embed(title=f"{title} (continued)", colour=discord.Colour.orange())
        current.add_field(name=name, value=value, inline=False)
    if not facts:
        current.description = "The knowledge base records no caution for this entry."
    embeds.append(current)
    embeds[-1].add_field(
        name="Sources", value=citations.listing(FIELD_LIMIT) or "None", inline=False
    )
    embeds[-1].set_footer(text=NOT_ADVICE)
    messages: list[list[discord.Embed]] = [[]]
    for embed in embeds:
        shared = sum(len(e) for e in messages[-1])
        if messages[-1] and (
            shared + len(embed) > EMBED_BUDGET or len(messages[-1]) >= MESSAGE_EMBEDS
        ):
            messages.append([])
        messages[-1].append(embed)
    return messages


def symptom_embed(answer: SymptomAnswer) -> tuple[discord.Embed, list[Treatment]]:
    """Conditions a symptom can mean, each with its "see a doctor" line whole, before any
    product; returns the conditions that did not fit (they get buttons only)."""
    citations = _Citations()
    embed = discord.Embed(
        title=f"Hair loss with {answer.symptom}: conditions to tell apart",
        description=(
            "Several conditions can cause this, and some need a doctor soon. Here is when to "
            "see one; the buttons open each entry in full."
        ),
        colour=discord.Colour.orange(),
    )
    budget = SAFETY_BUDGET + 800
    left: list[Treatment] = []
    for condition in answer.conditions:
        values = [_whole(f, citations) for f in condition.facts_about("see_doctor")]
        cost = sum(len(v) for v in values) + len(condition.name)
        if left or not values or cost > budget:
            left.append(condition)
            continue
        for number, value in enumerate(values):
            name = f"{SEE_DOCTOR}: {condition.name}" if number == 0 else "\u200b"
            embed.add_field(name=clip(name, 256), value=value, inline=False)
        budget -= cost
    if left:
        embed.add_field(
            name="More conditions",
            value=clip(", ".join(c.name for c in left) + ": see their buttons.", FIELD_LIMIT),
            inline=False,
        )
    if answer.products:
        embed.add_field(
            name="Treatments members ask about for it",
            value=clip(", ".join(t.name for t in answer.products), FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(name="Sources", value=citations.listing(FIELD_LIMIT), inline=False)
    embed.set_footer(text=NOT_ADVICE)
    return embed, left
