"""Sharing the exact moment: write a scenario, step to a moment, copy its link, and open
that link where nothing of the first visit is (a fresh browser context, on a phone)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect


def test_a_copied_link_opens_the_same_moment_in_a_fresh_browser(browser: Browser, base_url: str):
    ctx = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800},
                              permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    page.goto("/edit?from=two-clients-one-thread")
    text = page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")
    page.evaluate("t => document.querySelector('.CodeMirror').CodeMirror.setValue(t)",
                  text.replace('"x-lesson": "', '"x-lesson": "Mine: ', 1))
    page.locator("#run").click()
    expect(page).to_have_url(re.compile(r"/s/[a-z0-9]{7,}\?step=0$"))
    page.keyboard.press("n")  # to the next request's first step
    expect(page.locator("#step")).not_to_have_attribute("data-step", "0")
    step = page.locator("#step").get_attribute("data-step")
    expect(page).to_have_url(re.compile(rf"step={step}$"))
    caption = page.locator("#step .caption-text").inner_text()
    page.locator("#copy-link").click()
    expect(page.locator("#copy-link")).to_have_text("Copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.url and link.endswith(f"step={step}")
    fresh = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        other = fresh.new_page()
        other.goto(link)
        expect(other.locator("#step")).to_have_attribute("data-step", step)
        expect(other.locator("#step .caption-text")).to_have_text(caption)
        # the author's lesson travels with the link
        expect(other.locator(".lesson")).to_contain_text("Mine: ")
    finally:
        fresh.close()
        ctx.close()


def test_a_refused_copy_says_so_instead_of_nothing(browser: Browser, base_url: str):
    ctx = browser.new_context(base_url=base_url, locale="en-US")
    ctx.add_init_script("""navigator.clipboard.writeText = () =>
        Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));""")
    page = ctx.new_page()
    try:
        page.goto("/s/one-get?step=5")
        page.locator("#copy-link").click()
        expect(page.locator("#copy-link")).to_have_text("Not copied: the address bar holds this link")
        expect(page.locator("#copy-link")).to_have_text("Copy link to this step", timeout=8000)
    finally:
        ctx.close()
