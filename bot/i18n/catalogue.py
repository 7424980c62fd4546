"""The message catalogues: gettext `.po` files, read with Babel when first needed.

The `.po` files are the source translators edit (any gettext tool or Weblate reads them);
they are compiled in memory at load, so the repository holds no generated `.mo` files that
could fall out of step. English is the source language: its text is the message id, so a
message a catalogue lacks is shown in English, never as an id."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n.languages import SOURCE

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "anagen"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`; English (and any language without a
    catalogue) is the identity, which is also every catalogue's fallback."""
    path = po_path(language)
    if language == SOURCE or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    # Fuzzy entries are drafts a reviewer has not accepted: they stay English.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)
