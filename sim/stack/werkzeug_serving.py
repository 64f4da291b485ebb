"""``werkzeug.serving`` (3.1): the dev server, its request handler and ``run_wsgi``.

Read beside ``werkzeug/serving.py``. The closure variables of the real ``run_wsgi``
(``status_set``, ``headers_set``, ``status_sent``, ``headers_sent``, ``chunk_response``) are
fields of :class:`WriteState` here, so the inspector can show them.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass
from itertools import chain
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..kernel import SocketState
from ..trace import Phase, flat_pairs, pairs_of, view
from . import werkzeug_internal
from .flask_helpers import write_each
from .http_server import BaseHTTPRequestHandler, HTTPServer
from .io import STDERR
from .socketserver import ForkingMixIn, ThreadingMixIn, socket_view
from .tracebacks import last_line
from .werkzeug_wrappers import ClosingIterator
from .world import ORIGIN_KEY, PRIVATE_KEYS, Origin

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
STARTUP, SELECT, READ, PARSE, RUN_WSGI, RESPOND, CLOSE = (
    Phase.STARTUP, Phase.SELECT, Phase.READ, Phase.PARSE, Phase.RUN_WSGI, Phase.RESPOND, Phase.CLOSE)

SERVER_VERSION = "Werkzeug/3.1.9"
LISTEN_QUEUE = 128

_ANSI = {"bold": 1, "red": 31, "green": 32, "yellow": 33, "magenta": 35, "cyan": 36}


def ansi_style(value: str, *styles: str) -> str:
    """``werkzeug.serving._ansi_style`` (colours are on: not Windows)."""
    for style in styles:
        value = f"\x1b[{_ANSI[style]}m{value}"
    return f"{value}\x1b[0m"


# Escape control characters (``WSGIRequestHandler._control_char_table``).
_CONTROL_CHARS = str.maketrans({c: rf"\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]})
_CONTROL_CHARS[ord("\\")] = r"\\"


def _requote_invalid(error: UnicodeError) -> tuple[str, int]:
    return quote(error.object[error.start : error.end], safe=""), error.end  # type: ignore[attr-defined]


codecs.register_error("wsgiscope.url_quote", _requote_invalid)
_ALWAYS_UNSAFE = bytes((*range(0x21), 0x25, 0x7F)).decode()


def _unquote_part(chars: str):
    choices = "|".join(f"{ord(c):02X}" for c in sorted(chars))
    pattern = re.compile(f"((?:%(?:{choices}))+)", re.I)

    def unquote_partial(value: str) -> str:
        parts = iter(pattern.split(value))
        out = []
        for part in parts:
            out.append(unquote(part, "utf-8", "wsgiscope.url_quote"))
            out.append(next(parts, ""))
        return "".join(out)

    return unquote_partial


_unquote_path = _unquote_part(_ALWAYS_UNSAFE + "/?#")
_unquote_query = _unquote_part(_ALWAYS_UNSAFE + "&=+#")
_unquote_fragment = _unquote_part(_ALWAYS_UNSAFE)


def _decode_idna(domain: str) -> str:
    """``werkzeug.urls._decode_idna``: Punycode labels decoded, invalid ones left as they are."""
    try:
        data = domain.encode("ascii")
    except UnicodeEncodeError:
        return domain
    try:
        return data.decode("idna")
    except UnicodeDecodeError:
        pass
    parts = []
    for part in data.split(b"."):
        try:
            parts.append(part.decode("idna"))
        except UnicodeDecodeError:
            parts.append(part.decode("ascii"))
    return ".".join(parts)


@functools.lru_cache(maxsize=1024)
def uri_to_iri(uri: str) -> str:
    """``werkzeug.urls.uri_to_iri`` for what a request line or a request's URL holds (no
    user info)."""
    parts = urlsplit(uri)
    netloc = _decode_idna(parts.hostname) if parts.hostname else ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, _unquote_path(parts.path),
                       _unquote_query(parts.query), _unquote_fragment(parts.fragment)))


def wsgi_encoding_dance(text: str) -> str:
    return text.encode().decode("latin1")


@dataclass(slots=True)
class WriteState:
    """The closure state of ``run_wsgi``: what ``start_response`` set, what ``write`` sent."""

    status_set: str | None = None
    headers_set: list[tuple[str, str]] | None = None
    status_sent: str | None = None
    headers_sent: list[tuple[str, str]] | None = None
    chunk_response: bool = False

    def view(self, close_connection: bool) -> tuple:
        """This state now, for the inspector (a view: see :data:`sim.trace.VIEWS`)."""
        headers_set = flat_pairs(self.headers_set)
        return ("handler", self.status_set, self.status_sent, self.chunk_response, close_connection,
                len(headers_set), *headers_set, *flat_pairs(self.headers_sent))


#: How the environ's objects are shown: their ``repr`` as Python prints it, with what
#: differs between runs of one process left out (memory addresses) or made a placeholder
#: (file descriptors: ``FD``). ``tests/fidelity`` describes the real objects the same way.


def socket_repr(server_port: int, client_port: int, peer_reset: bool) -> str:
    """``repr()`` of the accepted socket (``werkzeug.socket``). The clients are on loopback;
    once the peer's RST has come, ``getpeername`` fails and ``raddr`` is left out."""
    text = f"<socket.socket fd=FD, family=2, type=1, proto=0, laddr=('127.0.0.1', {server_port})"
    return text + (">" if peer_reset else f", raddr=('127.0.0.1', {client_port})>")


