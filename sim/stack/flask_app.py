"""``flask.app.Flask`` (3.1): from ``__call__`` to the response, with the declared hooks.

Read beside ``flask/app.py``: ``wsgi_app`` -> ``full_dispatch_request`` ->
``preprocess_request`` -> ``dispatch_request`` -> ``finalize_request``, and the context pops in
``wsgi_app``'s ``finally``, before the server iterates the body (so a streamed view's
generator runs after teardown, as in the real stack). The user's views and hooks are data
(:mod:`sim.scenario`); they appear in steps as ``app.<name>``.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlunsplit

from ..layers import Layer
from ..scenario import App, Blueprint, Hook, Route, View, exception_class
from ..scheduler import Sleep
from ..trace import Phase
from . import blinker_base, werkzeug016_routing, werkzeug016_urls, werkzeug_internal, werkzeug_sansio, werkzeug_wsgi
from .flask_ctx import AppContext, RequestContext
from .flask_helpers import Generate, StreamWithContext, StreamWithContext11
from .http_status import MISSING_IN_016, WERKZEUG_ERROR_CODES, WERKZEUG_ERRORS
from .tracebacks import AppExit, last_line
from .werkzeug_routing import Map, MethodNotAllowed, NotFound, RequestRedirect, Rule, rule_methods
from .werkzeug_serving import run_simple
from .werkzeug_utils import (
    RangeNotSatisfiable,
    file_chunks,
    is_resource_modified,
    parse_range_016,
    partial_content,
    range_processable,
    send_file,
)
from .werkzeug_wrappers import (
    ClosingIterator,
    Headers,
    HTTPException,
    Response,
    encoded_length_016,
    error_response_016,
    get_content_type,
    set_uri_headers,
    status_016,
    status_text_016,
)
from .world import MAIN, ORIGIN_KEY, Process

# The phases and layers of this module's steps as globals: a member looked up on its enum
# class goes through the metaclass, a cost paid at every step.
STARTUP, APP, HOOKS, DISPATCH, RESPOND, CLOSE, TEARDOWN = (
    Phase.STARTUP, Phase.APP, Phase.HOOKS, Phase.DISPATCH, Phase.RESPOND, Phase.CLOSE, Phase.TEARDOWN)
LAYER_FLASK, LAYER_VIEW = Layer.FLASK, Layer.VIEW


def _flask_run_key(server) -> str:
    """The caption of ``app.run``: ``options.setdefault("threaded", True)`` (Flask 1.0 on)
    keeps a ``threaded`` the script passes, and makes it True when it passes none. Said
    apart, so a run that passes False does not read as if False were the default."""
    return "flask_run" if server.threaded is None else "flask_run_passed"


class AppRaised(Exception):
    """An exception a declared view raises (``{"raise": "RuntimeError"}``)."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message)
        self.real_name = name
        #: a stream's generator the view made before raising (its frame holds it)
        self.dropped_body: Any = None


def drop_body(error: Exception) -> None:
    """The end of ``except Exception as e:`` deletes ``e``: its traceback, the view's frame
    and a generator made there go, and CPython 3.11 closes the generator (a call the
    profiler sees, even unstarted)."""
    body = getattr(error, "dropped_body", None)
    if body is not None:
        body.close()




@dataclass(slots=True, eq=False)
class Endpoint:
    """What ``view_functions[endpoint]`` holds: the declared view and its blueprint."""

    name: str
    view_name: str
    view: View | None
    blueprint: str | None
    #: what the view's steps name: ``app.<view name>``, and the view's JSON pointer
    qualname: str = ""
    decl: str | None = None


@dataclass(slots=True, eq=False)
class Scaffold:
    """The hooks and error handlers of the app (``None``) or of one blueprint."""

    before_request: list[Hook] = field(default_factory=list)
    after_request: list[Hook] = field(default_factory=list)
    teardown_request: list[Hook] = field(default_factory=list)
    url_value_preprocessors: list[Hook] = field(default_factory=list)
    #: ``error_handler_spec``: code (None for exception classes) -> class name -> handler
    errorhandlers: dict[int | None, dict[str, Any]] = field(default_factory=dict)


