"""What every actor is doing over virtual time, each request's waterfall, and the key moments.

Theory of operation: a step is an event; what its actor does *after* it, until the actor's
next step, is a fact of the event (``Step.event``), looked up in :data:`ACTIVITY` (an exact
table, checked against every caption key by ``tests/sim/test_timeline.py``). A server step
that leaves its actor waiting elsewhere says so in :data:`THEN` (``process_request`` in a
threaded server goes back to ``select()``; ``close_request`` ends a worker thread but sends
the single-threaded loop back to ``select()``). Clients are the same, plus whether their
connection still sits in the listen backlog (from ``backlog_queued`` to the ``get_request``
that takes it), which is the kernel's doing, not the client's.

Everything here is a pure function of the public :class:`~sim.trace.Trace` (``actor``,
``client``, ``request``, ``layer``, ``event``, ``t``): no qualname is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .actors import MAIN, is_loop_actor, process_names
from .captions import FLASK_SIGNALS, MOMENTS
from .layers import Layer
from .trace import Trace, step_args, step_facts


class Activity(StrEnum):
    """What an actor is doing between two of its steps."""

    #: building the app and the server, before the loop runs
    STARTING = "starting"
    #: the server loop waits in ``select()`` for a connection (idle)
    SELECTING = "selecting"
    #: ``accept()`` and handing the connection to a handler (or a new thread)
    ACCEPTING = "accepting"
    #: the handler object is built around the socket
    SETUP = "setup"
    #: blocked on the socket: ``readline`` for the request line or headers, ``read`` for a body
    READING = "reading"
    #: turning bytes into a request (``parse_request``)
    PARSING = "parsing"
    #: the WSGI boundary: ``run_wsgi``, the environ, ``start_response``
    WSGI = "wsgi"
    #: Flask's own code: contexts, routing, finalize, teardown
    FRAMEWORK = "framework"
    #: a declared hook (before/after/teardown, url_value_preprocessor) or error handler
    HOOK = "hook"
    #: the declared view (or its generator)
    VIEW = "view"
    #: ``time.sleep`` in the view: the thread is busy and serves no one else
    SLEEPING = "sleeping"
    #: sending response bytes
    WRITING = "writing"
    #: reading and discarding a request body nobody read
    DRAINING = "draining"
    #: closing the connection
    CLOSING = "closing"
    #: waits in ``os.waitpid`` for a child process to exit: the forking loop with
    #: ``max_children`` alive, or the reloader's parent in ``subprocess.call``
    WAITPID = "waitpid"
    #: the reloader's stat loop: ``stat()`` every module file, ``sleep(reloader_interval)``
    WATCHING = "watching"
    # -- clients --------------------------------------------------------------------------
    #: ``connect()`` (SYN sent, maybe retried)
    CONNECTING = "connecting"
    #: connected (the handshake is done) but has sent nothing: a server reading from it waits
    CONNECTED = "connected"
    #: connected, but the server has not ``accept()``-ed it: it sits in the listen backlog
    QUEUED = "queued"
    #: sent part of its request and sends more later (a body's next chunk): not waiting for
    #: an answer yet, however long the pause
    SENDING = "sending"
    #: sent (some of) its request, waiting for the answer
    WAITING = "waiting"
    #: answer bytes are arriving
    RECEIVING = "receiving"


_A = Activity

#: event (``Step.event``, the caption key) -> what the actor does after that step.
ACTIVITY: dict[str, Activity] = {
    # startup
    **dict.fromkeys(("flask_init", "add_url_rule", "flask_run", "flask_run_passed", "run_simple", "make_server",
                     "wsgi_server_init", "tcp_init", "base_init", "http_server_bind", "server_bind",
                     "server_activate", "log_startup", "wsgi_serve_forever"), _A.STARTING),
    "serve_forever": _A.SELECTING,
    # clients (and the kernel on their behalf)
    "client_connect": _A.CONNECTING, "syn_dropped": _A.CONNECTING,
    "syn_dropped_last": _A.CONNECTING, "backlog_queued": _A.QUEUED,
    "client_send": _A.WAITING, "client_shutdown": _A.WAITING, "client_recv": _A.RECEIVING,
    # nothing on the wire: the client goes on as before (:func:`_client_tracks`)
    "client_send_nothing": _A.WAITING,
    # a client's last step: nothing after it
    "connect_timeout": _A.CLOSING, "client_send_failed": _A.CLOSING, "client_close": _A.CLOSING,
    "client_hang_up": _A.CLOSING,
    # bytes into a connection the server closed: the client waits for nothing now
    "client_send_unread": _A.CLOSING,
    "client_shutdown_failed": _A.CLOSING,
    "client_abort": _A.CLOSING, "client_eof": _A.CLOSING, "client_reset": _A.CLOSING,
    "client_timeout": _A.CLOSING, "connect_refused": _A.CLOSING,
    # socketserver
    **dict.fromkeys(("handle_request_noblock", "get_request", "verify_request", "process_request"),
                    _A.ACCEPTING),
    "process_request_threaded": _A.ACCEPTING,
    **dict.fromkeys(("process_request_thread", "finish_request", "handler_init", "setup",
                     "werkzeug_handle", "http_handle"), _A.SETUP),
    **dict.fromkeys(("finish", "shutdown_request", "close_request", "close_request_rst",
                     "connection_dropped", "response_close", "thread_died", "child_died",
                     # a view's SystemExit/KeyboardInterrupt ends a non-threaded server's loop
                     "handle_request_noblock_raise", "server_close", "process_exit"),
                    _A.CLOSING),
    # http.server
    "handle_one_request": _A.READING, "parse_headers": _A.READING,
    "read_readline": _A.PARSING, "read_headers": _A.PARSING, "parse_request": _A.PARSING,
    "read_readline_eof": _A.CLOSING,
    "getattr_do": _A.PARSING,
    "read_drain": _A.DRAINING, "read_drain_eof": _A.DRAINING, "read_body": _A.VIEW,
    "drain_select_timeout": _A.DRAINING, "drain_select_timeout_after": _A.DRAINING,
    **dict.fromkeys(("handle_expect_100", "send_error", "send_response", "end_headers",
                     "write_headers", "write_body", "write_body_fails"), _A.WRITING),
    # werkzeug.serving
    **dict.fromkeys(("run_wsgi", "run_wsgi_continue", "make_environ", "execute", "start_response"),
                    _A.WSGI),
    # Flask
    **dict.fromkeys(("flask_call", "wsgi_app", "request_context", "reqctx_init", "reqctx_push",
                     "app_context", "appctx_init", "appctx_push", "match_request", "no_url_adapter", "map_match",
                     "map_match_failed", "full_dispatch_request", "preprocess_request",
                     "dispatch_request", "dispatch_request_routing_error", "dispatch_request_options",
                     "raise_routing_exception", "make_default_options_response", "static_lambda",
                     "send_static_file", "send_from_directory", "send_file_11",
                     "handle_user_exception", "handle_http_exception", "handle_exception",
                     "log_exception", "finalize_request", "make_response", "process_response",
                     "response_call", "reqctx_pop", "reqctx_pop_nested", "reqctx_pop_stream",
                     "reqctx_pop_stream_11", "reqctx_popped", "do_teardown_request",
                     "appctx_pop", "appctx_popped", "do_teardown_appcontext",
                     "stream_with_context", "swc_primed", "swc_resume", "reqctx_push_again"),
                    _A.FRAMEWORK),
    **dict.fromkeys(("hook_url_value_preprocessor", "hook_before_request", "hook_after_request",
                     "hook_teardown", "hook_teardown_appcontext", "errorhandler"), _A.HOOK),
    # a view that reads a body it was promised blocks in read(), in the view
    "view_echo": _A.READING,
    **dict.fromkeys(("view_text", "view_json", "view_abort", "view_raise", "view_stream",
                     "generate_chunk", "generate_end", "generate_close"), _A.VIEW),
    "view_sleep": _A.SLEEPING,
    # Werkzeug 0.16 + Flask 1.1, ForkingMixIn
    **dict.fromkeys(("make_server_016", "run_simple_inner", "wsgi_server_init_016"), _A.STARTING),
    "handle_one_request_unlimited": _A.READING, "send_response_016": _A.WRITING,
    "try_trigger_first": _A.FRAMEWORK, "auto_pop": _A.FRAMEWORK,
    "process_request_forked": _A.ACCEPTING, "close_request_parent": _A.SELECTING,
    **dict.fromkeys(("service_actions_fork", "collect_children", "child_reaped"), _A.SELECTING),
    "collect_children_full": _A.WAITPID,
    # Werkzeug 0.16's reloader
    **dict.fromkeys(("run_simple_reloader", "run_with_reloader", "restart_with_reloader",
                     "reloader_child_start", "flask_run_child", "run_simple_in_child",
                     "run_with_reloader_child", "run_simple_inner_fd", "wsgi_server_init_fd",
                     "server_bind_throwaway", "server_activate_throwaway"), _A.STARTING),
    **dict.fromkeys(("get_args_for_reloading", "get_args_for_reloading_again"), _A.WAITPID),
    "stat_reloader_run": _A.WATCHING,
    **dict.fromkeys(("server_close_inherited", "inner_thread_died", "trigger_reload", "log_reload",
                     "reloader_child_exit", "exit_closes", "exit_closes_rst"), _A.CLOSING),
    # the standard library's wsgiref
    **dict.fromkeys(("wsgiref_make_server", "wsgiref_server_bind", "wsgiref_server_setup_environ",
                     "wsgiref_set_app"), _A.STARTING),
    **dict.fromkeys(("handle_request", "handle_request_forever", "handle_timeout"), _A.SELECTING),
    **dict.fromkeys(("wsgiref_process_exit", "server_handle_error", "wsgiref_client_gone",
                     "wsgiref_server_handler_close", "log_request", "wsgiref_close"), _A.CLOSING),
    "wsgiref_handle": _A.READING,
    **dict.fromkeys(("wsgiref_get_environ", "wsgiref_handler_init", "wsgiref_run",
                     "wsgiref_setup_environ", "wsgiref_start_response", "wsgiref_hop_check",
                     "wsgiref_hop_by_hop", "wsgiref_handle_error", "wsgiref_log_exception",
                     "wsgiref_error_output"), _A.WSGI),
    **dict.fromkeys(("wsgiref_finish_response", "wsgiref_write_first", "wsgiref_write", "wsgiref_write_fails",
                     "wsgiref_finish_content", "wsgiref_set_content_length",
                     "wsgiref_set_content_length_none", "wsgiref_send_preamble"),
                    _A.WRITING),
    "demo_app": _A.VIEW,
    # blinker.base.Signal.send from Flask's code
    **{f"signal_{name}": _A.FRAMEWORK for name in FLASK_SIGNALS},
}

def activity_of(event: str) -> Activity:
    """What an actor does after a step of this event (``Step.event``). Every event the
    engine records is in :data:`ACTIVITY` (``tests/sim/test_timeline.py``); one added
    without an entry counts as Flask's own work rather than break a page."""
    return ACTIVITY.get(event, _A.FRAMEWORK)


