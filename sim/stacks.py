"""The registry of stacks: what each ``server.kind`` is, how it starts, its defaults, and the
versions of the real libraries it simulates.

Data only (no stack module is imported here), so the scenario model can read the defaults
and the engine can dispatch on the kind. A stack whose model is still being written is
listed with ``implemented=False``: a scenario for it is valid, and ``sim.run`` refuses it by
name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

#: The CPython release whose ``socketserver``, ``http.server`` and ``wsgiref`` are modelled
#: (``parse_request``'s version checks changed within 3.11).
PYTHON_VERSION = "3.11.7"


@dataclass(frozen=True, slots=True)
class StackSpec:
    kind: str
    #: what a person calls it
    title: str
    #: the ``server.start`` values this stack accepts, the default first
    starts: tuple[str, ...]
    #: the starts that run a thread per connection unless ``server.threaded`` says otherwise
    #: (Flask's ``app.run`` passes ``threaded=True``; ``run_simple`` and ``make_server`` don't)
    threaded_starts: frozenset[str]
    #: what the server passes to ``listen()`` (``server.backlog`` overrides it)
    backlog: int
    #: the starts whose ``serve_forever`` gets the scenario's ``poll_interval``: a script that
    #: calls it itself (``make_server(...).serve_forever(poll_interval)``); ``run_simple``
    #: (and so ``app.run``) calls ``srv.serve_forever()``, which polls every 0.5 s
    poll_starts: frozenset[str]
    #: the real libraries modelled, by distribution name
    versions: Mapping[str, str]
    #: whether the engine simulates it yet
    implemented: bool

    @property
    def default_start(self) -> str:
        return self.starts[0]

    def runs_threads(self, start: str | None, threaded: bool | None) -> bool:
        """Whether a server started so runs a thread per connection: ``threaded`` if the
        scenario says, else what the start does by default. ``app.run`` sets
        ``threaded=True`` whatever ``processes`` is (``options.setdefault``), so
        ``app.run(processes=4)`` without ``threaded=False`` asks for both, which
        ``make_server`` refuses (validation says so: ``Server._consistent``)."""
        if threaded is not None:
            return threaded
        return (start or self.default_start) in self.threaded_starts


STACKS: Mapping[str, StackSpec] = MappingProxyType({
    "werkzeug": StackSpec(
        kind="werkzeug",
        title="Werkzeug 3 dev server + Flask 3",
        starts=("app.run", "run_simple", "make_server"),
        threaded_starts=frozenset({"app.run"}),
        # werkzeug.serving.LISTEN_QUEUE
        backlog=128,
        poll_starts=frozenset({"make_server"}),
        versions=MappingProxyType({"python": PYTHON_VERSION, "werkzeug": "3.1.9", "flask": "3.1.3"}),
        implemented=True,
    ),
    "werkzeug-legacy": StackSpec(
        kind="werkzeug-legacy",
        title="Werkzeug 0.16 dev server + Flask 1.1",
        starts=("app.run", "run_simple", "make_server"),
        threaded_starts=frozenset({"app.run"}),
        backlog=128,
        # 0.16's BaseWSGIServer.serve_forever() takes no poll_interval
        poll_starts=frozenset(),
        versions=MappingProxyType({"python": PYTHON_VERSION, "werkzeug": "0.16.1", "flask": "1.1.4"}),
        implemented=True,
    ),
    "wsgiref": StackSpec(
        kind="wsgiref",
        title="the standard library's wsgiref",
        # make_server(...).serve_forever(), or make_server(...).handle_request() once
        starts=("make_server", "handle_request"),
        threaded_starts=frozenset(),
        # socketserver.TCPServer.request_queue_size
        backlog=5,
        # handle_request() has no loop to poll
        poll_starts=frozenset({"make_server"}),
        # wsgiref is the standard library's (its own __version__ is 0.2, the Server header's
        # "WSGIServer/0.2"); Flask 3.1.3 + Werkzeug 3.1.9 when the app is a Flask app
        versions=MappingProxyType({"python": PYTHON_VERSION, "wsgiref": "0.2", "flask": "3.1.3",
                                   "werkzeug": "3.1.9"}),
        implemented=True,
    ),
})