@view("handler")
def render_write_state(view: tuple) -> dict[str, Any]:
    _, status_set, status_sent, chunk_response, close_connection, n, *headers = view
    return {
        "status_set": status_set,
        "headers_set": pairs_of(headers[:n]),
        "status_sent": status_sent,
        "headers_sent": pairs_of(headers[n:]),
        "chunk_response": chunk_response,
        "close_connection": close_connection,
    }


class BodyError(OSError):
    """``OSError`` from ``DechunkedInput`` (a malformed chunked body)."""

    real_name = "OSError"


class DechunkedInput:
    """``DechunkedInput(rfile)``: the ``wsgi.input`` of a chunked request, which this
    server dechunks itself (and so sets ``wsgi.input_terminated``)."""

    def __init__(self, rfile) -> None:
        self.raw = rfile

    def __repr__(self) -> str:
        return "<werkzeug.serving.DechunkedInput object>"

    def read(self):
        """``read()`` (``readall``): chunk after chunk until the 0-size one."""
        rfile = self.raw
        out = bytearray()
        while True:
            line = (yield from rfile.readline(100)).decode("latin1")
            try:
                length = int(line.strip(" \t\r\n"), 16)
            except ValueError:
                raise BodyError("Invalid chunk header") from None
            if length < 0:
                raise BodyError("Negative chunk length not allowed")
            if length > 0:
                out += yield from rfile.read(length)
            terminator = yield from rfile.readline(2)
            if terminator not in (b"\n", b"\r\n", b"\r"):
                raise BodyError("Missing chunk terminating newline")
            if length == 0:
                return bytes(out)


def environ_view(environ: dict[str, Any]) -> tuple:
    """The WSGI environ at this moment, for the inspector (a view: see
    :data:`sim.trace.VIEWS`), as it shows it: strings as they are, anything else as Python
    prints it, the simulation's own keys (:data:`PRIVATE_KEYS`) left out. It is made text
    now, not when shown (Flask adds ``werkzeug.request`` later, so it is read now in any
    case), and kept as the keys and then the values, all strings: what the cyclic GC lets go
    of, where a copy of the environ (a dict of two dozen entries holding the request's
    objects) would be walked by every full collection of a large run, and would keep every
    finished connection's objects alive with the trace."""
    shown = dict(environ)
    for key in PRIVATE_KEYS:
        shown.pop(key, None)
    # format(value) is str(value) for all an environ holds (nothing with a __format__ of its
    # own), and a builtin function is called faster than the type str (three times a request)
    return ("environ", *shown, *map(format, shown.values()))