#: Events after which a client is gone (its track ends).
CLIENT_ENDS = frozenset({"connect_timeout", "client_send_failed", "client_close", "client_hang_up",
                         "client_abort",
                         "client_eof", "client_reset", "client_timeout", "connect_refused"})

#: Events after which a server actor's connection is over: a worker thread (or child) ends,
#: the single-threaded loop goes back to ``select()``.
CONNECTION_ENDS = frozenset({"close_request", "close_request_rst", "thread_died", "child_died"})

#: Where the server starts reading a request (Werkzeug 0.16's reads without a limit).
READ_STARTS = frozenset({"handle_one_request", "handle_one_request_unlimited"})

#: The actor that runs ``serve_forever``: the process's main thread (with the reloader,
#: the parent's main thread, which serves nothing; each child's ``Thread-1 (inner)`` is its
#: loop: :func:`sim.actors.is_loop_actor`).
LOOP_ACTOR = MAIN


def thread_name(actor: str) -> str:
    """The name the real thread has: ``threading`` names an unnamed thread
    ``Thread-N (target)`` (CPython 3.10+), and ``ThreadingMixIn.process_request`` starts
    each worker with ``target=self.process_request_thread``; N counts unnamed threads in
    creation order, as the engine numbers ``thread-N`` (nothing else in the dev server
    without the reloader creates one). The loop runs in ``MainThread``.

    A reloader child (``child-1``) is another process, whose threads are numbered from 1
    again: ``run_with_reloader`` starts ``Thread-1 (inner)`` (the loop) before any worker,
    so its workers are ``Thread-2 (process_request_thread)`` on. The process comes first
    (``child 1: Thread-1 (inner)``): where a label is cut short (a phone's timeline), what
    tells two tracks apart is still shown."""
    return thread_names(actor)[0]


def thread_names(actor: str, reloading: bool = False) -> tuple[str, str]:
    """:func:`thread_name` in (English, Chinese): the thread's own name is the same in any
    language, the process it runs in is words. ``reloading``: the run has a reloader, so
    ``MainThread`` is the parent's (the process the person started)."""
    process, _, thread = actor.rpartition("/")
    if process.startswith("child-"):
        number = thread.removeprefix("thread-")
        target = "inner" if number == "1" else "process_request_thread"
        return _in_process(process, f"Thread-{number} ({target})")
    if actor.startswith("child-"):
        return _in_process(actor, "MainThread")
    if actor == LOOP_ACTOR:
        return ("parent: MainThread", "父进程：MainThread") if reloading else ("MainThread",) * 2
    kind, _, number = actor.partition("-")
    if kind == "thread" and number.isdigit():
        return (f"Thread-{number} (process_request_thread)",) * 2
    if kind == "process" and number.isdigit():
        # a forked child: ForkingMixIn.process_request calls os.fork() per connection
        en, zh = process_names(actor)
        return f"{en} (os.fork)", f"{zh} (os.fork)"
    return actor, actor


def _in_process(process: str, thread: str) -> tuple[str, str]:
    """A thread of reloader child ``child-N``."""
    en, zh = process_names(process)
    return f"{en}: {thread}", f"{zh}：{thread}"


class TrackKind(StrEnum):
    CLIENT = "client"
    BACKLOG = "backlog"
    LOOP = "loop"
    THREAD = "thread"
    #: a forked child (``process-N``)
    PROCESS = "process"
    #: with the reloader: the main thread of the parent or of a child, which serves nothing
    #: (the parent waits in ``subprocess.call``, a child's watches files)
    MAIN = "main"


