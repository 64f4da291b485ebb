"""``werkzeug._internal._log`` (Werkzeug 3 and 0.16 alike): a line on the 'werkzeug'
logger, which writes it to stderr with its own handler, and hands the record on to the root
logger's handlers. The root logger has one only where Flask put its ``default_handler``: an
app named ``""`` gets ``logging.getLogger("")``, the root logger, as ``app.logger``, and
``create_logger`` gives it a handler the first time the app logs (an exception). From then
on, in that process, every Werkzeug line is written twice, the second time in Flask's format.
"""

from __future__ import annotations

from ..actors import MAIN
from .world import World


def process_of(actor: str) -> str:
    """The process an actor's thread belongs to: ``child-1`` for ``child-1/thread-2``, a
    forked ``process-3`` itself, and ``main`` for ``main`` and its ``thread-N``."""
    process, _, _ = actor.partition("/")
    return process if process.startswith(("child-", "process-")) else MAIN


def create_root_logger(world: World, actor: str) -> None:
    """``flask.logging.create_logger`` for an app named ``""``: Flask's handler on the root
    logger of the actor's process."""
    world.root_logger_handled.add(process_of(actor))


def log(world: World, actor: str, type: str, message: str) -> None:
    """``_log(type, message)``: the line, and again through the root logger's handler where
    Flask put one (``[%(asctime)s] %(levelname)s in %(module)s: %(message)s``; the module is
    ``_internal``, where ``_log`` makes the call)."""
    line = message.rstrip()
    world.recorder.log(actor, line)
    if world.root_logger_handled and process_of(actor) in world.root_logger_handled:
        tm = world.wall_time()
        world.recorder.log(actor, f"[{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d} "
                                  f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d},000] "
                                  f"{type.upper()} in _internal: {line}")
