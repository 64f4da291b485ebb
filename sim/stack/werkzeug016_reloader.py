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
  ``reloader_interval`` seconds it ``stat()``s every loaded module's file).

Clients that connect while no child serves yet are queued by the kernel on the parent's
socket: nothing is refused. The stat loop's turns that find no change change nothing and
are not steps (as ``serve_forever``'s idle ``select()`` turns are not).
``reloader_type="auto"`` is the stat reloader: watchdog is not installed with the stack.
"""

from __future__ import annotations

from ..scheduler import Wait, Waitable
from ..trace import Phase
from .flask_app import AppExit
from .world import Process

R = "werkzeug._reloader."

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
        rec.step(process.main, None, Phase.STARTUP, R + "run_with_reloader", "run_with_reloader_child",
                 {"thread": f"Thread-{thread.rpartition('thread-')[2]} (inner)"}, line="t.start()")
        world.scheduler.spawn(thread, _bootstrap_inner(world, thread, inner(world, app, process, thread)))
        yield from reloader.run()
        return
    rec.step(process.main, None, Phase.STARTUP, R + "run_with_reloader", "run_with_reloader",
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
        world.recorder.step(thread, None, Phase.CLOSE, None, "inner_thread_died", {"error": err.real_name})
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
        exits with 3."""
        world, parent = self.world, self.process
        rec = self.rec
        rec.step(parent.main, None, Phase.STARTUP, R + "ReloaderLoop.restart_with_reloader",
                 "restart_with_reloader", {"name": self.name},
                 line='_log("info", " * Restarting with %s" % self.name)')
        rec.log(parent.main, f" * Restarting with {self.name}")
        rec.step(parent.main, None, Phase.STARTUP, R + "_get_args_for_reloading", "get_args_for_reloading",
                 {"args": RELOAD_ARGS, "spawn": world.scenario.server.reloader_spawn_ms,
                  "fd": parent.environ.get("WERKZEUG_SERVER_FD")},
                 line="rv = [sys.executable]")
        world.children_started += 1
        child = Process(f"child-{world.children_started}", {**parent.environ, "WERKZEUG_RUN_MAIN": "true"})
        world.scheduler.spawn(child.main, _child_process(world, child),
                              at=world.scheduler.now + world.scenario.server.reloader_spawn_ms)
        # exit_code = subprocess.call(args, env=new_environ, close_fds=False): the child
        # serves until it is stopped; nothing here ends it (yet), so the parent waits.
        yield Wait(Waitable(f"{child.main} exit"))


def _child_process(world, child: Process):
    """A new interpreter running the person's module again, with the parent's environment
    (``WERKZEUG_SERVER_FD``) plus ``WERKZEUG_RUN_MAIN=true``, and the listening socket
    inherited."""
    world.recorder.step(child.main, None, Phase.STARTUP, None, "reloader_child_start",
                        {"process": child.main, "fd": child.environ.get("WERKZEUG_SERVER_FD"),
                         "waiting": len(world.listener.queue)})
    yield from world.script(world, child)


class StatReloaderLoop(ReloaderLoop):
    name = "stat"

    def run(self):
        """The first turn notes every module file's ``st_mtime``; every later turn,
        ``reloader_interval`` seconds apart, compares. Nothing changes here, so after the
        first turn the loop only sleeps."""
        self.rec.step(self.process.main, None, Phase.STARTUP, R + "StatReloaderLoop.run", "stat_reloader_run",
                      {"interval": self.interval_ms / 1000},
                      line="for filename in chain(_iter_module_files(), self.extra_files):")
        yield Wait(Waitable(f"{self.process.main} files"))
