"""The budget every scenario must fit in, checked before any work is done.

Theory of operation. Running a scenario costs time and memory in proportion to its steps
(about 3 µs and at most about 1.2 KB each, ``docs/benchmarks.md``), plus the bytes it sends.
So the budget is a number of steps, :data:`MAX_STEPS`, and :func:`estimate` bounds a
scenario's steps from above from what it declares, without running it: its clients, their
chunks and the lines in them, the requests those can carry, the app's hooks, the longest
stream view, and the timers that retry a full backlog. A scenario whose bound is past the
budget is refused with :class:`~sim.errors.LimitExceeded` naming the limit and the figure;
one within it runs to its end (the recorder keeps the same limit as a backstop, and
``tests/sim/test_budget.py`` checks the bound against real runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import LimitExceeded

if TYPE_CHECKING:
    from .scenario import App, Scenario

#: No scenario may take more steps than this (about 4.5 s and at most 1.8 GB; the
#: 10,000-client benchmark takes 620,000).
MAX_STEPS = 1_500_000

#: Steps before the first client is served: startup, bind, listen, the loop's first turn.
STARTUP_STEPS = 60
#: A client's own steps besides its chunks: connect, queued, the read side, the end, and up
#: to 6 dropped SYNs (``sim.kernel.SYN_RETRIES``) with the final timeout.
CLIENT_STEPS = 8
#: Steps per chunk: the send, and a server read that may return it alone.
CHUNK_STEPS = 2
#: Steps per line the client sends (``readline`` and its parse; the header parser).
LINE_STEPS = 2
#: Steps of one request through the stack with no hooks: accept to close, the app's
#: context pushes and pops, signals, routing, the view, start_response, the writes, an
#: error handler and a 500 page after a failure.
REQUEST_STEPS = 58
#: Steps per declared hook, error handler or url_value_preprocessor, per request.
HOOK_STEPS = 4
#: Steps per stream item: the generator's turn, its interval sleep, the write, the
#: client's read.
ITEM_STEPS = 4


@dataclass(frozen=True, slots=True)
class Estimate:
    """An upper bound on what a scenario will take."""

    steps: int
    #: bytes the clients send
    sent: int


def _hooks(app: App) -> int:
    """Hooks and error handlers the app and its blueprints declare (a request runs at most
    all of them)."""
    return len(app.teardown_appcontext) + sum(
        len(part.before_request) + len(part.after_request) + len(part.teardown_request)
        + len(part.url_value_preprocessors) + len(part.errorhandlers)
        for part in (app, *app.blueprints))


def _longest_stream(app: App) -> int:
    routes = [*app.routes, *(route for bp in app.blueprints for route in bp.routes)]
    return max((len(route.view.stream) for route in routes if route.view.stream is not None),
               default=0)


def estimate(scenario: Scenario) -> Estimate:
    """An upper bound on the steps ``scenario`` takes, from its declarations alone."""
    app = scenario.app
    per_request = REQUEST_STEPS + HOOK_STEPS * _hooks(app) + ITEM_STEPS * _longest_stream(app)
    # Werkzeug 3 always answers ``Connection: close``: one request per connection. Other
    # stacks may keep a connection alive; each further request needs a blank line.
    keep_alive = scenario.server.kind != "werkzeug"
    steps = STARTUP_STEPS
    sent = 0
    for client in scenario.clients:
        size = lines = blank = 0
        for chunk in client.send:
            data = chunk.data
            size += len(data)
            lines += data.count("\n")
            if keep_alive:
                blank += data.count("\n\r\n") + data.count("\n\n")
        sent += size
        requests = 1 + blank if keep_alive else 1
        steps += (CLIENT_STEPS + CHUNK_STEPS * len(client.send) + LINE_STEPS * lines
                  + per_request * requests)
    return Estimate(steps, sent)


def check(scenario: Scenario, max_sent: int) -> Estimate:
    """Refuse a scenario past the budget, naming the limit; else its estimate."""
    bound = estimate(scenario)
    if bound.sent > max_sent:
        raise LimitExceeded("clients", f"the clients send {bound.sent} bytes; the limit is {max_sent}")
    if bound.steps > MAX_STEPS:
        raise LimitExceeded(
            "clients",
            f"the scenario may take up to {bound.steps} steps (its clients, chunks, lines, "
            f"requests, hooks and stream items); the limit is {MAX_STEPS} steps")
    return bound
