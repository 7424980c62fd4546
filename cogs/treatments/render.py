"""How treatment entries, comparisons and the browse pages look in Discord.

Safety text (cautions, and a condition's "see a doctor when") is never cut: it comes first,
each fact whole, and whatever does not fit in the entry's embed is on its Safety page. The
entry, compare, browse, symptom and Safety views share one trimming budget and one order
of sections, which is why they stay in this one module of about 500 lines.
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.checkins.outcomes import SHEDDING, SIDE_EFFECTS, OutcomesReport
from bot.i18n import N_, SOURCE, _, current_language, formats, pgettext
from bot.treatments.knowledge import Fact, KnowledgeBase, Source, Treatment
from bot.treatments.service import CommunityReport, SymptomAnswer

NOT_ADVICE = N_("Not medical advice: talk to a doctor before starting or stopping any treatment.")
# Shown to members who read Anagen in another language: the facts themselves stay English.
FACTS_IN_ENGLISH = N_("Treatment facts are shown in English, the language of their sources.")
STATUS_LABELS = {
    "approved": N_("Approved"),
    "cleared": N_("FDA-cleared device"),
    "off_label": N_("Used off-label"),
    "phase_1": N_("In trials (phase 1)"),
    "phase_2": N_("In trials (phase 2)"),
    "phase_3": N_("In trials (phase 3)"),
    "abandoned": N_("Abandoned"),
    "no_evidence": N_("No good evidence"),
    "not_applicable": N_("Not a treatment"),
    "unconfirmed": N_("Unconfirmed"),
    "preclinical": N_("Preclinical research"),
}
FIELD_LIMIT = 1024
EMBED_BUDGET = 5800  # Discord allows 6000 characters per embed in total
PAGE_SIZE = 8
COMMUNITY = N_("Community reports")
OUTCOMES = N_("Outcomes over time")
CAUTION = N_("⚠️ Caution")
SEE_DOCTOR = N_("🩺 When to see a doctor")
MORE_SAFETY = N_("⚠️ More cautions")
SIDE_EFFECTS_TITLE = N_("Side effects")
# Check-in side effects (`bot.checkins.outcomes.SIDE_EFFECTS`), as the outcomes line names them.
EFFECT_WORDS = {
    "sexual": N_("sexual"),
    "mood": N_("mood"),
    "heart": N_("heart symptoms"),
    "skin_irritation": N_("skin irritation"),
    "unwanted_hair": N_("unwanted hair"),
    "other": N_("other"),
}
SAFETY_BUDGET = 3200  # characters of whole safety facts in an entry's embed; the rest: Safety
MESSAGE_EMBEDS = 10  # Discord: embeds per message (sharing EMBED_BUDGET between them)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def language_note() -> str:
    """The line that tells a member reading another language that the facts are English
    (empty in English, whose output stays as it was)."""
    return "" if current_language() == SOURCE else _(FACTS_IN_ENGLISH)


def with_language_note(footer: str) -> str:
    """A footer with the language note as its first line, where there is one."""
    note = language_note()
    return f"{note}\n{footer}" if note else footer


def _rounding(k: int) -> str:
    return _(
        "Self-reported; not a controlled study. Counts are rounded to a multiple of 5; "
        "<{k} is 0 to {most}."
    ).format(k=k, most=k - 1)


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
                more = len(lines) - out.count(chr(10))
                return out + _("…and {count} more").format(count=more)
            out += line + "\n"
        return out.rstrip()


def _marked(fact: Fact) -> str:
    """The fact's text, marked when it is not confirmed."""
    if fact.confirmed:
        return fact.text
    # Translators: {fact} is a knowledge-base fact, which stays in English.
    return _("⚠️ *Unconfirmed:* {fact}").format(fact=fact.text)


def _fact_text(fact: Fact, citations: _Citations, limit: int) -> str:
    marks = citations.cite(fact)
    return clip(_marked(fact), limit - len(marks) - 1) + f" {marks}"


def _whole(fact: Fact, citations: _Citations) -> str:
    """A fact as it must be read, never clipped (the loader keeps it under a field's size)."""
    return f"{_marked(fact)} {citations.cite(fact)}"


