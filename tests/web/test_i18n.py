"""The interface in every language: each word a person reads goes through the catalogs.

- every template's own text (and its aria-label, title, placeholder, alt and data-msg-*
  attributes) is inside ``_()`` or ``{% trans %}``: read from the Jinja AST, so nothing is
  left in English by accident;
- every message extracted from the code, the templates and the gallery (babel.cfg) has a
  translation in every catalog, and no catalog keeps messages nobody uses;
- a page in Chinese shows the catalog's words.
"""

from __future__ import annotations

import json
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
    # the language switch offers the other language, as on every other page
    assert 'hreflang="en"' in page.text and 'hreflang="zh"' not in page.text


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


def test_every_phase_has_its_name_in_each_language(client) -> None:
    """Phase badges, the marks of a request's phases, the event list, its filter and the
    breakpoints show a phase by name: translated, while classes and values keep the trace's
    identifier."""
    import sim
    from backend.traces import PHASE_NAMES

    assert PHASE_NAMES == sim.PHASES
    assert all(tr(phase, "zh") != phase for phase in PHASE_NAMES)
    page = client.get("/s/one-get?step=0&lang=zh").text
    assert f'<span class="phase-badge phase-startup">{tr("startup", "zh")}</span>' in page
    assert f'<option value="accept">{tr("accept", "zh")}</option>' in page
    assert f'value="dispatch"> {tr("dispatch", "zh")}</label>' in page
    english = client.get("/s/one-get?step=0&lang=en").text
    assert '<span class="phase-badge phase-startup">startup</span>' in english


def _provoked_errors() -> list[tuple[str, str, dict[str, str]]]:
    """(type, English message, values) of real errors from pydantic and from the engine, one
    or more for every template of ``VALIDATION_MESSAGES``."""
    import copy
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

    import sim

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")
        a: int

    out = []
    for tp, value in [
        (Strict, {"b": 1}), (Strict, "x"), (int, "x"), (int, 1.5), (int, None), (float, "x"),
        (float, None), (bool, "maybe"), (bool, None), (str, 1), (list, "x"), (dict, "x"),
        (Literal["a", "b", "c"], "z"), (Annotated[int, Field(ge=0)], -1),
        (Annotated[int, Field(gt=0)], 0), (Annotated[int, Field(le=5)], 9),
        (Annotated[int, Field(lt=5)], 9), (Annotated[str, Field(min_length=1)], ""),
        (Annotated[str, Field(min_length=2)], ""), (Annotated[str, Field(max_length=1)], "ab"),
        (Annotated[str, Field(max_length=2)], "abc"), (Annotated[list, Field(min_length=1)], []),
        (Annotated[list, Field(min_length=2)], []), (Annotated[list, Field(max_length=1)], [1, 2]),
        (Annotated[list, Field(max_length=2)], [1, 2, 3]), (Annotated[str, Field(pattern="^a$")], "b"),
    ]:
        try:
            TypeAdapter(tp).validate_python(value)
        except ValidationError as err:
            out += [(e["type"], e["msg"], {k: str(v) for k, v in (e.get("ctx") or {}).items()})
                    for e in err.errors(include_url=False)]
    base = json.loads((ROOT / "gallery" / "01-one-get.json").read_text())

    def engine(change) -> None:
        doc = copy.deepcopy(base)
        change(doc)
        out.extend((e.kind, e.message, e.ctx) for e in sim.validation_errors(doc))

    view = lambda v: lambda d: d["app"]["routes"][0].__setitem__("view", v)  # noqa: E731
    engine(lambda d: d.__setitem__("bogus", 1))
    engine(view({}))
    engine(view({"text": "x", "interval": 5}))
    engine(view({"raise": "Nope"}))
    engine(view({"text": "x", "status": 42}))  # a ValueError of the engine's: "Value error, ..."
    engine(lambda d: d["app"]["routes"][0].pop("endpoint"))
    engine(lambda d: d["server"].update(threaded=True, processes=2))
    engine(lambda d: d["server"].update(kind="wsgiref", threaded=True))
    engine(lambda d: d["server"].update(timeout=1))
    engine(lambda d: d["server"].update(kind="wsgiref", start="app.run"))
    # what Flask refuses while the app is built
    rule = lambda r: lambda d: d["app"]["routes"][0].__setitem__("rule", r)  # noqa: E731
    engine(rule("/<bogus:x>"))
    engine(rule("/<int(foo=1):n>"))
    engine(lambda d: d["app"]["routes"].append({"rule": "/b", "endpoint": "index", "view": {"text": "y"}}))
    engine(lambda d: d["app"].update(blueprints=[{"name": "bp", "routes": []}, {"name": "bp", "routes": []}]))
    engine(lambda d: d["app"].update(blueprints=[{"name": "bp", "routes": [
        {"rule": "/p", "endpoint": "a.b", "view": {"text": "x"}}]}]))
    engine(lambda d: (d["server"].update(kind="werkzeug-legacy"),
                      d["app"].update(errorhandlers={"421": {"name": "h"}})))
    return out


def test_every_validation_template_is_one_pydantic_or_the_engine_fills() -> None:
    from backend.i18n import VALIDATION_MESSAGES, validation_template

    errors = _provoked_errors()
    matched = {validation_template(message, kind, ctx) for kind, message, ctx in errors}
    every = {t for templates in VALIDATION_MESSAGES.values() for t in templates}
    assert sorted(every - matched) == [], "templates no real error is made from"
    assert None not in matched, [e for e in errors if validation_template(e[1], e[0], e[2]) is None]


def test_validation_messages_in_chinese(client) -> None:
    from backend.i18n import error_message

    assert error_message("Input should be 'a', 'b' or 'c'", "literal_error",
                         {"expected": "'a', 'b' or 'c'"}, "zh") == "应为 'a', 'b' 或 'c'"
    # a message whose template drifted stays English rather than say something else
    assert error_message("Input should be a whole number", "int_type", {}, "zh") == (
        "Input should be a whole number")
    doc = json.loads((ROOT / "gallery" / "01-one-get.json").read_text())
    wrong_kind = json.dumps({**doc, "server": {"kind": "nginx"}}, indent=2)
    unknown = json.dumps({**doc, "bogus": 1}, indent=2)
    for lang, kind_words, unknown_words in (("en", "Input should be 'werkzeug'", "unknown field 'bogus'"),
                                            ("zh", "应为 'werkzeug'", "未知字段 'bogus'")):
        for text, words in ((wrong_kind, kind_words), (unknown, unknown_words)):
            found = client.post(f"/edit/check?lang={lang}", data={"scenario": text}).json()["errors"]
            assert found and words in found[0]["message"], found
    html = client.post("/run?lang=zh", data={"scenario": unknown}).text
    assert "未知字段 &#39;bogus&#39;" in html or "未知字段 'bogus'" in html
    assert "unknown field" not in html
    syntax = client.post("/edit/check?lang=zh", data={"scenario": '{"a": 1,\n oops}'}).json()["errors"]
    assert syntax[0]["message"].startswith("JSON 无效")
    # what Flask refuses while the app is built, in Chinese, with the converters there are
    doc["app"]["routes"][0]["rule"] = "/<bogus:x>"
    refused = client.post("/edit/check?lang=zh", data={"scenario": json.dumps(doc)}).json()["errors"]
    assert refused[0]["field"] == "app.routes.0.rule"
    assert refused[0]["message"] == ("Flask 拒绝规则 '/<bogus:x>'：the converter 'bogus' does not exist"
                                     "（可用的转换器有 default, string, any, path, int, float, uuid）")
