"""The gallery's lessons as a newcomer meets them: stepping through "Key steps", the step
where a lesson happens is one of them, and its caption says what happens there, truly.

Found by walking the gallery scenarios of the common questions (the silent socket, the
leftover body, 100-continue, a generator that outlives its request) in the player."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

import sim
from backend.services import ROOT

GALLERY = sorted((ROOT / "gallery").glob("*.json"))


def _trace(name: str) -> dict:
    scenario = json.loads((ROOT / "gallery" / f"{name}.json").read_text(encoding="utf-8"))
    return sim.run(scenario).to_json()


def _key_steps(name: str) -> set[int]:
    scenario = json.loads((ROOT / "gallery" / f"{name}.json").read_text(encoding="utf-8"))
    return set(sim.timeline(sim.run(scenario)).key_steps)


def _shown_caption(client, slug: str, n: int, lang: str = "en") -> str:
    html = client.get(f"/s/{slug}?step={n}&lang={lang}").text
    return unescape(re.search(r'<p class="caption-text" lang="\w+">([^<]*)</p>', html)[1])


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_no_caption_says_the_body_is_unsent_after_body_bytes_went_out(path):
    """"before any body byte is sent" is Flask's first pop of the request context; a pop
    after the body's chunks (stream_with_context's) must not say it."""
    trace = sim.run(json.loads(path.read_text(encoding="utf-8"))).to_json()
    sent: set[str] = set()
    for step in trace["steps"]:
        if step["event"] == "write_body" or (step["event"] == "write_headers"
                                             and " 0 bytes of body" not in step["caption"]):
            sent.add(step["client"])
        if step["client"] in sent:
            assert "before any body byte" not in step["caption"], (path.stem, step["i"])
            assert "一个字节都还没发送" not in step["caption_zh"], (path.stem, step["i"])


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_no_caption_ends_on_a_colon_with_nothing_after_it(path):
    """A caption that shows what was read ("readline returns 0 bytes: ") must not end on
    its colon when nothing was read."""
    trace = sim.run(json.loads(path.read_text(encoding="utf-8"))).to_json()
    for step in trace["steps"]:
        assert not step["caption"].rstrip().endswith(":"), (path.stem, step["i"], step["caption"])
        assert not step["caption_zh"].rstrip().endswith(("：", ":")), (path.stem, step["i"])


def test_the_silent_socket_shows_where_the_server_finds_c1_gone(client):
    """Lesson 1: c1 closes at 3000 ms having sent nothing; the server finds out when its
    readline returns nothing. That read is a key step, and says so."""
    trace = _trace("16-silent-socket")
    reads = [s for s in trace["steps"] if s["client"] == "c1" and s["phase"] == "read"
             and s["actor"] != "c1" and s["qualname"] is None]
    assert len(reads) == 1 and reads[0]["t"] == 3000
    n = reads[0]["i"]
    assert n in _key_steps("16-silent-socket")
    caption = _shown_caption(client, "silent-socket", n)
    assert "b''" in caption and "closed its end without sending a request line" in caption
    assert "b''" in _shown_caption(client, "silent-socket", n, "zh")


def test_run_wsgi_says_it_sends_its_own_100_continue(client):
    """Lesson 6: http.server sends 100 Continue while parsing, and run_wsgi sends another
    before the app runs; the second is run_wsgi's key step, and its caption says so."""
    trace = _trace("18-expect-100-continue")
    runs = [s for s in trace["steps"] if s["phase"] == "run_wsgi"
            and s["qualname"] == "werkzeug.serving.WSGIRequestHandler.run_wsgi"]
    assert len(runs) == 1 and runs[0]["i"] in _key_steps("18-expect-100-continue")
    caption = _shown_caption(client, "expect-100-continue", runs[0]["i"])
    assert "100 Continue" in caption and "before the app runs" in caption
    assert "100 Continue" in _shown_caption(client, "expect-100-continue", runs[0]["i"], "zh")
    # a request without Expect: run_wsgi sends nothing of its own
    plain = _trace("01-one-get")
    run = next(s for s in plain["steps"] if s["qualname"] == runs[0]["qualname"])
    assert "100 Continue" not in run["caption"]


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_run_wsgi_sends_100_continue_on_both_werkzeugs_one_thread_too(kind):
    """Without threads (HTTP/1.0) http.server sends none, and run_wsgi's is the only one."""
    scenario = json.loads((ROOT / "gallery" / "18-expect-100-continue.json").read_text(encoding="utf-8"))
    scenario["server"] = {"kind": kind, "threaded": False}
    trace = sim.run(scenario).to_json()
    runs = [s for s in trace["steps"] if s["event"].startswith("run_wsgi")]
    assert len(runs) == 1 and "100 Continue" in runs[0]["caption"]
    assert not any(s["event"] == "handle_expect_100" for s in trace["steps"])
    assert trace["clients"]["c1"]["received"].count("100 Continue") == 1