@dataclass(frozen=True, slots=True)
class Bar:
    """One activity of one actor, from ``start`` to ``end`` (virtual ms); ``first`` is the
    step that started it (where a click jumps), ``last`` the last step inside it."""

    activity: Activity
    start: int
    end: int
    first: int
    last: int
    client: str | None
    request: int | None
    layer: Layer | None
    #: for backlog bars: the row (0..) so that overlapping waits do not hide each other
    row: int = 0
    #: the step where it ends (the next bar's ``first``; the run's step count for the
    #: last one): its extent on a step axis, where a bar of 0 ms still has a width
    until: int = 0


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    kind: TrackKind
    #: what the real thing is called (``Thread-1 (process_request_thread)``, ``c2``)
    label: str
    bars: tuple[Bar, ...]
    #: rows the bars use (backlog waits can overlap)
    rows: int = 1
    #: the label in Chinese (the process a thread runs in is words); empty: as ``label``
    label_zh: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a request's waterfall."""

    kind: str  # "queued" | "reading" | "app" | "sending"
    start: int
    end: int
    first: int
    #: the step where it ends (its extent on a step axis, like :attr:`Bar.until`)
    until: int = 0


@dataclass(slots=True)
class RequestTimes:
    """A request like a browser's network panel shows it, in virtual ms."""

    client: str
    request: int
    #: the step where it begins (the client's connect, or the next handle_one_request)
    first: int
    start: int
    #: when the client had its last byte of this answer (or gave up)
    end: int
    #: the last step of the request
    last: int
    segments: list[Segment] = field(default_factory=list)
    #: the server actor that read and answered it (a worker thread, or the loop's own)
    actor: str | None = None
    #: status line's code as the client received it (None: no answer)
    status: int | None = None
    #: which other connections the server's only thread served while this one was queued
    queued_behind: tuple[str, ...] = ()
    #: it was queued while the forking loop sat in ``os.waitpid`` (``max_children`` alive)
    queued_for_waitpid: bool = False
    #: it was queued while no reloader child served the socket (the first one, or the next
    #: after a saved file, was starting): only the parent held it, and it never accepts
    queued_for_child: bool = False
    #: the reloader's child serving it exited mid-request (``sys.exit(3)`` on a saved file)
    server_exited: bool = False
    #: ms the view slept for this request
    slept: int = 0
    #: ms the view was blocked reading a request body that had not arrived yet
    body_wait: int = 0
    #: it sent a chunked body the server did not de-chunk: the view read none of it
    body_lost: bool = False
    #: how the client's connection ended (last request only)
    end_kind: str | None = None
    #: the view never ran because a before_request hook answered
    view_skipped: bool = False

    @property
    def latency(self) -> int:
        return self.end - self.start

    def duration(self, kind: str) -> int:
        return sum(s.end - s.start for s in self.segments if s.kind == kind)


class MomentKind(StrEnum):
    """Moments worth stopping at, each detected from the trace: the place where a
    scenario's lesson happens (``tests/sim/test_timeline.py`` names one per gallery
    scenario)."""

    #: a connection waits in the listen backlog because the only thread is busy
    QUEUED_BUSY = "queued_busy"
    #: ``http.server`` answered an error before any WSGI code ran (414, 400, 431...)
    ANSWERED_BEFORE_WSGI = "answered_before_wsgi"
    #: a before_request hook returned a value: the view is skipped
    VIEW_SKIPPED = "view_skipped"
    #: the view sleeps: its thread serves no one else meanwhile
    VIEW_SLEEPS = "view_sleeps"
    #: the first chunk of a streamed body goes out
    FIRST_CHUNK = "first_chunk"
    #: teardown_request ran
    TEARDOWN = "teardown"
    #: the client gave up (timeout, close, abort) or its connect timed out
    CLIENT_GAVE_UP = "client_gave_up"
    #: a worker thread started for a connection
    THREAD_STARTED = "thread_started"
    #: no rule matched: dispatch_request raises the stored NotFound, no view runs
    NOT_FOUND = "not_found"
    #: a rule matched the path but not the method: 405, with Allow
    METHOD_NOT_ALLOWED = "method_not_allowed"
    #: OPTIONS answered by Flask itself (``make_default_options_response``)
    OPTIONS_AUTOMATIC = "options_automatic"
    #: a HEAD request: the GET view ran, the server sends the head and no body
    HEAD_NO_BODY = "head_no_body"
    #: the view raised: ``handle_exception`` makes a 500
    VIEW_RAISED = "view_raised"
    #: ``Expect: 100-continue``: an interim ``100 Continue`` before any app code
    CONTINUE_SENT = "continue_sent"
    #: the view reads a body that has not arrived: its thread blocks in read()
    BODY_WAIT = "body_wait"
    #: the server reads and discards a body the view left unread
    BODY_DRAINED = "body_drained"
    #: the view never read the body it was sent, and the server closes instead of parsing it
    LEFTOVER_BODY = "leftover_body"
    #: an answer goes out with the server's own ``Connection: close`` to a request whose body
    #: the view left unread: why Werkzeug turns keep-alive off
    KEEP_ALIVE_OFF = "keep_alive_off"
    #: a request body sent ``Transfer-Encoding: chunked`` reaches the view de-chunked
    CHUNKED_UPLOAD_READ = "chunked_upload_read"
    #: a chunked request body the server does not de-chunk: the app reads nothing
    CHUNKED_UPLOAD_LOST = "chunked_upload_lost"
    #: a body of unknown length sent with ``Transfer-Encoding: chunked``
    CHUNKED_RESPONSE = "chunked_response"
    #: a body of unknown length without chunking: it ends when the server closes
    END_BY_CLOSE = "end_by_close"
    #: after_request hooks run last-registered first
    HOOKS_REVERSED = "hooks_reversed"
    #: a hop-by-hop header the app set goes out as it is (Werkzeug does not check)
    HOP_BY_HOP_PASSED = "hop_by_hop_passed"
    #: wsgiref's start_response refuses a hop-by-hop header (an AssertionError, a 500)
    HOP_BY_HOP_REFUSED = "hop_by_hop_refused"
    #: wsgiref answers HTTP/1.0 and closes after one request
    ONE_PER_CONNECTION = "one_per_connection"
    #: ``handle_request()`` returned and the script ended
    PROCESS_EXITED = "process_exited"
    #: Werkzeug 0.16 read a request line longer than http.server's 65,537-byte limit
    LINE_NOT_LIMITED = "line_not_limited"
    #: the forking server has ``max_children`` alive: the loop blocks in ``os.waitpid``
    CHILDREN_FULL = "children_full"
    #: the reloader's child starts: the person's module runs a second time
    MODULE_RUNS_AGAIN = "module_runs_again"
    #: the stat loop saw a saved file: the child exits with 3 and the parent starts another
    RELOADED = "reloaded"
    #: ``stream_with_context`` pushes the request context again for the generator
    CONTEXT_PUSHED_AGAIN = "context_pushed_again"
    #: a write to a client that left fails, and Werkzeug drops the connection quietly
    CONNECTION_DROPPED = "connection_dropped"
    #: the first answer of a plain run starts to go out, after the whole path ran
    ANSWER_BEGINS = "answer_begins"


@dataclass(frozen=True, slots=True)
class Moment:
    i: int
    t: int
    kind: MomentKind
    client: str | None
    request: int | None
    #: other actor or client involved (the connection the busy thread serves; the thread)
    other: str | None = None
    #: the fact the caption names (a status, a header, a byte count, a hook's name)
    detail: str = ""


def moment_caption(moment: Moment) -> tuple[str, str]:
    """Why the moment matters, (English, Chinese)."""
    english, chinese = MOMENTS[moment.kind.value]
    names = thread_names(moment.other or "")
    args = {"client": moment.client or "", "detail": moment.detail}
    return english.format(**args, other=names[0]), chinese.format(**args, other=names[1])


