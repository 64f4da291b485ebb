"""A newcomer stepping through a gallery lesson at 1280x800: at each of its key moments
the step's caption and the whole of "Why it matters" are on the first screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect


def key_moments(page: Page, slug: str) -> list[int]:
    page.goto(f"/s/{slug}?step=0")
    return sorted({int(href.rsplit("=", 1)[1]) for href in page.locator(
        ".run-summary .tl-moments a").evaluate_all("as => as.map(a => a.getAttribute('href'))")})


# Lesson 4 (the same stream, two framings) and lesson 7 (a generator outlives its request):
# the first write of a stream is two moments at once (how the body is framed, and the
# first chunk leaving); as two boxes, the second ended below the first screen.
@pytest.mark.parametrize("slug", ["stream-one-thread", "stream-with-context"])
def test_why_it_matters_is_whole_on_the_first_screen(page: Page, slug: str):
    moments = key_moments(page, slug)
    assert moments
    shown_two = False
    for n in moments:
        page.goto(f"/s/{slug}?step={n}")
        expect(page.locator("#step .caption-text")).to_be_in_viewport(ratio=1)
        why = page.locator("#step .caption .moment")
        expect(why).to_have_count(1)  # one box, however many moments the step has
        expect(why).to_be_in_viewport(ratio=1)
        shown_two |= why.locator("[data-moment]").count() == 2
    assert shown_two  # the first write: its framing and its first chunk, both said
