"""Run the REAL server stack on a wsgiscope/scenario@1 and record what happened.

The parent side is :func:`record`: it starts a fresh interpreter
(``python -m tests.fidelity.real_stack``), feeds it the scenario JSON on stdin and
reads a :class:`Recording` back as JSON on stdout.

A fresh process per case matters: Werkzeug's ``BaseWSGIServer.__init__`` sets
``WSGIRequestHandler.protocol_version = "HTTP/1.1"`` on the *class* when threaded,
which would leak into every later non-threaded server of the same process.

Inside the child:

* the server runs in the main thread (``serve_forever``), exactly as ``app.run()`` would;
* a conductor thread plays the scenario's clients on 127.0.0.1 (each client in its own
  thread, reading concurrently while it sends), then snapshots the recording, prints it
  and ends the process with ``os._exit`` (so a handler blocked forever cannot hang us);
* ``sys.setprofile``/``threading.setprofile`` record every call into the server-side
  libraries, per server thread; the harness threads switch profiling off for themselves.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import io
import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .forks import ForkRecorder

REPO_ROOT = Path(__file__).resolve().parents[2]

# Modules whose calls are recorded: exact names, and packages (the name or anything below).
RECORDED_MODULES = frozenset(
    {"socketserver", "http.server", "http.client", "werkzeug.serving", "werkzeug.exceptions", "app",
     "werkzeug.routing", "werkzeug.wsgi", "werkzeug._reloader",
     "blinker.base"}  # Flask's signals are sent by blinker's Signal.send
)
RECORDED_PACKAGES = ("werkzeug.wrappers.", "werkzeug.routing.", "werkzeug.sansio.", "flask.", "wsgiref.")
# The user's declared functions live in a module of this name, as DESIGN.md names them.
APP_MODULE = "app"

# A client still reading this long after the scenario's last event ends as "open".
OPEN_MARGIN_S = 1.0
# The server counts as settled after this long without a (non-periodic) recorded call.
SETTLE_QUIET_S = 0.3
SETTLE_MAX_S = 3.0
# serve_forever calls service_actions every poll_interval: periodic, so not "activity".
PERIODIC_CALLS = frozenset(
    {"socketserver.BaseServer.service_actions", "socketserver.ForkingMixIn.service_actions",
     "socketserver.ForkingMixIn.collect_children"}
)
# Granularity of the clients' waits (select timeouts); every wait is also deadline-bounded.
TICK_S = 0.005

CLIENT_ENDS = ("eof", "reset", "timeout", "client_closed", "open")


# --------------------------------------------------------------------------- data


@dataclass
class ClientResult:
    received: str  # raw bytes as latin-1 text
    end: str  # one of CLIENT_ENDS


@dataclass
class LogRecord:
    actor: str
    text: str  # the full record, normalized (date and ports)
    line: str  # what the comparison uses: `text` with each traceback cut to its last line


@dataclass
class Recording:
    clients: dict[str, ClientResult]
    calls: dict[str, list[str]]
    log: list[LogRecord]
    #: per thread, the name of the signal each ``blinker.base.Signal.send`` call sent
    signals: dict[str, list[str]] = field(default_factory=dict)
    #: per client, the WSGI environ of each request as the view sees it (``describe``d;
    #: a forking server's children report theirs through ``forks.ForkRecorder``)
    environs: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recording:
        return cls(
            clients={cid: ClientResult(**c) for cid, c in data["clients"].items()},
            calls=data["calls"],
            log=[LogRecord(**r) for r in data["log"]],
            signals=data.get("signals", {}),
            environs=data.get("environs", {}),
        )


# --------------------------------------------------------------------------- parent side


def record(scenario: dict[str, Any], *, timeout: float | None = None, _attempt: int = 1) -> Recording:
    """Record `scenario` on the real stack, in a fresh child interpreter."""
    limit = timeout if timeout is not None else scenario_duration_s(scenario) + 30.0
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(REPO_ROOT)}
    env.pop("WERKZEUG_RUN_MAIN", None)
    env.pop("FLASK_RUN_FROM_CLI", None)
    env.pop("WERKZEUG_SERVER_FD", None)
    with tempfile.TemporaryDirectory(prefix="wsgiscope-real-") as workdir:
        # The child's cwd is a fresh directory: it becomes the app's root_path (static
        # files live under it) and Flask's load_dotenv finds no stray .env there.
        proc = subprocess.run(
            [str(python_for(scenario)), "-m", "tests.fidelity.real_stack"],
            input=json.dumps(scenario).encode(),
            capture_output=True,
            timeout=limit,
            cwd=workdir,
            env=env,
            check=False,
        )
    if proc.returncode != 0 and b"Address already in use" in proc.stderr and _attempt < 3:
        # the free port found by free_port_like was taken before the server bound it
        return record(scenario, timeout=timeout, _attempt=_attempt + 1)
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")
        raise RuntimeError(f"real stack child failed (exit {proc.returncode}):\n{stderr}")
    return Recording.from_json(json.loads(proc.stdout))


def python_for(scenario: dict[str, Any]) -> Path:
    """The interpreter whose installed stack is the judge for the scenario's server kind."""
    if scenario.get("server", {}).get("kind") == "werkzeug-legacy":
        from .legacy_env import legacy_python

        return legacy_python()  # Werkzeug 0.16.1 + Flask 1.1.4, in .venv-legacy/
    return Path(sys.executable)


def scenario_address(scenario: dict[str, Any]) -> str:
    """``host:port`` the scenario's server declares (docs/engine-api.md: 127.0.0.1:5000 by
    default). The real server listens on a free port (recordings run in parallel), so where
    its own address shows in a response (a redirect's Location without a Host header) it is
    rewritten to this one."""
    server = scenario.get("server", {})
    return f"{server.get('host', '127.0.0.1')}:{server.get('port', 5000)}"


def scenario_duration_s(scenario: dict[str, Any]) -> float:
    """Time of the scenario's last client event (connect, send, read timeout), plus the time
    the app may spend sleeping (slow views, paced streams), in seconds."""
    last_ms = 0.0
    for client in scenario.get("clients", []):
        t = float(client.get("at", 0))
        for chunk in client.get("send", []):
            if isinstance(chunk, dict):
                t += float(chunk.get("after", 0))
        t += float(client.get("read_timeout") or 0)
        last_ms = max(last_ms, t)
    return (last_ms + _app_delays_ms(scenario.get("app", {}))) / 1000.0


