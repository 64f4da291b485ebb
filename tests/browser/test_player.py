"""A person using the player in Chromium: gallery, stepping, keys, URL, filters, language."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def at(page: Page, n: int) -> None:
    expect(page.locator("#step")).to_have_attribute("data-step", str(n))
    expect(page).to_have_url(re.compile(rf"[?&]step={n}(&|$)"))


def test_gallery_to_player(page: Page, csp_errors, shot):
    page.goto("/")
    cards = page.locator(".card")
    assert cards.count() >= 12
    shot(page, "gallery")
    page.get_by_role("link", name="One GET, end to end", exact=True).click()
    at(page, 0)
    expect(page.locator("#step .caption-text")).not_to_be_empty()
    expect(page.locator("#step-body .lanes")).to_be_visible()
    shot(page, "player-step-0")
    assert not csp_errors, csp_errors


def test_step_forward_and_back_by_button(page: Page, csp_errors):
    page.goto("/s/one-get?step=0&detail=all")  # every call: one step at a time
    first_caption = page.locator("#step .caption-text").inner_text()
    page.locator("#ctl-step").click()
    at(page, 1)
    page.locator("#ctl-step").click()
    at(page, 2)
    assert page.locator("#step .caption-text").inner_text() != first_caption
    page.locator("#ctl-back").click()
    at(page, 1)
    page.locator("#ctl-last").click()
    total = int(page.locator("#step").get_attribute("data-total"))
    at(page, total - 1)
    expect(page.locator("#ctl-step")).to_have_attribute("aria-disabled", "true")
    page.locator("#ctl-first").click()
    at(page, 0)
    assert not csp_errors, csp_errors


def test_keyboard_and_phase_jumps(page: Page, shot):
    page.goto("/s/one-get?step=0&detail=all")
    page.locator("body").press("ArrowRight")
    at(page, 1)
    page.keyboard.press("ArrowRight")
    at(page, 2)
    page.keyboard.press("ArrowLeft")
    at(page, 1)
    phase = page.locator("#step").get_attribute("data-phase")
    page.keyboard.press("]")
    expect(page.locator("#step")).not_to_have_attribute("data-phase", phase)
    page.keyboard.press("End")
    total = int(page.locator("#step").get_attribute("data-total"))
    at(page, total - 1)
    page.keyboard.press("Home")
    at(page, 0)
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    shot(page, "player-help")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()


def test_lanes_and_source_change_while_stepping(page: Page):
    page.goto("/s/one-get?step=0&detail=all")
    total = int(page.locator("#step").get_attribute("data-total"))
    lanes, sources, lit = set(), set(), set()
    for n in range(total):
        lanes.add(page.locator("#step").get_attribute("data-lane"))
        q = page.locator("#step-body .source .qualname")
        sources.add(q.inner_text() if q.count() else None)
        if page.locator("#step-body .line.lit").count():
            lit.add(page.locator("#step-body .line.lit .no").inner_text())
        if n < total - 1:
            page.keyboard.press("ArrowRight")
            at(page, n + 1)
    assert {"loop", "handler", "wsgi", "flask"} <= lanes
    assert len(sources) >= 5 and len(lit) >= 5
    # the token for c1 has moved through several lanes; key steps all reached
    assert page.locator("#step-body .lane-row .mark.done").count() >= 4


def test_reload_and_history_land_on_the_same_step(page: Page):
    page.goto("/s/one-get?step=0&detail=all")
    for n in (1, 2, 3):
        page.keyboard.press("ArrowRight")
        at(page, n)
    page.reload()
    at(page, 3)
    # stepping replaced the history entry; a jump pushes one, and Back/Forward return
    page.locator("#ctl-next-phase").click()
    expect(page.locator("#step")).not_to_have_attribute("data-step", "3")
    jumped = page.locator("#step").get_attribute("data-step")
    # the URL (and the entry a jump pushes) is set just after the step is painted
    at(page, int(jumped))
    page.go_back()
    at(page, 3)
    page.go_forward()
    at(page, int(jumped))


def test_works_without_javascript(browser, base_url, shot):
    ctx = browser.new_context(java_script_enabled=False, base_url=base_url,
                              viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto("/s/two-clients-one-thread?step=0&detail=all")
    expect(page.locator("#playerbar")).to_be_hidden()  # play needs JS; reading does not
    page.locator("#ctl-step").click()
    at(page, 1)
    page.locator("#ctl-next-request").click()
    assert int(page.locator("#step").get_attribute("data-step")) > 1
    page.locator("#filter-client").select_option("c1")
    page.get_by_role("button", name="Filter").click()
    assert set(page.locator("#events .ev-c").all_inner_texts()) == {"c1"}
    shot(page, "player-no-js")
    ctx.close()


def test_filter_event_list(page: Page, shot):
    page.goto("/s/two-clients-one-thread?step=0")
    page.locator("#filter-client").select_option("c2")
    expect(page.locator("#events .ev-c").first).to_have_text("c2")
    clients = set(page.locator("#events .ev-c").all_inner_texts())
    assert clients == {"c2"}
    expect(page).to_have_url(re.compile(r"client=c2"))
    page.locator("#filter-phase").select_option("parse")
    expect(page.locator("#events .ev-p").first).to_have_text("parse")
    assert set(page.locator("#events .ev-p").all_inner_texts()) == {"parse"}
    shot(page, "player-filtered")
    # a row jumps there
    row = page.locator("#events .ev a").first
    target = row.locator(".ev-i").inner_text()
    row.click()
    at(page, int(target))
    expect(page.locator(f'#events .ev[data-step="{target}"]')).to_have_class(re.compile("current"))


def test_switch_language_is_remembered(page: Page, shot):
    page.goto("/s/one-get?step=2")
    page.locator("#lang-toggle").click()
    expect(page.locator("#step .caption-text")).to_have_attribute("lang", "zh")
    at(page, 2)
    shot(page, "player-zh")
    page.goto("/s/one-get?step=3")
    expect(page.locator("#step .caption-text")).to_have_attribute("lang", "zh")
    page.keyboard.press("l")
    expect(page.locator("#step .caption-text")).to_have_attribute("lang", "en")


def test_play_and_pause(page: Page):
    page.goto("/s/one-get?step=0")
    page.locator("#speed").select_option("8")
    page.keyboard.press("Space")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#step")).to_have_attribute("data-step", re.compile(r"^([3-9]|\d\d+)$"))
    page.keyboard.press("Space")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_timeout(300)  # a step already asked for may still arrive
    n = page.locator("#step").get_attribute("data-step")
    page.wait_for_timeout(400)
    assert page.locator("#step").get_attribute("data-step") == n


def test_breakpoint_stops_playback(page: Page):
    page.goto("/s/one-get?step=30")
    page.locator("#breakpoints summary").click()
    page.locator('#breakpoints input[value="dispatch"]').check()
    page.locator("#speed").select_option("8")
    page.locator("#play").click()
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false", timeout=15000)
    expect(page.locator("#step")).to_have_attribute("data-phase", "dispatch")
    page.locator('#breakpoints input[value="dispatch"]').uncheck()


def test_editor_shows_the_field_error(page: Page, csp_errors, shot):
    page.goto("/edit?from=one-get")
    editor = page.locator(".CodeMirror")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")

    def type_in(value: str) -> None:
        page.evaluate("v => document.querySelector('.CodeMirror').CodeMirror.setValue(v)", value)

    type_in(text.replace('"wsgiscope/scenario@1"', '"wsgiscope/nope"'))
    page.get_by_role("button", name="Run and get a link").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("format")
    field = editor.locator("[contenteditable=true]")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    shot(page, "editor-error")
    type_in("{ not json")
    page.get_by_role("button", name="Run and get a link").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid JSON")
    type_in(text.replace('"One GET, end to end"', '"My own GET"'))
    page.get_by_role("button", name="Run and get a link").click()
    expect(page).to_have_url(re.compile(r"/s/[a-z0-9]{7,}\?step=0$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My own GET")
    assert not csp_errors, csp_errors


def test_bad_link_is_a_friendly_page(page: Page, shot):
    r = page.goto("/s/zzzzzzz")
    assert r.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    shot(page, "error-404")


def test_theme_toggle_is_remembered(page: Page):
    page.goto("/")
    page.locator("#theme-toggle").click()
    first = page.locator("html").get_attribute("data-theme")
    assert first in ("dark", "light")
    page.goto("/s/one-get?step=1")
    expect(page.locator("html")).to_have_attribute("data-theme", first)
    page.keyboard.press("t")
    expect(page.locator("html")).not_to_have_attribute("data-theme", first)


def test_reduced_motion_means_no_token_animation(browser, base_url):
    ctx = browser.new_context(base_url=base_url, reduced_motion="reduce", bypass_csp=True)
    page = ctx.new_page()
    page.goto("/s/two-clients-one-thread?step=20&detail=all")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).to_have_attribute("data-step", "21")
    running = page.evaluate("() => document.getAnimations().length")
    assert running == 0
    ctx.close()


def test_stepping_replaces_history_and_jumps_push(page: Page, csp_errors):
    page.goto("/s/one-get?step=0")
    depth = page.evaluate("history.length")

    def current() -> int:
        return int(page.locator("#step").get_attribute("data-step"))

    seen = [0]
    for _ in range(3):
        page.locator("#ctl-step").click()
        expect(page.locator("#step")).not_to_have_attribute("data-step", str(seen[-1]))
        seen.append(current())
    assert seen == sorted(seen) and len(set(seen)) == 4
    at(page, seen[-1])  # the URL follows once the step is painted
    assert page.evaluate("history.length") == depth  # three steps, no new entries
    page.locator("#ctl-next-phase").click()
    expect(page.locator("#step")).not_to_have_attribute("data-step", str(seen[-1]))
    jumped = current()
    assert jumped > seen[-1]
    at(page, jumped)
    assert page.evaluate("history.length") == depth + 1
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).not_to_have_attribute("data-step", str(jumped))
    at(page, current())
    assert page.evaluate("history.length") == depth + 1
    page.go_back()  # back to where the jump was made: stepping replaced the earlier entries
    at(page, seen[-1])
    assert not csp_errors, csp_errors


def test_highlighted_source_stays_one_line_per_line(page: Page):
    """Token classes never meet the page's own (a Pygments ``bp`` once took the
    breakpoint label's display: flex and split lines)."""
    page.goto("/s/one-get?step=0&detail=all")
    for n in range(0, 60, 6):
        page.goto(f"/s/one-get?step={n}&detail=all")
        shown = page.evaluate("""() => {
            const spans = [...document.querySelectorAll('#step-body .code [class^="t-"]')];
            return [spans.length, spans.filter(s => getComputedStyle(s).display !== 'inline').length];
        }""")
        assert shown[1] == 0, f"step {n}: {shown[1]} of {shown[0]} token spans are not inline"
