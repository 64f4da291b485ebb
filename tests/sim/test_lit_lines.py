"""Every line fragment the engine lights is on a line of the real function it names.

A step's ``line`` is a fragment of the real source line the source pane lights: the first
line of the installed function's source (``backend.source.function_source``, which reads it
with ``inspect``) that contains it; a fragment that no longer exists silently falls back to
the ``def`` line. The (qualname, fragment) pairs are collected by running every gallery
scenario and every fidelity case (each variant) through ``sim.run``, per stack: a
``werkzeug-legacy`` step is checked against Werkzeug 0.16.1 / Flask 1.1.4 (the pinned
wheels' files, ``backend.source.source_for``).
"""

from __future__ import annotations

import json
from functools import cache

import pytest
from simhelpers import GALLERY

import sim
from backend.source import SourceNotFound, source_for
from tests.fidelity.corpus import load_cases
from tests.fidelity.legacy_env import legacy_python


@cache
def recorded_lines() -> dict[tuple[str, str, str | None], str]:
    """(stack kind, qualname, line) -> the first scenario that records it, for every library step."""
    scenarios = [(path.stem, json.loads(path.read_text())) for path in sorted(GALLERY.glob("*.json"))]
    scenarios += [(case.id, case.scenario) for case in load_cases()]
    if any(case.scenario["server"]["kind"] == "werkzeug-legacy" for case in load_cases()):
        legacy_python()  # the legacy environment holds the 0.16.1 / 1.1.4 files read here
    found: dict[tuple[str, str, str | None], str] = {}
    for name, scenario in scenarios:
        try:
            trace = sim.run(scenario)
        except sim.ScenarioError:
            continue  # a server kind the engine does not simulate yet
        for step in trace.steps:
            if step.qualname and not step.qualname.startswith("app."):
                found.setdefault((trace.stack.kind, step.qualname, step.line), name)
    return found


def lit_index(qualname: str, fragment: str, kind: str = "werkzeug") -> int | None:
    """The index of the line the pane lights for ``fragment``, None if no line has it."""
    src = source_for(qualname, kind)
    needle = fragment.strip()
    return next((n for n, text in enumerate(src.lines) if needle in text), None)


def test_the_collection_covers_the_request_path() -> None:
    qualnames = {q for _, q, _ in recorded_lines()}
    for expected in ("http.server.BaseHTTPRequestHandler.parse_request",
                     "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute",
                     "flask.app.Flask.full_dispatch_request", "flask.ctx.RequestContext.pop",
                     "werkzeug.routing.map.MapAdapter.match"):
        assert expected in qualnames
    assert len(recorded_lines()) >= 60


@pytest.mark.parametrize("kind,qualname,fragment", sorted(recorded_lines(), key=lambda p: (p[0], p[1], p[2] or "")))
def test_fragment_is_in_the_real_function(kind: str, qualname: str, fragment: str | None) -> None:
    origin = recorded_lines()[kind, qualname, fragment]
    try:
        source_for(qualname, kind)
    except SourceNotFound as err:
        pytest.fail(f"{qualname} (from {origin}): {err.reason}")
    if fragment is None:
        return  # the pane lights the def line, which source_for found
    index = lit_index(qualname, fragment, kind)
    assert index is not None, (
        f"{qualname}: {fragment!r} (from {origin}) is on no line of"
        f" the {kind} source, so the pane would light the def line")


def test_a_drifted_fragment_is_caught() -> None:
    # Werkzeug 3.1.9 names the matcher's result `result` (the engine once said `rv`).
    assert lit_index("werkzeug.routing.map.MapAdapter.match",
                     "rv = self.map._matcher.match(domain_part, path_part, method, websocket)") is None
    assert lit_index("werkzeug.routing.map.MapAdapter.match",
                     "result = self.map._matcher.match(domain_part, path_part, method, websocket)") is not None


def test_legacy_lines_are_checked_against_werkzeug_016() -> None:
    # 0.16's handle_one_request reads with no limit; 3.1 has no handle_one_request of its own.
    assert lit_index("werkzeug.serving.WSGIRequestHandler.handle_one_request",
                     "self.raw_requestline = self.rfile.readline()", "werkzeug-legacy") is not None
    assert lit_index("flask.app.Flask.preprocess_request", "for func in funcs:", "werkzeug-legacy") is not None
    assert lit_index("flask.app.Flask.preprocess_request", "for func in funcs:", "werkzeug") is None


def _dispatch_lines(kind: str) -> dict[str, tuple[str, str]]:
    """For a routed GET, an unrouted GET and an automatic OPTIONS on ``kind``: the caption
    event and the lit line of the ``dispatch_request`` step."""
    scenario = {
        "format": "wsgiscope/scenario@1", "title": "dispatch", "server": {"kind": kind},
        "app": {"name": "app", "routes": [{"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]},
        "clients": [{"id": cid, "at": at, "send": [f"{line} HTTP/1.0\r\nHost: x\r\n\r\n"]}
                    for cid, at, line in (("routed", 0, "GET /"), ("unrouted", 10, "GET /nope"),
                                          ("options", 20, "OPTIONS /"))],
    }
    trace = sim.run(scenario)
    return {s.client: (s.event, s.line) for s in trace.steps
            if s.qualname == "flask.app.Flask.dispatch_request"}


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_dispatch_request_lights_the_branch_it_takes(kind: str) -> None:
    """A request whose routing failed never reaches the view line: Flask 3.1.3 and 1.1.4
    both call ``self.raise_routing_exception(req)`` inside ``if req.routing_exception is not
    None``, and an automatic OPTIONS returns ``make_default_options_response()``."""
    if kind == "werkzeug-legacy":
        legacy_python()
    lines = _dispatch_lines(kind)
    src = source_for("flask.app.Flask.dispatch_request", kind).lines

    event, fragment = lines["unrouted"]
    assert event == "dispatch_request_routing_error"
    at = lit_index("flask.app.Flask.dispatch_request", fragment, kind)
    assert at is not None and "raise_routing_exception(req)" in src[at]
    assert "if req.routing_exception is not None:" in src[at - 1]

    event, fragment = lines["options"]
    assert event == "dispatch_request_options"
    at = lit_index("flask.app.Flask.dispatch_request", fragment, kind)
    assert at is not None and "return self.make_default_options_response()" in src[at]

    event, fragment = lines["routed"]
    assert event == "dispatch_request"
    at = lit_index("flask.app.Flask.dispatch_request", fragment, kind)
    assert at is not None and "view_functions[rule.endpoint]" in src[at]
    assert at == max(n for n, text in enumerate(src) if text.strip()), "the view call is the last line"


def test_the_unrouted_caption_names_no_view() -> None:
    trace = sim.run(json.loads((GALLERY / "05-not-found.json").read_text()))
    step = next(s for s in trace.steps if s.qualname == "flask.app.Flask.dispatch_request")
    assert "calls the view" not in step.caption
    assert "raise_routing_exception" in step.caption and "404 NotFound" in step.caption
    assert "raise_routing_exception" in step.caption_zh
