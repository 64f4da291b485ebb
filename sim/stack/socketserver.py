"""``socketserver``: the server loop, accept, and the request handler's life cycle.

Read beside CPython 3.11's ``Lib/socketserver.py``: the same classes and methods, in the same
order. Each simulated method records one step when the real one would be entered (its
``qualname``), and blocks (``yield``) where the real one would block.
"""

from __future__ import annotations

from ..kernel import Connection
from ..scheduler import Wait, Waitable
from ..trace import Phase, view
from .io import BufferedReader, SocketWriter
from .tracebacks import last_line
from .world import MAIN, Process, World

# The phases of this module's steps as globals: a member looked up on its enum class goes
# through the metaclass, a cost paid at every step.
STARTUP, LISTEN, SELECT, ACCEPT, SETUP, CLOSE = (
    Phase.STARTUP, Phase.LISTEN, Phase.SELECT, Phase.ACCEPT, Phase.SETUP, Phase.CLOSE)


class BaseServer:
    """``BaseServer`` + ``TCPServer``: the parts of the loop every server shares."""

    #: ``TCPServer.request_queue_size``; Werkzeug sets 128 (``LISTEN_QUEUE``)
    request_queue_size = 5

    def __init__(self, world: World, handler_class: type, process: Process | None = None,
                 actor: str = MAIN) -> None:
        self.world = world
        self.rec = world.recorder
        self.RequestHandlerClass = handler_class
        #: the process the server lives in, and the thread that runs its loop (a reloader
        #: child's ``Thread-1 (inner)``; otherwise the main thread)
        self.process = world.process if process is None else process
        self.actor = actor

    # -- startup -------------------------------------------------------------------

    def tcp_init(self):
        """``TCPServer.__init__`` -> ``BaseServer.__init__`` (no bind: Werkzeug binds itself)."""
        self.rec.step(self.actor, None, STARTUP, "socketserver.TCPServer.__init__", "tcp_init",
                      line="self.socket = socket.socket(self.address_family,")
        self.rec.step(self.actor, None, STARTUP, "socketserver.BaseServer.__init__", "base_init",
                      line="self.RequestHandlerClass = RequestHandlerClass")

    def server_bind(self):
        """``TCPServer.server_bind``: bind, then ``server_address = socket.getsockname()``,
        where a name is the address it resolved to (``localhost``: 127.0.0.1), which is what
        ``SERVER_NAME`` shows."""
        host, port = self.server_address
        self.rec.step(self.actor, None, LISTEN, "socketserver.TCPServer.server_bind", "server_bind",
                      {"host": host, "port": port}, line="self.socket.bind(self.server_address)")
        self.server_address = (bound_address(host), port)

    def server_close(self):
        """``TCPServer.server_close``: close the listening socket; the kernel resets the
        connections still waiting in its queue and refuses new ones."""
        waiting = [conn.client for conn in self.world.listener.queue]
        self.world.listener.close()
        self.rec.step(self.actor, None, CLOSE, "socketserver.TCPServer.server_close", "server_close",
                      {"waiting": len(waiting)}, line="self.socket.close()",
                      state={f"backlog/{cid}": None for cid in waiting})

    def server_activate(self):
        self.world.listener.listening = True
        self.rec.step(self.actor, None, LISTEN, "socketserver.TCPServer.server_activate",
                      "server_activate", {"backlog": self.world.listener.backlog},
                      line="self.socket.listen(self.request_queue_size)")

    # -- the loop ------------------------------------------------------------------

    def serve_forever(self):
        self.rec.step(self.actor, None, SELECT, "socketserver.BaseServer.serve_forever",
                      "serve_forever", {"poll": self.world.scenario.server.serve_forever_poll},
                      line="selector.register(self, selectors.EVENT_READ)")
        listener = self.world.listener
        while True:
            # selector.select(poll_interval) returns empty every poll_interval seconds while
            # nothing connects; those idle turns change nothing and are not steps.
            yield from listener.wait_readable()
            yield from self._handle_request_noblock()
            yield from self.service_actions()

    def service_actions(self):
        """``BaseServer.service_actions``: nothing here (``ForkingMixIn`` reaps its children
        in it), so no step."""
        return
        yield

    def handle_request(self, timeout_ms: int | None):
        """``handle_request``: wait (at most ``self.timeout``) for ONE connection, serve
        it, and return; ``handle_timeout`` if none came in time."""
        # timeout None is select() with no timeout: said in words, not "timeout: None s"
        self.rec.step(self.actor, None, SELECT, "socketserver.BaseServer.handle_request",
                      "handle_request_forever" if timeout_ms is None else "handle_request",
                      {"timeout": None if timeout_ms is None else timeout_ms / 1000},
                      line="ready = selector.select(timeout)")
        if (yield from self.world.listener.readable_within(timeout_ms)):
            yield from self._handle_request_noblock()
        else:
            self.handle_timeout()

    def handle_timeout(self) -> None:
        self.rec.step(self.actor, None, SELECT, "socketserver.BaseServer.handle_timeout",
                      "handle_timeout", line="pass")

    def _handle_request_noblock(self):
        listener = self.world.listener
        self.rec.step(self.actor, listener.queue[0].client, SELECT,
                      "socketserver.BaseServer._handle_request_noblock", "handle_request_noblock",
                      line="request, client_address = self.get_request()")
        request = self.get_request()
        if self.verify_request(request):
            try:
                yield from self.process_request(request)
            except Exception as err:
                # What escapes the handler (a read that met an RST, on a server whose
                # handler does not catch it, like wsgiref's; an error the handler raises
                # again, like 0.16's status line that is not ASCII) is printed, and the
                # connection shut down here instead.
                self.handle_error(request, err, self.actor)
                self.shutdown_request(request, self.actor)
            except BaseException:
                # The bare ``except:`` (a view's ``SystemExit``): close the connection and
                # let the error end the loop.
                # (still inside _handle_request_noblock: a step without a qualname)
                self.rec.step(self.actor, request.client, CLOSE, None, "handle_request_noblock_raise")
                self.shutdown_request(request, self.actor)
                raise

    def get_request(self) -> Connection:
        listener = self.world.listener
        conn = listener.accept()
        port = self.world.client_ports[conn.client]
        self.rec.step(self.actor, conn.client, ACCEPT, "socketserver.TCPServer.get_request",
                      "get_request", {"client": conn.client, "port": port,
                                      "waiting": len(listener.queue)},
                      line="return self.socket.accept()",
                      state={f"backlog/{conn.client}": None,
                             f"sockets/{conn.client}": socket_view(conn, None)})
        return conn

    def verify_request(self, request: Connection) -> bool:
        self.rec.step(self.actor, request.client, ACCEPT, "socketserver.BaseServer.verify_request",
                      "verify_request", line="return True")
        return True

    def process_request(self, request: Connection):
        """``BaseServer.process_request``: handle the connection right here, in the loop."""
        self.rec.step(self.actor, request.client, ACCEPT, "socketserver.BaseServer.process_request",
                      "process_request", line="self.finish_request(request, client_address)")
        yield from self.finish_request(request, self.actor)
        self.shutdown_request(request, self.actor)

    def finish_request(self, request: Connection, actor: str):
        self.rec.step(actor, request.client, SETUP, "socketserver.BaseServer.finish_request",
                      "finish_request", line="self.RequestHandlerClass(request, client_address, self)")
        handler = self.RequestHandlerClass(self, request, actor)
        yield from handler.run()

    def handle_error(self, request: Connection, err: BaseException, actor: str) -> None:
        """``handle_error``: the traceback between two rules of dashes, on stderr."""
        port = self.world.client_ports[request.client]
        self.rec.step(actor, request.client, CLOSE, "socketserver.BaseServer.handle_error",
                      "server_handle_error", {"error": last_line(err)},
                      line="print('Exception occurred during processing of request from',")
        rule = "-" * 40
        self.rec.log(actor, f"{rule}\nException occurred during processing of request from "
                                 f"('127.0.0.1', {port})\n{last_line(err)}\n{rule}")

    def shutdown_request(self, request: Connection, actor: str) -> None:
        """``TCPServer.shutdown_request``: ``shutdown(SHUT_WR)`` (FIN), then ``close``."""
        kernel = self.world.kernel
        self.rec.step(actor, request.client, CLOSE, "socketserver.TCPServer.shutdown_request",
                      "shutdown_request", line="request.shutdown(socket.SHUT_WR)")
        kernel.shutdown_write(request)
        unread = request.server_unread
        reset = kernel.close(request)
        self.rec.step(actor, request.client, CLOSE, "socketserver.TCPServer.close_request",
                      "close_request_rst" if reset else "close_request", {"unread": unread},
                      line="request.close()",
                      state={f"sockets/{request.client}": socket_view(request, None)})


