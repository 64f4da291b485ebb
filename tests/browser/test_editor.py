"""A person writing a scenario in the editor: CodeMirror with line numbers, problems marked
at their lines while typing, the lesson of the scenario they started from, Ctrl+Enter."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

GALLERY = Path(__file__).resolve().parents[2] / "gallery"


def set_text(page: Page, text: str) -> None:
    page.evaluate("text => document.querySelector('.CodeMirror').CodeMirror.setValue(text)", text)


def test_editor_has_line_numbers_and_lesson(page: Page, csp_errors, shot):
    page.goto("/edit?from=before-request-guard")
    expect(page.locator(".scenario-editor .CodeMirror-linenumber").first).to_be_visible()
    expect(page.locator(".editor-lesson")).to_contain_text("Lesson of this scenario")
    expect(page.locator("#problems")).to_contain_text("No problems")
    shot(page, "editor")
    assert not csp_errors, csp_errors


def test_every_problem_is_listed_and_marked_at_its_line(page: Page, csp_errors, shot):
    page.goto("/edit?from=one-get")
    set_text(page, '{\n  "format": "wsgiscope/scenario@1",\n  "clients": [\n'
                   '    {"id": "c1", "at": -5},\n    {"id": "c 2", "then": "later"}\n  ]\n}\n')
    problems = page.locator("#problems li")
    expect(problems).to_have_count(3)
    expect(page.locator("#problems")).to_contain_text("clients.0.at")
    expect(page.locator("#problems")).to_contain_text("clients.1.then")
    # gutter markers on lines 4 and 5 (0-based rows 3 and 4)
    expect(page.locator(".CodeMirror-lint-marker-error")).to_have_count(2)
    shot(page, "editor-problems")
    page.locator("#problems li button").first.click()
    cursor_line = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getCursor().line")
    assert cursor_line == 3
    set_text(page, '{"format": "wsgiscope/scenario@1", oops}')
    expect(page.locator("#problems")).to_contain_text("invalid JSON")
    assert not csp_errors, csp_errors


def test_ctrl_enter_runs_and_lands_on_the_new_link(page: Page, csp_errors):
    page.goto("/edit?from=one-get")
    expect(page.locator("#problems")).to_contain_text("No problems")
    page.locator(".CodeMirror [contenteditable=true]").focus()
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/s/[a-z0-9]{7,}\?step=0$"))
    assert not csp_errors, csp_errors


def test_an_unknown_converter_is_marked_before_run_in_the_page_language(page: Page, csp_errors):
    """Flask refuses '/x/<foo:bar>' while the app is built: the editor marks it at its line
    instead of saying "ready to run", and a problem of the whole document is named in the
    page's language."""
    page.goto("/edit?from=one-get&lang=zh")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    set_text(page, text.replace('"rule": "/"', '"rule": "/x/<foo:bar>"', 1))
    expect(page.locator("#problems li")).to_have_count(1)
    expect(page.locator("#problems li")).to_contain_text("app.routes.0.rule")
    expect(page.locator("#problems li")).to_contain_text("'foo'")
    expect(page.locator(".CodeMirror-lint-marker-error")).to_have_count(1)
    set_text(page, "[1, 2]")
    expect(page.locator("#problems li")).to_have_text(re.compile(r"（整个文档）: 场景必须是一个 JSON 对象"))
    assert not csp_errors, csp_errors


def test_problems_and_run_stay_on_the_first_screen(page: Page, csp_errors):
    """At 1280x800 the editor is taller than what is left of the window: what is wrong and
    the "Run" button stay in sight under it, pinned to the bottom of the window."""
    page.goto("/edit?from=one-get")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    set_text(page, text.replace('"at": 0', '"at": "soon"', 1))
    expect(page.locator("#problems li")).to_have_count(1)
    expect(page.locator("#problems li")).to_be_in_viewport(ratio=1)
    expect(page.locator("#run")).to_be_in_viewport(ratio=1)
    # and they cover none of the editor's lines when the page is scrolled to its end
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    editor = page.locator(".scenario-editor").bounding_box()
    status = page.locator(".editor-status").bounding_box()
    assert status["y"] >= editor["y"] + editor["height"] - 1
    page.locator("#problems li button").click()
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getCursor().line") == 27
    assert not csp_errors, csp_errors


def test_the_lesson_box_follows_the_json_in_the_editor(page: Page, csp_errors):
    """The box says what the scenario in the editor is for: replaced by hand with another
    scenario, it says that one's ``x-lesson`` (in the page's language when the gallery's
    catalog has it), or disappears when the JSON declares none; a JSON that does not parse
    yet keeps the lesson it still declares."""
    page.goto("/edit?from=before-request-guard&lang=zh")
    box = page.locator(".editor-lesson")
    guard = box.inner_text()
    assert "before_request" in guard
    other = json.loads((GALLERY / "16-silent-socket.json").read_text(encoding="utf-8"))
    set_text(page, json.dumps(other, indent=2))
    expect(box).to_contain_text("readline()")
    expect(box).not_to_contain_text("before_request")
    assert "c1 connects and sends nothing" not in box.inner_text()  # the catalog's Chinese
    del other["x-lesson"]
    set_text(page, json.dumps(other, indent=2))
    expect(box).to_be_hidden()
    expect(page.locator("#problems")).to_contain_text("没有问题")
    other["x-lesson"] = "Mine: watch c2 <wait>."
    set_text(page, json.dumps(other, indent=2).replace('"clients": [', '"clients": [,', 1))
    expect(box).to_have_text(re.compile(r"Mine: watch c2 <wait>\.$"))
    expect(page.locator("#problems")).to_contain_text("JSON 无效")
    assert not csp_errors, csp_errors
