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


#: Each gallery scenario's lesson, as the moment where it happens on screen.
LESSON_MOMENTS = {
    "01-one-get": MomentKind.ANSWER_BEGINS,
    "02-two-clients-one-thread": MomentKind.QUEUED_BUSY,
    "03-two-clients-threaded": MomentKind.THREAD_STARTED,
    "04-slow-client": MomentKind.QUEUED_BUSY,
    "05-not-found": MomentKind.NOT_FOUND,
    "06-method-not-allowed": MomentKind.METHOD_NOT_ALLOWED,
    "07-before-request-guard": MomentKind.VIEW_SKIPPED,
    "08-view-raises": MomentKind.VIEW_RAISED,
    "09-streamed-response": MomentKind.CHUNKED_RESPONSE,
    "10-long-request-line": MomentKind.ANSWERED_BEFORE_WSGI,
    "11-post-with-body": MomentKind.BODY_WAIT,
    "12-blueprints": MomentKind.HOOKS_REVERSED,
    "13-head-and-options": MomentKind.HEAD_NO_BODY,
    "14-wsgiref-demo": MomentKind.ONE_PER_CONNECTION,
    "15-legacy-stream": MomentKind.END_BY_CLOSE,
    "16-silent-socket": MomentKind.QUEUED_BUSY,
    "29-silent-socket-threaded": MomentKind.THREAD_STARTED,
    "17-leftover-body": MomentKind.LEFTOVER_BODY,
    "18-expect-100-continue": MomentKind.CONTINUE_SENT,
    "19-stream-with-context": MomentKind.CONTEXT_PUSHED_AGAIN,
    "20-hang-up-mid-stream": MomentKind.CONNECTION_DROPPED,
    "21-promised-body": MomentKind.BODY_WAIT,
    "22-chunked-upload": MomentKind.CHUNKED_UPLOAD_READ,
    "23-stream-one-thread": MomentKind.END_BY_CLOSE,
    "24-hop-by-hop": MomentKind.HOP_BY_HOP_PASSED,
    "25-hop-by-hop-wsgiref": MomentKind.HOP_BY_HOP_REFUSED,
    "26-one-and-done": MomentKind.PROCESS_EXITED,
    "28-chunked-upload-wsgiref": MomentKind.CHUNKED_UPLOAD_LOST,
    "30-legacy-no-414": MomentKind.LINE_NOT_LIMITED,
    "27-two-processes": MomentKind.MODULE_RUNS_AGAIN,
    "31-forking-children": MomentKind.CHILDREN_FULL,
    "32-reload-on-save": MomentKind.RELOADED,
    "33-same-requests-werkzeug": MomentKind.CHUNKED_UPLOAD_READ,
    "34-same-requests-legacy": MomentKind.CHUNKED_UPLOAD_READ,
    "35-same-requests-wsgiref": MomentKind.CHUNKED_UPLOAD_LOST,
}


def test_every_gallery_scenario_has_a_lesson_moment() -> None:
    assert set(LESSON_MOMENTS) == {n for n, d in gallery().items()
                                   if sim.STACKS[d["server"].get("kind", "werkzeug")].implemented}


@pytest.mark.parametrize("name,kind", sorted(LESSON_MOMENTS.items()))
def test_the_lesson_is_a_key_moment(name: str, kind: MomentKind) -> None:
    _, _, tl = run_gallery(name)
    found = [m for m in tl.moments if m.kind is kind]
    assert found, f"{name}: no {kind.value} among {[m.kind.value for m in tl.moments]}"
    for m in found:
        assert m.i in tl.key_steps
        english, chinese = sim.moment_caption(m)
        assert "{" not in english and "{" not in chinese and english != chinese


