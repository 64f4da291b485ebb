"""``sim.kernel``: its rule table (``sim.kernel.RULES``) checked twice, on the model and on
real Linux TCP sockets over 127.0.0.1 (the rules are Linux's, so Linux judges), and its end
transition table (``END_TRANSITIONS``) tested directly."""

from __future__ import annotations

import select
import socket
import time

import pytest
from simhelpers import kernel_unread, step, tcp_pair

from sim.kernel import (
    END_TRANSITIONS,
    RULES,
    Connection,
    EndEvent,
    EndState,
    EndTransitionError,
    Kernel,
    Listener,
    SocketState,
    next_state,
)
from sim.scheduler import Scheduler, Wait

# The rules live in the module (sim.kernel.RULES, with what its actions and outcomes mean).
IDS = [row[0] for row in RULES]


def parse(action: str) -> tuple[str, str]:
    call, _, arg = action.partition(":")
    return call, arg


def model_outcome(kernel: Kernel, conn: Connection, action: str):
    call, arg = parse(action)
    if call == "s.recv":
        return generator_outcome(kernel.recv(conn, int(arg or 100)))
    if call == "c.recv":
        return generator_outcome(kernel.client_recv(conn, None))
    if call == "c.send":
        return "ok" if kernel.client_send(conn, arg.encode()) else "failed"
    if call == "s.close":
        return "rst" if kernel.close(conn) else "fin"
    calls = {"s.send": lambda: kernel.send(conn, arg.encode()), "s.shutdown": lambda: kernel.shutdown_write(conn),
             "c.shutdown": lambda: kernel.client_shutdown_write(conn), "c.close": lambda: kernel.client_close(conn)}
    return generator_outcome(iter_call(calls[call]))


def iter_call(func):
    """A plain call as a generator, so one outcome mapping serves both kinds."""
    func()
    return
    yield


def generator_outcome(gen):
    kind, value = step(gen)
    if kind == "blocked":
        assert isinstance(value, Wait)
        return "blocks"
    if kind == "raised":
        return value
    return "ok" if value is None else value


def run_model(actions: list[str]) -> tuple[list, SocketState]:
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    return [model_outcome(kernel, conn, action) for action in actions], conn.state


def real_outcome(client: socket.socket, server: socket.socket, action: str):
    call, arg = parse(action)
    sock = server if call.startswith("s.") else client
    try:
        if call.endswith("recv"):
            return sock.recv(int(arg or 100))
        if call == "s.close":
            # What decides FIN or RST (Linux's tcp_close: unread data -> RST); what the client
            # sees after it is the real check.
            verdict = "rst" if kernel_unread(server) else "fin"
            server.close()
            return verdict
        if call.endswith("send"):
            sock.sendall(arg.encode())
        elif call.endswith("shutdown"):
            sock.shutdown(socket.SHUT_WR)
        else:
            sock.close()
        return "ok"
    except TimeoutError:
        return "blocks"
    except OSError as err:
        return "failed" if call == "c.send" else type(err).__name__
    finally:
        time.sleep(0.01)  # let the FIN / RST / data cross loopback


def run_real(actions: list[str]) -> list:
    client, server = tcp_pair()
    for sock in (client, server):
        sock.settimeout(0.05)
    try:
        return [real_outcome(client, server, action) for action in actions]
    finally:
        client.close()
        server.close()


@pytest.mark.parametrize(("name", "actions", "outcomes", "state"), RULES, ids=IDS)
def test_model_follows_rule(name, actions, outcomes, state):
    assert run_model(actions) == (outcomes, state)


@pytest.mark.parametrize(("name", "actions", "outcomes", "state"), RULES, ids=IDS)
def test_linux_follows_rule(name, actions, outcomes, state):
    assert run_real(actions) == outcomes


def test_rules_cover_every_call():
    """The table exercises every socket call the model has, on both ends."""
    calls = {action.partition(":")[0] for _, actions, _, _ in RULES for action in actions}
    assert calls == {"s.recv", "s.send", "s.shutdown", "s.close", "c.recv", "c.send", "c.shutdown",
                     "c.close"}


# -- the end transition table ------------------------------------------------------------


def test_every_state_has_close_and_the_peers_segments():
    """A FIN or RST can reach an end in any state, and any end can be closed."""
    for state in EndState:
        for event in (EndEvent.CLOSE, EndEvent.PEER_FIN, EndEvent.PEER_RST):
            assert (state, event) in END_TRANSITIONS, (state, event)


def test_only_an_unreported_reset_can_be_reported():
    reportable = {state for (state, event) in END_TRANSITIONS if event is EndEvent.REPORT}
    assert reportable == {EndState.RESET_UNREPORTED}
    assert next_state("server", EndState.RESET_UNREPORTED, EndEvent.REPORT) is EndState.RESET


def test_a_missing_transition_is_a_typed_error():
    with pytest.raises(EndTransitionError) as info:
        next_state("server", EndState.CLOSED, EndEvent.SHUTDOWN)
    assert (info.value.end, info.value.state, info.value.event) == (
        "server", EndState.CLOSED, EndEvent.SHUTDOWN)
    assert "CLOSED" in str(info.value) and "shutdown" in str(info.value)


