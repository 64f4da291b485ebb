"""Runs that send the same clients to another server (gallery 33-35): what differs between
them is the bytes each client received, so those are on screen first, side by side."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

#: slug -> what its clients received that the other two servers do not send
ANSWERS = {
    "same-requests-werkzeug": ["HTTP/1.1 200 OK", "Connection: close", "Server: Werkzeug/3.1.9", "ping"],
    "same-requests-legacy": ["HTTP/1.0 200 OK", "Server: Werkzeug/0.16.1", "ping"],
    "same-requests-wsgiref": ["HTTP/1.0 200 OK", "Server: WSGIServer/0.2", "Content-Length: 0"],
}


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_the_answers_are_open_above_the_timeline(page: Page, slug: str, shot):
    page.goto(f"/s/{slug}?step=0")
    received = page.locator("#received")
    expect(received).to_have_attribute("open", "")
    expect(received).to_be_in_viewport()
    blocks = received.locator("pre.bytes")
    expect(blocks).to_have_count(2)  # c1 and c2, side by side at 1280 px
    boxes = [blocks.nth(k).bounding_box() for k in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]
    text = received.inner_text()
    for words in ANSWERS[slug]:
        assert words in text, (slug, words)
    # the whole answer shows, body included, with no scrolling inside it
    assert page.evaluate("""[...document.querySelectorAll('#received pre.bytes')]
        .every(p => p.scrollHeight <= p.clientHeight + 1)""")
    # before the timeline: read first
    assert received.bounding_box()["y"] < page.locator("#timeline").bounding_box()["y"]
    shot(page, f"compare-{slug}")


@pytest.mark.parametrize("slug", sorted(ANSWERS))
def test_the_step_caption_and_the_answers_are_on_the_first_screen(page: Page, slug: str):
    """At 1280x800 a person stepping through a compared run reads why each step happens
    without scrolling: the caption is on the first screen, at every key moment of the run
    (the longest captions), and the answers, open and side by side, under it."""
    page.goto(f"/s/{slug}?step=0")
    moments = sorted({0} | {int(href.rsplit("=", 1)[1]) for href in page.locator(
        ".run-summary .tl-moments a").evaluate_all("as => as.map(a => a.getAttribute('href'))")})
    assert len(moments) > 3
    for n in moments:
        page.goto(f"/s/{slug}?step={n}")
        expect(page.locator("#step .caption-meta")).to_be_in_viewport(ratio=1)
        expect(page.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
        for why in page.locator("#step .caption .moment").all():  # begins on screen
            expect(why).to_be_in_viewport()
        blocks = page.locator("#received pre.bytes")
        boxes = [blocks.nth(k).bounding_box() for k in range(2)]
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"], n
        assert boxes[0]["y"] + boxes[0]["height"] <= 800, n
    # stepping with the keyboard (to the next key step) keeps it there
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).not_to_have_attribute("data-step", str(moments[-1]))
    expect(page.locator("#step .caption-text")).to_be_in_viewport(ratio=1)


def test_the_order_of_headers_shows(page: Page):
    """0.16 writes Server and Date after the app's headers; Werkzeug 3 and wsgiref before."""
    def order(slug: str) -> list[str]:
        page.goto(f"/s/{slug}?step=0")
        first = page.locator("#received pre.bytes").first.inner_text()
        return [line.split(":")[0] for line in first.splitlines()[1:4]]
    assert order("same-requests-werkzeug") == ["Server", "Date", "Content-Type"]
    assert order("same-requests-legacy") == ["Content-Type", "Content-Length", "Server"]
    assert order("same-requests-wsgiref") == ["Date", "Server", "Content-Type"]


def test_a_compare_link_opens_the_other_run_with_its_answers(page: Page):
    page.goto("/s/same-requests-wsgiref?step=0")
    page.locator('.compare a[data-compare="same-requests-legacy"]').click()
    expect(page).to_have_url(re.compile(r"/s/same-requests-legacy\?step=\d+$"))
    expect(page.locator("#received")).to_contain_text("Server: Werkzeug/0.16.1")


def test_runs_compared_on_the_same_stack_keep_it_closed_at_the_bottom(page: Page):
    """One thread vs threaded: the lesson is the timeline (c2 waits), not the bytes."""
    page.goto("/s/two-clients-one-thread?step=0")
    received = page.locator("#received")
    assert received.get_attribute("open") is None
    assert received.bounding_box()["y"] > page.locator("#events").bounding_box()["y"]


def test_on_a_phone_no_answer_line_is_cut_off(browser: Browser, base_url: str):
    ctx = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        page.goto("/s/same-requests-wsgiref?step=0&lang=zh")
        expect(page.locator("#received")).to_contain_text("同样的客户端")
        cut = page.evaluate("""[...document.querySelectorAll('#received pre.bytes')]
            .filter(p => p.scrollWidth > p.clientWidth + 1).length""")
        assert cut == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()


@pytest.mark.parametrize(("width", "height"), [(1100, 800), (1180, 800), (390, 844)])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_narrower_the_caption_still_comes_before_the_answers(
        browser: Browser, base_url: str, width: int, height: int, lang: str):
    """Stacked under the title and above the caption, the answers pushed the step's caption
    off the first screen (at 1100x800 it began at 965 px, on a phone at 1660). The step's
    controls and caption come right under the title, then the answers, open, then the
    timeline: the caption is on the first screen at every key moment, and the answers begin
    on it."""
    mobile = width < 600
    ctx = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                              is_mobile=mobile, has_touch=mobile)
    page = ctx.new_page()
    try:
        for slug in sorted(ANSWERS):
            page.goto(f"/s/{slug}?step=0&lang={lang}")
            moments = sorted({0} | {int(href.rsplit("=", 1)[1]) for href in page.locator(
                ".run-summary .tl-moments a").evaluate_all(
                    "as => as.map(a => a.getAttribute('href'))")})
            for n in moments:
                page.goto(f"/s/{slug}?step={n}&lang={lang}")
                expect(page.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
                expect(page.locator("#step .controls")).to_be_in_viewport(ratio=1)
                received = page.locator("#received")
                expect(received).to_have_attribute("open", "")
                expect(received).to_be_in_viewport()
                title = page.locator(".player-title").bounding_box()
                caption = page.locator("#step .caption").bounding_box()
                box = received.bounding_box()
                assert title["width"] > 0.6 * (width - 40), (slug, n)
                assert title["y"] + title["height"] <= caption["y"], (slug, n)
                assert caption["y"] + caption["height"] <= box["y"], (slug, n)
                # the timeline and the lanes follow the answers
                assert box["y"] + box["height"] <= page.locator("#timeline").bounding_box()["y"]
                assert box["y"] < page.locator("#step-body .lanes").bounding_box()["y"]
            # stepping swaps the panel in place: the caption stays where it was
            page.keyboard.press("ArrowRight")
            expect(page.locator("#step")).not_to_have_attribute("data-step", str(moments[-1]))
            expect(page.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
    finally:
        ctx.close()
