"""Durability: links saved while the server is killed with SIGKILL, again and again; every
link whose save was acknowledged (201) opens afterwards with the very scenario saved.

A real ``python -m backend`` on 127.0.0.1 (``benchmarks/liveserver.py``), several writers at
once, a kill at a moment that varies per round (no shutdown handler, no flush).
"""

from __future__ import annotations

import random
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
    assert len(acked) >= ROUNDS * 5
