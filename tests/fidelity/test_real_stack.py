"""The recorder itself, on the real stack (no simulator involved)."""

from __future__ import annotations

import pytest

from .compare import KEY_CALLS
from .corpus import VARIANTS
from .real_stack import ConsoleCapture, as_app_function, record, syn_retransmission_wait

REQUEST_PATH = [
    "socketserver.BaseServer._handle_request_noblock",
    "socketserver.TCPServer.get_request",
    "socketserver.BaseServer.finish_request",
    "socketserver.StreamRequestHandler.setup",
    "http.server.BaseHTTPRequestHandler.handle_one_request",
    "http.server.BaseHTTPRequestHandler.parse_request",
    "werkzeug.serving.WSGIRequestHandler.run_wsgi",
    "werkzeug.serving.WSGIRequestHandler.make_environ",
    "flask.app.Flask.wsgi_app",
    "flask.app.Flask.full_dispatch_request",
    "flask.app.Flask.dispatch_request",
    "app.index",
    "flask.app.Flask.finalize_request",
    # The context is popped when wsgi_app returns, before execute() writes the body.
    "flask.ctx.RequestContext.pop",
    "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write",
    "socketserver.StreamRequestHandler.finish",
    "socketserver.TCPServer.shutdown_request",
]
# Where each call happens: the accept side in the server loop, the rest in the handler.
ACCEPT_SIDE = REQUEST_PATH[:2]


def plain_get(threaded: bool) -> dict:
    return {
        "format": "wsgiscope/scenario@1",
        "server": {**VARIANTS["wz-t" if threaded else "wz-nt"], "start": "app.run"},
        "app": {"routes": [{"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]},
        "clients": [{"id": "c1", "send": ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]}],
    }


def in_order(expected: list[str], calls: list[str]) -> bool:
    it = iter(calls)
    return all(any(call == want for call in it) for want in expected)


@pytest.mark.parametrize("threaded", [False, True], ids=["wz-nt", "wz-t"])
def test_plain_get_records_the_request_path(threaded: bool) -> None:
    rec = record(plain_get(threaded))
    status = "HTTP/1.1 200 OK\r\n" if threaded else "HTTP/1.0 200 OK\r\n"
    assert rec.clients["c1"].received.startswith(status)
    assert rec.clients["c1"].received.endswith("\r\n\r\nhi")
    assert rec.clients["c1"].end == "eof"
    handler = "thread-1" if threaded else "main"
    assert set(rec.calls) == ({"main", "thread-1"} if threaded else {"main"})
    assert in_order(ACCEPT_SIDE, rec.calls["main"])
    assert in_order(REQUEST_PATH[2:], rec.calls[handler])
    assert "flask.app.Flask.wsgi_app" not in (rec.calls["main"] if threaded else [])
    assert rec.log[-1].line == '127.0.0.1 - - [DATE] "GET / HTTP/1.1" 200 -'
    assert rec.log[-1].actor == handler


def test_request_path_names_are_key_calls() -> None:
    assert {q for q in REQUEST_PATH if not q.startswith("app.")} <= KEY_CALLS


def test_app_functions_profile_under_their_declared_names() -> None:
    def view() -> object:
        def generate() -> object:
            yield "a"

        return generate()

    renamed = as_app_function(view, "stream")
    gen = renamed()
    assert (renamed.__module__, renamed.__qualname__) == ("app", "stream")
    assert renamed.__globals__["__name__"] == "app"
    assert gen.gi_code.co_qualname == "stream.<locals>.generate"
    assert list(gen) == ["a"]


def test_console_capture_groups_prints_and_handle_error_blocks() -> None:
    console = ConsoleCapture(lambda thread: "main")
    for part in [
        "x at [23/Nov/2026 11:22:33]",
        "\n",
        "-" * 40 + "\n",
        "Exception occurred\n",
        "Traceback (most recent call last):\n",
        "  File 'x'\n",
        "OSError\n",
        "-" * 40 + "\n",
    ]:
        console.write(part)
    records = console.records()
    assert [r.line for r in records] == [
        "x at [DATE]",
        "-" * 40 + "\nException occurred\nOSError\n" + "-" * 40,
    ]


def test_legacy_kind_records_werkzeug_016_in_its_own_environment() -> None:
    scenario = plain_get(False)
    scenario["server"] = {"kind": "werkzeug-legacy", "threaded": False, "start": "app.run"}
    rec = record(scenario)
    received = rec.clients["c1"].received
    # 0.16 never speaks HTTP/1.1 and writes Server/Date itself, after the app's headers.
    assert received.startswith("HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n")
    assert "\r\nServer: Werkzeug/0.16.1 Python/3.11" in received
    assert "werkzeug.serving.WSGIRequestHandler.handle_one_request" in rec.calls["main"]
    assert "http.server.BaseHTTPRequestHandler.handle_one_request" not in rec.calls["main"]
    assert rec.log[0].line == ' * Serving Flask app "app" (lazy loading)'


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_forked_children_report_their_calls_and_console(kind: str) -> None:
    scenario = plain_get(False)
    scenario["server"] = {"kind": kind, "threaded": False, "processes": 2, "start": "run_simple"}
    scenario["clients"].append({"id": "c2", "at": 50, "send": ["GET /nope HTTP/1.1\r\n\r\n"]})
    rec = record(scenario)
    assert set(rec.calls) == {"main", "process-1", "process-2"}
    assert in_order(["socketserver.ForkingMixIn.process_request", "socketserver.TCPServer.close_request"] * 2,
                    rec.calls["main"])
    assert "flask.app.Flask.wsgi_app" not in rec.calls["main"]
    path = REQUEST_PATH[2:]
    if kind == "werkzeug-legacy":  # 0.16 overrides handle_one_request (and reads no limit)
        path = [q.replace("http.server.BaseHTTPRequestHandler.handle_one_request",
                          "werkzeug.serving.WSGIRequestHandler.handle_one_request") for q in path]
    assert in_order(path, rec.calls["process-1"])
    assert rec.calls["process-1"][0] == "socketserver.BaseServer.finish_request"
    assert [r.actor for r in rec.log[-2:]] == ["process-1", "process-2"]
    assert rec.log[-1].line.endswith(" 404 -")


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_app_run_with_processes_is_threaded_too_and_refused(kind: str) -> None:
    """``app.run`` sets ``threaded=True`` whatever ``processes`` says, so ``app.run(processes=2)``
    fails in ``make_server``; validation refuses the scenario on ``server`` likewise."""
    import sim

    scenario = plain_get(False)
    scenario["server"] = {"kind": kind, "start": "app.run", "processes": 2}
    # 3.x: "Cannot have a multi-thread and multi-process server."; 0.16: "cannot have a
    # multithreaded and multi process server."
    with pytest.raises(RuntimeError, match=r"(?i)cannot have a multi-?thread(ed)? and multi.process server"):
        record(scenario)
    with pytest.raises(sim.ScenarioError) as refused:
        sim.validate(scenario)
    assert refused.value.field == "server"


def test_a_chunk_counts_from_the_connect_moved_by_whole_syn_retransmissions() -> None:
    # connect() on loopback returns at once, or when a retransmitted SYN (1 s, then 2 s
    # more, ...) got into the backlog; a few ms of load or timer slack move nothing.
    assert syn_retransmission_wait(0.0004) == 0.0
    assert syn_retransmission_wait(0.05) == 0.0
    assert syn_retransmission_wait(1.0112) == 1.0
    assert syn_retransmission_wait(3.03) == 3.0
    assert syn_retransmission_wait(7.2) == 7.0
