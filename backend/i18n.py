"""The interface in several languages, from gettext catalogs.

English is the source language: templates mark their words with ``_("...")`` or
``{% trans %}`` (Jinja's i18n extension), Python code with :func:`N_`, and the gallery's
titles, lessons and questions are extracted from ``gallery/*.json`` (:func:`extract_gallery`).
``pybabel extract -F babel.cfg`` gathers them all into ``backend/translations/messages.pot``;
each language is one catalog, ``backend/translations/<lang>/LC_MESSAGES/messages.po``. So a
third language is a new ``.po`` file, nothing else. The engine's step captions come in
English and Chinese from the trace itself (``caption``, ``caption_zh``: the trace contract).

Catalogs are read from their ``.po`` text when the app starts (compiled in memory with
Babel), so no generated ``.mo`` file is kept in the repository.
"""

from __future__ import annotations

import gettext
import io
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, pass_context

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SOURCE_LANGUAGE = "en"
#: The cookie that remembers a person's language.
LANG_COOKIE = "wsgiscope_lang"


def available_languages() -> tuple[str, ...]:
    """English, then every language that has a catalog, in name order."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LANGUAGE, *found)


LANGUAGES = available_languages()


def request_language(asked: str | None, remembered: str | None) -> str:
    """The language of a page: the one asked for (``?lang=``), else the one remembered (the
    cookie), else English."""
    for lang in (asked, remembered):
        if lang in LANGUAGES:
            return lang
    return SOURCE_LANGUAGE


def next_language(lang: str) -> str:
    """The language the switch (and the ``l`` key) turns to from ``lang``."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return LANGUAGES[(index + 1) % len(LANGUAGES)]


def language_name(lang: str) -> str:
    """A language's name in itself ("English", "中文"), as a language switch shows it."""
    name = Locale.parse(lang).languages.get(lang) or lang
    return name[:1].upper() + name[1:]


def N_(text: str) -> str:
    """Mark ``text`` for extraction; it is translated where it is shown."""
    return text


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (English: the words as they are)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if lang == SOURCE_LANGUAGE or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def tr(text: str, lang: str) -> str:
    """``text`` in ``lang``; a message the catalog lacks stays English."""
    return translations(lang).gettext(text) if text else text


@pass_context
def _gettext(context: Any, message: str) -> str:
    return translations(context.get("lang") or SOURCE_LANGUAGE).gettext(message)


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang") or SOURCE_LANGUAGE).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Jinja's i18n extension, translating into the ``lang`` of each template's context."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["tr"] = tr
    env.filters["language_name"] = language_name


#: The fields of a gallery scenario that people read, and so are translated.
GALLERY_FIELDS = ("title", "x-lesson", "x-question", "x-topic")


def extract_gallery(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for ``gallery/*.json`` (see ``babel.cfg``)."""
    document = json.load(fileobj)
    for field in GALLERY_FIELDS:
        value = document.get(field)
        if isinstance(value, str) and value:
            yield 1, "gettext", value, [f"gallery: {field}"]
