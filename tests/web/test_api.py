"""The JSON API under /api/v1: happy paths and every kind of bad input."""

from __future__ import annotations

import json

import pytest

from backend.i18n import tr
from backend.lanes import LANE_IDS
from backend.services import ROOT

GALLERY = ROOT / "gallery"

#: Scenarios the issue asks the gallery to cover (slug = file name without NN-).
REQUIRED = ["one-get", "two-clients-one-thread", "two-clients-threaded", "slow-client",
            "not-found", "method-not-allowed", "before-request-guard", "view-raises",
            "streamed-response", "long-request-line", "post-with-body", "blueprints"]


def test_health(client):
    assert client.get("/api/v1/health").json() == {"ok": True}


@pytest.mark.parametrize("path", sorted(GALLERY.glob("*.json")), ids=lambda p: p.stem)
def test_gallery_files_are_scenarios_with_lessons(path):
    s = json.loads(path.read_text(encoding="utf-8"))
    assert s["format"] == "wsgiscope/scenario@1"
    assert s["title"] and s["x-lesson"]
    # the Chinese words are in the catalog (tests/web/test_i18n.py checks it is complete)
    assert tr(s["title"], "zh") != s["title"] and tr(s["x-lesson"], "zh") != s["x-lesson"]
    assert s["server"]["kind"] in ("werkzeug", "werkzeug-legacy", "wsgiref")


def test_gallery_covers_the_required_scenarios(client):
    listed = {e["slug"]: e for e in client.get("/api/v1/gallery").json()}
    missing = [slug for slug in REQUIRED if slug not in listed]
    assert not missing, f"gallery scenarios the engine refused: {missing}"
    assert all(e["lesson"] and e["lesson_zh"] for e in listed.values())


@pytest.mark.parametrize("slug", REQUIRED)
def test_required_gallery_scenarios_run(client, slug):
    r = client.get(f"/api/v1/scenarios/{slug}/trace")
    assert r.status_code == 200, r.text
    trace = r.json()
    assert trace["format"] == "wsgiscope/trace@1"
    assert [s["i"] for s in trace["steps"]] == list(range(len(trace["steps"])))


def test_trace_from_posted_scenario(client, one_get):
    r = client.post("/api/v1/trace", json=one_get)
    assert r.status_code == 200
    phases = {s["phase"] for s in r.json()["steps"]}
    assert {"accept", "parse", "run_wsgi", "dispatch"} <= phases


def test_step_n(client, one_get):
    r = client.get("/api/v1/scenarios/one-get/steps/0")
    assert r.status_code == 200
    step = r.json()
    assert step["i"] == 0 and step["total"] > 1
    assert step["lane"] in LANE_IDS
    assert isinstance(step["state"], dict)
    for key in ("t", "actor", "client", "phase", "qualname", "caption", "caption_zh", "line"):
        assert key in step
    posted = client.post("/api/v1/trace/steps/0", json=one_get).json()
    assert posted["qualname"] == step["qualname"]


def test_every_step_of_one_get_renders(client):
    total = client.get("/api/v1/scenarios/one-get/steps/0").json()["total"]
    for n in range(total):
        step = client.get(f"/api/v1/scenarios/one-get/steps/{n}").json()
        if step["qualname"] and not step["qualname"].startswith("app."):
            assert step["source"] and step["source"]["path"], step["qualname"]


def test_step_out_of_range(client):
    r = client.get("/api/v1/scenarios/one-get/steps/100000")
    assert r.status_code == 404
    assert r.json()["field"] == "n" and "out of range" in r.json()["error"]
    assert client.get("/api/v1/scenarios/one-get/steps/-1").status_code == 404


def test_step_not_a_number(client):
    r = client.get("/api/v1/scenarios/one-get/steps/abc")
    assert r.status_code == 400
    assert r.json()["field"] == "n"


def test_bad_lang(client):
    r = client.get("/api/v1/scenarios/one-get/steps/0?lang=fr")
    assert r.status_code == 400 and r.json()["field"] == "lang"


def test_bad_json(client):
    r = client.post("/api/v1/trace", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("invalid JSON")


def test_body_not_an_object(client):
    r = client.post("/api/v1/trace", json=[1, 2, 3])
    assert r.status_code == 422
    assert set(r.json()) == {"error", "field"}


def test_bad_scenario_names_the_field(client, one_get):
    bad = {**one_get, "format": "wsgiscope/scenario@9"}
    r = client.post("/api/v1/trace", json=bad)
    assert r.status_code == 422
    assert r.json()["field"] == "format"
    unknown = {**one_get, "surprise": 1}
    r = client.post("/api/v1/trace", json=unknown)
    assert r.status_code == 422 and r.json()["field"] == "surprise"


def test_unknown_slug(client):
    for path in ("/api/v1/scenarios/nope-nope", "/api/v1/scenarios/zzzzzzz/trace",
                 "/api/v1/scenarios/zzzzzzz/steps/0"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["field"] == "slug"


def test_source_of_a_qualname(client):
    r = client.get("/api/v1/source/werkzeug.serving.WSGIRequestHandler.run_wsgi")
    assert r.status_code == 200
    body = r.json()
    assert body["lines"][body["def_line"] - body["start"]].lstrip().startswith("def run_wsgi")
    r = client.get("/api/v1/source/werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute")
    assert r.status_code == 200


@pytest.mark.parametrize("qualname", ["os.system", "werkzeug.serving.Nope", "x"])
def test_source_unknown_qualname(client, qualname):
    r = client.get(f"/api/v1/source/{qualname}")
    assert r.status_code == 404 and r.json()["field"] == "qualname"


def test_links_roundtrip(client, one_get):
    r = client.post("/api/v1/links", json={**one_get, "title": "mine"})
    assert r.status_code == 201
    slug = r.json()["slug"]
    assert client.get(f"/api/v1/scenarios/{slug}").json()["title"] == "mine"
    again = client.post("/api/v1/links", json={**one_get, "title": "mine"}).json()["slug"]
    assert again == slug
    other = client.post("/api/v1/links", json={**one_get, "title": "other"}).json()["slug"]
    assert other != slug
    assert client.get(f"/api/v1/scenarios/{slug}").json()["title"] == "mine"


def test_links_refuse_bad_scenarios(client):
    r = client.post("/api/v1/links", json={"format": "nope"})
    assert r.status_code == 422 and r.json()["field"] is not None


def test_unknown_api_route_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and "error" in r.json()


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/trace", "/api/v1/scenarios/{slug}/steps/{n}",
                 "/api/v1/source/{qualname}", "/api/v1/links"):
        assert path in spec["paths"]
    assert not any(p.startswith("/s/") for p in spec["paths"])  # HTML routes stay out
    assert client.get("/docs").status_code == 200


def test_security_headers(client):
    for path in ("/", "/api/v1/health"):
        r = client.get(path)
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"


def test_too_large_body(client):
    big = b'{"title": "' + b"x" * 1_100_000 + b'"}'
    r = client.post("/api/v1/trace", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "too large" in r.json()["error"]


def test_gallery_hides_stacks_the_engine_does_not_simulate(client):
    services = client.app.state.services
    listed = {e["slug"] for e in client.get("/api/v1/gallery").json()}
    for slug, entry in services.gallery.items():
        assert (slug in listed) == entry.available
        if not entry.available:
            r = client.get(f"/api/v1/scenarios/{slug}")
            assert r.status_code == 404 and "waits for the engine" in r.json()["error"]
