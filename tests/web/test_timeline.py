"""``backend.timeline``: what the timeline draws, on a time axis or a step axis."""

from __future__ import annotations

import itertools
import re

import pytest


def track_rects(html: str, track: str) -> list[tuple[float, float]]:
    """(x, width) in percent of the bars drawn on one track's row, in document order."""
    row = re.search(rf'data-track="{re.escape(track)}">(.*?)</div>', html, re.S)
    assert row, f"no row for {track}"
    return [(float(x), float(w)) for x, w in
            re.findall(r'<rect class="bar [^"]*" x="([\d.]+)%" y="\d+" width="([\d.]+)%"', row[1])]


@pytest.mark.parametrize(("slug", "steps", "server"), [
    ("one-get", 76, "main"), ("not-found", 80, "thread-1"), ("wsgiref-demo", 45, "main"),
    ("chunked-upload-wsgiref", 80, "main")])
def test_a_run_at_one_instant_is_drawn_on_a_step_axis(client, slug: str, steps: int,
                                                      server: str) -> None:
    html = client.get(f"/s/{slug}?step=0").text
    assert 'data-axis="steps"' in html
    assert f"steps 0–{steps - 1}, in order" in html  # the heading says what the axis counts
    assert 'id="tl-axis-note"' in html and ">step 0</text>" in html
    assert " ms</text>" not in html  # no tick claims to be a millisecond
    bars = track_rects(html, server)  # the actor that served the request
    assert len(bars) > 10
    # every activity is at least one step wide, one after the other, in step order
    one_step = 100 / steps
    assert all(w >= one_step - 0.01 for _, w in bars)
    for (x, w), (x_next, _) in itertools.pairwise(bars):
        assert x + w <= x_next + 0.01
    assert bars[-1][0] + bars[-1][1] <= 100.01
    # together they tell the server's part of the run: a good share of the width
    assert sum(w for _, w in bars) > 50


def test_a_run_where_time_matters_keeps_its_milliseconds(client) -> None:
    html = client.get("/s/two-clients-one-thread?step=0").text
    assert 'data-axis="time"' in html and "virtual ms" in html
    assert 'id="tl-axis-note"' not in html and ">600 ms</text>" in html
    # c2 waits in the backlog for 260 of its 620 ms: a wide bar, as long as the wait
    widths = [w for _, w in track_rects(html, "backlog")]
    assert max(widths) == pytest.approx(260 * 100 / 620, abs=0.1)


def test_the_step_axis_in_chinese(client) -> None:
    html = client.get("/s/one-get?step=0&lang=zh").text
    assert "第 0–75 步，按先后顺序" in html and ">第 0 步</text>" in html and "按步数" in html


def test_the_cursor_sits_on_its_step(client) -> None:
    html = client.get("/s/one-get?step=67").text
    x = float(re.search(r'id="tl-cursor" x="([\d.]+)%"', html)[1])
    assert x == pytest.approx(67.5 * 100 / 76, abs=0.01)
