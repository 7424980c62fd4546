"""Load and validate the treatment knowledge base (``data/kb/*.toml``, one file a category).

Pure Python, no Discord code: the bot, ``anagen check`` and the tests all use this package.
Every factual claim carries at least one source and an "as of" date, and every treatment
carries the cautions its safety classes (``data/safety.toml``) require; the validator reports
*every* problem it finds, one readable line each, naming the entry id and the field, so a
broken edit is fixed in one pass.

What the bot holds is in ``model.py``; ``loader.py`` reads the files and hands the entries
to the rules: ``entries.py`` for each ``[[treatment]]``, ``facts.py`` for its facts,
``sources.py`` for their citations and ``safety.py`` for the cautions each class requires.
Import from here: the names below are the package's surface.
"""

from __future__ import annotations

from bot.treatments.knowledge.entries import MAX_ALIAS, MAX_NAME, MAX_SUMMARY
from bot.treatments.knowledge.facts import (
    CONDITION_TOPICS,
    DEVICE_ONLY_STATUSES,
    MAX_TEXT,
    NOT_FOR_DEVICES,
    REQUIRED_TOPICS,
    RESEARCH_TARGET_STATUSES,
)
from bot.treatments.knowledge.loader import check_knowledge_base, load_knowledge_base
from bot.treatments.knowledge.model import (
    CATEGORIES,
    KINDS,
    SAFETY_TOPICS,
    SOURCE_KINDS,
    STATUS_TOPICS,
    STATUSES,
    TOPICS,
    Caution,
    Fact,
    KnowledgeBase,
    KnowledgeBaseError,
    SafetyClass,
    SafetyRules,
    Source,
    Treatment,
    alias_key,
    normalise,
)
from bot.treatments.knowledge.safety import load_safety_rules
from bot.treatments.knowledge.sources import denied_host, load_source_denylist

__all__ = [
    "CATEGORIES",
    "CONDITION_TOPICS",
    "DEVICE_ONLY_STATUSES",
    "KINDS",
    "MAX_ALIAS",
    "MAX_NAME",
    "MAX_SUMMARY",
    "MAX_TEXT",
    "NOT_FOR_DEVICES",
    "REQUIRED_TOPICS",
    "RESEARCH_TARGET_STATUSES",
    "SAFETY_TOPICS",
    "SOURCE_KINDS",
    "STATUSES",
    "STATUS_TOPICS",
    "TOPICS",
    "Caution",
    "Fact",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "SafetyClass",
    "SafetyRules",
    "Source",
    "Treatment",
    "alias_key",
    "check_knowledge_base",
    "denied_host",
    "load_knowledge_base",
    "load_safety_rules",
    "load_source_denylist",
    "normalise",
]
