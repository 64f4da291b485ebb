"""``sim.scheduler``: (time, seq) order, Sleep, Wait with and without timeout, stale timers,
determinism, and the event limit."""

from __future__ import annotations

import pytest

from sim.errors import LimitExceeded
from sim.scheduler import Scheduler, Sleep, Wait, Waitable


def recorder(log: list, sched: Scheduler, name: str, requests: list):
    """An actor that logs ``(now, name, value sent back)`` before each of its requests."""
    value = None
    for request in requests:
        log.append((sched.now, name, value))
        value = yield request
    log.append((sched.now, name, value))


def run_actors(spec: dict[str, tuple[int | None, list]], max_events: int = 1000) -> list:
    sched = Scheduler(max_events)
    log: list = []
    for name, (at, requests) in spec.items():
        sched.spawn(name, recorder(log, sched, name, requests), at=at)
    sched.run()
    return log


def test_same_time_runs_in_the_order_actors_became_runnable():
    log = run_actors({"b": (5, []), "a": (5, []), "c": (0, []), "d": (None, [])})
    assert [(t, name) for t, name, _ in log] == [(0, "c"), (0, "d"), (5, "b"), (5, "a")]


def test_sleep_resumes_later_and_interleaves_by_time():
    log = run_actors({"a": (0, [Sleep(10), Sleep(10)]), "b": (0, [Sleep(15)])})
    assert [(t, name) for t, name, _ in log] == [(0, "a"), (0, "b"), (10, "a"), (15, "b"), (20, "a")]


def waiter_and_waker(timeout: int | None, wake_at: int | None) -> list:
    """``waiter`` waits (``Wait(w, timeout)``) then sleeps 100 ms; ``waker`` wakes ``w`` at
    ``wake_at``."""
    sched = Scheduler(1000)
    log: list = []
    waitable = Waitable("w")

    def waker():
        yield Sleep(wake_at)
        sched.wake(waitable)
        log.append((sched.now, "wake", None))

    sched.spawn("waiter", recorder(log, sched, "waiter", [Wait(waitable, timeout), Sleep(100)]))
    if wake_at is not None:
        sched.spawn("waker", waker())
    sched.run()
    return log


@pytest.mark.parametrize(
    ("timeout", "wake_at", "expected"),
    [
        # woken before the timeout: True; the timer at 50 is stale and ignored
        (50, 10, [(0, "waiter", None), (10, "wake", None), (10, "waiter", True), (110, "waiter", None)]),
        # the timeout fires first: False; the wake-up at 10 must not cut the sleep short
        (5, 10, [(0, "waiter", None), (5, "waiter", False), (10, "wake", None), (105, "waiter", None)]),
        # no timeout: waits for ever until woken
        (None, 30, [(0, "waiter", None), (30, "wake", None), (30, "waiter", True), (130, "waiter", None)]),
        # no timeout and nobody wakes it: the run ends with the actor still waiting
        (None, None, [(0, "waiter", None)]),
    ],
    ids=["woken", "timed-out-then-sleep", "no-timeout-woken", "no-timeout-never"],
)
def test_wait(timeout, wake_at, expected):
    assert waiter_and_waker(timeout, wake_at) == expected


def test_stale_timer_does_not_resume_a_later_wait():
    """Woken at 10 from Wait(timeout 50), the actor waits again (timeout 100): the first
    wait's timer at 60 must not end the second wait, which times out at 110."""
    sched = Scheduler(1000)
    waitable = Waitable("w")
    log: list = []

    def waiter():
        for timeout in (50, 100):
            woken = yield Wait(waitable, timeout)
            log.append((sched.now, woken))

    def waker():
        yield Sleep(10)
        sched.wake(waitable)

    sched.spawn("waiter", waiter())
    sched.spawn("waker", waker())
    sched.run()
    assert log == [(10, True), (110, False)]


def test_wake_with_nobody_waiting_is_a_no_op():
    sched = Scheduler(10)
    sched.wake(Waitable("nobody"))
    sched.run()
    assert sched.now == 0


def test_runs_are_deterministic():
    spec = {f"a{n}": (n % 3, [Sleep(n % 4), Sleep(1)]) for n in range(30)}
    assert run_actors(spec) == run_actors(spec)


@pytest.mark.parametrize(("sleeps", "max_events", "ok"), [(4, 5, True), (5, 5, False)])
def test_max_events(sleeps, max_events, ok):
    """One actor with ``n`` sleeps needs ``n + 1`` resumes."""
    spec = {"a": (0, [Sleep(1)] * sleeps)}
    if ok:
        assert len(run_actors(spec, max_events)) == sleeps + 1
    else:
        with pytest.raises(LimitExceeded) as err:
            run_actors(spec, max_events)
        assert err.value.field == "clients"


def test_spawn_later_makes_the_actor_when_its_time_comes_in_spawn_order():
    """``spawn_later`` keeps its place among ``spawn``'s at the same instant (the order the
    calls were made), and its generator is made only when its time comes."""
    sched = Scheduler(1000)
    log: list = []
    made: list = []

    def start(name: str):
        made.append((sched.now, name))
        return recorder(log, sched, name, [Sleep(1)])

    sched.spawn("a", recorder(log, sched, "a", [Sleep(1)]), at=5)
    sched.spawn_later("b", 5, start)
    sched.spawn("c", recorder(log, sched, "c", []), at=5)
    sched.spawn_later("d", 0, start)
    sched.run()
    assert made == [(0, "d"), (5, "b")]
    assert [(t, name) for t, name, _ in log] == [
        (0, "d"), (1, "d"), (5, "a"), (5, "b"), (5, "c"), (6, "a"), (6, "b")]


def test_stop_drops_an_actor_not_yet_made():
    sched = Scheduler(1000)
    made: list = []

    def start(name: str):
        made.append(name)
        return recorder([], sched, name, [])

    sched.spawn_later("process-2/c1", 10, start)
    sched.spawn_later("c2", 10, start)
    sched.stop(lambda name: name.startswith("process-2"))
    sched.run()
    assert made == ["c2"]