@view("environ")
def render_environ(view: tuple) -> dict[str, str]:
    half = len(view) // 2
    return dict(zip(view[1 : half + 1], view[half + 1 :], strict=True))


def split_status(status: str) -> tuple[int, str]:
    """``write``'s ``code_str, msg = status_sent.split(None, 1)`` (0.16's alike): the code and
    the reason, split at the first run of whitespace; a status with no reason (0.16 keeps
    ``" 203 "`` as it was set) is all code, and ``int()`` takes its spaces."""
    try:
        code, msg = status.split(None, 1)
    except ValueError:
        code, msg = status, ""
    return int(code), msg


#: the inspector shows the response body's first 4 KiB
RESPONSE_SHOWN = 4096


def response_view(status: str | None, headers: list[tuple[str, str]] | None,
                  body: bytearray) -> tuple:
    """The response so far, for the inspector (a view: see :func:`render_response`);
    ``body`` is the handler's append-only body so far, referenced, not copied."""
    return ("response", status, body, len(body), *chain.from_iterable(headers or ()))  # flat_pairs


@view("response")
def render_response(view: tuple) -> dict[str, Any]:
    """The response as the client has been sent it so far: the body is the first ``length``
    bytes of the handler's append-only ``response_body`` (a reference, not a copy, so a
    100,000-chunk stream costs a few ints per write, not the body so far)."""
    _, status, body_log, length, *headers = view
    return {
        "status": status,
        "headers": pairs_of(headers),
        "body": body_log[: min(length, RESPONSE_SHOWN)].decode("latin-1"),
        "body_bytes": length,
    }


class HeadersAlreadySet(AssertionError):
    """``start_response`` called twice without ``exc_info``."""


def start_run_wsgi(handler: Any, expect_100: bool) -> None:
    """The opening of ``run_wsgi``, the same on both Werkzeugs (they differ in how they read
    ``Expect``): its step, which says so when run_wsgi writes its own 100 Continue (one the
    app cannot prevent); the closure variables, new at each call (a request after one whose
    headers failed to go out, on a connection that stays open, starts from nothing); and
    that 100 Continue."""
    if expect_100:
        handler.rec.step(handler.actor, handler.client, RUN_WSGI, "werkzeug.serving.WSGIRequestHandler.run_wsgi",
                         "run_wsgi_continue", line='self.wfile.write(b"HTTP/1.1 100 Continue')
    else:
        handler.rec.step(handler.actor, handler.client, RUN_WSGI, "werkzeug.serving.WSGIRequestHandler.run_wsgi",
                         "run_wsgi", line="execute(self.server.app)")
    handler.ws = WriteState()
    handler.response_body = bytearray()
    if expect_100:
        handler.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")


