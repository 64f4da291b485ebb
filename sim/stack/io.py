"""``io.BufferedReader`` over a socket (the handler's ``rfile``), and ``_SocketWriter``.

Why model the buffer: ``StreamRequestHandler.rfile`` is ``socket.makefile("rb", -1)``, a
``BufferedReader`` with an 8 KiB buffer. Bytes it has pulled out of the kernel are invisible
to ``select()`` (Werkzeug's drain loop asks the socket, not the buffer) and do not count as
"unread" when the socket is closed (no RST for them). So where bytes sit decides what the
client sees. The reads follow CPython's ``Modules/_io/bufferedio.c``: ``readline`` fills the
buffer 8 KiB at a time; ``read(n)`` reads whole 8 KiB blocks straight from the socket, then
fills the buffer for the tail.
"""

from __future__ import annotations

from ..kernel import Connection, Kernel

DEFAULT_BUFFER_SIZE = 8192


class BufferedReader:
    __slots__ = ("buffer", "conn", "consumed", "fd", "kernel")

    def __init__(self, kernel: Kernel, conn: Connection, fd: int | None = None) -> None:
        self.kernel = kernel
        self.conn = conn
        #: the socket's file descriptor, which ``repr`` shows (``name=4``), where modelled
        self.fd = fd
        #: bytes read from the socket, not yet returned to the caller
        self.buffer = bytearray()
        #: everything returned to callers so far (for the inspector)
        self.consumed = 0

    def __repr__(self) -> str:
        if self.fd is None:  # shown as the fidelity harness shows a real one: "FD"
            return "<_io.BufferedReader name=FD>"
        return f"<_io.BufferedReader name={self.fd}>"

    def _take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.consumed += len(data)
        return data

    def readline(self, limit: int = -1):
        """``rfile.readline(limit)``: up to and including ``\\n``, at most ``limit`` bytes."""
        buffer = self.buffer
        scanned = 0
        while True:
            end = len(buffer)
            if 0 <= limit < end:
                end = limit
            newline = buffer.find(b"\n", scanned, end)
            if newline >= 0:
                return self._take(newline + 1)
            if end == limit:  # ``limit`` bytes, no newline among them
                return self._take(limit)
            scanned = end
            data = yield from self.kernel.recv(self.conn, DEFAULT_BUFFER_SIZE)
            if not data:
                return self._take(len(buffer))
            buffer += data

    def read(self, size: int):
        """``rfile.read(size)``: blocks until ``size`` bytes or EOF (``_bufferedreader_read_generic``).

        Whole 8 KiB blocks go straight from the socket into the result; the tail is read
        into the (emptied) buffer, each read asking only for the room left in it."""
        if len(self.buffer) >= size:
            return self._take(size)
        out = bytearray(self._take(len(self.buffer)))
        remaining = size - len(out)
        while remaining >= DEFAULT_BUFFER_SIZE:
            data = yield from self.kernel.recv(self.conn, remaining - remaining % DEFAULT_BUFFER_SIZE)
            if not data:
                return bytes(out)
            out += data
            self.consumed += len(data)
            remaining -= len(data)
        filled = 0
        while remaining > 0 and filled < DEFAULT_BUFFER_SIZE:
            data = yield from self.kernel.recv(self.conn, DEFAULT_BUFFER_SIZE - filled)
            if not data:
                break
            filled += len(data)
            self.buffer += data
            taken = self._take(min(remaining, len(data)))
            out += taken
            remaining -= len(taken)
        return bytes(out)

    def readinto(self, size: int):
        """``rfile.readinto(b)`` with ``len(b) == size`` (``_buffered_readinto_generic``), as
        Werkzeug 3's ``LimitedStream`` reads: what the buffer holds, then, while more than
        8 KiB is missing, a socket read of all that is missing straight into ``b`` (not of
        whole blocks, as ``read`` does); only a tail within 8 KiB goes through the buffer.
        So bytes sent right behind a body longer than the buffer stay in the kernel."""
        if len(self.buffer) >= size:
            return self._take(size)
        out = bytearray(self._take(len(self.buffer)))
        remaining = size - len(out)
        filled = 0
        while remaining > 0:
            if remaining > DEFAULT_BUFFER_SIZE:
                data = yield from self.kernel.recv(self.conn, remaining)
                if not data:
                    break
                out += data
                self.consumed += len(data)
                remaining -= len(data)
                continue
            data = yield from self.kernel.recv(self.conn, DEFAULT_BUFFER_SIZE - filled)
            if not data:
                break
            filled += len(data)
            self.buffer += data
            taken = self._take(min(remaining, len(data)))
            out += taken
            remaining -= len(taken)
        return bytes(out)


class SocketWriter:
    """``socketserver._SocketWriter``: every ``write`` is one ``sendall``."""

    __slots__ = ("conn", "kernel")

    def __init__(self, kernel: Kernel, conn: Connection) -> None:
        self.kernel = kernel
        self.conn = conn

    def write(self, data: bytes) -> None:
        self.kernel.send(self.conn, data)


class TextStream:
    """A text stream as the environ holds it (``wsgi.errors`` is ``sys.stderr``): only its
    ``repr`` matters, which an app may show (wsgiref's ``demo_app`` prints the environ)."""

    __slots__ = ("_repr", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        # made once: every view of an environ shows it
        self._repr = f"<_io.TextIOWrapper name={name!r} mode='w' encoding='utf-8'>"

    def __repr__(self) -> str:
        return self._repr


#: ``sys.stderr`` of the server process (its console is UTF-8)
STDERR = TextStream("<stderr>")
