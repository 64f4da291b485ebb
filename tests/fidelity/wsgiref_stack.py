"""Record the standard library's wsgiref server (``server.kind: "wsgiref"``).

The child is :mod:`.real_stack`'s (same profiler, same clients, same settling); what differs
for wsgiref, and why:

* **The console is the real stderr.** wsgiref writes its log lines, and ``handle_error`` its
  tracebacks, to ``sys.stderr``, and puts ``sys.stderr`` itself in the environ
  (``wsgi.errors``), which ``demo_app`` prints. So ``sys.stderr`` stays the interpreter's own
  object, and file descriptor 2 is pointed at a temporary file that is read at the end.
* **File descriptors are those of a server process.** ``demo_app`` prints
  ``repr(environ["wsgi.input"])``, which names the connection's descriptor: in a fresh
  server process the listening socket is 3 and each accepted connection 4. The harness's
  own descriptors (the saved stderr, the clients' sockets, which in reality live in other
  processes) are moved above :data:`HIGH_FD` before the server binds or accepts.
* **The process environment is empty.** ``BaseHandler.os_environ`` copies ``os.environ``
  when ``wsgiref.handlers`` is imported, and every request's environ starts from it; the
  child empties ``os.environ`` first (the engine models an empty one).
* **The port is the scenario's when it names one** (``demo_app`` prints ``SERVER_PORT``);
  otherwise a free one with as many digits as the default 5000, written back as 5000 in what
  the clients receive (a redirect without a ``Host`` names ``localhost:<port>``).
* **handle_request returns, and the process would exit.** The child then closes the
  listening socket (what the kernel does at exit: queued connections are reset), without
  profiling, and waits for the conductor to end the process.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .real_stack import (
    CallRecorder,
    Child,
    ClientRun,
    ConsoleCapture,
    EnvironRecorder,
    LogRecord,
    _end_of_traceback,
    build_flask_app,
    collapse_tracebacks,
    free_port_like,
    listen_host,
    normalize_log_text,
)

#: The harness's own descriptors are moved to this number or above.
HIGH_FD = 200
#: What the first ``socket()`` of a server process gets (0-2 are stdio).
LISTEN_FD = 3
#: the port a scenario's server listens on when it names none (docs/engine-api.md)
DEFAULT_PORT = 5000


def move_high(fd: int) -> int:
    """A duplicate of `fd` at HIGH_FD or above (close-on-exec); `fd` itself is closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
    os.close(fd)
    return high


class StderrFile(ConsoleCapture):
    """The server's console: whatever reached file descriptor 2, read back at the end and
    cut into records (a line, or a whole traceback, or ``handle_error``'s block)."""

    def __init__(self, path: Path) -> None:
        super().__init__(lambda thread: "main")
        self.path = path

    def records(self) -> list[LogRecord]:
        sys.stderr.flush()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        return [LogRecord("main", norm, collapse_tracebacks(norm))
                for norm in map(normalize_log_text, split_records(text))]


def split_records(text: str) -> list[str]:
    """One record per line, except that a traceback (with the line that introduces it,
    such as Flask's "ERROR in app") and socketserver's ``handle_error`` block between two
    rules of dashes are one record each."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "-" * 40:
            end = lines.index(line, i + 1) if line in lines[i + 1 :] else len(lines) - 1
            records.append("\n".join(lines[i : end + 1]))
            i = end + 1
        elif line.startswith("Traceback (most recent call last):"):
            _, after = _end_of_traceback(lines, i)
            records.append("\n".join(lines[i:after]))
            i = after
        else:
            records.append(line)
            i += 1
    return records


#: the peer port of each accepted connection, by its file descriptor (noted at accept: a
#: peer that has reset by the time its request is dispatched has no address any more)
ACCEPTED_PEERS: dict[int, int] = {}


def note_accepted_peers(httpd: Any) -> None:
    """Wrap the server's ``get_request`` (the real one still runs, and is recorded) so each
    accepted connection's peer port is known by its descriptor."""
    get_request = httpd.get_request

    def noting_get_request() -> Any:
        request, address = get_request()
        ACCEPTED_PEERS[request.fileno()] = address[1]
        return request, address

    httpd.get_request = noting_get_request


