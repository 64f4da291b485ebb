"""``werkzeug.serving`` (0.16.1): the dev server of the Flask 1.1 era (seed 002).

Read beside Werkzeug 0.16.1's ``werkzeug/serving.py``. Where it differs from 3.1 (our
``werkzeug_serving.py``), and so where the bytes on the wire differ:

* ``handle_one_request`` is Werkzeug's own: ``self.rfile.readline()`` with no limit, so a
  request line of any length is read and parsed (no 414), then ``run_wsgi`` is called
  directly (no ``do_*``/``__getattr__``).
* The handler keeps ``protocol_version = "HTTP/1.0"`` whatever the server (threads and
  processes included): no chunked responses, no keep-alive. A response without
  ``Content-Length`` ends by closing, and ``write`` says so with ``Connection: close``.
* ``send_response`` writes the status line straight to the socket and adds no headers;
  ``write`` appends ``Server`` and ``Date`` after the application's headers (and only if
  the application set none). ``send_error`` (the stdlib's) calls this ``send_response``,
  so error pages have no ``Server``/``Date`` at all.
* ``execute`` drains nothing: a body the application did not read stays in the socket, and
  closing it makes the kernel send RST.
* The log lines are not coloured (0.16 colours them only if ``termcolor`` is installed).
* ``run_simple`` does the work in its inner function ``inner()`` (``make_server``, then
  ``log_startup`` and ``serve_forever``); ``make_server`` picks ``ThreadedWSGIServer``,
  ``ForkingWSGIServer`` or ``BaseWSGIServer`` and refuses threads together with processes.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote, urlsplit

from ..trace import Phase
from . import cpython, werkzeug016_urls, werkzeug_internal
from .flask_helpers import write_each
from .http_server import BaseHTTPRequestHandler
from .io import STDERR
from .socketserver import BaseServer, ForkingMixIn, ThreadingMixIn, bound_address, socket_view
from .tracebacks import last_line
from .werkzeug_serving import (
    DechunkedInput,
    HeadersAlreadySet,
    WriteState,
    environ_view,
    response_view,
    split_status,
    start_run_wsgi,
    wsgi_encoding_dance,
)
from .werkzeug_wrappers import ClosingIterator
from .world import MAIN, ORIGIN_KEY, Origin, Process

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
STARTUP, LISTEN, SELECT, ACCEPT, READ, RUN_WSGI, RESPOND, CLOSE = (
    Phase.STARTUP, Phase.LISTEN, Phase.SELECT, Phase.ACCEPT, Phase.READ, Phase.RUN_WSGI, Phase.RESPOND, Phase.CLOSE)

VERSION = "0.16.1"
SERVER_VERSION = f"Werkzeug/{VERSION}"
LISTEN_QUEUE = 128
SHUTDOWN_SERVER = "<function WSGIRequestHandler.make_environ.<locals>.shutdown_server>"


class WSGIRequestHandler(BaseHTTPRequestHandler):
    """``werkzeug.serving.WSGIRequestHandler`` of 0.16.1 (``protocol_version`` stays 1.0).

    ``ws`` holds the closure state of ``run_wsgi`` (``headers_set``/``headers_sent`` there;
    ``status_set``/``headers_set``/``status_sent``/``headers_sent`` here, as in 3.1's model);
    ``chunk_response`` is always False: 0.16 never chunks."""

    server_version = SERVER_VERSION

    environ: dict[str, Any] | None = None
    #: ``run_wsgi``'s closure variables and the body sent so far, new at each call
    #: (:func:`start_run_wsgi`)
    ws: WriteState
    response_body: bytearray

    def handle(self):
        self.rec.step(self.actor, self.client, READ, "werkzeug.serving.WSGIRequestHandler.handle", "werkzeug_handle",
                      line="rv = BaseHTTPRequestHandler.handle(self)")
        try:
            yield from super().handle()
        except ConnectionError as err:
            self.connection_dropped(err)

    def connection_dropped(self, error: BaseException) -> None:
        self.rec.step(self.actor, self.client, CLOSE, "werkzeug.serving.WSGIRequestHandler.connection_dropped",
                      "connection_dropped", {"error": type(error).__name__.rstrip("_")})

    def handle_one_request(self):
        """0.16's own: no 65537-byte limit (so no 414), and ``run_wsgi`` right after a
        successful ``parse_request``."""
        self.rec.step(self.actor, self.client, READ, "werkzeug.serving.WSGIRequestHandler.handle_one_request",
                      "handle_one_request_unlimited", line="self.raw_requestline = self.rfile.readline()")
        self.raw_requestline = yield from self.rfile.readline()
        self.step_read("read_readline", self.raw_requestline)
        if not self.raw_requestline:
            self.close_connection = True
        elif (yield from self.parse_request()):
            yield from self.run_wsgi()

    # -- run_wsgi --------------------------------------------------------------------

    def run_wsgi(self):
        start_run_wsgi(self, self.headers.get("Expect", "").lower().strip() == "100-continue")
        self.environ = self.make_environ()
        try:
            yield from self.execute(self.server.app)
        except ConnectionError as err:
            self.connection_dropped(err)
        except Exception as err:  # the app's iterator failed: roll back, send a 500
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
        environ[ORIGIN_KEY] = Origin(self.actor, self.client, self.rec)
        self.rec.step(self.actor, self.client, RUN_WSGI, "werkzeug.serving.WSGIRequestHandler.make_environ",
                      "make_environ", {"method": self.command, "path": environ["PATH_INFO"]},
                      line="environ = {",
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
            if self.ws.headers_sent is None:
                self.write(b"")
        finally:
            # No drain here (3.x added one): unread body bytes stay in the socket.
            close = getattr(application_iter, "close", None)
            if close is not None:
                close()

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        self.rec.step(self.actor, self.client, RESPOND,
                      "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.start_response", "start_response",
                      {"status": status}, line="headers_set[:] = [status, response_headers]",
                      state={f"handler/{self.client}": self.ws.view(self.close_connection)})
        if exc_info:
            if self.ws.headers_sent is not None:
                raise exc_info
        elif self.ws.headers_set is not None:
            raise HeadersAlreadySet("Headers already set")
        self.ws.status_set = status
        self.ws.headers_set = headers
        return self.write

    def write(self, data: bytes) -> None:
        ws = self.ws
        assert ws.headers_set is not None, "write() before start_response"
        first = ws.status_sent is None
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
            if first:
                self.send_status_and_headers()
            # as in Werkzeug 3, a body item that is not bytes fails after the headers went out
            if not isinstance(data, bytes):
                raise AssertionError("applications must write bytes")
            if data:
                self.wfile.write(data)
                self.response_body += data
        finally:
            effects[f"handler/{self.client}"] = ws.view(self.close_connection)
            effects[f"response/{self.client}"] = response_view(ws.status_sent, ws.headers_sent,
                                                              self.response_body)
            effects[f"sockets/{self.client}"] = socket_view(self.request, self.rfile)

    def send_status_and_headers(self) -> None:
        """The first ``write``: status line, the app's headers, then 0.16's additions."""
        ws = self.ws
        ws.status_sent = ws.status_set
        ws.headers_sent = ws.headers_set
        code, msg = split_status(ws.status_sent)
        self.send_response(code, msg)
        header_keys = set()
        for key, value in ws.headers_sent:
            self.send_header(key, value)
            header_keys.add(key.lower())
        # A body with no length can only end by closing (there is no chunking in 0.16).
        if not ("content-length" in header_keys or self.environ["REQUEST_METHOD"] == "HEAD"
                or code < 200 or code in (204, 304)):
            self.close_connection = True
            self.send_header("Connection", "close")
        if "server" not in header_keys:
            self.send_header("Server", self.version_string())
        if "date" not in header_keys:
            self.send_header("Date", self.date_time_string())
        self.end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        """0.16's: log, then the status line written at once (no ``Server``/``Date``)."""
        self.rec.step(self.actor, self.client, RESPOND, "werkzeug.serving.WSGIRequestHandler.send_response",
                      "send_response_016", {"code": int(code)}, line="self.wfile.write(hdr.encode(\"ascii\"))")
        self.log_request(code)
        if message is None:
            message = cpython.RESPONSES[code][0] if code in cpython.RESPONSES else ""
        if self.request_version != "HTTP/0.9":
            self.wfile.write(f"{self.protocol_version} {int(code)} {message}\r\n".encode("ascii"))

    def version_string(self) -> str:
        return f"{SERVER_VERSION} {cpython.SYS_VERSION}"

    # -- logging ---------------------------------------------------------------------

    def address_string(self) -> str:
        if self.environ:
            return self.environ["REMOTE_ADDR"]
        return self.client_address[0]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.path is None:  # AttributeError in the real one: the line was bad
            msg = self.requestline
        else:
            msg = f"{self.command} {werkzeug016_urls.uri_to_iri(self.path)} {self.request_version}"
        self.log("info", f'"{msg}" {code} {size}')

    def log_error(self, format: str, *args) -> None:
        self.log("error", format % args)

    def log(self, type: str, message: str) -> None:
        line = f"{self.address_string()} - - [{self.log_date_time_string()}] {message}"
        self.server.log(type, line, self.actor)


@functools.lru_cache(maxsize=256)
def request_environ(path: str, command: str, request_version: str, headers, server_address,
                    multithread: bool, multiprocess: bool) -> dict[str, Any]:
    """0.16's ``make_environ`` but for the client's address: ``url_parse(self.path)``, every
    header (underscores and all; 3.x drops names with ``_``), repeated ones joined."""
    request_url = urlsplit(path)
    path_info = unquote(request_url.path, errors="replace")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": None,  # make_environ: the handler's rfile (or DechunkedInput over it)
        "wsgi.errors": STDERR,
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        # a closure that sets server.shutdown_signal (0.16 only; 2.x removed it)
        "werkzeug.server.shutdown": SHUTDOWN_SERVER,
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
        key = key.upper().replace("-", "_")
        value = value.replace("\r\n", "")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                value = f"{environ[key]},{value}"
        environ[key] = value
    if environ.get("HTTP_TRANSFER_ENCODING", "").strip().lower() == "chunked":
        environ["wsgi.input_terminated"] = True
    if request_url.scheme and request_url.netloc:
        environ["HTTP_HOST"] = request_url.netloc
    return environ


class BaseWSGIServer(BaseServer):
    multithread = False
    multiprocess = False
    request_queue_size = LISTEN_QUEUE

    def __init__(self, world, app, handler_class=WSGIRequestHandler, process: Process | None = None,
                 actor: str = MAIN, fd: int | None = None) -> None:
        super().__init__(world, handler_class, process, actor)
        self.app = app
        server = world.scenario.server
        self.host = server.host
        self.port = server.port
        self.server_address = (server.host, server.port)
        #: ``WERKZEUG_SERVER_FD`` in a reloader child: the listening socket it inherited
        self.fd = fd

    def init(self, cls_name: str):
        if self.fd is None:
            self.rec.step(self.actor, None, STARTUP, "werkzeug.serving.BaseWSGIServer.__init__",
                          "wsgi_server_init_016", {"cls": cls_name},
                          line="HTTPServer.__init__(self, server_address, handler)")
            self.tcp_init()
            self.server_bind()
            self.server_activate()
            return
        # With an fd, HTTPServer.__init__ still makes, binds and listens on a socket of its
        # own (port 0: any free port), which is then closed and replaced by the inherited one.
        self.rec.step(self.actor, None, STARTUP, "werkzeug.serving.BaseWSGIServer.__init__",
                      "wsgi_server_init_fd", {"cls": cls_name, "fd": self.fd},
                      line="real_sock = socket.fromfd(fd, self.address_family, socket.SOCK_STREAM)")
        self.tcp_init()
        self.rec.step(self.actor, None, LISTEN, "socketserver.TCPServer.server_bind",
                      "server_bind_throwaway", {"host": self.host},
                      line="self.socket.bind(self.server_address)")
        self.rec.step(self.actor, None, LISTEN, "socketserver.TCPServer.server_activate",
                      "server_activate_throwaway", {"waiting": len(self.world.listener.queue)},
                      line="self.socket.listen(self.request_queue_size)")
        # self.server_address = self.socket.getsockname(): the inherited socket's address
        self.server_address = (bound_address(self.host), self.port)

    def server_close(self):
        if self.fd is None:
            return super().server_close()
        # Only this process's copy of the socket is closed: the parent (and the fd the
        # child inherited) keep it open, so the kernel goes on queueing connections.
        self.rec.step(self.actor, None, CLOSE, "socketserver.TCPServer.server_close",
                      "server_close_inherited", {"waiting": len(self.world.listener.queue)},
                      line="self.socket.close()")

    def get_request(self):
        """0.16 overrides it: ``con, info = self.socket.accept()``."""
        listener = self.world.listener
        conn = listener.accept()
        if self.fd is not None:  # a reloader child: it may exit with the connection open
            self.process.sockets.append(conn)
        port = self.world.client_ports[conn.client]
        self.rec.step(self.actor, conn.client, ACCEPT, "werkzeug.serving.BaseWSGIServer.get_request",
                      "get_request", {"client": conn.client, "port": port,
                                      "waiting": len(listener.queue)},
                      line="con, info = self.socket.accept()",
                      state={f"backlog/{conn.client}": None,
                             f"sockets/{conn.client}": socket_view(conn, None)})
        return conn

    def log(self, type: str, message: str, actor: str) -> None:
        """``werkzeug._internal._log``: the 'werkzeug' logger, to stderr."""
        werkzeug_internal.log(self.world, actor, type, message)

    def serve_forever(self):
        self.rec.step(self.actor, None, SELECT, "werkzeug.serving.BaseWSGIServer.serve_forever",
                      "wsgi_serve_forever", line="HTTPServer.serve_forever(self)")
        # As in 3.x: a view's non-Exception ends the loop; KeyboardInterrupt is swallowed,
        # and the listening socket is closed either way.
        try:
            yield from super().serve_forever()
        except BaseException as err:
            if getattr(err, "real_name", None) != "KeyboardInterrupt":
                self.server_close()
                raise
        self.server_close()


class ThreadedWSGIServer(ThreadingMixIn, BaseWSGIServer):
    multithread = True


class ForkingWSGIServer(ForkingMixIn, BaseWSGIServer):
    multiprocess = True


def make_server(world, app, process: Process | None = None, actor: str = MAIN, fd: int | None = None):
    """``make_server(host, port, app, threaded, processes, ..., fd=fd)``."""
    cfg = world.scenario.server
    if cfg.threads:
        chosen, line = "ThreadedWSGIServer", "return ThreadedWSGIServer("
    elif cfg.processes > 1:
        chosen, line = "ForkingWSGIServer", "return ForkingWSGIServer("
    else:
        chosen, line = "BaseWSGIServer", "return BaseWSGIServer("
    world.recorder.step(actor, None, STARTUP, "werkzeug.serving.make_server", "make_server_016",
                        {"cls": chosen}, line=line)
    if chosen == "ThreadedWSGIServer":
        server: BaseWSGIServer = ThreadedWSGIServer(world, app, process=process, actor=actor, fd=fd)
    elif chosen == "ForkingWSGIServer":
        server = ForkingWSGIServer(world, app, process=process, actor=actor, fd=fd)
        server.max_children = cfg.processes
    else:
        server = BaseWSGIServer(world, app, process=process, actor=actor, fd=fd)
    server.init(chosen)
    return server


def is_running_from_reloader(process: Process) -> bool:
    return process.environ.get("WERKZEUG_RUN_MAIN") == "true"


def run_simple(world, app, process: Process | None = None):
    """``run_simple``. Without the reloader, ``inner()`` makes the server, logs where it
    listens and serves. With it, the first process opens the listening socket itself (so
    the port is taken before any child exists), puts its descriptor in
    ``WERKZEUG_SERVER_FD``, and hands over to ``run_with_reloader``, which starts the child
    that runs ``inner()``; in that child, ``run_simple`` goes straight to
    ``run_with_reloader``."""
    from . import werkzeug016_reloader

    process = world.process if process is None else process
    actor = process.main
    rec, cfg = world.recorder, world.scenario.server
    if not cfg.use_reloader:
        rec.step(actor, None, STARTUP, "werkzeug.serving.run_simple", "run_simple",
                 {"threaded": cfg.threads}, line="inner()")
        yield from inner(world, app, process, actor)
        return
    if is_running_from_reloader(process):
        rec.step(actor, None, STARTUP, "werkzeug.serving.run_simple", "run_simple_in_child",
                 line="run_with_reloader(inner, extra_files, reloader_interval, reloader_type)")
    else:
        fd = str(PARENT_SOCKET_FD)
        process.environ["WERKZEUG_SERVER_FD"] = fd
        world.listener.listening = True
        rec.step(actor, None, LISTEN, "werkzeug.serving.run_simple", "run_simple_reloader",
                 {"host": cfg.host, "port": cfg.port, "fd": fd, "backlog": world.listener.backlog},
                 line="s.listen(LISTEN_QUEUE)")
        log_startup(world, actor, cfg.host, cfg.port)
    yield from werkzeug016_reloader.run_with_reloader(world, app, process)


#: The descriptor of the socket ``run_simple`` opens early in a freshly started ``python
#: app.py``: the first one after stdin, stdout and stderr.
PARENT_SOCKET_FD = 3


def inner(world, app, process: Process, actor: str):
    """``run_simple``'s ``inner()``: ``make_server`` (with the inherited socket's ``fd``
    in a reloader child), ``log_startup`` unless the socket was inherited, then
    ``serve_forever``."""
    fd_text = process.environ.get("WERKZEUG_SERVER_FD")
    fd = int(fd_text) if fd_text is not None else None
    if fd is None:
        world.recorder.step(actor, None, STARTUP, "werkzeug.serving.run_simple.<locals>.inner",
                            "run_simple_inner", line="srv = make_server(")
    else:
        world.recorder.step(actor, None, STARTUP, "werkzeug.serving.run_simple.<locals>.inner",
                            "run_simple_inner_fd", {"fd": fd},
                            line='fd = int(os.environ["WERKZEUG_SERVER_FD"])')
    server = make_server(world, app, process, actor, fd)
    if fd is None:
        log_startup(world, actor, server.host, server.port)
    yield from server.serve_forever()


def log_startup(world, actor: str, host: str, port: int) -> None:
    url = f"http://{host}:{port}/"
    world.recorder.step(actor, None, STARTUP, "werkzeug.serving.run_simple.<locals>.log_startup",
                        "log_startup", {"url": url}, line='" * Running on %s://%s:%d/ %s",')
    werkzeug_internal.log(world, actor, "info", f" * Running on {url} (Press CTRL+C to quit)")