@pytest.mark.parametrize(("events", "expected"), [
    ([EndEvent.SHUTDOWN, EndEvent.PEER_FIN], EndState.CLOSING),
    ([EndEvent.PEER_FIN, EndEvent.SHUTDOWN], EndState.CLOSING),
    # an RST after the peer's FIN is EPIPE, not ECONNRESET: nothing left to report
    ([EndEvent.PEER_FIN, EndEvent.PEER_RST], EndState.RESET),
    ([EndEvent.SHUTDOWN, EndEvent.PEER_RST], EndState.RESET_UNREPORTED),
    ([EndEvent.PEER_RST, EndEvent.CLOSE], EndState.CLOSED),
    ([EndEvent.CLOSE, EndEvent.PEER_RST], EndState.CLOSED),
])
def test_end_transitions(events, expected):
    state = EndState.ESTABLISHED
    for event in events:
        state = next_state("client", state, event)
    assert state is expected


def test_buffers_are_offsets_into_append_only_logs():
    """Reading moves an offset; the bytes stay, so a view taken earlier still shows them."""
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    kernel.client_send(conn, b"abcdef")
    assert step(kernel.recv(conn, 4)) == ("done", b"abcd")
    assert (bytes(conn.to_server), conn.server_read, conn.server_unread) == (b"abcdef", 4, 2)
    kernel.close(conn)  # unread bytes: RST, and the kernel discards them
    assert (conn.server_unread, conn.client_end) == (0, EndState.RESET_UNREPORTED)
    assert bytes(conn.to_server) == b"abcdef"


# -- the listen backlog ------------------------------------------------------------------


def model_backlog(backlog: int, attempts: int) -> list[bool]:
    listener = Listener(Scheduler(100), backlog)
    listener.listening = True
    return [listener.connect(Connection(f"c{n}", 40000 + n)) for n in range(attempts)]


def real_backlog(backlog: int, attempts: int) -> list[bool]:
    """Non-blocking connects: one whose SYN was dropped is not writable in time."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(backlog)
        clients = [socket.socket() for _ in range(attempts)]
        try:
            done = []
            for sock in clients:
                sock.setblocking(False)
                sock.connect_ex(listener.getsockname())
                done.append(bool(select.select([], [sock], [], 0.2)[1]))
            return done
        finally:
            for sock in clients:
                sock.close()


@pytest.mark.parametrize("backlog", [0, 1, 3])
def test_backlog_completes_backlog_plus_one_handshakes(backlog):
    expected = [True] * (backlog + 1) + [False]
    assert model_backlog(backlog, backlog + 2) == expected
    assert real_backlog(backlog, backlog + 2) == expected


def test_accept_makes_room_and_establishes():
    listener = Listener(Scheduler(100), 0)
    assert listener.connect(Connection("early", 1)) is False  # not listening yet
    listener.listening = True
    first, second = Connection("a", 1), Connection("b", 2)
    assert [listener.connect(first), listener.connect(second)] == [True, False]
    assert first.state is SocketState.QUEUED and second.state is SocketState.CONNECTING
    assert listener.accept() is first and first.state is SocketState.ESTABLISHED
    assert listener.connect(second) is True


def closed_listener_outcomes_model() -> list[str]:
    """A queued (never accepted) connection that sent a request, then the listening socket
    closes (``server_close``), then a new connect: what the two clients see."""
    scheduler = Scheduler(100)
    kernel, listener = Kernel(scheduler), Listener(scheduler, 5)
    listener.listening = True
    queued = Connection("q", 1)
    listener.connect(queued)
    kernel.client_send(queued, b"GET / HTTP/1.0\r\n\r\n")
    listener.close()
    late = Connection("late", 2)
    refused = not listener.connect(late) and listener.closed
    return [generator_outcome(kernel.client_recv(queued, None)), "refused" if refused else "queued"]


def closed_listener_outcomes_linux() -> list[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    address = listener.getsockname()
    queued = socket.create_connection(address)
    try:
        queued.sendall(b"GET / HTTP/1.0\r\n\r\n")
        time.sleep(0.05)
        listener.close()
        select.select([queued], [], [], 1.0)
        try:
            outcome = "eof" if queued.recv(100) == b"" else "data"
        except ConnectionResetError:
            outcome = "ConnectionResetError"
        try:
            socket.create_connection(address, timeout=1.0).close()
            late = "connected"
        except ConnectionRefusedError:
            late = "refused"
        return [outcome, late]
    finally:
        queued.close()


def test_closing_the_listener_resets_its_queue_and_refuses_new_connects():
    """What a view's SystemExit does to a non-threaded server's listening socket
    (``Listener.close``), on the model and on Linux."""
    expected = ["ConnectionResetError", "refused"]
    assert closed_listener_outcomes_model() == expected
    assert closed_listener_outcomes_linux() == expected


def test_wait_readable_blocks_until_a_connection_is_queued():
    listener = Listener(Scheduler(100), 5)
    listener.listening = True
    gen = listener.wait_readable()
    assert step(gen)[0] == "blocked"
    listener.connect(Connection("a", 1))
    assert step(gen, True) == ("done", None)


# -- select() on a connected socket ------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "wake", "expected"),
    [
        (["c.send:x"], None, ("done", True)),  # readable at once: no wait
        (["c.shutdown"], None, ("done", True)),  # EOF is readable
        ([], True, ("done", False)),  # woken, but nothing arrived (a spurious wake-up)
        ([], False, ("done", False)),  # the timeout
    ],
    ids=["data", "eof", "spurious", "timeout"],
)
def test_readable_within(before, wake, expected):
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    for action in before:
        model_outcome(kernel, conn, action)
    gen = kernel.readable_within(conn, 10)
    outcome = step(gen)
    if wake is not None:
        assert outcome == ("blocked", Wait(conn.server_readable, 10))
        outcome = step(gen, wake)
    assert outcome == expected


def test_client_recv_timeout_returns_none():
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    gen = kernel.client_recv(conn, 25)
    assert step(gen) == ("blocked", Wait(conn.client_readable, 25))
    assert step(gen, False) == ("done", None)
