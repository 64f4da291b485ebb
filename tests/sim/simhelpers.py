"""Shared helpers for the engine's unit tests: driving generators by hand, real loopback
sockets, a subprocess with ``PYTHONHASHSEED=0``, and small scenarios."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GALLERY = REPO / "gallery"

# -- driving the engine's generators by hand ---------------------------------------------


def step(gen, value: Any = None) -> tuple[str, Any]:
    """Resume ``gen`` once: ``("blocked", what it yielded)``, ``("done", its return value)``
    or ``("raised", the exception's class name)``."""
    try:
        return "blocked", gen.send(value)
    except StopIteration as stop:
        return "done", stop.value
    except Exception as err:  # the outcome under test, whatever the class
        return "raised", type(err).__name__.rstrip("_")


# -- real sockets ------------------------------------------------------------------------


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A connected (client, server) pair of real TCP sockets on 127.0.0.1."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return client, server


def kernel_unread(sock: socket.socket) -> int:
    """Bytes waiting in ``sock``'s kernel receive buffer (``FIONREAD``)."""
    import fcntl
    import termios

    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)


# -- a Python with hash randomization off ------------------------------------------------


def run_hashseed0(code: str, payload: Any, python: str | Path = sys.executable) -> Any:
    """Run ``code`` in a fresh interpreter (this one, or `python`) with ``PYTHONHASHSEED=0``;
    it reads ``payload`` as JSON from ``sys.stdin`` and prints one JSON document, which is
    returned."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        [str(python), "-c", code], input=json.dumps(payload), capture_output=True, text=True,
        env=env, check=True, cwd=REPO, timeout=60,
    )
    return json.loads(done.stdout)


# -- scenarios ---------------------------------------------------------------------------


def scenario(*sends: str, routes: list[dict] | None = None, **top: Any) -> dict[str, Any]:
    """A scenario with one client per request in ``sends`` (ids c1, c2, ...)."""
    doc: dict[str, Any] = {
        "format": "wsgiscope/scenario@1",
        "app": {"routes": routes if routes is not None else [
            {"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]},
        "clients": [{"id": f"c{n}", "at": n, "send": [data]} for n, data in enumerate(sends, 1)],
    }
    doc.update(top)
    return doc


def get(path: str = "/", version: str = "HTTP/1.1") -> str:
    return f"GET {path} {version}\r\nHost: localhost\r\n\r\n"


def gallery() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(GALLERY.glob("*.json"))}