class Flask:
    #: the lines of ``handle_user_exception`` / ``handle_http_exception`` that find and call
    #: an error handler, and the one of ``dispatch_request`` that calls the view (Flask 1.1
    #: words them differently; the path is the same)
    FIND_HANDLER_LINE = "handler = self._find_error_handler(e, request.blueprints)"
    CALL_HANDLER_LINE = "return self.ensure_sync(handler)(e)"
    VIEW_CALL_LINE = "return self.ensure_sync(self.view_functions[rule.endpoint])(**view_args)"

    def __init__(self, world, decl: App) -> None:
        self.world = world
        self.rec = world.recorder
        self.name = decl.name
        self.decl = decl
        self.display_name = f"Flask app {decl.name!r}"
        self.static_files = decl.static_files
        self.endpoints: dict[str, Endpoint] = {}
        self.scaffolds: dict[str | None, Scaffold] = {None: _scaffold(decl)}
        self.teardown_appcontext = decl.teardown_appcontext
        #: the JSON pointer of each declared hook, view and error handler (by identity)
        self.pointers = declaration_pointers(decl)
        rules = [self._rule("/static/<path:filename>", "static", None, None, "<lambda>")]
        for route in decl.routes:
            rules.append(self._route_rule(route, None))
        for bp in decl.blueprints:
            self.scaffolds[bp.name] = _scaffold(bp)
            for route in bp.routes:
                rules.append(self._route_rule(route, bp))
        self.url_map = self.url_map_class(rules)
        self.signal_steps = blinker_base.send_steps(self.signal_send)

    #: ``Flask.url_map_class`` / ``url_rule_class``: Werkzeug 3's map and rules
    url_map_class: Any = Map
    url_rule_class: Any = Rule
    #: what ``make_response`` turns into JSON (Flask 2.2 added lists)
    JSON_RETURN_TYPES: tuple[type, ...] = (dict, list)
    #: ``make_response``'s TypeErrors, word for word
    NONE_RETURNED = (
        "The view function for {endpoint!r} did not return a valid response. The function either"
        " returned None or ended without a return statement."
    )
    BAD_RETURN = (
        "The view function did not return a valid response. The return type must be a string,"
        " dict, list, tuple with headers or status, Response instance, or WSGI callable, but it"
        " was a {type}."
    )
    #: ``Headers``' ValueError for a value with a newline (``_str_header_value``), word for word
    HEADER_NEWLINE = "Header values must not contain newline characters."
    #: ``MapAdapter.match``: its qualname and the line it spends its time on
    MATCH_QUALNAME = "werkzeug.routing.map.MapAdapter.match"
    MATCH_LINE = "result = self.map._matcher.match(domain_part, path_part, method, websocket)"

    #: what sends Flask's signals (Flask 3.1.3 on blinker 1.9)
    signal_send = blinker_base.SEND
    #: how ``request.stream`` reads ``CONTENT_LENGTH`` (Werkzeug 3.1)
    get_content_length = staticmethod(werkzeug_wsgi.get_content_length)
    #: what ``request.stream`` is for a body of known length (Werkzeug 3.1: reads with readinto)
    limited_stream = werkzeug_wsgi.LimitedStream

    #: the codes ``Aborter``'s mapping (``default_exceptions``) has a class for
    abort_codes = WERKZEUG_ERROR_CODES

    def aborted(self, code: int) -> Exception:
        """What ``abort(code)`` raises: ``Aborter`` finds the code's class; for a code it has
        none for (402), ``LookupError``, not an HTTP error, so Flask answers it as the view's
        own error (a 500). Flask builds the app all the same: the error comes per request."""
        if code not in self.abort_codes:
            return AppRaised("LookupError", f"no exception for {code}")
        return HTTPException(code)

    def send_signal(self, ctx: RequestContext, signal: str) -> None:
        """``signal.send(...)`` from the Flask function that sends it (``blinker_base.SENDERS``)."""
        key, args, line = self.signal_steps[signal]
        self.rec.step(ctx.actor, ctx.client, APP, self.signal_send, key, args, line=line)

    def _route_rule(self, route: Route, bp: Blueprint | None) -> Rule:
        if bp is None:
            return self._rule(route.rule, route.endpoint_name, route.methods, route.view,
                              route.view_name, None, route.strict_slashes)
        # BlueprintSetupState.add_url_rule: "/bp" + "/" is "/bp/", "/bp" + "" is "/bp"
        return self._rule(bp.full_rule(route.rule), f"{bp.name}.{route.endpoint_name}", route.methods,
                          route.view, route.view_name, bp.name, route.strict_slashes)

    def _rule(self, rule: str, endpoint: str, methods, view, view_name: str,
              blueprint: str | None = None, strict_slashes: bool = True) -> Rule:
        method_set, automatic = rule_methods(methods)
        self.endpoints[endpoint] = Endpoint(endpoint, view_name, view, blueprint, f"app.{view_name}",
                                            None if view is None else self.pointers[id(view)])
        return self.url_rule_class(rule, endpoint, method_set, strict_slashes, automatic)

    # -- startup ---------------------------------------------------------------------

    def record_init(self) -> None:
        rec = self.rec
        rec.step("main", None, STARTUP, "flask.app.Flask.__init__", "flask_init", {"name": self.name},
                 line="self.add_url_rule(")
        rec.step("main", None, STARTUP, "flask.sansio.app.App.add_url_rule",
                 "add_url_rule", {"rule": "/static/<path:filename>", "endpoint": "static"},
                 line="self.url_map.add(rule_obj)")
        for rule in self.url_map.rules:
            if rule.endpoint == "static":
                continue
            rec.step("main", None, STARTUP, "flask.sansio.app.App.add_url_rule",
                     "add_url_rule", {"rule": rule.rule, "endpoint": rule.endpoint},
                     line="self.url_map.add(rule_obj)")

    def run(self):
        """``app.run()``: Flask's defaults (threaded), then ``run_simple``."""
        rec = self.rec
        rec.step("main", None, STARTUP, "flask.app.Flask.run", _flask_run_key(self.world.scenario.server),
                 {"threaded": self.world.scenario.server.threads},
                 line="run_simple(t.cast(str, host), port, self, **options)")
        rec.log("main", f" * Serving Flask app '{self.name}'")
        rec.log("main", " * Debug mode: off")
        return run_simple(self.world, self)

    # -- the WSGI entry point --------------------------------------------------------

    def __call__(self, environ, start_response):
        origin = environ[ORIGIN_KEY]
        self.rec.step(origin.actor, origin.client, APP, "flask.app.Flask.__call__", "flask_call",
                      line="return self.wsgi_app(environ, start_response)")
        # wsgi_app's generator itself, as the real method returns its result: the server
        # drives it with ``yield from`` at once, and no generator of our own sits between
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ, start_response):
        origin = environ[ORIGIN_KEY]
        self.rec.step(origin.actor, origin.client, APP, "flask.app.Flask.wsgi_app", "wsgi_app",
                      line="ctx = self.request_context(environ)")
        ctx = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = yield from self.full_dispatch_request(ctx)
            except Exception as err:
                error = err
                response = self.handle_exception(ctx, err)
            except BaseException as err:  # the bare ``except:``: teardown sees it, then it goes on
                error = err
                raise
            return response(environ, start_response)
        finally:
            ctx.pop(error)

    def request_context(self, environ) -> RequestContext:
        origin = environ[ORIGIN_KEY]
        self.rec.step(origin.actor, origin.client, APP, "flask.app.Flask.request_context",
                      "request_context", line="return RequestContext(self, environ)")
        return RequestContext(self, environ)

    def app_context(self, ctx: RequestContext) -> AppContext:
        self.rec.step(ctx.actor, ctx.client, APP, "flask.app.Flask.app_context", "app_context",
                      line="return AppContext(self)")
        return AppContext(self, ctx)

    # -- dispatch ----------------------------------------------------------------------

    def match(self, ctx: RequestContext) -> None:
        """``MapAdapter.match``, as ``RequestContext.match_request`` calls it."""
        request = ctx.request
        try:
            rule, values = self.url_map.match(request.path_info, request.method)
        except TypeError as err:
            # A converter argument of the wrong type (``int(min='a')``) fails in to_python:
            # it escapes match_request (which catches HTTPException only) and ctx.push, so
            # wsgi_app handles it as the app's own error (a 500).
            self.rec.step(ctx.actor, ctx.client, DISPATCH, self.MATCH_QUALNAME,
                          "map_match_failed", {"method": request.method, "path": request.path,
                                               "endpoint": None, "error": type(err).__name__},
                          line=self.MATCH_LINE)
            raise AppRaised(type(err).__name__, str(err)) from None
        except NotFound:
            request.routing_exception = HTTPException(404)
        except MethodNotAllowed as err:
            request.routing_exception = HTTPException(405, valid_methods=err.valid_methods)
        except RequestRedirect as err:
            request.routing_exception = HTTPException(308, new_url=self.redirect_url(request, err.new_path))
        else:
            request.set_rule(rule, values)
        routed = request.routing_exception
        # One step, with the outcome in its caption: matching never blocks.
        self.rec.step(ctx.actor, ctx.client, DISPATCH, self.MATCH_QUALNAME,
                      "map_match" if routed is None else "map_match_failed",
                      {"method": request.method, "path": request.path, "endpoint": request.endpoint,
                       "error": routed.code if routed else None},
                      line=self.MATCH_LINE)

    def redirect_url(self, request, new_path: str) -> str:
        """``MapAdapter.make_redirect_url``: the adapter's server name is ``get_host``
        lower-cased (``bind_to_environ``); ``new_path`` comes quoted from ``Map.match``;
        the query string is kept as it came."""
        return _redirect_url(get_host(request.environ).lower(), request, new_path)

    #: ``repr(request)``: what ``environ["werkzeug.request"]`` shows in the inspector
    request_repr = staticmethod(werkzeug_sansio.request_repr)

    def bind_error(self, request) -> HTTPException | None:
        """What ``create_url_adapter`` raises in ``RequestContext.__init__``. Werkzeug 3's
        ``get_host`` empties a host with characters a host cannot have, but one made of
        allowed ones can still fail ``Map.bind``'s IDNA encoding of the name (the port left
        aside): ``localhost..`` has an empty label. That raises ``BadHost`` (a 400): the
        context then has no URL adapter and ``push`` never calls ``match_request``."""
        if _bind_fails(get_host(request.environ)):
            return HTTPException(400)
        return None

    def full_dispatch_request(self, ctx: RequestContext):
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.full_dispatch_request",
                      "full_dispatch_request", line="rv = self.preprocess_request()")
        try:
            self.send_signal(ctx, "request_started")
            rv = self.preprocess_request(ctx)
            if rv is None:
                rv = yield from self.dispatch_request(ctx)
        except Exception as err:
            rv = self.handle_user_exception(ctx, err)
            drop_body(err)
        return self.finalize_request(ctx, rv)

    def preprocess_request(self, ctx: RequestContext):
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, HOOKS, "flask.app.Flask.preprocess_request",
                      "preprocess_request", line="for name in names:")
        names = (None, *reversed(request.blueprints))
        for name in names:
            for hook in self.scaffold(name).url_value_preprocessors:
                self.call_hook(ctx, hook, "url_value_preprocessor")
        for name in names:
            for hook in self.scaffold(name).before_request:
                rv = self.call_hook(ctx, hook, "before_request")
                if rv is not None:
                    return rv
        return None

    def call_hook(self, ctx: RequestContext, hook: Hook, kind: str):
        """Run a declared hook: a step, and its return value when it returns early."""
        applies = hook.only_path is None or hook.only_path == ctx.request.path
        returns = hook.returns if applies else None
        self.rec.step(ctx.actor, ctx.client, HOOKS, f"app.{hook.name}", f"hook_{kind}",
                      {"name": hook.name, "returns": returns.status if returns else None},
                      layer=LAYER_FLASK, decl=self.pointers[id(hook)])
        if returns is None:
            return None
        return (returns.text, returns.status, returns.headers) if returns.headers else (
            returns.text, returns.status)

    def dispatch_request(self, ctx: RequestContext):
        request = ctx.request
        rule = request.url_rule
        # The step lights the branch the real method takes: a request routing failed for
        # never reaches a view (its endpoint is None), an automatic OPTIONS neither.
        if request.routing_exception is not None:
            self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.dispatch_request",
                          "dispatch_request_routing_error",
                          {"code": request.routing_exception.code,
                           "error": _error_name(request.routing_exception)},
                          line="self.raise_routing_exception(req)")
            self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.raise_routing_exception",
                          "raise_routing_exception", {"code": request.routing_exception.code},
                          line="raise request.routing_exception")
            raise request.routing_exception
        if rule.provide_automatic_options and request.method == "OPTIONS":
            self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.dispatch_request",
                          "dispatch_request_options", {"endpoint": request.endpoint},
                          line="return self.make_default_options_response()")
            return self.make_default_options_response(ctx)
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.dispatch_request",
                      "dispatch_request", {"endpoint": request.endpoint}, line=self.VIEW_CALL_LINE)
        endpoint = self.endpoints[rule.endpoint]
        if endpoint.view is None:
            return self.send_static_file(ctx, request.view_args["filename"])
        return (yield from self.call_view(ctx, endpoint))

    def make_default_options_response(self, ctx: RequestContext):
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.make_default_options_response",
                      "make_default_options_response", line="methods = adapter.allowed_methods()")
        methods = self.url_map.allowed_methods(ctx.request.path_info)
        # response_class() has no body yet, so Content-Length comes last (get_wsgi_headers)
        response = Response(200, Headers([("Content-Type", get_content_type("text/html"))]), [])
        if methods:  # rv.allow.update([]): an empty HeaderSet sets no Allow header at all
            response.headers.set("Allow", ", ".join(methods))
        return response

    def call_view(self, ctx: RequestContext, endpoint: Endpoint):
        view = endpoint.view
        kind = view.kind
        name = endpoint.view_name
        decl = endpoint.decl
        args = {"name": name, "args": _show_args(ctx.request.view_args)}
        if view.sleep:
            # Entered, it sleeps first (``time.sleep`` is its first line); what it returns is
            # a step of its own after the sleep, so the order on screen is the real one.
            self.rec.step(ctx.actor, ctx.client, DISPATCH, endpoint.qualname, "view_sleep",
                          {**args, "ms": view.sleep}, layer=LAYER_VIEW, decl=decl)
            yield Sleep(view.sleep)
            self.rec.step(ctx.actor, ctx.client, DISPATCH, None, f"view_{kind}", args,
                          layer=LAYER_VIEW, decl=decl)
        else:
            self.rec.step(ctx.actor, ctx.client, DISPATCH, endpoint.qualname, f"view_{kind}", args,
                          layer=LAYER_VIEW, decl=decl)
        if kind == "abort":
            raise self.aborted(view.abort)
        if kind == "raise":
            raise raised(view.raise_)
        headers = dict(view.headers)
        if kind == "text":
            self.response_in_view(view, headers)
            return _with_status(view.text, view.status, headers, view.mimetype)
        if kind == "json":
            body = _fill(view.json_, ctx.request.view_args or {})
            self.response_in_view(view, headers)
            if view.mimetype is not None:
                # ``Response(value, status, headers, mimetype=...)``: the value itself is the
                # body, as Werkzeug takes it (not JSON).
                return response_of_value(body, view.status, headers, view.mimetype)
            if isinstance(body, self.JSON_RETURN_TYPES):
                # ``return {...}``: make_response hands a dict (or list) to the JSON response
                body = Response.from_text(_json_body(body), mimetype="application/json")
            return _with_status(body, view.status, headers, view.mimetype)
        if kind == "echo":
            data = yield from ctx.request.get_data()
            self.response_in_view(view, headers)
            return _with_status(data, view.status, headers, view.mimetype)
        return self.stream_response(ctx, name, view, headers, decl)

    def response_in_view(self, view: View, headers: dict[str, str]) -> None:
        """A view with a mimetype makes its ``Response(..., headers=...)`` itself (a stream
        view too: ``stream_response``): the headers are checked there, in the view
        (``handle_user_exception`` sees the error); the others return them for
        ``make_response``."""
        if view.mimetype is not None:
            self.check_header_values(headers)

    def check_header_values(self, headers: dict[str, str], body: Any = None) -> None:
        """Werkzeug's ``Headers`` refuses a value holding a newline wherever one is added
        (``Headers(...)``, ``set``, ``update``; 0.16 alike): a ValueError at that point.
        A stream's generator made before it (`body`) is dropped with the error's traceback
        (``drop_body``)."""
        for value in headers.values():
            if "\r" in value or "\n" in value:
                error = AppRaised("ValueError", self.HEADER_NEWLINE)
                error.dropped_body = body
                raise error

    def stream_response(self, ctx: RequestContext, name: str, view: View, headers, decl: str):
        """``Response(generate(), mimetype=...)``: the body is produced while the server
        iterates it, after ``wsgi_app`` has popped the request context."""
        body = Generate(ctx, f"app.{name}.<locals>.generate", view.stream, view.interval, decl)
        if view.with_context:
            body = StreamWithContext(ctx, body)
        self.check_header_values(headers, body)
        # Response(generate(), status=..., headers=..., mimetype=...): the declared headers
        # first, in order; then Content-Type from the mimetype replaces a declared one in
        # place (without a mimetype, a declared Content-Type stays).
        return Response.from_iterator(body, view.status or 200, Headers(list(headers.items())),
                                      mimetype=view.mimetype)

    def send_static_file(self, ctx: RequestContext, filename: str):
        """The static route's view: ``send_static_file`` -> ``send_from_directory``."""
        rec = self.rec
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.__init__.<locals>.<lambda>",
                 "static_lambda", {"filename": filename},
                 line="view_func=lambda **kw: self_ref().send_static_file(**kw)")
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.send_static_file", "send_static_file",
                 {"filename": filename},
                 line="return send_from_directory(")
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers.send_from_directory",
                 "send_from_directory", {"filename": filename},
                 line="return werkzeug.utils.send_from_directory(  # type: ignore[return-value]")
        found = self.static_files.get(filename)
        if found is None:
            raise HTTPException(404)
        request = ctx.request
        return send_file(filename, found.text.encode(), found.mtime, request.environ,
                         request.date_header(), self.world.mimetypes)

    # -- errors --------------------------------------------------------------------------

    def find_error_handler(self, err: BaseException, blueprints: list[str]):
        """``_find_error_handler``: handlers for the error's code (blueprints first, then
        the app), then handlers for its classes, each map searched along the MRO. Returns
        the handler and the code it was registered for (None: an exception class)."""
        code = err.code if isinstance(err, HTTPException) else None
        mro = exception_mro(err)
        for c in (code, None) if code is not None else (None,):
            for name in (*blueprints, None):
                handler_map = self.scaffold(name).errorhandlers.get(c)
                if not handler_map:
                    continue
                for cls in mro:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler, c
        return None

    def scaffold(self, name: str | None) -> Scaffold:
        """The hooks of a blueprint name; an app endpoint with a dot (``"a.b"``) names a
        blueprint that may not exist, and Flask's defaultdicts give it nothing."""
        return self.scaffolds.get(name, _NO_HOOKS)

    def call_error_handler(self, ctx: RequestContext, handler, code: int | None) -> tuple:
        # keyed by a code: ``return text, code``; by an exception class: ``return text``
        status = handler.status or code or 200
        self.rec.step(ctx.actor, ctx.client, DISPATCH, f"app.{handler.name}",
                      "errorhandler", {"name": handler.name, "status": status},
                      layer=LAYER_FLASK, decl=self.pointers[id(handler)])
        if handler.headers:
            return handler.text, status, dict(handler.headers)
        return handler.text, status

    def handle_user_exception(self, ctx: RequestContext, err: Exception):
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.handle_user_exception",
                      "handle_user_exception", {"error": _error_name(err)},
                      line="return self.handle_http_exception(e)" if isinstance(err, HTTPException)
                      else self.FIND_HANDLER_LINE)
        if isinstance(err, HTTPException):
            return self.handle_http_exception(ctx, err)
        found = self.find_error_handler(err, ctx.request.blueprints)
        if found is None:
            raise err
        return self.call_error_handler(ctx, *found)

    def handle_http_exception(self, ctx: RequestContext, err: HTTPException):
        found = None
        if err.new_url is None:  # a RoutingException is returned as it is
            found = self.find_error_handler(err, ctx.request.blueprints)
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.handle_http_exception",
                      "handle_http_exception", {"code": err.code,
                                                "handler": found[0].name if found else None},
                      line=self.CALL_HANDLER_LINE if found else "return e")
        if found is None:
            return err
        return self.call_error_handler(ctx, *found)

    def handle_exception(self, ctx: RequestContext, err: BaseException):
        """An unhandled error: log it, make a 500, finalize it (after_request runs)."""
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.handle_exception",
                      "handle_exception", {"error": _error_name(err)},
                      line="server_error = InternalServerError(original_exception=e)")
        self.send_signal(ctx, "got_request_exception")
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.log_exception",
                      "log_exception", {"path": request.path, "method": request.method},
                      line='self.logger.error(')
        self.log_error(ctx, f"Exception on {request.path} [{request.method}]", err)
        server_error: Any = HTTPException(500)
        found = self.find_error_handler(server_error, request.blueprints)
        if found is not None:
            server_error = self.call_error_handler(ctx, *found)
        return self.finalize_request(ctx, server_error, from_error_handler=True)

    def log_error(self, ctx: RequestContext, message: str, err: BaseException) -> None:
        """``app.logger.error``/``exception`` with Flask's default format, and the
        traceback's last line. ``app.logger`` is made here, the first time it is used: for an
        app named ``""`` it is the root logger, and its handler writes Werkzeug's lines too."""
        if self.name == "":
            werkzeug_internal.create_root_logger(self.world, ctx.actor)
        tm = self.world.wall_time()
        self.rec.log(ctx.actor,
                     f"[{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d} {tm.tm_hour:02d}:"
                     f"{tm.tm_min:02d}:{tm.tm_sec:02d},000] ERROR in app: {message}\n{last_line(err)}")

    def internal_server_error_app(self):
        return InternalServerErrorApp()

    # -- the response ----------------------------------------------------------------------

    def finalize_request(self, ctx: RequestContext, rv, from_error_handler: bool = False):
        self.rec.step(ctx.actor, ctx.client, RESPOND, "flask.app.Flask.finalize_request",
                      "finalize_request", line="response = self.make_response(rv)")
        response = self.make_response(ctx, rv)
        try:
            response = self.process_response(ctx, response)
            self.send_signal(ctx, "request_finished")
        except Exception as err:
            if not from_error_handler:
                raise
            # the error page is sent as it stands (an after_request hook may have changed it)
            self.log_error(ctx, "Request finalizing failed with an error while handling an error", err)
        return response

    def make_response(self, ctx: RequestContext, rv) -> Response:
        self.rec.step(ctx.actor, ctx.client, RESPOND, "flask.app.Flask.make_response", "make_response",
                      {"kind": _rv_kind(rv)}, line="rv = self.response_class(")
        status = headers = None
        if isinstance(rv, tuple):
            if len(rv) == 3:
                rv, status, headers = rv
            elif isinstance(rv[1], dict):
                rv, headers = rv
            else:
                rv, status = rv
        if rv is None:
            raise AppRaised("TypeError", self.NONE_RETURNED.format(endpoint=ctx.request.endpoint))
        if isinstance(rv, HTTPException):
            rv = rv.get_response()
        elif isinstance(rv, (str, bytes)):  # a tuple: a union is built per call
            data = rv.encode() if isinstance(rv, str) else rv
            if headers:  # response_class(rv, status, headers)
                self.check_header_values(headers)
                return Response.from_text(data, status or 200, Headers(list(headers.items())))
            return Response.from_text(data, status or 200, Headers())
        elif not isinstance(rv, Response):
            raise AppRaised("TypeError", self.BAD_RETURN.format(type=type(rv).__name__))
        if status is not None:
            rv.set_status(status)
        if headers:
            self.check_header_values(headers)
            self.apply_headers(rv, headers)
        return rv

    def apply_headers(self, response: Response, headers: dict[str, str]) -> None:
        """``rv.headers.update(headers)``: a returned header replaces the response's own."""
        response.headers.update(headers)

    def process_response(self, ctx: RequestContext, response: Response) -> Response:
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, HOOKS, "flask.app.Flask.process_response",
                      "process_response", line="for name in chain(request.blueprints, (None,)):")
        for name in (*request.blueprints, None):
            for hook in reversed(self.scaffold(name).after_request):
                self.rec.step(ctx.actor, ctx.client, HOOKS, f"app.{hook.name}",
                              "hook_after_request", {"name": hook.name,
                                                     "headers": ", ".join(hook.set_headers)},
                              layer=LAYER_FLASK, decl=self.pointers[id(hook)])
                for key, value in hook.set_headers.items():
                    self.check_header_values({key: value})  # ``response.headers[key] = value``
                    response.headers.set(key, value)
        return response

    # -- teardown --------------------------------------------------------------------------

    def do_teardown_request(self, ctx: RequestContext, exc) -> None:
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.app.Flask.do_teardown_request",
                      "do_teardown_request", {"error": _error_name(exc) if exc else None},
                      line="for name in chain(request.blueprints, (None,)):")
        for name in (*request.blueprints, None):
            for hook in reversed(self.scaffold(name).teardown_request):
                self.rec.step(ctx.actor, ctx.client, TEARDOWN, f"app.{hook.name}",
                              "hook_teardown", {"name": hook.name,
                                                "error": _error_name(exc) if exc else "None"},
                              layer=LAYER_FLASK, decl=self.pointers[id(hook)])
        self.send_signal(ctx, "request_tearing_down")

    def do_teardown_appcontext(self, ctx: RequestContext, exc) -> None:
        self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.app.Flask.do_teardown_appcontext",
                      "do_teardown_appcontext", line="for func in reversed(self.teardown_appcontext_funcs):")
        for hook in reversed(self.teardown_appcontext):
            self.rec.step(ctx.actor, ctx.client, TEARDOWN, f"app.{hook.name}",
                          "hook_teardown_appcontext", {"name": hook.name,
                                                       "error": _error_name(exc) if exc else "None"},
                          layer=LAYER_FLASK, decl=self.pointers[id(hook)])
        self.send_signal(ctx, "appcontext_tearing_down")