def _safety_title(treatment: Treatment) -> str:
    return _(SEE_DOCTOR) if treatment.is_condition else _(CAUTION)


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
    if fact is None or not fact.status:
        return _("Not recorded")
    label = STATUS_LABELS.get(fact.status)
    return _(label) if label is not None else fact.status


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
        # Translators: {names} are the entry's other names (in English, from the knowledge base).
        also = _("Also called: {names}").format(names=clip(", ".join(treatment.aliases[:10]), 300))
        embed.description = (embed.description or "") + "\n-# " + also
    embed.add_field(
        name=_("Category"), value=kb.categories.get(treatment.category, treatment.category)
    )
    if not treatment.is_condition:
        embed.add_field(name=_("Pattern hair loss"), value=_status_line(treatment.status_pattern))
        embed.add_field(name=_("Alopecia areata"), value=_status_line(treatment.status_areata))
    left = _safety_fields(embed, treatment, citations, SAFETY_BUDGET)
    if left:
        embed.add_field(
            name=_(MORE_SAFETY),
            # Translators: **Safety** is the label of the button under the entry.
            value=_("{count} more, in full: press **Safety** below.").format(count=left),
            inline=False,
        )
    sections = (
        (_("What it is"), ("what",)),
        (_("How it differs from pattern hair loss"), ("differs",)),
        (_("How it is thought to work"), ("mechanism",)),
        (_("Status"), ("status_pattern", "status_areata")),
        (_("Evidence"), ("evidence",)),
        (_(SIDE_EFFECTS_TITLE), ("side_effects",)),
        (_("Availability"), ("availability",)),
    )
    for title, topics in sections:
        facts = [f for topic in topics for f in treatment.facts_about(topic)]
        if not facts:
            continue
        share = (FIELD_LIMIT - 4 * len(facts)) // len(facts)
        value = "\n".join(_fact_text(f, citations, share) for f in facts)
        embed.add_field(name=title, value=clip(value, FIELD_LIMIT), inline=False)
    if report is not None:
        embed.add_field(name=_(COMMUNITY), value=community_text(report), inline=False)
    if outcomes is not None:
        embed.add_field(name=_(OUTCOMES), value=outcomes_text(outcomes), inline=False)
    dates = [f.as_of for f in treatment.facts]
    used = len(embed) + 200
    embed.add_field(
        name=_("Sources"),
        value=citations.listing(max(200, min(FIELD_LIMIT, EMBED_BUDGET - used))),
        inline=False,
    )
    note = language_note()
    _trim(embed, EMBED_BUDGET - (len(note) + 1 if note else 0))
    footer = (
        _("Facts as of {date}. {not_advice}").format(
            date=max(dates).isoformat(), not_advice=_(NOT_ADVICE)
        )
        if dates
        else _("Facts as of unknown. {not_advice}").format(not_advice=_(NOT_ADVICE))
    )
    embed.set_footer(text=with_language_note(footer))
    return embed


_KEPT_WHOLE = (COMMUNITY, OUTCOMES, CAUTION, SEE_DOCTOR, MORE_SAFETY)


def _trim(embed: discord.Embed, budget: int = EMBED_BUDGET) -> None:
    """Drop the longest optional sections until the embed fits Discord's total limit. Safety
    text is never touched, and the community's counts are kept whole: clipped, they would
    lose the legend that says what "<k" and "–" mean."""
    kept = {_(name) for name in _KEPT_WHOLE} | {"\u200b"}
    while len(embed) > budget:
        optional = [
            i
            for i in range(len(embed.fields) - 1)
            if not embed.fields[i].inline and embed.fields[i].name not in kept
        ]
        if not optional:
            return
        index = max(optional, key=lambda i: len(embed.fields[i].value or ""))
        field = embed.fields[index]
        embed.set_field_at(index, name=field.name, value=clip(field.value or "", 200), inline=False)
        if len(embed) > budget:
            embed.remove_field(index)


def community_text(report: CommunityReport) -> str:
    k = report.min_group_size
    if report.survey_choice is None:
        return _("The survey does not ask about this one, so there are no member reports.")
    if report.released_at is None:
        return _(
            "No survey results have been published in this server yet; member reports "
            "appear with the first release."
        )
    if report.hidden:
        return _(
            "Fewer than {k} members of this server reported trying it in the current "
            "release of survey results, so their answers are not shown."
        ).format(k=k)
    # Translators: {tried} is a rounded count, or "<5" when it is below the group size.
    lines = [_("About **{tried}** members here reported trying it.").format(tried=report.tried)]
    for field_id, prompt, answers in report.labels:
        shown = report.effects.get(field_id, {})
        lines.append(
            f"{prompt}: "
            + " · ".join(f"{label.lower()} {shown.get(a, '')}" for a, label in answers)
        )
    if report.group is not None:
        # Translators: {group} is the survey's answer that stands for several entries.
        group = _("The survey asks about these as one group: {group}.").format(group=report.group)
        lines.append(f"-# {group}")
    when = datetime.fromisoformat(report.released_at or "")
    release = _("Release of {date} ({respondents} members).").format(
        date=formats.day(when.date(), "d MMM y"), respondents=report.respondents
    )
    lines.append(f"-# {release} {_rounding(k)}")
    return "\n".join(lines)


