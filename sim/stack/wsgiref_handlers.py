"""``wsgiref.handlers`` (CPython 3.11.7): ``BaseHandler`` and ``SimpleHandler``, which run a
WSGI app for one request and write its response; with ``wsgiref.headers.Headers`` and the
``wsgiref.util`` helpers they use.

Read beside ``Lib/wsgiref/handlers.py``: ``run`` -> ``setup_environ`` -> the application ->
``start_response`` (which asserts no hop-by-hop header: PEP 3333 leaves ``Connection`` and
``Transfer-Encoding`` to the server) -> ``finish_response`` -> ``write`` (the first write
sends the status line and headers: ``send_headers`` -> ``cleanup_headers``,
``send_preamble``) -> ``finish_content`` -> ``close``. A response to HTTP/1.0 (``http_version``
is "1.0" and nothing here ever speaks 1.1): no chunking, no keep-alive; the end of the body is
the end of the connection unless the app or ``set_content_length`` gave a length.

What the real handler keeps in instance variables (``status``, ``headers``, ``headers_sent``,
``bytes_sent``) is :class:`HandlerState`, so the inspector can show it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..kernel import BrokenPipeError_, ConnectionResetError_
from ..trace import Phase, flat_pairs, pairs_of, view
from .flask_helpers import write_each
from .io import STDERR
from .socketserver import socket_view
from .tracebacks import AppExit, last_line
from .werkzeug_serving import environ_view, response_view
from .world import DROPPED_BODY_KEY, ORIGIN_KEY, Origin

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
RUN_WSGI, RESPOND, CLOSE = Phase.RUN_WSGI, Phase.RESPOND, Phase.CLOSE

#: ``wsgiref.util._hoppish``: the headers only the server may send (RFC 2616 13.5.1)
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade",
})

_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = [None, "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@functools.lru_cache(maxsize=64)
def format_date_time(timestamp: int) -> str:
    """``wsgiref.handlers.format_date_time``: the ``Date`` header's value (cached: one per
    second)."""
    year, month, day, hh, mm, ss, wd, _, _ = time.gmtime(timestamp)
    return f"{_WEEKDAYS[wd]}, {day:02d} {_MONTHS[month]:>3} {year:4d} {hh:02d}:{mm:02d}:{ss:02d} GMT"


def is_hop_by_hop(header_name: str) -> bool:
    """``wsgiref.util.is_hop_by_hop``."""
    return header_name.lower() in HOP_BY_HOP


def guess_scheme(environ: dict[str, Any]) -> str:
    """``wsgiref.util.guess_scheme``: 'https' only when the environ says ``HTTPS`` is on
    (a request header ``HTTPS: on`` arrives as ``HTTP_HTTPS``, which does not count)."""
    if environ.get("HTTPS") in ("yes", "on", "1"):
        return "https"
    return "http"


class FileWrapperClass:
    """``wsgiref.util.FileWrapper``, the class, as ``environ["wsgi.file_wrapper"]`` holds it
    (an app may print it: ``demo_app`` does)."""

    def __repr__(self) -> str:
        return "<class 'wsgiref.util.FileWrapper'>"


FILE_WRAPPER = FileWrapperClass()


class Headers:
    """``wsgiref.headers.Headers``: a list of (name, value), case-insensitive lookups."""

    __slots__ = ("items",)

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        if type(headers) is not list:
            raise TypeError("Headers must be a list of name/value tuples")
        self.items = headers

    def __contains__(self, name: str) -> bool:
        name = name.lower()
        # a loop, not any() over a generator (a call per item): several tests a response
        for k, _ in self.items:  # noqa: SIM110
            if k.lower() == name:
                return True
        return False

    def __setitem__(self, name: str, value: str) -> None:
        """Drop every ``name`` header, then append one."""
        lower = name.lower()
        self.items[:] = [kv for kv in self.items if kv[0].lower() != lower]
        self.items.append((name, value))

    def setdefault(self, name: str, value: str) -> None:
        if name not in self:
            self.items.append((name, value))

    def __bytes__(self) -> bytes:
        return "\r\n".join([f"{k}: {v}" for k, v in self.items] + ["", ""]).encode("iso-8859-1")


class HandlerError(AssertionError):
    """An ``AssertionError`` of ``start_response`` or ``write`` (a hop-by-hop header, a
    second ``start_response``): the app broke PEP 3333, ``handle_error`` answers 500."""

    real_name = "AssertionError"


@dataclass(slots=True)
class HandlerState:
    """``BaseHandler``'s state variables ("don't mess with these")."""

    status: str | None = None
    headers: Headers | None = None
    headers_sent: bool = False
    bytes_sent: int = 0
    body: bytearray = field(default_factory=bytearray)

    def view(self) -> tuple:
        """This state now, for the inspector (a view: see :data:`sim.trace.VIEWS`)."""
        headers = flat_pairs(self.headers.items) if self.headers else ()
        return ("wsgiref_handler", self.status, self.headers_sent, self.bytes_sent, *headers)


