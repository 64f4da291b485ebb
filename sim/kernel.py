"""Virtual TCP on one machine: the listen backlog, connected sockets, buffers, FIN and RST.

Theory of operation. A :class:`Connection` is the pair of sockets of one TCP connection, seen
from both ends. Bytes move instantly (loopback, no latency): what one end sends is in the
other end's kernel receive buffer at the same virtual moment. What the model keeps is what
decides the behaviour the user sees:

- the listen backlog: ``listen(n)`` lets the kernel complete up to ``n + 1`` handshakes that
  ``accept()`` has not taken yet (Linux's ``sk_acceptq_is_full`` is ``>``, not ``>=``); a
  connection beyond that has its SYN dropped, and the client retries after 1 s, 2 s, ...
  (6 retries, then ``connect()`` times out, 127 s after the first SYN);
- each direction's receive buffer, and its FIN (``shutdown(SHUT_WR)`` or ``close()``);
- RST, with Linux's rules: ``close()`` with unread bytes in the receive buffer sends RST
  instead of FIN; bytes that arrive at a closed socket are answered with RST; the first
  ``send`` to a peer that has closed succeeds (the peer answers RST); the next call reports
  the RST once as ECONNRESET, or as EPIPE when a FIN came first (CLOSE_WAIT), and later
  sends fail with EPIPE. A reader still gets the bytes and the FIN that came before an RST (Linux keeps
  them readable), so an RST is only seen by a sender, or by a reader that got no FIN first.

State changes go through the methods below, each named after the socket call it stands for,
and each wakes whoever waits on that end.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from .scheduler import Scheduler, Wait, Waitable

#: Linux's initial SYN retransmission timeout, doubled on each retry ...
SYN_RETRY_MS = 1000
#: ... ``net.ipv4.tcp_syn_retries`` times (default 6): ``connect()`` fails with ETIMEDOUT
#: about 127 s after the first SYN.
SYN_RETRIES = 6


class ConnectionResetError_(ConnectionError):
    """The simulated ``ConnectionResetError`` (ECONNRESET)."""


class BrokenPipeError_(ConnectionError):
    """The simulated ``BrokenPipeError`` (EPIPE)."""


class SocketState(Enum):
    CONNECTING = "connecting"  # SYN dropped: the backlog was full
    QUEUED = "queued"  # handshake done, waiting in the backlog for accept()
    ESTABLISHED = "established"
    CLIENT_FIN = "client sent FIN"
    SERVER_FIN = "server sent FIN"
    CLOSED = "closed"
    RESET = "reset"


@dataclass(slots=True, eq=False)
class Connection:
    client: str
    #: the client's ephemeral port, as ``accept()`` reports it
    port: int
    state: SocketState = SocketState.CONNECTING
    to_server: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    client_fin: bool = False
    server_fin: bool = False
    client_closed: bool = False
    server_closed: bool = False
    #: an RST reached the client / the server
    client_reset: bool = False
    server_reset: bool = False
    #: an RST reached the server and no call has reported it yet
    server_error_pending: bool = False
    server_sent: int = 0
    server_readable: Waitable = field(init=False)
    client_readable: Waitable = field(init=False)

    def __post_init__(self) -> None:
        self.server_readable = Waitable(f"{self.client}:server")
        self.client_readable = Waitable(f"{self.client}:client")


class Listener:
    """The listening socket and its accept queue."""

    def __init__(self, scheduler: Scheduler, backlog: int) -> None:
        self.scheduler = scheduler
        self.backlog = backlog
        self.queue: deque[Connection] = deque()
        self.readable = Waitable("listener")
        self.listening = False

    @property
    def full(self) -> bool:
        return len(self.queue) > self.backlog

    def connect(self, conn: Connection) -> bool:
        """The client's SYN arrives; False when the backlog is full and it is dropped."""
        if not self.listening or self.full:
            return False
        conn.state = SocketState.QUEUED
        self.queue.append(conn)
        self.scheduler.wake(self.readable)
        return True

    def wait_readable(self):
        while not self.queue:
            yield Wait(self.readable)

    def accept(self) -> Connection:
        conn = self.queue.popleft()
        if conn.state is SocketState.QUEUED:
            conn.state = SocketState.ESTABLISHED
        return conn


