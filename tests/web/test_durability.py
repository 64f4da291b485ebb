"""Durability: links saved while the server is killed with SIGKILL, again and again; every
link whose save was acknowledged (201) opens afterwards with the very scenario saved.

A real ``python -m backend`` on 127.0.0.1 (``benchmarks/liveserver.py``), several writers at
once, a kill at a moment that varies per round (no shutdown handler, no flush).
"""

from __future__ import annotations

import random
import socket
import threading
import time

import httpx

from benchmarks.liveserver import LiveServer
from benchmarks.scenarios import distinct

ROUNDS = 3
WRITERS = 4


def _writer(base: str, start: int, acked: dict[str, dict], stop: threading.Event,
            lock: threading.Lock) -> None:
    n = start
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            doc = distinct(n)
            n += WRITERS
            try:
                r = http.post("/api/v1/links", json=doc)
            except httpx.HTTPError:
                return  # the server is gone: an unanswered save was never acknowledged
            if r.status_code == 201:
                with lock:
                    acked[r.json()["slug"]] = doc
            else:
                raise AssertionError(f"save refused: {r.status_code} {r.text[:200]}")


def test_acknowledged_links_survive_kill_9(tmp_path):
    db = tmp_path / "links.sqlite3"
    acked: dict[str, dict] = {}
    lock = threading.Lock()
    rnd = random.Random(9)
    for round_no in range(ROUNDS):
        server = LiveServer(db).start()
        try:
            stop = threading.Event()
            writers = [threading.Thread(target=_writer,
                                        args=(server.base, round_no * 10_000 + k, acked, stop,
                                              lock))
                       for k in range(WRITERS)]
            before = len(acked)
            for w in writers:
                w.start()
            deadline = time.monotonic() + 20
            # kill once some saves of this round were acknowledged, at a varying moment
            while len(acked) < before + 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rnd.uniform(0.0, 0.3))
            server.kill()
            stop.set()
            for w in writers:
                w.join(timeout=15)
            assert len(acked) >= before + 5, "no saves were acknowledged in this round"
        finally:
            server.kill()
    with LiveServer(db) as server, httpx.Client(base_url=server.base, timeout=10) as http:
        for slug, doc in acked.items():
            r = http.get(f"/api/v1/scenarios/{slug}")
            assert r.status_code == 200, (slug, r.status_code, r.text[:200])
            assert r.json() == doc
        assert http.get(f"/s/{next(iter(acked))}").status_code == 200
        _bad_input_keeps_the_connection(server.port)
    assert len(acked) >= ROUNDS * 5


def _bad_input_keeps_the_connection(port: int) -> None:
    """Over one real keep-alive connection: a body with a lone surrogate is a 422, and the
    same socket then answers the next request (a 500 used to drop the connection)."""
    body = b'{"title": "\\ud800"}'
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        for path in ("/api/v1/trace", "/api/v1/links", "/api/v1/trace/steps/0"):
            sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            status, headers = _read_response(reader)
            assert status == 422 and headers.get("connection") != "close", (path, status)
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(reader)[0] == 200


def _read_response(reader) -> tuple[int, dict[str, str]]:
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    reader.read(int(headers.get("content-length", "0")))
    return status, headers