class WsgirefEnvironRecorder(EnvironRecorder):
    """wsgiref's environ has no ``REMOTE_PORT``: the client is found by the connection's
    peer port, read off ``wsgi.input`` (the rfile over the accepted socket), or, once the
    peer has reset, by the socket's descriptor as it was accepted."""

    def install(self, app: Any) -> None:
        super().install(app)
        recorded = app.request_context

        def request_context(environ: dict[str, Any]) -> Any:
            before = len(self.seen)
            ctx = recorded(environ)
            if len(self.seen) > before:
                sock = environ["wsgi.input"].raw._sock
                try:
                    port = sock.getpeername()[1]
                except OSError:  # the peer has reset: no address any more
                    port = ACCEPTED_PEERS.get(sock.fileno())
                self.seen[before] = (port, self.seen[before][1])
            return ctx

        app.request_context = request_context


#: Up to this many clients get their sockets before any starts; more would pass fd 1023,
#: past which ``select()`` (the client's reader) cannot go. Beyond it each client makes its
#: socket when it connects and moves it up at once (a tiny window in which the server's
#: ``accept()`` could take a higher number than 4; only ``demo_app`` would show it).
PREPARED_CLIENTS = 50


@dataclass
class WsgirefClientRun(ClientRun):
    """A client whose socket lives above HIGH_FD (in reality it belongs to another process),
    made before any client starts when the scenario has few clients."""

    prepare_early: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.prepared = new_high_socket() if self.prepare_early else None

    def connect(self, port: int) -> socket.socket:
        sock = self.prepared or new_high_socket()
        sock.connect(("127.0.0.1", port))
        return sock


def new_high_socket() -> socket.socket:
    made = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, fileno=move_high(made.detach()))


def start_wsgiref_server(scenario: dict[str, Any], root: Path, on_listening) -> None:
    """``make_server(host, port, app)`` then ``serve_forever()`` or one ``handle_request()``."""
    server_decl = scenario.get("server", {})
    if "wsgiref.handlers" in sys.modules:
        raise RuntimeError("wsgiref was imported before the process environment was emptied")
    os.environ.clear()
    import wsgiref.simple_server as simple_server

    app_decl = scenario.get("app", {})
    if app_decl.get("kind") == "demo_app":
        app = simple_server.demo_app
    else:
        app = build_flask_app(app_decl, root)
    if server_decl.get("backlog") is not None:
        # listen(request_queue_size): this child process serves one scenario only
        simple_server.WSGIServer.request_queue_size = server_decl["backlog"]
    # a free port like the declared one (recordings run beside each other, and beside other
    # servers on this machine), rewritten back to it in what the clients receive: a
    # redirect names it, and demo_app's body prints SERVER_PORT (real_stack's as_declared)
    port = free_port_like(server_decl.get("port", DEFAULT_PORT))
    httpd = simple_server.make_server(listen_host(server_decl), port, app)
    if httpd.fileno() != LISTEN_FD:
        raise RuntimeError(f"the listening socket is fd {httpd.fileno()}, not {LISTEN_FD}")
    httpd.app = app  # where the harness looks for the app (Werkzeug's servers have it)
    note_accepted_peers(httpd)
    on_listening(httpd)
    if server_decl.get("start") != "handle_request":
        httpd.serve_forever(poll_interval=server_decl.get("poll_interval", 0.5))
        return
    if server_decl.get("timeout") is not None:
        httpd.timeout = server_decl["timeout"]
    httpd.handle_request()
    # The script ends here. Its process would exit, and the kernel close the listening
    # socket: that is done (unrecorded), and the conductor ends the process.
    sys.setprofile(None)
    threading.setprofile(None)
    httpd.server_close()
    threading.Event().wait()


def child_main(scenario: dict[str, Any]) -> None:
    """The child for a wsgiref scenario (called by ``real_stack.child_main``)."""
    saved_stderr = move_high(os.dup(2))
    capture = Path(tempfile.mkdtemp(prefix="wsgiscope-stderr-")) / "stderr.txt"
    fd = os.open(capture, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    # The harness reports its own failures on the saved stderr.
    sys.__stderr__ = open(saved_stderr, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    WsgirefClientRun.prepare_early = len(scenario.get("clients", [])) <= PREPARED_CLIENTS
    recorder = CallRecorder()
    console = StderrFile(capture)
    child = Child(scenario, recorder, console, environs=WsgirefEnvironRecorder(recorder, console),
                  client_run_class=WsgirefClientRun)
    threading.Thread(target=child.conduct, name="conductor", daemon=True).start()
    recorder.install()
    try:
        start_wsgiref_server(scenario, Path.cwd(), child.on_listening)
        problem = "the server stopped before the conductor finished\n"
    except BaseException:
        import traceback

        problem = traceback.format_exc()
    sys.setprofile(None)
    sys.__stderr__.write(problem)
    sys.__stderr__.flush()
    os._exit(1)