def _views(app_decl: dict[str, Any]) -> list[dict[str, Any]]:
    routes = [*app_decl.get("routes", [])]
    for bp in app_decl.get("blueprints", []):
        routes += bp.get("routes", [])
    return [route.get("view", {}) for route in routes]


def _app_delays_ms(app_decl: dict[str, Any]) -> float:
    """An upper bound of the app's own waiting: every view's sleep and stream pauses, summed
    (on a non-threaded server they happen one after another)."""
    return sum(
        float(view.get("sleep", 0)) + float(view.get("interval", 0)) * len(view.get("stream", []))
        for view in _views(app_decl)
    )


def longest_app_pause_s(scenario: dict[str, Any]) -> float:
    """The longest single sleep of the app (a slow view, a stream's pause), in seconds: the
    server is not settled while one may still be under way."""
    views = _views(scenario.get("app", {}))
    pauses = [max(float(v.get("sleep", 0)), float(v.get("interval", 0))) for v in views]
    return max(pauses, default=0.0) / 1000.0


# --------------------------------------------------------------------------- call recording


# The scenario's clock starts when the server loop is entered, not at listen(): the startup
# between the two (banner, log_startup) takes 10-200 ms on a loaded machine, which would
# shift the server's work against the clients' timings. The socket listens already.
SERVER_LOOPS = frozenset({"socketserver.BaseServer.serve_forever", "socketserver.BaseServer.handle_request"})
# The profile names every signal's send the same (NamedSignal inherits Signal.send): the
# signal's name is read from the call's `self`.
SIGNAL_SEND = "blinker.base.Signal.send"
# Flask 1.1 without blinker installed (the legacy stack): the no-op stand-in, named too.
SIGNAL_SENDS = frozenset({SIGNAL_SEND, "flask.signals._FakeSignal.send"})


class CallRecorder:
    """A setprofile hook that keeps, per thread, the qualnames of recorded calls."""

    #: entering one of these starts the scenario's clock (``serving``)
    clock_starts: frozenset[str] = SERVER_LOOPS

    def __init__(self) -> None:
        self._local = threading.local()
        self._threads: list[tuple[threading.Thread, list[str]]] = []
        self._signals: dict[threading.Thread, list[str]] = {}
        # Keyed by the code object's id, not the object: code objects compare by content
        # (co_qualname aside), so two declared views with the same body would share the
        # first one's name. Each entry keeps its code alive, so its id is never reused.
        self._qualnames: dict[int, tuple[types.CodeType, str | None]] = {}
        self.activity = 0  # count of non-periodic recorded calls, to detect quiescence
        self.serving = threading.Event()  # set when a SERVER_LOOPS function is entered

    def install(self) -> None:
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)

    def _hook(self, frame: types.FrameType, event: str, _arg: object) -> None:
        if event != "call":
            return
        code = frame.f_code
        try:
            qualname = self._qualnames[id(code)][1]
        except KeyError:
            qualname = _recorded_qualname(frame)
            self._qualnames[id(code)] = (code, qualname)
        if qualname is None:
            return
        calls = getattr(self._local, "calls", None)
        if calls is None:
            calls = self._local.calls = []
            self._threads.append((threading.current_thread(), calls))
        calls.append(qualname)
        if qualname in SIGNAL_SENDS:
            sent = self._signals.setdefault(threading.current_thread(), [])
            sent.append(getattr(frame.f_locals.get("self"), "name", "?"))
        if qualname not in PERIODIC_CALLS:
            self.activity += 1
        if qualname in self.clock_starts:
            self.serving.set()

    def snapshot(self) -> dict[str, list[str]]:
        """Calls per thread, named as the simulator names actors (main, thread-1, ...)."""
        return {self.actor_name(thread): list(calls) for thread, calls in list(self._threads)}

    def signals(self) -> dict[str, list[str]]:
        """The signals each thread sent, in order (threads that sent none are left out)."""
        return {self.actor_name(thread): list(sent) for thread, sent in list(self._signals.items())}

    def actor_name(self, thread: threading.Thread) -> str:
        """``main`` for the server loop; ``thread-N`` for the N-th recorded worker thread."""
        if thread is threading.main_thread():
            return "main"
        workers = sorted(_creation_number(t) for t, _ in list(self._threads) if t is not threading.main_thread())
        number = _creation_number(thread)
        return f"thread-{workers.index(number) + 1}" if number in workers else thread.name


def _recorded_qualname(frame: types.FrameType) -> str | None:
    module = frame.f_globals.get("__name__", "")
    if module in RECORDED_MODULES or module.startswith(RECORDED_PACKAGES):
        return f"{module}.{frame.f_code.co_qualname}"
    return None


def _creation_number(thread: threading.Thread) -> int:
    # threading names unnamed threads "Thread-N (target)" with N from a global counter
    # taken in the constructor, so N orders worker threads by creation (accept order),
    # which is how the simulator numbers them -- even if a later thread runs first.
    match = re.match(r"Thread-(\d+)", thread.name)
    return int(match.group(1)) if match else sys.maxsize


def stop_profiling_this_thread() -> None:
    """Harness threads call this first: they are not part of the server."""
    sys.setprofile(None)


# --------------------------------------------------------------------------- console capture

_WERKZEUG_DATE = re.compile(r"\[\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d\]")
_LOGGING_DATE = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]")
_HOST_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")
_ADDRESS_TUPLE = re.compile(r"\('127\.0\.0\.1', \d+\)")
# threading names threads from a process-wide counter, which the harness's own threads move
_THREAD_NAME = re.compile(r"^Exception in thread Thread-\d+ ", re.MULTILINE)
_HANDLE_ERROR_RULE = "-" * 40
DATE_PLACEHOLDER = "[DATE]"


