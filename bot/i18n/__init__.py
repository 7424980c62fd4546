"""What Anagen says, in the member's language: `_("...")` where a message is written."""

from bot.i18n import formats
from bot.i18n.context import N_, _, current_language, ngettext, pgettext, set_language, speaking
from bot.i18n.languages import BY_CODE, LANGUAGES, SOURCE, TRANSLATED, from_discord, known

__all__ = [
    "BY_CODE",
    "LANGUAGES",
    "N_",
    "SOURCE",
    "TRANSLATED",
    "_",
    "current_language",
    "formats",
    "from_discord",
    "known",
    "ngettext",
    "pgettext",
    "set_language",
    "speaking",
]