class WSGIRequestHandler(BaseHTTPRequestHandler):
    server_version = SERVER_VERSION

    environ: dict[str, Any] | None = None
    #: ``run_wsgi``'s closure variables and the body sent so far, new at each call
    #: (:func:`start_run_wsgi`)
    ws: WriteState
    response_body: bytearray

    # -- werkzeug's overrides ------------------------------------------------------

    def handle(self):
        self.rec.step(self.actor, self.client, READ, "werkzeug.serving.WSGIRequestHandler.handle", "werkzeug_handle",
                      line="super().handle()")
        try:
            yield from super().handle()
        except ConnectionError as err:
            self.connection_dropped(err)

    def connection_dropped(self, error: BaseException) -> None:
        self.rec.step(self.actor, self.client, CLOSE, "werkzeug.serving.WSGIRequestHandler.connection_dropped",
                      "connection_dropped", {"error": type(error).__name__.rstrip("_")})

    def do_method(self):
        # getattr(self, "do_" + command) -> WSGIRequestHandler.__getattr__ -> run_wsgi
        self.rec.step(self.actor, self.client, PARSE, "werkzeug.serving.WSGIRequestHandler.__getattr__", "getattr_do",
                      {"command": self.command}, line="return self.run_wsgi")
        yield from self.run_wsgi()

    # -- run_wsgi --------------------------------------------------------------------

    def run_wsgi(self):
        start_run_wsgi(self, self.headers.get("Expect", "").lower().strip(" \t") == "100-continue")
        self.environ = self.make_environ()
        try:
            yield from self.execute(self.server.app)
        except ConnectionError as err:
            self.connection_dropped(err)
        except Exception as err:  # an error from the app's iterator: roll back, send a 500
            if self.ws.status_sent is not None and self.ws.chunk_response:
                self.close_connection = True
            try:
                if self.ws.status_sent is None:
                    self.ws.status_set = None
                    self.ws.headers_set = None
                yield from self.execute(self.server.app.internal_server_error_app())
            except Exception:
                pass
            self.server.log("error", f"Error on request:\n{last_line(err)}", self.actor)

    def make_environ(self) -> dict[str, Any]:
        server = self.server
        environ = dict(request_environ(
            self.path, self.command, self.request_version, self.headers,
            server.server_address, server.multithread, server.multiprocess))
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = self.client_address
        environ["wsgi.input"] = self.rfile
        if "wsgi.input_terminated" in environ:
            environ["wsgi.input"] = DechunkedInput(self.rfile)
        environ["werkzeug.socket"] = socket_repr(server.server_address[1], self.client_address[1],
                                                 self.request.state is SocketState.RESET)
        environ[ORIGIN_KEY] = Origin(self.actor, self.client, self.rec)
        self.rec.step(self.actor, self.client, RUN_WSGI, "werkzeug.serving.WSGIRequestHandler.make_environ",
                      "make_environ", {"method": self.command, "path": environ["PATH_INFO"]},
                      line="environ: WSGIEnvironment = {",
                      state={f"environ/{self.client}": environ_view(environ)})
        return environ

    def execute(self, app):
        self.rec.step(self.actor, self.client, RUN_WSGI,
                      "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute", "execute",
                      {"app": app.display_name}, line="application_iter = app(environ, start_response)")
        application_iter = yield from app(self.environ, self.start_response)
        try:
            iterator = (application_iter.iterator if isinstance(application_iter, ClosingIterator)
                        else iter(application_iter))
            yield from write_each(iterator, self.write)
            if not self.ws.headers_sent:
                self.write(b"")
            if self.ws.chunk_response:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            yield from self.drain_input()
            close = getattr(application_iter, "close", None)
            if close is not None:
                close()

    def drain_input(self):
        """The ``finally`` of ``execute``: discard what the client is still sending.

        ``selector.select(timeout=0.01)`` asks the socket, not ``rfile``'s buffer, and
        ``rfile.read(10_000_000)`` blocks until 10 MB or EOF. A select that times out is a
        step of its own: every request's 10 ms wait, which the clock alone showed.
        """
        kernel = self.world.kernel
        total_size = total_reads = 0
        while (yield from kernel.readable_within(self.request, 10)):
            data = yield from self.rfile.read(10_000_000)
            total_size += len(data)
            total_reads += 1
            self.step_read("read_drain", data)
            if not data or total_size >= 10_000_000_000 or total_reads > 1000:
                break
        else:
            self.rec.step(self.actor, self.client, READ, None,
                          "drain_select_timeout_after" if total_size else "drain_select_timeout",
                          {"n": total_size}, line="while selector.select(timeout=0.01):")

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        self.rec.step(self.actor, self.client, RESPOND,
                      "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.start_response", "start_response",
                      {"status": status}, line="status_set = status",
                      state={f"handler/{self.client}": self.ws.view(self.close_connection)})
        if exc_info:
            if self.ws.headers_sent:
                raise exc_info
        elif self.ws.headers_set:
            raise HeadersAlreadySet("Headers already set")
        self.ws.status_set = status
        self.ws.headers_set = headers
        return self.write

    def write(self, data: bytes) -> None:
        ws = self.ws
        assert ws.status_set is not None, "write() before start_response"
        assert ws.headers_set is not None, "write() before start_response"
        first = ws.status_sent is None
        # The step's state is what the write did; it is filled in once the write is over
        # (or has failed), since nothing else can happen in between.
        effects: dict[str, Any] = {}
        # the client's RST is here: this body write raises, and its step says so
        # (an item that is not bytes fails before it is sent: no body byte, see below)
        n = len(data) if isinstance(data, bytes) else 0
        fails = not first and n > 0 and self.world.kernel.send_fails(self.request)
        self.rec.step(self.actor, self.client, RESPOND, "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write",
                      "write_headers" if first else "write_body_fails" if fails else "write_body",
                      {"n": n},
                      line="self.send_response(code, msg)" if first else "self.wfile.write(data)",
                      state=effects)
        try:
            self.send_all(data, first)
        finally:
            effects[f"handler/{self.client}"] = ws.view(self.close_connection)
            effects[f"response/{self.client}"] = response_view(ws.status_sent, ws.headers_sent,
                                                              self.response_body)
            effects[f"sockets/{self.client}"] = socket_view(self.request, self.rfile)

    def send_all(self, data: bytes, first: bool) -> None:
        """The body of the real ``write``: status line and headers first, then the data."""
        ws = self.ws
        if first:
            ws.status_sent = ws.status_set
            ws.headers_sent = ws.headers_set
            code, msg = split_status(ws.status_sent)
            self.send_response(code, msg)
            header_keys = set()
            for key, value in ws.headers_sent:
                self.send_header(key, value)
                header_keys.add(key.lower())
            if (
                not (
                    "content-length" in header_keys
                    or self.environ["REQUEST_METHOD"] == "HEAD"
                    or (100 <= code < 200)
                    or code in {204, 304}
                )
                and self.protocol_version >= "HTTP/1.1"
            ):
                ws.chunk_response = True
                self.send_header("Transfer-Encoding", "chunked")
            # Werkzeug always closes: http.server cannot drain a request body before
            # reading the next request line, so keep-alive is off.
            self.send_header("Connection", "close")
            self.end_headers()
        # A body item that is not bytes (a json view's list holding a list, given to
        # Response as its iterable) fails only now, after the headers went out: run_wsgi's
        # 500 cannot be sent any more, and the client gets the headers alone.
        if not isinstance(data, bytes):
            raise AssertionError("applications must write bytes")
        if data:
            if ws.chunk_response:
                self.wfile.write(hex(len(data))[2:].encode())
                self.wfile.write(b"\r\n")
            self.wfile.write(data)
            self.response_body += data
            if ws.chunk_response:
                self.wfile.write(b"\r\n")

    # -- logging ---------------------------------------------------------------------

    def address_string(self) -> str:
        if self.environ:
            return self.environ["REMOTE_ADDR"]
        return self.client_address[0]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        target = self.requestline if self.path is None else None
        self.log("info", request_log_message(self.command, self.path, self.request_version,
                                             target, str(int(code)), str(size)))

    def log_error(self, format: str, *args) -> None:
        self.log("error", format % args)

    def log(self, type: str, message: str) -> None:
        line = f"{self.address_string()} - - [{self.log_date_time_string()}] {message}"
        self.server.log(type, line, self.actor)