def normalize_log_text(text: str) -> str:
    """Replace what differs between runs (dates, ports) by fixed placeholders."""
    text = _WERKZEUG_DATE.sub(DATE_PLACEHOLDER, text)
    text = _LOGGING_DATE.sub(DATE_PLACEHOLDER, text)
    text = _HOST_PORT.sub(r"\1:PORT", text)
    text = _THREAD_NAME.sub("Exception in thread Thread-N ", text)
    return _ADDRESS_TUPLE.sub("('127.0.0.1', PORT)", text)


_CHAIN_SENTENCES = (
    "The above exception was the direct cause of the following exception:",
    "During handling of the above exception, another exception occurred:",
)


def collapse_tracebacks(text: str) -> str:
    """Cut every traceback down to its last line (the final exception).

    DESIGN.md: the log shows "tracebacks as their last line". A traceback runs from
    ``Traceback (most recent call last):`` over indented frame lines to the first
    unindented line -- unless a chained exception follows ("The above exception was the
    direct cause ..."), in which case it goes on to the end of the chain.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("Traceback (most recent call last):"):
            out.append(lines[i])
            i += 1
            continue
        last, i = _end_of_traceback(lines, i)
        out.append(last)
    return "\n".join(out)


def _end_of_traceback(lines: list[str], i: int) -> tuple[str, int]:
    """(the final exception line, the index after it) of the traceback at lines[i]."""
    last = ""
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line or line.startswith((" ", "\t")) or line.startswith("Traceback ("):
            continue
        if line in _CHAIN_SENTENCES:
            continue
        last = line
        following = next((x for x in lines[i:] if x), "")
        if following not in _CHAIN_SENTENCES:
            break
    return last, i


class ConsoleCapture(io.TextIOBase):
    """Stands in for sys.stdout and sys.stderr: the server's console, in write order.

    click (Flask's banner) probes ``write(b"")`` to detect binary streams, so bytes are
    refused; ``encoding`` is set so click uses the stream as it is.
    """

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, actor_of: Callable[[threading.Thread], str]) -> None:
        super().__init__()
        self._actor_of = actor_of
        self._lock = threading.Lock()
        self._writes: list[tuple[threading.Thread, str]] = []

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError("console capture takes text")
        with self._lock:
            self._writes.append((threading.current_thread(), s))
        return len(s)

    def records(self) -> list[LogRecord]:
        """Group the raw writes into logical records.

        One record per completed line-group of a thread: a logging record is one write
        ending in a newline; ``print`` writes its parts and the newline separately; and
        ``socketserver.BaseServer.handle_error`` prints a traceback between two rules of
        40 dashes, which together are one record.
        """
        with self._lock:
            writes = list(self._writes)
        pending: dict[threading.Thread, str] = {}
        raw: list[tuple[threading.Thread, str]] = []
        for thread, s in writes:
            buf = pending.get(thread, "") + s
            if buf.endswith("\n"):
                raw.append((thread, buf[:-1]))
                buf = ""
            pending[thread] = buf
        raw.extend((thread, buf) for thread, buf in pending.items() if buf)
        return [
            LogRecord(self._actor_of(thread), norm, collapse_tracebacks(norm))
            for thread, text in _merge_excepthook_blocks(_merge_handle_error_blocks(raw))
            for norm in [normalize_log_text(text)]
        ]


def _merge_excepthook_blocks(
    raw: list[tuple[threading.Thread, str]],
) -> list[tuple[threading.Thread, str]]:
    """``threading.excepthook`` writes "Exception in thread ...:" and then the traceback
    line by line: one record, up to the exception's own (unindented) line."""
    merged: list[tuple[threading.Thread, str]] = []
    open_block: dict[threading.Thread, int] = {}
    for thread, text in raw:
        if thread in open_block:
            index = open_block[thread]
            merged[index] = (thread, merged[index][1] + "\n" + text)
            first = text.split("\n", 1)[0]
            if first and not first.startswith((" ", "\t", "Traceback (")) and first not in _CHAIN_SENTENCES:
                del open_block[thread]
            continue
        if text.startswith("Exception in thread ") and text.endswith(":"):
            open_block[thread] = len(merged)
        merged.append((thread, text))
    return merged


def _merge_handle_error_blocks(
    raw: list[tuple[threading.Thread, str]],
) -> list[tuple[threading.Thread, str]]:
    merged: list[tuple[threading.Thread, str]] = []
    open_block: dict[threading.Thread, int] = {}
    for thread, text in raw:
        if thread in open_block:
            index = open_block[thread]
            merged[index] = (thread, merged[index][1] + "\n" + text)
            if text == _HANDLE_ERROR_RULE:
                del open_block[thread]
            continue
        if text == _HANDLE_ERROR_RULE:
            open_block[thread] = len(merged)
        merged.append((thread, text))
    return merged


# --------------------------------------------------------------------------- the declared app


def as_app_function(func: Callable[..., Any], qualname: str) -> types.FunctionType:
    """A copy of `func` that profiles as ``app.<qualname>``.

    The profiler names a call by ``f_globals["__name__"]`` and ``co_qualname``, so the
    copy gets globals whose ``__name__`` is "app" and a code object (and nested code
    objects, such as a stream view's ``generate``) renamed under `qualname`.
    """
    app_globals = {**func.__globals__, "__name__": APP_MODULE}
    renamed = types.FunctionType(
        _renamed_code(func.__code__, qualname),
        app_globals,
        qualname.rsplit(".", 1)[-1],
        func.__defaults__,
        func.__closure__,
    )
    renamed.__qualname__ = qualname
    renamed.__module__ = APP_MODULE
    return renamed


def _renamed_code(code: types.CodeType, qualname: str) -> types.CodeType:
    consts = tuple(
        _renamed_code(c, f"{qualname}.<locals>.{c.co_name}") if isinstance(c, types.CodeType) else c
        for c in code.co_consts
    )
    return code.replace(co_name=qualname.rsplit(".", 1)[-1], co_qualname=qualname, co_consts=consts)


def _fill_values(template: Any, values: dict[str, Any]) -> Any:
    """Replace "{key}" by the URL value: a whole-string match keeps the converter's type
    (`return {"id": id}`); inside a longer string it is an f-string (`f"item {id}"`), which
    puts each value in once (a value that reads "{other}" is not filled again)."""
    if isinstance(template, dict):
        return {k: _fill_values(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill_values(v, values) for v in template]
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]) if m[1] in values else m[0], template)
    return template


