"""Numbers, percentages and dates the way the current language writes them (CLDR data
through Babel): 1,234.5 in English is 1.234,5 in German and 1 234,5 in French."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel import Locale
from babel.dates import format_date as _format_date
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from bot.i18n.context import current_language
from bot.i18n.languages import SOURCE


def number(value: float, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current_language())


def percent(share: float, digits: int = 0) -> str:
    """`share` is a fraction (0.25 -> "25%", "25 %" in German, "%25" in Turkish)."""
    language = current_language()
    pattern = Locale.parse(language).percent_formats[None].pattern
    if digits:
        last = pattern.rindex("0") + 1
        pattern = pattern[:last] + "." + "0" * digits + pattern[last:]
    return format_percent(share, format=pattern, locale=language)


def day(value: date, style: str = "medium") -> str:
    return _format_date(value, format=style, locale=current_language())


def _list_locale() -> str:
    # British English lists have no comma before the last "and", as Anagen always wrote.
    language = current_language()
    return "en_GB" if language == SOURCE else language


def all_of(items: Sequence[str]) -> str:
    """ "a, b and c", "a, b und c", "a, b ve c"."""
    return format_list(list(items), style="standard", locale=_list_locale())


def one_of(items: Sequence[str]) -> str:
    """ "a, b or c", "a, b oder c"."""
    return format_list(list(items), style="or", locale=_list_locale())


def in_sentence(label: str, *, whole: bool = True) -> str:
    """A label set inside a sentence ("by norwood stage group"): lowercased (all of it, or
    its first letter) as English, French, Spanish and Portuguese write it; left as it is
    in German, whose nouns keep their capital, and in Turkish, whose dotted and dotless i
    Python's lower() would confuse."""
    if current_language() in ("de", "tr"):
        return label
    return label.lower() if whole else label[:1].lower() + label[1:]
