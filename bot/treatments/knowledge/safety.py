"""The safety class table (``data/safety.toml``): which cautions each kind of treatment must
carry, and the words that show a fact gives one. The validator holds every entry to it."""

from __future__ import annotations

import re
import tomllib
from types import MappingProxyType

from bot.treatments.knowledge._files import bundled, str_list
from bot.treatments.knowledge.model import Caution, KnowledgeBaseError, SafetyClass, SafetyRules


def load_safety_rules(text: str | None = None) -> SafetyRules:
    """Read the class table; a broken table is the project's bug, so it raises at once."""
    where = "safety.toml"
    if text is None:
        text = bundled("safety.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeBaseError([f"not valid TOML: {exc}"], where=where) from exc
    problems: list[str] = []
    cautions: dict[str, Caution] = {}
    for caution_id, raw in (data.get("caution") or {}).items():
        patterns = raw.get("mentions") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not patterns:
            problems.append(f"caution {caution_id!r}: needs a title and mentions")
            continue
        try:
            compiled = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
        except (re.error, TypeError) as exc:
            problems.append(f"caution {caution_id!r}: a mentions pattern is invalid ({exc})")
            continue
        cautions[caution_id] = Caution(caution_id, raw["title"], compiled)
    classes: dict[str, SafetyClass] = {}
    for class_id, raw in (data.get("class") or {}).items():
        requires = str_list(raw.get("requires")) if isinstance(raw, dict) else None
        if requires is None or not isinstance(raw.get("title"), str):
            problems.append(f"class {class_id!r}: needs a title and a requires list")
            continue
        for caution_id in requires:
            if caution_id not in cautions:
                problems.append(f"class {class_id!r}: requires unknown caution {caution_id!r}")
        classes[class_id] = SafetyClass(class_id, raw["title"], tuple(requires))
    if problems:
        raise KnowledgeBaseError(problems, where=where)
    return SafetyRules(MappingProxyType(cautions), MappingProxyType(classes))
