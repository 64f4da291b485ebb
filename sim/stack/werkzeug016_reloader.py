"""``werkzeug._reloader`` (0.16.1): the reloader of ``run_simple(use_reloader=True)``.

Read beside Werkzeug 0.16.1's ``werkzeug/_reloader.py``. Theory of operation, as the real
thing does it (``run_simple`` has already opened the listening socket and put its descriptor
in ``WERKZEUG_SERVER_FD``):

* the first process (the parent) never serves: ``run_with_reloader`` ->
  ``ReloaderLoop.restart_with_reloader`` prints " * Restarting with stat", runs the same
  command again (``_get_args_for_reloading``) with ``WERKZEUG_RUN_MAIN=true`` and
  ``close_fds=False`` (the socket is inherited), and blocks in ``subprocess.call`` until
  that child exits; exit code 3 means "reload", and it starts another;
* the child runs the person's module again from the top (a new ``Flask`` object, the same
  routes), and ``run_simple`` -> ``run_with_reloader`` starts a daemon thread running
  ``inner`` (``Thread-1 (inner)``: ``make_server(fd=...)``, ``serve_forever``), while its
  main thread becomes the stat reloader (``StatReloaderLoop.run``: every
  ``reloader_interval`` seconds it ``stat()``s every loaded module's file);
* a saved file (``file_changes``) is seen by the child's next stat turn: ``trigger_reload``
  logs it and ``sys.exit(3)`` ends the child, with its threads wherever they are and the
  connections it held closed by the kernel; the parent's ``subprocess.call`` returns 3 and
  it starts the next child, which takes the same socket.

Clients that connect while no child serves yet are queued by the kernel on the parent's
socket: nothing is refused. The stat loop's turns that find no change change nothing and
are not steps (as ``serve_forever``'s idle ``select()`` turns are not).
``reloader_type="auto"`` is the stat reloader: watchdog is not installed with the stack.
"""

from __future__ import annotations

from ..kernel import EndState
from ..scheduler import Sleep, Wait, Waitable
from ..trace import Phase
from . import werkzeug_internal
from .flask_app import AppExit
from .socketserver import socket_view
from .world import Process

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
STARTUP, CLOSE = Phase.STARTUP, Phase.CLOSE

#: ``sys.executable`` and ``sys.argv[0]`` of the person's ``python app.py``, as
#: ``_get_args_for_reloading`` finds them again
RELOAD_ARGS = "python app.py"


def run_with_reloader(world, app, process: Process):
    """``run_with_reloader(main_func, extra_files, interval, reloader_type)``: in the
    child, ``main_func`` (``inner``) in a daemon thread and the stat loop in the main
    thread; in the parent, ``sys.exit(reloader.restart_with_reloader())``."""
    from .werkzeug016_serving import inner

    reloader = StatReloaderLoop(world, process, world.scenario.server.reloader_interval_ms)
    rec = world.recorder
    if process.environ.get("WERKZEUG_RUN_MAIN") == "true":
        thread = process.next_thread_name()
        rec.step(process.main, None, STARTUP, "werkzeug._reloader.run_with_reloader", "run_with_reloader_child",
                 {"thread": f"Thread-{thread.rpartition('thread-')[2]} (inner)"}, line="t.start()")
        world.scheduler.spawn(thread, _bootstrap_inner(world, thread, inner(world, app, process, thread)))
        yield from reloader.run()
        return
    rec.step(process.main, None, STARTUP, "werkzeug._reloader.run_with_reloader", "run_with_reloader",
             line="sys.exit(reloader.restart_with_reloader())")
    yield from reloader.restart_with_reloader()


def _bootstrap_inner(world, thread: str, target):
    """``threading.Thread._bootstrap_inner`` around ``inner``: what a view's
    ``SystemExit`` (or any non-``Exception``) leaves ``serve_forever`` with ends the thread;
    ``threading.excepthook`` ignores ``SystemExit`` and prints any other. The child's main
    thread goes on with its stat loop."""
    try:
        yield from target
    except AppExit as err:
        world.recorder.step(thread, None, CLOSE, None, "inner_thread_died", {"error": err.real_name})
        if err.real_name != "SystemExit":
            number = thread.rpartition("thread-")[2]
            world.recorder.log(thread, f"Exception in thread Thread-{number} (inner):\n{err.real_name}")


