"""Steps, the trace, and the recorder the simulated stack writes them with.

A step is stored as a row of plain values while the simulation runs (thousands of requests must build in
well under a second) and becomes a :class:`Step` when it is read; its captions are formatted
then, from the templates in :mod:`sim.captions`. The inspector's full snapshot at step ``i``
is rebuilt from the steps' deltas, from the nearest checkpoint.
"""

from __future__ import annotations

import bisect
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from typing import Any, overload

from .actors import is_loop_actor, process_names
from .captions import CAPTIONS
from .errors import LimitExceeded
from .layers import LAYERS, Layer, layer_of


class Phase(StrEnum):
    """What part of a request's life a step belongs to, in order (DESIGN.md, "Phases")."""

    STARTUP = "startup"
    LISTEN = "listen"
    SELECT = "select"
    ACCEPT = "accept"
    SETUP = "setup"
    READ = "read"
    PARSE = "parse"
    RUN_WSGI = "run_wsgi"
    APP = "app"
    HOOKS = "hooks"
    DISPATCH = "dispatch"
    RESPOND = "respond"
    TEARDOWN = "teardown"
    CLOSE = "close"


PHASES = tuple(phase.value for phase in Phase)
_PHASES: dict[str, Phase] = {phase.value: phase for phase in Phase}
_LAYERS: dict[str, Layer] = {layer.value: layer for layer in Layer}
#: phase -> its value, for Recorder.step: a lookup (by str's hash) costs less than ``._value_``
_PHASE_VALUES: dict[Phase, str] = {phase: phase._value_ for phase in Phase}


class ClientEnd(StrEnum):
    """How a client's connection ended (DESIGN.md: ``clients.<id>.end``)."""

    #: the server closed and the client read to the end
    EOF = "eof"
    #: the client's kernel got an RST (a read or a send failed with ECONNRESET/EPIPE)
    RESET = "reset"
    #: ``read_timeout`` ms of silence, or ``connect()`` gave up on a full backlog
    TIMEOUT = "timeout"
    #: the client closed (``then: "close"`` or ``"reset"``) before the server did
    CLIENT_CLOSED = "client_closed"
    #: still connected when the simulation ran out of events
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Step:
    i: int
    t: int
    actor: str
    client: str | None
    phase: Phase
    qualname: str | None
    caption: str
    caption_zh: str
    #: a fragment of the real source line lit at this step (None: the ``def`` line)
    line: str | None
    #: what this step changed in the inspector snapshot
    state: dict[str, Any]
    #: where the work happens (the lane)
    layer: Layer
    #: the number (from 1) of the request on ``client``'s connection that this step serves;
    #: None when ``client`` is None
    request: int | None
    #: for a step that runs a declared hook, view or error handler: a JSON pointer to that
    #: declaration in the scenario (``/app/before_request/0``, ``/app/routes/2/view``)
    decl: str | None
    #: the kind of event, stable across languages and versions (``handle_one_request``,
    #: ``hook_before_request``, ``client_send``): the caption's template key
    event: str

    def to_json(self) -> dict[str, Any]:
        return {
            "i": self.i,
            "t": self.t,
            "actor": self.actor,
            "client": self.client,
            "request": self.request,
            "phase": self.phase.value,
            "layer": self.layer.value,
            "event": self.event,
            "qualname": self.qualname,
            "decl": self.decl,
            "caption": self.caption,
            "caption_zh": self.caption_zh,
            "line": self.line,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class ClientResult:
    received: bytes
    end: ClientEnd


@dataclass(frozen=True, slots=True)
class StackInfo:
    """Which stack a trace simulates, and the versions of the libraries it models."""

    kind: str
    #: e.g. ``{"python": "3.11.7", "werkzeug": "3.1.9", "flask": "3.1.3"}``
    versions: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "versions": dict(self.versions)}


@dataclass(frozen=True, slots=True)
class LogLine:
    t: int
    actor: str
    line: str