@functools.lru_cache(maxsize=256)
def request_environ(path: str, command: str, request_version: str, headers, server_address,
                    multithread: bool, multiprocess: bool) -> dict[str, Any]:
    """``make_environ`` but for the client's address (filled in by the caller). A pure
    function of the request, so identical requests share the work (the header block is
    parsed once per distinct block, and ``headers`` is that shared object)."""
    request_url = urlsplit(path)
    if not request_url.scheme and request_url.netloc:
        path_info = f"/{request_url.netloc}{request_url.path}"
    else:
        path_info = request_url.path
    path_info = unquote(path_info)
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": None,  # per connection: filled in by the caller
        "wsgi.errors": STDERR,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "werkzeug.socket": None,  # per connection
        "SERVER_SOFTWARE": SERVER_VERSION,
        "REQUEST_METHOD": command,
        "SCRIPT_NAME": "",
        "PATH_INFO": wsgi_encoding_dance(path_info),
        "QUERY_STRING": wsgi_encoding_dance(request_url.query),
        "REQUEST_URI": wsgi_encoding_dance(path),
        "RAW_URI": wsgi_encoding_dance(path),
        "REMOTE_ADDR": None,
        "REMOTE_PORT": None,
        "SERVER_NAME": server_address[0],
        "SERVER_PORT": str(server_address[1]),
        "SERVER_PROTOCOL": request_version,
    }
    for key, value in headers.items():
        if "_" in key:
            continue
        key = key.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if "chunked" in _parse_set_header(environ.get("HTTP_TRANSFER_ENCODING")):
        environ["wsgi.input_terminated"] = True
    if request_url.scheme and request_url.netloc:
        environ["HTTP_HOST"] = request_url.netloc
    return environ


