"""``sim.layers`` and the step facts the web layer reads instead of guessing: every
function the engine records is in the layer table (and every entry is recorded by some
scenario), declared code says which declaration it runs, requests are numbered per
connection, and the trace names its stack."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from simhelpers import gallery, get, scenario

import sim
from sim.layers import LAYERS, UnknownFunction, layer_of
from sim.trace import Recorder
from tests.fidelity.corpus import load_cases


def every_scenario() -> Iterator[tuple[str, dict]]:
    """The gallery and the fidelity corpus: what the engine is judged on."""
    yield from gallery().items()
    for case in load_cases():
        yield case.id, case.scenario


def implemented(doc: dict) -> bool:
    return sim.STACKS[doc.get("server", {}).get("kind", "werkzeug")].implemented


@pytest.fixture(scope="module")
def traces() -> dict[str, tuple[dict, sim.Trace]]:
    return {name: (doc, sim.run(doc)) for name, doc in every_scenario() if implemented(doc)}


def test_every_recorded_function_has_a_layer_and_every_entry_is_recorded(traces) -> None:
    recorded = {step.qualname for _, trace in traces.values() for step in trace.steps
                if step.qualname and not step.qualname.startswith("app.")}
    assert recorded <= set(LAYERS)
    assert set(LAYERS) - recorded == set(), "table entries no scenario records: add a case or drop them"


def test_an_unknown_function_is_a_clear_error() -> None:
    with pytest.raises(UnknownFunction, match=r"not in sim\.layers\.LAYERS"):
        layer_of("socketserver.BaseServer.no_such_function")


def test_layers_follow_the_actor_and_the_module(traces) -> None:
    for _, trace in traces.values():
        for step in trace.steps:
            if step.actor == "kernel":
                assert step.layer is sim.Layer.KERNEL
            elif step.actor == step.client:
                assert step.layer is sim.Layer.CLIENT
            elif step.qualname and not step.qualname.startswith("app."):
                assert step.layer is LAYERS[step.qualname]


def resolve(doc: dict, pointer: str):
    """RFC 6901."""
    node = doc
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_declared_code_names_its_declaration(traces) -> None:
    seen = set()
    for doc, trace in traces.values():
        for step in trace.steps:
            if step.qualname and step.qualname.startswith("app."):
                assert step.decl, f"{step.qualname} at step {step.i} has no decl"
                declared = resolve(doc, step.decl)
                name = step.qualname.removeprefix("app.").split(".")[0]
                if step.decl.endswith("/view"):  # a route's view is named by the route
                    route = resolve(doc, step.decl.removesuffix("/view"))
                    assert name == route.get("name", route["endpoint"])
                    assert step.layer is sim.Layer.VIEW
                else:
                    assert declared["name"] == name
                    assert step.layer is sim.Layer.FLASK
                seen.add(step.decl.split("/")[2])
            elif step.qualname is None and step.event.startswith("view_"):
                # a sleeping view's return, a step of its own after the sleep
                assert step.decl and step.decl.endswith("/view") and step.layer is sim.Layer.VIEW
            else:
                assert step.decl is None
    # hooks of every kind, views, error handlers, blueprints: all covered by the corpus
    assert {"routes", "before_request", "after_request", "teardown_request", "errorhandlers",
            "teardown_appcontext", "url_value_preprocessors", "blueprints"} <= seen


def test_a_sleeping_view_is_the_view() -> None:
    doc = scenario(get(), routes=[{"rule": "/", "endpoint": "index", "view": {"text": "hi", "sleep": 50}}])
    sleep = next(step for step in sim.run(doc).steps if step.event == "view_sleep")
    assert (sleep.layer, sleep.decl) == (sim.Layer.VIEW, "/app/routes/0/view")


def test_requests_are_numbered_per_connection() -> None:
    class Clock:
        now = 0

    rec = Recorder(Clock(), 100)
    rec.step("c1", "c1", sim.Phase.ACCEPT, None, "client_connect")
    rec.step("main", None, sim.Phase.SELECT, "socketserver.BaseServer.serve_forever", "serve_forever")
    rec.next_request("c1")
    rec.step("thread-1", "c1", sim.Phase.READ, "http.server.BaseHTTPRequestHandler.handle_one_request",
             "handle_one_request")
    rec.step("c2", "c2", sim.Phase.ACCEPT, None, "client_connect")
    rec.step("thread-1", "c1", sim.Phase.READ, None, "read_readline", {"n": 0, "text": b""})
    rows, _ = rec.seal()
    trace = sim.Trace("", sim.StackInfo("werkzeug", {}), rows, {}, [])
    assert [(s.client, s.request) for s in trace.steps] == [("c1", 1), (None, None), ("c1", 2),
                                                            ("c2", 1), ("c1", 2)]
    # a server step without a function stays in its actor's layer
    assert trace.steps[4].layer is sim.Layer.HANDLER


def test_werkzeug_3_closes_after_every_request_it_answers(traces) -> None:
    """Werkzeug 3 sends ``Connection: close`` with every response whose headers go out, so a
    connection gets a second request only after a response that failed before that header
    (a header latin-1 cannot encode: case keepalive_after_header_error, judged on the real
    3.1.9), and no client receives the header twice."""
    kept = set()
    for name, (_, trace) in traces.items():
        if trace.stack.kind != "werkzeug":
            continue
        if any(step.request and step.request > 1 for step in trace.steps):
            kept.add(name)
        for cid, result in trace.clients.items():
            assert result.received.count(b"\r\nConnection: close\r\n") <= 1, (name, cid)
    assert kept == {"keepalive_after_header_error.wz-t"}


def test_werkzeug_016_keeps_a_connection_the_app_says_keep_alive() -> None:
    """0.16 sends ``Connection: close`` only for a body without a length: an app's own
    ``Connection: keep-alive`` makes http.server read a second request on the connection
    (case hop_by_hop_header, judged on the real 0.16)."""
    doc = next(case.scenario for case in load_cases(["hop_by_hop_header"])
               if case.variant == "legacy-nt")
    trace = sim.run(doc)
    assert {step.request for step in trace.steps if step.client} == {1, 2}


def test_the_trace_names_its_stack() -> None:
    trace = sim.run(scenario(get()))
    assert trace.stack == sim.StackInfo("werkzeug", {"python": "3.11.7", "werkzeug": "3.1.9", "flask": "3.1.3"})
    doc = trace.to_json()
    assert doc["stack"] == {"kind": "werkzeug", "versions": {"python": "3.11.7", "werkzeug": "3.1.9",
                                                              "flask": "3.1.3"}}
    first = doc["steps"][0]
    assert {"layer", "request", "decl", "event"} <= set(first)
    json.dumps(doc)  # plain JSON: the enums are strings
    assert all(isinstance(c["end"], str) for c in doc["clients"].values())


def test_a_stack_not_simulated_yet_is_refused_by_name(monkeypatch) -> None:
    """Every kind in the registry is simulated now; the refusal is checked on a registry in
    which wsgiref is still marked as being written."""
    import dataclasses

    import sim.engine
    import sim.scenario

    kind = "wsgiref"
    stacks = {**sim.STACKS, kind: dataclasses.replace(sim.STACKS[kind], implemented=False)}
    monkeypatch.setattr(sim.scenario, "STACKS", stacks)
    monkeypatch.setattr(sim.engine, "STACKS", stacks)
    doc = scenario(get(), server={"kind": kind})
    with pytest.raises(sim.ScenarioError) as err:
        sim.run(doc)
    assert err.value.field == "server.kind"
    assert sim.STACKS[kind].title in err.value.message


@pytest.mark.parametrize("kind", list(sim.STACKS))
def test_a_start_the_stack_does_not_have_is_refused(kind: str) -> None:
    bad = next((s for s in ("app.run", "run_simple", "make_server") if s not in sim.STACKS[kind].starts), None)
    if bad is None:
        assert sim.STACKS[kind].starts == ("app.run", "run_simple", "make_server")
        return
    with pytest.raises(sim.ScenarioError, match="starts only with"):
        sim.validate(scenario(get(), server={"kind": kind, "start": bad}))


def test_registry_defaults_drive_the_scenario() -> None:
    spec = sim.STACKS["werkzeug"]
    trace = sim.run(scenario(get()))
    assert spec.default_start == "app.run" and "app.run" in spec.threaded_starts
    assert any(step.actor.startswith("thread-") for step in trace.steps)
    unthreaded = sim.run(scenario(get(), server={"start": "run_simple"}))
    assert not any(step.actor.startswith("thread-") for step in unthreaded.steps)
