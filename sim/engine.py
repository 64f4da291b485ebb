"""Build a world from a scenario, run its actors, and return the trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .budget import MAX_STEPS
from .errors import ScenarioError
from .kernel import SYN_RETRIES, SYN_RETRY_MS, Connection, ConnectionResetError_, EndState, Kernel, Listener
from .mimetable import SNAPSHOT, MimeTypes
from .scenario import Client, Scenario
from .scheduler import Scheduler, Sleep
from .stack import werkzeug016_serving, werkzeug_serving, wsgiref_simple_server
from .stack.flask_app import AppExit, Flask, Flask11
from .stack.socketserver import peer_socket_view, socket_view
from .stack.world import Process, World
from .stacks import STACKS
from .trace import ClientEnd, ClientResult, Phase, Recorder, StackInfo, Trace

#: Ephemeral ports handed to clients, in connection order (for REMOTE_PORT).
FIRST_CLIENT_PORT = 40_000


#: the kinds whose forking server (``processes > 1``) is simulated
FORKING_KINDS = frozenset({"werkzeug", "werkzeug-legacy"})


def check_supported(scenario: Scenario) -> None:
    """Scenario features the format has but this engine does not simulate yet."""
    server = scenario.server
    if not server.spec.implemented:
        ready = ", ".join(repr(kind) for kind, spec in STACKS.items() if spec.implemented)
        raise ScenarioError("server.kind", f"{server.kind!r} ({server.spec.title}) is not simulated yet "
                                           f"(simulated: {ready})")
    if server.processes > 1 and server.kind not in FORKING_KINDS:
        raise ScenarioError("server.processes", "a forking server (processes > 1) is not simulated yet")
    if server.use_reloader and server.processes > 1:
        raise ScenarioError("server.processes", "the reloader with a forking server (processes > 1) "
                                                "is not simulated yet")
    if scenario.app.kind != "flask" and server.kind != "wsgiref":
        raise ScenarioError("app.kind", f"{scenario.app.kind!r} runs only on wsgiref")


class Sending(Enum):
    """Where a client's sending side is."""

    #: connecting, or sending its chunks
    SENDING = "sending"
    #: every chunk and its ``then`` done: ``read_timeout`` counts from here
    DONE = "done"
    #: a send failed (an RST came back): the client's end is ``reset``, whatever it read
    FAILED = "failed"


@dataclass(slots=True, eq=False)
class ClientState:
    """One client while the simulation runs: its sending side, its reading side's end, and
    what it has received."""

    received: bytearray = field(default_factory=bytearray)
    sending: Sending = Sending.SENDING
    #: how the reading side ended (``OPEN`` while it reads)
    reader: ClientEnd = ClientEnd.OPEN

    @property
    def end(self) -> ClientEnd:
        """The client's end as the trace reports it: a failed send makes it ``reset``."""
        return ClientEnd.RESET if self.sending is Sending.FAILED else self.reader

    def result(self) -> ClientResult:
        return ClientResult(bytes(self.received), self.end)


def run_scenario(scenario: Scenario, mimetypes: MimeTypes | None = None) -> Trace:
    check_supported(scenario)
    scheduler = Scheduler(max_events=4 * MAX_STEPS)
    recorder = Recorder(scheduler, MAX_STEPS)
    scheduler.after_event = recorder.check_limit
    kernel = Kernel(scheduler, on_server_close=lambda conn: recorder.connection_over(conn.client, "server"))
    world = World(scenario, scheduler, kernel, recorder,
                  Listener(scheduler, scenario.server.listen_backlog),
                  mimetypes=mimetypes or SNAPSHOT)
    clients: dict[str, ClientState] = {}
    decls = {decl.id: decl for decl in scenario.clients}

    def start_client(cid: str):
        return client_main(world, decls[cid], clients[cid])

    world.script = SERVER_MAINS[scenario.server.kind]
    scheduler.spawn("main", world.script(world))
    for index, decl in enumerate(scenario.clients):
        world.client_ports[decl.id] = FIRST_CLIENT_PORT + index
        clients[decl.id] = ClientState()
        scheduler.spawn_later(decl.id, decl.at, start_client)
    try:
        scheduler.run()
        rows, log_lines = recorder.seal()
        scheduler.close_all()
    finally:
        recorder.seal()
    spec = scenario.server.spec
    return Trace(scenario.title, StackInfo(spec.kind, dict(spec.versions)), rows,
                 {cid: state.result() for cid, state in clients.items()}, log_lines)


