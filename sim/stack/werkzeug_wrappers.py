"""``werkzeug.wrappers.Response`` and ``werkzeug.exceptions.HTTPException``, as data.

Only what decides the bytes on the wire: the status line text, the headers in order, and the
body (a list of byte strings, or a lazy iterator for streamed responses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..trace import Phase
from . import werkzeug016_urls
from .http_status import HTTP_STATUS_CODES, MISSING_IN_016, WERKZEUG_ERRORS
from .werkzeug_urls import iri_to_uri
from .world import DROPPED_BODY_KEY, ORIGIN_KEY, Origin

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
RESPOND, CLOSE = (Phase.RESPOND, Phase.CLOSE)


#: the spelling ``get_wsgi_headers`` writes the URI headers back with
URI_HEADERS = {"location": "Location", "content-location": "Content-Location"}


def set_uri_headers(headers: Headers, fixes: dict[str, Callable[[str], str | None]]) -> None:
    """``get_wsgi_headers``' Location and Content-Location: its loop over the headers keeps
    the LAST value of each; that one, fixed (made a URI), is written back with
    ``headers["Location"] = ...``, whose ``Headers.set`` puts it, spelled so, in the first
    one's place and drops the others. A fix that returns None writes nothing (0.16 writes
    Location back only when it changed)."""
    last: dict[str, str] = {}
    for key, value in headers.items:  # a plain loop: it runs for every response
        ikey = key.lower()
        if ikey in fixes:
            last[ikey] = value
    if not last:
        return
    for ikey, fix in fixes.items():
        if ikey in last and (fixed := fix(last[ikey])) is not None:
            headers.set(URI_HEADERS[ikey], fixed)


class Headers:
    """``werkzeug.datastructures.Headers``: an ordered, case-insensitive multi-dict."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self.items: list[tuple[str, str]] = list(items or [])

    def get(self, key: str) -> str | None:
        # a plain loop, not next() over a generator: it runs for every response
        ikey = key.lower()
        for name, value in self.items:
            if name.lower() == ikey:
                return value
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def set(self, key: str, value: str) -> None:
        """``Headers.set``: replace the first, drop the rest, or append."""
        ikey = key.lower()
        items = self.items
        for index, (name, _) in enumerate(items):
            if name.lower() == ikey:
                items[index] = (key, value)
                items[index + 1 :] = [item for item in items[index + 1 :] if item[0].lower() != ikey]
                return
        items.append((key, value))

    def remove(self, key: str) -> None:
        ikey = key.lower()
        self.items = [item for item in self.items if item[0].lower() != ikey]

    def update(self, other: dict[str, str]) -> None:
        for key, value in other.items():
            self.set(key, value)


