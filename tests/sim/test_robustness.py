"""Any scenario the format allows runs to its end: no crash, no endless run.

A seeded generator of messy scenarios (request bytes cut and pasted from valid and invalid
pieces, odd timings, every client ending, small backlogs, both server variants) must give
a trace or a ScenarioError, never another exception.
"""

from __future__ import annotations

import json
import random

import sim

PIECES = [
    "GET", "POST", "HEAD", "OPTIONS", "get", "FOO", " ", "/", "/echo", "/stream", "/ctx",
    "/boom", "/abort", "/static/hello.txt", "/p/a/b", "/u/12345678-1234-1234-1234-123456789abc/1.5",
    "/blocked", "?x=1", "%zz", "%E4%BD%A0", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "\r\n", "\n", "\r",
    "Host: x", "Content-Length: 4", "Content-Length: 999", "Transfer-Encoding: chunked",
    "4\r\nping\r\n", "0\r\n\r\n", "Expect: 100-continue", "Connection: keep-alive",
    "Range: bytes=0-3", "If-None-Match: *", ":", "\x00", "\xff", "ping", "x" * 70_000,
]

APP = {
    "static_files": {"hello.txt": {"text": "hello static\n"}},
    "routes": [
        {"rule": "/", "endpoint": "index", "view": {"text": "hi"}},
        {"rule": "/echo", "methods": ["POST"], "endpoint": "echo", "view": {"echo": True}},
        {"rule": "/stream", "endpoint": "stream", "view": {"stream": ["a", "", "c"]}},
        {"rule": "/ctx", "endpoint": "ctx", "view": {"stream": ["a", "b"], "with_context": True, "interval": 5}},
        {"rule": "/boom", "endpoint": "boom", "view": {"raise": "RuntimeError"}},
        {"rule": "/abort", "endpoint": "abort", "view": {"abort": 418}},
        {"rule": "/p/<path:rest>", "endpoint": "p", "view": {"json": {"rest": "{rest}"}}},
        {"rule": "/u/<uuid:u>/<float:f>", "endpoint": "u", "view": {"json": ["{u}", "{f}"]}},
    ],
    "before_request": [{"name": "guard", "only_path": "/blocked", "returns": {"text": "no", "status": 403}}],
    "after_request": [{"name": "tag", "set_headers": {"X-A": "1"}}],
    "errorhandlers": {"404": {"name": "not_found", "text": "nope"}},
}


def messy_scenario(rng: random.Random) -> dict:
    def request() -> str:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))

    clients = []
    for index in range(rng.randint(1, 4)):
        send: list = [request()]
        send += [{"after": rng.choice([0, 1, 5, 20, 200]), "data": request()} for _ in range(rng.randint(0, 3))]
        client = {"id": f"c{index}", "at": rng.choice([0, 1, 10, 50]), "send": send,
                  "then": rng.choice(["read", "read", "shutdown_write", "close"])}
        if rng.random() < 0.3:
            client["read_timeout"] = rng.choice([1, 50, 500])
        clients.append(client)
    server = {"kind": "werkzeug", "threaded": rng.random() < 0.5, "backlog": rng.choice([0, 1, 128])}
    return {"format": "wsgiscope/scenario@1", "server": server, "app": APP, "clients": clients}


def test_messy_scenarios_run_to_their_end() -> None:
    rng = random.Random(20261123)
    ends = set()
    for _ in range(150):
        scenario = messy_scenario(rng)
        trace = sim.run(scenario)
        json.dumps(trace.to_json())
        trace.state_at(len(trace.steps) - 1)
        ends |= {result.end for result in trace.clients.values()}
    # the generator reaches every way a connection can end but a reset seen by a reader
    assert {"eof", "timeout", "client_closed", "open"} <= ends


def test_a_client_kept_out_of_a_full_backlog_times_out() -> None:
    """listen(0) holds one handshake; c0 holds the only thread without sending, c1 waits in
    the backlog, c2's SYNs are dropped 7 times and connect() gives up."""
    scenario = {
        "format": "wsgiscope/scenario@1",
        "server": {"kind": "werkzeug", "threaded": False, "backlog": 0},
        "app": {"routes": [{"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]},
        "clients": [{"id": f"c{i}", "at": i, "send": [] if i == 0 else ["GET / HTTP/1.0\r\n\r\n"]}
                    for i in range(3)],
    }
    trace = sim.run(scenario)
    assert trace.clients["c2"].end == "timeout"
    assert trace.clients["c1"].end == "open"
    drops = [s for s in trace.steps if s.client == "c2" and s.actor == "kernel"]
    assert len(drops) == 7
    assert trace.steps[-1].t == 2 + 1000 * (2 ** 7 - 1)