class InternalServerErrorApp:
    """``execute(InternalServerError())`` in ``run_wsgi``: the exception as a WSGI app."""

    display_name = "InternalServerError()"

    def __call__(self, environ, start_response):
        response = HTTPException(500).get_response()
        start_response(response.status, response.wsgi_headers())
        return response.body
        yield


HOOK_LISTS = ("url_value_preprocessors", "before_request", "after_request", "teardown_request")


def declaration_pointers(app: App) -> dict[int, str]:
    """The JSON pointer (RFC 6901) into the scenario of every declared hook, view and error
    handler, keyed by the declaration object's identity (they are frozen and live as long
    as the scenario): a step that runs one says which (``Step.decl``)."""
    pointers: dict[int, str] = {}

    def scaffold(decl, base: str) -> None:
        for kind in HOOK_LISTS:
            for i, hook in enumerate(getattr(decl, kind)):
                pointers[id(hook)] = f"{base}/{kind}/{i}"
        for key, handler in decl.errorhandlers.items():
            pointers[id(handler)] = f"{base}/errorhandlers/{_pointer_token(str(key))}"
        for i, route in enumerate(decl.routes):
            pointers[id(route.view)] = f"{base}/routes/{i}/view"

    scaffold(app, "/app")
    for i, hook in enumerate(app.teardown_appcontext):
        pointers[id(hook)] = f"/app/teardown_appcontext/{i}"
    for i, blueprint in enumerate(app.blueprints):
        scaffold(blueprint, f"/app/blueprints/{i}")
    return pointers


