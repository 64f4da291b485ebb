"""Recording Werkzeug 0.16's reloader (``server.use_reloader``): both processes.

``run_simple(use_reloader=True)`` turns the recorder's own process into the reloader's
parent: it opens the socket, then ``restart_with_reloader`` runs the same command again
(``python -m tests.fidelity.real_stack``, found by ``_get_args_for_reloading``) with
``WERKZEUG_RUN_MAIN=true`` and waits for it. That child is this module again, in its other
role:

* the parent (:func:`parent_main`) reads the scenario from stdin, leaves it in the working
  directory for its children (``scenario.json``, with the port it chose), profiles its main
  thread as ``main``, and plays the clients from a conductor thread. The clock starts when
  ``run_with_reloader`` is entered: the socket listens from then on, as it does at the
  simulation's time 0, and no child exists yet;
* a child (:func:`child_main`) takes the next number N (``child-N.pid``, made exclusively:
  children run one after another), profiles every thread (``MainThread`` as ``child-N``,
  ``Thread-K (...)`` as ``child-N/thread-K``: the real numbers, which the simulation must
  give too), captures its console with the time of each write, and runs the same start as
  the parent, which in a child serves. When the parent's conductor is done it leaves
  ``child-N.stop``: the child writes what it recorded to ``child-N.json`` and exits
  (``os._exit``).
  A child that reloads (``sys.exit(3)`` from ``trigger_reload``) writes it as it exits.

With ``file_changes``, the parent writes ``app.py`` into the working directory (the app's
root), every child imports it (so its stat loop watches it), and the conductor moves its
modification time on at each change's time. The clients and the saves go by the scenario
clock (:class:`ScenarioClock`), which stops while a real child is later than the
simulation allows.

The parent then adds each child's calls, signals, environs and console records to its own;
console records of both processes are ordered by the time their write completed
(``time.monotonic`` is the same clock in every process of the machine).
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .real_stack import (
    SETTLE_QUIET_S,
    CallRecorder,
    Child,
    ClientRun,
    ConsoleCapture,
    EnvironRecorder,
    LogRecord,
    Recording,
    build_flask_app,
    free_port_like,
    listen_host,
    longest_app_pause_s,
    stop_profiling_this_thread,
)

SCENARIO_FILE = "scenario.json"
#: the app's module, written into the working directory (the app's root) and imported by
#: every child when the scenario changes it, so the stat loop watches it
APP_MODULE_FILE = "app.py"
#: where the simulation's app lives (``sim.stack.werkzeug016_reloader.APP_MODULE_PATH``)
SIMULATED_APP_DIR = "/srv/app"
#: the parent's clock starts here: its socket listens, and the first child is about to start
RUN_WITH_RELOADER = "werkzeug._reloader.run_with_reloader"
#: how long a child has to write its recording once asked
REPORT_TIMEOUT_S = 10.0
#: ``server.reloader_spawn``'s default (``sim.scenario.DEFAULT_RELOADER_SPAWN_MS``: this
#: module runs in the legacy environment, without the engine; a test keeps them equal)
DEFAULT_RELOADER_SPAWN_MS = 200
#: how long a child may take to start serving (a loaded machine: seconds)
CHILD_START_TIMEOUT_S = 30.0


class TimedConsole(ConsoleCapture):
    """The console capture, also keeping when each write happened."""

    def __init__(self, actor_of: Any) -> None:
        super().__init__(actor_of)
        self.times: list[float] = []

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError("console capture takes text")  # click's probe, as the parent class
        with self._lock:
            self._writes.append((threading.current_thread(), s))
            self.times.append(time.monotonic())
        return len(s)

    def timed_records(self) -> list[tuple[float, LogRecord]]:
        """Each record with the time of the write that completed it (its newline)."""
        with self._lock:
            writes, times = list(self._writes), list(self.times)
        done = [when for (_, s), when in zip(writes, times, strict=True) if s.endswith("\n")]
        records = self.records()
        return [(done[n] if n < len(done) else float("inf"), record) for n, record in enumerate(records)]


def start(app: Any, server_decl: dict[str, Any], port: int) -> None:
    """``app.run`` or ``run_simple`` with the reloader, as ``server.start`` says."""
    import werkzeug.serving as serving

    start_path = server_decl.get("start", "app.run")
    threaded = bool(server_decl.get("threaded", start_path == "app.run"))
    options = {"threaded": threaded, "use_reloader": True}
    if server_decl.get("reloader_interval") is not None:
        options["reloader_interval"] = server_decl["reloader_interval"]
    if server_decl.get("backlog") is not None:
        serving.BaseWSGIServer.request_queue_size = server_decl["backlog"]
        serving.LISTEN_QUEUE = server_decl["backlog"]  # the parent's own listen()
    if start_path == "app.run":
        app.run(host=listen_host(server_decl), port=port, **options)
    else:
        serving.run_simple(listen_host(server_decl), port, app, **options)


# --------------------------------------------------------------------------- the parent


class _Listening:
    """What the conductor reads from a server: where it listens."""

    def __init__(self, port: int) -> None:
        self.server_address = ("127.0.0.1", port)


#: a client's deadline before the scenario clock sets it (finite: it is also a join timeout)
UNTIL_THE_CHILD_SERVES_S = 3600.0
#: how often the scenario clock looks for children that started or exited
CLOCK_POLL_S = 0.005
#: how long (real time) a recording waits at most for the reload the last save causes,
#: beyond the scenario time still to go until then (a save may come long after the clients)
RELOAD_WAIT_S = 10.0


class ScenarioClock:
    """The scenario's time in a real run with the reloader: it stops while the real stack
    is later than the simulation allows.

    The simulation gives every child ``server.reloader_spawn`` ms to start (from the parent's
    ``listen()``, then from the previous child's exit) and sees a saved file at the next
    stat turn, at most ``reloader_interval`` later; a real child takes 0.15 s to start on a
    quiet machine and seconds on a loaded one, and a loaded machine's stat turns drift
    (each ``stat()``s every module file). Meanwhile the clients only wait. So the scenario's
    clock runs with the real one, but stops from ``spawn`` after a child was started until it
    serves, and from ``interval`` after a save until the child that should see it exits:
    what the scenario times there happens afterwards. Clients' sends, ``read_timeout``,
    "open" deadlines and the saves themselves all go by this clock. It learns of starts and
    exits from the children's ``child-N.serving`` and ``child-N.exited`` files."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.t0 = 0.0
        self.spawn_s = DEFAULT_RELOADER_SPAWN_MS / 1000
        self.interval_s = 1.0
        self.serving: dict[int, float] = {}
        self.exited: dict[int, float] = {}
        #: (virtual time of a save, the child then serving), in order
        self.saves: list[tuple[float, int]] = []
        #: [start, end or None] (monotonic): when the clock stood still
        self.pauses: list[list[float | None]] = []
        self._lock = threading.Lock()

    def virtual(self, now: float) -> float:
        """The scenario's time (s) at the monotonic time ``now``."""
        with self._lock:
            paused = sum(max(0.0, min(now, end if end is not None else now) - start)
                         for start, end in self.pauses)
        return now - self.t0 - paused

    def sleep_until(self, virtual: float) -> None:
        while (behind := virtual - self.virtual(time.monotonic())) > 0:
            time.sleep(min(behind, CLOCK_POLL_S))

    def saved(self, virtual: float) -> None:
        with self._lock:
            self.saves.append((virtual, len(self.exited) + 1))

    def _late(self, now: float) -> float | None:
        """When what the clock waits for should have happened, if it has not yet."""
        number = len(self.exited) + 1  # the child that serves or should
        if number not in self.serving:
            due = self.t0 + self.spawn_s if number == 1 else self.exited[number - 1] + self.spawn_s
            return due if now >= due else None
        for virtual, child in self.saves:
            if child == number and self.virtual(now) >= virtual + self.interval_s:
                return now  # the save is not seen yet: the clock stops now
        return None

    def watch(self, runs: list[ClientRun], stop: threading.Event) -> None:
        """Note the children's starts and exits, stop and restart the clock, and keep each
        client's "open" deadline at its scenario time."""
        stop_profiling_this_thread()
        while not stop.is_set():
            for kind, found in (("serving", self.serving), ("exited", self.exited)):
                path = self.workdir / f"child-{len(found) + 1}.{kind}"
                if path.exists():
                    with contextlib.suppress(ValueError):
                        when = float(path.read_text())
                        with self._lock:
                            found[len(found) + 1] = when
            now = time.monotonic()
            late = self._late(now)
            with self._lock:
                open_pause = self.pauses[-1] if self.pauses and self.pauses[-1][1] is None else None
                if open_pause is not None and late is None:
                    open_pause[1] = now
                elif open_pause is None and late is not None:
                    self.pauses.append([late, None])
            virtual_now = self.virtual(now)
            for run in runs:
                if isinstance(run, ReloaderClientRun):
                    run.deadline = now + (run.scenario_deadline - self.t0 - virtual_now)
            time.sleep(CLOCK_POLL_S)


class ReloaderClientRun(ClientRun):
    """A client on the scenario clock (:class:`ScenarioClock`)."""

    clock: ScenarioClock

    def __init__(self, script: Any, deadline: float) -> None:
        super().__init__(script, time.monotonic() + UNTIL_THE_CHILD_SERVES_S)
        self.scenario_deadline = deadline

    def run(self, t0: float, port: int) -> Any:
        self.clock.t0 = t0  # every client has the same: the clock's origin
        return super().run(t0, port)

    def _read_timed_out(self, now: float) -> bool:
        # read_timeout counts on the scenario's clock too: a client waiting for a late
        # child does not give up earlier than it would in the simulation
        if self.script.read_timeout_s is None or self.reading_phase_since is None:
            return False
        quiet_since = max(self.reading_phase_since, self.last_data_at)
        return self.clock.virtual(now) - self.clock.virtual(quiet_since) >= self.script.read_timeout_s

    def _sleep_until(self, t0: float, when: float) -> None:
        self.clock.sleep_until(when - t0)


class ReloaderConductor(Child):
    """The harness's conductor, with the children's recordings added to the parent's."""

    workdir: Path = Path.cwd()

    def _clients_started(self, t0: float, runs: list[ClientRun]) -> None:
        """The scenario clock starts with the clients; the first child must serve in time."""
        clock = ReloaderClientRun.clock
        self.stop_watching = threading.Event()
        threading.Thread(target=clock.watch, args=(runs, self.stop_watching), daemon=True).start()
        changes = self.scenario.get("file_changes", [])
        if changes:
            threading.Thread(target=self._save_files, args=(changes,), daemon=True).start()
        wait_for(self.workdir / "child-1.serving", CHILD_START_TIMEOUT_S)

    def _save_files(self, changes: list[dict[str, Any]]) -> None:
        """Each file change, at its time: the module's modification time one second later
        (``StatReloaderLoop`` compares ``st_mtime`` with what it saw before)."""
        stop_profiling_this_thread()
        module = self.workdir / APP_MODULE_FILE
        clock = ReloaderClientRun.clock
        for change in sorted(changes, key=lambda c: c["at"]):
            clock.sleep_until(change["at"] / 1000)
            mtime = module.stat().st_mtime_ns + 1_000_000_000
            os.utime(module, ns=(mtime, mtime))
            clock.saved(change["at"] / 1000)

    def _settle(self) -> None:
        # A save restarts the child at the stat loop's next turn, and the next child serves
        # `spawn` later: the simulation shows that whether or not a client is left by then,
        # so the recording goes on until the scenario clock (which stops while the real
        # stack is late) has passed it, at most RELOAD_WAIT_S (a save before the child's
        # first turn is never seen: the clock then stands still).
        changes = self.scenario.get("file_changes", [])
        if changes:
            clock = ReloaderClientRun.clock
            reloaded = max(c["at"] for c in changes) / 1000 + clock.interval_s + clock.spawn_s
            now = time.monotonic()
            give_up = now + max(0.0, reloaded - clock.virtual(now)) + RELOAD_WAIT_S
            while clock.virtual(time.monotonic()) < reloaded and time.monotonic() < give_up:
                time.sleep(CLOCK_POLL_S)
        # The children's calls are in other processes: wait as long as the quiet the
        # harness asks of any server, plus the app's longest pause, after the clients.
        time.sleep(SETTLE_QUIET_S + longest_app_pause_s(self.scenario))

    def _play(self) -> Recording:
        try:
            recording = super()._play()
        except BaseException:
            kill_children(self.workdir)  # they hold the harness's pipes open
            raise
        finally:
            self.stop_watching.set()
        ports = {run.local_port: run.script.id for run in self.runs}
        records = [(when, record) for when, record in self.console.timed_records()]
        for child in collect_children(self.workdir):
            number = child["number"]
            for thread, calls in child["calls"].items():
                recording.calls[thread] = calls
            for thread, sent in child["signals"].items():
                recording.signals[thread] = [name.replace("-", "_") for name in sent]
            for port, environ in child["environs"]:
                recording.environs.setdefault(ports.get(port, f"port {port}"), []).append(environ)
            capture = TimedConsole(lambda _thread, number=number: f"child-{number}")
            for when, s in child["writes"]:
                # the module's path as the simulation names it (the real one is a temporary dir)
                capture.write(s.replace(str(self.workdir), SIMULATED_APP_DIR))
                capture.times[-1] = when
            records.extend(capture.timed_records())
        recording.log = [record for _, record in sorted(records, key=lambda pair: pair[0])]
        return recording


def _write_time(path: Path, when: float) -> None:
    """A monotonic time in a file, atomically (the parent polls for it)."""
    path.with_suffix(".tmp").write_text(repr(when))
    path.with_suffix(".tmp").rename(path)


def wait_for(path: Path, timeout_s: float) -> float:
    """Wait until ``path`` exists; return the time (monotonic) written in it."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name} did not appear in {timeout_s} s")
        time.sleep(0.005)
    for _ in range(100):
        with contextlib.suppress(ValueError):
            return float(path.read_text())
        time.sleep(0.005)  # being written
    raise RuntimeError(f"{path.name} holds no time")


def _child_pids(workdir: Path) -> dict[int, int]:
    return {int(path.stem.split("-")[1]): int(path.read_text() or 0)
            for path in workdir.glob("child-*.pid")}


def _process_state(pid: int) -> str:
    """The state letter of ``/proc/<pid>/stat`` (R, S, Z ...), or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def kill_children(workdir: Path) -> None:
    for pid in _child_pids(workdir).values():
        with contextlib.suppress(OSError):
            if pid:
                os.kill(pid, signal.SIGKILL)


def collect_children(workdir: Path) -> list[dict[str, Any]]:
    """Ask every child still running to report (``child-N.stop``), wait for the reports, and
    read them in order; a child that does not report in time is killed and named."""
    pids = _child_pids(workdir)
    for number in sorted(pids):
        (workdir / f"child-{number}.stop").touch()
    deadline = time.monotonic() + REPORT_TIMEOUT_S
    missing = sorted(pids)
    while missing and time.monotonic() < deadline:
        missing = [n for n in missing if not (workdir / f"child-{n}.json").exists()]
        time.sleep(0.01)
    states = {n: _process_state(pids[n]) for n in missing}
    for number in missing:
        with contextlib.suppress(OSError):
            os.kill(pids[number], signal.SIGKILL)
    if missing:
        errors = {n: (workdir / f"child-{n}.{kind}").read_text() for n in missing for kind in ("error", "fault")
                  if (workdir / f"child-{n}.{kind}").exists()}
        raise RuntimeError(f"reloader children did not report (number: state before the kill): {states} {errors}")
    return [json.loads((workdir / f"child-{n}.json").read_text()) for n in sorted(pids)]


def parent_main(scenario: dict[str, Any]) -> None:
    """The reloader's parent: the process the person started. Never returns."""
    import mimetypes

    mimetypes.init()
    port = free_port_like(scenario.get("server", {}).get("port", 5000))
    workdir = Path.cwd()
    (workdir / SCENARIO_FILE).write_text(json.dumps({"scenario": scenario, "port": port}))
    if scenario.get("file_changes"):
        (workdir / APP_MODULE_FILE).write_text("# the module the scenario saves (file_changes)\n")
    recorder = CallRecorder()
    recorder.clock_starts = frozenset({RUN_WITH_RELOADER})
    console = TimedConsole(recorder.actor_name)
    sys.stdout = sys.stderr = console
    ReloaderClientRun.clock = ScenarioClock(workdir)
    spawn, interval = scenario["server"].get("reloader_spawn"), scenario["server"].get("reloader_interval")
    if spawn is not None:
        ReloaderClientRun.clock.spawn_s = spawn / 1000
    if interval is not None:
        ReloaderClientRun.clock.interval_s = interval
    _note_spawns(workdir)
    conductor = ReloaderConductor(scenario, recorder, console, environs=None,
                                  client_run_class=ReloaderClientRun)
    conductor.workdir = workdir
    conductor.server = _Listening(port)
    conductor.listening.set()
    threading.Thread(target=conductor.conduct, name="conductor", daemon=True).start()
    recorder.install()
    try:
        start(build_flask_app(scenario.get("app", {}), workdir), scenario["server"], port)
        problem = "run_simple returned before the conductor finished\n"
    except SystemExit:
        # restart_with_reloader returns (and sys.exit follows) once the conductor has asked
        # the child to report and exit: the conductor ends this process itself.
        sys.setprofile(None)
        threading.Event().wait()
    except BaseException:
        import traceback

        problem = traceback.format_exc()
    sys.setprofile(None)
    kill_children(workdir)
    sys.__stderr__.write(problem)
    sys.__stderr__.flush()
    os._exit(1)


# --------------------------------------------------------------------------- a child


def _note_spawns(workdir: Path) -> None:
    """``restart_with_reloader`` starts each child with ``subprocess.call``: the time of each
    call is left in ``spawn-N`` (N counts the calls), for the child to start from."""
    import subprocess

    real_call = subprocess.call
    calls = 0

    def call(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        _write_time(workdir / f"spawn-{calls}", time.monotonic())
        return real_call(*args, **kwargs)

    subprocess.call = call


def _wait_for_spawn_time(workdir: Path, number: int, spawn_s: float) -> None:
    """The simulation runs a child's module ``reloader_spawn`` ms after ``subprocess.call``;
    a real child that started sooner waits until then (one that is later makes the scenario
    clock stop instead: ``ScenarioClock``)."""
    spawned = float((workdir / f"spawn-{number}").read_text())
    delay = spawned + spawn_s - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _take_number(workdir: Path) -> int:
    number = 1
    while True:
        try:
            fd = os.open(workdir / f"child-{number}.pid", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            number += 1
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return number


class ChildCallRecorder(CallRecorder):
    """Names this process's threads as the simulation does: ``child-N`` and
    ``child-N/thread-K``, K the number ``threading`` gave the thread here."""

    def __init__(self, number: int, workdir: Path) -> None:
        super().__init__()
        self.number = number
        self._serving_file: Path | None = workdir / f"child-{number}.serving"

    def _hook(self, frame: Any, event: str, arg: object) -> None:
        super()._hook(frame, event, arg)
        if self._serving_file is not None and self.serving.is_set():
            # serve_forever was entered: tell the parent when (an atomic rename)
            path, self._serving_file = self._serving_file, None
            _write_time(path, time.monotonic())

    def actor_name(self, thread: threading.Thread) -> str:
        if thread is threading.main_thread():
            return f"child-{self.number}"
        name = thread.name.split(" ", 1)[0]  # "Thread-2 (process_request_thread)"
        return f"child-{self.number}/thread-{name.removeprefix('Thread-')}"


def _die_with_the_parent() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``: when the parent's harness ends, so does this
    child, whatever it is doing (a child left running would keep the harness's pipes open)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def child_main() -> None:
    """A reloader child (``WERKZEUG_RUN_MAIN=true``). Never returns."""
    import mimetypes

    _die_with_the_parent()
    workdir = Path.cwd()
    saved = json.loads((workdir / SCENARIO_FILE).read_text())
    scenario, port = saved["scenario"], saved["port"]
    number = _take_number(workdir)
    mimetypes.init()
    recorder = ChildCallRecorder(number, workdir)
    console = TimedConsole(recorder.actor_name)
    sys.stdout = sys.stderr = console
    environs = EnvironRecorder(recorder, console)

    def report(status: int) -> None:
        exited = time.monotonic()
        sys.setprofile(None)
        threading.setprofile(None)
        try:
            with console._lock:
                writes = [(when, s) for when, (_, s) in zip(console.times, console._writes, strict=True)]
            data = {"number": number, "calls": recorder.snapshot(), "signals": recorder.signals(),
                    "environs": list(environs.seen), "writes": writes}
            text = json.dumps(data)
        except BaseException:  # the parent reports it rather than wait for nothing
            import traceback

            (workdir / f"child-{number}.error").write_text(traceback.format_exc())
            os._exit(1)
        path = workdir / f"child-{number}.json"
        path.with_suffix(".tmp").write_text(text)
        path.with_suffix(".tmp").rename(path)
        if status == 3:  # a reload: the parent's clock stops until the next child serves
            _write_time(workdir / f"child-{number}.exited", exited)
        os._exit(status)

    # Asked to stop, it reports from a thread of the harness's own: named, so it takes no
    # number from threading's counter (the server's threads keep their real numbers), and
    # started before the profiler, so it is not recorded.
    stop = workdir / f"child-{number}.stop"

    def wait_for_stop() -> None:
        while not stop.exists():
            time.sleep(0.01)
        report(0)

    threading.Thread(target=wait_for_stop, name="reporter", daemon=True).start()
    faults = (workdir / f"child-{number}.fault").open("w")
    faulthandler.enable(faults)  # a child that dies of a signal says where
    import werkzeug.serving as serving

    real_make_server = serving.make_server

    def make_server(*args: Any, **kwargs: Any) -> Any:
        server = real_make_server(*args, **kwargs)
        if hasattr(server.app, "request_context"):
            environs.install(server.app)
        return server

    serving.make_server = make_server
    spawn = scenario["server"].get("reloader_spawn")
    _wait_for_spawn_time(workdir, number, (DEFAULT_RELOADER_SPAWN_MS if spawn is None else spawn) / 1000)
    if scenario.get("file_changes"):
        importlib.import_module(APP_MODULE_FILE.removesuffix(".py"))  # watched from now on
    recorder.install()
    try:
        start(build_flask_app(scenario.get("app", {}), workdir), scenario["server"], port)
    except SystemExit as exit_:
        # trigger_reload's sys.exit(3) (or the SIGTERM handler's 0): the process ends with it
        report(exit_.code if isinstance(exit_.code, int) else 1)
    report(1)
