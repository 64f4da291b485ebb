"""``backend.timeline``: what the timeline draws, on a time axis or a step axis."""

from __future__ import annotations

import itertools
import json
import re

import pytest

from backend.services import ROOT

GALLERY = ROOT / "gallery"


def _last_step(name: str) -> int:
    import sim

    return len(sim.run(json.loads((GALLERY / f"{name}.json").read_text(encoding="utf-8"))).steps) - 1


def track_rects(html: str, track: str) -> list[tuple[float, float]]:
    """(x, width) in percent of the bars drawn on one track's row, in document order."""
    row = re.search(rf'data-track="{re.escape(track)}">(.*?)</div>', html, re.S)
    assert row, f"no row for {track}"
    return [(float(x), float(w)) for x, w in
            re.findall(r'<rect class="bar [^"]*" x="([\d.]+)%" y="\d+" width="([\d.]+)%"', row[1])]


@pytest.mark.parametrize(("slug", "steps", "server"), [
    ("one-get", 77, "main"), ("not-found", 81, "thread-1"), ("wsgiref-demo", 45, "main"),
    ("hop-by-hop-wsgiref", 82, "main")])
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


def x_of_ms(html: str, track: str, ms: float) -> list[float]:
    span = float(re.search(r'data-span="([\d.]+)"', html)[1])
    return [x for x, _ in track_rects(html, track) if x == pytest.approx(ms * 100 / span, abs=0.01)]


@pytest.mark.parametrize("slug", ["same-requests-wsgiref", "chunked-upload-wsgiref"])
def test_a_run_compared_with_runs_in_ms_is_drawn_in_ms_too(client, slug: str) -> None:
    """wsgiref answers c2 at once, before its last chunk: on its own a step axis, but a
    newcomer reads it against Werkzeug's run in ms, where c2 takes 100 ms or more. On
    steps, c2's bar would be as wide as Werkzeug's and the difference would vanish."""
    html = client.get(f"/s/{slug}?step=0").text
    assert 'data-axis="time"' in html and "virtual ms" in html
    assert "like the runs it is compared with" in html  # and it says why
    assert "steps 0–" not in html and ">step 0</text>" not in html
    assert " ms</text>" in html
    # the waterfall below draws the same axis
    assert "in steps</small>" not in html


def test_the_compared_runs_share_the_unit_of_their_axis(client) -> None:
    """Gallery 33 and 35: c2 is at 600 ms on both rows (it connects at 600 ms)."""
    werkzeug = client.get("/s/same-requests-werkzeug?step=0").text
    wsgiref = client.get("/s/same-requests-wsgiref?step=0").text
    for html in (werkzeug, wsgiref):
        assert 'data-axis="time"' in html
        assert x_of_ms(html, "c2", 600), "c2's first bar is not at 600 ms"
    # on Werkzeug c2 is busy from 600 to 710 ms; on wsgiref nothing it does takes time
    assert max(w for _, w in track_rects(werkzeug, "c2")) > 10
    assert max(w for _, w in track_rects(wsgiref, "c2")) < 1


def test_a_compared_run_whose_clock_never_moves_keeps_steps_and_says_why(client) -> None:
    """The stdlib's demo_app (gallery 14) is compared with a run in ms, but its clock
    stands at 0 ms: there is no time to draw."""
    html = client.get("/s/wsgiref-demo?step=0").text
    assert 'data-axis="steps"' in html
    assert "The runs it is compared with are drawn in virtual ms" in html
    # a clock that never moves is said so, not "moves only from 0 to 0 ms"
    assert "the clock stays at 0 ms the whole run" in html and "from 0 to 0 ms" not in html
    assert "时钟一直停在 0 毫秒" in client.get("/s/wsgiref-demo?step=0&lang=zh").text


def test_the_same_scenario_saved_as_a_link_keeps_its_own_axis(client) -> None:
    """A link of one's own is compared with nothing: the engine's choice stands."""
    scenario = json.loads((GALLERY / "35-same-requests-wsgiref.json").read_text(encoding="utf-8"))
    r = client.post("/run", data={"scenario": json.dumps(scenario)}, follow_redirects=True)
    assert r.status_code == 200
    assert 'data-axis="steps"' in r.text and "like the runs it is compared with" not in r.text


def test_the_step_axis_in_chinese(client) -> None:
    html = client.get("/s/one-get?step=0&lang=zh").text
    last = _last_step("01-one-get")
    assert f"第 0–{last} 步，按先后顺序" in html and ">第 0 步</text>" in html and "按步数" in html


def test_the_cursor_sits_on_its_step(client) -> None:
    html = client.get("/s/one-get?step=67").text
    x = float(re.search(r'id="tl-cursor" x="([\d.]+)%"', html)[1])
    assert x == pytest.approx(67.5 * 100 / (_last_step("01-one-get") + 1), abs=0.01)


def client_row(html: str, client: str) -> str:
    row = re.search(rf'data-track="{client}">(.*?)</div>', html, re.S)
    assert row, f"no row for {client}"
    return row[1]