class LogLines(Sequence[LogLine]):
    """A run's console lines, kept as ``(t, actor, line)`` tuples; a :class:`LogLine` is
    made on each access. A tuple of a number and strings is one the cyclic GC stops
    tracking, a slotted instance one it walks at every full collection: the 10,000 lines of
    a 10,000-client run were enough to set one off."""

    def __init__(self, lines: list[tuple[int, str, str]]) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    @overload
    def __getitem__(self, index: int) -> LogLine: ...
    @overload
    def __getitem__(self, index: slice) -> list[LogLine]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [LogLine(*line) for line in self._lines[index]]
        return LogLine(*self._lines[index])

    def __iter__(self) -> Iterator[LogLine]:
        return (LogLine(*line) for line in self._lines)


_EMPTY: dict[str, Any] = {}
_CHECKPOINT_EVERY = 256
#: connections finished on both sides that the inspector snapshot still shows (see
#: :meth:`Recorder.connection_over`)
KEEP_FINISHED = 32


def preview(data: bytes, limit: int = 60) -> str:
    """Raw bytes in a caption: latin-1 text, CR and LF made visible, cut at ``limit``."""
    text = data[: limit + 1].decode("latin-1").replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format(key: str, args: dict[str, Any] | None) -> tuple[str, str]:
    """The step's captions; raw bytes among the args are shown with :func:`preview`."""
    english, chinese = CAPTIONS[key]
    if args:
        args = {k: preview(v) if isinstance(v, bytes) else v for k, v in args.items()}
        if isinstance(args.get("n"), int):
            # "1 byte", "2 bytes": English counts need the plural, Chinese does not
            args["bytes"] = f"{args['n']} byte" + ("" if args["n"] == 1 else "s")
        if isinstance(args.get("process"), str):
            # named as the timeline's track names it: "child 1", not the actor id
            en, zh = process_names(args["process"])
            return english.format(**{**args, "process": en}), chinese.format(**{**args, "process": zh})
        return english.format(**args), chinese.format(**args)
    return english, chinese


#: how many recorded values a sealed block of a :class:`Column` holds
BLOCK = 4096


class Column:
    """An append-only list of recorded values that the cyclic GC does not walk one by one.

    A full collection visits every item of every list it meets: a 10,000-client run
    records 610,000 step tuples, and walking them took most of the run's collections (0.7 s
    of 2.6 s) and then part of every full collection of the program holding the trace.
    Here values are appended to ``tail``, a plain list (the recorder binds its ``append``),
    and :meth:`seal` moves full blocks of ``size`` out of it into tuples: a tuple whose
    items are untracked is untracked itself at the next collection, so a sealed block costs
    the GC nothing. ``seal`` leaves at least one block in the tail, so the latest values
    can still be replaced in place while their step is being recorded."""

    __slots__ = ("blocks", "size", "tail")

    def __init__(self, size: int = BLOCK) -> None:
        self.blocks: list[tuple] = []
        self.tail: list[Any] = []
        #: how many values a sealed block holds
        self.size = size

    def __len__(self) -> int:
        return len(self.blocks) * self.size + len(self.tail)

    def __getitem__(self, index: int) -> Any:
        block, k = divmod(index, self.size)
        blocks = self.blocks
        return blocks[block][k] if block < len(blocks) else self.tail[index - len(blocks) * self.size]

    def __iter__(self) -> Iterator[Any]:
        for block in self.blocks:
            yield from block
        yield from self.tail

    def range(self, start: int, stop: int) -> list[Any]:
        """Values ``start`` to ``stop - 1``, in order."""
        out: list[Any] = []
        size = self.size
        sealed = len(self.blocks) * size
        while start < min(stop, sealed):
            block, k = divmod(start, size)
            piece = self.blocks[block][k : k + min(stop - start, size - k)]
            out.extend(piece)
            start += len(piece)
        if start < stop:
            out.extend(self.tail[start - sealed : stop - sealed])
        return out

    def seal(self) -> int:
        """Move full blocks out of the tail (keeping one there); how many values are sealed."""
        tail, size = self.tail, self.size
        while len(tail) >= 2 * size:
            self.blocks.append(tuple(tail[:size]))
            del tail[:size]
        return len(self.blocks) * size


