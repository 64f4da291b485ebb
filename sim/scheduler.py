"""Virtual clock and actors.

Theory of operation (SimPy's, without SimPy): an *actor* is a generator, one per thing that
runs on its own in reality — a client, the server's main loop, a worker thread. It runs until
it would block, and then yields what it waits for:

- ``Sleep(ms)``: resume ``ms`` of virtual time later;
- ``Wait(waitable, timeout_ms)``: resume when ``waitable`` is woken (the value sent back is
  ``True``), or after ``timeout_ms`` (the value is ``False``); ``timeout_ms=None`` waits for
  ever.

Events are ordered by ``(time, seq)`` with a monotonically increasing ``seq``, so actors that
become runnable at the same virtual moment run in the order they became runnable: the same
scenario always produces the same trace. A wake-up is always re-checked by the woken code (the
condition it waited for may already be gone), the way real code loops around ``select``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from .errors import LimitExceeded


@dataclass(frozen=True, slots=True)
class Sleep:
    ms: int


@dataclass(slots=True, eq=False)
class Waitable:
    """Something actors wait on: a socket's readability, an accept queue."""

    name: str
    #: (actor, the actor's token when it started waiting): a waiter that has since moved
    #: on (its wait timed out) is not woken by a late wake-up
    waiters: list[tuple[Actor, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Wait:
    waitable: Waitable
    timeout_ms: int | None = None


ActorBody = Generator[Sleep | Wait, Any, None]


@dataclass(slots=True, eq=False)
class Actor:
    name: str
    body: ActorBody
    #: bumped on every resume, so a stale timer or wake-up for an older wait is ignored
    token: int = 0


class Scheduler:
    """Runs actors on a virtual clock (ms) until none can make progress."""

    def __init__(self, max_events: int) -> None:
        self.now = 0
        self._queue: list[tuple[int, int, Actor, int, Any]] = []
        #: ``(time, seq, name, start)`` of the actors :meth:`spawn_later` will start, a heap
        #: of its own: 10,000 clients waiting to connect made every push and pop of the
        #: event queue compare fourteen levels of tuples deep
        self._arrivals: list[tuple[int, int, str, Callable[[str], ActorBody]]] = []
        self._seq = itertools.count()
        self._max_events = max_events
        #: called after every event; raises to stop a run that grows too large
        self.after_event: Callable[[], None] = lambda: None
        #: actors whose generator has not finished, in the order they started (a finished one is
        #: dropped at once: a run of 10,000 clients must not keep 20,000 dead generators)
        self._actors: dict[Actor, None] = {}
        #: the actor whose generator is executing
        self.running: Actor | None = None

    def spawn(self, name: str, body: ActorBody, at: int | None = None) -> Actor:
        actor = Actor(name, body)
        self._actors[actor] = None
        self._push(self.now if at is None else at, actor, None)
        return actor

    def spawn_later(self, name: str, at: int, start: Callable[[str], ActorBody]) -> None:
        """``spawn(name, start(name), at)``, with the actor and its generator made only when
        ``at`` comes. Its turn among the events of that moment is taken now, as
        ``spawn``'s is (events are ordered by ``(time, seq)`` across both heaps)."""
        heapq.heappush(self._arrivals, (at, next(self._seq), name, start))

    def close_all(self) -> None:
        """Close every actor's generator, in the order they started (deterministically,
        rather than whenever the garbage collector gets to them)."""
        for actor in list(self._actors):
            actor.body.close()
        self._actors.clear()

    def stop(self, which: Callable[[str], bool]) -> None:
        """End the actors ``which`` names, except the one running now (the threads of a
        process that exits, from its main thread): their pending events and waits become
        void, and their generators are closed now, in spawn order. What their cleanup does
        is the caller's to hide (a real process that exits runs no ``finally`` of its
        threads)."""
        for actor in [a for a in self._actors if which(a.name) and a is not self.running]:
            actor.token += 1
            del self._actors[actor]
            actor.body.close()
        if any(which(name) for _, _, name, _ in self._arrivals):
            self._arrivals[:] = [arrival for arrival in self._arrivals if not which(arrival[2])]
            heapq.heapify(self._arrivals)

    def wake(self, waitable: Waitable) -> None:
        """Make every actor waiting on ``waitable`` runnable now."""
        waiters = waitable.waiters
        if waiters:
            waitable.waiters = []
            queue, seq, now = self._queue, self._seq, self.now
            for actor, token in waiters:
                heapq.heappush(queue, (now, next(seq), actor, token, True))  # _push, inlined

    def run(self) -> None:
        # One pass of this loop per event (six per client of a large run): what it reads
        # on every pass is bound to locals, and _push is inlined.
        queue, seq, heappop, heappush = self._queue, self._seq, heapq.heappop, heapq.heappush
        arrivals = self._arrivals
        after_event, actors, max_events = self.after_event, self._actors, self._max_events
        events = 0
        while True:
            # the next event is the earlier of the two heaps' first (their seqs differ)
            if arrivals and (not queue or arrivals[0] < queue[0]):
                when, _, name, start = heappop(arrivals)
                actor = Actor(name, start(name))
                actors[actor] = None
                token, value = 0, None
            elif queue:
                when, _, actor, token, value = heappop(queue)
                if token != actor.token:
                    continue  # a timer or wake-up for a wait that already ended
            else:
                break
            events += 1
            if events > max_events:
                raise LimitExceeded("clients", f"the simulation ran past {max_events} scheduler events")
            self.now = when
            actor.token = token + 1
            self.running = actor
            try:
                request = actor.body.send(value)
            except StopIteration:
                del actors[actor]
                continue
            finally:
                after_event()
            if type(request) is Wait:
                request.waitable.waiters.append((actor, actor.token))
                if request.timeout_ms is not None:
                    heappush(queue, (when + request.timeout_ms, next(seq), actor, actor.token, False))
            else:
                heappush(queue, (when + request.ms, next(seq), actor, actor.token, None))

    def _push(self, when: int, actor: Actor, value: Any) -> None:
        heapq.heappush(self._queue, (when, next(self._seq), actor, actor.token, value))