def _pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _scaffold(decl) -> Scaffold:
    return Scaffold(
        before_request=list(decl.before_request),
        after_request=list(decl.after_request),
        teardown_request=list(decl.teardown_request),
        url_value_preprocessors=list(decl.url_value_preprocessors),
        errorhandlers=error_handler_spec(decl.errorhandlers),
    )


_NO_HOOKS = Scaffold()


def error_handler_spec(declared: dict[str, Any]) -> dict[int | None, dict[str, Any]]:
    """``Scaffold.register_error_handler`` for each key: ``spec[code][class name]``. A code
    stands for its werkzeug.exceptions class (404: NotFound); a class name has no code."""
    spec: dict[int | None, dict[str, Any]] = {}
    for key, handler in declared.items():
        if key.isdigit():
            spec.setdefault(int(key), {})[WERKZEUG_ERRORS[int(key)][0]] = handler
        else:
            spec.setdefault(None, {})[key] = handler
    return spec


#: werkzeug.exceptions classes between a default exception and HTTPException (checked
#: against Werkzeug by tests/sim/test_flask_app.py)
_HTTP_EXCEPTION_BASES = {"ClientDisconnected": ("BadRequest",), "TooManyRequests": ("_RetryAfter",),
                         "ServiceUnavailable": ("_RetryAfter",)}


