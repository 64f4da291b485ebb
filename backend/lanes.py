"""Which lane of the player a step belongs to.

The page draws seven lanes, left to right in the order a request travels through them.
This is a pure function of a step's ``actor`` and ``qualname`` so it can be tested as a
table (``tests/web/test_lanes.py``) and never drifts between the HTML and the JSON API.
"""

from __future__ import annotations

from typing import Final

#: Lane ids in display order, with their labels (long, and short for narrow screens).
LANES: Final[tuple[tuple[str, str, str], ...]] = (
    ("client", "Client", "Cli"),
    ("kernel", "Kernel", "Kern"),
    ("loop", "Server loop", "Loop"),
    ("handler", "Handler", "Hdlr"),
    ("wsgi", "WSGI", "WSGI"),
    ("flask", "Flask", "Flask"),
    ("view", "View", "View"),
)
LANE_IDS: Final[tuple[str, ...]] = tuple(lane for lane, _, _ in LANES)

# Functions of socketserver.BaseServer (and subclasses) that run on the server loop.
_SERVER_CLASSES = ("BaseServer", "TCPServer", "UDPServer", "ThreadingMixIn", "ForkingMixIn",
                   "ThreadingTCPServer", "ForkingTCPServer", "HTTPServer", "ThreadingHTTPServer",
                   "BaseWSGIServer", "ThreadedWSGIServer", "ForkingWSGIServer", "WSGIServer")


def is_server_actor(actor: str | None) -> bool:
    """``main``, ``thread-N``, ``process-N``: the server's own threads of control."""
    return bool(actor) and (actor == "main" or actor.startswith(("thread-", "process-")))


def lane_of(actor: str | None, qualname: str | None, prev: str | None = None) -> str:
    """Return the lane id for a step.

    - No qualname: the kernel's step, a client's own (actor is the client id), or a server
      thread's outcome of the call before it, which stays in that call's lane (``prev``).
    - ``app.*``: the user's declared views and hooks.
    - ``flask.*``: Flask, and Werkzeug's app-side parts it calls (routing, wrappers).
    - the WSGI boundary: Werkzeug's ``WSGIRequestHandler.run_wsgi`` (and its closures),
      ``make_environ``, wsgiref's ``handlers`` module (``ServerHandler.run`` & co).
    - the server loop: ``socketserver.BaseServer.*`` and the server classes built on it,
      ``werkzeug.serving.run_simple``/``make_server``, wsgiref's ``make_server``.
    - everything else in ``socketserver``/``http.server``/``werkzeug.serving``/
      ``wsgiref.simple_server`` is the request handler.
    """
    if not qualname:
        if actor == "kernel":
            return "kernel"
        if is_server_actor(actor):
            # A server step with no function of its own ("readline returns 16 bytes")
            # stays where its actor was: ``prev`` is that actor's previous lane.
            return prev or "handler"
        return "client"
    if qualname.startswith("app."):
        return "view"
    if qualname.startswith("flask."):
        return "flask"
    parts = qualname.split(".")
    if qualname.startswith("wsgiref.handlers.") or "ServerHandler" in parts:
        return "wsgi"
    if "run_wsgi" in parts or "make_environ" in parts or "start_response" in parts:
        return "wsgi"
    if any(cls in parts for cls in _SERVER_CLASSES) or parts[-1] in (
        "serve_forever", "run_simple", "make_server", "inner", "run_with_reloader",
    ):
        return "loop"
    if qualname.startswith(("werkzeug.serving.", "werkzeug._reloader.", "wsgiref.")):
        # werkzeug.serving.WSGIRequestHandler.* (not run_wsgi), wsgiref's request handler.
        return "handler"
    if qualname.startswith("werkzeug."):
        # Routing, wrappers, wsgi helpers: Werkzeug as the library Flask is built on,
        # running inside the app call.
        return "flask"
    if qualname.startswith(("socketserver.", "socket.", "selectors.")):
        return "handler" if "Handler" in qualname else "loop"
    return "handler"  # http.server, http.client: the request handler's parsing
