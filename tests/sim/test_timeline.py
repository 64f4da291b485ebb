"""``sim.timeline``: tracks per actor, request waterfalls, key moments, key steps."""

from __future__ import annotations

import threading

import pytest
from simhelpers import gallery, get, scenario

import sim
from sim.captions import CAPTIONS
from sim.timeline import ACTIVITY, KEY_EVENTS, Activity, MomentKind, TrackKind


def run_gallery(name: str) -> tuple[dict, sim.Trace, sim.Timeline]:
    doc = gallery()[name]
    trace = sim.run(doc)
    return doc, trace, sim.timeline(trace)


def test_every_event_has_an_activity_and_every_key_event_exists() -> None:
    assert set(ACTIVITY) == set(CAPTIONS)
    assert set(KEY_EVENTS) <= set(CAPTIONS)


def test_thread_names_are_what_python_names_the_workers() -> None:
    class Server:  # the target ThreadingMixIn.process_request passes
        def process_request_thread(self) -> None: ...

    real = threading.Thread(target=Server().process_request_thread).name  # "Thread-N (...)"
    number = real.split(" ")[0].removeprefix("Thread-")
    assert sim.thread_name(f"thread-{number}") == real
    assert sim.thread_name("main") == threading.main_thread().name == "MainThread"


@pytest.mark.parametrize("name", sorted(n for n, d in gallery().items()
                                        if sim.STACKS[d["server"].get("kind", "werkzeug")].implemented))
# (every gallery/*.json is valid; gallery/pending/ holds those waiting for a field)
def test_bars_tile_each_track_in_time_order(name: str) -> None:
    _, trace, tl = run_gallery(name)
    assert tl.end == trace.steps[len(trace.steps) - 1].t
    for track in tl.tracks:
        if track.kind is TrackKind.BACKLOG:
            continue
        prev_end = None
        for bar in track.bars:
            assert bar.start <= bar.end <= tl.end
            assert bar.first <= bar.last
            if prev_end is not None:
                assert bar.start >= prev_end
            prev_end = bar.end
    # every server step lies in a bar of its actor's track
    server = {t.id: t for t in tl.tracks if t.kind in (TrackKind.LOOP, TrackKind.THREAD)}
    for step in trace.steps:
        if step.actor in server:
            assert any(b.first <= step.i <= b.last for b in server[step.actor].bars), step
    assert set(tl.key_steps) >= {m.i for m in tl.moments}
    assert len(tl.key_steps) < len(trace.steps)


def test_one_thread_queues_the_second_client_behind_the_first() -> None:
    _, _, tl = run_gallery("02-two-clients-one-thread")
    tracks = {t.id: t for t in tl.tracks}
    assert [t.label for t in tl.tracks if t.kind is TrackKind.LOOP] == ["MainThread"]
    assert not [t for t in tl.tracks if t.kind is TrackKind.THREAD]
    c2 = next(r for r in tl.requests if r.client == "c2")
    assert c2.queued_behind == ("c1",)
    assert c2.duration("queued") >= 250  # c1's 300 ms view, minus c2's 50 ms later start
    assert c2.latency >= 550
    assert [m.client for m in tl.moments if m.kind is MomentKind.QUEUED_BUSY] == ["c2"]
    backlog = tracks["backlog"].bars
    assert [(b.client, b.end - b.start >= 250) for b in backlog] == [("c1", False), ("c2", True)]
    assert any(b.activity is Activity.QUEUED and b.end - b.start >= 250 for b in tracks["c2"].bars)
    sleeping = [b for b in tracks["main"].bars if b.activity is Activity.SLEEPING]
    assert [(b.client, b.end - b.start) for b in sleeping] == [("c1", 300), ("c2", 300)]


def test_threaded_server_serves_the_second_client_at_once() -> None:
    _, _, tl = run_gallery("03-two-clients-threaded")
    labels = [t.label for t in tl.tracks if t.kind is TrackKind.THREAD]
    assert labels == ["Thread-1 (process_request_thread)", "Thread-2 (process_request_thread)"]
    c2 = next(r for r in tl.requests if r.client == "c2")
    assert c2.duration("queued") <= 1 and c2.queued_behind == ()
    assert c2.latency < 400
    assert not [m for m in tl.moments if m.kind is MomentKind.QUEUED_BUSY]
    started = [(m.client, m.other) for m in tl.moments if m.kind is MomentKind.THREAD_STARTED]
    assert started == [("c1", "thread-1"), ("c2", "thread-2")]
    # both views sleep at the same time
    sleeps = [b for t in tl.tracks for b in t.bars if b.activity is Activity.SLEEPING]
    assert len(sleeps) == 2 and sleeps[1].start < sleeps[0].end


