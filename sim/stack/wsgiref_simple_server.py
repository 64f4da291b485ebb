"""``wsgiref.simple_server`` (CPython 3.11.7): the standard library's WSGI server.

Read beside ``Lib/wsgiref/simple_server.py``, in its order: ``ServerHandler`` (whose
``close`` logs the request), ``WSGIServer`` (an ``HTTPServer`` whose ``server_bind`` also
builds the base environ), ``WSGIRequestHandler`` (whose ``handle`` replaces
``BaseHTTPRequestHandler.handle``: ONE request per connection, no ``handle_one_request``
loop, and the request line's 64 KiB check repeated), ``demo_app`` and ``make_server``.

What is different from Werkzeug's dev server follows from the real code, not from rules
written here: the handler's ``protocol_version`` stays ``HTTP/1.0`` (so no
``100 Continue``, and every connection closes after one response); the environ has no
``wsgi.input_terminated``, so a chunked body reads as empty (PEP 3333 has no chunked input);
``start_response`` refuses hop-by-hop headers; one thread serves everything.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import unquote

from ..trace import Phase
from .http_server import CONTROL_CHAR_TABLE, BaseHTTPRequestHandler, HTTPServer
from .io import STDERR
from .world import ORIGIN_KEY, is_private
from .wsgiref_handlers import SimpleHandler

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
STARTUP, LISTEN, READ, RUN_WSGI, DISPATCH, CLOSE = (
    Phase.STARTUP, Phase.LISTEN, Phase.READ, Phase.RUN_WSGI, Phase.DISPATCH, Phase.CLOSE)

__version__ = "0.2"
SERVER_VERSION = "WSGIServer/" + __version__
#: ``python_implementation() + "/" + sys.version.split()[0]`` of the modelled CPython
SYS_VERSION = "CPython/3.11.7"
SOFTWARE_VERSION = SERVER_VERSION + " " + SYS_VERSION

#: File descriptors, which ``repr(environ["wsgi.input"])`` shows (``demo_app`` prints it):
#: a fresh process has 0-2 open, ``socket()`` takes the lowest free number (3) for the
#: listening socket, and ``accept()`` the next (4). One connection is open at a time (the
#: server is single-threaded and closes each before the next accept), so it is always 4.
LISTEN_FD = 3
CONNECTION_FD = 4


class ServerHandler(SimpleHandler):
    server_software = SOFTWARE_VERSION

    def close(self) -> None:
        """Log the request (status code and body bytes sent), then ``SimpleHandler.close``."""
        st = self.st
        code = st.status.split(" ", 1)[0]
        self.rec.step(self.actor, self.client, CLOSE, "wsgiref.simple_server.ServerHandler.close",
                      "wsgiref_server_handler_close", {"code": code, "size": st.bytes_sent},
                      line="self.request_handler.log_request(")
        try:
            self.request_handler.log_request(code, st.bytes_sent)
        finally:
            SimpleHandler.close(self)


class WSGIServer(HTTPServer):
    """``WSGIServer``: ``TCPServer.__init__`` binds (``server_bind``, which here also runs
    ``setup_environ``) and listens; ``set_app`` stores the application."""

    application = None

    def __init__(self, world, handler_class) -> None:
        super().__init__(world, handler_class)
        server = world.scenario.server
        self.server_address = (server.host, server.port)
        self.request_queue_size = world.listener.backlog
        self.base_environ: dict[str, str] = {}

    def init(self) -> None:
        """``server_class((host, port), handler_class)``: ``TCPServer.__init__``."""
        self.tcp_init()
        self.server_bind()
        self.server_activate()

    def server_bind(self):
        self.rec.step("main", None, LISTEN, "wsgiref.simple_server.WSGIServer.server_bind",
                      "wsgiref_server_bind", line="HTTPServer.server_bind(self)")
        super().server_bind()
        self.setup_environ()

    def setup_environ(self) -> None:
        env = self.base_environ = {}
        env["SERVER_NAME"] = self.server_name
        env["GATEWAY_INTERFACE"] = "CGI/1.1"
        env["SERVER_PORT"] = str(self.server_port)
        env["REMOTE_HOST"] = ""
        env["CONTENT_LENGTH"] = ""
        env["SCRIPT_NAME"] = ""
        self.rec.step("main", None, LISTEN, "wsgiref.simple_server.WSGIServer.setup_environ",
                      "wsgiref_server_setup_environ",
                      {"name": self.server_name, "port": self.server_port},
                      line="env = self.base_environ = {}")

    def get_app(self):
        return self.application

    def set_app(self, application) -> None:
        self.rec.step("main", None, STARTUP, "wsgiref.simple_server.WSGIServer.set_app", "wsgiref_set_app",
                      {"app": application.display_name}, line="self.application = application")
        self.application = application


class WSGIRequestHandler(BaseHTTPRequestHandler):
    server_version = SERVER_VERSION

    def setup(self) -> None:
        super().setup()
        self.rfile.fd = CONNECTION_FD

    def get_environ(self) -> dict[str, str]:
        """The request's CGI variables over the server's base environ. Headers become
        ``HTTP_*`` as they are (underscores too), the ones that collide with a variable
        already set (``Content-Type``, ``Content-Length``, ...) are skipped, repeats joined
        with commas."""
        env = dict(self.server.base_environ)
        env["SERVER_PROTOCOL"] = self.request_version
        env["SERVER_SOFTWARE"] = self.server_version
        env["REQUEST_METHOD"] = self.command
        if "?" in self.path:
            path, query = self.path.split("?", 1)
        else:
            path, query = self.path, ""
        env["PATH_INFO"] = unquote(path, "iso-8859-1")
        env["QUERY_STRING"] = query
        host = self.address_string()
        if host != self.client_address[0]:
            env["REMOTE_HOST"] = host
        env["REMOTE_ADDR"] = self.client_address[0]
        content_type = self.headers.get("content-type")
        # email.message.Message.get_content_type() with no Content-Type: the default type
        env["CONTENT_TYPE"] = "text/plain" if content_type is None else content_type
        length = self.headers.get("content-length")
        if length:
            env["CONTENT_LENGTH"] = length
        for k, v in self.headers.items():
            k = k.replace("-", "_").upper()
            v = v.strip()
            if k in env:
                continue
            if "HTTP_" + k in env:
                env["HTTP_" + k] += "," + v
            else:
                env["HTTP_" + k] = v
        self.rec.step(self.actor, self.client, RUN_WSGI, "wsgiref.simple_server.WSGIRequestHandler.get_environ",
                      "wsgiref_get_environ", {"method": self.command, "path": env["PATH_INFO"]},
                      line="env = self.server.base_environ.copy()")
        return env

    def get_stderr(self):
        return STDERR

    def handle(self):
        """Handle a single HTTP request."""
        self.rec.step(self.actor, self.client, READ, "wsgiref.simple_server.WSGIRequestHandler.handle",
                      "wsgiref_handle", line="self.raw_requestline = self.rfile.readline(65537)")
        self.raw_requestline = yield from self.rfile.readline(65537)
        self.step_read("read_readline", self.raw_requestline)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        ok = yield from self.parse_request()
        if not ok:  # an error code has been sent (or the line was empty): just exit
            return
        handler = ServerHandler(self.world, self.actor, self.client, self.rfile, self.wfile,
                                self.get_stderr(), self.get_environ(), multithread=False)
        handler.request_handler = self  # backpointer for logging
        yield from handler.run(self.server.get_app())

    def do_method(self):
        raise AssertionError("wsgiref's handle() never dispatches to do_<command>")
        yield

    # -- logging (BaseHTTPRequestHandler's, to stderr) ----------------------------------

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.rec.step(self.actor, self.client, CLOSE,
                      "http.server.BaseHTTPRequestHandler.log_request", "log_request",
                      {"code": str(int(code)) if not isinstance(code, str) else code, "size": str(size)},
                      line="self.log_message('\"%s\" %s %s',")
        if not isinstance(code, str):
            code = int(code)
        self.log_message('"%s" %s %s', self.requestline, str(code), str(size))

    def log_error(self, format: str, *args) -> None:
        self.log_message(format, *args)

    def log_message(self, format: str, *args) -> None:
        self.rec.log(self.actor, f"{self.address_string()} - - [{self.log_date_time_string()}] "
                                 f"{escape_control_chars(format % args)}")

    def address_string(self) -> str:
        return self.client_address[0]


@functools.lru_cache(maxsize=1024)
def escape_control_chars(message: str) -> str:
    """``message.translate(self._control_char_table)`` (cached: the requests of a large run
    log a few distinct messages)."""
    return message.translate(CONTROL_CHAR_TABLE)


class DemoApp:
    """``demo_app``: "Hello world!", a blank line, then the environ, sorted, one
    ``key = repr(value)`` a line, as ``text/plain``."""

    display_name = "demo_app"

    def __call__(self, environ: dict[str, Any], start_response):
        origin = environ[ORIGIN_KEY]
        origin.recorder.step(origin.actor, origin.client, DISPATCH, "wsgiref.simple_server.demo_app",
                             "demo_app", {"keys": sum(not is_private(key) for key in environ)},
                             line="print(k,'=',repr(v), file=stdout)")
        lines = ["Hello world!", ""]
        for k, v in sorted(item for item in environ.items() if not is_private(item[0])):
            lines.append(f"{k} = {v!r}")
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return ["\n".join(lines).encode("utf-8") + b"\n"]
        yield


DEMO_APP = DemoApp()


def make_server(world, app) -> WSGIServer:
    """``make_server(host, port, app)``: ``WSGIServer((host, port), WSGIRequestHandler)``,
    then ``set_app``."""
    server = world.scenario.server
    world.recorder.step("main", None, STARTUP, "wsgiref.simple_server.make_server", "wsgiref_make_server",
                        {"host": server.host, "port": server.port},
                        line="server = server_class((host, port), handler_class)")
    httpd = WSGIServer(world, WSGIRequestHandler)
    httpd.init()
    httpd.set_app(app)
    return httpd


__all__ = ["DEMO_APP", "ServerHandler", "WSGIRequestHandler", "WSGIServer", "make_server"]
