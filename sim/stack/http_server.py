"""``http.server.BaseHTTPRequestHandler``: read the request line and headers, send errors.

Read beside CPython 3.11's ``Lib/http/server.py``. The constants that shape the bytes on the
wire (the error page template, status phrases, date names, ``sys_version``) are CPython
3.11.7's, copied in :mod:`.cpython`, and headers are parsed by the copy of the email
parser's header half in :mod:`.email_feedparser`: the interpreter that runs the engine
(any 3.11.x) changes nothing in the trace.
"""

from __future__ import annotations

import functools
import html
import re
import time
from http import HTTPStatus

from ..trace import Phase
from . import cpython
from .email_feedparser import message_items
from .socketserver import BaseRequestHandler, BaseServer, socket_view

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
LISTEN, READ, PARSE, RESPOND = Phase.LISTEN, Phase.READ, Phase.PARSE, Phase.RESPOND

#: ``http.client._MAXLINE`` and ``_MAXHEADERS``
MAXLINE = 65536
MAXHEADERS = 100

_WEEKDAYS = cpython.WEEKDAYNAME
_MONTHS = cpython.MONTHNAME


#: ``BaseHTTPRequestHandler._control_char_table``: ``log_message`` escapes control
#: characters (and the backslash) so a request line cannot forge log lines.
CONTROL_CHAR_TABLE = str.maketrans({c: rf"\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]})
CONTROL_CHAR_TABLE[ord("\\")] = r"\\"


class HeaderError(Exception):
    """``http.client.LineTooLong`` / ``HTTPException`` raised by ``parse_headers``."""

    def __init__(self, message: str, explain: str) -> None:
        super().__init__(explain)
        self.message = message
        self.explain = explain


class Headers:
    """What ``parse_headers`` returns, as far as the server uses it: ``get`` (first match,
    any case) and ``items`` (all, in order), like ``email.message.Message``."""

    __slots__ = ("_first", "_items")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        #: each name's first value, by its lower-cased name: one block is parsed once and
        #: its headers read several times a request (``parse_header_block`` shares it)
        self._first: dict[str, str] = {}
        for key, value in items:
            self._first.setdefault(key.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def items(self) -> list[tuple[str, str]]:
        return self._items


#: A header line the email parser takes as ``name: value`` with nothing else to it:
#: its ``headerRE`` name characters, one line ending, no other CR or LF.
_PLAIN_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:[^\r\n]*\r?\n")


@functools.lru_cache(maxsize=256)
def parse_header_block(lines: tuple[bytes, ...]) -> Headers:
    """The second half of ``http.client.parse_headers``. Plain lines are split the way
    ``email.policy.compat32`` does (``value.lstrip(' \\t').rstrip('\\r\\n')``); anything
    else (continuations, lines without a colon, bare CR) goes through the email parser's
    header half (:mod:`.email_feedparser`, CPython 3.11.7's, checked against the real one),
    so its quirks are the real ones."""
    fields = lines[:-1] if lines and lines[-1] in (b"\r\n", b"\n", b"") else lines
    if all(_PLAIN_HEADER_LINE.fullmatch(line) for line in fields):
        items = []
        for line in fields:
            name, _, value = line.decode("iso-8859-1").partition(":")
            items.append((name, value.lstrip(" \t").rstrip("\r\n")))
        return Headers(items)
    return Headers(message_items(b"".join(lines).decode("iso-8859-1")))


class HTTPServer(BaseServer):
    """``http.server.HTTPServer``: a ``TCPServer`` that notes its name and port when bound."""

    #: ``HTTPServer.allow_reuse_address``
    allow_reuse_address = True

    def server_bind(self):
        """``HTTPServer.server_bind`` -> ``TCPServer.server_bind``, then ``server_name``
        (``socket.getfqdn(host)``) and ``server_port``."""
        host, port = self.server_address
        self.rec.step("main", None, LISTEN, "http.server.HTTPServer.server_bind",
                      "http_server_bind", {"host": host, "port": port},
                      line="socketserver.TCPServer.server_bind(self)")
        super().server_bind()
        self.server_name = getfqdn(host)
        self.server_port = port


def getfqdn(host: str) -> str:
    """``socket.getfqdn(host)`` as a Linux machine answers it for the addresses a scenario
    names: the loopback address and ``localhost`` resolve to ``localhost`` (``/etc/hosts``);
    anything else is taken to resolve to itself (the engine has no resolver)."""
    if host in ("127.0.0.1", "localhost"):
        return "localhost"
    return host


class BaseHTTPRequestHandler(BaseRequestHandler):
    protocol_version = "HTTP/1.0"
    default_request_version = "HTTP/0.9"

    # What a handler holds before its first request line (class attributes: a handler is
    # made per connection, and these are only ever replaced, never changed in place).
    close_connection = True
    raw_requestline = b""
    requestline = ""
    request_version = default_request_version
    command: str | None = None
    path: str | None = None
    headers: Headers | None = None

    def __init__(self, server: BaseServer, request, actor: str) -> None:
        BaseRequestHandler.__init__(self, server, request, actor)
        self._headers_buffer: list[bytes] = []

    # -- reading the request -------------------------------------------------------

    def handle(self):
        self.rec.step(self.actor, self.client, READ, "http.server.BaseHTTPRequestHandler.handle", "http_handle",
                      line="self.handle_one_request()")
        self.close_connection = True
        yield from self.handle_one_request()
        while not self.close_connection:
            # a keep-alive connection: what comes next is the connection's next request
            self.rec.next_request(self.client)
            yield from self.handle_one_request()

    def handle_one_request(self):
        self.rec.step(self.actor, self.client, READ, "http.server.BaseHTTPRequestHandler.handle_one_request",
                      "handle_one_request", line="self.raw_requestline = self.rfile.readline(65537)")
        self.raw_requestline = yield from self.rfile.readline(65537)
        self.step_read("read_readline", self.raw_requestline)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        ok = yield from self.parse_request()
        if not ok:
            return
        # hasattr(self, "do_" + command) is always true for Werkzeug's handler: its
        # __getattr__ answers every do_* name with run_wsgi.
        yield from self.do_method()
        # self.wfile.flush(): _SocketWriter has no buffer, nothing to do

    def step_read(self, key: str, data: bytes) -> None:
        """A kernel-side step (``key``: ``read_readline``, ``read_headers``, ``read_drain``):
        what a read returned, and what is left in the buffers.

        A readline (or the drain's read) that returns nothing is end of file: the client
        closed, and this read is where the server learns it (a caption of its own)."""
        if not data and key in ("read_readline", "read_drain"):
            key += "_eof"
        self.rec.step(self.actor, self.client, READ, None, key,
                      {"n": len(data), "text": data},
                      state={f"sockets/{self.client}": socket_view(self.request, self.rfile, data)})

    def parse_request(self):
        self.rec.step(self.actor, self.client, PARSE, "http.server.BaseHTTPRequestHandler.parse_request",
                      "parse_request", {"line": self.raw_requestline.rstrip(b"\r\n")},
                      line="words = requestline.split()")
        self.command = None
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) == 0:
            return False
        if len(words) >= 3:
            version = words[-1]
            version_number = _parse_version(version)
            if version_number is None:
                self.send_error(HTTPStatus.BAD_REQUEST,
                                           f"Bad request version ({version!r})")
                return False
            if version_number >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(
                    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                    f"Invalid HTTP version ({version.split('/', 1)[1]})")
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST,
                                       f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST,
                                           f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = yield from self.parse_headers()
        except HeaderError as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                                       err.message, err.explain)
            return False
        conntype = self.headers.get("Connection", "")
        if conntype.lower() == "close":
            self.close_connection = True
        elif conntype.lower() == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = self.headers.get("Expect", "")
        if (expect.lower() == "100-continue" and self.protocol_version >= "HTTP/1.1"
                and self.request_version >= "HTTP/1.1"):
            self.handle_expect_100()
        return True

    def parse_headers(self):
        """``http.client.parse_headers`` (``_read_headers``, then the email parser)."""
        self.rec.step(self.actor, self.client, PARSE, "http.client.parse_headers",
                      "parse_headers", line="headers = _read_headers(fp)")
        lines: list[bytes] = []
        while True:
            line = yield from self.rfile.readline(MAXLINE + 1)
            if len(line) > MAXLINE:
                raise HeaderError("Line too long", "got more than 65536 bytes when reading header line")
            lines.append(line)
            if len(lines) > MAXHEADERS:
                raise HeaderError("Too many headers", f"got more than {MAXHEADERS} headers")
            if line in (b"\r\n", b"\n", b""):
                break
        block = b"".join(lines)
        self.step_read("read_headers", block)
        return parse_header_block(tuple(lines))

    def handle_expect_100(self) -> None:
        self.rec.step(self.actor, self.client, PARSE, "http.server.BaseHTTPRequestHandler.handle_expect_100",
                      "handle_expect_100", line="self.send_response_only(HTTPStatus.CONTINUE)")
        self.send_response_only(HTTPStatus.CONTINUE)
        self.end_headers(step=False)

    def do_method(self):
        raise NotImplementedError
        yield

    # -- writing the response ------------------------------------------------------

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        shortmsg, longmsg = cpython.RESPONSES.get(code, ("???", "???"))
        if message is None:
            message = shortmsg
        if explain is None:
            explain = longmsg
        self.rec.step(self.actor, self.client, RESPOND, "http.server.BaseHTTPRequestHandler.send_error", "send_error",
                      {"code": int(code), "message": message},
                      line="self.send_response(code, message)")
        self.log_error("code %d, message %s", int(code), message)
        self.send_response(code, message)
        self.send_header("Connection", "close")
        body = None
        if code >= 200 and code not in (HTTPStatus.NO_CONTENT, HTTPStatus.RESET_CONTENT,
                                        HTTPStatus.NOT_MODIFIED):
            content = cpython.ERROR_MESSAGE_FORMAT % {
                "code": code,
                "message": html.escape(message, quote=False),
                "explain": html.escape(explain, quote=False),
            }
            body = content.encode("UTF-8", "replace")
            self.send_header("Content-Type", cpython.ERROR_CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def send_response(self, code: int, message: str | None = None) -> None:
        self.rec.step(self.actor, self.client, RESPOND, "http.server.BaseHTTPRequestHandler.send_response",
                      "send_response", {"code": int(code)},
                      line="self.send_response_only(code, message)")
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        self.send_header("Date", self.date_time_string())

    def send_response_only(self, code: int, message: str | None = None) -> None:
        if self.request_version != "HTTP/0.9":
            if message is None:
                message = cpython.RESPONSES[code][0] if code in cpython.RESPONSES else ""
            self._headers_buffer.append(
                f"{self.protocol_version} {int(code)} {message}\r\n".encode("latin-1", "strict"))

    def send_header(self, keyword: str, value: str) -> None:
        if self.request_version != "HTTP/0.9":
            self._headers_buffer.append(f"{keyword}: {value}\r\n".encode("latin-1", "strict"))
        if keyword.lower() == "connection":
            if value.lower() == "close":
                self.close_connection = True
            elif value.lower() == "keep-alive":
                self.close_connection = False

    def end_headers(self, step: bool = True) -> None:
        if step:
            self.rec.step(self.actor, self.client, RESPOND, "http.server.BaseHTTPRequestHandler.end_headers",
                          "end_headers", line='self._headers_buffer.append(b"\\r\\n")')
        if self.request_version != "HTTP/0.9":
            self._headers_buffer.append(b"\r\n")
            self.flush_headers()

    def flush_headers(self) -> None:
        if self._headers_buffer:
            self.wfile.write(b"".join(self._headers_buffer))
            self._headers_buffer = []

    def version_string(self) -> str:
        return f"{self.server_version} {cpython.SYS_VERSION}"

    def date_time_string(self) -> str:
        return http_date(self.world.wall_second())

    def log_date_time_string(self) -> str:
        return log_date(self.world.wall_second())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        raise NotImplementedError

    def log_error(self, format: str, *args) -> None:
        raise NotImplementedError


@functools.lru_cache(maxsize=64)
def http_date(second: int) -> str:
    """``date_time_string``: ``Thu, 01 Jan 2026 00:00:00 GMT`` (cached: one per second)."""
    tm = time.gmtime(second)
    return (f"{_WEEKDAYS[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTHS[tm.tm_mon]} "
            f"{tm.tm_year:04d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} GMT")


@functools.lru_cache(maxsize=64)
def log_date(second: int) -> str:
    """``log_date_time_string``: ``01/Jan/2026 00:00:00``."""
    tm = time.gmtime(second)
    return (f"{tm.tm_mday:02d}/{_MONTHS[tm.tm_mon]}/{tm.tm_year:04d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}")


@functools.lru_cache(maxsize=256)
def _parse_version(version: str) -> tuple[int, int] | None:
    """The version checks of ``parse_request``; None where it raises ValueError."""
    if not version.startswith("HTTP/"):
        return None
    numbers = version.split("/", 1)[1].split(".")
    if len(numbers) != 2:
        return None
    if any(not part.isdigit() for part in numbers):
        return None
    if any(len(part) > 10 for part in numbers):
        return None
    try:  # str.isdigit() accepts digits int() refuses (superscripts): ValueError, a 400
        return int(numbers[0]), int(numbers[1])
    except ValueError:
        return None