def werkzeug_main(world: World):
    """The server process's main thread on the Werkzeug 3 stack: startup as
    ``server.start`` says, then the loop."""
    app = Flask(world, world.scenario.app)
    app.record_init()
    start = world.scenario.server.start_path
    if start == "app.run":
        server = app.run()
    elif start == "run_simple":
        server = werkzeug_serving.run_simple(world, app)
    else:
        server = werkzeug_serving.make_server(world, app)
    try:
        yield from server.serve_forever()
    except AppExit as err:
        # A view's SystemExit left serve_forever (after server_close) and app.run: the
        # interpreter ends quietly. Its KeyboardInterrupt was swallowed in serve_forever.
        world.recorder.step("main", None, Phase.CLOSE, None, "process_exit", {"error": err.real_name})


def werkzeug_legacy_main(world: World, process: Process | None = None):
    """The same on Werkzeug 0.16.1 + Flask 1.1.4 (seed 002): ``app.run`` ->
    ``run_simple`` -> ``inner()`` -> ``make_server``, then ``serve_forever``.

    This is the person's module (``python app.py``): with the reloader, every child that
    ``restart_with_reloader`` starts runs it again from the top, as ``process``."""
    process = world.process if process is None else process
    app = Flask11(world, world.scenario.app)
    app.record_init(process.main)
    start = world.scenario.server.start_path
    if start == "app.run":
        serving = app.run(process)
    elif start == "run_simple":
        serving = werkzeug016_serving.run_simple(world, app, process)
    else:
        serving = werkzeug016_serving.make_server(world, app).serve_forever()
    try:
        yield from serving
    except AppExit as err:
        world.recorder.step(process.main, None, Phase.CLOSE, None, "process_exit", {"error": err.real_name})


def wsgiref_main(world: World):
    """The server process's main thread on the standard library's wsgiref:
    ``make_server(host, port, app)``, then ``serve_forever()``, or ``handle_request()``
    once, after which the process exits."""
    cfg = world.scenario.server
    if world.scenario.app.kind == "demo_app":
        app = wsgiref_simple_server.DEMO_APP
    else:
        app = Flask(world, world.scenario.app)
        app.record_init()
    server = wsgiref_simple_server.make_server(world, app)
    if cfg.start_path != "handle_request":
        yield from server.serve_forever()
        return
    timeout_ms = None if cfg.timeout is None else round(cfg.timeout * 1000)
    yield from server.handle_request(timeout_ms)
    # The script ends and so does the process: the kernel closes the listening socket,
    # resetting every connection still waiting in its accept queue.
    reset = world.listener.close()
    world.recorder.step("main", None, Phase.CLOSE, None, "wsgiref_process_exit",
                        {"reset": ", ".join(conn.client for conn in reset) or None},
                        state={f"backlog/{conn.client}": None for conn in reset})


#: kind -> the server process's main thread, for every stack the registry marks implemented
SERVER_MAINS = {"werkzeug": werkzeug_main, "werkzeug-legacy": werkzeug_legacy_main, "wsgiref": wsgiref_main}


