"""What a step costs the browser: the work done between a click and the next paint."""

from __future__ import annotations

import re

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


def test_a_step_builds_only_what_changed(page: Page, csp_errors):
    """Stepping keeps a part whose key did not change as it is and brings the rest of the
    step (its head, #step, and its body, #step-body, which comes out of band) to the new
    step in place (the controls stay the same elements, with the new links, which then
    work), building new elements only where the shape changed; what is on screen is
    exactly the server's step."""
    page.goto("/s/two-clients-threaded?step=0&detail=all")
    kept = changed = built = total = 0
    for n in range(1, 40):
        page.evaluate("""() => {
            document.querySelectorAll('#step, #step *, #step-body, #step-body *').forEach(
                e => { e.seen = true; });
            document.querySelectorAll('#step-body [data-part]').forEach(
                p => { p.key = p.getAttribute('data-key'); });
        }""")
        page.locator("#ctl-step").click()  # the link morphed on the step before: its new hx-get
        expect(page.locator("#step")).to_have_attribute("data-step", str(n))
        got = page.evaluate("""async (n) => {
            const step = document.querySelector('#step'), body = document.querySelector('#step-body');
            const all = [...step.querySelectorAll('*'), ...body.querySelectorAll('*')];
            let kept = 0, changed = 0, touched = 0;
            let prose = 0;  // a changed source whose lines were updated in place
            body.querySelectorAll('[data-part]').forEach(p => {
                if (p.key !== p.getAttribute('data-key')) {
                    changed++;
                    if (p.key !== undefined && p.querySelector('pre')?.seen) prose++;
                    return;
                }
                kept++;
                if (!p.seen || [...p.querySelectorAll('*')].some(e => !e.seen)) touched++;
            });
            const html = await (await fetch(`/s/two-clients-threaded/step/${n}?detail=all`)).text();
            const fresh = new DOMParser().parseFromString(html, 'text/html');
            const freshBody = fresh.querySelector('#step-body');
            freshBody.removeAttribute('hx-swap-oob');  // htmx takes it off as it swaps
            return {kept, changed, touched, prose, built: all.filter(e => !e.seen).length, total: all.length,
                    panel: !!step.seen && !!body.seen,
                    controls: !!document.querySelector('#step .controls').seen,
                    same: fresh.querySelector('#step').isEqualNode(step) && freshBody.isEqualNode(body)};
        }""", n)
        assert got["same"], f"step {n}: the panel on screen differs from the server's"
        assert got["touched"] == 0, f"step {n}: a part whose key did not change was rebuilt"
        # new source lines are built anew: updating their text in place re-shapes it piece
        # by piece, far slower than building them
        assert got["prose"] == 0, f"step {n}: a changed source was updated in place"
        assert got["panel"] and got["controls"], f"step {n}: the panel or its controls were rebuilt"
        kept += got["kept"]
        changed += got["changed"]
        built += got["built"]
        total += got["total"]
    # both happen along the way: most inspector sections stay, the lanes and source move
    assert kept > 0 and changed > 0, (kept, changed)
    # replacing each changed part and every element outside the parts whole built 63 % of
    # the panel's elements over these steps; in place 26 % (mostly a new function's source)
    assert built < total * 0.4, (built, total)
    assert not csp_errors, csp_errors


def test_the_timeline_has_one_cursor_at_the_step(page: Page):
    """One rect over every track (moving one per track repainted the whole timeline), drawn
    where the step's virtual time is on the tracks' axis, and moved when the step moves."""
    page.goto("/s/two-clients-one-thread?step=0&detail=all")
    assert page.locator("#timeline .tl-cursor").count() == 1
    seen = "0"
    for _ in range(2):
        page.locator("#ctl-next-request").click()
        expect(page.locator("#step")).not_to_have_attribute("data-step", seen)
        seen = page.locator("#step").get_attribute("data-step")
        t = float(page.locator("#step").get_attribute("data-t"))
        tl = page.locator("#timeline")
        start, span = float(tl.get_attribute("data-start")), float(tl.get_attribute("data-span"))
        track = page.locator('[data-track="main"] .tl-track').bounding_box()
        cursor = page.locator("#tl-cursor").bounding_box()
        want = track["x"] + track["width"] * (t - start) / span
        assert abs(cursor["x"] - want) < 3, (cursor, want)
        rows = page.locator("#timeline .tl-row:not(.tl-axis)")
        top, bottom = rows.first.bounding_box(), rows.last.bounding_box()
        assert cursor["y"] <= top["y"] and cursor["y"] + cursor["height"] >= bottom["y"] + bottom["height"] - 1


