"""``sim.scenario``: every bad document raises one ScenarioError naming the field, with a
readable message; ``x-`` fields pass; limits; the JSON Schema."""

from __future__ import annotations

import copy
import json
import re

import pytest
from simhelpers import gallery, run_hashseed0

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
    # app.run's threaded=True default: make_server refuses threads and processes
    ("server", {"start": "app.run", "processes": 2}, "server"),
    ("server", {"processes": 2}, "server"),
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
    ("server.threaded", "yes", "server.threaded"),  # strict types: a string is not a boolean
    ("server.port", "5000", "server.port"),
    ("clients.0.at", 1.5, "clients.0.at"),
    ("app.routes.0.view", {"raise": "NoSuchError"}, "app.routes.0.view"),
    ("app.routes.0.view", {"text": "a", "status": "2O1 CREATED"}, "app.routes.0.view.status"),
    ("app.routes.0.rule", "/<int(foo=1):id>", "app.routes.0.rule"),
    ("app.errorhandlers", {"KeyboardInterrupt": {"name": "h"}}, "app.errorhandlers"),
    ("app.errorhandlers", {"499": {"name": "h"}}, "app.errorhandlers"),
    ("app.static_files", {"../up.txt": {"text": "x"}}, "app.static_files.../up.txt.[key]"),
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


# -- what Flask refuses at startup, and what it accepts -------------------------------------



def app_of(**app) -> dict:
    return {"format": "wsgiscope/scenario@1", "app": app}


def route(rule: str, endpoint: str = "e", view: dict | None = None, **extra) -> dict:
    return {"rule": rule, "endpoint": endpoint, "view": view or {"text": "x"}, **extra}


def bp(name: str = "bp", routes: list | None = None, **extra) -> dict:
    return {"name": name, "routes": routes or [], **extra}


# (app declaration, the field validation names, or None when it is accepted): each is also
# built as a real Flask app (tests/fidelity/real_stack.build_flask_app), which must fail
# exactly when validation refuses.
STARTUP = {
    "unknown converter argument": (app_of(routes=[route("/<int(foo=1):n>")]), "app.routes.0.rule"),
    "string argument for string length": (app_of(routes=[route("/<string(length='x'):s>")]), "app.routes.0.rule"),
    "unknown converter": (app_of(routes=[route("/<bogus:x>")]), "app.routes.0.rule"),
    "text after the arguments": (app_of(routes=[route("/<int(min=1)junk:n>")]), "app.routes.0.rule"),
    "variable twice": (app_of(routes=[route("/<a>/<a>")]), "app.routes.0.rule"),
    "any with a number item": (app_of(routes=[route("/<any(a, 1):k>")]), "app.routes.0.rule"),
    "no leading slash": (app_of(routes=[route("items")]), "app.routes.0.rule"),
    "a lone '>' is static text": (app_of(routes=[route("/a>b")]), None),
    "path and uuid take any argument": (app_of(routes=[route("/<path(x=1):p>"), route("/<uuid(3):u>", "u")]), None),
    "a string min (fails per request)": (app_of(routes=[route("/<int(min=1, ):n>")]), None),
    "every converter with arguments": (app_of(routes=[route(
        "/<int(fixed_digits=3, min=1, max=900, signed=True):a>/<float(min=0.5, max=2, signed=False):b>"
        "/<string(minlength=2, maxlength=4):c>/<string(length=2):d>/<any(x, 'y,z'):e>/<path:f>")]), None),
    "two views for one endpoint": (app_of(routes=[route("/a", "same"), route("/b", "same", {"text": "y"})]),
                                   "app.routes.1.endpoint"),
    "one endpoint, two view names": (app_of(routes=[route("/a", "same", name="one"),
                                                    route("/b", "same", name="two")]), "app.routes.1.endpoint"),
    "one view under two rules": (app_of(routes=[route("/a", "same"), route("/b", "same")]), None),
    "the static endpoint": (app_of(routes=[route("/s", "static")]), "app.routes.0.endpoint"),
    "an app endpoint with a dot": (app_of(routes=[route("/s", "a.b")]), None),
    "blueprint rule '' under a prefix": (app_of(blueprints=[bp(url_prefix="/bp", routes=[route("")])]), None),
    "blueprint rule without a slash": (app_of(blueprints=[bp(url_prefix="/bp", routes=[route("ping")])]), None),
    "blueprint rule '' without a prefix": (app_of(blueprints=[bp(routes=[route("")])]),
                                            "app.blueprints.0.routes.0.rule"),
    "blueprint rule '' under an empty prefix": (app_of(blueprints=[bp(url_prefix="", routes=[route("")])]),
                                                 "app.blueprints.0.routes.0.rule"),
    "blueprint rule without a slash, empty prefix": (app_of(blueprints=[bp(url_prefix="", routes=[route("p")])]),
                                                     None),
    "blueprint endpoint with a dot": (app_of(blueprints=[bp(url_prefix="/bp", routes=[route("/x", "a.b")])]),
                                      "app.blueprints.0.routes.0.endpoint"),
    "two blueprints of one name": (app_of(blueprints=[bp(), bp()]), "app.blueprints.1.name"),
    "blueprint endpoint like an app one": (app_of(routes=[route("/a", "e")],
                                                  blueprints=[bp(url_prefix="/bp", routes=[route("/a", "e")])]),
                                           None),
    "handler for an exception class": (app_of(errorhandlers={"ValueError": {"name": "h"},
                                                             "Exception": {"name": "h2"}}), None),
    "handler for a BaseException": (app_of(errorhandlers={"SystemExit": {"name": "h"}}), "app.errorhandlers"),
    "handler for no class": (app_of(errorhandlers={"NoSuchError": {"name": "h"}}), "app.errorhandlers"),
    "handler for an unknown code": (app_of(errorhandlers={"418": {"name": "h"}, "299": {"name": "h2"}}),
                                    "app.errorhandlers"),
    "handler for 421": (app_of(errorhandlers={"421": {"name": "h"}}), None),
    "abort with a code no class has (LookupError per request)": (
        app_of(routes=[route("/a", view={"abort": 402}), route("/b", "b", {"abort": 421})]), None),
    "blueprint handler for 421": (app_of(blueprints=[bp(errorhandlers={"421": {"name": "h"}})]), None),
    "blueprint handler for a class": (app_of(blueprints=[bp(errorhandlers={"LookupError": {"name": "h"}})]), None),
    "status line": (app_of(routes=[route("/a", view={"text": "x", "status": "201 CREATED"})]), None),
    "static name with spaces": (app_of(static_files={"my notes.txt": {"text": "x"},
                                                     "sub dir/a b.css": {"text": "y"}}), None),
}