def test_a_chunked_stream_and_one_ended_by_the_close_look_different(client) -> None:
    """Gallery 09 and 15 have the same bars; the marks on the client's track, the legend
    and the line under the timeline are where they differ."""
    chunked = client.get("/s/streamed-response?step=0").text
    row = client_row(chunked, "c1")
    assert row.count('class="tl-mark mk-chunk"') == 2 and row.count('class="tl-mark mk-last_chunk"') == 1
    assert ">chunk</text>" in row and ">0 = end</text>" in row and "mk-close_ends_body" not in row
    assert "the 0-size chunk: the body is complete" in chunked  # the legend
    # a phone has room for the first and the last word only: the others are marked to hide
    words = re.findall(r'<text class="tl-mark-word ([^"]*)"', row)
    assert words == ["mk-chunk", "mk-chunk mid", "mk-last_chunk"]
    assert "the body came in chunks, and the 0-size chunk ended it" in chunked

    closed = client.get("/s/legacy-stream?step=0").text
    row = client_row(closed, "c1")
    assert "mk-chunk" not in row and "mk-last_chunk" not in row
    assert row.count('class="tl-mark mk-unframed"') == 2  # the third shares its place with EOF
    assert row.count('class="tl-mark mk-close_ends_body"') == 1 and ">EOF = end</text>" in row
    assert "only the server closing the connection ended it" in closed
    # the marks are drawn where the reads happened: at 200, 400 and 600 of 600 ms
    xs = [float(x) for x in re.findall(r'<rect class="tl-mark [^"]*" x="([\d.]+)%"', row)]
    assert xs == pytest.approx([200 / 6, 400 / 6, 100], abs=0.01)


def test_a_run_without_such_a_body_has_no_marks(client) -> None:
    html = client.get("/s/two-clients-threaded?step=0").text
    assert "tl-mark" not in html and "mk-sw" not in html


def test_body_marks_in_chinese(client) -> None:
    html = client.get("/s/legacy-stream?step=0&lang=zh").text
    assert ">EOF=结束</text>" in html and "只有服务器关闭连接才标志着它结束" in html


def test_a_client_that_hangs_up_is_said_to_hang_up(client) -> None:
    html = client.get("/s/hang-up-mid-stream?step=0").text
    assert "hung up before reading any answer" in html and "got no answer" not in html
    assert "The client hangs up: it closes its socket with 188 bytes of the answer unread" in html
    assert "The client sends nothing: an empty send puts no byte on the wire." in html
    assert "sends 0 bytes" not in html
    zh = client.get("/s/hang-up-mid-stream?step=0&lang=zh").text
    assert "还没读到任何响应就挂断了" in zh and "客户端挂断了" in zh and "已挂断" in zh


def track_labels(html: str) -> list[str]:
    return re.findall(r'<span class="tl-label" title="[^"]*"><b>([^<]*)</b>', html)


@pytest.mark.parametrize(("slug", "lang", "names"), [
    ("two-processes", "en", ["parent: MainThread", "child 1: MainThread", "child 1: Thread-1 (inner)"]),
    ("two-processes", "zh", ["父进程：MainThread", "子进程 1：MainThread", "子进程 1：Thread-1 (inner)"]),
    ("forking-children", "zh", ["MainThread", "子进程 1 (os.fork)", "子进程 2 (os.fork)", "子进程 3 (os.fork)"]),
])
def test_process_tracks_say_which_process_first_in_the_pages_language(client, slug, lang, names) -> None:
    """The process a thread runs in is words (Chinese in Chinese mode), and comes first: a
    phone cuts labels short, and "MainThread, re…" twice told nothing apart."""
    labels = track_labels(client.get(f"/s/{slug}?step=0&lang={lang}").text)
    assert labels[-len(names):] == names


def test_a_reload_says_why_a_client_waited_and_why_one_got_nothing(client) -> None:
    html = client.get("/s/reload-on-save?step=0").text
    # c3 comes while child 1 has exited and child 2 is starting
    assert html.count("waited 100 ms in the listen backlog: no reloader child was serving the socket yet") == 2
    assert "the view slept 500 ms" in html
    assert "the reloader&#39;s child serving it exited mid-request (a saved file)" in html
    zh = client.get("/s/reload-on-save?step=0&lang=zh").text
    assert "重载器服务它的子进程在请求中途退出" in zh and "还没有重载器子进程在服务这个 socket" in zh


def test_a_view_waiting_for_the_body_says_so(client) -> None:
    assert "the view waited 100 ms in read() for the request body" in client.get(
        "/s/same-requests-legacy?step=0").text
    wsgiref = client.get("/s/same-requests-wsgiref?step=0").text
    assert "in read() for the request body" not in wsgiref
    assert "the server did not de-chunk its chunked body: the view read none of it" in wsgiref
    assert "视图在 read() 里等请求体等了 100 毫秒" in client.get(
        "/s/same-requests-werkzeug?step=0&lang=zh").text


def test_what_begins_at_the_runs_last_instant_is_drawn_inside_it(client) -> None:
    """Gallery 32 ends at 1300 ms, when child 2 starts and serves c3 at once: its tracks'
    bars and the key moment of its start sit at the right edge, not past it (invisible)."""
    html = client.get("/s/reload-on-save?step=0").text
    for track in ("child-2", "child-2/thread-1"):
        bars = track_rects(html, track)
        assert bars and all(x >= 99 and x + w <= 100.001 for x, w in bars), (track, bars)
    row = re.search(r'data-track="child-2">(.*?)</div>', html, re.S)[1]
    assert re.search(r'<rect class="tl-moment mo-module_runs_again" x="99.5%"', row)
    # elsewhere nothing moves: c1's wait still begins at 0
    assert track_rects(html, "c1")[0][0] == 0


def test_the_step_axis_note_does_not_deny_the_drain_wait(client) -> None:
    """A Werkzeug 3 run on a step axis still spends 10 ms per request in the drain's select()
    after the answer ("c1: took 10 ms" under the note): the note said the clock never moved
    "while a request is served"; it moves after the answer, never before it."""
    html = client.get("/s/leftover-body?step=0").text
    assert 'data-axis="steps"' in html and "took 10 ms" in html
    assert "while a request is served" not in html
    assert "before it is answered" in html and "queued, read or in the app" in html
