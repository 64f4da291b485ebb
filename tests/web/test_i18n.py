"""The interface in every language: each word a person reads goes through the catalogs.

- every template's own text (and its aria-label, title, placeholder, alt and data-msg-*
  attributes) is inside ``_()`` or ``{% trans %}``: read from the Jinja AST, so nothing is
  left in English by accident;
- every message extracted from the code, the templates and the gallery (babel.cfg) has a
  translation in every catalog, and no catalog keeps messages nobody uses;
- a page in Chinese shows the catalog's words.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import nodes

from backend.i18n import LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS, tr
from backend.services import ROOT

TEMPLATES = ROOT / "frontend" / "templates"
#: Attributes whose text a person reads (or hears, from a screen reader).
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description"}
#: Words that are the same in every language: names of things, not words.
NAMES = re.compile(r"^(?:wsgiscope|API|JSON|WSGI|HTTP|htmx|Flask|Werkzeug|wsgiref|environ|"
                   r"[A-Z]|[a-z]|Space|Home|End|Esc|Ctrl|Enter|ms|OK|c\d+|\d+[a-z]*|app|py)$")
#: Blocks whose text is markup (a class, htmx attributes), not words.
MARKUP_BLOCKS = {"body_class", "main_attrs"}
#: Where text is code or data, not prose.
CODE_TAGS = {"code", "kbd", "pre", "script", "style", "samp"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in CODE_TAGS:
            self.depth += 1
        for name, value in attrs:
            if value and (name in READ_ATTRIBUTES or name.startswith("data-msg-")):
                self.check(value)

    def handle_endtag(self, tag):
        if tag in CODE_TAGS and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.check(data)

    def check(self, text: str) -> None:
        for word in re.findall(r"[A-Za-z][A-Za-z'’-]*", text):
            if not NAMES.match(word):
                self.found.append(text.strip())
                return


def untranslated(path: Path, env) -> list[str]:
    tree = env.parse(path.read_text(encoding="utf-8"))
    markup = {id(data) for block in tree.find_all(nodes.Block) if block.name in MARKUP_BLOCKS
              for data in block.find_all(nodes.TemplateData)}
    parser = _Text()
    for node in tree.find_all(nodes.TemplateData):
        if id(node) not in markup:
            parser.feed(node.data)
    return parser.found


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_every_word_of_a_template_goes_through_the_catalog(path: Path, settings) -> None:
    from backend.services import Services

    env = Services.build(settings).templates.env
    assert untranslated(path, env) == []


def extracted() -> set[str]:
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {singular(message) for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map)}


def singular(message: str | tuple) -> str:
    """A message's id: its text, or the singular of a plural."""
    return message if isinstance(message, str) else message[0]


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_every_message_is_translated_and_none_is_stale(lang: str) -> None:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    have = {singular(m.id): m.string if isinstance(m.string, str) else "".join(m.string)
            for m in catalog if m.id and not m.fuzzy}
    wanted = extracted()
    assert wanted, "nothing was extracted: babel.cfg finds no messages"
    assert sorted(wanted - have.keys()) == []
    assert sorted(k for k in wanted if not have.get(k)) == []
    assert sorted(have.keys() - wanted) == []


def test_pages_in_chinese_use_the_catalog(client) -> None:
    page = client.get("/?lang=zh").text
    for word in ("Gallery", "Editor"):
        assert tr(word, "zh") != word
        assert f">{tr(word, 'zh')}<" in page


def test_error_pages_follow_the_language(client) -> None:
    page = client.get("/s/no-such-link?lang=zh")
    assert page.status_code == 404
    assert f">{tr('Back to the gallery', 'zh')}<" in page.text
    assert '<html lang="zh">' in page.text


def test_a_third_language_is_one_catalog(tmp_path, monkeypatch) -> None:
    """The languages are the catalogs present: one more .po file is one more language."""
    from backend import i18n

    fr = tmp_path / "fr" / "LC_MESSAGES"
    fr.mkdir(parents=True)
    (fr / "messages.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                    'msgid "Gallery"\nmsgstr "Galerie"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.available_languages() == ("en", "fr")
        assert i18n.tr("Gallery", "fr") == "Galerie"
        assert i18n.tr("Editor", "fr") == "Editor"
        assert i18n.language_name("fr") == "Français"
    finally:
        i18n.translations.cache_clear()


def test_every_socket_state_the_engine_shows_has_a_message() -> None:
    from backend.player import SOCKET_STATES
    from sim.kernel import SocketState

    assert set(SOCKET_STATES) == {state.value for state in SocketState}
    assert all(tr(state, "zh") != state for state in SOCKET_STATES)
