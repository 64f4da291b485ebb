"""The player on a 390 px wide phone: what it shows is on screen, its controls in reach."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

WIDTH = 390


@pytest.fixture
def phone(browser: Browser, base_url: str):
    ctx = browser.new_context(base_url=base_url, viewport={"width": WIDTH, "height": 844},
                              is_mobile=True, has_touch=True)
    yield ctx.new_page()
    ctx.close()


def outside(page: Page, selector: str) -> list[str]:
    """Elements matching ``selector`` that are drawn (partly) outside the screen's width."""
    return page.evaluate("""([sel, width]) => [...document.querySelectorAll(sel)]
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => r.width > 0 && (r.left < -0.5 || r.right > width + 0.5))
        .map(([e, r]) => `${sel} "${e.textContent.trim().slice(0, 30)}" ${r.left}..${r.right}`)""",
                         [selector, WIDTH])


def apart(page: Page, selector: str) -> list[str]:
    """Legend swatches whose words start on another line than the swatch (a swatch left at
    the end of one line, its meaning on the next)."""
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)].flatMap(sw => {
        let n = sw.nextSibling;
        while (n && n.nodeType === Node.TEXT_NODE && !n.textContent.trim()) n = n.nextSibling;
        if (!n || n.nodeType !== Node.TEXT_NODE) return [];
        const k = n.textContent.search(/\\S/), r = document.createRange();
        r.setStart(n, k); r.setEnd(n, k + 1);
        const a = sw.getBoundingClientRect(), b = r.getBoundingClientRect();
        return b.top < a.bottom && b.bottom > a.top ? [] : [n.textContent.trim()];
    })""", selector)


@pytest.mark.parametrize("path", ["/s/two-clients-one-thread?step=40",
                                  "/s/two-clients-threaded?step=30&detail=all",
                                  "/s/one-get?step=20", "/s/same-requests-wsgiref?step=58"])
def test_everything_shown_is_within_the_screen(phone: Page, path: str):
    phone.goto(path)
    for selector in ("#timeline .tl-legend .sw", "#timeline .tl-legend", "#token-legend .token",
                     ".tl-axis-svg text:not(.odd)", ".wf-why", ".wf th", ".wf td",
                     "#step .controls .ctl", "#step .goto", ".playerbar > *",
                     ".player-actions > *", ".detail-levels > *", "#events .filters > *"):
        assert not outside(phone, selector), outside(phone, selector)
    assert not apart(phone, "#timeline .tl-legend .sw"), apart(phone, "#timeline .tl-legend .sw")
    assert not apart(phone, "#token-legend .token"), apart(phone, "#token-legend .token")
    why = phone.locator(".wf-why").first
    why.scroll_into_view_if_needed()
    expect(why).to_be_in_viewport(ratio=1)
    assert phone.evaluate("document.querySelector('.wf-scroll').scrollLeft") == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH


def test_controls_stay_in_reach(phone: Page):
    phone.goto("/s/one-get?step=0&detail=all")
    phone.locator("#ctl-step").tap()
    expect(phone.locator("#step")).to_have_attribute("data-step", "1")
    phone.locator("#breakpoints summary").tap()
    box = phone.locator("#breakpoints fieldset").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    phone.locator('#breakpoints input[value="parse"]').check()
    phone.locator("#breakpoints summary").tap()
    phone.locator("#help-open").tap()
    box = phone.locator("#help").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    phone.locator("#help-close").tap()
    expect(phone.locator("#help")).not_to_be_visible()


@pytest.mark.parametrize("slug", ["silent-socket", "leftover-body", "expect-100-continue",
                                  "stream-with-context", "reload-on-save"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_caption_is_on_the_first_screen_at_every_key_moment(phone: Page, slug: str, lang: str):
    """Under the title came the play bar and the timeline (its legend alone a dozen lines
    here), so the step's caption began at 1000 to 1550 px: a person stepping read nothing
    without scrolling down and back up. The step's controls and caption come right under
    the title, and "Why it matters" begins on the same screen."""
    phone.goto(f"/s/{slug}?step=0&lang={lang}")
    moments = sorted({int(href.rsplit("=", 1)[1]) for href in phone.locator(
        ".run-summary .tl-moments a").evaluate_all("as => as.map(a => a.getAttribute('href'))")})
    assert moments
    for n in moments:
        phone.goto(f"/s/{slug}?step={n}&lang={lang}")
        expect(phone.locator("#step .controls")).to_be_in_viewport(ratio=1)
        expect(phone.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
        expect(phone.locator("#step .caption .moment")).to_be_in_viewport()
        title = phone.locator(".player-title").bounding_box()
        assert title["y"] + title["height"] <= phone.locator("#step .controls").bounding_box()["y"]
    # a step forward swaps the panel where it is
    phone.locator("#ctl-step").tap()
    expect(phone.locator("#step")).not_to_have_attribute("data-step", str(moments[-1]))
    expect(phone.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