def raised(name: str) -> BaseException:
    """What ``raise <name>`` raises. Python calls the class with no arguments: one that needs
    some (``UnicodeDecodeError`` takes five) raises a ``TypeError`` there, and that is what
    the view raises. A class that is no ``Exception`` (``SystemExit``) leaves the app."""
    found = exception_class(name)
    if found is None:
        return AppRaised(name)
    try:
        instance = found()
    except TypeError as err:
        return AppRaised("TypeError", str(err))
    if not isinstance(instance, Exception):
        return AppExit(name)
    return AppRaised(name, str(instance))


def exception_mro(err: BaseException) -> list[str]:
    """The names of ``type(err).__mro__`` for the exception the real app would have: a
    werkzeug.exceptions class, or a builtin named by the scenario (``raise``)."""
    name = _error_name(err)
    if isinstance(err, HTTPException):
        return [name, *_HTTP_EXCEPTION_BASES.get(name, ()), "HTTPException", "Exception",
                "BaseException", "object"]
    found = exception_class(name)
    return [cls.__name__ for cls in found.__mro__] if found is not None else [name, "Exception"]


class ValueBody:
    """``Response.iter_encoded`` over a value given as the response iterable: each item, a
    str encoded. A dict yields its keys; a number is not iterable (TypeError, raised when
    the server first iterates it: a 500 from ``run_wsgi``)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __iter__(self):
        for item in self.value:
            yield item.encode() if isinstance(item, str) else item


def response_of_value(value: Any, status, headers: dict[str, str], mimetype: str) -> Response:
    """``Response(value, status=..., headers=..., mimetype=...)`` for a json view's value.

    A str is the body. A list is a sequence: ``get_wsgi_headers`` sums ``len()`` of its
    encoded items for Content-Length, so a number in it raises TypeError in
    ``Response.__call__``. Anything else is an iterable of unknown length (no
    Content-Length)."""
    header_list = Headers(list(headers.items()))
    if isinstance(value, str):
        return Response.from_text(value.encode(), 200 if status is None else status, header_list, mimetype)
    if isinstance(value, list):
        # ``self.response = value``, not ``set_data``: no Content-Length of its own, so a
        # declared one stays (and get_wsgi_headers sums the items' lengths only without one)
        header_list.set("Content-Type", get_content_type(mimetype))
        response = Response(0, header_list, [item.encode() if isinstance(item, str) else item
                                             for item in value])
        response.set_status(200 if status is None else status)
        return response
    return Response.from_iterator(iter(ValueBody(value)), 200 if status is None else status,
                                  header_list, mimetype)


def _with_status(body, status, headers: dict[str, str], mimetype: str | None) -> Any:
    """What the natural view returns: ``body``, ``(body, status)``, ``(body, headers)`` or
    ``(body, status, headers)``; with a mimetype, ``Response(body, ..., mimetype=...)``."""
    if mimetype is not None:
        data = body.encode() if isinstance(body, str) else body
        return Response.from_text(data, status or 200, Headers(list(headers.items())), mimetype)
    if status is not None and headers:
        return body, status, headers
    if status is not None:
        return body, status
    if headers:
        return body, headers
    return body




def _fill(value: Any, args: dict[str, Any]) -> Any:
    """Replace ``"{name}"`` with the URL value (keeping its type), recursively; inside a
    longer string, each ``{name}`` becomes the value's text in one pass, as the f-string of
    the declared app (``sim.appsource``) does: a value that reads ``{other}`` stays so."""
    if isinstance(value, str):
        if value.startswith("{") and value[1:-1] in args and value.endswith("}"):
            return args[value[1:-1]]
        return _PLACEHOLDER.sub(lambda found: str(args[found[1]]) if found[1] in args else found[0], value)
    if isinstance(value, dict):
        return {key: _fill(item, args) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, args) for item in value]
    return value


#: a ``{name}`` in a declared JSON string (names as a rule's variables are: identifiers)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _json_body(value: Any) -> bytes:
    """``app.json.response(value)``: sorted keys, compact separators, a trailing newline."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return f"{text}\n".encode()


