"""``sim.trace``: determinism, the step invariants of the trace@1 contract, ``state_at`` equal
to replaying the deltas (across checkpoints), and captions that render in both languages."""

from __future__ import annotations

import copy
import itertools
import json
import re
import string

import pytest
from simhelpers import gallery, get, scenario

import sim
from sim.captions import CAPTIONS

ROUTES = [
    {"rule": "/", "endpoint": "index", "view": {"text": "hi"}},
    {"rule": "/items/<int:id>", "endpoint": "item", "view": {"json": {"id": "{id}"}}},
    {"rule": "/echo", "methods": ["POST"], "endpoint": "echo", "view": {"echo": True}},
    {"rule": "/boom", "endpoint": "boom", "view": {"raise": "RuntimeError"}},
    {"rule": "/tea", "endpoint": "tea", "view": {"abort": 418}},
    {"rule": "/stream", "endpoint": "stream", "view": {"stream": ["a", "{}", "{0}"]}},
    {"rule": "/dir/", "endpoint": "dir", "view": {"text": "{not a placeholder}"}},
]
APP_EXTRAS = {
    "static_files": {"hello.txt": {"text": "hello\n"}},
    "before_request": [{"name": "guard", "only_path": "/blocked", "returns": {"text": "no", "status": 403}}],
    "after_request": [{"name": "tag", "set_headers": {"X-After": "1"}}],
    "teardown_request": [{"name": "cleanup"}],
    "teardown_appcontext": [{"name": "appctx_cleanup"}],
    "url_value_preprocessors": [{"name": "url_values"}],
    "errorhandlers": {"404": {"name": "not_found", "text": "nothing"}},
    "blueprints": [{"name": "bp", "url_prefix": "/bp", "routes": [{"rule": "/ping", "endpoint": "ping",
                                                                   "view": {"text": "pong"}}]}],
}
POST = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"


def crafted(*sends: str, **top) -> dict:
    doc = scenario(*sends, routes=ROUTES, **top)
    doc["app"].update(APP_EXTRAS)
    return doc


def client(cid: str, *send, **fields) -> dict:
    return {"id": cid, "send": list(send), **fields}


CRAFTED = {
    "every-view": crafted(*(get(p) for p in ["/", "/items/7", "/boom", "/tea", "/stream", "/dir",
                                              "/static/hello.txt", "/blocked", "/bp/ping", "/nowhere"])),
    "errors-before-wsgi": crafted("GET /" + "a" * 70000 + " HTTP/1.1\r\n\r\n", get("/", "HTTP/2.0"),
                                  "GARBAGE\r\n\r\n", "POST /\r\n", "GET /\r\n",
                                  "GET / HTTP/1.1\r\nX: " + "b" * 70000 + "\r\n\r\n", "\r\n"),
    "keep-alive-and-expect": crafted(
        get("/") + get("/items/1") + "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nping"),
    "misbehaving-clients": crafted(clients=[
        client("closer", "GET / HTTP/1.1\r\n", then="close"),
        client("silent", read_timeout=50),
        client("half", POST, {"after": 30, "data": "ping"}, then="shutdown_write"),
        client("unread-body", "POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\nabcdefgh"),
        client("slow", {"after": 700, "data": get("/")}),
        client("stream-quitter", get("/stream"), then="close"),
        client("too-long", "GET /" + "a" * 100_000 + " HTTP/1.1\r\n", {"after": 200, "data": "more"},
               {"after": 10, "data": "again"})]),
    "backlog-overflow": crafted(*[get("/")] * 5, server={"threaded": False, "backlog": 0}),
    "run-simple": crafted(get("/"), server={"start": "run_simple"}),
    "make-server-keep-alive": crafted(get("/") + get("/tea"), server={"start": "make_server"}),
}


def variety() -> dict[str, dict]:
    docs = {name: doc for name, doc in gallery().items()
            if doc.get("server", {}).get("kind", "werkzeug") == "werkzeug"}
    docs.update(CRAFTED)
    return docs