class BodyMarkKind(StrEnum):
    """What a client learns from bytes of a body sent without Content-Length."""

    #: one or more chunks arrived (``Transfer-Encoding: chunked``: size in hex, CRLF,
    #: the bytes, CRLF; RFC 9112 section 7.1): the client knows each one's end
    CHUNK = "chunk"
    #: the zero-size last chunk arrived (with any before it): the body is complete, and
    #: the client knows it without waiting for the connection to close
    LAST_CHUNK = "last_chunk"
    #: body bytes with neither a length nor chunking: more may follow, or not
    UNFRAMED = "unframed"
    #: the server closed the connection: only now is such a body known to be complete
    #: (RFC 9112 section 6.3, the last rule)
    CLOSE_ENDS_BODY = "close_ends_body"


@dataclass(frozen=True, slots=True)
class BodyMark:
    """A client's read (or its EOF) that tells it something about a body's end."""

    i: int
    t: int
    client: str
    kind: BodyMarkKind
    #: the body bytes this read carried (the chunks' data, without their framing)
    data: bytes = b""


class _Framing(StrEnum):
    HEAD = "head"
    LENGTH = "length"
    CHUNKED = "chunked"
    UNTIL_CLOSE = "until_close"


@dataclass(slots=True)
class _BodyReader:
    """Reads a client's received bytes as its HTTP client would, a read at a time, and
    says what each read told it about a body of unknown length. (A HEAD answer's
    Content-Length announces a body that never comes; a connection that carries one and
    then another answer would be misread here: the dev servers close after each.)"""

    buf: bytes = b""
    framing: _Framing = _Framing.HEAD
    left: int = 0

    def feed(self, data: bytes) -> tuple[list[BodyMarkKind], bytes]:
        self.buf += data
        kinds: list[BodyMarkKind] = []
        body = b""
        while self.buf:
            if self.framing is _Framing.HEAD:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                status_line, _, block = self.buf[:end].partition(b"\r\n")
                self.buf = self.buf[end + 4:]
                parts = status_line.split(b" ", 2)
                status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 200
                headers = _header_block(block)
                length = (headers.get("content-length") or [""])[0]
                if status < 200 or status in (204, 304):
                    continue  # no body: the next head follows
                if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
                    self.framing = _Framing.CHUNKED
                elif length.isdigit():
                    self.framing, self.left = _Framing.LENGTH, int(length)
                else:
                    self.framing = _Framing.UNTIL_CLOSE
            elif self.framing is _Framing.LENGTH:
                taken = min(self.left, len(self.buf))
                self.buf, self.left = self.buf[taken:], self.left - taken
                if not self.left:
                    self.framing = _Framing.HEAD
            elif self.framing is _Framing.UNTIL_CLOSE:
                body += self.buf
                self.buf = b""
                kinds.append(BodyMarkKind.UNFRAMED)
            else:
                line_end = self.buf.find(b"\r\n")
                size_text = self.buf[:line_end].split(b";")[0].strip() if line_end >= 0 else b""
                try:
                    size = int(size_text, 16)
                except ValueError:
                    break  # the size line is not all here yet
                if len(self.buf) < line_end + 2 + size + 2:
                    break  # nor the whole chunk
                body += self.buf[line_end + 2:line_end + 2 + size]
                self.buf = self.buf[line_end + 2 + size + 2:]
                if size:
                    kinds.append(BodyMarkKind.CHUNK)
                else:
                    kinds.append(BodyMarkKind.LAST_CHUNK)
                    self.framing = _Framing.HEAD
        return kinds, body


def body_marks(trace: Trace, rows: list[tuple]) -> tuple[BodyMark, ...]:
    """Each client read of a body sent without Content-Length, and the EOF that ends one
    sent with no framing at all: the difference, on the client's side, between a chunked
    stream (each chunk says where it ends, a zero-size one ends the body) and a stream
    whose end is the connection closing. Plain Content-Length bodies get no marks."""
    readers: dict[str, _BodyReader] = {}
    pos: dict[str, int] = {}
    out = []
    for i, t, actor, client, _, _, event in rows:
        if actor != client or event not in ("client_recv", "client_eof"):
            continue
        reader = readers.setdefault(client, _BodyReader())
        if event == "client_eof":
            if reader.framing is _Framing.UNTIL_CLOSE:
                out.append(BodyMark(i, t, client, BodyMarkKind.CLOSE_ENDS_BODY))
            continue
        n = step_args(trace, i).get("n", 0)
        start = pos.get(client, 0)
        pos[client] = start + n
        kinds, body = reader.feed(trace.clients[client].received[start:start + n])
        if kinds:
            kind = (BodyMarkKind.LAST_CHUNK if BodyMarkKind.LAST_CHUNK in kinds
                    else kinds[0])
            out.append(BodyMark(i, t, client, kind, body))
    return tuple(out)


class Axis(StrEnum):
    """What the timeline's horizontal axis counts."""

    #: virtual milliseconds: a bar is as wide as the time its activity took
    TIME = "time"
    #: steps, in order: a bar is as wide as the steps it spans, whatever their time
    STEPS = "steps"


def axis_for(requests: Iterable[RequestTimes], start: int, end: int) -> Axis:
    """Milliseconds when time is part of the story; steps when the virtual clock stands
    still while every request is served (one GET, a 404: nothing waits, nothing sleeps).
    On a time axis such a run is a column of zero-width bars at 0 ms, and the order in
    which the actors did their work, which is the whole lesson there, cannot be seen."""
    if end == start:
        return Axis.STEPS
    requests = list(requests)
    if requests and all(r.duration("queued") + r.duration("reading") + r.duration("app") == 0
                        for r in requests):
        return Axis.STEPS
    return Axis.TIME


@dataclass(frozen=True, slots=True)
class Timeline:
    tracks: tuple[Track, ...]
    requests: tuple[RequestTimes, ...]
    moments: tuple[Moment, ...]
    #: virtual ms of the first and last step
    start: int
    end: int
    #: the step indexes the "key steps" level of detail shows
    key_steps: tuple[int, ...]
    #: what the horizontal axis counts (:func:`axis_for`)
    axis: Axis = Axis.TIME
    #: the number of steps (a step axis runs from 0 to this)
    steps: int = 0
    #: how the body of an answer of unknown length arrives at its client (:func:`body_marks`)
    body_marks: tuple[BodyMark, ...] = ()


#: Events a person stepping "over" the boilerplate still stops at: where a request moves
#: to another layer or waits, and what it decides.
KEY_EVENTS = frozenset({
    "flask_init", "server_activate", "serve_forever",
    "client_connect", "syn_dropped", "syn_dropped_last", "connect_timeout", "backlog_queued",
    "client_send", "client_send_nothing", "client_send_unread", "client_send_failed", "client_shutdown",
    "client_shutdown_failed", "client_close", "client_hang_up", "client_abort",
    "client_recv", "client_eof", "client_reset", "client_timeout",
    "get_request", "process_request", "process_request_threaded", "process_request_thread",
    "handle_one_request", "read_readline_eof", "parse_request", "handle_expect_100", "send_error",
    "read_drain", "read_drain_eof", "drain_select_timeout", "drain_select_timeout_after",
    "run_wsgi", "run_wsgi_continue", "execute", "map_match",
    "map_match_failed", "dispatch_request", "handle_user_exception",
    "dispatch_request_routing_error", "dispatch_request_options",
    "raise_routing_exception", "make_default_options_response", "static_lambda",
    "hook_url_value_preprocessor", "hook_before_request", "hook_after_request",
    "hook_teardown", "hook_teardown_appcontext", "errorhandler", "handle_exception",
    "view_text", "view_json", "view_echo", "view_abort", "view_raise", "view_stream",
    "view_sleep", "read_body", "generate_chunk", "generate_end", "generate_close",
    "start_response", "reqctx_pop", "reqctx_pop_stream", "reqctx_pop_stream_11",
    "write_headers", "write_body", "write_body_fails", "connection_dropped",
    "close_request", "close_request_rst", "thread_died",
    "handle_one_request_unlimited", "process_request_forked", "collect_children_full", "child_reaped",
    "server_close", "connect_refused", "process_exit",
    "run_simple_reloader", "get_args_for_reloading", "reloader_child_start", "run_with_reloader_child",
    "stat_reloader_run", "wsgi_server_init_fd", "server_close_inherited", "inner_thread_died",
    "get_args_for_reloading_again", "trigger_reload", "reloader_child_exit", "exit_closes", "exit_closes_rst",
    # wsgiref's handler: into WSGI, the app, its answer on the wire, an error's 500
    "wsgiref_run", "demo_app", "wsgiref_start_response", "wsgiref_write_first", "wsgiref_write_fails",
    "wsgiref_handle_error", "wsgiref_error_output",
})


