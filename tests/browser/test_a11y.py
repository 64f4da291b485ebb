"""Accessibility: axe-core (vendored, pinned, sha256-checked) finds nothing serious,
and keyboard-only use reaches every control."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

VENDOR = Path(__file__).resolve().parent / "vendor"

AXE = VENDOR / "axe-4.11.0.min.js"
AXE_SHA256 = "e9e5863c33a874f09bc01acd9234b7e3c871479f5eef8802fa582544465e6d01"


def test_vendored_axe_is_the_pinned_release():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def _axe(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


PAGES = [
    ("gallery", "/", None),
    ("player", "/s/two-clients-one-thread?step=40", None),
    ("player-zh", "/s/one-get?step=30&lang=zh", None),
    ("player-filtered", "/s/two-clients-one-thread?step=60&client=c2", None),
    # the body marks' words on a client's track (chunks, the last chunk; EOF)
    ("player-chunked", "/s/streamed-response?step=77", None),
    ("player-close-ends-body", "/s/legacy-stream?step=78", None),
    # the answers open under the caption, a run drawn in ms like the runs it is compared with
    ("player-compared", "/s/same-requests-wsgiref?step=58", None),
    # a step that changes the backlog and the sockets: their headings in the changed colour
    ("player-changed", "/s/silent-socket?step=28", None),
    ("editor", "/edit?from=one-get", None),
    ("source", "/source/socketserver", None),
    ("not-found", "/s/zzzzzzz", None),
    ("help", "/s/one-get?step=3", "?"),
]
#: the page each path must really be (an error page would pass axe just as well)
EXPECTED_STATUS = {"not-found": 404}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("name", "path", "key"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_axe_violations(browser: Browser, base_url: str, shot, name, path, key,
                                   scheme):
    # axe is injected as a script; the app's CSP would (rightly) refuse it.
    ctx = browser.new_context(base_url=base_url, bypass_csp=True, color_scheme=scheme,
                              viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    response = page.goto(path)
    assert response is not None and response.status == EXPECTED_STATUS.get(name, 200), name
    if key:
        page.keyboard.press(key)
    shot(page, f"a11y-{name}-{scheme}")
    bad = _axe(page)
    ctx.close()
    assert not bad, bad


def test_phone_layout_has_no_sideways_scroll(browser: Browser, base_url: str, shot):
    ctx = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True, bypass_csp=True)
    page = ctx.new_page()
    for path, name in (("/", "gallery"), ("/s/two-clients-one-thread?step=40", "player"),
                       ("/edit", "editor")):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        shot(page, f"phone-{name}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 392, (path, width)
    assert not _axe(page)
    ctx.close()


def test_keyboard_only(page):
    page.goto("/s/one-get?step=5&detail=all")  # every call: Step goes to step 6
    # Tab from the top reaches the skip link first, then the step controls.
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    seen = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        el = page.evaluate("() => document.activeElement.id || document.activeElement.className")
        seen.add(el)
        if "ctl-step" in seen:
            break
    assert "ctl-step" in seen, seen
    page.keyboard.press("Enter")
    expect(page.locator("#step")).to_have_attribute("data-step", "6")
    expect(page.locator("#ctl-step")).to_be_focused()  # focus survives the swap