#: ``werkzeug.sansio.utils._host_re``: what a ``host:port`` may be made of.
_HOST_RE = re.compile(r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+])(?::([1-9][0-9]{,4}))?",
                      re.ASCII | re.IGNORECASE)
def get_host(environ: dict) -> str:
    """``werkzeug.wsgi.get_host`` (3.1.8+): the ``Host`` header, else ``SERVER_NAME:PORT``;
    ``:80`` dropped; a value with characters a host cannot have is treated as empty."""
    host = environ.get("HTTP_HOST")
    if host is None:
        name = environ["SERVER_NAME"]
        if ":" in name and name[0] != "[":
            name = f"[{name}]"
        host = f"{name}:{environ['SERVER_PORT']}"
    return _checked_host(host)


@functools.lru_cache(maxsize=1024)
def _checked_host(host: str) -> str:
    """``get_host``'s checks of a host value (a pure function of it, cached: a run asks it
    of the same few hosts once per request)."""
    host = host.removesuffix(":80")
    found = _HOST_RE.fullmatch(host) if host else None
    if found is None or (found[2] and not 1 <= int(found[2]) <= 65535):
        return ""
    return host


@functools.lru_cache(maxsize=1024)
def _bind_fails(host: str) -> bool:
    """Whether ``Map.bind``'s IDNA encoding of the host's name fails (cached as
    :func:`_checked_host`)."""
    try:
        host.lower().partition(":")[0].encode("idna")
    except UnicodeError:
        return True
    return False


def _redirect_url(host: str, request, new_path: str) -> str:
    """``MapAdapter.make_redirect_url`` for the adapter's server name ``host``."""
    query = request.environ.get("QUERY_STRING", "").encode("latin1").decode(errors="replace")
    return urlunsplit(("http", host, new_path, query or None, None))


def _show_args(args: dict[str, Any] | None) -> str:
    if not args:  # most views take no URL values: no generator to join
        return ""
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _error_name(err: BaseException) -> str:
    return getattr(err, "real_name", type(err).__name__)


def _rv_kind(rv: Any) -> str:
    if isinstance(rv, Response):
        return "a Response"
    if isinstance(rv, HTTPException):
        return f"the {rv.real_name} exception"
    if isinstance(rv, tuple):
        return "a (body, status/headers) tuple"
    return "a string"


# -- Flask 1.1.4 on Werkzeug 0.16.1 ---------------------------------------------------------
# The same request path; what differs is below: names (``Flask.add_url_rule`` was not yet in
# ``sansio``; Werkzeug's routing and response were single modules), the first-request hook,
# ``auto_pop``, the order of teardown hooks (the app's before a blueprint's), the source lines
# that are lit, and Werkzeug 0.16's error pages.