class ThreadingMixIn:
    """``ThreadingMixIn.process_request``: one new thread per connection."""

    def process_request(self, request: Connection):
        actor = self.process.next_thread_name()
        self.rec.step(self.actor, request.client, ACCEPT, "socketserver.ThreadingMixIn.process_request",
                      "process_request_threaded", {"thread": actor}, line="t.start()")
        self.world.scheduler.spawn(actor, self._bootstrap_inner(actor, request))
        return
        yield  # a generator like every process_request, though this one never blocks

    def _bootstrap_inner(self, actor: str, request: Connection):
        """``threading.Thread._bootstrap_inner`` around the thread's target: an exception
        that escapes ``process_request_thread`` (only a non-``Exception`` gets that far, such
        as a view's ``SystemExit``) ends the thread; ``threading.excepthook`` ignores
        ``SystemExit`` and prints any other with its traceback. The server goes on."""
        try:
            yield from self.process_request_thread(request, actor)
        except BaseException as err:
            name = getattr(err, "real_name", type(err).__name__)
            number = actor.rpartition("thread-")[2]
            self.rec.step(actor, request.client, CLOSE, None, "thread_died", {"error": name})
            if name != "SystemExit":
                self.rec.log(actor, f"Exception in thread Thread-{number} (process_request_thread):\n{name}")

    def process_request_thread(self, request: Connection, actor: str):
        self.rec.step(actor, request.client, SETUP,
                      "socketserver.ThreadingMixIn.process_request_thread", "process_request_thread",
                      {"thread": actor}, line="self.finish_request(request, client_address)")
        try:
            yield from self.finish_request(request, actor)
        except Exception as err:
            self.handle_error(request, err, actor)
        finally:
            self.shutdown_request(request, actor)


