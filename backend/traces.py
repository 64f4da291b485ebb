"""Traces, built once per scenario and indexed for the player.

Traces are deterministic (same scenario in, same trace out), so a small LRU keyed by the
scenario's canonical hash means stepping never re-simulates. :class:`Playback` adds the
indexes the page needs (lanes, requests, phase runs, the timeline) computed once, from the
steps' own facts (``layer``, ``request``, ``event``).
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

from .highlight import highlight_lines
from .i18n import N_
from .lanes import lane_of

#: What a playback holds once the player has shown it, not only once built: the trace and
#: its indexes (about 590 bytes a step on CPython 3.11), then, built on first use, the
#: inspector's checkpoints, the timeline and its drawings (a few per language and filter),
#: about 170-300 bytes a step more, and a fixed part for small traces. The cache is bounded
#: by this weight, so it must not leave out what comes later: it did (only the built part
#: was counted), and a "256 MiB" cache held about 1.6 times that. Measured with tracemalloc
#: for several shapes of trace in ``tests/web/test_traces.py``.
BYTES_PER_STEP = 1000
BYTES_PER_CLIENT = 2048
BYTES_PER_TRACE = 96 * 1024
#: The scenario itself and the declared app's highlighted source, per byte of its JSON.
BYTES_PER_SCENARIO_BYTE = 8

#: Every phase's name as the page shows it (the trace's identifiers, marked for the
#: catalogs: in Chinese a badge reads 读取, its class and the filter's value stay "read");
#: ``tests/web/test_i18n.py`` checks it names every phase of ``sim.PHASES``.
PHASE_NAMES = (N_("startup"), N_("listen"), N_("select"), N_("accept"), N_("setup"), N_("read"),
               N_("parse"), N_("run_wsgi"), N_("app"), N_("hooks"), N_("dispatch"), N_("respond"),
               N_("teardown"), N_("close"))

#: The four phases the issue asks to see "at a glance for every request".
KEY_PHASES = ("accept", "parse", "run_wsgi", "dispatch")
#: The lane each key phase happens in: a lane never reached is a phase that never happens.
PHASE_LANE = {"accept": "loop", "parse": "handler", "run_wsgi": "wsgi", "dispatch": "flask"}


def scenario_key(scenario: dict[str, Any]) -> str:
    """sha256 of the scenario's canonical JSON (sorted keys, no whitespace)."""
    blob = json.dumps(scenario, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Request:
    """One request on one connection: ``c1`` for the first, ``c1·2`` for the next keep-alive one."""

    id: str
    client: str
    #: its number on the connection (``step.request``)
    number: int
    start: int
    #: first step index of each key phase reached by this request
    marks: dict[str, int] = field(default_factory=dict)
    #: the server's steps for it (indexes), in order
    server_steps: list[int] = field(default_factory=list)
    #: queued in the listen backlog at this step, taken off it by accept() at that one
    queued_at: int | None = None
    accepted_at: int | None = None
    #: its last step (the client reading EOF, or the next request beginning)
    last: int = 0
    #: the step where its client had its whole answer or left (steps after it, bytes sent
    #: into a connection the server closed, do not make it current again)
    ended_at: int | None = None
    times: Any = None
    #: the lanes the server's steps for it reached
    reached: set[str] = field(default_factory=set)
    #: (step, lanes): from that step on, those lanes are known never to be reached (an
    #: answer before any WSGI code, a routing error, a before_request that answered)
    never: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


#: The lanes only the server's code reaches, in the order a request goes through them.
SERVER_LANES = ("loop", "handler", "wsgi", "flask", "view")

#: Moments that decide lanes a request will never reach.
_RULES_OUT = {
    sim.MomentKind.ANSWERED_BEFORE_WSGI: ("wsgi", "flask", "view"),
    sim.MomentKind.NOT_FOUND: ("view",),
    sim.MomentKind.METHOD_NOT_ALLOWED: ("view",),
    sim.MomentKind.OPTIONS_AUTOMATIC: ("view",),
    sim.MomentKind.VIEW_SKIPPED: ("view",),
}

#: Events after which a client has its whole answer (or is gone).
_CLIENT_DONE = frozenset({"client_eof", "client_reset", "client_timeout", "client_close",
                          "client_hang_up", "client_abort", "connect_timeout", "client_send_failed"})

#: What a token looks like: where the request is, and whether it moves or waits there.
TOKEN_STYLES = ("now", "waiting", "idle", "done", "skipped")


@dataclass(frozen=True, slots=True)
class Nav:
    """The steps one combination of filters and level of detail shows, and where the
    phase and request jumps land among them."""

    visible: list[int]
    phase_runs: list[int]
    request_starts: list[int]


def playback_weight(steps: int, clients: int, received: int, scenario_bytes: int) -> int:
    """Estimated bytes a shown trace holds (see :data:`BYTES_PER_STEP`)."""
    return (BYTES_PER_TRACE + BYTES_PER_STEP * steps + BYTES_PER_CLIENT * clients + received
            + BYTES_PER_SCENARIO_BYTE * scenario_bytes)


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
        self.events: list[str] = []
        self.step_phase: list[str] = []
        self.step_client: list[str | None] = []
        self.clients: list[str] = [c.get("id") for c in scenario.get("clients", [])
                                   if isinstance(c, dict)]
        self.client_steps: dict[str, list[int]] = {c: [] for c in self.clients}
        self.phase_runs: list[int] = []  # index where each run of equal phase begins
        self.requests: list[Request] = []
        self.request_of: list[int | None] = []  # step -> index into self.requests
        by_key: dict[tuple[str, int], int] = {}
        #: client -> indexes into self.requests, in order
        self.client_requests: dict[str, list[int]] = {}
        #: for a server step without a qualname: the step whose function it continues
        self.context_of: dict[int, int] = {}
        last_by_actor: dict[str, int] = {}
        prev_phase = None
        for step in steps:
            i = step.i
            self.lanes.append(lane_of(step))
            self.events.append(step.event)
            self.step_phase.append(step.phase.value)
            self.step_client.append(step.client)
            server = step.layer not in (sim.Layer.CLIENT, sim.Layer.KERNEL) and step.actor != step.client
            if server and step.qualname:
                last_by_actor[step.actor] = i
            elif server and step.actor in last_by_actor:
                self.context_of[i] = last_by_actor[step.actor]
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
            rkey = (c, step.request)
            k = by_key.get(rkey)
            if k is None:
                k = by_key[rkey] = len(self.requests)
                rid = c if step.request == 1 else f"{c}·{step.request}"
                self.requests.append(Request(id=rid, client=c, number=step.request, start=i))
                self.client_requests.setdefault(c, []).append(k)
            req = self.requests[k]
            req.last = i
            if step.event in _CLIENT_DONE and req.ended_at is None:
                req.ended_at = i
            if step.event == "backlog_queued" and req.queued_at is None:
                req.queued_at = i
            if server:
                req.server_steps.append(i)
                req.reached.add(self.lanes[i])
                if req.accepted_at is None:
                    req.accepted_at = i
                # The client's connect() is phase "accept" too, but "accepted" means the
                # server's accept() took it off the backlog.
                if step.phase in KEY_PHASES and step.phase not in req.marks:
                    req.marks[step.phase] = i
            self.request_of.append(k)
        self.request_starts = sorted(r.start for r in self.requests)
        #: Estimated bytes this playback holds once shown (trace, indexes, what is built
        #: on first use), for :class:`TraceCache`.
        self.weight = playback_weight(self.total, len(self.clients),
                                      sum(len(r.received) for r in trace.clients.values()),
                                      len(json.dumps(scenario, ensure_ascii=False)))
        self._navs: dict[tuple[str, str, str], Nav] = {}
        self._app_html: list[Any] | None = None
        self._timeline: Any = None
        self._timeline_lock = threading.Lock()

    @property
    def app_html(self) -> list[Any]:
        """The declared app's source, highlighted once per trace (kept with it, so it is
        weighed and evicted with it: a cache of its own keyed by the text was bounded by
        count only, and one app can be as long as a scenario may be)."""
        if self._app_html is None:  # two threads may both build it: the same list either way
            self._app_html = highlight_lines(self.app_source.lines) if self.app_source else []
        return self._app_html

    # -- the timeline (built on first use: a trace opened only through the API never needs it)
    @property
    def timeline(self) -> Any:
        if self._timeline is None:
            with self._timeline_lock:
                if self._timeline is None:
                    self._attach(sim.timeline(self.trace))
        return self._timeline

    def _attach(self, tl: Any) -> None:
        times = {(r.client, r.request): r for r in tl.requests}
        for r in self.requests:
            r.times = times.get((r.client, r.number))
        self.moments_at: dict[int, list[Any]] = {}
        by_key = {(r.client, r.number): r for r in self.requests}
        for m in tl.moments:
            self.moments_at.setdefault(m.i, []).append(m)
            lanes = _RULES_OUT.get(m.kind)
            if lanes and (m.client, m.request) in by_key:
                by_key[m.client, m.request].never.append((m.i, lanes))
        self._timeline = tl

    def moments_of(self, i: int) -> list[Any]:
        """The key moments at step ``i``."""
        self.timeline  # noqa: B018 -- builds moments_at
        return self.moments_at.get(i, [])

    # -- navigation -------------------------------------------------------------------
    def clamp(self, n: int) -> int:
        return min(max(n, 0), self.total - 1)

    def nav(self, client: str = "", phase: str = "", detail: str = "") -> Nav:
        """Steps shown with these filters (``detail`` "" = key steps, "all" = every call);
        built once per combination."""
        key = (client, phase, detail)
        nav = self._navs.get(key)
        if nav is None:
            base = self.timeline.key_steps if detail != "all" else range(self.total)
            visible = [i for i in base
                       if (not client or self.step_client[i] == client)
                       and (not phase or self.step_phase[i] == phase)]
            runs, starts, seen = [], [], set()
            prev = None
            for i in visible:
                ph = self.step_phase[i]
                if ph != prev:
                    runs.append(i)
                    prev = ph
                r = self.request_of[i]
                if r is not None and r not in seen:
                    seen.add(r)
                    starts.append(i)
            nav = self._navs[key] = Nav(visible, runs, starts)
        return nav

    @staticmethod
    def _after(seq: list[int], i: int, last: int) -> int:
        k = bisect.bisect_right(seq, i)
        return seq[k] if k < len(seq) else last

    @staticmethod
    def _before(seq: list[int], i: int, first: int) -> int:
        k = bisect.bisect_left(seq, i) - 1
        return seq[k] if k >= 0 else min(first, i)

    def next_step(self, i: int, nav: Nav) -> int:
        return self._after(nav.visible, i, i)

    def prev_step(self, i: int, nav: Nav) -> int:
        return self._before(nav.visible, i, i)

    def next_phase(self, i: int, nav: Nav | None = None) -> int:
        runs = nav.phase_runs if nav else self.phase_runs
        return self._after(runs, i, (nav.visible[-1] if nav and nav.visible else self.total - 1))

    def prev_phase(self, i: int, nav: Nav | None = None) -> int:
        runs = nav.phase_runs if nav else self.phase_runs
        return self._before(runs, i, nav.visible[0] if nav and nav.visible else 0)

    def next_request(self, i: int, nav: Nav | None = None) -> int:
        starts = nav.request_starts if nav else self.request_starts
        return self._after(starts, i, (nav.visible[-1] if nav and nav.visible else self.total - 1))

    def prev_request(self, i: int, nav: Nav | None = None) -> int:
        starts = nav.request_starts if nav else self.request_starts
        return self._before(starts, i, nav.visible[0] if nav and nav.visible else 0)

    # -- where each request is -------------------------------------------------------------
    def current_request(self, i: int, client: str) -> Request | None:
        """The request of ``client`` that has begun at step ``i`` (the latest one)."""
        ks = self.client_requests.get(client) or []
        lo, hi = 0, len(ks)
        while lo < hi:  # the last request whose start <= i
            mid = (lo + hi) // 2
            if self.requests[ks[mid]].start <= i:
                lo = mid + 1
            else:
                hi = mid
        return self.requests[ks[lo - 1]] if lo else None

    def token(self, i: int, client: str) -> dict[str, Any] | None:
        """Where ``client``'s current request is at step ``i``, whichever actor's step is
        current: queued in the backlog = kernel; handled = the layer of the server's latest
        step for it (blocked in readline = handler, in a hook = flask, in the view = view),
        except at a step where its answer arrives at the client = client; finished = done.
        None before the client connects."""
        req = self.current_request(i, client)
        if req is None:
            return None
        self.timeline  # noqa: B018 -- fills req.times and req.never
        steps = self.trace.steps
        moving = self.request_of[i] is not None and self.requests[self.request_of[i]] is req
        done = i > req.last or (req.ended_at is not None and i >= req.ended_at)
        if done:
            status = req.times.status if req.times else None
            return {"lane": "client", "style": "done", "request": req, "since": req.last,
                    "status": status, "activity": "done"}
        if moving and self.events[i] == "client_recv":
            # the answer's bytes arrive at the client: that is where the request moves at
            # this step (the lane the step lights), not the handler that wrote them
            return {"lane": "client", "style": "now", "request": req, "since": i,
                    "status": None, "activity": sim.activity_of("client_recv").value,
                    "actor": steps[i].actor}
        if req.queued_at is not None and req.queued_at <= i and (
                req.accepted_at is None or i < req.accepted_at):
            return {"lane": "kernel", "style": "now" if moving else "waiting", "request": req,
                    "since": req.queued_at, "status": None, "activity": "queued"}
        k = bisect.bisect_right(req.server_steps, i) - 1
        if k >= 0:
            at = req.server_steps[k]
            activity = sim.activity_of(self.events[at])
            style = "now" if moving else (
                "waiting" if activity in _WAITING else "idle")
            return {"lane": self.lanes[at], "style": style, "request": req, "since": at,
                    "status": None, "activity": activity.value, "actor": steps[at].actor}
        return {"lane": "client", "style": "now" if moving else "idle", "request": req,
                "since": req.start, "status": None, "activity": "connecting"}

    def never_reached(self, req: Request, i: int, done: bool) -> list[str]:
        """The lanes ``req`` will not reach, as known at step ``i``: what a decision at or
        before ``i`` ruled out, and once it is done, every server lane it did not reach."""
        self.timeline  # noqa: B018 -- fills req.never
        out = {lane for at, lanes in req.never if at <= i for lane in lanes}
        if done:
            out |= {lane for lane in SERVER_LANES if lane not in req.reached}
        return [lane for lane in SERVER_LANES if lane in out]

    def token_positions(self, i: int) -> dict[str, tuple[str, int] | None]:
        """For each client, (lane, step index) of where its request is at step ``i``."""
        out: dict[str, tuple[str, int] | None] = {}
        for c in self.clients:
            tok = self.token(i, c)
            out[c] = (tok["lane"], tok["since"]) if tok else None
        return out

    def request_at(self, i: int, client: str) -> Request | None:
        return self.current_request(i, client)


#: Activities in which a request waits for something outside the server's code.
_WAITING = frozenset({sim.Activity.READING, sim.Activity.SLEEPING, sim.Activity.QUEUED,
                      sim.Activity.WAITING})


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