def timeline(trace: Trace) -> Timeline:
    """Tracks (clients, the listen backlog, the loop, each worker), each request's
    waterfall, the key moments and the key steps of ``trace``."""
    # The recorded rows, not Step objects: a Step formats its captions, which nothing here
    # reads (200,000 steps: 0.3 s instead of 2 s).
    rows = step_facts(trace)
    if not rows:
        return Timeline((), (), (), 0, 0, (), Axis.STEPS, 0)
    end_t = rows[-1][1]
    backlog = _backlog_waits(rows)
    tracks = _client_tracks(rows, backlog, end_t)
    tracks.append(_backlog_track(backlog))
    tracks.extend(_server_tracks(rows, end_t))
    requests = _requests(trace, rows, backlog)
    moments = _moments(trace, rows, backlog, requests)
    lost = {(m.client, m.request) for m in moments if m.kind is MomentKind.CHUNKED_UPLOAD_LOST}
    for r in requests:
        r.body_lost = (r.client, r.request) in lost
    moment_steps = {m.i for m in moments}
    key = tuple(i for i, _, _, _, _, _, event in rows
                if event in KEY_EVENTS or i in moment_steps)
    return Timeline(tuple(tracks), tuple(requests), tuple(moments), rows[0][1], end_t, key,
                    axis_for(requests, rows[0][1], end_t), len(rows), body_marks(trace, rows))


# -- tracks -------------------------------------------------------------------------------

def _backlog_waits(rows: list[tuple]) -> dict[str, tuple[int, int, int, int | None]]:
    """client -> (queued at t, queued step, accepted at t or -1, accepting step or None)."""
    waits: dict[str, list] = {}
    for i, t, _, client, _, _, event in rows:
        if event == "backlog_queued" and client not in waits:
            waits[client] = [t, i, -1, None]
        elif event == "get_request" and client in waits and waits[client][3] is None:
            waits[client][2:] = [t, i]
    return {c: tuple(w) for c, w in waits.items()}


def _merge(points: Iterable[tuple[int, int, Activity | None, str | None, int | None, Layer | None]],
           end_t: int, steps: int) -> list[Bar]:
    """Bars from (t, step, activity, client, request, layer) change points: an activity
    lasts until the next point (the run's end, ``end_t`` ms and ``steps``, for the last);
    equal neighbours merge; None is "nothing" (no bar)."""
    bars: list[Bar] = []
    cur: list | None = None
    for t, i, activity, client, request, layer in points:
        if cur is not None and (activity, client, request, layer) == (cur[0], cur[4], cur[5], cur[6]):
            cur[3] = i
            continue
        if cur is not None:
            # a next activity begins at step i; "nothing" at i (a worker thread returns)
            # still leaves the step that ended the bar inside it
            until = i if activity is not None else max(i, cur[3] + 1)
            bars.append(Bar(cur[0], cur[1], t, cur[2], max(cur[3], cur[2]), cur[4], cur[5], cur[6],
                            until=until))
        cur = [activity, t, i, i, client, request, layer] if activity is not None else None
    if cur is not None:
        bars.append(Bar(cur[0], cur[1], end_t, cur[2], max(cur[3], cur[2]), cur[4], cur[5], cur[6],
                        until=steps))
    return bars


#: A client's own steps that put more of its request on the wire.
_SENDS = frozenset({"client_send", "client_send_unread", "client_send_failed"})


def _next_own_events(rows: list[tuple]) -> dict[int, str]:
    """Step index -> the event of that client's next own step (none after its last)."""
    out: dict[int, str] = {}
    later: dict[str, str] = {}
    for i, _, actor, client, _, _, event in reversed(rows):
        if client is not None and actor == client:
            if client in later:
                out[i] = later[client]
            later[client] = event
    return out


def _client_tracks(rows: list[tuple], backlog: dict, end_t: int) -> list[Track]:
    points: dict[str, list[tuple]] = {}
    own: dict[str, Activity | None] = {}
    queued: dict[str, bool] = {}
    next_own = _next_own_events(rows)
    for i, t, actor, client, request, _, event in rows:
        if client is None:
            continue
        wait = backlog.get(client)
        if actor == client:
            act = None if event in CLIENT_ENDS else activity_of(event)
            if event == "client_send_nothing":
                act = own.get(client)  # nothing went on the wire: it does what it did
            elif event == "client_send" and next_own.get(i) in _SENDS:
                act = _A.SENDING  # more of its request comes later: no answer awaited yet
            own[client] = act
        elif wait and i in (wait[1], wait[3]):
            queued[client] = i == wait[1]
        else:
            continue
        act = own.get(client)
        if act in (_A.WAITING, _A.SENDING, _A.CONNECTING, _A.QUEUED) and queued.get(client):
            act = _A.QUEUED
        elif act is _A.QUEUED:  # backlog_queued seen before the client's own send
            act = _A.WAITING
        elif act is _A.CONNECTING and client in queued:
            # the kernel finished the handshake long ago; the client just sends nothing
            act = _A.CONNECTED
        layer = Layer.CLIENT if act not in (None, _A.QUEUED) else (Layer.KERNEL if act else None)
        points.setdefault(client, []).append((t, i, act, client, request, layer))
    return [Track(c, TrackKind.CLIENT, c, tuple(_merge(p, end_t, len(rows))))
            for c, p in points.items()]