def test_error_moments_name_the_facts_of_the_answer() -> None:
    _, trace, tl = run_gallery("06-method-not-allowed")
    (moment,) = [m for m in tl.moments if m.kind is MomentKind.METHOD_NOT_ALLOWED]
    assert trace.steps[moment.i].qualname == "flask.app.Flask.dispatch_request"
    allow = next(line for line in trace.clients["c1"].received.split(b"\r\n")
                 if line.startswith(b"Allow: "))
    assert moment.detail == allow.removeprefix(b"Allow: ").decode()
    assert not [m for m in tl.moments if m.kind is MomentKind.NOT_FOUND]

    _, trace, tl = run_gallery("13-head-and-options")
    (head,) = [m for m in tl.moments if m.kind is MomentKind.HEAD_NO_BODY]
    assert head.client == "c1" and trace.clients["c1"].received.endswith(b"\r\n\r\n")
    assert head.detail == "20"  # Content-Length of the body the GET view made
    (options,) = [m for m in tl.moments if m.kind is MomentKind.OPTIONS_AUTOMATIC]
    assert options.client == "c2" and not any(
        s.layer is sim.Layer.VIEW for s in trace.steps if s.client == "c2")

    _, trace, tl = run_gallery("08-view-raises")
    (raised,) = [m for m in tl.moments if m.kind is MomentKind.VIEW_RAISED]
    assert raised.detail == "RuntimeError" and trace.clients["c1"].received.startswith(b"HTTP/1.1 500")


def test_a_stream_is_framed_by_the_protocol_the_server_speaks() -> None:
    # the same view: chunked on the threaded (HTTP/1.1) server, ended by close on one thread
    kinds = {name: {m.kind for m in run_gallery(name)[2].moments}
             for name in ("09-streamed-response", "23-stream-one-thread", "15-legacy-stream")}
    assert MomentKind.CHUNKED_RESPONSE in kinds["09-streamed-response"]
    assert MomentKind.END_BY_CLOSE not in kinds["09-streamed-response"]
    for name in ("23-stream-one-thread", "15-legacy-stream"):
        assert MomentKind.END_BY_CLOSE in kinds[name] and MomentKind.CHUNKED_RESPONSE not in kinds[name]


def test_response_heads_skip_interim_answers_and_bodies() -> None:
    from sim.timeline import response_heads

    raw = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nhi"
           b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"
           b"HTTP/1.0 404 NOT FOUND\r\nConnection: a\r\nConnection: b\r\n\r\nrest HTTP/1.1 200 OK\r\n\r\n")
    heads = response_heads(raw)
    assert [(h.version, h.status) for h in heads] == [("HTTP/1.1", 200), ("HTTP/1.1", 200),
                                                       ("HTTP/1.0", 404)]
    assert heads[0].first("x-a") == "1" and heads[2].headers["connection"] == ["a", "b"]


def test_a_queued_client_waits_for_the_loop_not_for_other_workers() -> None:
    # forking: children serve c1 and c2; c3 waits because the loop sits in waitpid
    _, _, tl = run_gallery("31-forking-children")
    c3 = next(r for r in tl.requests if r.client == "c3")
    assert c3.duration("queued") == 100 and c3.queued_behind == () and c3.queued_for_waitpid
    assert not [m for m in tl.moments if m.kind is MomentKind.QUEUED_BUSY]
    # one thread: the loop itself serves c1 while c2 waits
    _, _, tl = run_gallery("02-two-clients-one-thread")
    c2 = next(r for r in tl.requests if r.client == "c2")
    assert c2.queued_behind == ("c1",) and not c2.queued_for_waitpid


def test_with_the_reloader_a_client_waits_for_a_child_to_serve() -> None:
    """Only a reloader child accepts: a connection that comes while none serves (the first
    starting, or the next after a save) waits in the parent's backlog, and says why."""
    _, _, tl = run_gallery("27-two-processes")
    c1, c2 = tl.requests
    assert c1.duration("queued") == 200 and c1.queued_for_child and c1.queued_behind == ()
    assert c2.duration("queued") == 0 and not c2.queued_for_child
    _, _, tl = run_gallery("32-reload-on-save")
    c1, c2, c3 = tl.requests
    # c3 comes at 1200 ms: child 1 exited at 1100, child 2 serves from 1300
    assert (c3.start, c3.duration("queued"), c3.queued_for_child) == (1200, 100, True)
    assert not c2.queued_for_child and not c3.server_exited


