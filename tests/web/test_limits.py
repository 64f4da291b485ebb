"""Bad input, big input and faults: a 4xx naming what is wrong, never a 500, before any work.

One test per finding of the probe that filed the budgets (each answered 500, or stored what
it should have refused, before ``backend/limits.py``), then the budgets themselves.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

import sim
from backend.app import create_app
from backend.limits import STEPS_FIXED, BudgetError, Budgets, check_document, estimate_steps, parse_document
from backend.services import Settings
from backend.store import LinkStore
from backend.traces import scenario_key

SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options")
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}
POSTS = ["/api/v1/trace", "/api/v1/trace/steps/0", "/api/v1/links"]


def with_title(one_get: dict, title: str) -> bytes:
    return json.dumps({**one_get, "title": title}).encode()  # ensure_ascii: "\ud800" escaped


def nested(one_get: dict, depth: int) -> dict:
    doc = copy.deepcopy(one_get)
    inner: dict = {}
    doc["x-deep"] = inner
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return doc


def form(text: str) -> dict:
    return {"scenario": text}


# -- the findings -------------------------------------------------------------------------

@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("where", ["title", "key", "client data"])
def test_a_lone_surrogate_is_a_422_naming_the_field(client, one_get, path, where):
    doc = copy.deepcopy(one_get)
    if where == "title":
        doc["title"] = "a\ud800b"
        field = "title"
    elif where == "key":
        doc["x-\udfff"] = 1
        field = ""
    else:
        doc["clients"][0]["send"] = ["GET / HTTP/1.1\r\n\udbff\r\n\r\n"]
        field = "clients.0.send.0"
    r = client.post(path, content=json.dumps(doc).encode(), headers=JSON)
    assert r.status_code == 422, r.text
    assert "lone surrogate" in r.json()["error"] and r.json()["field"] == field
    # the same connection answers the next request (the 500 used to drop keep-alive)
    assert client.get("/api/v1/health").status_code == 200


def test_a_lone_surrogate_in_the_editor_is_shown_in_the_editor(client, one_get):
    r = client.post("/run", data=form(with_title(one_get, "\ud800").decode()))
    assert r.status_code == 422 and "lone surrogate" in r.text and "<textarea" in r.text


def test_a_link_nested_past_the_budget_is_refused_not_stored(client, one_get):
    for depth in (70, 300, 900):
        r = client.post("/api/v1/links", json=nested(one_get, depth))
        assert r.status_code in (400, 422), (depth, r.text)
        assert "nested" in r.json()["error"]
    assert client.app.state.services.store.count() == 0


def test_a_stored_link_over_a_budget_answers_4xx_not_500(client, settings, one_get):
    """Links stored before the budgets existed (nested 300 deep, a NaN) stay readable as
    errors: every route that opens them answers 422 naming the limit."""
    store = LinkStore(settings.db_path)
    slugs = {"deeeep2": nested(one_get, 300), "nanan22": {**one_get, "x-n": float("nan")}}
    with sqlite3.connect(settings.db_path) as db:
        for n, (slug, doc) in enumerate(slugs.items()):
            db.execute("INSERT INTO links (slug, key, scenario) VALUES (?, ?, ?)",
                       (slug, scenario_key({"n": n}), json.dumps(doc)))
    assert store.count() == 2
    for slug in slugs:
        for url in (f"/api/v1/scenarios/{slug}", f"/api/v1/scenarios/{slug}/trace",
                    f"/api/v1/scenarios/{slug}/steps/0", f"/s/{slug}", f"/s/{slug}/step/0"):
            r = client.get(url)
            assert r.status_code in (404, 422), (url, r.status_code, r.text[:200])
            assert all(h in r.headers for h in SECURITY)


def test_nan_and_infinity_are_refused_not_turned_into_null(client, one_get):
    for token in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = json.dumps(one_get)[:-1] + f', "x-n": {token}}}'
        r = client.post("/api/v1/links", content=body.encode(), headers=JSON)
        assert r.status_code == 400, (token, r.text)
        assert "JSON" in r.json()["error"] or "range" in r.json()["error"]
    # a finite float is stored and comes back as the same number
    r = client.post("/api/v1/links", json={**one_get, "x-n": 0.1})
    assert r.status_code == 201
    assert client.get(r.json()["api"]).json()["x-n"] == 0.1


@pytest.mark.parametrize("qualname", ["flask.request.method", "flask.g.x", "flask.request",
                                      "flask.current_app.name", "flask.session.get",
                                      "werkzeug.local.LocalProxy.__wrapped__.x"])
def test_source_of_a_context_proxy_is_a_404(client, qualname):
    r = client.get(f"/api/v1/source/{qualname}")
    assert r.status_code == 404, r.text
    assert r.json()["field"] == "qualname"


def test_source_still_finds_real_functions(client):
    r = client.get("/api/v1/source/flask.app.Flask.wsgi_app")
    assert r.status_code == 200 and "def wsgi_app" in "\n".join(r.json()["lines"])


def test_the_editor_refuses_a_huge_integer_like_the_api(client, one_get):
    text = json.dumps(one_get)[:-1] + ', "x-n": ' + "9" * 5000 + "}"
    r = client.post("/run", data=form(text))
    assert r.status_code == 400 and "5000 digits" in r.text and "<textarea" in r.text
    r = client.post("/api/v1/trace", content=text.encode(), headers=JSON)
    assert r.status_code == 400 and "5000 digits" in r.json()["error"]


def test_a_chunked_body_past_the_limit_is_a_413_and_not_stored(client, one_get):
    """30 MB sent chunked (no Content-Length): a 413, and nothing is stored."""
    def body():
        yield json.dumps(one_get)[:-1].encode() + b', "x-pad": "'
        for _ in range(30 * 16):  # 30 MB in 64 KiB pieces
            yield b"x" * 65536
        yield b'"}'

    for path in [*POSTS, "/run"]:
        r = client.post(path, content=body(), headers=FORM if path == "/run" else JSON)
        assert r.status_code == 413, (path, r.status_code)
        assert all(h in r.headers for h in SECURITY)
    assert client.app.state.services.store.count() == 0


def test_body_limit_stops_reading_at_the_limit(settings):
    """At the ASGI level: the app is never called and the rest of the body is never read."""
    app = create_app(settings)
    calls = {"receive": 0}
    sent: list[dict] = []

    async def receive() -> dict:
        calls["receive"] += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/links", "raw_path": b"",
             "root_path": "", "query_string": b"", "scheme": "http", "http_version": "1.1",
             "headers": [(b"content-type", b"application/json")], "app": app,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    # The lifespan runs, and the app is called on the client's own event-loop thread: this
    # thread may already have a loop running (Playwright's sync API leaves one in a session
    # that ran the browser tests first).
    with TestClient(app) as client:
        client.portal.call(app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert calls["receive"] == 1_000_000 // 65536 + 1  # 16 pieces: just past 1,000,000 bytes
    headers = dict(sent[0]["headers"])
    assert b"content-security-policy" in headers and headers[b"connection"] == b"close"


def test_a_declared_length_past_the_limit_is_a_413_before_reading(client):
    r = client.post("/api/v1/links", content=b"{}", headers={**JSON, "content-length": "2"})
    assert r.status_code == 422  # a small body is parsed
    big = client.post("/api/v1/trace", content=b"x" * 1_000_001, headers=JSON)
    assert big.status_code == 413 and "limit 1000000 bytes" in big.json()["error"]


def test_eighteen_thousand_clients_are_refused_before_the_work(client, one_get):
    doc = copy.deepcopy(one_get)
    doc["clients"] = [{"id": f"c{i}"} for i in range(18_000)]
    for path in POSTS:
        t0 = time.process_time()
        r = client.post(path, json=doc)
        assert r.status_code == 422 and r.json()["field"] == "clients", r.text
        assert "at most 2000" in r.json()["error"]
        assert time.process_time() - t0 < 5  # it was 158 s
    r = client.post("/run", data=form(json.dumps(doc)))
    assert r.status_code == 422 and "at most 2000" in r.text


def test_steps_are_estimated_before_the_work(client, one_get):
    """1,500 clients each running 100 before_request hooks: refused by the estimate."""
    doc = copy.deepcopy(one_get)
    doc["app"]["before_request"] = [{"name": f"h{i}"} for i in range(100)]
    doc["clients"] = [{"id": f"c{i}", "at": i, "send": ["GET / HTTP/1.1\r\n\r\n"]}
                      for i in range(1_500)]
    r = client.post("/api/v1/trace", json=doc)
    assert r.status_code == 422 and "steps" in r.json()["error"], r.text


def test_a_500_carries_the_security_headers(settings):
    app = create_app(settings)

    @app.get("/api/v1/boom-for-test")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/boom-for-test")
    assert r.status_code == 500 and "traceback" not in r.text.lower()
    assert all(h in r.headers for h in SECURITY), dict(r.headers)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1"])
def test_the_trailing_slash_redirect_names_a_path_not_the_host(client, host):
    r = client.get("/s/one-get/?step=3", headers={"host": host}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/s/one-get?step=3"
    r = client.get("/api/v1/gallery/", headers={"host": host}, follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/api/v1/gallery"


def test_no_redirect_becomes_a_scheme_relative_url(client):
    for path in ("//evil.example/", "//evil.example", "///s/one-get/"):
        r = client.get(path, follow_redirects=False)
        location = r.headers.get("location", "")
        assert not location.startswith("//"), (path, location)
        assert r.status_code in (200, 307, 404)


def test_openapi_bodies_are_the_scenario_schema_and_statuses_are_documented(client):
    doc = client.get("/openapi.json").json()
    scenario = doc["components"]["schemas"]["Scenario"]
    assert set(sim.scenario_schema()["properties"]) == set(scenario["properties"])
    assert "$defs" not in json.dumps(scenario)
    for name in sim.scenario_schema()["$defs"]:
        assert name in doc["components"]["schemas"], name
    for path in ("/api/v1/trace", "/api/v1/trace/steps/{n}", "/api/v1/links"):
        op = doc["paths"][path]["post"]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Scenario"}
        assert {"400", "413", "422"} <= set(op["responses"]), (path, op["responses"])
    text = json.dumps(doc)
    for ref in set(part.split('"')[0] for part in text.split('"#/components/schemas/')[1:]):
        assert ref in doc["components"]["schemas"], ref


# -- the budgets themselves ---------------------------------------------------------------

def test_parse_document_refuses_each_thing_by_name():
    b = Budgets()
    cases = {
        b"\xff{}": "not UTF-8",
        b'{"a": 1': "invalid JSON",
        b"[" * 100_000 + b"]" * 100_000: "nested",
        b"[" * 65 + b"]" * 65: "nested more than 64",
        b'{"n": ' + b"1" * 33 + b"}": "33 digits",
        b'{"n": NaN}': "NaN",
        b'{"t": "\\ud800"}': "lone surrogate",
    }
    for data, words in cases.items():
        with pytest.raises(BudgetError) as e:
            parse_document(data, b)
        assert words in e.value.error, (data[:20], e.value.error)
        assert 400 <= e.value.status < 500
    assert parse_document(b'{"n": ' + b"1" * 32 + b', "x": [[1.5]]}', b)["x"] == [[1.5]]
    assert parse_document(b"[" * 64 + b"]" * 64, b) is not None


def test_check_document_never_recurses():
    doc: list = []
    for _ in range(100_000):
        doc = [doc]
    with pytest.raises(BudgetError):
        check_document(doc, Budgets())


def test_the_step_estimate_is_above_what_the_engine_records(gallery_scenarios):
    ran = 0
    for name, doc in gallery_scenarios.items():
        try:
            steps = len(sim.run(doc).steps)
        except sim.ScenarioError:  # a stack the engine does not simulate yet
            continue
        ran += 1
        assert steps <= estimate_steps(doc), (name, steps, estimate_steps(doc))
        assert estimate_steps(doc) > STEPS_FIXED
    assert ran >= 12


@pytest.fixture
def gallery_scenarios() -> dict[str, dict]:
    from backend.services import ROOT
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "gallery").glob("*.json"))}


def test_settings_state_the_budgets():
    s = Settings()
    assert s.max_scenario_bytes == s.budgets.body_bytes == 1_000_000
    assert s.trace_cache_bytes > 0


def test_every_gallery_scenario_matches_the_published_schema(client, gallery_scenarios):
    """The API enforces the schema it publishes, so the gallery must match it (string
    chunks included: the engine's schema did not say a chunk may be its text alone)."""
    services = client.app.state.services
    for doc in gallery_scenarios.values():
        services.schema.check(doc)  # raises BudgetError naming the field
    enforced = json.dumps({k: v for k, v in services.schema.schema.items() if k != "$defs"})
    published = client.get("/openapi.json").json()["components"]["schemas"]["Scenario"]
    assert json.loads(enforced.replace('"#/$defs/', '"#/components/schemas/')) == published


def test_what_the_schema_refuses_is_a_422_naming_the_field(client, one_get):
    doc = copy.deepcopy(one_get)
    doc["clients"][0]["send"] = [{"after": False, "data": "GET / HTTP/1.1\r\n\r\n"}]
    r = client.post("/api/v1/trace", json=doc)
    assert r.status_code == 422 and r.json()["field"] == "clients.0.send.0", r.text
    r = client.post("/api/v1/links", json={**one_get, "colour": "red"})
    assert r.status_code == 422 and "colour" in r.json()["error"], r.text
    assert client.post("/api/v1/links", json={**one_get, "x-colour": "red"}).status_code == 201
