"""The JSON API, ``/api/v1``: scenario -> trace, step N, source of a qualname, links.

Errors are ``{"error": "...", "field": "..."}`` with 400 (malformed request), 404 (unknown
slug, step or qualname) or 422 (a scenario the engine refuses, ``field`` naming where).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import sim

from .errors import AppError
from .limits import parse_document
from .player import step_view
from .services import Services
from .source import LEGACY_KINDS, SourceNotFound, source_for
from .traces import Playback


async def scenario_body(request: Request) -> dict[str, Any]:
    """The request body as a scenario document, parsed within the budgets (``limits``).

    The body was already read whole, within ``body_bytes``, by :class:`backend.app.BodyLimit`;
    FastAPI's own body parsing is not used, because it lets ``NaN``, 5,000-digit integers
    and any nesting through. The OpenAPI document still describes the body: see
    :func:`install_openapi`.
    """
    doc = parse_document(await request.body(), _services(request).settings.budgets)
    if not isinstance(doc, dict):
        raise AppError(422, "the request body must be a JSON object (a wsgiscope/scenario@1 "
                            "document)", "")
    return doc


router = APIRouter(tags=["api"])

_EXAMPLE = {
    "format": "wsgiscope/scenario@1", "title": "One GET",
    "server": {"kind": "werkzeug", "threaded": False},
    "app": {"name": "app", "routes": [{"rule": "/", "endpoint": "index",
                                       "view": {"text": "<p>Hello, World!</p>"}}]},
    "clients": [{"id": "c1", "at": 0, "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}],
}
ScenarioBody = Annotated[dict[str, Any], Depends(scenario_body)]
#: The body as the OpenAPI document shows it: the scenario's own JSON Schema.
SCENARIO_REQUEST = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Scenario"},
    "examples": {"one GET": {"value": _EXAMPLE}}}},
    "description": "A wsgiscope/scenario@1 document (see DESIGN.md)."}}
Lang = Annotated[str, Query(pattern="^(en|zh)$", description="caption language")]


class ErrorOut(BaseModel):
    error: str
    field: str | None = None


class LinkOut(BaseModel):
    slug: str
    url: str
    api: str


class SourceOut(BaseModel):
    qualname: str
    module: str
    path: str
    start: int
    def_line: int
    lines: list[str]
    href: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": ERROR_MEANING[code]} for code in codes}


ERROR_MEANING = {
    400: "Malformed request: not UTF-8, not JSON, a number out of range, a bad parameter",
    404: "No such scenario, link, step or function",
    413: "The request body is larger than the limit",
    422: "A scenario the engine refuses or one over a budget; `field` names where",
}
#: A slug names a gallery scenario or a saved link; a link saved before a budget existed
#: may break it (422).
READ = _errors(400, 404, 422)
#: Every route that takes a scenario in its body.
WRITE = _errors(400, 413, 422)


def _services(request: Request) -> Services:
    return request.app.state.services


def _step_json(pb: Playback, n: int, lang: str, slug: str) -> dict[str, Any]:
    if not 0 <= n < pb.total:
        raise AppError(404, f"step {n} is out of range: this trace has steps 0..{pb.total - 1}",
                       "n")
    view = step_view(pb, n, lang, slug)
    s = view["step"]
    src = view["source"]
    source: dict[str, Any] | None = None
    if src["kind"] == "real":
        source = {"qualname": src["qualname"], "path": src["path"], "start": src["start"],
                  "lit": src["lit"], "href": src["href"],
                  # set when the step has no function of its own and continues step N's
                  "continues": src.get("continues")}
    elif src["kind"] == "declared":
        source = {"qualname": src["qualname"], "declared_at": src["where"]}
    return {
        "i": s.i, "t": s.t, "actor": s.actor, "client": s.client, "phase": s.phase,
        "qualname": s.qualname, "caption": s.caption, "caption_zh": s.caption_zh,
        "line": s.line, "lane": view["lane"], "delta": s.state,
        "state": pb.trace.state_at(n), "source": source, "total": pb.total,
        "tokens": {r["client"]: r["lane"] for r in view["rows"]},
    }


@router.get("/health", summary="Liveness")
def health() -> dict[str, bool]:
    return {"ok": True}


@router.get("/schema", summary="JSON Schema of wsgiscope/scenario@1")
def schema() -> dict[str, Any]:
    return sim.scenario_schema()


@router.get("/phases", summary="Phase names, in lane order")
def phases() -> list[str]:
    return list(sim.PHASES)


@router.get("/gallery", summary="The ready scenarios")
def gallery(request: Request) -> list[dict[str, Any]]:
    return [{"slug": e.slug, "title": e.title, "lesson": e.lesson("en"),
             "lesson_zh": e.lesson("zh"), "kind": e.kind, "url": f"/s/{e.slug}",
             "api": f"/api/v1/scenarios/{e.slug}"}
            for e in _services(request).gallery.values() if e.available]


@router.get("/scenarios/{slug}", summary="A gallery scenario or a saved link's scenario",
            responses={200: {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Scenario"}}}}, **READ})
def scenario(request: Request, slug: str) -> JSONResponse:
    return JSONResponse(_services(request).scenario(slug))


@router.get("/scenarios/{slug}/trace", summary="The trace (wsgiscope/trace@1) of a scenario",
            responses=READ)
def scenario_trace(request: Request, slug: str) -> JSONResponse:
    svc = _services(request)
    return JSONResponse(svc.playback_of(slug).trace.to_json())


@router.get("/scenarios/{slug}/steps/{n}", summary="Step N with the full state after it",
            responses=READ)
def scenario_step(request: Request, slug: str, n: int, lang: Lang = "en") -> dict[str, Any]:
    svc = _services(request)
    return _step_json(svc.playback_of(slug), n, lang, slug)


@router.post("/trace", summary="Run a scenario: scenario in, trace@1 out", responses=WRITE,
             openapi_extra=SCENARIO_REQUEST)
def run_trace(request: Request, scenario: ScenarioBody) -> JSONResponse:
    return JSONResponse(_services(request).playback(scenario).trace.to_json())


@router.post("/trace/steps/{n}", summary="Run a scenario and return step N",
             responses={**WRITE, **_errors(404)}, openapi_extra=SCENARIO_REQUEST)
def run_step(request: Request, scenario: ScenarioBody, n: int, lang: Lang = "en"
             ) -> dict[str, Any]:
    return _step_json(_services(request).playback(scenario), n, lang, "-")


@router.get("/source/{qualname}", summary="Real source of the function a step names",
            response_model=SourceOut, responses=_errors(404))
def source(qualname: str, kind: str | None = None) -> SourceOut:
    """``kind``: the server kind whose library versions to show (``werkzeug-legacy``: Werkzeug
    0.16.1 / Flask 1.1.4); the installed ones by default."""
    try:
        src = source_for(qualname, kind)
    except SourceNotFound as e:
        raise AppError(404, f"no source for {qualname!r}: {e.reason}", "qualname") from None
    query = f"?kind={kind}" if kind in LEGACY_KINDS else ""
    return SourceOut(qualname=qualname, module=src.module, path=src.display_path,
                     start=src.start, def_line=src.start + src.def_index, lines=list(src.lines),
                     href=f"/source/{src.module}{query}#L{src.start}")


@router.post("/links", summary="Save a scenario; returns its short share link",
             status_code=201, response_model=LinkOut, responses=WRITE,
             openapi_extra=SCENARIO_REQUEST)
def save_link(request: Request, scenario: ScenarioBody) -> JSONResponse:
    slug = _services(request).save(scenario)
    out = LinkOut(slug=slug, url=f"/s/{slug}", api=f"/api/v1/scenarios/{slug}")
    return JSONResponse(out.model_dump(), status_code=201)


def _hoist_defs(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Move a JSON Schema's ``$defs`` into OpenAPI components, rewriting its ``$ref``s."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    moved = json.loads(text)
    for name, sub in moved.pop("$defs", {}).items():
        components.setdefault(name, sub)
    return moved


def _link_saved_scenarios(doc: dict[str, Any]) -> None:
    """OpenAPI links: a saved link's slug opens its scenario, trace and steps.

    They say how the operations chain, for readers and for stateful API testing.
    """
    slug = {"slug": "$response.body#/slug"}
    links = {
        "GetScenario": {"operationId": "scenario_api_v1_scenarios__slug__get",
                        "parameters": slug},
        "GetTrace": {"operationId": "scenario_trace_api_v1_scenarios__slug__trace_get",
                     "parameters": slug},
        "GetFirstStep": {"operationId": "scenario_step_api_v1_scenarios__slug__steps__n__get",
                         "parameters": {**slug, "n": 0}},
    }
    known = {op.get("operationId") for item in doc["paths"].values() for op in item.values()}
    missing = {link["operationId"] for link in links.values()} - known
    if missing:  # a renamed route: fail loudly rather than publish dangling links
        raise RuntimeError(f"OpenAPI links name unknown operations: {sorted(missing)}")
    doc["paths"]["/api/v1/links"]["post"]["responses"]["201"]["links"] = links


def install_openapi(app: FastAPI) -> None:
    """Serve an OpenAPI document whose scenario bodies are ``sim.scenario_schema()``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, summary=app.summary,
                              routes=app.routes)
            components = doc.setdefault("components", {}).setdefault("schemas", {})
            # the schema the app enforces: the engine's, with the web app's budgets in it
            enforced = app.state.services.schema.schema
            components["Scenario"] = _hoist_defs(enforced, components)
            _link_saved_scenarios(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