def test_a_request_cut_off_by_a_reload_spent_its_time_in_the_view() -> None:
    """c2's view sleeps from 600 ms; the save stops child 1 at 1100 ms: those 500 ms were
    the view's (not 0 ms anywhere), and the request ended because its process did."""
    _, trace, tl = run_gallery("32-reload-on-save")
    c2 = next(r for r in tl.requests if r.client == "c2")
    exit_t = next(s.t for s in trace.steps if s.event == "reloader_child_exit")
    assert exit_t == 1100 and c2.server_exited and c2.status is None
    assert c2.slept == 500 and c2.duration("app") == 500 and c2.latency == 500


def test_a_request_ends_when_its_client_has_the_answer_or_leaves() -> None:
    # c1 reads EOF at 10 ms; its second request, sent at 100 ms into the closed socket, is no wait
    _, trace, tl = run_gallery("17-leftover-body")
    (r,) = tl.requests
    eof = next(s for s in trace.steps if s.event == "client_eof")
    assert r.end == eof.t == 10 and r.last == eof.i
    # the client that hangs up mid-stream is done when it leaves, not when the server notices
    _, trace, tl = run_gallery("20-hang-up-mid-stream")
    (r,) = tl.requests
    assert r.end == next(s.t for s in trace.steps if s.event == "client_hang_up") == 450


@pytest.mark.parametrize(("name", "axis"), [
    ("01-one-get", sim.Axis.STEPS), ("05-not-found", sim.Axis.STEPS), ("14-wsgiref-demo", sim.Axis.STEPS),
    ("28-chunked-upload-wsgiref", sim.Axis.STEPS),
    # time is the lesson: the backlog wait, the sleeping view, a stream's chunks
    ("02-two-clients-one-thread", sim.Axis.TIME), ("04-slow-client", sim.Axis.TIME),
    ("09-streamed-response", sim.Axis.TIME), ("15-legacy-stream", sim.Axis.TIME)])
def test_a_run_whose_clock_stands_still_counts_steps(name: str, axis: sim.Axis) -> None:
    _, trace, tl = run_gallery(name)
    assert tl.axis is axis
    assert tl.steps == len(trace.steps)


def test_the_axis_follows_the_time_requests_take() -> None:
    from sim.timeline import Segment, axis_for

    def req(*segments: Segment) -> sim.RequestTimes:
        r = sim.RequestTimes("c1", 1, 0, 0, 10, 9)
        r.segments.extend(segments)
        return r

    # all at one instant, or only the drain's 10 ms after the answer: steps
    assert axis_for([], 0, 0) is sim.Axis.STEPS
    assert axis_for([req(Segment("app", 0, 0, 3, 5), Segment("sending", 0, 10, 5, 9))], 0, 10) \
        is sim.Axis.STEPS
    # any wait in the backlog, for the request to arrive, or in the app: time
    for kind in ("queued", "reading", "app"):
        assert axis_for([req(Segment(kind, 0, 1, 3, 5))], 0, 10) is sim.Axis.TIME
    assert axis_for([], 0, 5) is sim.Axis.TIME  # nothing was served, but the clock moved