#: the values of one recorded step (see :class:`Table`): t, actor, client, phase, qualname,
#: key, line, layer, request, decl
STEP_WIDTH = 10
#: how long the steps' tail grows before :meth:`Recorder.check_limit` seals a block of it
_SEAL_AT = 2 * STEP_WIDTH * BLOCK


class Table:
    """Rows of ``width`` values each, laid out one after another in one :class:`Column`
    (whose blocks hold whole rows): a row costs no object of its own. A tuple per row is
    one more container the cyclic GC counts: the steps of a 10,000-client run were 610,000
    of them, half of what the run's young collections had to look at."""

    __slots__ = ("values", "width")

    def __init__(self, width: int = STEP_WIDTH) -> None:
        self.width = width
        self.values = Column(width * BLOCK)

    def __len__(self) -> int:
        return len(self.values) // self.width

    @property
    def blocks(self) -> list[tuple]:
        """The sealed blocks, :data:`BLOCK` rows each."""
        return self.values.blocks

    def row(self, index: int) -> tuple:
        width, values = self.width, self.values
        start = index * width
        block, k = divmod(start, values.size)
        if block < len(values.blocks):
            return values.blocks[block][k : k + width]
        k = start - len(values.blocks) * values.size
        return tuple(values.tail[k : k + width])

    def __iter__(self) -> Iterator[tuple]:
        values = iter(self.values)
        return zip(*(values,) * self.width, strict=True)  # ``width`` values at a time


class Sparse:
    """Values that only some steps have, with the steps they belong to: ``values[k]`` is
    step ``rows[k]``'s (in step order, so a lookup is a binary search)."""

    __slots__ = ("rows", "values")

    def __init__(self) -> None:
        self.rows = array("q")
        self.values = Column()

    def get(self, index: int) -> Any:
        k = bisect.bisect_left(self.rows, index)
        if k < len(self.rows) and self.rows[k] == index:
            return self.values[k]
        return None

    def between(self, first: int, last: int) -> list[Any]:
        """The values of steps ``first`` to ``last`` (both included), in order."""
        rows = self.rows
        return self.values.range(bisect.bisect_left(rows, first), bisect.bisect_right(rows, last))


@dataclass(slots=True, eq=False)
class Rows:
    """What a run recorded, as compact as it can be while it runs: one row per step of
    strings and numbers (enums as their values, see :class:`Table`), and beside them the
    captions' arguments and the state deltas of the steps that have them. A tuple that
    holds no dict is one the cyclic GC stops tracking at its first collection (a dict in it
    would keep it tracked, even an empty one), so a long trace is not walked again and
    again by the collections of the program that runs the engine."""

    steps: Table = field(default_factory=Table)
    args: Sparse = field(default_factory=Sparse)
    states: Sparse = field(default_factory=Sparse)