def _result(decl: dict[str, Any], values: dict[str, Any]) -> Any:
    """What a declared view (or a hook's `returns`) returns, as natural Flask code would."""
    from flask import Response, abort, request

    if "abort" in decl:
        abort(decl["abort"])
    if "raise" in decl:
        # `raise RuntimeError` -- a builtin exception class, raised without arguments.
        raise getattr(builtins, decl["raise"])
    if "json" in decl:
        body: Any = _fill_values(decl["json"], values)  # `return {"id": id}`
    elif decl.get("echo"):
        body = request.get_data()  # `return request.get_data()`
    else:
        body = decl.get("text", "")
    status, headers = decl.get("status"), decl.get("headers")
    if "mimetype" in decl:
        return Response(body, status=status, headers=headers, mimetype=decl["mimetype"])
    if status is None and headers is None:
        return body
    return body, status or 200, headers or {}


def _view(name: str, decl: dict[str, Any]) -> types.FunctionType:
    if "stream" in decl:
        return _stream_view(name, decl)

    def view(**values: Any) -> Any:
        if decl.get("sleep"):
            time.sleep(decl["sleep"] / 1000)  # a slow view holds its thread
        return _result(decl, values)

    return as_app_function(view, name)


def _stream_view(name: str, decl: dict[str, Any]) -> types.FunctionType:
    from flask import Response, stream_with_context

    chunks = list(decl["stream"])
    interval = decl.get("interval", 0) / 1000

    def view(**values: Any) -> Any:
        if decl.get("sleep"):
            time.sleep(decl["sleep"] / 1000)

        # The natural streaming view: a nested generator, so its calls show as
        # app.<name>.<locals>.generate, each time the server resumes it.
        def generate() -> Any:
            for chunk in chunks:
                if interval:
                    time.sleep(interval)  # a slow producer: the client sees chunks arrive
                yield chunk

        body = stream_with_context(generate()) if decl.get("with_context") else generate()
        return Response(
            body,
            status=decl.get("status"),
            headers=decl.get("headers"),
            mimetype=decl.get("mimetype"),
        )

    return as_app_function(view, name)


def _before_request(decl: dict[str, Any]) -> types.FunctionType:
    from flask import request

    only_path, returns = decl.get("only_path"), decl.get("returns")

    def hook() -> Any:
        # `if request.path == only_path: return <returns>`; without only_path it always
        # applies; without returns it falls through (returns None) for every path.
        if returns is not None and (only_path is None or request.path == only_path):
            return _result(returns, {})
        return None

    return as_app_function(hook, decl["name"])


def _after_request(decl: dict[str, Any]) -> types.FunctionType:
    set_headers = decl.get("set_headers", {})

    def hook(response: Any) -> Any:
        for key, value in set_headers.items():
            response.headers[key] = value
        return response

    return as_app_function(hook, decl["name"])


def _teardown(decl: dict[str, Any]) -> types.FunctionType:
    def hook(exc: BaseException | None) -> None:
        return None

    return as_app_function(hook, decl["name"])


def _url_value_preprocessor(decl: dict[str, Any]) -> types.FunctionType:
    def hook(endpoint: str | None, values: dict[str, Any] | None) -> None:
        return None

    return as_app_function(hook, decl["name"])


def _errorhandler(code: str, decl: dict[str, Any]) -> types.FunctionType:
    # `return text, status`; the status defaults to the handled code, which is what an
    # error handler is written for (a bare `return text` would turn the 404 into a 200).
    # A handler for an exception class ("ValueError") is `return text` unless it has one.
    returns = {"text": decl.get("text", "")}
    if "status" in decl or code.isdigit():
        returns["status"] = decl.get("status", int(code) if code.isdigit() else None)
    returns.update({k: decl[k] for k in ("headers", "json", "mimetype") if k in decl})
    if "json" in returns:
        del returns["text"]

    def handler(error: Exception) -> Any:
        return _result(returns, {})

    return as_app_function(handler, decl["name"])


def _add_routes_and_hooks(scaffold: Any, decl: dict[str, Any]) -> None:
    """What an app module (or a blueprint module) declares: routes, then hooks."""
    # Routes that declare the same view (name and body) are one function under several
    # rules, so they may share an endpoint, as in Flask.
    views: dict[tuple[str, str], types.FunctionType] = {}
    for route in decl.get("routes", []):
        name = route.get("name") or route.get("endpoint")
        if not name:
            raise ValueError(f"route {route.get('rule')!r} needs an endpoint or a name")
        options: dict[str, Any] = {"endpoint": route.get("endpoint")}
        if "methods" in route:
            options["methods"] = route["methods"]
        if "strict_slashes" in route:
            options["strict_slashes"] = route["strict_slashes"]
        view = route.get("view", {})
        key = (name, json.dumps(view, sort_keys=True))
        if key not in views:
            views[key] = _view(name, view)
        scaffold.route(route["rule"], **options)(views[key])
    for hook in decl.get("url_value_preprocessors", []):
        scaffold.url_value_preprocessor(_url_value_preprocessor(hook))
    for hook in decl.get("before_request", []):
        scaffold.before_request(_before_request(hook))
    for hook in decl.get("after_request", []):
        scaffold.after_request(_after_request(hook))
    for hook in decl.get("teardown_request", []):
        scaffold.teardown_request(_teardown(hook))
    for code, handler in decl.get("errorhandlers", {}).items():
        # a code, or a builtin exception class by name ("ValueError")
        key = int(code) if code.isdigit() else getattr(builtins, code)
        scaffold.errorhandler(key)(_errorhandler(code, handler))


#: docs/engine-api.md: a static file's `text` is stored as UTF-8, and its `mtime` defaults
#: to 1700000000 (2023-11-14 22:13:20 UTC).
STATIC_ENCODING = "utf-8"
DEFAULT_STATIC_MTIME = 1_700_000_000