class Flask11(Flask):
    """``flask.app.Flask`` of Flask 1.1.4."""

    signal_send = blinker_base.FAKE_SEND
    get_content_length = staticmethod(werkzeug_wsgi.get_content_length_016)
    limited_stream = werkzeug_wsgi.LimitedStream016
    url_map_class = werkzeug016_routing.Map
    url_rule_class = werkzeug016_routing.Rule
    JSON_RETURN_TYPES = (dict,)
    NONE_RETURNED = (
        "The view function did not return a valid response. The function either returned None"
        " or ended without a return statement."
    )
    BAD_RETURN = (
        "The view function did not return a valid response. The return type must be a string,"
        " dict, tuple, Response instance, or WSGI callable, but it was a {type}."
    )
    #: Werkzeug 0.16's ``Headers._validate_value``
    HEADER_NEWLINE = "Detected newline in header value.  This is a potential security problem"
    MATCH_QUALNAME = "werkzeug.routing.MapAdapter.match"
    MATCH_LINE = "rv = rule.match(path, method)"
    FIND_HANDLER_LINE = "handler = self._find_error_handler(e)"
    CALL_HANDLER_LINE = "return handler(e)"
    VIEW_CALL_LINE = "return self.view_functions[rule.endpoint](**req.view_args)"

    #: 0.16's ``default_exceptions`` lacks 421 too
    abort_codes = WERKZEUG_ERROR_CODES - MISSING_IN_016

    def record_init(self, actor: str = MAIN) -> None:
        rec = self.rec
        rec.step(actor, None, STARTUP, "flask.app.Flask.__init__", "flask_init", {"name": self.name},
                 line="self.add_url_rule(")
        # Flask.__init__ adds the static route before any of the app's own.
        for rule in sorted(self.url_map.rules, key=lambda r: r.endpoint != "static"):
            rec.step(actor, None, STARTUP, "flask.app.Flask.add_url_rule", "add_url_rule",
                     {"rule": rule.rule, "endpoint": rule.endpoint}, line="self.url_map.add(rule)")

    def run(self, process: Process | None = None):
        """Flask 1.1's ``app.run()``: the banner (click), ``threaded=True`` by default, then
        ``run_simple`` (a generator: it serves). In a reloader child the banner is not
        printed again (``show_server_banner`` returns when ``WERKZEUG_RUN_MAIN`` is set)."""
        from .werkzeug016_serving import run_simple as run_simple_016

        process = self.world.process if process is None else process
        rec = self.rec
        in_child = process.environ.get("WERKZEUG_RUN_MAIN") == "true"
        rec.step(process.main, None, STARTUP, "flask.app.Flask.run",
                 "flask_run_child" if in_child else _flask_run_key(self.world.scenario.server),
                 {"threaded": self.world.scenario.server.threads},
                 line="run_simple(host, port, self, **options)")
        if not in_child:
            for line in (f' * Serving Flask app "{self.name}" (lazy loading)', " * Environment: production",
                         "   WARNING: This is a development server. Do not use it in a production deployment.",
                         "   Use a production WSGI server instead.", " * Debug mode: off"):
                rec.log(process.main, line)
        return run_simple_016(self.world, self, process)

    def wsgi_app(self, environ, start_response):
        origin = environ[ORIGIN_KEY]
        self.rec.step(origin.actor, origin.client, APP, "flask.app.Flask.wsgi_app", "wsgi_app",
                      line="ctx = self.request_context(environ)")
        ctx = self.request_context(environ)
        error: BaseException | None = None
        try:
            try:
                ctx.push()
                response = yield from self.full_dispatch_request(ctx)
            except Exception as err:
                error = err
                response = self.handle_exception(ctx, err)
            except BaseException as err:  # the bare ``except:``: teardown sees it, then it goes on
                error = err
                raise
            return self.call_response(ctx, response, start_response)
        finally:
            self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.ctx.RequestContext.auto_pop",
                          "auto_pop", line="self.pop(exc)")
            if ctx.extra_pushes:  # stream_with_context pushed it again: this pop tears nothing down
                ctx.extra_pushes -= 1
                ctx.pop_nested()
            else:
                ctx.pop(error)

    def stream_response(self, ctx: RequestContext, name: str, view: View, headers, decl: str):
        body = Generate(ctx, f"app.{name}.<locals>.generate", view.stream, view.interval, decl)
        if view.with_context:
            body = StreamWithContext11(ctx, body)
        self.check_header_values(headers, body)
        return Response.from_iterator(body, view.status or 200, Headers(list(headers.items())),
                                      mimetype=view.mimetype)

    def app_context(self, ctx: RequestContext) -> AppContext:
        self.rec.step(ctx.actor, ctx.client, APP, "flask.app.Flask.app_context", "app_context",
                      line="return AppContext(self)")
        return AppContext11(self, ctx)

    def redirect_url(self, request, new_path: str) -> str:
        """0.16's ``make_redirect_url``: the server name is ``get_host`` as it came, lower-cased
        and IDNA-encoded by ``Map.bind`` (``bind_error`` has checked that it encodes)."""
        return _redirect_url(werkzeug016_urls.encode_idna(werkzeug016_urls.get_host(request.environ).lower()),
                             request, new_path)

    request_repr = staticmethod(werkzeug016_urls.request_repr)

    def bind_error(self, request) -> HTTPException | None:
        """``Map.bind`` IDNA-encodes the host; a host that will not encode raises ``BadHost``
        (a 400) in ``create_url_adapter``, inside ``RequestContext.__init__``: the context
        then has no URL adapter and ``push`` never calls ``match_request``."""
        try:
            werkzeug016_urls.encode_idna(werkzeug016_urls.get_host(request.environ).lower())
        except UnicodeError:
            return HTTPException(400)
        return None

    def full_dispatch_request(self, ctx: RequestContext):
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.full_dispatch_request",
                      "full_dispatch_request", line="rv = self.preprocess_request()")
        self.rec.step(ctx.actor, ctx.client, HOOKS,
                      "flask.app.Flask.try_trigger_before_first_request_functions", "try_trigger_first",
                      line="if self._got_first_request:")
        try:
            self.send_signal(ctx, "request_started")
            rv = self.preprocess_request(ctx)
            if rv is None:
                rv = yield from self.dispatch_request(ctx)
        except Exception as err:
            rv = self.handle_user_exception(ctx, err)
            drop_body(err)
        return self.finalize_request(ctx, rv)

    def preprocess_request(self, ctx: RequestContext):
        """1.1: the app's functions, then the one blueprint's (``request.blueprint``)."""
        self.rec.step(ctx.actor, ctx.client, HOOKS, "flask.app.Flask.preprocess_request",
                      "preprocess_request", line="for func in funcs:")
        names = (None, *ctx.request.blueprints)
        for name in names:
            for hook in self.scaffold(name).url_value_preprocessors:
                self.call_hook(ctx, hook, "url_value_preprocessor")
        for name in names:
            for hook in self.scaffold(name).before_request:
                rv = self.call_hook(ctx, hook, "before_request")
                if rv is not None:
                    return rv
        return None

    def send_static_file(self, ctx: RequestContext, filename: str):
        """Flask 1.1's static view is the bound method itself (no lambda), and it answers
        with Flask's own ``send_file``: a 12-hour ``Cache-Control``/``Expires``
        (``SEND_FILE_MAX_AGE_DEFAULT``), an ETag, ``make_conditional`` (``Date``,
        ``Accept-Ranges``, a 304 for a fresh ``If-Modified-Since``/``If-None-Match``)."""
        rec = self.rec
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers._PackageBoundObject.send_static_file",
                 "send_static_file", {"filename": filename}, line="return send_from_directory(")
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers.send_from_directory",
                 "send_from_directory", {"filename": filename}, line="return send_file(filename, **options)")
        found = self.static_files.get(filename)
        if found is None:
            raise HTTPException(404)
        rec.step(ctx.actor, ctx.client, DISPATCH, "flask.helpers.send_file", "send_file_11",
                 {"filename": filename},
                 line="rv = rv.make_conditional(request, accept_ranges=True, complete_length=fsize)")
        return send_file_11(filename, found.text.encode(), found.mtime, ctx.request,
                            self.world.wall_second(), self.world.mimetypes)

    def handle_exception(self, ctx: RequestContext, err: BaseException):
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.handle_exception",
                      "handle_exception", {"error": _error_name(err)},
                      line="server_error = InternalServerError()")
        self.send_signal(ctx, "got_request_exception")
        self.rec.step(ctx.actor, ctx.client, DISPATCH, "flask.app.Flask.log_exception",
                      "log_exception", {"path": request.path, "method": request.method},
                      line="self.logger.error(")
        self.log_error(ctx, f"Exception on {request.path} [{request.method}]", err)
        server_error: Any = HTTPException(500)
        found = self.find_error_handler(server_error, request.blueprints)
        if found is not None:
            server_error = self.call_error_handler(ctx, *found)
        return self.finalize_request(ctx, server_error, from_error_handler=True)

    def internal_server_error_app(self):
        return InternalServerErrorApp016()

    def apply_headers(self, response: Response, headers: dict[str, str]) -> None:
        """Flask 1.1: ``rv.headers.extend(headers)``: a returned header is added after the
        response's own (a dict returned with a ``Content-Type``: two of them)."""
        response.headers.items.extend(headers.items())

    def make_response(self, ctx: RequestContext, rv) -> Response:
        if isinstance(rv, HTTPException):  # 0.16's error page, then as Flask 3 goes on
            self.rec.step(ctx.actor, ctx.client, RESPOND, "flask.app.Flask.make_response", "make_response",
                          {"kind": _rv_kind(rv)}, line="rv = self.response_class(")
            response = error_response_016(rv)
            # ``force_type`` runs the exception as a WSGI app: its ``get_wsgi_headers`` makes
            # a redirect's Location absolute from the current URL here, and a Host that URL
            # cannot parse (``[::1``) raises its ValueError out of ``full_dispatch_request``
            _absolute_location(response.wsgi_headers(encoded_length_016), ctx.request.environ)
            return response
        return super().make_response(ctx, rv)

    def process_response(self, ctx: RequestContext, response: Response) -> Response:
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, HOOKS, "flask.app.Flask.process_response",
                      "process_response", line="for handler in funcs:")
        for name in (*request.blueprints, None):
            for hook in reversed(self.scaffold(name).after_request):
                self.rec.step(ctx.actor, ctx.client, HOOKS, f"app.{hook.name}",
                              "hook_after_request", {"name": hook.name,
                                                     "headers": ", ".join(hook.set_headers)},
                              layer=LAYER_FLASK, decl=self.pointers[id(hook)])
                for key, value in hook.set_headers.items():
                    self.check_header_values({key: value})  # ``response.headers[key] = value``
                    response.headers.set(key, value)
        return response

    def call_response(self, ctx: RequestContext, response: Response, start_response):
        self.rec.step(ctx.actor, ctx.client, RESPOND, "werkzeug.wrappers.base_response.BaseResponse.__call__",
                      "response_call", {"status": status_016(response)},
                      line="start_response(status, headers)")
        headers = response.wsgi_headers(encoded_length_016)
        start_response(status_016(response), _absolute_location(headers, ctx.request.environ))
        if (ctx.request.method == "HEAD" or 100 <= response.status_code < 200
                or response.status_code in (204, 304)):
            body: Any = ()
        elif response.direct_passthrough:
            return response.body  # a file: the server iterates it as it is
        else:
            body = response.body
        return ClosingIterator(body, lambda: self.close_response(ctx, response))

    def close_response(self, ctx: RequestContext, response: Response) -> None:
        self.rec.step(ctx.actor, ctx.client, CLOSE, "werkzeug.wrappers.base_response.BaseResponse.close",
                      "response_close", line='if hasattr(self.response, "close"):')
        close = getattr(response.body, "close", None)
        if close is not None:
            close()

    def do_teardown_request(self, ctx: RequestContext, exc) -> None:
        """1.1: the app's teardown functions first, then the blueprint's (each reversed)."""
        request = ctx.request
        self.rec.step(ctx.actor, ctx.client, TEARDOWN, "flask.app.Flask.do_teardown_request",
                      "do_teardown_request", {"error": _error_name(exc) if exc else None},
                      line="for func in funcs:")
        for name in (None, *request.blueprints):
            for hook in reversed(self.scaffold(name).teardown_request):
                self.rec.step(ctx.actor, ctx.client, TEARDOWN, f"app.{hook.name}",
                              "hook_teardown", {"name": hook.name,
                                                "error": _error_name(exc) if exc else "None"},
                              layer=LAYER_FLASK, decl=self.pointers[id(hook)])
        self.send_signal(ctx, "request_tearing_down")