REAL_STARTUP = """
import json, sys, tempfile
from pathlib import Path
from tests.fidelity.real_stack import build_flask_app
out = []
for app in json.load(sys.stdin):
    with tempfile.TemporaryDirectory() as root:
        try:
            build_flask_app(app, Path(root))
            out.append(None)
        except Exception as err:
            out.append(type(err).__name__)
print(json.dumps(out))
"""


#: where Flask 1.1 + Werkzeug 0.16 (``werkzeug-legacy``) refuse otherwise than Flask 3: 0.16 has
#: no class for 421, its ``path`` and ``uuid`` converters take no arguments, and its
#: ``parse_rule`` calls any ``>`` left over a malformed rule
STARTUP_LEGACY = {
    "a lone '>' is static text": "app.routes.0.rule",
    "path and uuid take any argument": "app.routes.0.rule",
    "handler for 421": "app.errorhandlers",
    "blueprint handler for 421": "app.blueprints.0.errorhandlers",
}


def refused_field(document: dict) -> str | None:
    try:
        sim.validate(document)
    except sim.ScenarioError as err:
        return err.field
    return None


@pytest.fixture(scope="module")
def real_startup() -> dict[str, str | None]:
    names = list(STARTUP)
    return dict(zip(names, run_hashseed0(REAL_STARTUP, [STARTUP[n][0]["app"] for n in names]), strict=True))


@pytest.fixture(scope="module")
def real_startup_legacy() -> dict[str, str | None]:
    from tests.fidelity.legacy_env import legacy_python

    names = list(STARTUP)
    apps = [STARTUP[n][0]["app"] for n in names]
    return dict(zip(names, run_hashseed0(REAL_STARTUP, apps, legacy_python()), strict=True))


@pytest.mark.parametrize("name", list(STARTUP))
def test_refused_exactly_when_flask_refuses(name, real_startup):
    document, field = STARTUP[name]
    refused = refused_field(document)
    assert refused == field
    assert (refused is None) == (real_startup[name] is None), real_startup[name]


@pytest.mark.parametrize("name", list(STARTUP))
def test_refused_exactly_when_flask_11_refuses(name, real_startup_legacy):
    document, field = STARTUP[name]
    refused = refused_field({**document, "server": {"kind": "werkzeug-legacy"}})
    assert refused == STARTUP_LEGACY.get(name, field)
    assert (refused is None) == (real_startup_legacy[name] is None), real_startup_legacy[name]


@pytest.mark.parametrize(("kind", "start", "poll"), [
    ("werkzeug", "make_server", 2.0),         # the script's own srv.serve_forever(poll_interval)
    ("werkzeug", "app.run", 0.5),             # run_simple calls srv.serve_forever()
    ("werkzeug", "run_simple", 0.5),
    ("werkzeug-legacy", "make_server", 0.5),  # 0.16's serve_forever() takes no poll_interval
    ("wsgiref", "make_server", 2.0),
])
def test_serve_forever_polls_as_the_start_calls_it(kind, start, poll):
    scenario = {"format": "wsgiscope/scenario@1", "server": {"kind": kind, "start": start, "poll_interval": 2.0},
                "app": {"routes": [{"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]}, "clients": []}
    loop = next(s for s in sim.run(scenario).steps if s.qualname == "socketserver.BaseServer.serve_forever")
    assert f"waking every {poll} s" in loop.caption


def test_the_default_poll_interval_and_who_passes_it_are_the_libraries():
    import inspect
    import socketserver

    import werkzeug.serving

    from sim.scenario import DEFAULT_POLL_INTERVAL

    assert inspect.signature(socketserver.BaseServer.serve_forever).parameters["poll_interval"].default \
        == DEFAULT_POLL_INTERVAL
    assert "srv.serve_forever()" in inspect.getsource(werkzeug.serving.run_simple)
    assert "serve_forever" not in inspect.getsource(socketserver.BaseServer.handle_request)


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
@pytest.mark.parametrize("name", list(STARTUP))
def test_validation_errors_lists_what_validate_refuses(name, kind):
    """An editor marking every error (``validation_errors``) says "valid" exactly when a run
    would start: what Flask refuses while the app is built is among the errors, named alike."""
    document = {**STARTUP[name][0], "server": {"kind": kind}}
    listed = [err.field for err in sim.validation_errors(document)]
    refused = refused_field(document)
    assert listed == ([] if refused is None else [refused])
