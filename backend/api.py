"""The JSON API, ``/api/v1``: scenario -> trace, step N, source of a qualname, links.

Errors are ``{"error": "...", "field": "..."}`` with 400 (malformed request), 404 (unknown
slug, step or qualname) or 422 (a scenario the engine refuses, ``field`` naming where).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import sim

from .errors import AppError
from .player import step_view
from .services import Services
from .source import SourceNotFound, function_source
from .traces import Playback


def _limit_body(request: Request) -> None:
    """Refuse bodies larger than the configured limit before parsing them."""
    limit = request.app.state.services.settings.max_scenario_bytes
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > limit:
        raise AppError(413, f"the scenario is too large (limit {limit} bytes)", "")


router = APIRouter(tags=["api"])

_EXAMPLE = {
    "format": "wsgiscope/scenario@1", "title": "One GET",
    "server": {"kind": "werkzeug", "threaded": False},
    "app": {"name": "app", "routes": [{"rule": "/", "endpoint": "index",
                                       "view": {"text": "<p>Hello, World!</p>"}}]},
    "clients": [{"id": "c1", "at": 0, "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}],
}
ScenarioBody = Annotated[dict[str, Any], Body(
    description="A wsgiscope/scenario@1 document (see DESIGN.md).",
    openapi_examples={"one GET": {"value": _EXAMPLE}})]
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


ERRORS = {400: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}}


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
            responses=ERRORS)
def scenario(request: Request, slug: str) -> dict[str, Any]:
    return _services(request).scenario(slug)


@router.get("/scenarios/{slug}/trace", summary="The trace (wsgiscope/trace@1) of a scenario",
            responses=ERRORS)
def scenario_trace(request: Request, slug: str) -> dict[str, Any]:
    svc = _services(request)
    return svc.playback_of(slug).trace.to_json()


@router.get("/scenarios/{slug}/steps/{n}", summary="Step N with the full state after it",
            responses=ERRORS)
def scenario_step(request: Request, slug: str, n: int, lang: Lang = "en") -> dict[str, Any]:
    svc = _services(request)
    return _step_json(svc.playback_of(slug), n, lang, slug)


@router.post("/trace", summary="Run a scenario: scenario in, trace@1 out", responses=ERRORS,
             dependencies=[Depends(_limit_body)])
def run_trace(request: Request, scenario: ScenarioBody) -> dict[str, Any]:
    return _services(request).playback(scenario).trace.to_json()


@router.post("/trace/steps/{n}", summary="Run a scenario and return step N", responses=ERRORS,
             dependencies=[Depends(_limit_body)])
def run_step(request: Request, scenario: ScenarioBody, n: int, lang: Lang = "en"
             ) -> dict[str, Any]:
    return _step_json(_services(request).playback(scenario), n, lang, "-")


@router.get("/source/{qualname}", summary="Real source of the function a step names",
            response_model=SourceOut, responses=ERRORS)
def source(qualname: str) -> SourceOut:
    try:
        src = function_source(qualname)
    except SourceNotFound as e:
        raise AppError(404, f"no source for {qualname!r}: {e.reason}", "qualname") from None
    return SourceOut(qualname=qualname, module=src.module, path=src.display_path,
                     start=src.start, def_line=src.start + src.def_index, lines=list(src.lines),
                     href=f"/source/{src.module}#L{src.start}")


@router.post("/links", summary="Save a scenario; returns its short share link",
             status_code=201, response_model=LinkOut, responses=ERRORS,
             dependencies=[Depends(_limit_body)])
def save_link(request: Request, scenario: ScenarioBody) -> JSONResponse:
    slug = _services(request).save(scenario)
    out = LinkOut(slug=slug, url=f"/s/{slug}", api=f"/api/v1/scenarios/{slug}")
    return JSONResponse(out.model_dump(), status_code=201)
