"""``sim.kernel``: the transition rules of its docstring, as one table, checked twice: on the
model and on real Linux TCP sockets over 127.0.0.1 (the rules are Linux's, so Linux judges)."""

from __future__ import annotations

import select
import socket
import time

import pytest
from simhelpers import kernel_unread, step, tcp_pair

from sim.kernel import Connection, Kernel, Listener, SocketState
from sim.scheduler import Scheduler, Wait

# Actions: "<end>.<call>[:<arg>]" with end s (server) or c (client). Outcomes: "ok", received
# bytes, "blocks", "failed" (a client send that fails), an error class name, or for s.close
# "rst" / "fin" (RST when unread bytes are in the server's receive buffer).
RULES = [
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
    ("server-send-after-peer-close-then-epipe", ["c.close", "s.send:a", "s.send:b", "s.recv"],
     ["ok", "ok", "BrokenPipeError", b""], SocketState.CLIENT_FIN),
    ("client-close-with-unread-resets-server", ["s.send:resp", "c.close", "s.recv", "s.send:x"],
     ["ok", "ok", "ConnectionResetError", "BrokenPipeError"], SocketState.RESET),
    # Linux reports the RST's ECONNRESET on the first call after it, a send included.
    ("send-after-rst-reports-reset-first", ["s.send:resp", "c.close", "s.send:x", "s.send:y"],
     ["ok", "ok", "ConnectionResetError", "BrokenPipeError"], SocketState.RESET),
]
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
    conn = Connection("c1", 40000, state=SocketState.ESTABLISHED)
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
    conn = Connection("c1", 40000, state=SocketState.ESTABLISHED)
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
    conn = Connection("c1", 40000, state=SocketState.ESTABLISHED)
    gen = kernel.client_recv(conn, 25)
    assert step(gen) == ("blocked", Wait(conn.client_readable, 25))
    assert step(gen, False) == ("done", None)
