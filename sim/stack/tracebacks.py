"""What the console shows of a traceback: its last line (DESIGN.md, ``log``)."""

from __future__ import annotations


def last_line(error: BaseException) -> str:
    """``RuntimeError`` or ``OSError: Invalid chunk header``: the exception as Python prints
    it on a traceback's last line. A simulated exception carries the real class name."""
    name = getattr(error, "real_name", type(error).__name__)
    message = str(error)
    return f"{name}: {message}" if message else name
