"""Traces, built once per scenario and indexed for the player.

Traces are deterministic (same scenario in, same trace out), so a small LRU keyed by the
scenario's canonical hash means stepping never re-simulates. :class:`Playback` adds the
indexes the page needs (lanes, request boundaries, phase runs) computed once, in one pass.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import sim

from .lanes import is_server_actor, lane_of

#: Memory per step of a trace with its Playback indexes, measured with tracemalloc (about
#: 480 bytes on CPython 3.11, ``tests/web/test_traces.py`` checks the bound), with room.
BYTES_PER_STEP = 700

#: The four phases the issue asks to see "at a glance for every request".
KEY_PHASES = ("accept", "parse", "run_wsgi", "dispatch")


def scenario_key(scenario: dict[str, Any]) -> str:
    """sha256 of the scenario's canonical JSON (sorted keys, no whitespace)."""
    blob = json.dumps(scenario, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Request:
    """One request on one connection: ``c1`` for the first, ``c1·2`` for the next keep-alive one."""

    id: str
    client: str
    start: int
    #: first step index of each key phase reached by this request
    marks: dict[str, int] = field(default_factory=dict)


class Playback:
    """A trace plus the indexes the player needs. Immutable once built."""

    def __init__(self, scenario: dict[str, Any], trace: Any, key: str) -> None:
        self.scenario = scenario
        self.trace = trace
        self.key = key
        #: the declared app as Python (None for an app that is real code, like demo_app)
        self.app_source = sim.app_source(scenario)
        steps = trace.steps
        self.total = len(steps)
        self.phases = list(sim.PHASES)
        self.lanes: list[str] = []
        self.clients: list[str] = [c.get("id") for c in scenario.get("clients", [])
                                   if isinstance(c, dict)]
        self.client_steps: dict[str, list[int]] = {c: [] for c in self.clients}
        self.phase_runs: list[int] = []  # index where each run of equal phase begins
        self.requests: list[Request] = []
        self.request_of: list[int | None] = []  # step -> index into self.requests
        current: dict[str, Request] = {}
        current_index: dict[str, int] = {}
        counts: dict[str, int] = {}
        #: for a server step without a qualname: the step whose function it continues
        self.context_of: dict[int, int] = {}
        last_by_actor: dict[str, int] = {}
        prev_phase = None
        for step in steps:
            i = step.i
            prev = last_by_actor.get(step.actor)
            self.lanes.append(lane_of(step.actor, step.qualname,
                                      self.lanes[prev] if prev is not None else None))
            if step.qualname:
                last_by_actor[step.actor] = i
            elif prev is not None and is_server_actor(step.actor):
                self.context_of[i] = prev
            if step.phase != prev_phase:
                self.phase_runs.append(i)
                prev_phase = step.phase
            c = step.client
            if c is None:
                self.request_of.append(None)
                continue
            if c not in self.client_steps:  # the dict, not the list: O(1) a step
                self.clients.append(c)
            self.client_steps.setdefault(c, []).append(i)
            req = current.get(c)
            # A keep-alive connection starts its next request when handle_one_request runs
            # again after a request line was parsed (not when a 100 Continue went out and
            # the body is read next: that is the same request).
            if req is None or ("parse" in req.marks and step.qualname is not None
                               and step.qualname.endswith(".handle_one_request")):
                counts[c] = counts.get(c, 0) + 1
                rid = c if counts[c] == 1 else f"{c}·{counts[c]}"
                req = Request(id=rid, client=c, start=i)
                current[c] = req
                current_index[c] = len(self.requests)
                self.requests.append(req)
            # Marks are the server's work: the client's connect() is phase "accept" too,
            # but "accepted" means the server's accept() took it off the backlog.
            if step.phase in KEY_PHASES and step.phase not in req.marks and step.qualname:
                req.marks[step.phase] = i
            self.request_of.append(current_index[c])
        self.request_starts = sorted(r.start for r in self.requests)
        #: Estimated bytes this playback holds (trace and indexes), for :class:`TraceCache`.
        self.weight = (BYTES_PER_STEP * self.total + 64 * len(self.clients)
                       + sum(len(r.received) for r in trace.clients.values()))

    # -- navigation -------------------------------------------------------------------
    def clamp(self, n: int) -> int:
        return min(max(n, 0), self.total - 1)

    def next_phase(self, i: int) -> int:
        k = bisect.bisect_right(self.phase_runs, i)
        return self.phase_runs[k] if k < len(self.phase_runs) else self.total - 1

    def prev_phase(self, i: int) -> int:
        k = bisect.bisect_right(self.phase_runs, i) - 1  # run containing i
        if k >= 0 and self.phase_runs[k] < i:
            return self.phase_runs[k]
        return self.phase_runs[k - 1] if k > 0 else 0

    def next_request(self, i: int) -> int:
        k = bisect.bisect_right(self.request_starts, i)
        return self.request_starts[k] if k < len(self.request_starts) else self.total - 1

    def prev_request(self, i: int) -> int:
        k = bisect.bisect_left(self.request_starts, i) - 1
        return self.request_starts[k] if k >= 0 else 0

    def token_positions(self, i: int) -> dict[str, tuple[str, int] | None]:
        """For each client, (lane, step index) of its latest step at or before ``i``."""
        out: dict[str, tuple[str, int] | None] = {}
        for c in self.clients:
            idx = self.client_steps.get(c, [])
            k = bisect.bisect_right(idx, i) - 1
            out[c] = (self.lanes[idx[k]], idx[k]) if k >= 0 else None
        return out

    def request_at(self, i: int, client: str) -> Request | None:
        idx = self.client_steps.get(client, [])
        k = bisect.bisect_right(idx, i) - 1
        if k < 0:
            return None
        r = self.request_of[idx[k]]
        return self.requests[r] if r is not None else None


class TraceCache:
    """A thread-safe LRU of :class:`Playback` by scenario hash, bounded in bytes.

    A count bound is no bound: one trace of 2,000 clients weighs a hundred times a small one.
    Each playback is weighed once (:attr:`Playback.weight`); a trace heavier than the whole
    cache is still returned to its caller, just not kept.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[str, Playback] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Estimated bytes held now."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    def peek(self, key: str | None) -> Playback | None:
        """The playback already built for ``key``, without building anything."""
        if key is None:
            return None
        with self._lock:
            pb = self._items.get(key)
            if pb is not None:
                self._items.move_to_end(key)
            return pb

    def get(self, scenario: dict[str, Any], key: str | None = None) -> Playback:
        """Return the playback for ``scenario``; raises ``sim.ScenarioError`` if it is bad."""
        key = key or scenario_key(scenario)
        with self._lock:
            pb = self._items.get(key)
            if pb is not None:
                self._items.move_to_end(key)
                return pb
        pb = Playback(scenario, sim.run(scenario), key)
        with self._lock:
            if key not in self._items and pb.weight <= self._max:
                self._items[key] = pb
                self._size += pb.weight
                while self._size > self._max:
                    _, old = self._items.popitem(last=False)
                    self._size -= old.weight
        return pb


class FragmentCache:
    """Rendered step fragments, gzip-compressed, bounded by total size.

    A trace never changes, so neither does the HTML of its step ``i`` in a language: people
    stepping back and forth, or many people opening one shared link, get bytes compressed
    once. Keyed by (scenario hash, slug, step, language, filters).
    """

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._size = 0
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], html: str) -> bytes:
        body = gzip.compress(html.encode("utf-8"), compresslevel=6, mtime=0)
        with self._lock:
            if key not in self._items:
                self._items[key] = body
                self._size += len(body)
                while self._size > self._max and self._items:
                    _, old = self._items.popitem(last=False)
                    self._size -= len(old)
        return body