TRACES = {name: sim.run(doc) for name, doc in variety().items()}
#: an unformatted template field such as ``{name!r}`` (not ``{"id": 7}``)
PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*(![rsa])?(:[^}]*)?\}")


def test_same_scenario_same_bytes():
    doc = CRAFTED["misbehaving-clients"]
    first = json.dumps(sim.run(doc).to_json())
    assert json.dumps(sim.run(copy.deepcopy(doc)).to_json()) == first


@pytest.mark.parametrize("name", list(TRACES))
def test_step_invariants(name):
    trace = TRACES[name]
    steps = list(trace.steps)
    assert [s.i for s in steps] == list(range(len(trace.steps)))
    assert all(a.t <= b.t for a, b in itertools.pairwise(steps))
    assert {s.phase for s in steps} <= set(sim.PHASES)
    assert {s.client for s in steps} - {None} <= set(trace.clients)
    assert all(s.qualname is None for s in steps if s.actor == "kernel" or s.actor in trace.clients)
    assert trace.steps[-1] == steps[-1] and trace.steps[1:3] == steps[1:3]


@pytest.mark.parametrize("name", list(TRACES))
def test_captions_render_in_both_languages(name):
    bad = [(s.i, s.caption, s.caption_zh) for s in TRACES[name].steps
           if not s.caption or not s.caption_zh or PLACEHOLDER.search(s.caption) or PLACEHOLDER.search(s.caption_zh)]
    assert not bad, bad[:3]


@pytest.mark.parametrize("key", sorted(CAPTIONS))
def test_caption_templates_agree_on_fields(key):
    english, chinese = CAPTIONS[key]
    fields = [{f for _, f, _, _ in string.Formatter().parse(text) if f is not None} for text in (english, chinese)]
    # {bytes} is {n} with its English plural ("1 byte", "2 bytes"); Chinese counts as {n} 字节
    fields = [{"n" if f == "bytes" else f for f in found} for found in fields]
    assert fields[0] == fields[1]


def replay(steps) -> list[dict]:
    """Every snapshot, rebuilt from the empty one by applying each step's delta (the backlog
    changes one client at a time, ``backlog/<client>``, and shows as a list in queue order)."""
    snapshot = {"backlog": {}, "sockets": {}, "environ": {}, "ctx": {}, "response": {}, "handler": {}}
    out = []
    for s in steps:
        for key, value in s.state.items():
            section, _, item = key.partition("/")
            if not item:
                snapshot[section] = value
            elif value is None:
                snapshot[section].pop(item, None)
            else:
                snapshot[section][item] = value
        out.append(json.loads(json.dumps({**snapshot, "backlog": list(snapshot["backlog"])})))
    return out


BIG = scenario(*[get("/") for _ in range(8)], "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
               *[get("/nowhere") for _ in range(4)], server={"threaded": True})


def test_state_at_equals_replay_across_checkpoints():
    trace = sim.run(BIG)
    assert len(trace.steps) > 600
    expected = replay(trace.steps)
    boundaries = {i + d for i in range(256, len(expected), 256) for d in (-1, 0, 1)}
    for i in sorted(boundaries | set(range(0, len(expected), 13)) | {len(expected) - 1}):
        assert trace.state_at(i) == expected[i], i
    assert trace.state_at(len(expected) - 1) == expected[-1]  # again, from the cache
    with pytest.raises(IndexError):
        trace.state_at(len(expected))


def test_state_at_is_json_and_shows_the_request():
    trace = TRACES["every-view"]
    last = trace.state_at(len(trace.steps) - 1)
    json.dumps(last)
    assert set(last) == {"backlog", "sockets", "environ", "ctx", "response", "handler"}
    assert any(env.get("PATH_INFO") == "/items/7" for env in
               (trace.state_at(i)["environ"].get("c2", {}) for i in range(0, len(trace.steps), 40)))
