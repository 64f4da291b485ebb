"""The timeline, truthful tokens, levels of detail and filter-respecting stepping in Chromium."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from playwright.sync_api import Page, expect

import sim
from backend.services import ROOT


def step_where(name: str, event: str, client: str) -> int:
    doc = json.loads((ROOT / "gallery" / f"{name}.json").read_text(encoding="utf-8"))
    return next(s.i for s in sim.run(doc).steps if s.event == event and s.client == client)


def rows(page: Page) -> list[str]:
    region = page.get_by_role("region", name="Timeline")
    return [li.locator(".tl-label b").inner_text()
            for li in region.locator(".tl-row[role=listitem]").all()]


def test_one_row_per_actor_with_real_thread_names(page: Page, shot):
    page.goto("/s/two-clients-one-thread?step=0")
    assert rows(page) == ["c1", "c2", "listen backlog", "MainThread"]
    page.goto("/s/two-clients-threaded?step=0")
    assert rows(page) == ["c1", "c2", "listen backlog", "MainThread",
                          "Thread-1 (process_request_thread)", "Thread-2 (process_request_thread)"]
    shot(page, "timeline-threaded")


def test_the_backlog_wait_is_on_screen_only_without_threads(page: Page):
    page.goto("/s/two-clients-one-thread?step=0")
    c2 = page.locator('[data-track="c2"] .act-queued')
    box = c2.first.bounding_box()
    track = page.locator('[data-track="c2"] .tl-svg').bounding_box()
    assert box["width"] > track["width"] / 3  # c2 queues for ~260 of 620 ms
    expect(page.locator(".tl-headline")).to_contain_text("listen backlog: the only thread was busy with c1")
    page.goto("/s/two-clients-threaded?step=0")
    widths = [b.bounding_box()["width"] for b in page.locator('[data-track="c2"] .act-queued').all()]
    assert all(w < 10 for w in widths)
    expect(page.locator(".tl-headline")).not_to_contain_text("listen backlog")


def test_click_a_bar_or_the_track_to_jump(page: Page):
    page.goto("/s/two-clients-one-thread?step=0")
    bar = page.locator('[data-track="backlog"] a[data-step]').nth(1)  # c2's wait
    target = bar.get_attribute("data-step")
    cursor = page.locator("#tl-cursor")
    before = cursor.get_attribute("x")
    bar.click()
    expect(page.locator("#step")).to_have_attribute("data-step", target)
    expect(page).to_have_url(re.compile(rf"step={target}(&|$)"))
    expect(cursor).not_to_have_attribute("x", before)
    # empty space on a track: the step at that moment (here ~80 % of 620 ms, c2's sleep)
    track = page.locator('[data-track="c1"] .tl-svg')
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] - 2)
    expect(page.locator("#step")).not_to_have_attribute("data-step", target)
    t = int(page.locator("#step").get_attribute("data-t"))
    assert 300 <= t <= 500


def test_zoom_widens_the_tracks(page: Page):
    page.goto("/s/two-clients-one-thread?step=0")
    inner = page.locator("#tl-inner")
    width = inner.bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    assert inner.bounding_box()["width"] > 3 * width
    page.get_by_role("button", name="Fit").click()
    assert abs(inner.bounding_box()["width"] - width) < 2


@pytest.mark.parametrize(("name", "event", "client", "tokens"), [
    # c2 connects while c1's view sleeps: c1 stays in the view, waiting; c2 is in the kernel
    ("02-two-clients-one-thread", "backlog_queued", "c2", {"c1": ("view", "waiting"), "c2": ("kernel", "now")}),
    # c2's own step (it sends) while the one thread is still busy with c1
    ("02-two-clients-one-thread", "client_send", "c2", {"c1": ("view", "waiting"), "c2": ("kernel", "now")}),
    # threaded: c2 is taken off the backlog at once, c1 sleeps in its own thread
    ("03-two-clients-threaded", "get_request", "c2", {"c1": ("view", "waiting"), "c2": ("loop", "now")}),
    # the guard answered: the request is in Flask, the view shown skipped
    ("07-before-request-guard", "hook_before_request", "c1", {"c1": ("flask", "now")}),
    # the answer arrives at the client: it moves in the client's lane, not the handler's
    ("16-silent-socket", "client_recv", "c2", {"c1": ("client", "done"), "c2": ("client", "now")}),
])
def test_tokens_at_known_steps(page: Page, name, event, client, tokens):
    n = step_where(name, event, client)
    page.goto(f"/s/{name[3:]}?step={n}")
    for c, (lane, style) in tokens.items():
        tok = page.locator(f'#step-body [data-token="{c}"]')
        expect(tok).to_have_attribute("data-lane", lane)
        expect(tok).to_have_attribute("data-style", style)
    if name.startswith("07"):
        expect(page.locator('#step-body [data-skipped="c1"]')).to_be_visible()
    expect(page.locator("#token-legend")).to_be_visible()


def test_finished_requests_show_finished(page: Page):
    page.goto("/s/two-clients-one-thread?step=0")
    page.keyboard.press("End")
    for c in ("c1", "c2"):
        tok = page.locator(f'#step-body [data-token="{c}"]')
        expect(tok).to_have_attribute("data-style", "done")
        expect(tok).to_contain_text("200")


def test_key_steps_by_default_every_call_on_demand(page: Page):
    page.goto("/s/one-get?step=0")
    levels = page.get_by_role("navigation", name="Level of detail")
    expect(levels.get_by_role("link", name="Key steps")).to_have_attribute("aria-current", "true")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).not_to_have_attribute("data-step", "0")  # the swap is done
    first_key = int(page.locator("#step").get_attribute("data-step"))
    assert first_key > 1  # startup's add_url_rule & co are folded away
    page.get_by_role("link", name="Every call").click()
    expect(page).to_have_url(re.compile(r"detail=all"))
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).to_have_attribute("data-step", str(first_key + 1))
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#step")).to_have_attribute("data-step", str(first_key))


def test_stepping_respects_the_client_filter(page: Page):
    page.goto("/s/two-clients-one-thread?step=0&detail=all")
    page.locator("#filter-client").select_option("c2")
    expect(page).to_have_url(re.compile(r"client=c2"))
    seen = set()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
        seen.add(page.locator("#step").get_attribute("data-client"))
    assert seen == {"c2"}
    # and the request jump stays on c2's connection
    page.keyboard.press("n")
    page.wait_for_timeout(150)
    assert page.locator("#step").get_attribute("data-client") == "c2"


def test_timeline_in_chinese(page: Page, shot):
    page.goto("/s/two-clients-one-thread?step=55&lang=zh")
    expect(page.get_by_role("region", name="时间线")).to_be_visible()
    shot(page, "timeline-zh")


def test_drag_along_the_axis_scrubs(page: Page):
    page.goto("/s/two-clients-one-thread?step=0")
    axis = page.locator(".tl-axis .tl-track").bounding_box()
    y = axis["y"] + axis["height"] / 2
    page.mouse.move(axis["x"] + axis["width"] * 0.05, y)
    page.mouse.down()
    for f in (0.2, 0.4, 0.6, 0.995):
        page.mouse.move(axis["x"] + axis["width"] * f, y, steps=3)
    page.mouse.up()
    # ~617 ms: the latest moment with steps at or before it is 610 ms (c2's view returns)
    expect(page.locator("#step")).to_have_attribute("data-t", "610")


@pytest.mark.parametrize("width", [1280, 390])
def test_stages_never_reached_are_shown_skipped_and_fit(page: Page, width: int):
    # a 414 is answered before any WSGI code: WSGI, Flask and the view are never reached
    page.set_viewport_size({"width": width, "height": 844})
    n = step_where("10-long-request-line", "send_error", "c1")
    page.goto(f"/s/long-request-line?step={n}")
    marks = page.locator('#step-body [data-skipped="c1"]')
    expect(marks).to_have_count(3)
    boxes = [marks.nth(k).bounding_box() for k in range(3)]
    cells = [marks.nth(k).locator("xpath=..").bounding_box() for k in range(3)]
    for box, cell in zip(boxes, cells, strict=True):
        assert box["width"] > 0 and box["x"] >= cell["x"] - 1
        assert box["x"] + box["width"] <= cell["x"] + cell["width"] + 1, (width, box, cell)
    for left, right in itertools.pairwise(boxes):
        assert left["x"] + left["width"] <= right["x"] + 1, "skipped marks overlap"
    assert [marks.nth(k).get_attribute("data-lane") for k in range(3)] == ["wsgi", "flask", "view"]


def test_a_run_at_one_instant_steps_along_a_step_axis(page: Page):
    """One GET takes no virtual time: the timeline counts steps, the cursor moves one
    step's slot per step, and a click on a track lands on the step under the pointer."""
    page.goto("/s/one-get?step=10")
    region = page.get_by_role("region", name="Timeline")
    expect(region).to_have_attribute("data-axis", "steps")
    total = int(region.get_attribute("data-span"))
    cursor = page.locator("#tl-cursor")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#step")).to_have_attribute("data-step", "11")
    assert float(cursor.get_attribute("x").rstrip("%")) == pytest.approx(11.5 * 100 / total, abs=0.01)
    track = page.locator('[data-track="main"] .tl-svg')
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 40.5 / total, box["y"] + box["height"] - 1)
    expect(page.locator("#step")).to_have_attribute("data-step", "40")
