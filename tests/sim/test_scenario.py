"""``sim.scenario``: every bad document raises one ScenarioError naming the field, with a
readable message; ``x-`` fields pass; limits; the JSON Schema."""

from __future__ import annotations

import copy
import json
import re

import pytest
from simhelpers import gallery

import sim
from sim.scenario import MAX_CLIENTS, MAX_SEND_BYTES

BASE = {
    "format": "wsgiscope/scenario@1",
    "server": {"kind": "werkzeug"},
    "app": {
        "routes": [{"rule": "/items/<int:id>", "endpoint": "item", "view": {"json": {"id": "{id}"}}}],
        "errorhandlers": {"404": {"name": "nf"}},
    },
    "clients": [{"id": "c1", "send": ["GET / HTTP/1.1\r\n", {"after": 10, "data": "\r\n"}]}],
}

#: an unformatted template placeholder such as ``{name!r}``
PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*(![rsa])?(:[^}]*)?\}")


def changed(path: str, value) -> dict:
    """BASE with the value at dotted ``path`` replaced (``...=DELETE`` removes it)."""
    doc = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return doc


DELETE = object()

BAD = [
    ("format", DELETE, "format"),
    ("format", "wsgiscope/scenario@2", "format"),
    ("colour", "red", "colour"),
    ("server.kind", "tomcat", "server.kind"),
    ("server.threads", 2, "server.threads"),
    ("server.processes", 0, "server.processes"),
    ("server", {"threaded": True, "processes": 2}, "server"),
    ("server", {"kind": "wsgiref", "start": "app.run"}, "server"),
    ("app.routes.0.rule", "items", "app.routes.0.rule"),
    ("app.routes.0.rule", "/<bogus:x>", "app.routes.0.rule"),
    ("app.routes.0.rule", "/<int:id>/<id>", "app.routes.0.rule"),
    ("app.routes.0.rule", "/<unclosed", "app.routes.0.rule"),
    ("app.routes.0.rule", 7, "app.routes.0.rule"),
    ("app.routes.0.methods", ["GET", "BAD METHOD"], "app.routes.0.methods.1"),
    ("app.routes.0.endpoint", DELETE, "app.routes.0"),
    ("app.routes.0.view", {}, "app.routes.0.view"),
    ("app.routes.0.view", {"text": "a", "json": 1}, "app.routes.0.view"),
    ("app.routes.0.view", {"sing": "a"}, "app.routes.0.view.sing"),
    ("app.routes.0.view", {"abort": 499}, "app.routes.0.view"),
    ("app.routes.0.view", {"abort": 302}, "app.routes.0.view.abort"),
    ("app.routes.0.view", {"raise": "not a name"}, "app.routes.0.view.raise"),
    ("app.routes.0.wat", 1, "app.routes.0.wat"),
    ("app.errorhandlers", {"abc": {"name": "h"}}, "app.errorhandlers"),
    ("app.kind", "django", "app.kind"),
    ("clients.0.id", "bad id!", "clients.0.id"),
    ("clients.0.then", "linger", "clients.0.then"),
    ("clients.0.at", -1, "clients.0.at"),
    ("clients.0.read_timeout", 0, "clients.0.read_timeout"),
    ("clients.0.sned", [], "clients.0.sned"),
    ("clients.0.send.1.after", -5, "clients.0.send.1.after"),
    ("clients.0.send.1.after", "soon", "clients.0.send.1.after"),
    ("clients.0.send.1.dta", "x", "clients.0.send.1.dta"),
    ("clients.0.send.0", 5, "clients.0.send.0"),
    ("clients.0.send.0", "\u0100 not a byte", "clients.0.send.0.data"),
    ("clients", "c1", "clients"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD])
def test_bad_field_is_named(path, value, field):
    err = error_of(changed(path, value))
    assert err.field == field
    assert str(err) == f"{field}: {err.message}"


def duplicate_ids() -> dict:
    doc = copy.deepcopy(BASE)
    doc["clients"].append({"id": "c1"})
    return doc


def error_of(document) -> sim.ScenarioError:
    with pytest.raises(sim.ScenarioError) as caught:
        sim.validate(document)
    return caught.value


def test_duplicate_client_ids_name_the_clients_field():
    err = error_of(duplicate_ids())
    assert err.field.startswith("clients"), str(err)


def test_messages_have_no_unformatted_placeholders():
    documents = [changed(path, value) for path, value, _ in BAD] + [duplicate_ids()]
    messages = {error_of(doc).message for doc in documents}
    assert not [m for m in sorted(messages) if PLACEHOLDER.search(m)]


@pytest.mark.parametrize("document", [[], "scenario", None, 3, [BASE]])
def test_non_object_documents(document):
    err = error_of(document)
    assert (err.field, "JSON object" in err.message) == ("", True)


@pytest.mark.parametrize("path", ["x-lesson", "app.x-note", "app.routes.0.x-why", "clients.0.x-role",
                                  "clients.0.send.1.x-comment", "server.x-host-note"])
def test_x_fields_are_allowed(path):
    sim.validate(changed(path, {"anything": [1, 2]}))


@pytest.mark.parametrize("name", list(gallery()))
def test_gallery_scenarios_are_valid(name):
    sim.validate(gallery()[name])


def test_too_many_bytes_is_a_limit():
    half = "x" * (MAX_SEND_BYTES // 2 + 1)
    doc = changed("clients", [{"id": "a", "send": [half]}, {"id": "b", "send": [half]}])
    with pytest.raises(sim.LimitExceeded) as caught:
        sim.validate(doc)
    assert caught.value.field == "clients"
    assert str(MAX_SEND_BYTES) in caught.value.message


def test_too_many_clients():
    assert error_of(changed("clients", [{"id": f"c{n}"} for n in range(MAX_CLIENTS + 1)])).field == "clients"


def test_json_schema():
    schema = sim.scenario_schema()
    json.dumps(schema)  # JSON-ready
    assert {"format", "server", "app", "clients"} <= set(schema["properties"])
    assert schema["properties"]["format"].get("const") == "wsgiscope/scenario@1"
    view = schema["$defs"]["View"]["properties"]
    assert {"text", "json", "echo", "abort", "raise", "stream"} <= set(view)  # the aliases
    chunk = schema["$defs"]["Chunk"]["properties"]
    assert {"after", "data"} <= set(chunk)
