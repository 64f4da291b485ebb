"""``flask.ctx``: the request and app contexts, and the request the view sees.

Context state per actor (thread) is what the inspector's "context stacks" shows: pushing a
request context pushes an app context first when none is active; popping runs the teardown
hooks (``do_teardown_request``, then the app context's ``do_teardown_appcontext``).

The request sees only the environ. Its body is ``environ["wsgi.input"]``, read through
``werkzeug.wsgi.get_input_stream`` (:mod:`.werkzeug_wsgi`): a ``LimitedStream`` for a
``Content-Length`` body (a short body raises ``ClientDisconnected``, a 400), the server's
own stream when it ends the body itself (Werkzeug's ``DechunkedInput`` for a chunked body;
a malformed one raises ``OSError``, a 500), and an empty stream otherwise.
"""

from __future__ import annotations

from typing import Any

from ..trace import Phase, view
from .http_server import http_date
from .socketserver import socket_view
from .werkzeug_serving import environ_view
from .werkzeug_wrappers import HTTPException
from .werkzeug_wsgi import get_input_stream
from .world import ORIGIN_KEY, Origin

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
APP, DISPATCH, READ, TEARDOWN = (Phase.APP, Phase.DISPATCH, Phase.READ, Phase.TEARDOWN)


class Request:
    """The request the view sees: built from the environ alone (``Request(environ)``)."""

    __slots__ = ("app", "blueprints", "endpoint", "environ", "method", "origin", "path", "path_info",
                 "routing_exception", "url_rule", "view_args")

    def __init__(self, app, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.origin: Origin = environ[ORIGIN_KEY]
        self.method = environ["REQUEST_METHOD"].upper()
        path_info = environ["PATH_INFO"].encode("latin1").decode(errors="replace")
        #: what ``Map.bind_to_environ`` hands the URL adapter, and so what it matches: the
        #: decoded PATH_INFO as it is. It differs from ``path`` only when empty (an
        #: absolute-form target with no path, ``GET http://localhost``), which ``path``
        #: makes "/" and ``MapAdapter.match`` matches as "" (a slash short of the root rule)
        self.path_info = path_info
        self.path = "/" + path_info.lstrip("/")
        self.url_rule = None
        self.view_args: dict[str, Any] | None = None
        self.routing_exception: HTTPException | None = None
        #: the matched rule's endpoint, and the blueprint it belongs to (``bp.ping``: ``bp``)
        self.endpoint: str | None = None
        self.blueprints: list[str] = []

    def set_rule(self, rule, view_args: dict[str, Any]) -> None:
        """What ``match_request`` stores when a rule matches."""
        self.url_rule = rule
        self.view_args = view_args
        self.endpoint = rule.endpoint
        if "." in rule.endpoint:
            # ``Request.blueprints``: "a.b.view" -> ["a.b", "a"] (``_split_blueprint_path``)
            name = rule.endpoint.rpartition(".")[0]
            self.blueprints = [name]
            while "." in name:
                name = name.rpartition(".")[0]
                self.blueprints.append(name)

    def date_header(self) -> str:
        """``http_date()`` of now, as ``send_file`` stamps ``Date`` (the server's clock)."""
        return http_date(self.app.world.wall_second())

    def get_data(self):
        """``request.get_data()``: ``self.stream.read()``, where ``stream`` is
        ``get_input_stream(environ)`` over ``environ["wsgi.input"]``."""
        stream = get_input_stream(self.environ, self.app.get_content_length, self.app.limited_stream)
        data = yield from stream.read()
        origin = self.origin
        self.app.rec.step(origin.actor, origin.client, READ, None, "read_body",
                          {"n": len(data), "text": data},
                          state={f"sockets/{origin.client}": socket_view(stream.raw.conn, stream.raw, data)})
        return data


@view("ctx")
def render_stacks(view: tuple) -> dict[str, list[str]]:
    """One thread's app and request context stacks at one moment (:meth:`RequestContext.stacks_view`)."""
    n = view[1]
    return {"app": list(view[2 : n + 2]), "request": list(view[n + 2 :])}


class AppContext:
    """The app context. It keeps no reference to the request context that pushed it (per-request
    objects form no cycles, so reference counting frees them as soon as a request is over);
    the request context is passed to ``push`` and ``pop``."""

    __slots__ = ("app",)

    def __init__(self, app, ctx: RequestContext) -> None:
        self.app = app
        app.rec.step(ctx.actor, ctx.client, APP, "flask.ctx.AppContext.__init__",
                     "appctx_init", line="self.url_adapter = app.create_url_adapter(None)")

    def push(self, ctx: RequestContext) -> None:
        ctx.stacks["app"].append(self.app.name)
        self.app.rec.step(ctx.actor, ctx.client, APP, "flask.ctx.AppContext.push",
                          "appctx_push", {"name": self.app.name},
                          line="self._cv_tokens.append(_cv_app.set(self))",
                          state={ctx.ctx_key: ctx.stacks_view()})
        self.app.send_signal(ctx, "appcontext_pushed")

    def pop(self, ctx: RequestContext, exc) -> None:
        self.app.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.ctx.AppContext.pop",
                          "appctx_pop", line="self.app.do_teardown_appcontext(exc)")
        self.app.do_teardown_appcontext(ctx, exc)
        ctx.stacks["app"].pop()
        self.app.rec.step(ctx.actor, ctx.client, TEARDOWN, None, "appctx_popped",
                          state={ctx.ctx_key: ctx.stacks_view()})
        self.app.send_signal(ctx, "appcontext_popped")