def test_a_generator_outliving_its_request_is_told_at_its_second_teardown(client):
    """Lesson 7: with stream_with_context the request context is popped twice: once by
    wsgi_app before any body byte, once when the generator ends, after the body. Both are
    key steps, and the second says whose pop it is."""
    trace = _trace("19-stream-with-context")
    pops = [s for s in trace["steps"] if s["qualname"] == "flask.ctx.RequestContext.pop"]
    assert len(pops) == 2
    key = _key_steps("19-stream-with-context")
    assert {p["i"] for p in pops} <= key
    first, second = (_shown_caption(client, "stream-with-context", p["i"]) for p in pops)
    assert "before any body byte" in first
    assert "stream_with_context" in second and "second time" in second
    assert "stream_with_context" in _shown_caption(client, "stream-with-context", pops[1]["i"], "zh")


def test_the_silent_socket_is_compared_with_its_threaded_twin(client):
    """Lesson 1 is two runs: without threads c2 waits for silent c1 to give up; threaded
    (app.run's default) c2 is answered at once. The one thread's run links the other."""
    html = client.get("/s/silent-socket?step=0").text
    assert 'data-compare="silent-socket-threaded"' in html
    assert 'data-compare="silent-socket"' in client.get("/s/silent-socket-threaded?step=0").text
    threaded = _trace("29-silent-socket-threaded")
    c2_answered = next(s["t"] for s in threaded["steps"] if s["client"] == "c2"
                       and s["event"] == "client_recv")
    c1_closed = next(s["t"] for s in threaded["steps"] if s["client"] == "c1"
                     and s["event"] == "client_close")
    assert c2_answered < 100 < c1_closed == 3000
    assert threaded["clients"]["c2"]["received"].startswith("HTTP/1.1 200 OK")
    one = _trace("16-silent-socket")
    assert next(s["t"] for s in one["steps"] if s["client"] == "c2"
                and s["event"] == "client_recv") >= 3000
    zh = client.get("/s/silent-socket-threaded?step=0&lang=zh").text
    assert "c2 有自己的线程" in zh


@pytest.mark.parametrize(("threaded", "says", "never"), [
    (None, "defaults threaded=True", "passed"),
    (False, "threaded=False is passed", "defaults threaded=False"),
    (True, "threaded=True is passed", "defaults threaded=True"),
])
@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_app_run_says_threads_are_its_default(kind, threaded, says, never):
    """Lesson 1: app.run has been threaded by default since Flask 1.0 (setdefault("threaded",
    True)). A run that passes threaded=False must not read as if False were the default."""
    scenario = json.loads((ROOT / "gallery" / "01-one-get.json").read_text(encoding="utf-8"))
    scenario["server"] = {"kind": kind} | ({} if threaded is None else {"threaded": threaded})
    run = next(s for s in sim.run(scenario).steps if s.qualname == "flask.app.Flask.run")
    assert says in run.caption and never not in run.caption
    assert "True" in run.caption_zh  # its default, in Chinese too