def escape(text: str) -> str:
    """``markupsafe.escape``: like ``html.escape`` but ``'`` becomes ``&#39;``, ``"`` ``&#34;``."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&#39;").replace('"', "&#34;"))


def status_text(code: int) -> str:
    """``Response._clean_status``: ``404 NOT FOUND``; an unknown code is ``UNKNOWN``."""
    return STATUS_TEXTS.get(code) or f"{code} UNKNOWN"


#: :func:`status_text` of every known code, made once (it is asked twice per response)
STATUS_TEXTS = {code: f"{code} {reason.upper()}" for code, reason in HTTP_STATUS_CODES.items()}


@dataclass(slots=True, eq=False)
class Response:
    status_code: int
    headers: Headers
    #: the body as byte strings, or an iterator (a streamed response: no Content-Length)
    body: list[bytes] | Iterator[bytes]
    #: True once the body is an iterator the response itself cannot measure
    is_streamed: bool = False
    #: ``send_file`` passes its file wrapper straight to the server (no ClosingIterator)
    direct_passthrough: bool = False
    #: the status line as set from a string with a reason (``"201 Made"``), kept as it is
    status_line: str | None = None
    #: the string the status was last set from (0.16 keeps any string as it is: ``"404"``)
    status_string: str | None = None

    @property
    def status(self) -> str:
        return self.status_line or status_text(self.status_code)

    def set_status(self, value: int | str) -> None:
        """The ``status`` / ``status_code`` setters (``_clean_status``): a code gets its
        reason from the table; a string with a reason is kept as it is (stripped)."""
        self.status_line = self.status_string = None
        if isinstance(value, int):
            self.status_code = value
            return
        self.status_string = value
        value = value.strip()
        code_str, sep, _ = value.partition(" ")
        # scenario validation admits only "<3 digits>[ reason]", so int() cannot fail here
        self.status_code = int(code_str)
        if sep:
            self.status_line = value

    @classmethod
    def from_text(cls, data: bytes, status: int | str = 200, headers: Headers | None = None,
                  mimetype: str | None = None) -> Response:
        """``Response(data, status=..., headers=..., mimetype=...)`` for a str/bytes body."""
        headers = headers or Headers()
        if mimetype is not None or headers.get("content-type") is None:
            headers.set("Content-Type", get_content_type(mimetype or "text/html"))
        headers.set("Content-Length", str(len(data)))
        response = cls(0, headers, [data])
        response.set_status(status)
        return response

    @classmethod
    def from_iterator(cls, body: Iterator[bytes], status: int | str = 200,
                      headers: Headers | None = None, mimetype: str | None = None) -> Response:
        headers = headers or Headers()
        if mimetype is not None or "content-type" not in headers:
            headers.set("Content-Type", get_content_type(mimetype or "text/html"))
        response = cls(0, headers, body, is_streamed=True)
        response.set_status(status)
        return response

    def __call__(self, environ: dict[str, Any], start_response):
        """``Response.__call__``: ``get_wsgi_response`` (headers, then ``get_app_iter``),
        ``start_response``, and the body iterable, which closes the response."""
        origin = environ[ORIGIN_KEY]
        status_line = self.status
        origin.recorder.step(origin.actor, origin.client, RESPOND, "werkzeug.wrappers.response.Response.__call__",
                             "response_call", {"status": status_line},
                             line="start_response(status, headers)")
        headers = Headers(self.wsgi_headers())
        set_uri_headers(headers, _URI_FIXES)
        headers = headers.items
        # get_app_iter: no body for HEAD, 1xx, 204, 304; a file is passed through as it is.
        status = self.status_code
        if environ["REQUEST_METHOD"] == "HEAD" or 100 <= status < 200 or status in (204, 304):
            body: Any = ()
        elif self.direct_passthrough:
            body = self.body
        else:
            body = self.body
        try:
            start_response(status_line, headers)
        except Exception:
            # The body was wrapped already (get_wsgi_response runs before start_response)
            # and nobody will iterate it. CPython finalizes an unstarted generator when its
            # last reference goes: on wsgiref, whose start_response can fail, the real
            # profile shows that when BaseHandler.close drops the environ. It is the
            # Response's own body that goes, also where the app iter is () (HEAD, 304).
            if hasattr(self.body, "resume"):
                environ[DROPPED_BODY_KEY] = self.body
            raise
        if self.direct_passthrough:
            return body
        return ClosingIterator(body, lambda: self.close(origin))

    def close(self, origin: Origin) -> None:
        """``Response.close``: close the body iterable if it can be closed."""
        origin.recorder.step(origin.actor, origin.client, CLOSE, "werkzeug.wrappers.response.Response.close",
                             "response_close", line='if hasattr(self.response, "close"):')
        close = getattr(self.body, "close", None)
        if close is not None:
            close()

    def wsgi_headers(self, length_of=len) -> list[tuple[str, str]]:
        """``get_wsgi_headers``: drop Content-Length where the status has no body; add it
        where the body is a sequence and has none (the sum of `length_of` its items)."""
        headers = Headers(self.headers.items)
        status = self.status_code
        if 100 <= status < 200 or status == 204:
            headers.remove("Content-Length")
        elif status == 304:
            for name in _ENTITY_HEADERS:
                headers.remove(name)
        if (not self.is_streamed and "content-length" not in headers
                and status not in (204, 304) and not 100 <= status < 200):
            headers.set("Content-Length", str(sum(length_of(x) for x in self.body)))
        return headers.items


#: Werkzeug 3's ``get_wsgi_headers`` makes both URI headers a URI (``iri_to_uri``)
_URI_FIXES = {"location": iri_to_uri, "content-location": iri_to_uri}

_ENTITY_HEADERS = ("Allow", "Content-Encoding", "Content-Language", "Content-Length",
                   "Content-MD5", "Content-Range", "Content-Type", "Last-Modified")

_CHARSET_MIMETYPES = {
    "application/ecmascript", "application/javascript", "application/sql", "application/xml",
    "application/xml-dtd", "application/xml-external-parsed-entity",
}


@functools.lru_cache(maxsize=256)
def get_content_type(mimetype: str, charset: str = "utf-8") -> str:
    """``werkzeug.utils.get_content_type`` (cached: a pure function, asked per response)."""
    if (mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES
            or mimetype.endswith("+xml")):
        mimetype += f"; charset={charset}"
    return mimetype


class HTTPException(Exception):
    """``werkzeug.exceptions.HTTPException`` for one of the default codes."""

    def __init__(self, code: int, valid_methods: list[str] | None = None,
                 new_url: str | None = None) -> None:
        self.code = code
        self.real_name = WERKZEUG_ERRORS[code][0] if code in WERKZEUG_ERRORS else "HTTPException"
        self.valid_methods = valid_methods
        self.new_url = new_url
        super().__init__(f"{code} {self.name}")

    @property
    def name(self) -> str:
        return HTTP_STATUS_CODES.get(self.code, "Unknown Error")

    @property
    def description(self) -> str:
        return WERKZEUG_ERRORS[self.code][1]

    def get_response(self) -> Response:
        """``HTTPException.get_response``: the HTML error page."""
        if self.new_url is not None:
            return redirect_response(self.new_url, self.code)
        body = (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {escape(self.name)}</title>\n"
            f"<h1>{escape(self.name)}</h1>\n"
            f"<p>{escape(self.description)}</p>\n"
        ).encode()
        headers = Headers([("Content-Type", "text/html; charset=utf-8")])
        if self.valid_methods:
            headers.items.append(("Allow", ", ".join(self.valid_methods)))
        response = Response(self.code, headers, [body])
        response.headers.set("Content-Length", str(len(body)))
        return response


class ClientDisconnected(HTTPException):
    """``werkzeug.exceptions.ClientDisconnected``: a ``BadRequest`` (400), raised by
    ``LimitedStream.on_disconnect`` when the body ends before its ``Content-Length``."""

    def __init__(self) -> None:
        super().__init__(400)
        self.real_name = "ClientDisconnected"


def redirect_response(location: str, code: int) -> Response:
    """``werkzeug.utils.redirect``, as ``RequestRedirect.get_response`` uses it."""
    display = escape(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{display}">{display}</a>. If not, click the link.\n'
    ).encode()
    headers = Headers([("Content-Type", "text/html; charset=utf-8"),
                       ("Content-Length", str(len(body))), ("Location", location)])
    return Response(code, headers, [body])


class ClosingIterator:
    """``werkzeug.wsgi.ClosingIterator``: the body to iterate, and the closer to call once."""

    __slots__ = ("_close", "iterator")

    def __init__(self, body, close) -> None:
        #: what the server pulls chunks from: a simulated generator (resumed by the server,
        #: see ``flask_helpers.write_each``) or an iterator over a list of byte strings
        self.iterator = body if hasattr(body, "resume") else iter(body)
        self._close = close

    def close(self) -> None:
        self._close()


# -- Werkzeug 0.16.1 -----------------------------------------------------------------------


def escape_016(text: str) -> str:
    """``werkzeug.utils.escape`` of 0.16: ``"`` becomes ``&quot;``, ``'`` stays."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class RangeNotSatisfiable(HTTPException):
    """``RequestedRangeNotSatisfiable(length)``: a 416 with ``Content-Range: bytes */length``."""

    def __init__(self, length: int) -> None:
        super().__init__(416)
        self.length = length

    def get_response(self) -> Response:
        response = super().get_response()
        response.headers.items.insert(1, ("Content-Range", f"bytes */{self.length}"))
        return response


