"""``werkzeug.wsgi`` (3.1): the request body as an app reads it from ``environ["wsgi.input"]``.

Read beside ``werkzeug/wsgi.py``: ``Request.stream`` is ``get_input_stream(environ)``: the
server's stream itself when the server says it ends it (``wsgi.input_terminated``, set by
Werkzeug's dev server for a chunked body), an empty stream when no length is known (a
chunked body on a server that does not dechunk, such as wsgiref: PEP 3333 has no chunked
input), and otherwise a ``LimitedStream`` over the server's stream.

Every stream here has ``read()``, the whole body, as a generator (the read may block in the
simulated socket), and ``raw``: the server's ``rfile`` below it, for the inspector.
"""

from __future__ import annotations

import re
from typing import Any

from .werkzeug_wrappers import ClientDisconnected

_PLAIN_INT = re.compile(r"-?\d+", re.ASCII)

#: ``LimitedStream.readall`` reads this much at a time.
READ_SIZE = 64 * 1024


def get_content_length(environ: dict[str, Any]) -> int | None:
    """``get_content_length``: None for a chunked body or none declared; 0 if invalid
    (wsgiref's environ has ``CONTENT_LENGTH: ''`` when the request has none: 0)."""
    if environ.get("HTTP_TRANSFER_ENCODING") == "chunked":
        return None
    value = environ.get("CONTENT_LENGTH")
    if value is None:
        return None
    value = value.strip()
    if _PLAIN_INT.fullmatch(value) is None:
        return 0
    return max(0, int(value))


def get_content_length_016(environ: dict[str, Any]) -> int | None:
    """Werkzeug 0.16's ``get_content_length``: ``int()`` of the value, so ``+3``, `` 3 `` and
    ``3_0`` are lengths (3, 3, 30); a value ``int()`` refuses is None, as if none was sent."""
    if environ.get("HTTP_TRANSFER_ENCODING", "") == "chunked":
        return None
    value = environ.get("CONTENT_LENGTH")
    if value is None:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        return None


def get_input_stream(environ: dict[str, Any], content_length_of=get_content_length,
                     limited_stream=None):
    """``get_input_stream(environ)`` (``safe_fallback=True``, no ``max_content_length``);
    `content_length_of` is the Werkzeug version's ``get_content_length``, `limited_stream`
    its ``LimitedStream`` (3.1's by default)."""
    stream = environ["wsgi.input"]
    if "wsgi.input_terminated" in environ:
        return stream
    content_length = content_length_of(environ)
    if content_length is None:
        return EmptyStream(raw_stream(stream))
    return (limited_stream or LimitedStream)(stream, content_length)


def raw_stream(stream):
    """The server's ``rfile`` under a (possibly wrapping) input stream."""
    return getattr(stream, "raw", stream)


class EmptyStream:
    """``io.BytesIO()``: what ``get_input_stream`` hands out when no length is known."""

    def __init__(self, raw) -> None:
        self.raw = raw

    def read(self):
        return b""
        yield


class LimitedStream:
    """``LimitedStream(stream, limit)``: at most ``limit`` bytes; fewer is a disconnect."""

    def __init__(self, stream, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.raw = raw_stream(stream)

    def read(self):
        """``readall()``: ``read(64 KiB)`` until the limit; a short read raises
        ``ClientDisconnected`` (``on_disconnect``), a 400."""
        out = bytearray()
        while len(out) < self.limit:
            chunk = yield from self.read_piece(min(READ_SIZE, self.limit - len(out)))
            if not chunk:
                raise ClientDisconnected()
            out += chunk
        return bytes(out)

    def read_piece(self, size: int):
        """``readinto``: Werkzeug 3.1 reads a stream that has it (the servers' ``rfile``
        does) with ``readinto`` of at most what the limit leaves, which leaves bytes sent
        behind a long body in the kernel (``io.BufferedReader.readinto``)."""
        return self.stream.readinto(size)


class LimitedStream016(LimitedStream):
    """Werkzeug 0.16's ``LimitedStream``, which reads with the stream's ``read``. (0.16 asks
    for the whole limit in one ``read``; read here 64 KiB at a time. Recorded live once each,
    100 KB and 140 KB bodies with a request's first bytes behind them ended as the engine
    has them; a last buffer fill that takes other bytes than the real one is not ruled out.)"""

    def read_piece(self, size: int):
        return self.stream.read(size)
