"""What every simulated layer shares: the clock, the kernel, the recorder, the console."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..actors import MAIN, thread_actor
from ..kernel import Connection, Kernel, Listener
from ..mimetable import SNAPSHOT, MimeTypes
from ..scenario import Scenario
from ..scheduler import Scheduler, Waitable
from ..trace import Recorder

#: The simulated wall clock starts here (2026-01-01 00:00:00 UTC): ``Date`` headers and
#: log lines show ``VIRTUAL_EPOCH + t``. The real stack's dates differ; the fidelity
#: harness normalizes them.
VIRTUAL_EPOCH = 1_767_225_600


@dataclass(slots=True, eq=False)
class Process:
    """A simulated operating-system process, as far as the dev server cares: the actor of
    its ``MainThread``, the part of ``os.environ`` Werkzeug reads (``WERKZEUG_RUN_MAIN``,
    ``WERKZEUG_SERVER_FD``), and how many threads it has started.

    The process a person starts is ``main``; the reloader's children are ``child-1``,
    ``child-2`` ... (one per restart), and their threads ``child-1/thread-1`` (the one
    running ``inner``), ``child-1/thread-2`` ...: ``threading`` numbers unnamed threads per
    process, so each child counts from 1 again."""

    main: str = MAIN
    environ: dict[str, str] = field(default_factory=dict)
    threads_started: int = 0
    #: the connections it accepted: the kernel closes those still open when it exits
    sockets: list[Connection] = field(default_factory=list)
    #: ``sys.exit``'s code once it has exited (``subprocess.call`` returns it to the parent)
    exit_code: int | None = None
    exited: Waitable = field(default_factory=lambda: Waitable("process exit"))

    def owns(self, actor: str) -> bool:
        """Whether ``actor`` is one of this process's threads."""
        return actor == self.main or actor.startswith(self.main + "/")

    def next_thread_name(self) -> str:
        self.threads_started += 1
        return thread_actor(self.main, self.threads_started)


@dataclass(slots=True)
class World:
    scenario: Scenario
    scheduler: Scheduler
    kernel: Kernel
    recorder: Recorder
    listener: Listener
    processes_forked: int = 0
    #: the process the person started (its environ is empty of Werkzeug's variables)
    process: Process = field(default_factory=Process)
    #: the table ``mimetypes.guess_type`` reads (the caller's, or the reference snapshot)
    mimetypes: MimeTypes = SNAPSHOT
    #: the client address ``accept()`` reports for each connection
    client_ports: dict[str, int] = field(default_factory=dict)
    #: the person's module (``python app.py``) as a main thread's body, ``script(world,
    #: process)``: the reloader's parent runs it, and so does every child it starts
    script: Callable[[World, Process], Any] | None = None
    #: reloader children started so far
    children_started: int = 0
    #: the processes whose root logger has Flask's handler (``werkzeug_internal``)
    root_logger_handled: set[str] = field(default_factory=set)

    def wall_second(self) -> int:
        """The simulated wall clock, in whole seconds since the Unix epoch."""
        return VIRTUAL_EPOCH + self.scheduler.now // 1000

    def wall_time(self) -> time.struct_time:
        return time.gmtime(self.wall_second())

    def next_process_name(self) -> str:
        """``process-N``: forked children, numbered in fork (accept) order."""
        self.processes_forked += 1
        return f"process-{self.processes_forked}"



#: The environ key under which a simulated server passes :class:`Origin` to the app.
ORIGIN_KEY = "wsgiscope.origin"
#: The environ key of a response body nobody will iterate (``start_response`` failed after
#: ``get_app_iter`` wrapped it): a generator there is finalized when the environ is dropped.
DROPPED_BODY_KEY = "wsgiscope.dropped_body"


#: Every environ key of the simulation's own (``wsgiscope.`` and a name), which no real
#: environ has: a new one must be listed here, or the inspector shows it.
PRIVATE_KEYS = (ORIGIN_KEY, DROPPED_BODY_KEY)


def is_private(key: str) -> bool:
    """An environ key of the simulation's own, which no real environ has."""
    return key in PRIVATE_KEYS


@dataclass(frozen=True, slots=True)
class Origin:
    """Who serves a WSGI call: what the simulation needs beside the real environ.

    The app is called as the real one is, ``app(environ, start_response)``; its steps must
    still name the actor (thread) running it and the client it serves. The server puts this
    in the environ under :data:`ORIGIN_KEY`, the way real servers add keys of their own
    (``werkzeug.socket``); nothing that stands for real code reads it, and the inspector
    does not show it.
    """

    actor: str
    client: str
    recorder: Recorder
