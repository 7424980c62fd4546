"""How treatment entries, comparisons and the browse pages look in Discord."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.checkins.outcomes import SHEDDING, SIDE_EFFECTS, OutcomesReport
from bot.treatments.knowledge import Fact, KnowledgeBase, Source, Treatment
from bot.treatments.service import CommunityReport

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
    embed.add_field(name="Pattern hair loss", value=_status_line(treatment.status_pattern))
    embed.add_field(name="Alopecia areata", value=_status_line(treatment.status_areata))
    sections = (
        ("What it is", ("what",)),
        ("How it is thought to work", ("mechanism",)),
        ("Status", ("status_pattern", "status_areata")),
        ("Evidence", ("evidence",)),
        ("Side effects and cautions", ("side_effects", "caution")),
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


def _trim(embed: discord.Embed) -> None:
    """Drop the longest optional sections until the embed fits Discord's total limit. The
    community's counts are kept whole: clipped, they would lose the legend that says what
    "<k" and "–" mean."""
    while len(embed) > EMBED_BUDGET:
        optional = [
            i
            for i in range(3, len(embed.fields) - 1)
            if embed.fields[i].name not in (COMMUNITY, OUTCOMES)
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
            f"{effect.replace('_', ' ')} {horizon.side_effects[effect]}" for effect in SIDE_EFFECTS
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