def test_handle_request_without_a_timeout_says_so():
    """Lesson 16 (one and done): server.timeout None is no timeout, not "timeout: None s"."""
    trace = _trace("26-one-and-done")
    (step,) = [s for s in trace["steps"] if s["qualname"] == "socketserver.BaseServer.handle_request"]
    assert "None s" not in step["caption"] and "no timeout" in step["caption"]
    assert "None 秒" not in step["caption_zh"] and "没有超时" in step["caption_zh"]
    scenario = json.loads((ROOT / "gallery" / "26-one-and-done.json").read_text(encoding="utf-8"))
    scenario["server"]["timeout"] = 2.5
    (step,) = [s for s in sim.run(scenario).steps if s.qualname == "socketserver.BaseServer.handle_request"]
    assert "timeout: 2.5 s" in step.caption


def test_a_hang_up_mid_stream_shows_the_write_that_fails(client):
    """Lesson 8: the client resets at 450 ms; the server's next write (the second chunk, at
    600 ms) fails. That key step says so, not "write() sends 1 byte more of the body", and
    the drain's read of nothing after it discards nothing."""
    trace = _trace("20-hang-up-mid-stream")
    writes = [s for s in trace["steps"] if s["qualname"] == "werkzeug.serving.WSGIRequestHandler"
              ".run_wsgi.<locals>.write"]
    assert [s["t"] for s in writes] == [300, 600]
    fails = writes[1]
    assert fails["i"] in _key_steps("20-hang-up-mid-stream")
    caption = _shown_caption(client, "hang-up-mid-stream", fails["i"])
    assert "fails" in caption and "RST" in caption and "sends 1 byte more" not in caption
    assert "失败" in _shown_caption(client, "hang-up-mid-stream", fails["i"], "zh")
    drain = next(s for s in trace["steps"] if s["i"] > fails["i"] and s["phase"] == "read")
    assert "discards 0 bytes" not in drain["caption"] and "nothing to discard" in drain["caption"]
    assert "0 字节" in drain["caption_zh"]
    # the chunk that did go out is still "sent"
    assert "sends" in writes[0]["caption"]


def test_wsgiref_says_its_writes_as_bytes_and_the_one_that_fails():
    """wsgiref's writes counted "1 bytes", "1 more bytes", and its write into a reset
    connection read as if it sent."""
    from tests.fidelity.corpus import load_cases

    (case,) = load_cases(["wsgiref_hangup_mid_stream"])
    steps = sim.run(case.scenario).to_json()["steps"]
    writes = [s for s in steps if s["qualname"] == "wsgiref.handlers.BaseHandler.write"]
    assert [s["t"] for s in writes] == [300, 600]
    assert "(1 byte)" in writes[0]["caption"] and "1 bytes" not in writes[0]["caption"]
    assert "fails" in writes[1]["caption"] and "RST" in writes[1]["caption"]
    assert "1 more bytes" not in writes[1]["caption"] and "失败" in writes[1]["caption_zh"]


def test_wsgiref_says_whether_it_sets_a_content_length():
    """wsgiref's set_content_length read "a one-piece body gets its length (None)" for a
    streamed body: it now says which of the two it does."""
    from tests.fidelity.corpus import load_cases

    (case,) = load_cases(["wsgiref_hangup_mid_stream"])
    steps = sim.run(case.scenario).to_json()["steps"]
    (step,) = [s for s in steps if s["event"].startswith("wsgiref_set_content_length")]
    assert "None" not in step["caption"] and "close" in step["caption"]
    assert "None" not in step["caption_zh"]
    one = sim.run(json.loads((ROOT / "gallery" / "14-wsgiref-demo.json").read_text(encoding="utf-8")))
    (step,) = [s for s in one.steps if s.event.startswith("wsgiref_set_content_length")]
    assert "Content-Length" in step.caption and "None" not in step.caption
    length = next(line for line in one.clients["c1"].received.split(b"\r\n")
                  if line.startswith(b"Content-Length: "))
    assert length.removeprefix(b"Content-Length: ").decode() in step.caption


