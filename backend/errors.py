"""One error type for everything a caller did wrong, rendered as JSON or as a page.

The API answers ``{"error": ..., "field": ...}``; HTML routes answer a friendly page with
the same words. Nothing ever shows a traceback.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from .i18n import LANG_COOKIE, N_, next_language, request_language, tr
from .limits import BudgetError

log = logging.getLogger("wsgiscope")


class AppError(Exception):
    """What a caller did wrong. With ``values``, ``error`` (and the offer's label) is an
    ``N_``-marked template: the API answers it filled in English, a page in the person's
    language (:meth:`message_in`)."""

    def __init__(self, status: int, error: str, field: str | None = None,
                 offer: tuple[str, str] | None = None,
                 values: dict[str, Any] | None = None) -> None:
        self.template = error if values is not None else None
        self.values = values or {}
        self.error = error.format(**self.values) if values is not None else error
        super().__init__(self.error)
        self.status = status
        self.field = field
        #: a way on for a person (href, label): the last step of a trace asked past its end
        self.offer = offer

    def message_in(self, lang: str) -> str:
        return tr(self.template, lang).format(**self.values) if self.template else self.error

    def offer_in(self, lang: str) -> tuple[str, str] | None:
        if self.offer is None:
            return None
        href, label = self.offer
        return href, tr(label, lang).format(**self.values)


def _lang(request: Request) -> str:
    return request_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def render_error(request: Request, status: int, error: str, field: str | None,
                 headers: dict[str, str] | None = None,
                 offer: tuple[str, str] | None = None) -> Any:
    """The error as JSON (``/api/``) or as the error page, for handlers and middleware."""
    if _is_api(request):
        return JSONResponse({"error": error, "field": field}, status_code=status,
                            headers=headers)
    services = request.app.state.services
    return services.templates.TemplateResponse(
        request, "error.html",
        {"status": status, "error": error, "field": field, "offer": offer,
         "lang": (lang := _lang(request)), "lang_other": next_language(lang)},
        status_code=status, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts)


async def app_error(request: Request, exc: AppError) -> Any:
    if _is_api(request):
        return render_error(request, exc.status, exc.error, exc.field)
    lang = _lang(request)
    return render_error(request, exc.status, exc.message_in(lang), exc.field,
                        offer=exc.offer_in(lang))


async def budget_error(request: Request, exc: BudgetError) -> Any:
    return render_error(request, exc.status, exc.error, exc.field)


async def validation_error(request: Request, exc: RequestValidationError) -> Any:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        ctx = first.get("ctx") or {}
        return render_error(request, 400, f"invalid JSON: {ctx.get('error', first['msg'])}", "")
    field = _field_of(first.get("loc", ()))
    where = first.get("loc", ("",))[0]
    msg = str(first.get("msg", "invalid"))
    if where == "body" and not field:
        msg = "the request body must be a JSON object (a wsgiscope/scenario@1 document)"
    status = 422 if where == "body" else 400
    return render_error(request, status, msg, field)


def slash_twin(request: Request) -> str | None:
    """The same path with its trailing slash added or removed, if a route serves that one.

    Answered as a relative ``Location`` (RFC 9110 section 10.2.2 allows a reference): the
    Host header is the client's to choose, so it never goes into a URL we hand back. The
    leading slashes collapse to one, so ``//evil.example/`` cannot become a
    scheme-relative URL.
    """
    path = request.url.path
    if path == "/":
        return None
    twin = "/" + (path.rstrip("/") if path.endswith("/") else path + "/").lstrip("/")
    scope = {**request.scope, "path": twin}
    if not any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return None
    query = request.url.query
    return quote(twin, safe="/") + (f"?{query}" if query else "")


async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
    if exc.status_code == 404 and (twin := slash_twin(request)) is not None:
        return RedirectResponse(twin, status_code=307)
    if exc.status_code == 404:
        error = tr(N_("nothing at {path}"), _lang(request)).format(path=request.url.path)
    elif exc.status_code == 405:
        error = f"{request.method} is not allowed on {request.url.path}"
    else:
        error = str(exc.detail)
    return render_error(request, exc.status_code, error, None, headers=getattr(exc, "headers", None))


async def unexpected_error(request: Request, exc: Exception) -> Any:
    log.exception("unexpected error on %s", request.url.path)
    return render_error(request, 500, "something went wrong on our side; the error is logged", None)


HANDLERS = {
    AppError: app_error,
    BudgetError: budget_error,
    RequestValidationError: validation_error,
    StarletteHTTPException: http_error,
    Exception: unexpected_error,
}
