"""Recording a forking server (``ForkingMixIn``): the calls and console of its children.

A forked child inherits the parent's profiler (``sys.setprofile`` is per thread and the
forking thread is copied), so it records its own calls -- but into a copy of the recorder
that dies with it: ``ForkingMixIn.process_request`` ends the child with ``os._exit``.
So, in the child only, ``os._exit`` first writes what the child recorded (its calls and its
console writes) to ``fork-N.json`` in the working directory, and the parent reads those
files back as actors ``process-N`` (N counts forks from 1, in fork order -- accept order,
as the simulator numbers them).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ForkRecorder:
    def __init__(self, recorder: Any, console: Any, workdir: Path,
                 server_port: Callable[[], int]) -> None:
        self.recorder = recorder
        #: the port the server listens on: the harness's own client sockets (in this same
        #: process) are the ones connected to it, and a child must not keep copies of them,
        #: or a client's close would never reach the server as a FIN
        self.server_port = server_port
        self.console = console
        self.workdir = workdir
        self.forks = 0  # in the parent: forks so far; in a child: its own number
        self.parent_pid = os.getpid()
        #: the EnvironRecorder, whose requests a child sees (set by the harness)
        self.environs: Any = None
        self._child_writes: list[tuple[float, str]] = []

    def install(self) -> None:
        os.register_at_fork(before=self._before, after_in_parent=self._after_in_parent,
                            after_in_child=self._after_in_child)

    # -- both sides of os.fork() ------------------------------------------------------

    def _before(self) -> None:
        self.forks += 1
        # A console write under way in another thread would leave its lock held in the
        # child for ever: take it across the fork.
        self.console._lock.acquire()

    def _after_in_parent(self) -> None:
        self.console._lock.release()

    def _after_in_child(self) -> None:
        self.console._lock.release()
        number = self.forks
        # The recording goes through files: let go of the parent's stdout/stderr pipes, or
        # a child blocked for ever would keep the harness waiting for their end. The
        # parent kills such a child by the pid noted here.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        (self.workdir / f"fork-{number}.pid").write_text(str(os.getpid()))
        close_client_sockets(self.server_port())
        recorder, console = self.recorder, self.console
        # Only this thread exists here: forget the parent's calls and console.
        recorder._local = threading.local()
        recorder._threads = []
        recorder._signals = {}
        if self.environs is not None:
            self.environs.seen = []
        real_write, real_exit = console.write, os._exit

        def write(s: str) -> int:
            self._child_writes.append((time.monotonic(), s))
            return real_write(s)

        def _exit(status: int) -> None:
            calls = [q for _, thread_calls in recorder._threads for q in thread_calls]
            signals = [name for sent in recorder._signals.values() for name in sent]
            environs = self.environs.seen if self.environs is not None else []
            data = {"number": number, "calls": calls, "writes": self._child_writes,
                    "signals": signals, "environs": environs}
            path = self.workdir / f"fork-{number}.json"
            path.with_suffix(".tmp").write_text(json.dumps(data))
            path.with_suffix(".tmp").rename(path)
            real_exit(status)

        console.write = write
        os._exit = _exit
        # A child still blocked when the scenario is over is asked to report and exit.
        signal.signal(signal.SIGUSR1, lambda _signum, _frame: _exit(1))

    # -- the parent, after the scenario -------------------------------------------------

    def all_reported(self) -> bool:
        """Whether every child forked so far has written its file (exited)."""
        return all((self.workdir / f"fork-{n}.json").exists() for n in range(1, self.forks + 1))

    def stop_the_rest(self) -> None:
        """Children still running (blocked on a client) report what they did so far and
        exit (SIGUSR1); one that does not within a second is killed."""
        running = self._running()
        for pid in running.values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + 1.0
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.01)
        for pid in self._running().values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def _running(self) -> dict[int, int]:
        found = {}
        for n in range(1, self.forks + 1):
            pid_file = self.workdir / f"fork-{n}.pid"
            if pid_file.exists() and not (self.workdir / f"fork-{n}.json").exists():
                with contextlib.suppress(ValueError):
                    found[n] = int(pid_file.read_text())
        return found

    def children(self) -> list[dict[str, Any]]:
        found = []
        for n in range(1, self.forks + 1):
            path = self.workdir / f"fork-{n}.json"
            if path.exists():
                found.append(json.loads(path.read_text()))
        return found

    def add_children(self, calls: dict[str, list[str]], log: list[Any], console_class: type,
                     signals: dict[str, list[str]]) -> None:
        """Add each child's calls, signals (as ``process-N``), environs and console records
        to the parent's.

        The parent writes nothing to the console while its children serve (they log the
        requests), so the children's records follow the parent's, in the order they were
        completed (a record's time is that of the write that completed it).
        """
        records = []
        for child in self.children():
            actor = f"process-{child['number']}"
            calls[actor] = child["calls"]
            if child["signals"]:
                signals[actor] = child["signals"]
            if self.environs is not None:
                self.environs.seen.extend(tuple(seen) for seen in child["environs"])
            capture = console_class(lambda _thread, actor=actor: actor)
            done: list[float] = []
            for when, s in child["writes"]:
                capture.write(s)
                if s.endswith("\n"):
                    done.append(when)
            for n, record in enumerate(capture.records()):
                records.append((done[n] if n < len(done) else float("inf"), child["number"], n, record))
        log.extend(r for *_, r in sorted(records, key=lambda x: x[:3]))


def close_client_sockets(port: int) -> None:
    """Close this process's copies of every socket connected TO ``port`` (the harness's
    clients; found by their peer, since one may be connecting while the server forks)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            probe = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            continue  # not a socket
        try:
            peer = probe.getpeername()
        except OSError:
            peer = None  # the listening socket, or not connected
        finally:
            probe.close()
        if peer is not None and peer[1] == port:
            with contextlib.suppress(OSError):
                os.close(fd)