def _write_static_files(static_dir: Path, files: dict[str, dict[str, Any]]) -> None:
    """The declared files as a person's static folder holds them: the text saved as UTF-8
    (what an editor writes), with the declared (or the format's default) modification time."""
    static_dir.mkdir(parents=True, exist_ok=True)
    for rel, spec in files.items():
        path = static_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(spec.get("text", "").encode(STATIC_ENCODING))
        mtime = spec.get("mtime", DEFAULT_STATIC_MTIME)
        os.utime(path, (mtime, mtime))


def build_flask_app(app_decl: dict[str, Any], root: Path) -> Any:
    """The Flask app a user would write for `app_decl`, as if its app.py lived in `root`.

    Flask's default static route serves ``root/static``, where `static_files` are written.
    """
    from flask import Blueprint, Flask

    _write_static_files(root / "static", app_decl.get("static_files", {}))
    app = Flask(app_decl.get("name", "app"), root_path=str(root))
    _add_routes_and_hooks(app, app_decl)
    for hook in app_decl.get("teardown_appcontext", []):
        app.teardown_appcontext(_teardown(hook))
    for bp_decl in app_decl.get("blueprints", []):
        bp = Blueprint(bp_decl["name"], APP_MODULE, url_prefix=bp_decl.get("url_prefix"))
        _add_routes_and_hooks(bp, bp_decl)
        app.register_blueprint(bp)
    return app


# --------------------------------------------------------------------------- the environ

_MEMORY_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_FILE_DESCRIPTOR = re.compile(r"\b(fd|name)=\d+")


def describe(value: Any, stderr_stand_in: Any = None) -> str:
    """An environ value as the inspector shows it: a string as it is, anything else as Python
    prints it, with what differs between runs of one process made stable (no memory
    addresses; file descriptors as ``FD``). The console capture that stands in for
    ``sys.stderr`` here is shown as the stderr it stands for."""
    if isinstance(value, str):
        return value
    if stderr_stand_in is not None and value is stderr_stand_in:
        value = sys.__stderr__
    return _FILE_DESCRIPTOR.sub(r"\1=FD", _MEMORY_ADDRESS.sub("", repr(value)))


class EnvironRecorder:
    """The environ of every request, as the view will see it: taken when ``wsgi_app`` has
    made the request context (``werkzeug.wrappers.Request.__init__`` has put the request
    into it; nothing changes it from there to the view), by wrapping the app's
    ``request_context``. Keyed by ``REMOTE_PORT``, which the conductor maps to clients."""

    def __init__(self, recorder: CallRecorder, stderr_stand_in: Any) -> None:
        self._recorder = recorder
        self._stderr = stderr_stand_in
        self.seen: list[tuple[Any, dict[str, str]]] = []

    def install(self, app: Any) -> None:
        real = app.request_context

        def request_context(environ: dict[str, Any]) -> Any:
            ctx = real(environ)
            # repr(request) computes its URL through werkzeug.sansio: not the app's calls
            sys.setprofile(None)
            try:
                described = {key: describe(value, self._stderr) for key, value in environ.items()}
            finally:
                sys.setprofile(self._recorder._hook)
            self.seen.append((environ.get("REMOTE_PORT"), described))
            return ctx

        app.request_context = request_context

    def by_client(self, ports: dict[int, str]) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {}
        for port, environ in list(self.seen):
            out.setdefault(ports.get(port, f"port {port}"), []).append(environ)
        return out


# --------------------------------------------------------------------------- the server


HTTP_PORT = 80
#: the hosts a recording can listen on: this machine's loopback, by address or by name
LISTEN_HOSTS = ("127.0.0.1", "localhost")


def listen_host(server_decl: dict[str, Any]) -> str:
    """The declared ``server.host``, which the real server binds as a user's would; the
    clients connect to 127.0.0.1 (where ``localhost`` binds too)."""
    host = server_decl.get("host", "127.0.0.1")
    if host not in LISTEN_HOSTS:
        raise ValueError(f"server.host {host!r}: the real stack is recorded on this machine's loopback "
                         f"({' or '.join(LISTEN_HOSTS)})")
    return host


def free_port_like(declared: int) -> int:
    """A free port with as many digits as the declared one.

    Recordings run in parallel, so the real server cannot listen on the declared port. Where
    its address shows in a response (a redirect without a Host header: in the Location and
    twice in the body), the recording rewrites it to the declared one; with as many digits,
    the Content-Length the real server computed stays right. A port of fewer than four
    digits (80) is one of the privileged ports too, which only root may bind."""
    digits = len(str(declared))
    low = 10 ** (digits - 1) if digits < 4 else max(1024, 10 ** (digits - 1))
    high = min(65535, 10**digits - 1)
    rng = random.Random()
    # URLs leave http's port 80 out (SERVER_PORT "80", a redirect's Location), so no other
    # port can stand in for it: it is tried itself first.
    candidates = [HTTP_PORT] if declared == HTTP_PORT else []
    for _ in range(200):
        candidate = candidates.pop() if candidates else rng.randint(low, high)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        return candidate
    raise RuntimeError(f"no free {digits}-digit port" + (" (binding one needs root)" if digits < 4 else ""))


def start_werkzeug_server(app: Any, server_decl: dict[str, Any], on_listening: Callable[[Any], None]) -> None:
    """Start Werkzeug 3's dev server as `server.start` says; blocks in serve_forever.

    `on_listening(server)` is called once the socket listens (from make_server's return),
    for every start method, by wrapping werkzeug.serving.make_server -- which both
    app.run (via run_simple) and run_simple look up at call time.
    """
    import werkzeug.serving as serving

    start = server_decl.get("start", "app.run")
    threaded = bool(server_decl.get("threaded", start == "app.run"))
    processes = server_decl.get("processes", 1)
    real_make_server = serving.make_server

    def make_server(*args: Any, **kwargs: Any) -> Any:
        server = real_make_server(*args, **kwargs)
        on_listening(server)
        return server

    serving.make_server = make_server
    port = free_port_like(server_decl.get("port", 5000))
    if server_decl.get("backlog") is not None:
        # listen(request_queue_size): this child process serves one scenario only
        serving.BaseWSGIServer.request_queue_size = server_decl["backlog"]
    host = listen_host(server_decl)
    if start == "app.run":
        app.run(host=host, port=port, threaded=threaded, processes=processes)
    elif start == "run_simple":
        serving.run_simple(host, port, app, threaded=threaded, processes=processes)
    elif start == "make_server":
        server = serving.make_server(host, port, app, threaded=threaded, processes=processes)
        if server_decl.get("kind") == "werkzeug-legacy":
            server.serve_forever()  # 0.16's serve_forever() takes no poll_interval
        else:
            server.serve_forever(poll_interval=server_decl.get("poll_interval", 0.5))
    else:
        raise ValueError(f"server.start: unknown start method {start!r}")


