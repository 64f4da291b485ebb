"""Actor names: who runs a step (DESIGN.md, "the actor of a server step").

``main`` is the main thread of the process the person started; ``thread-N`` its N-th thread
(a ``ThreadingMixIn`` worker); ``process-N`` a child a forking server forked. With Werkzeug
0.16's reloader, ``child-N`` is the main thread of the N-th child ``restart_with_reloader``
started, and ``child-N/thread-M`` that child's M-th thread (``threading`` numbers threads
per process, so every child counts from 1 again).
"""

from __future__ import annotations

#: The actor of the main thread of the process the person started.
MAIN = "main"


def thread_actor(process: str, number: int) -> str:
    """The actor of the process's ``Thread-<number>`` (``process`` is its main actor)."""
    return f"thread-{number}" if process == MAIN else f"{process}/thread-{number}"


def process_names(process: str) -> tuple[str, str]:
    """A child process as people read it, (English, Chinese): ``child-1`` (a reloader's
    child) and ``process-2`` (a forked one) are ``child 1`` and ``child 2``, as the
    timeline's tracks name them; any other actor as it is."""
    for prefix in ("child-", "process-"):
        number = process.removeprefix(prefix)
        if number != process and number.isdigit():
            return f"child {number}", f"子进程 {number}"
    return process, process


def is_loop_actor(actor: str) -> bool:
    """Whether the actor runs ``serve_forever``: the main thread, or in a reloader child
    its first thread (``Thread-1 (inner)``)."""
    return actor == MAIN or (actor.startswith("child-") and actor.endswith("/thread-1"))