@pytest.mark.parametrize("name", ["01-one-get", "05-not-found", "14-wsgiref-demo", "03-two-clients-threaded"])
def test_bars_and_segments_end_at_the_step_where_the_next_begins(name: str) -> None:
    _, trace, tl = run_gallery(name)
    for track in tl.tracks:
        by_row: dict[int, list[sim.Bar]] = {}
        for bar in track.bars:
            by_row.setdefault(bar.row, []).append(bar)
        for bars in by_row.values():
            for bar, after in zip(bars, [*bars[1:], None], strict=True):
                assert bar.first <= bar.last <= bar.until <= tl.steps, bar
                # its steps lie before its end, but for one where the actor's activity
                # changes within the step (closing, then back in select()): the next
                # bar begins at that very step
                assert bar.last < bar.until or (after is not None and after.first == bar.last), bar
                if after is not None:
                    assert bar.until <= after.first
    server = [t for t in tl.tracks if t.kind in (TrackKind.LOOP, TrackKind.THREAD)]
    # a loop that runs to the end of the run ends at the last step
    assert any(t.bars[-1].until == len(trace.steps) for t in server)
    for r in tl.requests:
        for s, after in zip(r.segments, [*r.segments[1:], None], strict=True):
            assert s.first <= s.until <= r.last + 1
            if after is not None:
                assert s.until <= after.first


def test_a_chunked_stream_and_a_stream_ended_by_the_close_read_differently() -> None:
    """Gallery 09 and 15 send the same chunks at the same times; the client's reads
    are where they differ: each chunk says where it ends, and a 0-size one ends the
    body, or bytes come with no framing and only the EOF ends them."""
    kinds = {name: [(m.t, m.kind) for m in run_gallery(name)[2].body_marks]
             for name in ("09-streamed-response", "15-legacy-stream", "01-one-get")}
    K = sim.BodyMarkKind
    assert kinds["09-streamed-response"] == [(200, K.CHUNK), (400, K.CHUNK), (600, K.LAST_CHUNK)]
    assert kinds["15-legacy-stream"] == [(200, K.UNFRAMED), (400, K.UNFRAMED), (600, K.UNFRAMED),
                                         (600, K.CLOSE_ENDS_BODY)]
    assert kinds["01-one-get"] == []  # Content-Length: nothing to mark
    (*_, last) = run_gallery("09-streamed-response")[2].body_marks
    assert last.data == b"c"  # the chunk's bytes, not its framing


def test_the_body_reader_reads_as_a_client_does() -> None:
    from sim.timeline import BodyMarkKind as K
    from sim.timeline import _BodyReader

    reader = _BodyReader()
    # an interim answer has no body; the chunked head and a size line split across reads
    assert reader.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n") == ([], b"")
    assert reader.feed(b"Transfer-Encoding: chunked\r\n\r\n1") == ([], b"")
    assert reader.feed(b"0\r\n0123456789abcdef\r\n") == ([K.CHUNK], b"0123456789abcdef")
    assert reader.feed(b"0\r\n\r\n") == ([K.LAST_CHUNK], b"")
    # then an answer with a length: its body is no mark
    assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == ([], b"")
    plain = _BodyReader()
    assert plain.feed(b"HTTP/1.0 200 OK\r\n\r\nab") == ([K.UNFRAMED], b"ab")


def test_a_client_that_hangs_up_is_told_as_a_hang_up() -> None:
    """Gallery 20's client waits 450 ms (an empty chunk) and closes with the answer
    unread: a hang-up that sends RST, not a send of 0 bytes."""
    _, trace, tl = run_gallery("20-hang-up-mid-stream")
    c1 = [s for s in trace.steps if s.actor == "c1"]
    events = [s.event for s in c1]
    assert "client_send_nothing" in events and "client_close" not in events
    hang_up = next(s for s in c1 if s.event == "client_hang_up")
    assert hang_up.t == 450
    unread = trace.clients["c1"].received  # what it read: nothing
    assert unread == b""
    assert "hangs up" in hang_up.caption and "RST" in hang_up.caption and "0 bytes" not in hang_up.caption
    assert "挂断" in hang_up.caption_zh
    assert any(m.kind is MomentKind.CLIENT_GAVE_UP and m.i == hang_up.i for m in tl.moments)
    # the server learns of it at its next write: the connection is dropped
    assert any(m.kind is MomentKind.CONNECTION_DROPPED for m in tl.moments)
    # a close with nothing unread is a plain close (FIN)
    _, silent, _ = run_gallery("16-silent-socket")
    assert [s.event for s in silent.steps if s.actor == "c1"][-2:] == ["client_send_nothing",
                                                                       "client_close"]
    # no gallery run tells of a send of 0 bytes any more
    for name in gallery():
        trace = sim.run(gallery()[name])
        assert not any(s.event == "client_send" and "sends 0 bytes" in s.caption
                       for s in trace.steps), name