SERVERS: dict[str, Callable[[dict[str, Any], Path, Callable[[Any], None]], None]] = {
    "werkzeug": lambda scenario, root, on_listening: start_werkzeug_server(
        build_flask_app(scenario.get("app", {}), root), scenario["server"], on_listening
    ),
    # Werkzeug 0.16.1 + Flask 1.1.4 (this child runs in .venv-legacy/): the same calls.
    "werkzeug-legacy": lambda scenario, root, on_listening: start_werkzeug_server(
        build_flask_app(scenario.get("app", {}), root), scenario["server"], on_listening
    ),
}


# --------------------------------------------------------------------------- the clients


@dataclass
class ClientScript:
    id: str
    at_s: float
    chunks: list[tuple[float, bytes]]  # (delay after the previous event, data)
    then: str
    read_timeout_s: float | None

    @classmethod
    def from_decl(cls, decl: dict[str, Any]) -> ClientScript:
        chunks = []
        for chunk in decl.get("send", []):
            if isinstance(chunk, str):
                chunks.append((0.0, chunk.encode("latin-1")))
            else:
                chunks.append((chunk.get("after", 0) / 1000.0, chunk["data"].encode("latin-1")))
        timeout = decl.get("read_timeout")
        return cls(
            id=decl["id"],
            at_s=decl.get("at", 0) / 1000.0,
            chunks=chunks,
            then=decl.get("then", "read"),
            read_timeout_s=None if timeout is None else timeout / 1000.0,
        )


#: libc, called without releasing the GIL (a ``PyDLL``): see :meth:`ClientRun._send_and_end`
_LIBC = ctypes.PyDLL(None, use_errno=True)
_LIBC.send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
_LIBC.send.restype = ctypes.c_ssize_t
_LIBC.recv.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
_LIBC.recv.restype = ctypes.c_ssize_t
_LIBC.connect.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
_LIBC.close.argtypes = [ctypes.c_int]
#: a ``struct sockaddr`` whose family is AF_UNSPEC (0): connect() to it aborts a connection
_AF_UNSPEC = bytes(16)


def last_burst(chunks: list[tuple[float, bytes]]) -> int:
    """Where the last chunks sent at one instant begin (each after the one before it with
    no delay); ``len(chunks)`` for no chunks."""
    start = len(chunks) - 1
    while start > 0 and chunks[start][0] == 0:
        start -= 1
    return max(start, 0) if chunks else 0


