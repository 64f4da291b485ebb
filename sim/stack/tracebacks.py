"""What the console shows of a traceback: its last line (DESIGN.md, ``log``); and the
simulated exception that no layer handles (``AppExit``)."""

from __future__ import annotations


def last_line(error: BaseException) -> str:
    """``RuntimeError`` or ``OSError: Invalid chunk header``: the exception as Python prints
    it on a traceback's last line. A simulated exception carries the real class name."""
    name = getattr(error, "real_name", type(error).__name__)
    message = str(error)
    return f"{name}: {message}" if message else name


class AppExit(BaseException):
    """A declared view raising a class that is not an ``Exception`` (``SystemExit``,
    ``KeyboardInterrupt``): Flask's ``except Exception`` clauses let it through, teardown
    runs with it, and it leaves the app, the handler and the server (see
    ``socketserver``: the worker thread dies; without threads the server loop ends)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.real_name = name
