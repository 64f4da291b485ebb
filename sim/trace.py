"""Steps, the trace, and the recorder the simulated stack writes them with.

A step is stored as a tuple while the simulation runs (thousands of requests must build in
well under a second) and becomes a :class:`Step` when it is read; its captions are formatted
then, from the templates in :mod:`sim.captions`. The inspector's full snapshot at step ``i``
is rebuilt from the steps' deltas, from the nearest checkpoint.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

from .captions import CAPTIONS
from .errors import LimitExceeded
from .layers import Layer, layer_of


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


_EMPTY: dict[str, Any] = {}
_CHECKPOINT_EVERY = 256


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
        return english.format(**args), chinese.format(**args)
    return english, chinese


class Steps(Sequence[Step]):
    """Random access over the recorded steps; a :class:`Step` is made on each access."""

    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> list[Step]: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._rows)
        t, actor, client, phase, qualname, key, args, line, state, layer, request, decl = self._rows[index]
        english, chinese = _format(key, args)
        return Step(index, t, actor, client, phase, qualname, english, chinese, line,
                    render_delta(state), layer, request, decl, key)

    def __iter__(self) -> Iterator[Step]:
        return (self[i] for i in range(len(self._rows)))


class Trace:
    """What one run of a scenario produced (``wsgiscope/trace@1``)."""

    def __init__(
        self,
        title: str,
        stack: StackInfo,
        rows: list[tuple],
        clients: dict[str, ClientResult],
        log: list[LogLine],
    ) -> None:
        self.title = title
        self.stack = stack
        self._rows = rows
        self.steps = Steps(rows)
        self.clients = clients
        self.log = log
        self._checkpoints: list[dict[str, Any]] = []

    def state_at(self, index: int) -> dict[str, Any]:
        """The inspector's full snapshot after step ``index``."""
        if not 0 <= index < len(self._rows):
            raise IndexError(f"step {index} is out of range (0..{len(self._rows) - 1})")
        self._fill_checkpoints(index // _CHECKPOINT_EVERY)
        base = index // _CHECKPOINT_EVERY
        snapshot = copy.deepcopy(self._checkpoints[base])
        for row in self._rows[base * _CHECKPOINT_EVERY : index + 1]:
            apply_delta(snapshot, row[8])
        return public_snapshot(snapshot)

    def _fill_checkpoints(self, upto: int) -> None:
        if not self._checkpoints:
            self._checkpoints.append(empty_snapshot())
        while len(self._checkpoints) <= upto:
            start = (len(self._checkpoints) - 1) * _CHECKPOINT_EVERY
            snapshot = copy.deepcopy(self._checkpoints[-1])
            for row in self._rows[start : start + _CHECKPOINT_EVERY]:
                apply_delta(snapshot, row[8])
            self._checkpoints.append(snapshot)

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


def empty_snapshot() -> dict[str, Any]:
    return {"backlog": {}, "sockets": {}, "environ": {}, "ctx": {}, "response": {}, "handler": {}}


def public_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as ``state_at`` shows it: the backlog (kept as ``backlog/<client>``
    entries, so a step records one change, not the whole queue) as a list in queue order."""
    return {**snapshot, "backlog": list(snapshot["backlog"])}


def render(value: Any) -> Any:
    """A state value as JSON data: snapshots taken cheaply while simulating (anything with a
    ``render()``) are turned into dicts only when someone looks at them."""
    return value.render() if hasattr(value, "render") else value


def render_delta(delta: dict[str, Any] | None) -> dict[str, Any]:
    if not delta:
        return _EMPTY
    return {key: render(value) for key, value in delta.items()}


def apply_delta(snapshot: dict[str, Any], delta: dict[str, Any] | None) -> None:
    if not delta:
        return
    for key, value in delta.items():
        value = render(value)
        section, _, item = key.partition("/")
        if not item:
            snapshot[section] = value
        elif value is None:
            snapshot[section].pop(item, None)
        else:
            snapshot[section][item] = value


class Recorder:
    """Collects steps and console lines while the simulation runs.

    Besides what the caller says, each step gets its layer (from the caller, or from
    :data:`sim.layers.LAYERS` for the function it stands for; a server step with no
    function of its own stays in its actor's previous layer) and the number of the request
    its connection is on (:meth:`next_request` starts a new one).
    """

    def __init__(self, clock, max_steps: int) -> None:
        self._clock = clock
        self.rows: list[tuple] = []
        self.log_lines: list[LogLine] = []
        self.max_steps = max_steps
        #: the layer of each server actor's latest step
        self._actor_layer: dict[str, Layer] = {}
        #: the request each client's connection is on
        self._request: dict[str, int] = {}

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
        if layer is None:
            layer = self._layer_of(actor, client, qualname)
        if qualname is not None or actor not in (client, "kernel"):
            self._actor_layer[actor] = layer
        request = None if client is None else self._request.get(client, 1)
        self.rows.append((self._clock.now, actor, client, phase, qualname, key, args, line, state,
                          layer, request, decl))

    def _layer_of(self, actor: str, client: str | None, qualname: str | None) -> Layer:
        if qualname is not None:
            return layer_of(qualname)
        if actor == "kernel":
            return Layer.KERNEL
        if actor == client:
            return Layer.CLIENT
        # A server step with no function of its own ("readline returned 16 bytes") is the
        # outcome of the call before it, in the same place.
        return self._actor_layer.get(actor, Layer.LOOP)

    def next_request(self, client: str) -> None:
        """The connection of ``client`` starts its next request (a keep-alive connection's
        ``handle_one_request`` after the first)."""
        self._request[client] = self._request.get(client, 1) + 1

    def check_limit(self) -> None:
        """Called by the scheduler after every event (an event records a few dozen steps
        at most, so the limit holds to within that)."""
        if len(self.rows) > self.max_steps:
            raise LimitExceeded("clients", f"the simulation would take more than {self.max_steps} steps")

    def log(self, actor: str, line: str) -> None:
        self.log_lines.append(LogLine(self._clock.now, actor, line))

    def seal(self) -> tuple[list[tuple], list[LogLine]]:
        """End the recording and hand over what was recorded. Anything recorded later goes
        nowhere: when the simulation ends, actors still blocked (a thread waiting in
        ``read`` for a body that never comes) are closed, and Python runs their ``finally``
        blocks; in reality those threads are still blocked, so that is not a step."""
        rows, lines = self.rows, self.log_lines
        self.rows, self.log_lines = [], []
        return rows, lines