@view("wsgiref_handler")
def render_handler_state(view: tuple) -> dict[str, Any]:
    _, status, headers_sent, bytes_sent, *headers = view
    return {
        "status": status,
        "headers": pairs_of(headers),
        "headers_sent": headers_sent,
        "bytes_sent": bytes_sent,
    }


class BaseHandler:
    """``BaseHandler``: run an app, and write its response to ``_write``."""

    wsgi_version = (1, 0)
    wsgi_multithread = True
    wsgi_multiprocess = True
    wsgi_run_once = False
    origin_server = True
    http_version = "1.0"
    server_software: str | None = None
    #: ``os_environ``: a copy of ``os.environ`` when wsgiref was imported. The simulated
    #: process has an empty environment (the fidelity harness clears the real one).
    os_environ: ClassVar[dict[str, str]] = {}
    error_status = "500 Internal Server Error"
    error_headers: ClassVar[list[tuple[str, str]]] = [("Content-Type", "text/plain")]
    error_body = b"A server error occurred.  Please contact the administrator."

    # what the simulation adds: who runs this handler, for whom, and where it writes
    actor: str
    client: str

    def init_state(self, world, actor: str, client: str) -> None:
        self.world = world
        self.rec = world.recorder
        self.actor = actor
        self.client = client
        self.st = HandlerState()
        self.result: Any = None
        self.environ: dict[str, Any] | None = None

    # -- run ---------------------------------------------------------------------------

    def run(self, application):
        """``run``: the app, then its response; a client gone away ends it quietly; any
        other error is ``handle_error``'s (a 500 if nothing was sent yet)."""
        self.rec.step(self.actor, self.client, RUN_WSGI, "wsgiref.handlers.BaseHandler.run",
                      "wsgiref_run", {"app": application.display_name},
                      line="self.result = application(self.environ, self.start_response)")
        try:
            self.setup_environ()
            self.result = yield from application(self.environ, self.start_response)
            yield from self.finish_response()
        except (ConnectionResetError_, BrokenPipeError_) as err:
            # "We expect the client to close the connection abruptly from time to time."
            self.rec.step(self.actor, self.client, CLOSE, None, "wsgiref_client_gone",
                          {"error": type(err).__name__.rstrip("_")})
            return
        except (Exception, AppExit) as err:
            # the bare ``except:``: a SystemExit or KeyboardInterrupt from the app is handled
            # like any error (logged, a 500); the server goes on. So is an error while the
            # body is iterated (a number given as a Response's body is not iterable). A header
            # value that is not latin-1 fails in ``bytes(self.headers)`` after the status
            # line, Date and Server went out: logged, and nothing more is sent (the headers
            # count as sent).
            try:
                yield from self.handle_error(err)
            except BaseException:
                # "If we get an error handling an error, just give up already!": the 500
                # page could not go out either (the client reset meanwhile). close() still
                # logs the request, with error_output's status and length, and the error
                # goes on to the server's handle_error.
                self.close()
                raise

    def setup_environ(self) -> None:
        env = self.environ = dict(self.os_environ)
        self.add_cgi_vars()
        env["wsgi.input"] = self.get_stdin()
        env["wsgi.errors"] = self.get_stderr()
        env["wsgi.version"] = self.wsgi_version
        env["wsgi.run_once"] = self.wsgi_run_once
        env["wsgi.url_scheme"] = guess_scheme(env)
        env["wsgi.multithread"] = self.wsgi_multithread
        env["wsgi.multiprocess"] = self.wsgi_multiprocess
        env["wsgi.file_wrapper"] = FILE_WRAPPER
        if self.origin_server and self.server_software:
            env.setdefault("SERVER_SOFTWARE", self.server_software)
        env[ORIGIN_KEY] = Origin(self.actor, self.client, self.rec)
        self.rec.step(self.actor, self.client, RUN_WSGI, "wsgiref.handlers.BaseHandler.setup_environ",
                      "wsgiref_setup_environ",
                      {"method": env.get("REQUEST_METHOD"), "path": env.get("PATH_INFO")},
                      line="env = self.environ = self.os_environ.copy()",
                      state={f"environ/{self.client}": environ_view(env)})

    # -- start_response and write -------------------------------------------------------

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        """PEP 3333's ``start_response``: status and headers are stored (not sent), then
        checked; a hop-by-hop header fails the assertion."""
        st = self.st
        # The step shows what start_response stored; filled in below, before anything else.
        effects: dict[str, Any] = {}
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.start_response",
                      "wsgiref_start_response", {"status": status}, line="self.status = status", state=effects)
        if exc_info:
            if st.headers_sent:
                raise exc_info
        elif st.headers is not None:
            raise HandlerError("Headers already set!")
        st.status = status
        st.headers = Headers(headers)
        effects[f"handler/{self.client}"] = st.view()
        for name, val in headers:
            hop = is_hop_by_hop(name)
            self.rec.step(self.actor, self.client, RESPOND, "wsgiref.util.is_hop_by_hop",
                          "wsgiref_hop_by_hop" if hop else "wsgiref_hop_check",
                          {"header": f"{name}: {val}"}, line="return _hoppish(header_name.lower())")
            if hop:
                raise HandlerError(f"Hop-by-hop header, '{name}: {val}', not allowed")
        return self.write

    def finish_response(self):
        """Iterate the app's result, writing each piece; then ``finish_content`` and
        ``close``. On an error the result is closed and the error goes on to ``run``."""
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.finish_response",
                      "wsgiref_finish_response", line="for data in self.result:")
        try:
            iterator = (self.result.iterator if hasattr(self.result, "iterator")
                        else iter(self.result))
            yield from write_each(iterator, self.write)
            self.finish_content()
        except BaseException:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
            raise
        self.close()

    def write(self, data: bytes) -> None:
        st = self.st
        first = not st.headers_sent
        effects: dict[str, Any] = {}
        # the client's RST is here: this body write raises, and its step says so
        fails = not first and self.world.kernel.send_fails(self.stdout.conn)
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.write",
                      "wsgiref_write_first" if first else "wsgiref_write_fails" if fails else "wsgiref_write",
                      {"n": len(data)}, line="self.send_headers()" if first else "self._write(data)",
                      state=effects)
        try:
            # (a json view's list holding a list gives one: before any header is sent)
            if type(data) is not bytes:
                raise AssertionError("write() argument must be a bytes instance")
            if not st.status:
                raise HandlerError("write() before start_response()")
            if first:
                st.bytes_sent = len(data)
                self.send_headers()
            else:
                st.bytes_sent += len(data)
            self._write(data)
            st.body += data
        finally:
            self.fill_effects(effects)

    def finish_content(self) -> None:
        """Headers not sent yet (an empty body): send them, with ``Content-Length: 0``
        unless the app set one (a HEAD answer keeps the GET's length)."""
        st = self.st
        effects: dict[str, Any] = {}
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.finish_content",
                      "wsgiref_finish_content", {"sent": st.headers_sent},
                      line="self.headers.setdefault('Content-Length', \"0\")",
                      state=effects)
        if not st.headers_sent:
            st.headers.setdefault("Content-Length", "0")
            try:
                self.send_headers()
            finally:
                self.fill_effects(effects)

    def send_headers(self) -> None:
        st = self.st
        self.cleanup_headers()
        st.headers_sent = True
        if not self.origin_server or self.client_is_modern():
            self.send_preamble()
            self._write(bytes(st.headers))

    def cleanup_headers(self) -> None:
        if "Content-Length" not in self.st.headers:
            self.set_content_length()

    def set_content_length(self) -> None:
        """One block in all (a list of one byte string): its length is the body's."""
        blocks = len(self.result) if isinstance(self.result, list) else None
        # two captions: a length it sets, or none (the close ends the body), never "(None)"
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.set_content_length",
                      "wsgiref_set_content_length" if blocks == 1 else "wsgiref_set_content_length_none",
                      {"length": self.st.bytes_sent if blocks == 1 else None},
                      line="self.headers['Content-Length'] = str(self.bytes_sent)"
                      if blocks == 1 else "blocks = len(self.result)")
        if blocks == 1:
            self.st.headers["Content-Length"] = str(self.st.bytes_sent)

    def send_preamble(self) -> None:
        """The status line (``HTTP/1.0``), then ``Date`` and ``Server`` unless the app set them."""
        st = self.st
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.send_preamble",
                      "wsgiref_send_preamble", {"status": st.status},
                      line="self._write(('HTTP/%s %s\\r\\n' % (self.http_version,self.status)).encode('iso-8859-1'))")
        self._write(f"HTTP/{self.http_version} {st.status}\r\n".encode("iso-8859-1"))
        if "Date" not in st.headers:
            self._write(f"Date: {format_date_time(self.world.wall_second())}\r\n".encode("iso-8859-1"))
        if self.server_software and "Server" not in st.headers:
            self._write(f"Server: {self.server_software}\r\n".encode("iso-8859-1"))

    def client_is_modern(self) -> bool:
        """An HTTP/0.9 request gets the body alone: no status line, no headers."""
        return self.environ["SERVER_PROTOCOL"].upper() != "HTTP/0.9"

    def close(self) -> None:
        self.rec.step(self.actor, self.client, CLOSE, "wsgiref.handlers.BaseHandler.close",
                      "wsgiref_close", line="if hasattr(self.result,'close'):")
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            dropped = self.environ.get(DROPPED_BODY_KEY) if self.environ else None
            self.result = self.environ = None
            self.st = HandlerState()
            if dropped is not None:
                dropped.close()

    # -- errors ----------------------------------------------------------------------

    def handle_error(self, err: BaseException):
        """The traceback to stderr; then, if nothing was sent, ``error_output``'s 500."""
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.handle_error",
                      "wsgiref_handle_error",
                      {"error": getattr(err, "real_name", type(err).__name__), "sent": self.st.headers_sent},
                      line="self.log_exception(sys.exc_info())")
        self.log_exception(err)
        if not self.st.headers_sent:
            self.result = self.error_output(self.environ, self.start_response, err)
            yield from self.finish_response()

    def log_exception(self, err: BaseException) -> None:
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.log_exception",
                      "wsgiref_log_exception", line="print_exception(")
        self.rec.log(self.actor, last_line(err))

    def error_output(self, environ, start_response, err):
        self.rec.step(self.actor, self.client, RESPOND, "wsgiref.handlers.BaseHandler.error_output",
                      "wsgiref_error_output",
                      line="start_response(self.error_status,self.error_headers[:],sys.exc_info())")
        start_response(self.error_status, self.error_headers[:], err)
        return [self.error_body]

    # -- the inspector ------------------------------------------------------------------

    def fill_effects(self, effects: dict[str, Any]) -> None:
        st = self.st
        effects[f"handler/{self.client}"] = st.view()
        if st.headers_sent:
            headers = list(st.headers.items) if st.headers else None
            effects[f"response/{self.client}"] = response_view(st.status, headers, st.body)
        effects[f"sockets/{self.client}"] = socket_view(self.stdout.conn, self.stdin)


class SimpleHandler(BaseHandler):
    """``SimpleHandler(stdin, stdout, stderr, environ, multithread, multiprocess)``."""

    def __init__(self, world, actor: str, client: str, stdin, stdout, stderr, environ: dict[str, Any],
                 multithread: bool = True, multiprocess: bool = False) -> None:
        self.init_state(world, actor, client)
        self.rec.step(actor, client, RUN_WSGI, "wsgiref.handlers.SimpleHandler.__init__",
                      "wsgiref_handler_init", line="self.base_env = environ")
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.base_env = environ
        self.wsgi_multithread = multithread
        self.wsgi_multiprocess = multiprocess

    def get_stdin(self):
        return self.stdin

    def get_stderr(self):
        return self.stderr

    def add_cgi_vars(self) -> None:
        self.environ.update(self.base_env)

    def _write(self, data: bytes) -> None:
        """``self.stdout.write(data)``: the handler's ``wfile``, one ``sendall`` a write."""
        self.stdout.write(data)


__all__ = ["STDERR", "BaseHandler", "Headers", "SimpleHandler", "format_date_time"]