def test_the_next_step_is_fetched_while_this_one_is_read(page: Page):
    """The player asks for the next step once this one is painted (before any click), so
    the click that follows can be answered from the browser's cache."""
    page.goto("/s/one-get?step=0&detail=all")
    with page.expect_request(lambda r: r.url.endswith("/s/one-get/step/2?detail=all")):
        page.locator("#ctl-step").click()
        expect(page.locator("#step")).to_have_attribute("data-step", "1")
    page.locator("#ctl-step").click()
    expect(page.locator("#step")).to_have_attribute("data-step", "2")


def test_a_step_fetched_ahead_is_shown_without_a_request(page: Page, csp_errors):
    """Once the next step has been fetched ahead, "Step" shows it from the player's memory:
    no request is made for it, what is on screen is exactly the server's panel, and the
    history entry is replaced as for any step."""
    with page.expect_response(lambda r: r.url.endswith("/s/one-get/step/1?detail=all")):
        page.goto("/s/one-get?step=0&detail=all")  # step 1 is fetched once step 0 is painted
    depth = page.evaluate("history.length")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/step/" in r.url else None)
    page.locator("#ctl-step").click()
    expect(page.locator("#step")).to_have_attribute("data-step", "1")
    expect(page).to_have_url(re.compile(r"/s/one-get\?detail=all&step=1$"))
    assert not any(u.endswith("/step/1?detail=all") for u in asked), asked
    assert page.evaluate("history.length") == depth
    same = page.evaluate("""async () => {
        const html = await (await fetch('/s/one-get/step/1?detail=all')).text();
        const fresh = new DOMParser().parseFromString(html, 'text/html');
        const body = fresh.querySelector('#step-body');
        body.removeAttribute('hx-swap-oob');  // htmx takes it off as it swaps
        return fresh.querySelector('#step').isEqualNode(document.querySelector('#step'))
            && body.isEqualNode(document.querySelector('#step-body'));
    }""")
    assert same
    assert not csp_errors, csp_errors


def test_a_step_whose_fetch_ahead_failed_is_asked_for_on_the_click(page: Page):
    """A failed fetch ahead is not held: the click makes the request, as without it."""
    failed: list[str] = []

    def fail_once(route):
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/s/one-get/step/1?detail=all", fail_once)
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/step/1?detail=all")):
        page.goto("/s/one-get?step=0&detail=all")
    assert failed
    with page.expect_request(lambda r: r.url.endswith("/s/one-get/step/1?detail=all")):
        page.locator("#ctl-step").click()
    expect(page.locator("#step")).to_have_attribute("data-step", "1")


def test_line_numbers_are_one_column_level_with_their_lines(page: Page):
    """The source pane's numbers are one text column beside the lines (not an element per
    line); each number sits level with its line, and the lit line's number in the gap."""
    checked = 0
    for n in (20, 33, 45):
        page.goto(f"/s/one-get?step={n}&detail=all")
        got = page.evaluate("""() => {
            const code = document.querySelector('#step-body .code');
            if (!code || !code.querySelector('.line.lit')) return null;
            const gutter = code.querySelector('.gutter'), lines = code.querySelector('.lines');
            const lit = code.querySelector('.line.lit'), no = lit.querySelector('.no');
            const rows = gutter.textContent.split('\\n');
            const k = rows.indexOf('');
            const g = gutter.getBoundingClientRect(), l = lines.getBoundingClientRect();
            const h = g.height / rows.length;
            return {rows: rows.length, spans: code.querySelectorAll('.no').length, k,
                    first: +rows[0] || +rows[1] - 1, no: +no.textContent,
                    heights: [g.height, l.height], litTop: lit.getBoundingClientRect().top,
                    noBox: no.getBoundingClientRect(), want: g.top + k * h, gutterLeft: g.left,
                    shown: [code.getBoundingClientRect(), lit.getBoundingClientRect()]
                           .map(r => [r.top, r.bottom])};
        }""")
        if got is None:
            continue
        assert got["spans"] == 1  # only the lit line carries its number as an element
        assert got["no"] == got["first"] + got["k"]
        assert abs(got["heights"][0] - got["heights"][1]) < 2, got
        assert abs(got["litTop"] - got["want"]) < 1.5, got
        assert abs(got["noBox"]["top"] - got["litTop"]) < 1.5 and abs(got["noBox"]["x"] - got["gutterLeft"]) < 1.5, got
        box, line = got["shown"]
        assert box[0] <= line[0] and line[1] <= box[1], got  # scrolled into view in its box
        checked += 1
    assert checked >= 2