@dataclass
class ClientRun:
    """One client's connection: a sender (the client's thread) and a concurrent reader."""

    script: ClientScript
    deadline: float  # monotonic time after which a still-reading client is "open"
    received: bytearray = field(default_factory=bytearray)
    reader_end: str | None = None
    send_failed: bool = False
    reading_phase_since: float | None = None  # when `then` started: read_timeout counts
    last_data_at: float = 0.0
    stop_reading: threading.Event = field(default_factory=threading.Event)  # then: reset
    #: held by the reader while it reads, and by the abort of ``then: "reset"``
    reading: threading.Lock = field(default_factory=threading.Lock)
    # Kept referenced until the process exits: a collected socket object closes itself,
    # and an "open" client must not close (the server would act on an event the
    # scenario does not have).
    sock: socket.socket | None = None
    local_port: int | None = None  # the server's REMOTE_PORT for this client

    def run(self, t0: float, port: int) -> ClientResult:
        stop_profiling_this_thread()
        self._sleep_until(t0, t0 + self.script.at_s)
        try:
            sock = self.sock = self.connect(port)
        except ConnectionRefusedError:
            # Nothing listens any more (the server loop ended): the kernel answers the SYN
            # with RST, which the client sees as a reset before it sent anything.
            return ClientResult("", "reset")
        # The first chunk goes out when connect() returns, and each "after" counts from the
        # chunk before it (DESIGN.md): a SYN that a full backlog dropped moves them all.
        t_connect = t0 + self.script.at_s + syn_retransmission_wait(
            time.monotonic() - (t0 + self.script.at_s))
        self.local_port = sock.getsockname()[1]
        reader = None
        if self.script.then != "close":
            reader = threading.Thread(target=self._read, args=(sock,), daemon=True)
            reader.start()
        if self.script.then in ("reset", "close"):
            chunks = self.script.chunks
            burst = last_burst(chunks)
            due = self._send(sock, t0, t_connect, chunks[:burst])
            if burst < len(chunks) and not self.send_failed:
                self._sleep_until(t0, due + chunks[burst][0])
            self._send_and_end(sock, [] if self.send_failed else [data for _, data in chunks[burst:]])
            if reader is not None:
                reader.join()
            end = "reset" if self.send_failed else "client_closed"
            return ClientResult(self.received.decode("latin-1"), end)
        self._send(sock, t0, t_connect, self.script.chunks)
        if self.script.then == "shutdown_write" and not self.send_failed:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                self.send_failed = True
        self.reading_phase_since = time.monotonic()
        # (the deadline may move while it waits: a reloader run's clock can stop)
        while reader.is_alive() and time.monotonic() < self.deadline + 1.0:
            reader.join(TICK_S * 4)
        end = self.reader_end or "open"
        if end != "open":
            sock.close()
        if self.send_failed:
            end = "reset"
        return ClientResult(self.received.decode("latin-1"), end)

    def _send_and_end(self, sock: socket.socket, burst: list[bytes]) -> None:
        """The last chunks of a client that ends with ``close`` or ``reset`` (the chunks sent
        at one instant) and that end, with the GIL held from the first send to the FIN or
        RST. The server's threads run in this process: one woken by the bytes would
        otherwise take the GIL at the client's next system call and answer first, where the
        client of the scenario (a process of its own) sends them and ends within
        microseconds, before any server can answer. Each chunk is a send of its own (the
        second send after an RST fails, as in the contract)."""
        buffer = ctypes.create_string_buffer(65536)
        flags = socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL
        with self.reading:  # the reader is not inside recv(), and stops at its next look
            self.stop_reading.set()
            fd = sock.fileno()
            for data in burst:
                if not self._send_holding_the_gil(sock, data, flags):
                    self.send_failed = True
                    break
            if self.script.then == "close":
                _LIBC.close(sock.detach())  # a closing client has no reader: this is the last holder
                return
            # What had arrived before the abort was read by a client that reads all along,
            # even if its reader thread was not scheduled in time.
            while self.reader_end is None and (n := _LIBC.recv(fd, buffer, len(buffer), flags)) > 0:
                self.received += buffer.raw[:n]
            # The RST goes out now: connect() to AF_UNSPEC is the tcp_disconnect() that
            # close() with SO_LINGER 0 does, but close() leaves it to the last holder of the
            # socket, which is the reader thread's select() until its next tick: time enough
            # for a server to answer.
            _LIBC.connect(fd, _AF_UNSPEC, len(_AF_UNSPEC))
        sock.close()

    @staticmethod
    def _send_holding_the_gil(sock: socket.socket, data: bytes, flags: int) -> bool:
        """``sock.sendall(data)`` without letting another thread run, unless the server's
        receive buffer is full (it must run to take the rest); False if the send failed."""
        while True:
            sent = _LIBC.send(sock.fileno(), data, len(data), flags)
            if sent < 0 and ctypes.get_errno() in (errno.EAGAIN, errno.EWOULDBLOCK):
                return ClientRun._sendall(sock, data)
            if sent < 0:  # EPIPE / ECONNRESET: the server closed or reset
                return False
            data = data[sent:]
            if not data:
                return True

    def connect(self, port: int) -> socket.socket:
        return socket.create_connection(("127.0.0.1", port))

    def _send(self, sock: socket.socket, t0: float, t_connect: float,
              chunks: list[tuple[float, bytes]]) -> float:
        """Send ``chunks`` on time; when the last one was due. Chunks due at one instant go
        out back to back with the GIL held (as in :meth:`_send_and_end`): a server thread
        woken by the first must not run before the next is sent, as it cannot when the
        client is a process of its own."""
        due = t_connect
        flags = socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL
        for index, (delay, data) in enumerate(chunks):
            due += delay
            together = index > 0 and delay == 0
            if not together:
                self._sleep_until(t0, due)
            if together or (index + 1 < len(chunks) and chunks[index + 1][0] == 0):
                sent = self._send_holding_the_gil(sock, data, flags)
            else:
                sent = self._sendall(sock, data)
            if not sent:  # EPIPE / ECONNRESET: the server closed or reset
                self.send_failed = True
                break
        return due

    @staticmethod
    def _sendall(sock: socket.socket, data: bytes) -> bool:
        try:
            sock.sendall(data)
        except OSError:
            return False
        return True

    def _sleep_until(self, t0: float, when: float) -> None:
        """Wait until ``when`` (the scenario's time ``when - t0``)."""
        _sleep_until(when)

    def _read(self, sock: socket.socket) -> None:
        stop_profiling_this_thread()
        self.last_data_at = time.monotonic()
        while not self.stop_reading.is_set():
            now = time.monotonic()
            if now >= self.deadline:
                return  # reader_end stays None: "open"
            if self._read_timed_out(now):
                self.reader_end = "timeout"
                return
            try:
                ready, _, _ = select.select([sock], [], [], TICK_S)
            except (ValueError, OSError):  # the abort of then: "reset" closed the socket
                ready = []
            with self.reading:
                if self.stop_reading.is_set():
                    return
                if not ready:
                    continue
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    self.reader_end = "reset"
                    return
                if not data:
                    self.reader_end = "eof"
                    return
                self.received += data
                self.last_data_at = time.monotonic()

    def _read_timed_out(self, now: float) -> bool:
        # read_timeout counts from when the client starts waiting (after its last chunk),
        # restarting at each piece of data: "a reading client that hears nothing for
        # that long gives up".
        if self.script.read_timeout_s is None or self.reading_phase_since is None:
            return False
        quiet_since = max(self.reading_phase_since, self.last_data_at)
        return now - quiet_since >= self.script.read_timeout_s


#: Linux's first SYN retransmission timeout (``TCP_TIMEOUT_INIT``), doubled on each retry
SYN_RTO_S = 1.0


def syn_retransmission_wait(connect_took: float) -> float:
    """How long ``connect()`` waited for retransmitted SYNs, from how long it took: on
    loopback it returns at once unless the listener's full backlog dropped the SYN, and then
    it returns when a retransmission (1 s, then 2 s, 4 s, ... later) was let in. Only whole
    retransmission times count, so a connect() that the machine's load slowed by a
    millisecond moves no chunk."""
    waited, timeout = 0.0, SYN_RTO_S
    while connect_took >= waited + timeout * 0.9:
        waited += timeout
        timeout *= 2
    return waited


def _sleep_until(when: float) -> None:
    delay = when - time.monotonic()
    if delay > 0:
        time.sleep(delay)


# --------------------------------------------------------------------------- the child