def _shedding_word(level: str) -> str:
    """A check-in's shedding answer (`bot.checkins.outcomes.SHEDDING`), as the line names it."""
    words = {
        "less": pgettext("shedding", "less"),
        "same": pgettext("shedding", "same"),
        "more": pgettext("shedding", "more"),
    }
    return words.get(level, level)


def _effect_word(effect: str) -> str:
    label = EFFECT_WORDS.get(effect)
    return _(label) if label is not None else effect.replace("_", " ")


def outcomes_text(report: OutcomesReport) -> str:
    """Check-in outcomes for the entry's survey choice, from the current release, and one
    line while too few members have checked in."""
    k = report.min_group_size
    first, *_rest = report.horizons
    if not report.shown:
        return _(
            "Outcomes over time appear once at least {k} members who started it have "
            "checked in {months} months or more after starting."
        ).format(k=k, months=first.months)
    lines = []
    for horizon in report.horizons:
        if not horizon.shown:
            lines.append(
                _(
                    "**{months}+ months after starting**: shown once at least {k} members "
                    "have checked in that long."
                ).format(months=horizon.months, k=k)
            )
            continue
        shedding = " · ".join(
            f"{_shedding_word(level)} {horizon.shedding[level]}" for level in SHEDDING
        )
        effects = " · ".join(
            f"{_effect_word(effect)} {horizon.side_effects[effect]}" for effect in SIDE_EFFECTS
        )
        lines.append(
            _("**{months}+ months after starting** · {cohort} members").format(
                months=horizon.months, cohort=horizon.cohort
            )
        )
        # Translators: {levels} is "less 5 · same <5 · more <5": each answer and its count.
        lines.append(_("Shedding since their previous check-in: {levels}").format(levels=shedding))
        # Translators: {effects} is each side effect and its count, separated by " · ".
        lines.append(_("Side effects reported: {effects}").format(effects=effects))
    first_months, *later = (str(h.months) for h in report.horizons)
    # Translators: a later number of months, after the first ("at least 3 (or 6) months").
    months = first_months + "".join(" " + _("(or {months})").format(months=m) for m in later)
    counted = _(
        "Members who gave their start month, each counted at their first check-in at "
        "least {months} months after starting, whether or not they still use it; side "
        "effects: reported at any check-in since starting."
    ).format(months=months)
    lines.append(f"-# {counted} {_rounding(k)}")
    return "\n".join(lines)


def compare_embed(first: Treatment, second: Treatment, kb: KnowledgeBase) -> discord.Embed:
    citations = _Citations()
    embed = discord.Embed(
        title=_("{first} vs {second}").format(first=first.name, second=second.name),
        colour=discord.Colour.teal(),
    )
    rows = (
        (_("Category"), lambda t: kb.categories.get(t.category, t.category)),
        (_("Pattern hair loss"), lambda t: _status_line(t.status_pattern)),
        (_("Alopecia areata"), lambda t: _status_line(t.status_areata)),
    )
    for label, value in rows:
        embed.add_field(name=f"{label}: {first.name}", value=value(first))
        embed.add_field(name=f"{label}: {second.name}", value=value(second))
        embed.add_field(name="\u200b", value="\u200b")
    for topic, label in (("what", _("What it is")), ("side_effects", _(SIDE_EFFECTS_TITLE))):
        for treatment in (first, second):
            facts = treatment.facts_about(topic)
            text = _fact_text(facts[0], citations, 480) if facts else _("Not recorded")
            embed.add_field(name=f"{label}: {treatment.name}", value=text)
        embed.add_field(name="\u200b", value="\u200b")
    # Cautions are never cut: here they are named, and each Safety button shows them whole.
    for treatment in (first, second):
        embed.add_field(
            name=_("Cautions: {name}").format(name=treatment.name),
            value=caution_topics(treatment, kb),
        )
    embed.add_field(name="\u200b", value="\u200b")
    embed.add_field(name=_("Sources"), value=citations.listing(900), inline=False)
    dates = [f.as_of for t in (first, second) for f in t.facts]
    footer = _("Facts as of {date}. {not_advice}").format(
        date=max(dates).isoformat(), not_advice=_(NOT_ADVICE)
    )
    embed.set_footer(text=with_language_note(footer))
    return embed