def encoded_length_016(item: Any) -> int:
    """``len(to_bytes(x, "ascii"))``, 0.16's length of a body item: ``to_bytes`` takes bytes
    or a str only (``TypeError: Expected bytes`` for a number)."""
    if isinstance(item, (bytes, bytearray, memoryview)):  # a tuple: a union is built per call
        return len(bytes(item))
    if isinstance(item, str):
        return len(item.encode("ascii"))
    raise TypeError("Expected bytes")


def status_text_016(code: int) -> str:
    return STATUS_TEXTS_016.get(code) or f"{code} UNKNOWN"


#: :func:`status_text_016` of every code 0.16 knows, made once
STATUS_TEXTS_016 = {code: text for code, text in STATUS_TEXTS.items() if code not in MISSING_IN_016}


def status_016(response: Response) -> str:
    """0.16's ``BaseResponse.status``: a string set as the status is kept as it came (a
    bare ``"404"`` has no reason); a code gets its reason from 0.16's table."""
    return response.status_string or status_text_016(response.status_code)


def error_response_016(exc: HTTPException) -> Response:
    """0.16's ``HTTPException.get_response``: an HTML 3.2 page, ``Content-Type: text/html``
    (no charset), and for a redirect ``werkzeug.utils.redirect``'s page."""
    if exc.new_url is not None:
        # ``redirect``: the link's target is the URI (``iri_to_uri``), its text the URL as
        # it came (``display_location``), both escaped
        location = exc.new_url
        uri = werkzeug016_urls.iri_to_uri(location, safe_conversion=True)
        body = (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
            "<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n"
            "<p>You should be redirected automatically to target URL: "
            f'<a href="{escape_016(uri)}">{escape_016(location)}</a>.  If not click the link.'
        ).encode()
        headers = Headers([("Content-Type", "text/html; charset=utf-8"),
                           ("Content-Length", str(len(body))), ("Location", location)])
        return Response(exc.code, headers, [body])
    description = escape_016(exc.description).replace("\n", "<br>")
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
        f"<title>{exc.code} {escape_016(exc.name)}</title>\n"
        f"<h1>{escape_016(exc.name)}</h1>\n"
        f"<p>{description}</p>\n"
    ).encode()
    headers = Headers([("Content-Type", "text/html")])
    if exc.valid_methods:
        headers.items.append(("Allow", ", ".join(exc.valid_methods)))
    if isinstance(exc, RangeNotSatisfiable):  # RequestedRangeNotSatisfiable.get_headers
        headers.items.append(("Content-Range", f"bytes */{exc.length}"))
    headers.set("Content-Length", str(len(body)))
    return Response(exc.code, headers, [body])