def _backlog_track(backlog: dict) -> Track:
    """One bar per connection while it sits in the listen backlog; overlapping waits get
    rows of their own (greedy, like a Gantt chart's lanes)."""
    bars = []
    row_free: list[int] = []  # the time each row is free again
    for client, (t0, i0, t1, i1) in sorted(backlog.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        end = t1 if i1 is not None else None
        row = next((r for r, free in enumerate(row_free) if free <= t0), len(row_free))
        if row == len(row_free):
            row_free.append(0)
        row_free[row] = end if end is not None else 1 << 62
        bars.append(Bar(_A.QUEUED, t0, end if end is not None else t0, i0,
                        i1 if i1 is not None else i0, client, 1, Layer.KERNEL, row,
                        until=(i1 if i1 is not None else i0) + 1))  # through accept()
    return Track("backlog", TrackKind.BACKLOG, "listen backlog", tuple(bars), max(1, len(row_free)))


def _server_tracks(rows: list[tuple], end_t: int) -> list[Track]:
    points: dict[str, list[tuple]] = {}
    for i, t, actor, client, request, layer, event in rows:
        if actor == "kernel" or actor == client:
            continue
        if event == "reloader_child_exit":
            # the process is gone: every thread of it stops here, its main thread too
            for other, p in points.items():
                if other.startswith(actor + "/") and p[-1][2] is not None:
                    p.append((t, i, None, None, None, None))
            points.setdefault(actor, []).append((t, i, _A.CLOSING, client, request, layer))
            points[actor].append((t, i, None, None, None, None))
            continue
        act: Activity | None = activity_of(event)
        if event == "close_request_parent":
            # the parent's copy of the socket is closed; the child serves the connection
            points.setdefault(actor, []).append((t, i, _A.CLOSING, client, request, layer))
            act, client, request, layer = _A.SELECTING, None, None, Layer.LOOP
        elif event == "process_request_threaded":
            # t.start(), and the loop is back in select() at once
            points.setdefault(actor, []).append((t, i, _A.ACCEPTING, client, request, layer))
            act, client, request, layer = _A.SELECTING, None, None, Layer.LOOP
        elif event in CONNECTION_ENDS:
            points.setdefault(actor, []).append((t, i, _A.CLOSING, client, request, layer))
            if is_loop_actor(actor):
                act, client, request, layer = _A.SELECTING, None, None, Layer.LOOP
            else:
                act = None  # the worker thread returns and ends
        points.setdefault(actor, []).append((t, i, act, client, request, layer))
    reloading = any(actor.startswith("child-") for actor in points)
    tracks = []
    for actor, p in points.items():
        if reloading and actor == LOOP_ACTOR:
            # the process the person started: it opened the socket and waits for its child
            kind = TrackKind.MAIN
        else:
            kind = (TrackKind.LOOP if is_loop_actor(actor) else
                    TrackKind.MAIN if actor.startswith("child-") and "/" not in actor else
                    TrackKind.PROCESS if actor.startswith("process-") else TrackKind.THREAD)
        label, label_zh = thread_names(actor, reloading)
        tracks.append(Track(actor, kind, label, tuple(_merge(p, end_t, len(rows))), label_zh=label_zh))
    return tracks


# -- requests -----------------------------------------------------------------------------

def _statuses(received: bytes) -> list[int]:
    """Final status codes in what a client received, in order (1xx interim answers skipped)."""
    out = []
    for line in received.split(b"\r\n"):
        if line.startswith(b"HTTP/1.") and line[8:9] == b" " and line[9:12].isdigit():
            code = int(line[9:12])
            if code >= 200:
                out.append(code)
    return out


def _requests(trace: Trace, rows: list[tuple], backlog: dict) -> list[RequestTimes]:
    reqs: dict[tuple[str, int], RequestTimes] = {}
    marks: dict[tuple[str, int], dict[str, int]] = {}
    order: list[tuple[str, int]] = []
    queued_behind: dict[str, set[str]] = {c: set() for c in backlog}
    in_backlog: set[str] = set()  # at most backlog + 1 connections
    last_served: tuple[str, str] | None = None
    sleeping: dict[str, tuple[RequestTimes, int]] = {}  # actor -> (request, since t)
    reading_body: dict[str, tuple[RequestTimes, int]] = {}  # the same, blocked in read()
    in_waitpid = False
    waited_for_waitpid: set[str] = set()
    # with the reloader, from run_simple until a child serves, and again from a child's exit
    no_child_serving = False
    waited_for_child: set[str] = set()
    answered: set[tuple[str, int]] = set()  # the server side closed the connection
    loops: set[str] = set()
    ended: set[tuple[str, int]] = set()  # the client read EOF, was reset or gave up
    for i, t, actor, client, request, layer, event in rows:
        if actor in sleeping:
            asleep, since = sleeping.pop(actor)
            asleep.slept += t - since
        if actor in reading_body:
            blocked, since = reading_body.pop(actor)
            blocked.body_wait += t - since
        if event == "backlog_queued":
            in_backlog.add(client)
        elif event == "get_request":
            in_backlog.discard(client)
            loops.add(actor)
        if event == "collect_children_full":
            in_waitpid = True
        elif event == "child_reaped":
            in_waitpid = False
        if in_waitpid:
            waited_for_waitpid |= in_backlog
        if event == "run_simple_reloader" or event == "reloader_child_exit":
            no_child_serving = True
        elif event == "wsgi_serve_forever" and is_loop_actor(actor):
            no_child_serving = False
        if no_child_serving:
            waited_for_child |= in_backlog
        if event == "reloader_child_exit":
            _stopped_by_exit(actor, t, i, reqs, marks, answered, sleeping)
        # Only the loop's own work keeps it from accept(): a worker thread or a forked
        # child serving another connection does not (the loop is free, or in waitpid).
        # The loop is whoever calls accept() (MainThread, or a reloader child's thread).
        if actor in loops and client is not None and in_backlog \
                and (actor, client) != last_served:
            # only when a server actor turns to another connection: steps come in runs
            last_served = (actor, client)
            for c in in_backlog:
                if c != client:
                    queued_behind[c].add(client)
        if event == "backlog_queued":
            last_served = None  # a newcomer has not seen the current run yet
        if client is None:
            continue
        key = (client, request)
        r = reqs.get(key)
        if r is None:
            r = reqs[key] = RequestTimes(client, request, i, t, t, i)
            marks[key] = {}
            order.append(key)
        if key not in ended:  # a send after EOF (into a closed socket) is not waiting for it
            r.end, r.last = t, i
        if actor == client and event in CLIENT_ENDS:
            ended.add(key)
        if event in CONNECTION_ENDS:
            answered.add(key)
        m = marks[key]
        if actor != client and actor != "kernel":
            if event in READ_STARTS:
                r.actor = actor  # the thread that reads, runs the app and answers it
                m.setdefault("reading", t)
                m.setdefault("reading_i", i)
            elif layer in (Layer.WSGI, Layer.FLASK, Layer.VIEW) and "app" not in m:
                m["app"], m["app_i"] = t, i
            if event in ("write_headers", "send_error") and "sending" not in m:
                m["sending"], m["sending_i"] = t, i
            if event == "view_sleep":
                sleeping[actor] = (r, t)
            elif layer is Layer.VIEW and activity_of(event) is _A.READING:
                reading_body[actor] = (r, t)  # the view reads the body: until it comes
            if event == "hook_before_request":
                m["hooked"] = i
            if layer is Layer.VIEW:
                m["view"] = i
            if event == "finalize_request":
                m["finalized"] = i
            m["server_end"], m["server_end_i"] = t, i
    out = []
    last_of_client: dict[str, RequestTimes] = {}
    statuses = {c: _statuses(res.received) for c, res in trace.clients.items()}
    for key in order:
        r, m = reqs[key], marks[key]
        client = r.client
        wait = backlog.get(client)
        if r.request == 1 and wait is not None:
            end = wait[2] if wait[3] is not None else r.end
            r.segments.append(Segment("queued", wait[0], end, wait[1],
                                      wait[3] if wait[3] is not None else r.last))
            r.queued_behind = tuple(sorted(queued_behind.get(client, ())))
            r.queued_for_waitpid = client in waited_for_waitpid
            r.queued_for_child = client in waited_for_child
        if "reading" in m:
            stop = m.get("app", m.get("sending", m.get("server_end", m["reading"])))
            until = m.get("app_i", m.get("sending_i", m.get("server_end_i", m["reading_i"])))
            r.segments.append(Segment("reading", m["reading"], stop, m["reading_i"], until))
        if "app" in m:
            stop = m.get("sending", m.get("server_end", m["app"]))
            until = m.get("sending_i", m.get("server_end_i", m["app_i"]))
            r.segments.append(Segment("app", m["app"], stop, m["app_i"], until))
        if "sending" in m:
            r.segments.append(Segment("sending", m["sending"], max(m["server_end"], r.end),
                                      m["sending_i"], max(m["server_end_i"], r.last)))
        codes = statuses.get(client) or []
        r.status = codes[r.request - 1] if r.request - 1 < len(codes) else None
        r.view_skipped = ("hooked" in m and "finalized" in m and m.get("view", -1) < m["hooked"])
        last_of_client[client] = r
        out.append(r)
    for client, r in last_of_client.items():
        res = trace.clients.get(client)
        r.end_kind = str(res.end) if res is not None else None
    return out


def _stopped_by_exit(process: str, t: int, i: int, reqs: dict, marks: dict,
                     answered: set, sleeping: dict) -> None:
    """A reloader child exits (``sys.exit(3)``): its threads stop where they are. A
    request one of them was serving spent its time in the server until now (a view asleep
    slept until now), and it will get no more."""
    for key, r in reqs.items():
        if key in answered or (key[0], key[1] + 1) in reqs or r.actor is None \
                or not r.actor.startswith(f"{process}/"):
            continue  # over (a next request on its connection began), or another's
        r.server_exited = True
        marks[key]["server_end"], marks[key]["server_end_i"] = t, i
        asleep = sleeping.pop(r.actor, None)
        if asleep is not None:
            asleep[0].slept += t - asleep[1]


# -- moments ------------------------------------------------------------------------------

#: The step that puts a response's status line and headers on the wire.
ANSWER_WRITES = frozenset({"write_headers", "wsgiref_send_preamble"})

#: The events :func:`_moments` looks at; every other step is passed over.
_MOMENT_EVENTS = READ_STARTS | ANSWER_WRITES | frozenset({
    "backlog_queued", "read_readline", "parse_request", "read_headers", "send_error",
    "handle_expect_100", "dispatch_request_routing_error", "dispatch_request_options",
    "hook_before_request", "hook_after_request", "view_sleep", "view_echo", "read_body",
    "read_drain", "handle_exception", "wsgiref_hop_by_hop", "generate_chunk", "write_body",
    "do_teardown_request", "reqctx_push_again", "connection_dropped", "client_timeout",
    "client_close", "client_hang_up", "client_abort", "connect_timeout", "process_request_threaded",
    "collect_children_full", "wsgiref_process_exit", "close_request", "close_request_rst",
    "reloader_child_start", "trigger_reload"})

_APP_LAYERS = frozenset({Layer.WSGI, Layer.FLASK, Layer.VIEW})

#: Moments that are only part of the story: a request with nothing but these gets
#: :attr:`MomentKind.ANSWER_BEGINS` (the first one of the run).
_BACKGROUND = frozenset({MomentKind.TEARDOWN, MomentKind.THREAD_STARTED})


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """A response's status line and headers as a client received them."""

    version: str
    status: int
    #: lower-cased names -> every value, in order
    headers: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None


def _header_block(block: bytes) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for line in block.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep:
            headers.setdefault(name.strip().lower().decode("latin-1"), []).append(
                value.strip().decode("latin-1"))
    return headers


def response_heads(received: bytes) -> list[ResponseHead]:
    """The final (non-1xx) response heads in what a client received, in order. A body is
    skipped by its Content-Length or its chunked framing; one with neither runs to the
    end (RFC 9112 section 6.3), so nothing after it is a response."""
    out, pos = [], 0
    while received.startswith(b"HTTP/1.", pos):
        end = received.find(b"\r\n\r\n", pos)
        if end < 0:
            break
        status_line, _, block = received[pos:end].partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            break
        head = ResponseHead(parts[0].decode("latin-1"), int(parts[1]), _header_block(block))
        pos = end + 4
        if head.status < 200:
            continue  # an interim answer (100 Continue) has no body
        out.append(head)
        length = head.first("content-length")
        if length is not None and length.isdigit():
            pos += int(length)
        elif "chunked" in (head.first("transfer-encoding") or ""):
            last = received.find(b"\r\n0\r\n\r\n", pos - 2)
            if last < 0:
                break
            pos = last + 7
        else:
            break
    return out


@dataclass(slots=True)
class _Seen:
    """What the trace has said so far about one request, for the moments to come."""

    method: str = ""
    version: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)
    #: body bytes the app read, or the server drained
    read: int = 0
    #: the view asked for the body (``request.get_data()``)
    view_reads: bool = False
    #: Werkzeug 0.16's handle_one_request: no limit on the request line
    unlimited: bool = False
    after_hooks: int = 0
    answered: bool = False

    def content_length(self) -> int:
        value = (self.headers.get("content-length") or ["0"])[0]
        return int(value) if value.isdigit() else 0

    def chunked(self) -> bool:
        return "chunked" in ",".join(self.headers.get("transfer-encoding", [])).lower()


