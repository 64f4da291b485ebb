"""Which layer (lane) each simulated function belongs to.

An exact table, qualname -> :class:`Layer`, of every real function the engine stands for:
the engine knows which module it simulates, so the web layer looks a step's layer up
instead of guessing it from the qualname's text. ``tests/sim/test_layers.py`` checks that
every qualname the engine records is here. A declared hook, view or error handler
(``app.<name>``) is not in the table: the code that runs it says its layer (hooks and error
handlers are Flask's, views the view's).
"""

from __future__ import annotations

from enum import StrEnum


class Layer(StrEnum):
    """Where the work of a step happens: the player's lanes, left to right in the order a
    request travels through them. A step's layer is a fact the engine knows (which module
    it simulates, or which declaration it runs), so the web layer never guesses it."""

    CLIENT = "client"
    KERNEL = "kernel"
    #: the server loop: ``socketserver.BaseServer`` and the server classes built on it
    LOOP = "loop"
    #: the request handler: ``BaseRequestHandler`` .. ``WSGIRequestHandler`` (reading, parsing)
    HANDLER = "handler"
    #: the WSGI boundary: ``run_wsgi`` and its closures, ``make_environ``, wsgiref's handlers
    WSGI = "wsgi"
    #: Flask, the Werkzeug parts it calls (routing, wrappers), and the user's declared hooks
    FLASK = "flask"
    #: the user's view (and a streamed view's generator)
    VIEW = "view"


LAYER_NAMES = tuple(layer.value for layer in Layer)


_LOOP = (
    "socketserver.BaseServer.__init__",
    "socketserver.BaseServer.serve_forever",
    "socketserver.BaseServer._handle_request_noblock",
    "socketserver.BaseServer.verify_request",
    "socketserver.BaseServer.process_request",
    "socketserver.BaseServer.finish_request",
    "socketserver.TCPServer.__init__",
    "socketserver.TCPServer.server_bind",
    "socketserver.TCPServer.server_activate",
    "socketserver.TCPServer.get_request",
    "socketserver.TCPServer.shutdown_request",
    "socketserver.TCPServer.close_request",
    "socketserver.TCPServer.server_close",
    "socketserver.ThreadingMixIn.process_request",
    "socketserver.ThreadingMixIn.process_request_thread",
    "http.server.HTTPServer.server_bind",
    "werkzeug.serving.run_simple",
    "werkzeug.serving.make_server",
    "werkzeug.serving.BaseWSGIServer.__init__",
    "werkzeug.serving.BaseWSGIServer.log_startup",
    "werkzeug.serving.BaseWSGIServer.serve_forever",
    # forking (both Werkzeug kinds)
    "socketserver.ForkingMixIn.process_request",
    "socketserver.ForkingMixIn.service_actions",
    "socketserver.ForkingMixIn.collect_children",
    # Werkzeug 0.16
    "werkzeug.serving.run_simple.<locals>.inner",
    "werkzeug.serving.run_simple.<locals>.log_startup",
    "werkzeug.serving.BaseWSGIServer.get_request",
    # Werkzeug 0.16's reloader: the processes and threads around the loop
    "werkzeug._reloader.run_with_reloader",
    "werkzeug._reloader.ReloaderLoop.restart_with_reloader",
    "werkzeug._reloader._get_args_for_reloading",
    "werkzeug._reloader.StatReloaderLoop.run",
    "werkzeug._reloader.ReloaderLoop.trigger_reload",
    "werkzeug._reloader.ReloaderLoop.log_reload",
)
_HANDLER = (
    "socketserver.BaseRequestHandler.__init__",
    "socketserver.StreamRequestHandler.setup",
    "socketserver.StreamRequestHandler.finish",
    "http.client.parse_headers",
    "http.server.BaseHTTPRequestHandler.handle",
    "http.server.BaseHTTPRequestHandler.handle_one_request",
    "http.server.BaseHTTPRequestHandler.parse_request",
    "http.server.BaseHTTPRequestHandler.handle_expect_100",
    "http.server.BaseHTTPRequestHandler.send_error",
    "http.server.BaseHTTPRequestHandler.send_response",
    "http.server.BaseHTTPRequestHandler.end_headers",
    "werkzeug.serving.WSGIRequestHandler.handle",
    "werkzeug.serving.WSGIRequestHandler.__getattr__",
    "werkzeug.serving.WSGIRequestHandler.connection_dropped",
    # Werkzeug 0.16
    "werkzeug.serving.WSGIRequestHandler.handle_one_request",
    "werkzeug.serving.WSGIRequestHandler.send_response",
)
_WSGI = (
    "werkzeug.serving.WSGIRequestHandler.run_wsgi",
    "werkzeug.serving.WSGIRequestHandler.make_environ",
    "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute",
    "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.start_response",
    "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write",
)
_FLASK = (
    "flask.app.Flask.__init__",
    "flask.app.Flask.__init__.<locals>.<lambda>",
    "flask.app.Flask.run",
    "flask.app.Flask.__call__",
    "flask.app.Flask.wsgi_app",
    "flask.app.Flask.request_context",
    "flask.app.Flask.app_context",
    "flask.app.Flask.full_dispatch_request",
    "flask.app.Flask.preprocess_request",
    "flask.app.Flask.dispatch_request",
    "flask.app.Flask.raise_routing_exception",
    "flask.app.Flask.make_default_options_response",
    "flask.app.Flask.send_static_file",
    "flask.app.Flask.handle_user_exception",
    "flask.app.Flask.handle_http_exception",
    "flask.app.Flask.handle_exception",
    "flask.app.Flask.log_exception",
    "flask.app.Flask.finalize_request",
    "flask.app.Flask.make_response",
    "flask.app.Flask.process_response",
    "flask.app.Flask.do_teardown_request",
    "flask.app.Flask.do_teardown_appcontext",
    "flask.sansio.app.App.add_url_rule",
    "flask.ctx.AppContext.__init__",
    "flask.ctx.AppContext.push",
    "flask.ctx.AppContext.pop",
    "flask.ctx.RequestContext.__init__",
    "flask.ctx.RequestContext.push",
    "flask.ctx.RequestContext.pop",
    "flask.ctx.RequestContext.match_request",
    "flask.helpers.send_from_directory",
    "flask.helpers.stream_with_context",
    "flask.helpers.stream_with_context.<locals>.generator",
    "werkzeug.routing.map.MapAdapter.match",
    "werkzeug.wrappers.response.Response.__call__",
    "werkzeug.wrappers.response.Response.close",
    # Flask's signals: Flask calls them, so they are in its lane
    "blinker.base.Signal.send",
    # Flask 1.1 / Werkzeug 0.16
    "flask.app.Flask.add_url_rule",
    "flask.app.Flask.try_trigger_before_first_request_functions",
    "flask.ctx.RequestContext.auto_pop",
    "werkzeug.routing.MapAdapter.match",
    "flask.signals._FakeSignal.send",
    "flask.helpers._PackageBoundObject.send_static_file",
    "flask.helpers.send_file",
    "werkzeug.wrappers.base_response.BaseResponse.__call__",
    "werkzeug.wrappers.base_response.BaseResponse.close",
)