@functools.lru_cache(maxsize=1024)
def request_log_message(command: str | None, path: str | None, request_version: str,
                        requestline: str | None, code: str, size: str) -> str:
    """``WSGIRequestHandler.log_request``'s message: the request line (its IRI form, control
    characters escaped), coloured by status class."""
    if path is not None:
        msg = f"{command} {uri_to_iri(path)} {request_version}"
    else:
        msg = requestline
    msg = msg.translate(_CONTROL_CHARS)
    if code.startswith("1"):
        msg = ansi_style(msg, "bold")
    elif code == "200":
        pass
    elif code == "304":
        msg = ansi_style(msg, "cyan")
    elif code.startswith("3"):
        msg = ansi_style(msg, "green")
    elif code == "404":
        msg = ansi_style(msg, "yellow")
    elif code.startswith("4"):
        msg = ansi_style(msg, "bold", "red")
    else:
        msg = ansi_style(msg, "bold", "magenta")
    return f'"{msg}" {code} {size}'


def _parse_set_header(value: str | None) -> list[str]:
    """``werkzeug.http.parse_set_header``, lower-cased: a ``HeaderSet`` compares without case."""
    if not value:
        return []
    return [item.strip().strip('"').lower() for item in value.split(",")]


class BaseWSGIServer(HTTPServer):
    multithread = False
    multiprocess = False
    request_queue_size = LISTEN_QUEUE

    def __init__(self, world, app, handler_class=WSGIRequestHandler) -> None:
        super().__init__(world, handler_class)
        self.app = app
        server = world.scenario.server
        self.host = server.host
        self.port = server.port
        self.server_address = (server.host, server.port)

    def init(self, cls_name: str):
        rec = self.rec
        rec.step("main", None, STARTUP, "werkzeug.serving.BaseWSGIServer.__init__", "wsgi_server_init",
                 {"cls": cls_name, "protocol": self.handler_protocol()},
                 line="super().__init__(")
        self.tcp_init()
        self.server_bind()
        self.server_activate()

    def handler_protocol(self) -> str:
        return self.RequestHandlerClass.protocol_version

    def log(self, type: str, message: str, actor: str) -> None:
        """``werkzeug._internal._log``: the 'werkzeug' logger, to stderr."""
        werkzeug_internal.log(self.world, actor, type, message)

    def log_startup(self) -> None:
        dev_warning = ansi_style(
            "WARNING: This is a development server. Do not use it in a production deployment."
            " Use a production WSGI server instead.", "bold", "red")
        messages = [dev_warning]
        display_hostname = self.host
        if self.host in {"0.0.0.0", "::"}:
            messages.append(f" * Running on all addresses ({self.host})")
            localhost = "127.0.0.1" if self.host == "0.0.0.0" else "[::1]"
            messages.append(f" * Running on http://{localhost}:{self.port}")
        if ":" in display_hostname:
            display_hostname = f"[{display_hostname}]"
        messages.append(f" * Running on http://{display_hostname}:{self.port}")
        self.rec.step("main", None, STARTUP, "werkzeug.serving.BaseWSGIServer.log_startup",
                      "log_startup", {"url": f"http://{display_hostname}:{self.port}"},
                      line='_log("info", "\\n".join(messages))')
        self.log("info", "\n".join(messages), "main")

    def serve_forever(self):
        self.rec.step("main", None, SELECT, "werkzeug.serving.BaseWSGIServer.serve_forever",
                      "wsgi_serve_forever", line="super().serve_forever(poll_interval=poll_interval)")
        # Only a view's non-Exception (SystemExit, KeyboardInterrupt: see flask_app.AppExit)
        # gets out of the loop; Ctrl+C's KeyboardInterrupt is swallowed, and either way the
        # listening socket is closed.
        try:
            yield from super().serve_forever()
        except GeneratorExit:
            raise  # the simulation is over (Scheduler.close_all), not the server
        except BaseException as err:
            if getattr(err, "real_name", None) != "KeyboardInterrupt":
                self.server_close()
                raise
        self.server_close()