def _moments(trace: Trace, rows: list[tuple], backlog: dict,
             requests: list[RequestTimes]) -> list[Moment]:
    out: list[Moment] = []
    by_key = {(r.client, r.request): r for r in requests}
    heads = {c: response_heads(res.received) for c, res in trace.clients.items()}
    body_reads = _body_read_times(rows)
    after_hooks = _counts(rows, "hook_after_request")
    seen: dict[tuple[str, int], _Seen] = {}
    seen_wsgi: set[tuple[str, int]] = set()
    first_chunk_pending: set[tuple[str, int]] = set()
    first_chunk_done: set[tuple[str, int]] = set()
    heads_sent: set[tuple[str, int]] = set()

    def head_of(key: tuple[str, int]) -> ResponseHead | None:
        found = heads.get(key[0]) or []
        return found[key[1] - 1] if key[1] is not None and key[1] - 1 < len(found) else None

    def add(i, t, kind, client, request, other=None, detail="") -> None:
        out.append(Moment(i, t, kind, client, request, other, str(detail)))

    for i, t, actor, client, request, layer, event in rows:
        if layer in _APP_LAYERS and client is not None:
            seen_wsgi.add((client, request))
        if event not in _MOMENT_EVENTS:
            continue  # most steps: nothing to look at (a 200,000-step trace stays fast)
        key = (client, request)
        req = seen.get(key)
        if req is None:
            req = seen[key] = _Seen()
        if event == "backlog_queued":
            wait = backlog.get(client)
            r = by_key.get(key)
            if wait and wait[0] == t and r and r.queued_behind and (
                    wait[2] - wait[0] > 0 or wait[3] is None):
                add(i, t, MomentKind.QUEUED_BUSY, client, request, r.queued_behind[0])
        elif event in READ_STARTS:
            req.unlimited = event == "handle_one_request_unlimited"
        elif event == "read_readline" and req.unlimited and not req.method:
            n = step_args(trace, i).get("n", 0)
            if n > 65537:  # http.server's readline(65537) would have stopped here: a 414
                add(i, t, MomentKind.LINE_NOT_LIMITED, client, request, detail=f"{n:,}")
        elif event == "parse_request":
            words = step_args(trace, i).get("line", b"").split()
            req.method = words[0].decode("latin-1") if words else ""
            req.version = words[-1].decode("latin-1") if len(words) == 3 else ""
        elif event == "read_headers":
            req.headers = _header_block(step_args(trace, i).get("text", b""))
        elif event == "send_error" and key not in seen_wsgi:
            add(i, t, MomentKind.ANSWERED_BEFORE_WSGI, client, request,
                detail=step_args(trace, i).get("code", ""))
        elif event == "handle_expect_100" and not req.answered:
            req.answered = True  # an interim answer, once
            add(i, t, MomentKind.CONTINUE_SENT, client, request)
        elif event == "dispatch_request_routing_error":
            code = step_args(trace, i).get("code")
            head = head_of(key)
            if code == 404:
                add(i, t, MomentKind.NOT_FOUND, client, request)
            elif code == 405:
                add(i, t, MomentKind.METHOD_NOT_ALLOWED, client, request,
                    detail=(head.first("allow") if head else None) or "")
        elif event == "dispatch_request_options":
            head = head_of(key)
            add(i, t, MomentKind.OPTIONS_AUTOMATIC, client, request,
                detail=(head.first("allow") if head else None) or "")
        elif event == "hook_before_request":
            r = by_key.get(key)
            if r and r.view_skipped and _is_last_hook(rows, i, actor):
                add(i, t, MomentKind.VIEW_SKIPPED, client, request)
        elif event == "hook_after_request":
            req.after_hooks += 1
            if req.after_hooks == 1 and after_hooks.get(key, 0) > 1:
                add(i, t, MomentKind.HOOKS_REVERSED, client, request,
                    detail=step_args(trace, i).get("name", ""))
        elif event == "view_sleep":
            add(i, t, MomentKind.VIEW_SLEEPS, client, request, actor)
        elif event == "view_echo":
            req.view_reads = True
            arrives = body_reads.get(key)
            if req.content_length() and (arrives is None or arrives > t):
                add(i, t, MomentKind.BODY_WAIT, client, request, detail=req.content_length())
        elif event in ("read_body", "read_drain"):
            n = step_args(trace, i).get("n", 0)
            req.read += n
            if event == "read_body" and req.chunked():
                add(i, t, MomentKind.CHUNKED_UPLOAD_READ if n else MomentKind.CHUNKED_UPLOAD_LOST,
                    client, request, detail=n)
            elif event == "read_drain" and n:
                add(i, t, MomentKind.BODY_DRAINED, client, request, detail=n)
        elif event == "handle_exception":
            add(i, t, MomentKind.VIEW_RAISED, client, request,
                detail=step_args(trace, i).get("error", ""))
        elif event == "wsgiref_hop_by_hop":
            add(i, t, MomentKind.HOP_BY_HOP_REFUSED, client, request,
                detail=step_args(trace, i).get("header", ""))
        elif event == "generate_chunk":
            first_chunk_pending.add(key)
        elif event == "do_teardown_request":
            add(i, t, MomentKind.TEARDOWN, client, request)
        elif event == "reqctx_push_again":
            add(i, t, MomentKind.CONTEXT_PUSHED_AGAIN, client, request)
        elif event == "connection_dropped":
            add(i, t, MomentKind.CONNECTION_DROPPED, client, request,
                detail=step_args(trace, i).get("error", ""))
        elif event in ("client_timeout", "client_close", "client_hang_up", "client_abort",
                       "connect_timeout"):
            add(i, t, MomentKind.CLIENT_GAVE_UP, client, request)
        elif event == "process_request_threaded":
            add(i, t, MomentKind.THREAD_STARTED, client, request, _started_thread(rows, i, client))
        elif event == "collect_children_full":
            add(i, t, MomentKind.CHILDREN_FULL, client, request,
                detail=step_args(trace, i).get("max", ""))
        elif event == "trigger_reload":
            add(i, t, MomentKind.RELOADED, client, request, actor, detail=step_args(trace, i).get("file", ""))
        elif event == "reloader_child_start":
            add(i, t, MomentKind.MODULE_RUNS_AGAIN, client, request, actor,
                detail=step_args(trace, i).get("waiting", 0))
        elif event == "wsgiref_process_exit":
            add(i, t, MomentKind.PROCESS_EXITED, client, request,
                detail=step_args(trace, i).get("reset", "") or "-")
        elif event in ("close_request", "close_request_rst") and client is not None:
            if req.content_length() and not req.view_reads and req.read < req.content_length():
                add(i, t, MomentKind.LEFTOVER_BODY, client, request, detail=req.content_length())
            head = head_of(key)
            if trace.stack.kind == "wsgiref" and head and head.version == "HTTP/1.0" \
                    and req.version == "HTTP/1.1":
                add(i, t, MomentKind.ONE_PER_CONNECTION, client, request)
        if event in ANSWER_WRITES and client is not None and key not in heads_sent:
            heads_sent.add(key)
            head = head_of(key)
            if head is not None:
                out.extend(_answer_moments(i, t, key, head, req, trace.stack.kind == "werkzeug"))
        if event in ("write_headers", "write_body") and key in first_chunk_pending \
                and key not in first_chunk_done:
            first_chunk_done.add(key)
            add(i, t, MomentKind.FIRST_CHUNK, client, request)
    return _with_first_answer(rows, out, heads)