class Steps(Sequence[Step]):
    """Random access over the recorded steps; a :class:`Step` is made on each access."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self._steps = rows.steps

    def __len__(self) -> int:
        return len(self._steps)

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> list[Step]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._steps)
        t, actor, client, phase, qualname, key, line, layer, request, decl = self._steps.row(index)
        english, chinese = _format(key, self._rows.args.get(index))
        return Step(index, t, actor, client, _PHASES[phase], qualname, english, chinese, line,
                    render_delta(self._rows.states.get(index)), _LAYERS[layer], request, decl, key)

    def __iter__(self) -> Iterator[Step]:
        return (self[i] for i in range(len(self._steps)))


class Trace:
    """What one run of a scenario produced (``wsgiscope/trace@1``)."""

    def __init__(
        self,
        title: str,
        stack: StackInfo,
        rows: Rows,
        clients: dict[str, ClientResult],
        log: Sequence[LogLine],
    ) -> None:
        self.title = title
        self.stack = stack
        self._rows = rows
        self.steps = Steps(rows)
        self.clients = clients
        self.log = log
        #: snapshots after steps ``_checkpoint_steps[k]`` (see :meth:`_checkpoint_before`)
        self._checkpoints: list[dict[str, dict[str, Any]]] = []
        self._checkpoint_steps: list[int] = []

    def state_at(self, index: int) -> dict[str, Any]:
        """The inspector's full snapshot after step ``index``: the nearest checkpoint at or
        before it, plus the deltas of the steps in between, rendered (made JSON) only now."""
        if not 0 <= index < len(self.steps):
            raise IndexError(f"step {index} is out of range (0..{len(self.steps) - 1})")
        at, checkpoint = self._checkpoint_before(index)
        snapshot = {section: dict(entries) for section, entries in checkpoint.items()}
        for delta in self._rows.states.between(at + 1, index):
            apply_delta(snapshot, delta)
        return public_snapshot(render_snapshot(snapshot))

    def _checkpoint_before(self, index: int) -> tuple[int, dict[str, dict[str, Any]]]:
        """The latest checkpoint at or before ``index``: ``(step, snapshot after it)``, with
        values left as recorded (views, not yet rendered). Checkpoints are made on the first
        call that needs them, walking forward from the last one. A checkpoint copies every
        entry of the snapshot, so the next one comes after at least as many steps as it has
        entries (and at least :data:`_CHECKPOINT_EVERY`): checkpoints never take more memory
        than about one entry per step, and a snapshot is rebuilt from at most that many
        deltas."""
        steps = self._checkpoint_steps
        if not steps:
            snapshot = empty_snapshot()
            apply_delta(snapshot, self._rows.states.get(0))
            steps.append(0)
            self._checkpoints.append(snapshot)
        rows = self._rows
        while True:
            last, snapshot = steps[-1], self._checkpoints[-1]
            stop = last + max(_CHECKPOINT_EVERY, sum(map(len, snapshot.values())))
            if stop > index:
                break
            snapshot = {section: dict(entries) for section, entries in snapshot.items()}
            for delta in rows.states.between(last + 1, stop):
                apply_delta(snapshot, delta)
            steps.append(stop)
            self._checkpoints.append(snapshot)
        pos = bisect.bisect_right(steps, index) - 1
        return steps[pos], self._checkpoints[pos]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "wsgiscope/trace@1",
            "title": self.title,
            "stack": self.stack.to_json(),
            "steps": [step.to_json() for step in self.steps],
            "clients": {
                cid: {"received": result.received.decode("latin-1"), "end": result.end.value}
                for cid, result in self.clients.items()
            },
            "log": [{"t": entry.t, "actor": entry.actor, "line": entry.line} for entry in self.log],
        }


def step_facts(trace: Trace) -> list[tuple[int, int, str, str | None, int | None, Layer, str]]:
    """``(i, t, actor, client, request, layer, event)`` of every step, read off the recorded
    rows without making :class:`Step` objects (which format captions): for the engine's own
    summaries of a whole trace (:mod:`sim.timeline`). The rows' layout stays private here."""
    layers = _LAYERS
    return [(i, r[0], r[1], r[2], r[8], layers[r[7]], r[5]) for i, r in enumerate(trace._rows.steps)]


def step_args(trace: Trace, index: int) -> dict[str, Any]:
    """The caption arguments recorded for step ``index`` (raw bytes as bytes), read without
    making a :class:`Step`: for the engine's own summaries (:mod:`sim.timeline`)."""
    return trace._rows.args.get(index) or {}


def empty_snapshot() -> dict[str, Any]:
    return {"backlog": {}, "sockets": {}, "environ": {}, "ctx": {}, "response": {}, "handler": {}}