class ForkingMixIn:
    """``ForkingMixIn``: one child process per connection (actor ``process-N``).

    The parent closes its copy of the connection at once (the child's copy keeps it open),
    then, in ``service_actions`` after every request, reaps the children that have exited;
    with ``max_children`` children alive it blocks in ``waitpid`` until one exits, and
    accepts nothing meanwhile. Theory of a child's life: forked -> running -> exited (a
    zombie until reaped) -> reaped."""

    max_children = 40

    def process_request(self, request: Connection):
        world = self.world
        if not hasattr(self, "active_children"):
            self.active_children: list[str] = []  # alive or zombie, in fork order
            self.exited: set[str] = set()
            self.child_exit = Waitable("child exit")
        actor = world.next_process_name()
        self.rec.step(self.actor, request.client, ACCEPT, "socketserver.ForkingMixIn.process_request",
                      "process_request_forked", {"process": actor}, line="pid = os.fork()")
        self.active_children.append(actor)
        world.scheduler.spawn(actor, self.forked_child(request, actor))
        # The parent's copy of the socket: closing it closes nothing the client sees.
        self.rec.step(self.actor, request.client, ACCEPT, "socketserver.TCPServer.close_request",
                      "close_request_parent", {"process": actor}, line="request.close()")
        return
        yield

    def forked_child(self, request: Connection, actor: str):
        """The child's side of ``process_request``: serve, shut down, ``os._exit``."""
        error = None
        try:
            yield from self.finish_request(request, actor)
        except Exception as err:
            self.handle_error(request, err, actor)
        except BaseException as err:  # SystemExit from a view: os._exit in the finally ends it all
            error = getattr(err, "real_name", type(err).__name__)
        finally:
            self.shutdown_request(request, actor)
            if error is not None:
                self.rec.step(actor, request.client, CLOSE, None, "child_died", {"error": error})
            self.exited.add(actor)
            self.world.scheduler.wake(self.child_exit)

    def service_actions(self):
        self.rec.step(self.actor, None, SELECT, "socketserver.ForkingMixIn.service_actions",
                      "service_actions_fork", line="self.collect_children()")
        yield from self.collect_children()

    def collect_children(self):
        rec = self.rec
        full = len(self.active_children) >= self.max_children
        rec.step(self.actor, None, SELECT, "socketserver.ForkingMixIn.collect_children",
                 "collect_children_full" if full else "collect_children",
                 {"alive": len(self.active_children), "max": self.max_children},
                 line="pid, _ = os.waitpid(-1, 0)" if full else "pid, _ = os.waitpid(pid, flags)")
        while len(self.active_children) >= self.max_children:
            zombie = next((a for a in self.active_children if a in self.exited), None)
            if zombie is None:
                yield Wait(self.child_exit)
                continue
            self.reap(zombie)
        for actor in [a for a in self.active_children if a in self.exited]:
            self.reap(actor)

    def reap(self, actor: str) -> None:
        self.active_children.remove(actor)
        self.rec.step(self.actor, None, SELECT, None, "child_reaped",
                      {"process": actor, "alive": len(self.active_children)})