class AppContext11(AppContext):
    __slots__ = ()

    def push(self, ctx: RequestContext) -> None:
        ctx.stacks["app"].append(self.app.name)
        self.app.rec.step(ctx.actor, ctx.client, APP, "flask.ctx.AppContext.push",
                          "appctx_push", {"name": self.app.name}, line="_app_ctx_stack.push(self)",
                          state={ctx.ctx_key: ctx.stacks_view()})
        self.app.send_signal(ctx, "appcontext_pushed")


class InternalServerErrorApp016:
    """``execute(InternalServerError())`` in 0.16's ``run_wsgi``."""

    display_name = "InternalServerError()"

    def __call__(self, environ, start_response):
        response = error_response_016(HTTPException(500))
        start_response(status_text_016(500), response.wsgi_headers())
        return response.body
        yield


def _absolute_location(headers: list[tuple[str, str]], environ: dict[str, Any]) -> list[tuple[str, str]]:
    """0.16's ``get_wsgi_headers``: the ``Location`` made absolute (written back only if that
    changed it), and the ``Content-Location`` a URI (``iri_to_uri``, with no
    ``safe_conversion``), as ``set_uri_headers`` writes them back."""
    def location(value: str) -> str | None:
        absolute = werkzeug016_urls.absolute_location(value, environ)
        return absolute if absolute != value else None

    fixed = Headers(headers)
    set_uri_headers(fixed, {"location": location, "content-location": werkzeug016_urls.iri_to_uri})
    return fixed.items


#: ``SEND_FILE_MAX_AGE_DEFAULT`` of Flask 1.1: 12 hours (Flask 2 made it None: no-cache)
SEND_FILE_MAX_AGE_11 = 43200


def send_file_11(filename: str, data: bytes, mtime: int, request, now: int, mimetypes) -> Response:
    """``flask.helpers.send_file`` of Flask 1.1 for a static file, then 0.16's
    ``make_conditional(request, accept_ranges=True, complete_length=fsize)``."""
    from .http_server import http_date

    environ = request.environ
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    headers = Headers([("Content-Length", str(len(data))), ("Content-Type", get_content_type(mimetype)),
                       ("Last-Modified", http_date(mtime)),
                       ("Cache-Control", f"public, max-age={SEND_FILE_MAX_AGE_11}"),
                       ("Expires", http_date(now + SEND_FILE_MAX_AGE_11))])
    # the ETag names the file's absolute path on the server: its value is the machine's
    etag = f"{float(mtime)}-{len(data)}-{zlib.adler32(f'/app/static/{filename}'.encode()) & 0xFFFFFFFF}"
    headers.items.append(("ETag", f'"{etag}"'))
    response = Response(200, headers, file_chunks(data), direct_passthrough=True)
    if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
        headers.set("Date", request.date_header())
        headers.set("Accept-Ranges", "bytes")
        # _process_range_request
        if range_processable(environ, etag, mtime, werkzeug016=True):
            span = parse_range_016(environ["HTTP_RANGE"], len(data))
            if span is None:
                raise RangeNotSatisfiable(len(data))
            start, stop = span
            if stop - start != len(data):  # "Be sure not to send 206 response if requested range is the full content."
                return partial_content(response, data, start, stop)
        if not is_resource_modified(environ, etag, mtime):
            # 0.16's make_conditional, as Werkzeug 3's: a precondition that holds no longer
            # when If-Match asked for one (``If-Match: *`` and an ETag: 412), else 304
            response.status_code = 412 if environ.get("HTTP_IF_MATCH") else 304
    return response