def public_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as ``state_at`` shows it: the backlog (kept as ``backlog/<client>``
    entries, so a step records one change, not the whole queue) as a list in queue order."""
    return {**snapshot, "backlog": list(snapshot["backlog"])}


#: A view is how a step records a piece of inspector state cheaply: a flat tuple
#: ``(tag, *fields)`` of strings, numbers, bytes and byte arrays (no tuples in it: pairs
#: such as headers are laid out flat, see :func:`flat_pairs`), turned into JSON data by
#: ``VIEWS[tag]`` only when someone looks at the step. A tuple of such values is untracked
#: by the cyclic garbage collector at its first collection, and so is a delta holding only
#: views and strings (see :data:`Delta`): a trace of a million steps adds almost nothing to
#: the collections of the run or of the host program; a class instance would be tracked for
#: ever.
VIEWS: dict[str, Callable[[tuple], Any]] = {}


def view(tag: str) -> Callable[[Callable[[tuple], Any]], Callable[[tuple], Any]]:
    """Register the function that renders views tagged ``tag``."""
    def register(func: Callable[[tuple], Any]) -> Callable[[tuple], Any]:
        VIEWS[tag] = func
        return func
    return register


_chain_pairs = chain.from_iterable  # bound once: flat_pairs runs a few times per request


def flat_pairs(pairs: Iterable[tuple[str, str]] | None) -> tuple[str, ...]:
    """``[(name, value), ...]`` (headers) as ``(name, value, name, value, ...)``, for a view."""
    return () if pairs is None else tuple(_chain_pairs(pairs))


def pairs_of(flat: Sequence[Any]) -> list[list[Any]]:
    """The pairs :func:`flat_pairs` laid out, as JSON lists."""
    return [[flat[k], flat[k + 1]] for k in range(0, len(flat), 2)]


def render(value: Any) -> Any:
    """A state value as JSON data: a view (a tuple, see :data:`VIEWS`) is rendered now;
    anything else is JSON data already."""
    if type(value) is tuple:
        return VIEWS[value[0]](value)
    return value


#: A recorded delta: the dict the step was given while its caller may still fill it in
#: (``write``'s effects, complete by the end of the event), or its keys and then its values
#: in one flat tuple. Flat, so that the cyclic GC untracks it at the first collections it
#: meets: CPython untracks a tuple once none of its items may be tracked, and a collection
#: checks a container before what it holds, so each collection lets go of one level of
#: nesting. A delta of pairs of views of tuples (four levels) outlived the young
#: collections, and 140,000 of them in a 10,000-client run made the run's nine full
#: collections (docs/benchmarks.md).
Delta = dict[str, Any] | tuple[Any, ...]


def flat_delta(state: dict[str, Any]) -> tuple[Any, ...]:
    return (*state, *state.values())


def _items(delta: Delta):
    if type(delta) is dict:
        return delta.items()
    half = len(delta) // 2
    return zip(delta[:half], delta[half:], strict=True)


def render_delta(delta: Delta | None) -> dict[str, Any]:
    if not delta:
        return _EMPTY
    return {key: render(value) for key, value in _items(delta)}


def apply_delta(snapshot: dict[str, Any], delta: Delta | None) -> None:
    """Apply one step's delta to a snapshot whose values are as recorded (not rendered)."""
    if not delta:
        return
    for key, value in _items(delta):
        section, _, item = key.partition("/")
        if not item:
            snapshot[section] = value
        elif value is None:
            snapshot[section].pop(item, None)
        else:
            snapshot[section][item] = value


def render_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {section: {key: render(value) for key, value in entries.items()}
            if isinstance(entries, dict) else render(entries)
            for section, entries in snapshot.items()}


_intern = sys.intern
#: qualname -> (the qualname interned, its layer's value), for every function of
#: :data:`sim.layers.LAYERS`: one lookup gives :meth:`Recorder.step` both
_KNOWN: dict[str, tuple[str, str]] = {_intern(q): (_intern(q), layer._value_) for q, layer in LAYERS.items()}
_KNOWN_GET = _KNOWN.get
_CLIENT, _KERNEL, _LOOP = Layer.CLIENT._value_, Layer.KERNEL._value_, Layer.LOOP._value_