class RequestContext:
    __slots__ = ("actor", "app", "app_ctx", "bind_error", "client", "ctx_key", "environ_key",
                 "extra_pushes", "request", "stacks")

    def __init__(self, app, environ: dict[str, Any]) -> None:
        self.app = app
        self.request = Request(app, environ)
        self.actor = self.request.origin.actor
        self.client = self.request.origin.client
        #: the inspector's state entries this request's steps change, named once
        self.ctx_key = f"ctx/{self.actor}"
        self.environ_key = f"environ/{self.client}"
        # werkzeug.wrappers.Request.__init__: the environ keeps the request object
        environ["werkzeug.request"] = app.request_repr(environ)
        self.stacks: dict[str, list[str]] = {"app": [], "request": []}
        self.app_ctx: AppContext | None = None
        #: Flask 1.1: pushes beyond the first (``stream_with_context``'s ``with ctx:``)
        self.extra_pushes = 0
        #: what ``create_url_adapter`` raised here, if it did (then there is no URL adapter)
        self.bind_error = app.bind_error(self.request)
        app.rec.step(self.actor, self.client, APP, "flask.ctx.RequestContext.__init__",
                     "reqctx_init", {"method": self.request.method, "path": self.request.path},
                     line="self.url_adapter = app.create_url_adapter(self.request)",
                     state={self.environ_key: environ_view(environ)})

    def stacks_view(self) -> tuple:
        """The stacks now, for the inspector (a view: see :data:`sim.trace.VIEWS`)."""
        app = self.stacks["app"]
        return ("ctx", len(app), *app, *self.stacks["request"])

    def push(self) -> None:
        rec = self.app.rec
        rec.step(self.actor, self.client, APP, "flask.ctx.RequestContext.push", "reqctx_push",
                 line="app_ctx = self.app.app_context()")
        self.app_ctx = self.app.app_context(self)
        self.app_ctx.push(self)
        self.push_request()

    def pop_nested(self) -> None:
        """Flask 1.1: the pop of a context pushed twice (``stream_with_context``): only the
        request stack shrinks; no teardown, the app context stays."""
        self.app.rec.step(self.actor, self.client, TEARDOWN, "flask.ctx.RequestContext.pop",
                          "reqctx_pop_nested", line="app_ctx = self._implicit_app_ctx_stack.pop()")
        self.stacks["request"].pop()
        self.app.rec.step(self.actor, self.client, TEARDOWN, None, "reqctx_popped",
                          state={self.ctx_key: self.stacks_view()})

    def push_again(self) -> None:
        """``with req_ctx`` in ``stream_with_context``: its app context is active already."""
        self.app.rec.step(self.actor, self.client, APP, "flask.ctx.RequestContext.push",
                          "reqctx_push_again", line="self.match_request()")
        self.push_request()

    def push_request(self) -> None:
        self.stacks["request"].append(f"{self.request.method} {self.request.path}")
        if self.bind_error is not None:
            # ``if self.url_adapter is not None: self.match_request()``: no adapter, no match
            self.request.routing_exception = self.bind_error
            self.app.rec.step(self.actor, self.client, DISPATCH, None, "no_url_adapter",
                              {"host": self.request.environ.get("HTTP_HOST", "")},
                              state={self.ctx_key: self.stacks_view()})
            return
        self.app.rec.step(self.actor, self.client, DISPATCH, "flask.ctx.RequestContext.match_request",
                          "match_request", line="result = self.url_adapter.match(return_rule=True)",
                          state={self.ctx_key: self.stacks_view()})
        self.app.match(self)

    def pop(self, exc, pop_app: bool = True, key: str = "reqctx_pop") -> None:
        """Tear down and pop; and pop the app context this push pushed, if it did.

        ``key`` says whose pop it is: ``wsgi_app``'s (before any body byte), or the end of
        ``stream_with_context``'s ``with`` block (after the body), whose caption differs."""
        rec = self.app.rec
        rec.step(self.actor, self.client, TEARDOWN, "flask.ctx.RequestContext.pop", key,
                 line="self.app.do_teardown_request(exc)")
        self.app.do_teardown_request(self, exc)
        self.stacks["request"].pop()
        # pop's finally: ctx.request.environ["werkzeug.request"] = None
        self.request.environ["werkzeug.request"] = None
        rec.step(self.actor, self.client, TEARDOWN, None, "reqctx_popped",
                 state={self.ctx_key: self.stacks_view(),
                        self.environ_key: environ_view(self.request.environ)})
        if pop_app:
            self.app_ctx.pop(self, exc)