class BaseRequestHandler:
    """``BaseRequestHandler.__init__`` (setup, handle, finish) + ``StreamRequestHandler``."""

    def __init__(self, server: BaseServer, request: Connection, actor: str) -> None:
        self.server = server
        self.world = server.world
        self.rec = server.rec
        self.request = request
        self.client = request.client
        self.actor = actor
        self.client_address = ("127.0.0.1", server.world.client_ports[request.client])

    def run(self):
        self.rec.step(self.actor, self.client, SETUP, "socketserver.BaseRequestHandler.__init__",
                      "handler_init", {"cls": type(self).__name__}, line="self.setup()")
        self.setup()
        try:
            yield from self.handle()
        finally:
            self.finish()

    def setup(self) -> None:
        self.rfile = BufferedReader(self.world.kernel, self.request)
        self.wfile = SocketWriter(self.world.kernel, self.request)
        self.rec.step(self.actor, self.client, SETUP, "socketserver.StreamRequestHandler.setup",
                      "setup", line="self.rfile = self.connection.makefile('rb', self.rbufsize)")

    def handle(self):
        raise NotImplementedError
        yield

    def finish(self) -> None:
        self.rec.step(self.actor, self.client, CLOSE, "socketserver.StreamRequestHandler.finish",
                      "finish", line="self.wfile.flush()")


_VIEW_LIMIT = 2048


def _shown(log: bytearray | bytes, start: int, end: int) -> str:
    """``log[start:end]`` for the inspector, as latin-1 text, shortened in the middle when
    long (only what is shown is copied)."""
    if end - start <= _VIEW_LIMIT:
        return log[start:end].decode("latin-1")
    half = _VIEW_LIMIT // 2
    return (
        log[start : start + half].decode("latin-1")
        + f"\n… {end - start - _VIEW_LIMIT} more bytes …\n"
        + log[end - half : end].decode("latin-1")
    )


@view("socket")
def render_socket(view: tuple) -> dict:
    """A socket view (:func:`socket_view`) as the inspector shows it."""
    _, state, log, recv_start, recv_end, rfile_start, consumed, sent, bytes_consumed = view
    return {
        "state": state,
        "recv_buffer": _shown(log, recv_start, recv_end),
        "rfile_buffer": _shown(log, rfile_start, recv_start),
        "consumed": _shown(consumed, 0, len(consumed)),
        # the three above are shortened past _VIEW_LIMIT: their real lengths
        "sizes": {"recv_buffer": recv_end - recv_start, "rfile_buffer": recv_start - rfile_start,
                  "consumed": len(consumed)},
        "bytes_consumed": bytes_consumed,
        "sent": sent,
    }


def socket_view(conn: Connection, rfile: BufferedReader | None, consumed: bytes = b"") -> tuple:
    """One connection's sockets and buffers now, as offsets into the connection's
    append-only byte logs (:class:`sim.kernel.Connection`): the kernel's receive buffer is
    ``to_server[recv_start:recv_end]`` and the handler's ``rfile`` buffer
    ``[rfile_start:recv_start]`` (what was received and not yet returned: from ``rfile``'s
    ``consumed`` count up to the kernel's read offset). ``consumed`` is the very object the
    step's read returned (a chunked body's read returns decoded bytes, so it is kept, not
    located). Nothing is copied until the step is inspected, so a step costs the same
    whatever the buffers hold. Without ``rfile`` (before ``setup`` and after ``close``) no
    handler buffer is shown and ``bytes_consumed`` is 0. The handler's side is kept on the
    connection for the client's next step (:func:`peer_socket_view`)."""
    conn.handler_side = (rfile, consumed)
    # ``_value_``, not ``.value``: the enum's property is a Python call, and this runs for
    # most steps of a large run
    recv_start = conn.server_read
    if rfile is None:
        return ("socket", conn.state._value_, conn.to_server, recv_start, len(conn.to_server),
                recv_start, consumed, len(conn.to_client), 0)
    position = rfile.consumed
    return ("socket", conn.state._value_, conn.to_server, recv_start, len(conn.to_server),
            position, consumed, len(conn.to_client), position)


def peer_socket_view(conn: Connection) -> tuple:
    """The connection at a step of the client or of the kernel (a send, a close): the
    kernel's buffers as they are now, the handler's ``rfile`` buffer, its count and what its
    last read returned as the handler's last step left them. (Shown as empty, they made a
    send that arrives while the view is blocked in ``read`` look as if nothing had been
    read yet.)"""
    rfile, consumed = conn.handler_side
    return socket_view(conn, rfile, consumed)  # (which keeps ``handler_side`` as it was)


def bound_address(host: str) -> str:
    """The address a socket bound to `host` has: ``localhost`` resolves to the loopback
    address (``/etc/hosts``); an address is itself (the engine has no other resolver)."""
    return "127.0.0.1" if host == "localhost" else host
