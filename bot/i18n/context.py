"""The language of the member being answered, carried by the task that answers them.

Every interaction runs in a task of its own, so a context variable set where the
interaction enters (the command tree, a persistent item, a modal, a DM) is seen by all
the code that answers it, without threading a locale through every function of `bot/`.
Work that is not an interaction (reminders, releases) sets it per member with
`speaking(...)`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.i18n.catalogue import translations
from bot.i18n.languages import SOURCE

_language: ContextVar[str] = ContextVar("anagen_language", default=SOURCE)


def current_language() -> str:
    return _language.get()


def set_language(code: str) -> None:
    """For the rest of this task (an interaction's own task)."""
    _language.set(code)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """For the duration of a block, then back to what it was."""
    token = _language.set(code)
    try:
        yield
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """`message` in the current language (English when untranslated)."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` by the current language's plural rules."""
    return translations(_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """For a short message that means different things in different places ("Back")."""
    return translations(_language.get()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined, to be translated where used."""
    return message
