"""The languages Anagen speaks, and how Discord's locale codes map onto them.

Discord names a client's language with its own codes (`es-ES`, `es-419`, `pt-BR`, `de`);
the message catalogues use Babel's (`es`, `pt_BR`, `de`). This table is the one place that
knows both, so adding a language is one row here and one folder of catalogues."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "en"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # Babel's code, the catalogue folder's name
    english: str
    native: str
    discord: tuple[str, ...]  # Discord locale codes that mean this language


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", ("en-US", "en-GB")),
    Language("es", "Spanish", "Español", ("es-ES", "es-419")),
    Language("pt_BR", "Brazilian Portuguese", "Português do Brasil", ("pt-BR",)),
    Language("de", "German", "Deutsch", ("de",)),
    Language("fr", "French", "Français", ("fr",)),
    Language("tr", "Turkish", "Türkçe", ("tr",)),
)
BY_CODE = {language.code: language for language in LANGUAGES}
TRANSLATED: tuple[str, ...] = tuple(lang.code for lang in LANGUAGES if lang.code != SOURCE)
_BY_DISCORD = {code: language.code for language in LANGUAGES for code in language.discord}


def from_discord(locale: str | None) -> str:
    """The language for a Discord locale code; English for any Anagen does not speak."""
    if not locale:
        return SOURCE
    if locale in _BY_DISCORD:
        return _BY_DISCORD[locale]
    return _BY_DISCORD.get(locale.split("-")[0], SOURCE)


def known(code: str) -> str | None:
    """`code` if it names a language Anagen speaks (`pt-BR`, `pt_br` and `pt_BR` all do)."""
    wanted = code.replace("-", "_").lower()
    for language in LANGUAGES:
        if language.code.lower() == wanted:
            return language.code
    return from_discord(code) if code in _BY_DISCORD else None