def _answer_moments(i: int, t: int, key: tuple[str, int], head: ResponseHead,
                    req: _Seen, always_closes: bool) -> list[Moment]:
    """What the head of an answer teaches, as it goes out: HEAD's missing body, how a body
    of unknown length is framed, why it closes with a body left unread, a hop-by-hop
    header the app set. ``always_closes``: the server sends ``Connection: close`` with every
    answer (Werkzeug 3; 0.16 only with an answer of unknown length)."""
    client, request = key
    out = []
    if req.method == "HEAD":
        out.append(Moment(i, t, MomentKind.HEAD_NO_BODY, client, request, None,
                          head.first("content-length") or "0"))
    elif head.first("content-length") is None and head.status not in (204, 304):
        chunked = "chunked" in (head.first("transfer-encoding") or "")
        out.append(Moment(i, t, MomentKind.CHUNKED_RESPONSE if chunked else MomentKind.END_BY_CLOSE,
                          client, request, None, head.version))
    connection = head.headers.get("connection", [])
    if always_closes and connection == ["close"] and req.content_length() and not req.view_reads:
        out.append(Moment(i, t, MomentKind.KEEP_ALIVE_OFF, client, request, None, req.version))
    if len(connection) > 1:  # the app's own beside the server's "close"
        out.append(Moment(i, t, MomentKind.HOP_BY_HOP_PASSED, client, request, None,
                          f"Connection: {connection[0]}"))
    return out


def _with_first_answer(rows: list[tuple], moments: list[Moment],
                       heads: dict[str, list[ResponseHead]]) -> list[Moment]:
    """A run whose requests have no moment of their own (one plain GET) still has one: the
    first answer going out, after the whole path ran."""
    if any(m.kind not in _BACKGROUND for m in moments):
        return moments
    for i, t, _, client, request, _, event in rows:
        if event in ANSWER_WRITES and client is not None and heads.get(client):
            moment = Moment(i, t, MomentKind.ANSWER_BEGINS, client, request, None,
                            str(heads[client][0].status))
            return sorted([*moments, moment], key=lambda m: m.i)
    return moments


def _body_read_times(rows: list[tuple]) -> dict[tuple[str, int], int]:
    """(client, request) -> when the app's first read of the body returned."""
    out: dict[tuple[str, int], int] = {}
    for _, t, _, client, request, _, event in rows:
        if event == "read_body":
            out.setdefault((client, request), t)
    return out


def _counts(rows: list[tuple], event_name: str) -> dict[tuple[str, int], int]:
    out: dict[tuple[str, int], int] = {}
    for _, _, _, client, request, _, event in rows:
        if event == event_name:
            out[client, request] = out.get((client, request), 0) + 1
    return out


def _is_last_hook(rows: list[tuple], i: int, actor: str) -> bool:
    """The before_request hook at ``i`` is the one that answered: the actor's next step
    is not another before_request hook."""
    for row in rows[i + 1:]:
        if row[2] == actor:
            return row[6] != "hook_before_request"
    return True


def _started_thread(rows: list[tuple], i: int, client: str | None) -> str | None:
    for row in rows[i + 1:]:
        if row[6] == "process_request_thread" and row[3] == client:
            return row[2]
    return None