def browse_embed(kb: KnowledgeBase, category: str | None, page: int) -> tuple[discord.Embed, int]:
    """One page of entries (all, or one category); returns the embed and the page count."""
    entries = kb.in_category(category) if category else kb.treatments
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    everything = _("All treatments")
    title = kb.categories.get(category, everything) if category else everything
    embed = discord.Embed(title=title, colour=discord.Colour.teal())
    for treatment in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        # Translators: {status} is a status such as "Approved" or "Used off-label".
        status = _("{status} for pattern hair loss").format(
            status=_status_line(treatment.status_pattern)
        )
        embed.add_field(
            name=treatment.name,
            value=clip(f"{treatment.summary}\n-# {status}", 300),
            inline=False,
        )
    # Translators: keep `/treatment lookup <name>` as it is: the command and its option.
    footer = _("Page {page} of {pages} · /treatment lookup <name> for details.").format(
        page=page + 1, pages=pages
    )
    embed.set_footer(text=with_language_note(f"{footer} {_(NOT_ADVICE)}"))
    return embed, pages


def caution_topics(treatment: Treatment, kb: KnowledgeBase) -> str:
    """What an entry's cautions are about, by name, pointing to where they are in full."""
    facts = treatment.safety_facts
    if not facts:
        return _("None recorded.")
    rules = kb.safety
    names = [
        rules.cautions[c].title if rules is not None and c in rules.cautions else c
        for fact in facts
        for c in fact.covers
    ]
    listed = (
        "; ".join(dict.fromkeys(names))
        if names
        else _("{count} in the entry").format(count=len(facts))
    )
    # Translators: **Safety: {name}** is the label of the button below ("Safety: {name}").
    text = _("{cautions}. In full: **Safety: {name}** below.").format(
        cautions=listed, name=treatment.name
    )
    return clip(text, FIELD_LIMIT)


def safety_messages(treatment: Treatment) -> list[list[discord.Embed]]:
    """Every caution and side effect of an entry, whole: the embeds of one message or more,
    each message within Discord's limits (10 embeds, 6000 characters between them)."""
    facts = [*treatment.safety_facts, *treatment.facts_about("side_effects")]
    citations = _Citations()
    title = _("Safety: {name}").format(name=treatment.name)
    embeds: list[discord.Embed] = []
    current = discord.Embed(title=title, colour=discord.Colour.orange())
    for fact in facts:
        value = _whole(fact, citations)
        name = _(SIDE_EFFECTS_TITLE) if fact.topic == "side_effects" else _safety_title(treatment)
        if len(current) + len(value) + len(name) > EMBED_BUDGET // 2 or len(current.fields) >= 8:
            embeds.append(current)
            current = discord.Embed(
                title=_("{title} (continued)").format(title=title), colour=discord.Colour.orange()
            )
        current.add_field(name=name, value=value, inline=False)
    if not facts:
        current.description = _("The knowledge base records no caution for this entry.")
    embeds.append(current)
    embeds[-1].add_field(
        name=_("Sources"), value=citations.listing(FIELD_LIMIT) or _("None"), inline=False
    )
    embeds[-1].set_footer(text=with_language_note(_(NOT_ADVICE)))
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
        # Translators: {symptom} is a symptom as the knowledge base words it (in English).
        title=_("Hair loss with {symptom}: conditions to tell apart").format(
            symptom=answer.symptom
        ),
        description=_(
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
            name = f"{_(SEE_DOCTOR)}: {condition.name}" if number == 0 else "\u200b"
            embed.add_field(name=clip(name, 256), value=value, inline=False)
        budget -= cost
    if left:
        more = _("{conditions}: see their buttons.").format(
            conditions=", ".join(c.name for c in left)
        )
        embed.add_field(name=_("More conditions"), value=clip(more, FIELD_LIMIT), inline=False)
    if answer.products:
        embed.add_field(
            name=_("Treatments members ask about for it"),
            value=clip(", ".join(t.name for t in answer.products), FIELD_LIMIT),
            inline=False,
        )
    embed.add_field(name=_("Sources"), value=citations.listing(FIELD_LIMIT), inline=False)
    embed.set_footer(text=with_language_note(_(NOT_ADVICE)))
    return embed, left