def client_main(world: World, decl: Client, client: ClientState):
    """A client: connect (retrying while the backlog is full), send, then read or close.

    Its socket is made when it starts (at ``decl.at``), not when the run starts: a run of
    10,000 clients does not keep 10,000 unused sockets alive for the collector to walk."""
    rec, kernel, listener, scheduler = world.recorder, world.kernel, world.listener, world.scheduler
    cid = decl.id
    sockets = f"sockets/{cid}"  # the key of every step's socket view, made once
    conn = Connection(cid, world.client_ports[cid])
    rec.step(cid, cid, Phase.ACCEPT, None, "client_connect")
    retry = SYN_RETRY_MS
    retries = 0
    while not listener.connect(conn):
        if listener.closed:
            # Nothing listens any more (the server loop ended): the SYN is answered with
            # RST, connect() fails with ECONNREFUSED, and the client ends as reset.
            rec.step("kernel", cid, Phase.ACCEPT, None, "connect_refused")
            client.reader = ClientEnd.RESET
            client.sending = Sending.DONE
            return
        if retries == SYN_RETRIES:
            rec.step("kernel", cid, Phase.ACCEPT, None, "syn_dropped_last", {"retry": retry})
            yield Sleep(retry)
            client.reader = ClientEnd.TIMEOUT
            client.sending = Sending.DONE
            rec.step(cid, cid, Phase.CLOSE, None, "connect_timeout")
            return
        rec.step("kernel", cid, Phase.ACCEPT, None, "syn_dropped", {"retry": retry})
        yield Sleep(retry)
        retry *= 2
        retries += 1
    rec.step("kernel", cid, Phase.ACCEPT, None, "backlog_queued", {"waiting": len(listener.queue)},
             state={f"backlog/{cid}": True, sockets: socket_view(conn, None)})
    if decl.then != "close":
        scheduler.spawn(cid, client_reader(world, decl, conn, client))
    for chunk in decl.send:
        if chunk.after:
            yield Sleep(chunk.after)
        # Sending goes on whatever the reading side saw (an early answer and EOF): a send to
        # a socket the server closed is answered with RST, and the next one fails.
        data = chunk.data.encode("latin-1")
        unread = bool(data) and kernel.server_closed(conn)
        if not kernel.client_send(conn, data):
            rec.step(cid, cid, Phase.READ, None, "client_send_failed")
            client.sending = Sending.FAILED
            client_done(world, conn, client)
            return
        # An empty chunk puts nothing on the wire: a scenario's way to let time pass
        # before what the client does next (close, half-close), not a send to show.
        event = "client_send_unread" if unread else "client_send" if data else "client_send_nothing"
        rec.step(cid, cid, Phase.READ, None, event,
                 {"n": len(data), "text": data}, state={sockets: peer_socket_view(conn)})
    if decl.then == "shutdown_write":
        if not kernel.client_shutdown_write(conn):
            # ENOTCONN after an RST: like a failed send, the client's end is a reset.
            rec.step(cid, cid, Phase.CLOSE, None, "client_shutdown_failed")
            client.sending = Sending.FAILED
            client_done(world, conn, client)
            return
        rec.step(cid, cid, Phase.READ, None, "client_shutdown")
    elif decl.then == "close":
        unread = kernel.client_close(conn)
        client.reader = ClientEnd.CLIENT_CLOSED
        # with answer bytes unread the close is a hang-up: Linux sends RST, not FIN
        rec.step(cid, cid, Phase.CLOSE, None, "client_hang_up" if unread else "client_close",
                 {"n": unread}, state={sockets: peer_socket_view(conn)})
    elif decl.then == "reset":
        client.reader = ClientEnd.CLIENT_CLOSED  # the reader stops where it is
        kernel.client_abort(conn)
        rec.step(cid, cid, Phase.CLOSE, None, "client_abort",
                 state={sockets: peer_socket_view(conn)})
    # read_timeout counts from here: wake the reader so it starts counting.
    client.sending = Sending.DONE
    client_done(world, conn, client)
    scheduler.wake(conn.client_readable)


def client_reader(world: World, decl: Client, conn: Connection, client: ClientState):
    """The client's reading side, from the moment it connects (it reads while it sends):
    everything until EOF, RST, or ``read_timeout`` ms of silence once all is sent."""
    rec, kernel = world.recorder, world.kernel
    cid = decl.id
    while client.reader is ClientEnd.OPEN:
        timeout = decl.read_timeout if client.sending is not Sending.SENDING else None
        try:
            data = yield from kernel.client_recv(conn, timeout)
        except ConnectionResetError_:
            client.reader = ClientEnd.RESET
            rec.step(cid, cid, Phase.CLOSE, None, "client_reset")
            client_done(world, conn, client)
            return
        if data is None:
            if timeout is None:
                continue  # woken because the sender is done: start counting
            client.reader = ClientEnd.TIMEOUT
            client_done(world, conn, client)
            rec.step(cid, cid, Phase.CLOSE, None, "client_timeout", {"ms": decl.read_timeout})
            return
        if not data:
            client.reader = ClientEnd.EOF
            client_done(world, conn, client)
            rec.step(cid, cid, Phase.CLOSE, None, "client_eof")
            return
        client.received += data
        rec.step(cid, cid, Phase.RESPOND, None, "client_recv", {"n": len(data), "text": data})


def client_done(world: World, conn: Connection, client: ClientState) -> None:
    """One side of the client has finished. Once both have, a client that read to EOF or
    gave up waiting closes its socket (the harness's clients do the same: ``close()`` after
    the sender and the reader are done); ``then: "close"``/``"reset"`` closed it already."""
    if client.sending is Sending.SENDING or client.reader is ClientEnd.OPEN:
        return
    if client.reader in (ClientEnd.EOF, ClientEnd.TIMEOUT) and conn.client_end is not EndState.CLOSED:
        world.kernel.client_close(conn)
    world.recorder.connection_over(conn.client, "client")
