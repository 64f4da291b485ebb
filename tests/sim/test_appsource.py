"""``sim.app_source``: the declared app as Python is the app the judge runs.

For every scenario of the gallery and the fidelity corpus, the generated module is run
under the real Flask and compared with the app the fidelity harness builds from the same
declaration (``tests/fidelity/real_stack.build_flask_app``): the same URL map, the same
hooks and error handlers in the same places, and, request by request, the same answer.
So the code a person reads in the player is the code whose behaviour the real stack
judged; and each declaration's place in it (``spans``) is where its function is.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from simhelpers import gallery

import sim
from sim import scenario as sim_scenario
from tests.fidelity.corpus import load_cases
from tests.fidelity.real_stack import build_flask_app

_counter = itertools.count()


def flask_scenarios() -> list[tuple[str, dict]]:
    found = list(gallery().items())
    found += [(case.id, case.scenario) for case in load_cases() if case.variant == "wz-t"]
    return [(name, doc) for name, doc in found
            if doc.get("app", {}).get("kind", "flask") == "flask"]


SCENARIOS = flask_scenarios()


def load_generated(text: str, root: Path, doc: dict) -> Any:
    """Import the generated module as ``root/app.py``, with the static files as the engine
    serves them (UTF-8 text, the declared or default mtime) in ``root/static``."""
    static = root / "static"
    static.mkdir(parents=True)
    for rel, spec in sim_scenario.load(doc).app.static_files.items():
        path = static / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(spec.text.encode())
        os.utime(path, (spec.mtime, spec.mtime))
    (root / "app.py").write_text(text, encoding="utf-8")
    name = f"wsgiscope_generated_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, root / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module.app


def url_map(app: Any) -> list[tuple]:
    return sorted((r.rule, r.endpoint, tuple(sorted(r.methods)), r.strict_slashes)
                  for r in app.url_map.iter_rules())


def hooks(app: Any) -> dict[str, Any]:
    def names(funcs: dict) -> dict:
        return {key: [f.__name__.rstrip("_") for f in value] for key, value in funcs.items() if value}

    return {
        "before": names(app.before_request_funcs),
        "after": names(app.after_request_funcs),
        "teardown": names(app.teardown_request_funcs),
        "url_value": names(app.url_value_preprocessors),
        "appctx": [f.__name__ for f in app.teardown_appcontext_funcs],
        "errors": {bp: {code: sorted(f.__name__ for f in by_class.values())
                        for code, by_class in codes.items() if by_class}
                   for bp, codes in app.error_handler_spec.items()},
    }


def requests_of(doc: dict) -> list[tuple[str, str]]:
    """(method, path) of every request line the clients send, and of every route's rule
    with sample values: what to ask both apps."""
    asked = set()
    for client in doc.get("clients", []):
        data = "".join(c if isinstance(c, str) else c["data"] for c in client.get("send", []))
        for match in re.finditer(r"(?m)^([A-Z]+) (/\S*) HTTP/1\.[01]\r?$", data):
            asked.add((match[1], match[2]))
    rules = [r["rule"] for r in doc.get("app", {}).get("routes", [])]
    for bp in doc.get("app", {}).get("blueprints", []):
        rules += [bp.get("url_prefix", "").rstrip("/") + "/" + r["rule"].lstrip("/") for r in bp.get("routes", [])]
    for rule in rules:
        path = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: "7" if m[1] in ("int", "float") else "x", rule)
        for method in ("GET", "POST", "HEAD", "OPTIONS"):
            asked.add((method, path))
    return sorted(asked)


def answer(app: Any, method: str, path: str) -> tuple:
    client = app.test_client()
    try:
        response = client.open(path, method=method, data=b"ping")
        # a body Werkzeug cannot join (a json list of lists under a mimetype) fails here
        body = response.get_data()
    except BaseException as err:  # a view that raises SystemExit: compare what escaped
        return ("raised", type(err).__name__)
    # ETag depends on the file's path, Date on the clock: neither is the app's doing.
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("ETag", "Date"))
    return (response.status, headers, body)


@pytest.fixture(autouse=True)
def no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Views sleep; the answers do not depend on it."""
    import time

    monkeypatch.setattr(time, "sleep", lambda seconds: None)


@pytest.mark.parametrize(("name", "doc"), SCENARIOS, ids=[name for name, _ in SCENARIOS])
def test_generated_app_answers_as_the_judged_app(name: str, doc: dict, tmp_path: Path) -> None:
    source = sim.app_source(doc)
    assert source is not None
    app_decl = doc.get("app", {})
    judged = build_flask_app(app_decl, tmp_path / "judged")
    generated = load_generated(source.text, tmp_path / "generated", doc)
    assert url_map(generated) == url_map(judged)
    assert hooks(generated) == hooks(judged)
    for method, path in requests_of(doc):
        assert answer(generated, method, path) == answer(judged, method, path), (method, path)


@pytest.mark.parametrize(("name", "doc"), SCENARIOS[:40], ids=[name for name, _ in SCENARIOS[:40]])
def test_every_declaration_is_where_its_span_says(name: str, doc: dict) -> None:
    source = sim.app_source(doc)
    tree = ast.parse(source.text)
    functions = {node.lineno: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    decorated = {min(d.lineno for d in node.decorator_list): node
                 for node in functions.values() if node.decorator_list}
    assert len(source.spans) == len(decorated)
    for span in source.spans.values():
        node = functions[span.def_line]
        assert decorated[span.start] is node
        assert node.end_lineno == span.end
    for (pointer, _event), line in source.marks.items():
        span = source.spans[pointer]
        assert span.def_line < line <= span.end


def test_steps_light_their_declaration() -> None:
    doc = next(d for n, d in SCENARIOS if n.startswith("09-"))
    source = sim.app_source(doc)
    trace = sim.run(doc)
    lines = source.lines
    for step in trace.steps:
        if step.decl:
            line = lines[source.line_for(step.decl, step.event) - 1]
            if step.event == "generate_chunk":
                assert line.strip() == "yield chunk"
            elif step.event.startswith("view_") and step.event != "view_sleep":
                assert line.strip().startswith("return ")  # the view's step is its return


def test_names_python_cannot_take_and_names_flask_uses() -> None:
    doc = {"format": "wsgiscope/scenario@1", "app": {
        "routes": [{"rule": "/a", "endpoint": "a", "name": "request", "view": {"echo": True}},
                   {"rule": "/b", "endpoint": "b", "name": "class", "view": {"text": "k"}},
                   {"rule": "/c/<int:time>", "endpoint": "c", "name": "time",
                    "view": {"json": {"t": "{time}"}, "sleep": 5}}],
        "blueprints": [{"name": "app", "routes": [{"rule": "/d", "endpoint": "d", "view": {"text": "d"}}]}]}}
    source = sim.app_source(doc)
    compile(source.text, "app.py", "exec")
    assert "from flask import Blueprint, Flask, request as flask_request" in source.text
    assert "return flask_request.get_data()" in source.text
    assert "def class_():" in source.text
    assert "import time as time_module" in source.text


def test_demo_app_has_no_generated_source() -> None:
    doc = {"format": "wsgiscope/scenario@1", "server": {"kind": "wsgiref"}, "app": {"kind": "demo_app"}}
    assert sim.app_source(doc) is None
