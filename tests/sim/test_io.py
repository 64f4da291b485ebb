"""``sim.stack.io.BufferedReader`` against CPython's ``io.BufferedReader`` over a real socket
(``makefile('rb')``): the same bytes sent in the same pieces, the same reads; the results must
match, and so must what is left in the kernel (``FIONREAD`` vs ``conn.server_unread``)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from simhelpers import kernel_unread, step, tcp_pair

from sim.kernel import Connection, Kernel, SocketState
from sim.scheduler import Scheduler
from sim.stack.io import BufferedReader, SocketWriter

EOF_ = "eof"  # a piece that stands for the client's shutdown(SHUT_WR)
K = 8192


def line(n: int, fill: bytes = b"a") -> bytes:
    """``n`` bytes ending in ``\\r\\n``."""
    return fill * (n - 2) + b"\r\n"


# (pieces the client sends, one at a time, each after the reader has blocked; reads)
CASES = {
    "request-line-then-headers": (
        [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"], [("readline", 65537)] * 3),
    "line-split-across-pieces": (
        [b"GET / HT", b"TP/1.1\r", b"\nHost: x\r\n\r\n"], [("readline", 65537), ("readline", 65537)]),
    "readline-leaves-the-rest-buffered": (
        [line(100) + b"x" * 20000], [("readline", 65537)]),
    "long-line-over-buffers": (
        [line(20000), line(30)], [("readline", 65537), ("readline", 65537)]),
    "line-too-long-cut-at-limit": (
        [b"a" * 70000, EOF_], [("readline", 65537), ("readline", 65537), ("readline", 65537)]),
    "limit-inside-the-buffer": (
        [b"abcdef\nghi\n"], [("readline", 3), ("readline", 10), ("readline", 2)]),
    "eof-without-newline": ([b"partial", EOF_], [("readline", 100), ("readline", 100)]),
    "read-from-the-buffer": ([b"hello\r\nworld"], [("readline", 100), ("read", 3), ("read", 2)]),
    "read-whole-blocks-then-tail": (
        [b"x" * 30000], [("readline", 10), ("read", 20000)]),
    "read-exactly-a-block": ([b"y" * (3 * K)], [("read", K), ("read", K)]),
    "read-until-eof": ([b"body", EOF_], [("read", 10)]),
    "read-body-in-pieces": (
        [b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", b"01234", b"56789"],
        [("readline", 65537), ("readline", 65537), ("readline", 65537), ("read", 10)]),
    # CPython's tail loop fills the same 8 KiB buffer (``buffer_size - read_end`` per read),
    # so a read that gets a short piece asks the kernel for less the next time.
    "read-tail-after-a-short-piece": ([b"ab", b"z" * 10000], [("read", 10)]),
    "drain-style-big-read": ([b"q" * 5000, b"r" * 5000, EOF_], [("read", 10_000_000)]),
}


def deliver(kernel: Kernel, conn: Connection, piece) -> None:
    if piece == EOF_:
        kernel.client_shutdown_write(conn)
    else:
        kernel.client_send(conn, piece)


def run_model(pieces: list, reads: list) -> tuple[list[bytes], int]:
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    rfile = BufferedReader(kernel, conn)
    pending = list(pieces)
    results = []
    for method, arg in reads:
        gen = getattr(rfile, method)(arg)
        kind, value = step(gen)
        while kind == "blocked":
            assert pending, f"{method}({arg}) would block for ever"
            deliver(kernel, conn, pending.pop(0))
            kind, value = step(gen, True)
        assert kind == "done", value
        results.append(value)
    for piece in pending:
        deliver(kernel, conn, piece)
    assert rfile.consumed == sum(map(len, results))
    return results, conn.server_unread


def send_pieces(client: socket.socket, pieces: list) -> None:
    for piece in pieces:
        time.sleep(0.03)  # the reader blocks in between, as in the model
        if piece == EOF_:
            client.shutdown(socket.SHUT_WR)
        else:
            client.sendall(piece)


def run_real(pieces: list, reads: list) -> tuple[list[bytes], int]:
    client, server = tcp_pair()
    writer = threading.Thread(target=send_pieces, args=(client, pieces))
    writer.start()
    try:
        rfile = server.makefile("rb")
        results = [getattr(rfile, method)(arg) for method, arg in reads]
        writer.join()
        time.sleep(0.01)
        return results, kernel_unread(server)
    finally:
        writer.join()
        client.close()
        server.close()


@pytest.mark.parametrize("name", list(CASES))
def test_reads_match_cpython(name):
    pieces, reads = CASES[name]
    model_results, model_left = run_model(pieces, reads)
    real_results, real_left = run_real(pieces, reads)
    assert [len(r) for r in model_results] == [len(r) for r in real_results]
    assert model_results == real_results
    assert model_left == real_left, "bytes left in the kernel"


def test_socket_writer_sends_each_write():
    kernel = Kernel(Scheduler(100))
    conn = Connection("c1", 40000, handshake=SocketState.ESTABLISHED)
    wfile = SocketWriter(kernel, conn)
    wfile.write(b"HTTP/1.1 200 OK\r\n")
    wfile.write(b"\r\n")
    assert (bytes(conn.to_client), conn.server_sent) == (b"HTTP/1.1 200 OK\r\n\r\n", 19)