class ThreadedWSGIServer(ThreadingMixIn, BaseWSGIServer):
    multithread = True


class ForkingWSGIServer(ForkingMixIn, BaseWSGIServer):
    """``processes > 1``: a child process per connection, at most ``processes`` at once
    (``max_children``); the handler speaks HTTP/1.1 as with threads."""

    multiprocess = True


def handler_class_for(threaded: bool) -> type[WSGIRequestHandler]:
    """``BaseWSGIServer.__init__`` sets ``protocol_version = "HTTP/1.1"`` on the handler
    class when threads or processes are used (chunked responses need it). The real code
    sets it on the shared class itself; each simulated run starts from a fresh process."""
    if not threaded:
        return WSGIRequestHandler
    return type("WSGIRequestHandler", (WSGIRequestHandler,), {"protocol_version": "HTTP/1.1"})


def make_server(world, app):
    server_cfg = world.scenario.server
    world.recorder.step("main", None, STARTUP, "werkzeug.serving.make_server", "make_server",
                        {"threaded": server_cfg.threads},
                        line="return ThreadedWSGIServer(" if server_cfg.threads
                        else "return ForkingWSGIServer(" if server_cfg.processes > 1
                        else "return BaseWSGIServer(")
    if server_cfg.threads:
        server = ThreadedWSGIServer(world, app, handler_class_for(True))
        server.init("ThreadedWSGIServer")
    elif server_cfg.processes > 1:
        server = ForkingWSGIServer(world, app, handler_class_for(True))
        server.max_children = server_cfg.processes
        server.init("ForkingWSGIServer")
    else:
        server = BaseWSGIServer(world, app, handler_class_for(False))
        server.init("BaseWSGIServer")
    return server


def run_simple(world, app):
    world.recorder.step("main", None, STARTUP, "werkzeug.serving.run_simple", "run_simple",
                        {"threaded": world.scenario.server.threads}, line="srv = make_server(")
    server = make_server(world, app)
    server.log_startup()
    server.log("info", ansi_style("Press CTRL+C to quit", "yellow"), "main")
    return server