def _unknown(qualname: str) -> tuple[str, str]:
    return _intern(qualname), layer_of(qualname)._value_  # layer_of raises, naming it


class Recorder:
    """Collects steps and console lines while the simulation runs.

    Besides what the caller says, each step gets its layer (from the caller, or from
    :data:`sim.layers.LAYERS` for the function it stands for; a server step with no
    function of its own stays in its actor's previous layer) and the number of the request
    its connection is on (:meth:`next_request` starts a new one).
    """

    def __init__(self, clock, max_steps: int) -> None:
        self._clock = clock
        self.rows = Rows()
        self._take(self.rows)
        #: ``(t, actor, line)`` (see :class:`LogLines`)
        self.log_lines: list[tuple[int, str, str]] = []
        self.max_steps = max_steps
        #: the layer (its value) of each server actor's latest step
        self._actor_layer: dict[str, str] = {}
        #: the request each client's connection is on
        self._request: dict[str, int] = {}
        #: the server actor that last worked on each client's connection
        self._served_by: dict[str, str] = {}
        #: connections one side of which is over: client -> that side
        self._over: dict[str, str] = {}
        #: connections over on both sides, oldest first, still shown in the snapshot
        self._finished: deque[str] = deque()
        #: while set, nothing is recorded: the cleanup of threads whose process has exited
        #: (Python runs their ``finally`` blocks; the real threads just stop)
        self.muted = False

    def step(
        self,
        actor: str,
        client: str | None,
        phase: Phase,
        qualname: str | None,
        key: str,
        args: dict[str, Any] | None = None,
        line: str | None = None,
        state: dict[str, Any] | None = None,
        *,
        layer: Layer | None = None,
        decl: str | None = None,
    ) -> None:
        # The hottest function of a run (every step of every request comes here): the
        # common cases are tested first, without calls. Layers are kept as their values.
        if self.muted:
            return
        if layer is not None:
            layer = layer._value_
            if qualname is not None:
                qualname = _intern(qualname)  # a declaration's (``app.<name>``), not in LAYERS
        elif qualname is not None:
            # The names are interned: some are built per call (``app.<name>``, f-strings),
            # and a million steps would otherwise keep a million copies of sixty strings.
            qualname, layer = _KNOWN_GET(qualname) or _unknown(qualname)
        elif actor == client:
            layer = _CLIENT
        elif actor == "kernel":
            layer = _KERNEL
        else:
            # A server step with no function of its own ("readline returned 16 bytes") is
            # the outcome of the call before it, in the same place.
            layer = self._actor_layer.get(actor, _LOOP)
        if client is None:
            request = None
            if actor != "kernel":
                self._actor_layer[actor] = layer
        else:
            request = self._request.get(client, 1)
            if actor != client and actor != "kernel":
                self._actor_layer[actor] = layer
                self._served_by[client] = actor
        if args is not None:
            self._arg_rows.append(self._count)
            self._arg_values.append(args)
        if state is not None:
            self._state_rows.append(self._count)
            if len(state) == 1:
                [item] = state.items()  # flat_delta of one entry: the (key, value) pair itself
                self._states.append(item)
            elif state:
                self._states.append((*state, *state.values()))  # flat_delta, inlined
            else:
                # An empty dict is one the caller fills in once the step's work is done
                # (``write``'s effects): made flat after the event (:meth:`_settle`).
                self._filling.append(len(self._states))
                self._states.append(state)
        self._count += 1
        steps = self._steps
        # The phase is stored as its plain string value (see Rows); the key interned.
        steps += (self._clock.now, actor, client, _PHASE_VALUES[phase], qualname, _intern(key), line,
                  layer, request, decl)  # one row of the Table, no tuple kept

    def connection_over(self, client: str, side: str) -> None:
        """One side (``"client"`` or ``"server"``) of ``client``'s connection is done with it.

        Once both are, the connection is finished; the snapshot keeps the
        :data:`KEEP_FINISHED` connections that finished last, and the step where one more
        finishes removes the oldest one's entries (socket, environ, response, handler, and
        the context stacks of the worker thread that served it), as a server forgets a
        connection once both sides have closed it. So a snapshot holds what is live plus a
        few recent connections, and ``state_at`` costs the same at step 100 and at step
        500,000 of a 10,000-client trace."""
        over = self._over.get(client)
        if over is None or over == side:
            self._over[client] = side
            return
        del self._over[client]
        self._finished.append(client)
        if len(self._finished) > KEEP_FINISHED:
            self._forget(self._finished.popleft())

    def _forget(self, client: str) -> None:
        gone: dict[str, Any] = {"sockets/" + client: None, "environ/" + client: None,
                                "response/" + client: None, "handler/" + client: None}
        actor = self._served_by.pop(client, None)
        if actor is not None and not is_loop_actor(actor):
            gone[f"ctx/{actor}"] = None  # a worker thread serves one connection
        last = self._count - 1
        if self._state_rows and self._state_rows[-1] == last:
            delta = self._states[-1]
            if type(delta) is dict:
                delta.update(gone)  # the step's own delta dict (it may still be filling in)
            else:
                self._states[-1] = flat_delta({**dict(_items(delta)), **gone})
        else:
            self._state_rows.append(last)
            self._states.append(flat_delta(gone))

    def next_request(self, client: str) -> None:
        """The connection of ``client`` starts its next request (a keep-alive connection's
        ``handle_one_request`` after the first)."""
        self._request[client] = self._request.get(client, 1) + 1

    def check_limit(self) -> None:
        """Called by the scheduler after every event (an event records a few dozen steps
        at most, so the limit holds to within that); seals full blocks of the recording
        between events, never inside one (:meth:`_forget` may still replace the delta of the
        step being recorded)."""
        if self._filling:
            self._settle()
        if len(self._steps) >= _SEAL_AT:
            self._seal()
        if self._count > self.max_steps:
            raise LimitExceeded("clients", f"the simulation would take more than {self.max_steps} steps")

    def log(self, actor: str, line: str) -> None:
        if not self.muted:
            self.log_lines.append((self._clock.now, actor, line))

    def seal(self) -> tuple[Rows, LogLines]:
        """End the recording and hand over what was recorded. Anything recorded later goes
        nowhere: when the simulation ends, actors still blocked (a thread waiting in
        ``read`` for a body that never comes) are closed, and Python runs their ``finally``
        blocks; in reality those threads are still blocked, so that is not a step."""
        self._settle()
        rows, lines = self.rows, self.log_lines
        self.rows, self.log_lines = Rows(), []
        self._take(self.rows)
        return rows, LogLines(lines)

    def _take(self, rows: Rows) -> None:
        """Record into ``rows`` (its parts bound to attributes: :meth:`step` runs a million
        times in a large run)."""
        self._steps = rows.steps.values.tail
        #: steps recorded so far: the index of the next one
        self._count = 0
        self._arg_rows, self._arg_values = rows.args.rows, rows.args.values.tail
        self._state_rows, self._states = rows.states.rows, rows.states.values.tail
        #: where in ``_states`` deltas are dicts still being filled in
        self._filling: list[int] = []

    def _settle(self) -> None:
        """Make the deltas filled in during the event just over flat (see :data:`Delta`)."""
        states = self._states
        for k in self._filling:
            states[k] = flat_delta(states[k])
        self._filling.clear()

    def _seal(self) -> None:
        """Seal the full blocks of what is recorded so far (see :class:`Column`)."""
        rows = self.rows
        rows.steps.values.seal()
        rows.args.values.seal()
        rows.states.values.seal()
