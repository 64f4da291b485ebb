"""Services: background work is bounded (one thread, a short queue)."""

from __future__ import annotations

import threading

from backend.services import Background


def test_background_runs_newest_first_and_drops_the_oldest():
    gate = threading.Event()
    ran: list[int] = []
    done = threading.Event()
    bg = Background(pending=2)
    started = threading.Event()
    bg.submit(lambda: (started.set(), gate.wait()))  # occupies the one worker
    assert started.wait(5)
    for n in range(10):
        bg.submit(lambda n=n: ran.append(n))
    bg.submit(done.set)
    before = threading.active_count()
    gate.set()
    assert done.wait(5)
    assert ran == [9]  # done.set was newest and ran first, then 9; 0..8 were dropped
    assert bg.dropped == 9
    assert threading.active_count() <= before  # no thread per job


def test_the_worker_ends_when_no_job_is_left():
    """An idle Background keeps no thread (a server with nothing to pre-render, or the many
    apps a test session makes), and the next job starts one again."""
    ran: list[int] = []
    bg = Background(pending=2)
    bg.submit(lambda: ran.append(1))
    bg.join(5)
    assert ran == [1] and bg.idle
    bg.submit(lambda: ran.append(2))
    bg.join(5)
    assert ran == [1, 2] and bg.idle
