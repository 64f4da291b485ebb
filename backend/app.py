"""The ASGI app, composed where you can see it: settings -> services -> routers -> middleware.

``uvicorn --factory backend.app:create_app`` or ``python -m backend``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import api, pages
from .assets import VersionedStaticFiles, static_url_for
from .errors import HANDLERS, render_error
from .services import Services, Settings

#: No inline script or style anywhere, all assets from this origin. htmx is told not to
#: inject its indicator <style> (meta ``htmx-config``), which is what makes this hold.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
#: /docs is Swagger UI, vendored (``frontend/static/swagger-ui-5.35.0``, sha256 in the tests);
#: FastAPI's page starts it with an inline script, so that page alone allows inline code.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
SWAGGER_UI = "/static/swagger-ui-5.35.0"


class SecurityHeaders:
    """Pure ASGI middleware adding CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] in ("/docs", "/docs/oauth2-redirect") else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Pure ASGI middleware: read the whole body, up to ``max_bytes``, before the app runs.

    ``Content-Length`` is only a claim, and a chunked body (RFC 9112 section 7.1) has none:
    the limit is on the bytes actually received, so a 30 MB body sent chunked is a 413 after
    the first ``max_bytes`` like any other, and no route ever sees more.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nothing to answer
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()  # after the body, only the disconnect is left

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = render_error(Request(scope), 413, "the request body is too large "
                                f"(limit {self.max_bytes} bytes)", "")
        response.headers["connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


class WsgiscopeApp(FastAPI):
    """FastAPI with :class:`SecurityHeaders` outside everything, even the 500 handler.

    Starlette puts ``ServerErrorMiddleware`` outermost, around the user middleware; headers
    added by a user middleware would miss the one response that most needs them.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = WsgiscopeApp(
        title="wsgiscope",
        summary="Step through a request's path: client, kernel, server loop, handler, WSGI, "
                "Flask, view.",
        version="1",
        docs_url=None,
        redoc_url=None,
        exception_handlers=HANDLERS,
        # Starlette's redirect builds an absolute URL from the Host header; ours (a 404
        # whose twin path exists, in errors.py) answers a path, relative to the request.
        redirect_slashes=False,
    )

    static_url = static_url_for(settings.static_dir)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="wsgiscope API",
            swagger_js_url=static_url("swagger-ui-5.35.0/swagger-ui-bundle.js"),
            swagger_css_url=static_url("swagger-ui-5.35.0/swagger-ui.css"),
            swagger_favicon_url=static_url("favicon.svg"),
        )

    app.state.services = Services.build(settings)
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.mount("/static", VersionedStaticFiles(settings.static_dir), name="static")
    # Pages, fragments and htmx compress 3-5x; the first page load stays far under 100 KB.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimit, max_bytes=settings.budgets.body_bytes)
    api.install_openapi(app)
    return app