def test_the_leftover_body_says_why_werkzeug_closes(client):
    """Lesson 3: Werkzeug answers Connection: close because http.server cannot skip a body
    the view left unread before the next request line. The answer's first write, where
    Connection: close goes out, says so; a request with no body left unread does not."""
    trace = sim.run(json.loads((ROOT / "gallery" / "17-leftover-body.json").read_text(encoding="utf-8")))
    moments = [m for m in sim.timeline(trace).moments if m.kind is sim.MomentKind.KEEP_ALIVE_OFF]
    assert len(moments) == 1
    step = trace.steps[moments[0].i]
    assert step.event == "write_headers" and b"Connection: close" in trace.clients["c1"].received
    html = client.get(f"/s/leftover-body?step={step.i}").text
    assert "Connection: close" in html and "cannot skip a body" in html
    assert "Connection: close" in client.get(f"/s/leftover-body?step={step.i}&lang=zh").text
    for name in ("01-one-get", "11-post-with-body", "24-hop-by-hop"):
        other = sim.run(json.loads((ROOT / "gallery" / f"{name}.json").read_text(encoding="utf-8")))
        assert not [m for m in sim.timeline(other).moments if m.kind is sim.MomentKind.KEEP_ALIVE_OFF]


def test_keep_alive_off_is_werkzeug_3s_rule_only():
    """Werkzeug 0.16 sends Connection: close only with an answer of unknown length: its
    stream to a request with an unread body is no case of "every Werkzeug answer"."""
    scenario = json.loads((ROOT / "gallery" / "17-leftover-body.json").read_text(encoding="utf-8"))
    scenario["app"]["routes"] = [{**r, "view": {"stream": ["a", "b"]}} for r in scenario["app"]["routes"]]
    for kind, expected in (("werkzeug", 1), ("werkzeug-legacy", 0)):
        scenario["server"] = {"kind": kind, "threaded": True}
        trace = sim.run(scenario)
        assert b"Connection: close" in trace.clients["c1"].received, kind
        moments = [m for m in sim.timeline(trace).moments if m.kind is sim.MomentKind.KEEP_ALIVE_OFF]
        assert len(moments) == expected, kind