def test_a_sleeping_view_sleeps_before_it_returns() -> None:
    _, trace, _ = run_gallery("02-two-clients-one-thread")
    events = [s.event for s in trace.steps if s.layer is sim.Layer.VIEW and s.client == "c1"]
    assert events == ["view_sleep", "view_text"]
    sleep, ret = [s for s in trace.steps if s.layer is sim.Layer.VIEW and s.client == "c1"]
    assert ret.t - sleep.t == 300


def test_guard_skips_the_view() -> None:
    _, _, tl = run_gallery("07-before-request-guard")
    (req,) = tl.requests
    assert req.view_skipped and req.status == 403
    kinds = [m.kind for m in tl.moments]
    assert MomentKind.VIEW_SKIPPED in kinds and MomentKind.TEARDOWN in kinds


def test_a_view_that_runs_is_not_skipped() -> None:
    _, _, tl = run_gallery("01-one-get")
    assert not any(r.view_skipped for r in tl.requests)
    assert MomentKind.VIEW_SKIPPED not in [m.kind for m in tl.moments]


def test_414_is_answered_before_any_wsgi_code() -> None:
    _, trace, tl = run_gallery("10-long-request-line")
    (moment,) = [m for m in tl.moments if m.kind is MomentKind.ANSWERED_BEFORE_WSGI]
    assert trace.steps[moment.i].event == "send_error"
    (req,) = tl.requests
    assert req.status == 414 and [s.kind for s in req.segments] == ["queued", "reading", "sending"]
    assert req.duration("reading") == 40  # the 64 KiB line arrives in pieces 5 ms apart


def test_a_stream_marks_its_first_chunk_and_sends_over_time() -> None:
    _, trace, tl = run_gallery("09-streamed-response")
    (first,) = [m for m in tl.moments if m.kind is MomentKind.FIRST_CHUNK]
    assert trace.steps[first.i].event == "write_headers" and first.t == 200
    teardown = next(m for m in tl.moments if m.kind is MomentKind.TEARDOWN)
    assert teardown.i < first.i  # teardown ran before any chunk went out
    recv = [s.t for s in trace.steps if s.event == "client_recv"]
    assert recv == [200, 400, 600]


def test_a_client_that_gives_up_is_a_moment() -> None:
    doc = scenario(get(), routes=[{"rule": "/", "endpoint": "index",
                                   "view": {"text": "hi", "sleep": 500}}])
    doc["clients"][0]["read_timeout"] = 100
    tl = sim.timeline(sim.run(doc))
    assert [m.client for m in tl.moments if m.kind is MomentKind.CLIENT_GAVE_UP] == ["c1"]
    (req,) = tl.requests
    assert req.end_kind == "timeout"


def test_key_steps_fold_startup_and_boilerplate() -> None:
    _, trace, tl = run_gallery("01-one-get")
    events = [trace.steps[i].event for i in tl.key_steps]
    assert "flask_init" in events and "add_url_rule" not in events
    assert {"parse_request", "run_wsgi", "view_text", "write_headers"} <= set(events)
    assert "reqctx_init" not in events and "appctx_push" not in events
    assert len(tl.key_steps) * 2 < len(trace.steps)


def test_plural_bytes_in_captions() -> None:
    _, trace, _ = run_gallery("09-streamed-response")
    captions = [s.caption for s in trace.steps]
    assert any("then 1 byte of body" in c for c in captions)
    assert not any(" 1 bytes" in c for c in captions)


def test_every_moment_kind_has_a_caption_in_both_languages() -> None:
    from sim.captions import MOMENTS

    assert set(MOMENTS) == {k.value for k in MomentKind}
    _, _, tl = run_gallery("02-two-clients-one-thread")
    queued = next(m for m in tl.moments if m.kind is MomentKind.QUEUED_BUSY)
    english, chinese = sim.moment_caption(queued)
    assert "c2" in english and "busy with c1" in english and "c1" in chinese
