"""What a step costs the browser: the work done between a click and the next paint."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_stepping_takes_no_history_snapshot(page: Page, csp_errors):
    """htmx copies the whole page before each URL update unless told not to (its cache is
    off, so the copy was thrown away); on a large trace that copy was a third of a step."""
    page.goto("/s/one-get?step=0&detail=all")
    page.evaluate("""() => { window.snapshots = 0;
        document.body.addEventListener('htmx:beforeHistorySave', () => { window.snapshots++; }); }""")
    for n in (1, 2, 3):
        page.locator("#ctl-step").click()
        expect(page.locator("#step")).to_have_attribute("data-step", str(n))
    page.locator("#ctl-next-phase").click()  # a jump pushes a history entry
    expect(page.locator("#step")).not_to_have_attribute("data-step", "3")
    assert page.evaluate("window.snapshots") == 0
    assert not csp_errors, csp_errors