@pytest.mark.parametrize(("name", "client", "t"), [
    ("35-same-requests-wsgiref", "c2", 700), ("17-leftover-body", "c1", 100),
    ("28-chunked-upload-wsgiref", "c1", 100)])
def test_bytes_sent_after_the_server_closed_are_not_said_to_wait_for_it(name, client, t) -> None:
    """wsgiref answers c2 before its last chunk comes and closes: those bytes are never read
    (the server's kernel answers RST); the caption must not say they wait to be read."""
    _, trace, tl = run_gallery(name)
    closed = next(s.i for s in trace.steps if s.event == "close_request" and s.client == client)
    late = [s for s in trace.steps if s.actor == client and s.i > closed and s.event.startswith("client_send")]
    assert [(s.event, s.t) for s in late] == [("client_send_unread", t)]
    assert "nobody will read them" in late[0].caption and "until the server reads" not in late[0].caption
    # after it the client waits for nothing: no "waiting for the answer" bar
    track = next(tr for tr in tl.tracks if tr.id == client)
    assert all(b.activity is not Activity.WAITING for b in track.bars if b.first >= late[0].i)


@pytest.mark.parametrize(("name", "client", "waited"), [
    ("33-same-requests-werkzeug", "c2", 100), ("34-same-requests-legacy", "c2", 100),
    ("35-same-requests-wsgiref", "c2", 0), ("11-post-with-body", "c1", 100),
    ("21-promised-body", "c1", 2000), ("01-one-get", "c1", 0)])
def test_the_time_a_view_waits_for_the_body_is_counted(name, client, waited) -> None:
    """Both Werkzeugs de-chunk c2's upload, so the view waits for its last chunk (100 ms
    later); wsgiref reads nothing and answers at once: the difference between 33-35."""
    _, _, tl = run_gallery(name)
    r = next(r for r in tl.requests if r.client == client)
    assert r.body_wait == waited
    assert r.body_wait <= r.duration("app")
    # only wsgiref loses the chunked body (it does not de-chunk): the view read nothing
    assert r.body_lost == (name == "35-same-requests-wsgiref")


@pytest.mark.parametrize(("name", "client", "span"), [
    ("33-same-requests-werkzeug", "c2", (600, 700)), ("04-slow-client", "c1", (0, 2000)),
    ("11-post-with-body", "c1", (0, 100))])
def test_a_client_with_more_to_send_is_not_waiting_for_the_answer(name, client, span) -> None:
    """c2 of gallery 33 sends its headers and first chunk at 600 ms and the last chunk at
    700: in between it is still sending its request, not waiting for an answer."""
    _, _, tl = run_gallery(name)
    bars = next(t for t in tl.tracks if t.id == client).bars
    sending = [(b.start, b.end) for b in bars if b.activity is Activity.SENDING]
    assert sending == [span]
    waiting = [b for b in bars if b.activity is Activity.WAITING]
    assert all(b.start >= span[1] for b in waiting)


def test_a_client_that_sent_everything_waits_for_the_answer() -> None:
    _, _, tl = run_gallery("02-two-clients-one-thread")
    for track in (t for t in tl.tracks if t.kind is TrackKind.CLIENT):
        assert not [b for b in track.bars if b.activity is Activity.SENDING]
        assert [b for b in track.bars if b.activity is Activity.WAITING]
