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


#: The validation messages people meet in the editor, by error type: pydantic's own
#: templates and the engine's (``sim/scenario.py``), in English. A message is translated
#: when one of its type's templates, filled with the error's values, is exactly that message
#: (``tests/web/test_i18n.py`` provokes every one from pydantic and the engine), so a
#: template that drifts in a new release stays English rather than say something else.
VALIDATION_MESSAGES: dict[str, tuple[str, ...]] = {
    "missing": (N_("Field required"), N_("a route needs an endpoint or a name")),
    "extra_forbidden": (N_("Extra inputs are not permitted"),),
    "int_type": (N_("Input should be a valid integer"),),
    "int_parsing": (N_("Input should be a valid integer, unable to parse string as an integer"),),
    "int_from_float": (N_("Input should be a valid integer, got a number with a fractional part"),),
    "float_type": (N_("Input should be a valid number"),),
    "float_parsing": (N_("Input should be a valid number, unable to parse string as a number"),),
    "bool_type": (N_("Input should be a valid boolean"),),
    "bool_parsing": (N_("Input should be a valid boolean, unable to interpret input"),),
    "string_type": (N_("Input should be a valid string"),),
    "list_type": (N_("Input should be a valid list"),),
    "dict_type": (N_("Input should be a valid dictionary"),),
    "model_type": (N_("Input should be a valid dictionary or instance of {class_name}"),),
    "literal_error": (N_("Input should be {expected}"),),
    "greater_than_equal": (N_("Input should be greater than or equal to {ge}"),),
    "greater_than": (N_("Input should be greater than {gt}"),),
    "less_than_equal": (N_("Input should be less than or equal to {le}"),),
    "less_than": (N_("Input should be less than {lt}"),),
    "string_too_short": (N_("String should have at least {min_length} character"),
                         N_("String should have at least {min_length} characters")),
    "string_too_long": (N_("String should have at most {max_length} character"),
                        N_("String should have at most {max_length} characters")),
    "too_short": (N_("{field_type} should have at least {min_length} item after validation, not {actual_length}"),
                  N_("{field_type} should have at least {min_length} items after validation, not {actual_length}")),
    "too_long": (N_("{field_type} should have at most {max_length} item after validation, not {actual_length}"),
                 N_("{field_type} should have at most {max_length} items after validation, not {actual_length}")),
    "string_pattern_mismatch": (N_("String should match pattern '{pattern}'"),),
    "value_error": (N_("Value error, {error}"),),
    # the engine's own (sim/scenario.py)
    "unknown_field": (N_("unknown field '{name}' (fields of your own must start with 'x-')"),),
    "view_kind": (N_("a view has exactly one of: text, json, echo, abort, raise, stream (found {found})"),),
    "stream_only": (N_("interval and with_context go with a stream view"),),
    "raise_class": (N_("raise names a builtin exception class (ValueError, KeyError, ...), not '{name}'"),),
    "server": (N_("Cannot have a multi-thread and multi-process server."),
               N_("wsgiref's WSGIServer serves one connection at a time: no threads or processes"),
               N_("timeout is what handle_request waits; {start} does not use it"),
               N_("{kind} starts only with {starts}")),
    # what Flask refuses while the app is built (sim.scenario.REFUSALS)
    "flask_rule": (N_("Flask refuses the rule {rule}: {error}"),),
    "flask_converter": (N_("Flask refuses the rule {rule}: {error} (the converters are {names})"),),
    "flask_endpoint": (N_("View function mapping is overwriting an existing endpoint function: {endpoint}"
                          " (a route may repeat an endpoint only with the same name and view)"),),
    "flask_blueprint": (N_("The name '{name}' is already registered for a different blueprint."),),
    "flask_endpoint_dot": (N_("'endpoint' may not contain a dot '.' character."),),
    "flask_error_code": (N_("'{code}' is not a recognized HTTP error code. Use a subclass of HTTPException"
                            " with that code instead."),),
}

#: How pydantic joins the last two choices of a list ("'a', 'b' or 'c'").
_OR = N_(" or ")


def validation_template(message: str, kind: str, ctx: dict[str, str]) -> str | None:
    """The English template ``message`` was made from, or None if none of its type's is."""
    for template in VALIDATION_MESSAGES.get(kind, ()):
        try:
            if template.format(**ctx) == message:
                return template
        except (KeyError, IndexError, ValueError):
            continue
    return None


def error_message(message: str, kind: str, ctx: dict[str, str], lang: str) -> str:
    """A validation message in ``lang``: its template translated and filled with the same
    values (a choice list's "or" too); a message with no known template stays English."""
    template = validation_template(message, kind, ctx)
    if template is None or lang == SOURCE_LANGUAGE:
        return message
    values = dict(ctx)
    if kind == "literal_error" and "expected" in values:
        values["expected"] = values["expected"].replace(_OR, tr(_OR, lang))
    return tr(template, lang).format(**values)