class Kernel:
    """Socket calls on both ends of every connection."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    # -- the server's end --------------------------------------------------------------

    def recv(self, conn: Connection, size: int):
        """``sock.recv(size)`` on the server's end: blocks until bytes, FIN or RST."""
        while not conn.to_server:
            if conn.client_fin:
                return b""
            if conn.server_reset:
                if conn.server_error_pending:
                    conn.server_error_pending = False
                    raise ConnectionResetError_("[Errno 104] Connection reset by peer")
                return b""
            yield Wait(conn.server_readable)
        data = bytes(conn.to_server[:size])
        del conn.to_server[:size]
        return data

    def readable_within(self, conn: Connection, timeout_ms: int):
        """``selector.select(timeout)`` on the server's end: True if readable in time."""
        if conn.to_server or conn.client_fin or conn.server_reset:
            return True
        woken = yield Wait(conn.server_readable, timeout_ms)
        return bool(woken) and bool(conn.to_server or conn.client_fin or conn.server_reset)

    def send(self, conn: Connection, data: bytes) -> None:
        """``sock.sendall(data)`` on the server's end (never blocks: buffers are unbounded)."""
        if conn.server_reset:
            # Linux: ECONNRESET once, for an RST that came without a FIN first (a FIN
            # first puts the socket in CLOSE_WAIT, where an RST means EPIPE); then EPIPE.
            pending, conn.server_error_pending = conn.server_error_pending, False
            if pending and not conn.client_fin:
                raise ConnectionResetError_("[Errno 104] Connection reset by peer")
            raise BrokenPipeError_("[Errno 32] Broken pipe")
        if conn.client_closed:
            # The bytes reach a closed socket; its kernel answers RST. This send succeeded.
            conn.server_reset = conn.server_error_pending = True
            return
        conn.to_client += data
        conn.server_sent += len(data)
        self.scheduler.wake(conn.client_readable)

    def shutdown_write(self, conn: Connection) -> None:
        """``request.shutdown(SHUT_WR)``: FIN to the client."""
        if conn.server_fin or conn.server_reset:
            return
        conn.server_fin = True
        if conn.state is SocketState.ESTABLISHED:
            conn.state = SocketState.SERVER_FIN
        self.scheduler.wake(conn.client_readable)

    def close(self, conn: Connection) -> bool:
        """``request.close()``; True when unread bytes made it an RST instead of a FIN."""
        conn.server_closed = True
        reset = bool(conn.to_server)
        if reset and not conn.client_closed:
            conn.to_server.clear()
            conn.client_reset = True
            conn.state = SocketState.RESET
        else:
            conn.server_fin = True
            conn.state = SocketState.CLOSED
        self.scheduler.wake(conn.client_readable)
        return reset

    # -- the client's end --------------------------------------------------------------

    def client_send(self, conn: Connection, data: bytes) -> bool:
        """The client sends; False when the send fails because an RST came back."""
        if conn.client_reset:
            return False  # even an empty send reports the RST (EPIPE / ECONNRESET)
        if not data:
            return True  # nothing goes on the wire: no RST can come back
        if conn.server_closed:
            # Bytes for a closed socket: the server's kernel answers RST. This send
            # itself succeeded; the client learns of the RST on its next call.
            conn.client_reset = True
            conn.state = SocketState.RESET
            self.scheduler.wake(conn.client_readable)
            return True
        conn.to_server += data
        self.scheduler.wake(conn.server_readable)
        return True

    def client_shutdown_write(self, conn: Connection) -> bool:
        """``shutdown(SHUT_WR)``; False when it fails: after an RST the socket is closed
        and Linux answers ENOTCONN."""
        if conn.client_reset:
            return False
        conn.client_fin = True
        if conn.state is SocketState.ESTABLISHED:
            conn.state = SocketState.CLIENT_FIN
        self.scheduler.wake(conn.server_readable)
        return True

    def client_close(self, conn: Connection) -> None:
        """The client closes; unread bytes in its buffer turn the FIN into an RST."""
        conn.client_closed = True
        if conn.to_client and not conn.server_closed:
            conn.to_client.clear()
            conn.server_reset = conn.server_error_pending = True
            conn.state = SocketState.RESET
        else:
            conn.client_fin = True
            if not conn.server_closed:
                conn.state = SocketState.CLIENT_FIN
        self.scheduler.wake(conn.server_readable)

    def client_abort(self, conn: Connection) -> None:
        """The client closes with ``SO_LINGER`` 0: RST, whatever it had read."""
        conn.client_closed = True
        conn.to_client.clear()
        if not conn.server_closed:
            conn.server_reset = conn.server_error_pending = True
            conn.state = SocketState.RESET
        self.scheduler.wake(conn.server_readable)
        self.scheduler.wake(conn.client_readable)

    def client_recv(self, conn: Connection, timeout_ms: int | None):
        """The client reads: bytes, ``b""`` at FIN; raises on RST. None when the wait ended
        with nothing to read: the timeout passed, or (no timeout) someone woke the reader."""
        while not conn.to_client:
            if conn.server_fin:
                return b""
            if conn.client_reset:
                raise ConnectionResetError_("[Errno 104] Connection reset by peer")
            woken = yield Wait(conn.client_readable, timeout_ms)
            if not woken or (timeout_ms is None and not conn.to_client and not conn.server_fin
                             and not conn.client_reset):
                return None
        data = bytes(conn.to_client)
        conn.to_client.clear()
        return data
