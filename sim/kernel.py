"""Virtual TCP on one machine: the listen backlog, connected sockets, buffers, FIN and RST.

Theory of operation. A :class:`Connection` is the pair of sockets of one TCP connection, seen
from both ends. Bytes move instantly (loopback, no latency): what one end sends is in the
other end's kernel receive buffer at the same virtual moment. What the model keeps is what
decides the behaviour the user sees:

- the listen backlog: ``listen(n)`` lets the kernel complete up to ``n + 1`` handshakes that
  ``accept()`` has not taken yet (Linux's ``sk_acceptq_is_full`` is ``>``, not ``>=``); a
  connection beyond that has its SYN dropped, and the client retries after 1 s, 2 s, ...
  (6 retries, then ``connect()`` times out, 127 s after the first SYN);
- each direction's bytes, and where its reader is in them;
- the state of each end (:class:`EndState`), which changes only by the table
  :data:`END_TRANSITIONS`: ``(state, event) -> state``, for the events of :class:`EndEvent`
  (this end's ``shutdown``/``close``, a FIN or an RST arriving from the peer, a call reporting
  the RST). A pair missing from the table is a bug in this model, raised as
  :class:`EndTransitionError`, never a silent guess.

Linux's rules, which :data:`RULES` lists as socket calls and their outcomes (and
``tests/sim/test_kernel.py`` checks on this model and on real sockets over 127.0.0.1):
``close()`` with unread bytes in the receive buffer sends RST instead of FIN; bytes that
arrive at a closed socket are answered with RST; the first ``send`` to a peer that has closed
succeeds (the peer answers RST); the next call reports the RST once as ECONNRESET, or as EPIPE
when a FIN came first (CLOSE_WAIT), and later sends fail with EPIPE. A reader still gets the
bytes and the FIN that came before an RST (Linux keeps them readable), so an RST is only seen
by a sender, or by a reader that got no FIN first.

Bytes are kept as one append-only log per direction (``to_server``, ``to_client``) with the
offset its reader has reached; reading or discarding moves the offset and never deletes.
So the inspector's view of a socket at any step is a handful of offsets into these logs
(:func:`sim.stack.socketserver.socket_view`), not a copy of the buffers: a trace grows with
its steps, not with steps times buffered bytes.

State changes go through the methods below, each named after the socket call it stands for,
and each wakes whoever waits on that end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .scheduler import Scheduler, Wait, Waitable

#: Linux's initial SYN retransmission timeout, doubled on each retry ...
SYN_RETRY_MS = 1000
#: ... ``net.ipv4.tcp_syn_retries`` times (default 6): ``connect()`` fails with ETIMEDOUT
#: about 127 s after the first SYN.
SYN_RETRIES = 6


class ConnectionResetError_(ConnectionError):
    """The simulated ``ConnectionResetError`` (ECONNRESET)."""

    real_name = "ConnectionResetError"


class BrokenPipeError_(ConnectionError):
    """The simulated ``BrokenPipeError`` (EPIPE)."""

    real_name = "BrokenPipeError"


class EndState(Enum):
    """One end of a connection, after the handshake (Linux's ``tcp_states``, folded to what
    changes an outcome: FIN_WAIT1/2 are one state, CLOSING/LAST_ACK/TIME_WAIT another)."""

    #: ``Enum.__hash__`` is a Python function (it hashes the member's name), and every
    #: transition and state test hashes members (a large run: hundreds of thousands of
    #: times); members are equal only to themselves, so hashing by identity is the same
    #: contract at C speed.
    __hash__ = object.__hash__

    ESTABLISHED = "established"
    #: this end sent FIN (``shutdown(SHUT_WR)``); it still reads
    FIN_WAIT = "fin_wait"
    #: the peer's FIN arrived (reads give EOF); this end still sends
    CLOSE_WAIT = "close_wait"
    #: FINs both ways, the socket not closed yet
    CLOSING = "closing"
    #: the peer's RST arrived before its FIN; the next call fails with ECONNRESET
    RESET_UNREPORTED = "reset_unreported"
    #: an RST arrived and was reported, or came after the peer's FIN: reads give EOF (what
    #: came before it), sends fail with EPIPE
    RESET = "reset"
    #: this end called ``close()``
    CLOSED = "closed"


class EndEvent(Enum):
    __hash__ = object.__hash__  # as EndState's
    SHUTDOWN = "shutdown(SHUT_WR)"
    CLOSE = "close()"
    PEER_FIN = "FIN from the peer"
    PEER_RST = "RST from the peer"
    #: a call returned ECONNRESET for the RST (Linux reports ``sk_err`` once)
    REPORT = "ECONNRESET reported"


_S, _E = EndState, EndEvent

#: Every transition an end can make. A shutdown after an RST changes nothing (the real call
#: fails with ENOTCONN, which ``socketserver.shutdown_request`` ignores); segments that reach a
#: closed socket change nothing on it (the peer is the one answered with RST).
END_TRANSITIONS: dict[tuple[EndState, EndEvent], EndState] = {
    (_S.ESTABLISHED, _E.SHUTDOWN): _S.FIN_WAIT,
    (_S.ESTABLISHED, _E.CLOSE): _S.CLOSED,
    (_S.ESTABLISHED, _E.PEER_FIN): _S.CLOSE_WAIT,
    (_S.ESTABLISHED, _E.PEER_RST): _S.RESET_UNREPORTED,
    (_S.FIN_WAIT, _E.SHUTDOWN): _S.FIN_WAIT,
    (_S.FIN_WAIT, _E.CLOSE): _S.CLOSED,
    (_S.FIN_WAIT, _E.PEER_FIN): _S.CLOSING,
    (_S.FIN_WAIT, _E.PEER_RST): _S.RESET_UNREPORTED,
    (_S.CLOSE_WAIT, _E.SHUTDOWN): _S.CLOSING,
    (_S.CLOSE_WAIT, _E.CLOSE): _S.CLOSED,
    (_S.CLOSE_WAIT, _E.PEER_FIN): _S.CLOSE_WAIT,
    (_S.CLOSE_WAIT, _E.PEER_RST): _S.RESET,  # EPIPE, not ECONNRESET: the FIN came first
    (_S.CLOSING, _E.SHUTDOWN): _S.CLOSING,
    (_S.CLOSING, _E.CLOSE): _S.CLOSED,
    (_S.CLOSING, _E.PEER_FIN): _S.CLOSING,
    (_S.CLOSING, _E.PEER_RST): _S.RESET,
    (_S.RESET_UNREPORTED, _E.SHUTDOWN): _S.RESET_UNREPORTED,
    (_S.RESET_UNREPORTED, _E.CLOSE): _S.CLOSED,
    (_S.RESET_UNREPORTED, _E.PEER_FIN): _S.RESET_UNREPORTED,
    (_S.RESET_UNREPORTED, _E.PEER_RST): _S.RESET_UNREPORTED,
    (_S.RESET_UNREPORTED, _E.REPORT): _S.RESET,
    (_S.RESET, _E.SHUTDOWN): _S.RESET,
    (_S.RESET, _E.CLOSE): _S.CLOSED,
    (_S.RESET, _E.PEER_FIN): _S.RESET,
    (_S.RESET, _E.PEER_RST): _S.RESET,
    (_S.CLOSED, _E.CLOSE): _S.CLOSED,  # Python's socket.close() twice is harmless
    (_S.CLOSED, _E.PEER_FIN): _S.CLOSED,
    (_S.CLOSED, _E.PEER_RST): _S.CLOSED,
}


def rst_to(conn: Connection, end: str) -> None:
    """An RST reaches the ``end`` (``"client"`` or ``"server"``) of ``conn``."""
    if end == "server":
        state = conn.server_end
        conn.server_end = next_state(end, state, EndEvent.PEER_RST)
    else:
        state = conn.client_end
        conn.client_end = next_state(end, state, EndEvent.PEER_RST)
    if state is not EndState.CLOSED:
        conn.rst_seen = True

#: the peer's FIN was read (reads return EOF once the bytes before it are gone)
_EOF_STATES = frozenset({_S.CLOSE_WAIT, _S.CLOSING, _S.RESET})
_RESET_STATES = frozenset({_S.RESET_UNREPORTED, _S.RESET})


class EndTransitionError(RuntimeError):
    """A socket call or segment that :data:`END_TRANSITIONS` does not allow in this state."""

    def __init__(self, end: str, state: EndState, event: EndEvent) -> None:
        super().__init__(f"the {end} end of a connection in {state.name} has no transition "
                         f"for {event.value}")
        self.end, self.state, self.event = end, state, event


def next_state(end: str, state: EndState, event: EndEvent) -> EndState:
    try:
        return END_TRANSITIONS[state, event]
    except KeyError:
        raise EndTransitionError(end, state, event) from None


class SocketState(Enum):
    """What the inspector shows for a connection (the server's socket, mostly)."""

    CONNECTING = "connecting"  # SYN dropped: the backlog was full
    QUEUED = "queued"  # handshake done, waiting in the backlog for accept()
    ESTABLISHED = "established"
    CLIENT_FIN = "client sent FIN"
    SERVER_FIN = "server sent FIN"
    CLOSED = "closed"
    RESET = "reset"


#: What :attr:`Connection.state` shows for the server's end in each state, once the
#: handshake is done and no RST has crossed the connection.
_SHOWN: dict[EndState, SocketState] = {
    _S.ESTABLISHED: SocketState.ESTABLISHED,
    _S.FIN_WAIT: SocketState.SERVER_FIN,
    _S.CLOSE_WAIT: SocketState.CLIENT_FIN,
    _S.CLOSING: SocketState.CLIENT_FIN,
    _S.RESET_UNREPORTED: SocketState.CLIENT_FIN,
    _S.RESET: SocketState.CLIENT_FIN,
    _S.CLOSED: SocketState.CLOSED,
}
#: ... which a connection still in the backlog shows as ``queued``
_NOT_YET_SHOWN = (SocketState.ESTABLISHED, SocketState.SERVER_FIN)


@dataclass(slots=True, eq=False)
class Connection:
    client: str
    #: the client's ephemeral port, as ``accept()`` reports it
    port: int
    #: before ``accept()``: CONNECTING or QUEUED; after it, :meth:`state` is read off the ends
    handshake: SocketState = SocketState.CONNECTING
    client_end: EndState = EndState.ESTABLISHED
    server_end: EndState = EndState.ESTABLISHED
    #: every byte the client got into the server's receive queue, in order (append-only)
    to_server: bytearray = field(default_factory=bytearray)
    #: how far the server has read (or its kernel discarded) ``to_server``
    server_read: int = 0
    #: every byte the server sent (append-only); its length is what the server sent
    to_client: bytearray = field(default_factory=bytearray)
    #: how far the client has read (or discarded) ``to_client``
    client_read: int = 0
    server_readable: Waitable = field(init=False)
    client_readable: Waitable = field(init=False)
    #: an RST has reached an open end (for the inspector, which keeps saying ``reset``)
    rst_seen: bool = False
    #: the handler's side as the inspector last showed it: its ``rfile`` (None before
    #: ``setup`` and after ``close``) and what its last read returned. A step on the
    #: client's side (a send, a close) moves only the kernel's buffers and shows this as it
    #: was (``sim.stack.socketserver.peer_socket_view``).
    handler_side: tuple[Any, bytes] = (None, b"")

    def __post_init__(self) -> None:
        self.server_readable = Waitable(f"{self.client}:server")
        self.client_readable = Waitable(f"{self.client}:client")

    @property
    def state(self) -> SocketState:
        """The connection as one word: a connection an RST has crossed is ``reset`` for good,
        then the server's close, then who sent FIN (the server's receive side first: what
        its reads see). A connection still in the backlog is ``queued`` until a FIN or RST
        reaches it."""
        handshake = self.handshake
        if handshake is SocketState.CONNECTING:
            return SocketState.CONNECTING
        if self.rst_seen:
            return SocketState.RESET
        shown = _SHOWN[self.server_end]
        if handshake is SocketState.QUEUED and shown in _NOT_YET_SHOWN:
            return SocketState.QUEUED
        return shown

    @property
    def server_unread(self) -> int:
        """Bytes in the server's kernel receive buffer."""
        return len(self.to_server) - self.server_read

    @property
    def server_sent(self) -> int:
        return len(self.to_client)


class Listener:
    """The listening socket and its accept queue."""

    def __init__(self, scheduler: Scheduler, backlog: int) -> None:
        self.scheduler = scheduler
        self.backlog = backlog
        self.queue: deque[Connection] = deque()
        self.readable = Waitable("listener")
        self.listening = False
        #: closed after listening (``server_close``): a SYN is answered with RST
        self.closed = False

    @property
    def full(self) -> bool:
        return len(self.queue) > self.backlog

    def connect(self, conn: Connection) -> bool:
        """The client's SYN arrives; False when the backlog is full and it is dropped."""
        if not self.listening or self.full:
            return False
        conn.handshake = SocketState.QUEUED
        self.queue.append(conn)
        self.scheduler.wake(self.readable)
        return True

    def close(self) -> list[Connection]:
        """The listening socket is closed: every connection in the accept queue gets RST,
        and later SYNs are refused (RST) rather than queued (``closed``). Returns the
        connections it reset."""
        self.listening = False
        self.closed = True
        reset = list(self.queue)
        while self.queue:
            conn = self.queue.popleft()
            # the kernel drops the never-accepted socket and answers its client with RST
            conn.server_end = next_state("server", conn.server_end, EndEvent.CLOSE)
            rst_to(conn, "client")
            self.scheduler.wake(conn.client_readable)
        return reset

    def wait_readable(self):
        while not self.queue:
            yield Wait(self.readable)

    def readable_within(self, timeout_ms: int | None):
        """``selector.select(timeout)`` on the listening socket, as ``handle_request``
        loops on it until a connection is queued or the deadline passes."""
        if timeout_ms is None:
            yield from self.wait_readable()
            return True
        deadline = self.scheduler.now + timeout_ms
        while not self.queue:
            remaining = deadline - self.scheduler.now
            # select(0) polls: it answers at once, before a client due at this same
            # instant (a later event) has connected
            if remaining <= 0 or not (yield Wait(self.readable, remaining)):
                return bool(self.queue)
        return True


    def accept(self) -> Connection:
        conn = self.queue.popleft()
        conn.handshake = SocketState.ESTABLISHED
        return conn


class Kernel:
    """Socket calls on both ends of every connection.

    ``on_server_close`` (optional) is told when the server closes a connection, so the trace
    can let go of connections that are over."""

    def __init__(self, scheduler: Scheduler,
                 on_server_close: Callable[[Connection], None] | None = None) -> None:
        self.scheduler = scheduler
        self.on_server_close = on_server_close

    # -- the server's end --------------------------------------------------------------

    def recv(self, conn: Connection, size: int):
        """``sock.recv(size)`` on the server's end: blocks until bytes, FIN or RST."""
        while conn.server_read == len(conn.to_server):
            state = conn.server_end
            if state in _EOF_STATES:
                return b""
            if state is EndState.RESET_UNREPORTED:
                conn.server_end = next_state("server", state, EndEvent.REPORT)
                raise ConnectionResetError_("[Errno 104] Connection reset by peer")
            yield Wait(conn.server_readable)
        start = conn.server_read
        data = bytes(conn.to_server[start : start + size])
        conn.server_read = start + len(data)
        return data

    def readable_within(self, conn: Connection, timeout_ms: int):
        """``selector.select(timeout)`` on the server's end: True if readable in time.
        When the timeout ends, select() polls the socket once more (Linux's ``do_select``
        loops back to its poll after the timer): bytes that came at that very instant,
        before the timer's event, count."""
        if self._server_readable(conn):
            return True
        yield Wait(conn.server_readable, timeout_ms)
        return self._server_readable(conn)

    @staticmethod
    def _server_readable(conn: Connection) -> bool:
        return (conn.server_read < len(conn.to_server) or conn.server_end in _EOF_STATES
                or conn.server_end is EndState.RESET_UNREPORTED)

    def send_fails(self, conn: Connection) -> bool:
        """Whether :meth:`send` on the server's end raises now: the peer's RST has arrived
        (ECONNRESET, or EPIPE once that was reported). A step says so before it sends."""
        return conn.server_end in _RESET_STATES

    def send(self, conn: Connection, data: bytes) -> None:
        """``sock.sendall(data)`` on the server's end (never blocks: buffers are unbounded)."""
        state = conn.server_end
        if state is EndState.RESET_UNREPORTED:
            conn.server_end = next_state("server", state, EndEvent.REPORT)
            raise ConnectionResetError_("[Errno 104] Connection reset by peer")
        if state is EndState.RESET:
            raise BrokenPipeError_("[Errno 32] Broken pipe")
        if conn.client_end is EndState.CLOSED:
            # The bytes reach a closed socket; its kernel answers RST. This send succeeded.
            rst_to(conn, "server")
            return
        conn.to_client += data
        self.scheduler.wake(conn.client_readable)

    def shutdown_write(self, conn: Connection) -> None:
        """``request.shutdown(SHUT_WR)``: FIN to the client."""
        state = conn.server_end
        conn.server_end = next_state("server", state, EndEvent.SHUTDOWN)
        if state in (EndState.ESTABLISHED, EndState.CLOSE_WAIT):
            conn.client_end = next_state("client", conn.client_end, EndEvent.PEER_FIN)
            self.scheduler.wake(conn.client_readable)

    def close(self, conn: Connection) -> bool:
        """``request.close()``; True when unread bytes made it an RST instead of a FIN."""
        conn.server_end = next_state("server", conn.server_end, EndEvent.CLOSE)
        reset = conn.server_read < len(conn.to_server)
        if reset and conn.client_end is not EndState.CLOSED:
            conn.server_read = len(conn.to_server)  # discarded
            rst_to(conn, "client")
        else:
            conn.client_end = next_state("client", conn.client_end, EndEvent.PEER_FIN)
        self.scheduler.wake(conn.client_readable)
        if self.on_server_close is not None:
            self.on_server_close(conn)
        return reset

    # -- the client's end --------------------------------------------------------------

    def server_closed(self, conn: Connection) -> bool:
        """The server has closed its end: bytes sent now are never read."""
        return conn.server_end is EndState.CLOSED

    def client_send(self, conn: Connection, data: bytes) -> bool:
        """The client sends; False when the send fails because an RST came back."""
        if conn.client_end in _RESET_STATES:
            return False  # even an empty send reports the RST (EPIPE / ECONNRESET)
        if not data:
            return True  # nothing goes on the wire: no RST can come back
        if conn.server_end is EndState.CLOSED:
            # Bytes for a closed socket: the server's kernel answers RST. This send
            # itself succeeded; the client learns of the RST on its next call.
            rst_to(conn, "client")
            self.scheduler.wake(conn.client_readable)
            return True
        conn.to_server += data
        self.scheduler.wake(conn.server_readable)
        return True

    def client_shutdown_write(self, conn: Connection) -> bool:
        """``shutdown(SHUT_WR)``; False when it fails: after an RST the socket is closed
        and Linux answers ENOTCONN."""
        if conn.client_end in _RESET_STATES:
            return False
        conn.client_end = next_state("client", conn.client_end, EndEvent.SHUTDOWN)
        conn.server_end = next_state("server", conn.server_end, EndEvent.PEER_FIN)
        self.scheduler.wake(conn.server_readable)
        return True

    def client_close(self, conn: Connection) -> int:
        """The client closes; unread bytes in its buffer turn the FIN into an RST. Returns
        how many bytes it left unread when that sent an RST (0: a FIN)."""
        unread = len(conn.to_client) - conn.client_read
        conn.client_end = next_state("client", conn.client_end, EndEvent.CLOSE)
        conn.client_read = len(conn.to_client)  # discarded
        reset = unread > 0 and conn.server_end is not EndState.CLOSED
        if reset:
            rst_to(conn, "server")
        else:
            conn.server_end = next_state("server", conn.server_end, EndEvent.PEER_FIN)
        self.scheduler.wake(conn.server_readable)
        return unread if reset else 0

    def client_abort(self, conn: Connection) -> None:
        """The client closes with ``SO_LINGER`` 0: RST, whatever it had read."""
        conn.client_end = next_state("client", conn.client_end, EndEvent.CLOSE)
        conn.client_read = len(conn.to_client)
        rst_to(conn, "server")
        self.scheduler.wake(conn.server_readable)
        self.scheduler.wake(conn.client_readable)

    def client_recv(self, conn: Connection, timeout_ms: int | None):
        """The client reads: bytes, ``b""`` at FIN; raises on RST. None when the wait ended
        with nothing to read: the timeout passed, or (no timeout) someone woke the reader."""
        while conn.client_read == len(conn.to_client):
            state = conn.client_end
            if state in _EOF_STATES:
                return b""
            if state is EndState.RESET_UNREPORTED:
                conn.client_end = next_state("client", state, EndEvent.REPORT)
                raise ConnectionResetError_("[Errno 104] Connection reset by peer")
            woken = yield Wait(conn.client_readable, timeout_ms)
            if not woken or (timeout_ms is None and conn.client_read == len(conn.to_client)
                             and conn.client_end not in _EOF_STATES
                             and conn.client_end not in _RESET_STATES):
                return None
        start = conn.client_read
        data = bytes(conn.to_client[start:])
        conn.client_read = len(conn.to_client)
        return data


# -- Linux's rules, as socket calls and what they return ------------------------------------

#: ``(name, actions, outcomes, final state)``. Actions: ``"<end>.<call>[:<arg>]"`` with end
#: ``s`` (server) or ``c`` (client). Outcomes: ``"ok"``, the bytes received, ``"blocks"``,
#: ``"failed"`` (a client send that fails), an error class name, or for ``s.close`` ``"rst"`` /
#: ``"fin"`` (RST when unread bytes are in the server's receive buffer). The final state is
#: :attr:`Connection.state` after the last action. ``tests/sim/test_kernel.py`` runs every row
#: on this model and on real TCP sockets over 127.0.0.1 (the rules are Linux's: Linux judges).
RULES: list[tuple[str, list[str], list, SocketState]] = [
    ("recv-blocks-when-empty", ["s.recv"], ["blocks"], SocketState.ESTABLISHED),
    ("recv-takes-at-most-size", ["c.send:abc", "s.recv:2", "s.recv"], ["ok", b"ab", b"c"],
     SocketState.ESTABLISHED),
    ("recv-eof-after-client-shutdown", ["c.send:ab", "c.shutdown", "s.recv", "s.recv"],
     ["ok", "ok", b"ab", b""], SocketState.CLIENT_FIN),
    ("close-without-unread-sends-fin", ["s.close", "c.recv"], ["fin", b""], SocketState.CLOSED),
    ("close-with-unread-sends-rst", ["c.send:req", "s.close", "c.recv"],
     ["ok", "rst", "ConnectionResetError"], SocketState.RESET),
    ("bytes-before-rst-stay-readable", ["c.send:req", "s.send:resp", "s.close", "c.recv", "c.recv"],
     ["ok", "ok", "rst", b"resp", "ConnectionResetError"], SocketState.RESET),
    ("fin-before-rst-reads-eof",
     ["c.send:req", "s.send:resp", "s.shutdown", "s.close", "c.recv", "c.recv"],
     ["ok", "ok", "ok", "rst", b"resp", b""], SocketState.RESET),
    ("half-closed-client-still-sees-rst",
     ["c.send:req", "c.shutdown", "s.send:r", "s.close", "c.recv", "c.recv"],
     ["ok", "ok", "ok", "rst", b"r", "ConnectionResetError"], SocketState.RESET),
    ("client-send-to-closed-socket-then-epipe", ["s.close", "c.send:x", "c.recv", "c.send:y"],
     ["fin", "ok", b"", "failed"], SocketState.RESET),
    # The client's kernel answered the server's send with RST: the connection is reset (the
    # server's reads still see the FIN that came first).
    ("server-send-after-peer-close-then-epipe", ["c.close", "s.send:a", "s.send:b", "s.recv"],
     ["ok", "ok", "BrokenPipeError", b""], SocketState.RESET),
    ("client-close-with-unread-resets-server", ["s.send:resp", "c.close", "s.recv", "s.send:x"],
     ["ok", "ok", "ConnectionResetError", "BrokenPipeError"], SocketState.RESET),
    # Linux reports the RST's ECONNRESET on the first call after it, a send included.
    ("send-after-rst-reports-reset-first", ["s.send:resp", "c.close", "s.send:x", "s.send:y"],
     ["ok", "ok", "ConnectionResetError", "BrokenPipeError"], SocketState.RESET),
]