# The standard library's wsgiref (and the socketserver parts only it reaches).
_WSGIREF_LOOP = (
    "socketserver.BaseServer.handle_request",
    "socketserver.BaseServer.handle_timeout",
    "socketserver.BaseServer.handle_error",
    "wsgiref.simple_server.make_server",
    "wsgiref.simple_server.WSGIServer.server_bind",
    "wsgiref.simple_server.WSGIServer.setup_environ",
    "wsgiref.simple_server.WSGIServer.set_app",
)
_WSGIREF_HANDLER = (
    "wsgiref.simple_server.WSGIRequestHandler.handle",
    "http.server.BaseHTTPRequestHandler.log_request",
)
_WSGIREF_WSGI = (
    "wsgiref.simple_server.WSGIRequestHandler.get_environ",
    "wsgiref.simple_server.ServerHandler.close",
    "wsgiref.handlers.SimpleHandler.__init__",
    "wsgiref.handlers.BaseHandler.run",
    "wsgiref.handlers.BaseHandler.setup_environ",
    "wsgiref.handlers.BaseHandler.start_response",
    "wsgiref.util.is_hop_by_hop",
    "wsgiref.handlers.BaseHandler.finish_response",
    "wsgiref.handlers.BaseHandler.write",
    "wsgiref.handlers.BaseHandler.set_content_length",
    "wsgiref.handlers.BaseHandler.send_preamble",
    "wsgiref.handlers.BaseHandler.finish_content",
    "wsgiref.handlers.BaseHandler.close",
    "wsgiref.handlers.BaseHandler.handle_error",
    "wsgiref.handlers.BaseHandler.log_exception",
    "wsgiref.handlers.BaseHandler.error_output",
)
#: the stdlib's demo app is the application (the view's lane)
_WSGIREF_VIEW = ("wsgiref.simple_server.demo_app",)

#: qualname -> layer, for every real function the engine simulates.
LAYERS: dict[str, Layer] = {
    **dict.fromkeys(_WSGIREF_LOOP, Layer.LOOP),
    **dict.fromkeys(_WSGIREF_HANDLER, Layer.HANDLER),
    **dict.fromkeys(_WSGIREF_WSGI, Layer.WSGI),
    **dict.fromkeys(_WSGIREF_VIEW, Layer.VIEW),
    **dict.fromkeys(_LOOP, Layer.LOOP),
    **dict.fromkeys(_HANDLER, Layer.HANDLER),
    **dict.fromkeys(_WSGI, Layer.WSGI),
    **dict.fromkeys(_FLASK, Layer.FLASK),
}


class UnknownFunction(KeyError):
    """A step names a function this table does not list: add it (with its layer)."""


def layer_of(qualname: str) -> Layer:
    try:
        return LAYERS[qualname]
    except KeyError:
        raise UnknownFunction(f"{qualname!r} is not in sim.layers.LAYERS: add it with its layer") from None