class ReloaderLoop:
    """``ReloaderLoop``: what the stat and watchdog loops share."""

    name: str = ""

    def __init__(self, world, process: Process, interval_ms: int) -> None:
        self.world = world
        self.rec = world.recorder
        self.process = process
        self.interval_ms = interval_ms

    def restart_with_reloader(self):
        """Start the child and wait for it (``subprocess.call``), again and again while it
        exits with 3 (a file changed)."""
        world, parent = self.world, self.process
        rec = self.rec
        rec.step(parent.main, None, STARTUP, "werkzeug._reloader.ReloaderLoop.restart_with_reloader",
                 "restart_with_reloader", {"name": self.name},
                 line='_log("info", " * Restarting with %s" % self.name)')
        event = "get_args_for_reloading"
        while True:
            werkzeug_internal.log(world, parent.main, "info", f" * Restarting with {self.name}")
            rec.step(parent.main, None, STARTUP, "werkzeug._reloader._get_args_for_reloading", event,
                     {"args": RELOAD_ARGS, "spawn": world.scenario.server.reloader_spawn_ms,
                      "fd": parent.environ.get("WERKZEUG_SERVER_FD"),
                      "waiting": len(world.listener.queue)},
                     line="rv = [sys.executable]")
            world.children_started += 1
            child = Process(f"child-{world.children_started}", {**parent.environ, "WERKZEUG_RUN_MAIN": "true"})
            world.scheduler.spawn(child.main, _child_process(world, child),
                                  at=world.scheduler.now + world.scenario.server.reloader_spawn_ms)
            # exit_code = subprocess.call(args, env=new_environ, close_fds=False)
            while child.exit_code is None:
                yield Wait(child.exited)
            # The child only ever exits with 3 here (trigger_reload): start another.
            event = "get_args_for_reloading_again"

    def trigger_reload(self, filename: str) -> None:
        self.rec.step(self.process.main, None, CLOSE, "werkzeug._reloader.ReloaderLoop.trigger_reload",
                      "trigger_reload", {"file": filename}, line="self.log_reload(filename)")
        self.log_reload(filename)
        exit_process(self.world, self.process, 3)

    def log_reload(self, filename: str) -> None:
        self.rec.step(self.process.main, None, CLOSE, "werkzeug._reloader.ReloaderLoop.log_reload", "log_reload",
                      {"file": filename},
                      line='_log("info", " * Detected change in %r, reloading" % filename)')
        werkzeug_internal.log(self.world, self.process.main, "info",
                              f" * Detected change in {filename!r}, reloading")


def exit_process(world, process: Process, code: int) -> None:
    """``sys.exit(code)`` in a reloader child: the interpreter ends without waiting for its
    daemon threads (``inner`` and the workers stop wherever they are), and the kernel
    closes every socket the process still held. Its copy of the listening socket goes too,
    but the parent's keeps it listening, and the connections queued there stay queued."""
    open_sockets = [conn for conn in process.sockets if conn.server_end is not EndState.CLOSED]
    world.recorder.step(process.main, None, CLOSE, None, "reloader_child_exit",
                        {"process": process.main, "code": code,
                         "open": ", ".join(conn.client for conn in open_sockets) or "-",
                         "waiting": len(world.listener.queue)})
    # The threads stop. Closing their generators runs their cleanup, which records nothing
    # and closes each connection as the exit does: FIN, or RST over unread bytes.
    world.recorder.muted = True
    try:
        world.scheduler.stop(process.owns)
    finally:
        world.recorder.muted = False
    for conn in open_sockets:
        if conn.server_end is not EndState.CLOSED:  # no thread had it (accepted, not yet handled)
            world.kernel.close(conn)
        reset = conn.client_end in (EndState.RESET_UNREPORTED, EndState.RESET)
        world.recorder.step("kernel", conn.client, CLOSE, None,
                            "exit_closes_rst" if reset else "exit_closes", {"process": process.main},
                            state={f"sockets/{conn.client}": socket_view(conn, None)})
    process.exit_code = code
    world.scheduler.wake(process.exited)


def _child_process(world, child: Process):
    """A new interpreter running the person's module again, with the parent's environment
    (``WERKZEUG_SERVER_FD``) plus ``WERKZEUG_RUN_MAIN=true``, and the listening socket
    inherited."""
    world.recorder.step(child.main, None, STARTUP, None, "reloader_child_start",
                        {"process": child.main, "fd": child.environ.get("WERKZEUG_SERVER_FD"),
                         "waiting": len(world.listener.queue)})
    yield from world.script(world, child)


class StatReloaderLoop(ReloaderLoop):
    name = "stat"

    def run(self):
        """The first turn notes every module file's ``st_mtime``; every later turn,
        ``reloader_interval`` ms apart, compares, and the first change it sees reloads. Turns
        that see none change nothing and are not steps, so the loop sleeps straight to the
        turn that will see the next declared change, or for ever."""
        self.rec.step(self.process.main, None, STARTUP, "werkzeug._reloader.StatReloaderLoop.run", "stat_reloader_run",
                      {"interval": self.interval_ms / 1000},
                      line="for filename in chain(_iter_module_files(), self.extra_files):")
        turn = noticing_turn(self.world.scheduler.now, self.interval_ms,
                             [change.at for change in self.world.scenario.file_changes])
        if turn is None:
            yield Wait(Waitable(f"{self.process.main} files"))
            return
        yield Sleep(turn - self.world.scheduler.now)
        self.trigger_reload(APP_MODULE_PATH)


#: where the simulated app's module lives (beside ``werkzeug_utils.STATIC_FOLDER``)
APP_MODULE_PATH = "/srv/app/app.py"


def noticing_turn(first_turn: int, interval_ms: int, changes: list[int]) -> int | None:
    """The time of the first turn after ``first_turn`` that sees a change: one made after
    the first turn (that turn only notes the times: an earlier change is its starting
    point), seen by the first turn at or after it."""
    later = [at for at in changes if at > first_turn]
    if not later:
        return None
    first = min(later)
    return first_turn + -(-(first - first_turn) // interval_ms) * interval_ms
