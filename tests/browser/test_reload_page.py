"""Gallery 32 (saving app.py restarts the server) as a newcomer reads it: which process is
which, why each client waited, and that c2 got nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def test_a_request_the_reload_cut_off_is_not_shown_finished_with_a_check(page: Page, shot):
    page.goto("/s/reload-on-save?step=0")
    eof = page.evaluate("""async () => {
        const r = await fetch('/api/v1/scenarios/reload-on-save/trace');
        const t = await r.json();
        return t.steps.find(s => s.event === 'client_eof' && s.client === 'c2').i;
    }""")
    page.goto(f"/s/reload-on-save?step={eof}")
    c2 = page.locator('#step-body [data-token="c2"]')
    expect(c2).to_have_text("c2 — in Client: done, no answer")
    expect(c2).to_have_class("token lane-client tok-done tok-unanswered")
    expect(page.locator('#step-body [data-token="c1"]')).to_contain_text("✓ 200")
    # why: under the timeline, in words
    expect(page.locator("#timeline")).to_contain_text(
        "the reloader's child serving it exited mid-request (a saved file)")
    expect(page.locator("#timeline")).to_contain_text(
        "waited 100 ms in the listen backlog: no reloader child was serving the socket yet")
    shot(page, "reload-on-save-c2-cut-off")


def test_the_process_tracks_name_the_process_first(page: Page):
    page.goto("/s/reload-on-save?step=0&lang=zh")
    labels = page.locator("#timeline .tl-label b").all_inner_texts()
    assert labels[-4:] == ["子进程 1：MainThread", "子进程 2：MainThread",
                           "子进程 1：Thread-1 (inner)", "子进程 2：Thread-1 (inner)"]
    assert "父进程：MainThread" in labels