@dataclass
class Child:
    scenario: dict[str, Any]
    recorder: CallRecorder
    console: ConsoleCapture
    listening: threading.Event = field(default_factory=threading.Event)
    forks: ForkRecorder | None = None  # a forking server's children report through it
    environs: EnvironRecorder | None = None
    server: Any = None
    runs: list[ClientRun] = field(default_factory=list)  # alive until os._exit
    client_run_class: type[ClientRun] = ClientRun

    def on_listening(self, server: Any) -> None:
        self.server = server
        if self.environs is not None and hasattr(server.app, "request_context"):
            self.environs.install(server.app)  # a Flask app: before any request comes
        self.listening.set()

    def conduct(self) -> None:
        """Play the clients, wait for the server to settle, print the recording, exit."""
        stop_profiling_this_thread()
        try:
            if not (self.listening.wait(30) and self.recorder.serving.wait(30)):
                raise RuntimeError("the server never started serving")
            recording = self._play()
            sys.__stdout__.write(json.dumps(recording.to_json()))
            sys.__stdout__.flush()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc(file=sys.__stderr__)
            sys.__stderr__.flush()
            code = 1
        os._exit(code)

    def _play(self) -> Recording:
        t0 = time.monotonic()
        deadline = t0 + scenario_duration_s(self.scenario) + OPEN_MARGIN_S
        port = self.server.server_address[1]
        runs = self.runs = [self.client_run_class(ClientScript.from_decl(c), deadline)
                            for c in self.scenario.get("clients", [])]
        results: dict[str, ClientResult] = {}

        def play(run: ClientRun) -> None:
            results[run.script.id] = run.run(t0, port)

        threads = [threading.Thread(target=play, args=(run,), daemon=True) for run in runs]
        for thread in threads:
            thread.start()
        self._clients_started(t0, runs)
        for thread in threads:
            while thread.is_alive() and time.monotonic() < max(run.deadline for run in runs) + 5.0:
                thread.join(TICK_S * 4)
        missing = [run.script.id for run in runs if run.script.id not in results]
        if missing:
            raise RuntimeError(f"clients did not finish: {missing}")
        self._settle()
        if self.forks is not None:
            self.forks.stop_the_rest()
        calls, log, signals = self.recorder.snapshot(), self.console.records(), self.recorder.signals()
        if self.forks is not None:
            self.forks.add_children(calls, log, ConsoleCapture, signals)
        # The address as the server writes it (127.0.0.1, or the name wsgiref's server_bind
        # got from getfqdn) with the port the kernel gave, back to the declared port.
        declared_port = scenario_address(self.scenario).rsplit(":", 1)[1]
        rewrites = {f"127.0.0.1:{port}": f"127.0.0.1:{declared_port}"}
        server_name = getattr(self.server, "server_name", "127.0.0.1")
        if server_name != "127.0.0.1":
            rewrites[f"{server_name}:{port}"] = f"{server_name}:{declared_port}"
        # wsgiref's demo_app prints the environ's SERVER_PORT as a repr
        rewrites[f"SERVER_PORT = '{port}'"] = f"SERVER_PORT = '{declared_port}'"

        def as_declared(received: str) -> str:
            for real, declared_address in rewrites.items():
                received = received.replace(real, declared_address)
            return received

        return Recording(
            clients={
                run.script.id: ClientResult(as_declared(results[run.script.id].received), results[run.script.id].end)
                for run in runs
            },
            calls=calls,
            log=log,
            signals=signals,
            environs=self.environs.by_client({run.local_port: run.script.id for run in runs})
            if self.environs is not None else {},
        )

    def _clients_started(self, t0: float, runs: list[ClientRun]) -> None:
        """Called once the clients' threads run (a conductor may move their deadlines)."""

    def _settle(self) -> None:
        """Wait until the server made no (non-periodic) call for SETTLE_QUIET_S longer than
        the app's longest pause."""
        quiet_needed = SETTLE_QUIET_S + longest_app_pause_s(self.scenario)
        give_up = time.monotonic() + SETTLE_MAX_S + quiet_needed
        seen, quiet_since = self.recorder.activity, time.monotonic()
        while time.monotonic() < give_up:
            time.sleep(TICK_S * 4)
            if self.recorder.activity != seen:
                seen, quiet_since = self.recorder.activity, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_needed and (
                self.forks is None or self.forks.all_reported()
            ):
                return


def _stops_the_server(scenario: dict[str, Any]) -> bool:
    """Whether a view raises a class that is not an Exception (it ends the server loop)."""
    for view in _views(scenario.get("app", {})):
        cls = getattr(builtins, view.get("raise", ""), None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and not issubclass(cls, Exception):
            return True
    return False


def child_main() -> None:
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        from .reloader import child_main as reloader_child_main

        reloader_child_main()  # started by the reloader's parent below: it never returns
    scenario = json.load(sys.stdin)
    kind = scenario.get("server", {}).get("kind", "werkzeug")
    if kind == "werkzeug-legacy" and scenario.get("server", {}).get("use_reloader"):
        from .reloader import parent_main

        parent_main(scenario)  # it never returns
    if kind == "wsgiref":
        from .wsgiref_stack import child_main as wsgiref_child_main

        wsgiref_child_main(scenario)  # the stdlib server's child: it never returns
    if kind not in SERVERS:
        raise SystemExit(f"server.kind {kind!r} is not supported by the recorder")
    # The first static file a process serves calls mimetypes.init(), which parses the
    # machine's /etc/mime.types: tens of ms, hundreds on a loaded machine, while the engine
    # takes none. Read it before the clock starts; nothing else changes (and mimetypes is
    # no recorded module).
    import mimetypes

    mimetypes.init()
    recorder = CallRecorder()
    console = ConsoleCapture(recorder.actor_name)
    sys.stdout = sys.stderr = console
    child = Child(scenario, recorder, console, environs=EnvironRecorder(recorder, console))
    if scenario.get("server", {}).get("processes", 1) > 1:
        child.forks = ForkRecorder(recorder, console, Path.cwd(), lambda: child.server.server_address[1])
        child.forks.environs = child.environs
        child.forks.install()
    # Started before the profiler is installed, so the conductor is never recorded.
    threading.Thread(target=child.conduct, name="conductor", daemon=True).start()
    recorder.install()
    try:
        SERVERS[kind](scenario, Path.cwd(), child.on_listening)
        problem = "the server stopped before the conductor finished\n"
    except BaseException:
        import traceback

        problem = traceback.format_exc()
    if _stops_the_server(scenario):
        # A view's SystemExit / KeyboardInterrupt ends serve_forever (non-threaded), as it
        # should: the process would end here; the conductor still records what the clients
        # saw, and ends the process itself.
        sys.setprofile(None)
        threading.Event().wait()
    # serve_forever only returns on failure; the conductor ends the process normally.
    sys.setprofile(None)
    console_text = "\n".join(record.text for record in console.records())
    sys.__stderr__.write(f"{problem}\nthe server's console:\n{console_text}\n")
    sys.__stderr__.flush()
    os._exit(1)


if __name__ == "__main__":
    child_main()