def _shown_why(client, slug: str, n: int, lang: str = "en") -> str:
    html = client.get(f"/s/{slug}?step={n}&lang={lang}").text
    found = re.search(r'<p class="moment"[^>]*>(.*?)</p>', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found[1])) if found else ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_promised_body_says_why_the_view_stops_waiting_with_a_400(client, lang):
    """Lesson 2: the view blocks reading a body that never comes; c1 gives up at 2000 ms.
    Stepping through "Key steps" the next thing shown was start_response storing "400 BAD
    REQUEST" with no word of where it came from (ClientDisconnected, raised when the blocked
    read meets end of file, is folded away with handle_user_exception), and the "why" of
    c1's close said the server finds out "only when it next reads or writes", though its
    one thread was reading that socket. A key step between them says it."""
    trace = _trace("21-promised-body")
    keys = sorted(_key_steps("21-promised-body"))
    gave_up = next(s["i"] for s in trace["steps"] if s["actor"] == "c1" and s["phase"] == "close")
    status = next(s["i"] for s in trace["steps"] if s["i"] > gave_up
                  and "400 BAD REQUEST" in s["caption"] and s["i"] in keys)
    caught = next(s for s in trace["steps"] if s["qualname"] == "flask.app.Flask.handle_user_exception")
    assert gave_up < caught["i"] < status and caught["i"] in keys
    shown = [_shown_caption(client, "promised-body", n, lang) + " " + _shown_why(client, "promised-body", n, lang)
             for n in keys if gave_up <= n < status]
    told = [text for text in shown if "ClientDisconnected" in text and "400" in text]
    assert told, shown
    assert ("at once" if lang == "en" else "立刻") in told[0]
    # the close's own words no longer say the reading thread learns of it later
    assert "only when it next reads" not in _shown_why(client, "promised-body", gave_up, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_one_and_done_does_not_promise_c2_an_accept(client, lang):
    """Lesson 16: handle_request() serves c1 and the script ends; c2, queued at 10 ms, is
    never accepted but reset. The "why" of c2's wait in the backlog said the only thread
    "will not call accept() again until it has finished" with c1, a promise this run never
    keeps (nor says otherwise until the process exits). It says only what holds in every
    run without threads: no accept() while the thread is busy."""
    trace = _trace("26-one-and-done")
    queued = next(s["i"] for s in trace["steps"] if s["client"] == "c2" and s["actor"] == "kernel")
    assert queued in _key_steps("26-one-and-done")
    assert not any(s["actor"] == "MainThread" and s["client"] == "c2" for s in trace["steps"])
    why = _shown_why(client, "one-and-done", queued, lang)
    assert "c2" in why and "c1" in why
    if lang == "en":
        assert "until it has finished" not in why and "while it is, no accept()" in why
    else:
        assert "处理完之前不会再调用" not in why and "它忙着的时候" in why


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_hang_up_says_the_rest_of_the_stream_is_never_made(client, lang):
    """Lesson 8: a stopped stream is not run to the end; closing it is the server's job.
    The key step where the server closes the generator said only that close() throws
    GeneratorExit into it, not what that means for the chunks still to come."""
    trace = _trace("20-hang-up-mid-stream")
    made = [s for s in trace["steps"] if s["event"] == "generate_chunk"]
    closed = next(s for s in trace["steps"] if s["event"] == "generate_close")
    assert closed["i"] in _key_steps("20-hang-up-mid-stream")
    scenario = json.loads((ROOT / "gallery" / "20-hang-up-mid-stream.json").read_text(encoding="utf-8"))
    declared = scenario["app"]["routes"][0]["view"]["stream"]
    assert len(made) < len(declared) and all(s["i"] < closed["i"] for s in made)
    caption = _shown_caption(client, "hang-up-mid-stream", closed["i"], lang)
    assert "GeneratorExit" in caption
    assert ("never made" in caption) if lang == "en" else ("永远不会产生" in caption)


def test_a_wsgiref_run_stops_at_its_app_and_its_answer_in_key_steps():
    """Lesson 16 in "Key steps": after parse_request the walk jumped to close_request,
    over the whole WSGI call (wsgiref's run, demo_app, start_response, the first write that
    puts the answer on the wire): the run the lesson is about was not shown."""
    trace = _trace("26-one-and-done")
    keys = _key_steps("26-one-and-done")
    shown = {s["event"] for s in trace["steps"] if s["i"] in keys}
    assert {"wsgiref_run", "demo_app", "wsgiref_start_response", "wsgiref_write_first"} <= shown


def test_the_drain_wait_is_a_key_step_that_says_why():
    """Lesson 3 (the leftover body): after the answer the clock jumped 10 ms with no step,
    then the server closed; the body sent later met a closed socket. The wait is
    execute's drain, select(timeout=0.01): a key step says what it waits for and why."""
    trace = _trace("17-leftover-body")
    waits = [s for s in trace["steps"] if s["event"] == "drain_select_timeout"]
    assert len(waits) == 1 and waits[0]["i"] in _key_steps("17-leftover-body")
    closed = next(s for s in trace["steps"] if s["event"] == "close_request")
    answered = max(s["t"] for s in trace["steps"] if s["event"] == "end_headers")
    assert waits[0]["t"] == answered + 10 and waits[0]["i"] < closed["i"]
    assert "10 ms" in waits[0]["caption"] and "reset" in waits[0]["caption"]
