"""Judge the simulator against the real stack: normalization and comparison.

``compare(scenario)`` runs ``sim.run(scenario)`` and the real recording, and returns a list
of human-readable differences (empty = the simulation is faithful). The rules:

* every client receives the same bytes (``Date``/``Server``/``ETag`` values normalized) and
  ends the same way;
* per server actor (``main``, ``thread-N``, ``child-N/thread-K``), the simulated steps' qualnames (None skipped)
  form a SUBSEQUENCE of that thread's real calls, and they COVER every key call the real
  thread made (as many times as it made it);
* the console log is the same, line by line (dates and ports normalized, tracebacks as
  their last line).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .real_stack import SIGNAL_SENDS, Recording, collapse_tracebacks, normalize_log_text, record

# The calls a faithful simulation must show whenever the real thread made them. Every
# user function (``app.<name>``) is a key call too (see is_key_call).
KEY_CALLS = frozenset(
    {
        "socketserver.BaseServer._handle_request_noblock",
        "socketserver.TCPServer.get_request",
        "socketserver.BaseServer.verify_request",
        "socketserver.BaseServer.process_request",
        "socketserver.ThreadingMixIn.process_request",
        "socketserver.ThreadingMixIn.process_request_thread",
        "socketserver.BaseServer.finish_request",
        "socketserver.BaseRequestHandler.__init__",
        "socketserver.StreamRequestHandler.setup",
        "werkzeug.serving.WSGIRequestHandler.handle",
        "http.server.BaseHTTPRequestHandler.handle",
        "http.server.BaseHTTPRequestHandler.handle_one_request",
        "http.server.BaseHTTPRequestHandler.parse_request",
        "http.server.BaseHTTPRequestHandler.send_error",
        "werkzeug.serving.WSGIRequestHandler.run_wsgi",
        "werkzeug.serving.WSGIRequestHandler.make_environ",
        "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute",
        "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.start_response",
        "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write",
        "flask.app.Flask.__call__",
        "flask.app.Flask.wsgi_app",
        "flask.ctx.RequestContext.push",
        "flask.ctx.AppContext.push",
        "flask.app.Flask.full_dispatch_request",
        "flask.app.Flask.preprocess_request",
        "flask.app.Flask.dispatch_request",
        "flask.app.Flask.finalize_request",
        "flask.app.Flask.handle_user_exception",
        "flask.app.Flask.handle_exception",
        "flask.ctx.RequestContext.pop",
        "flask.ctx.AppContext.pop",
        "flask.app.Flask.do_teardown_request",
        "flask.app.Flask.do_teardown_appcontext",
        # every signal Flask sends (request_started, ..., appcontext_popped)
        "blinker.base.Signal.send",
        "socketserver.StreamRequestHandler.finish",
        "socketserver.TCPServer.shutdown_request",
        "socketserver.TCPServer.close_request",
        # forking: the fork itself (its children's calls are their own actors)
        "socketserver.ForkingMixIn.process_request",
        # Werkzeug 0.16 / Flask 1.1's own path
        "werkzeug.serving.BaseWSGIServer.get_request",
        "werkzeug.serving.WSGIRequestHandler.handle_one_request",
        "werkzeug.serving.WSGIRequestHandler.send_response",
        "flask.app.Flask.try_trigger_before_first_request_functions",
        "flask.ctx.RequestContext.auto_pop",
        "flask.helpers.send_file",
    }
)
USER_FUNCTION_PREFIX = "app."
# The environ is compared as the view would see it: the harness takes the real one when
# wsgi_app has made the request context (werkzeug.request is in it from there; nothing
# changes it before the view), so the engine's is taken at the same step, whether or not
# the request gets as far as full_dispatch_request (a converter's TypeError in
# match_request does not).
ENVIRON_POINT = "flask.ctx.RequestContext.__init__"

#: the main thread, its worker threads, forked children, and Werkzeug 0.16's reloader
#: children (``child-N``) with their threads (``child-N/thread-K``)
_SERVER_ACTOR = re.compile(r"^(main|thread-\d+|process-\d+|child-\d+(/thread-\d+)?)$")
# Values that differ between runs of the real server, or between reality and a simulator
# that has no clock and no file system: the version banner, the time, the file's path hash.
# Flask 1.1's static files also carry ``Expires`` (now + 12 hours).
_VOLATILE_HEADER = re.compile(r"(?im)^(Date|Server|ETag|Expires):[^\r\n]*")
CONTEXT_BYTES = 40
REAL_CONTEXT_CALLS = 6


def is_key_call(qualname: str) -> bool:
    return qualname in KEY_CALLS or qualname.startswith(USER_FUNCTION_PREFIX)


#: Simulated functions the strict rule leaves out, each a known gap (MISMATCHES.md): Flask's
#: make_response turns an HTTPException into a response through ``force_type``, which runs
#: it as a WSGI app (a second ``Response.__call__`` and ``Response.close`` the engine does not
#: show).
#: ``make_default_options_response`` asks the adapter for the allowed methods, which matches
#: once more (``MapAdapter.match`` inside ``allowed_methods``).
STRICT_RULE_GAPS = frozenset({"werkzeug.wrappers.response.Response.__call__",
                              "werkzeug.wrappers.response.Response.close",
                              "werkzeug.routing.map.MapAdapter.match"})


def is_simulated_function(qualname: str) -> bool:
    """The strict rule (wsgiref): every real function the engine simulates anywhere
    (``sim.layers.LAYERS``) is a key call, beside KEY_CALLS and the user's functions."""
    from sim.layers import LAYERS

    return (qualname in LAYERS and qualname not in STRICT_RULE_GAPS) or is_key_call(qualname)


#: server.kind -> which real calls a simulation must cover, where stricter than is_key_call
KEY_CALL_RULES: dict[str, Callable[[str], bool]] = {"wsgiref": is_simulated_function}


def is_server_actor(actor: str) -> bool:
    return bool(_SERVER_ACTOR.match(actor))


# --------------------------------------------------------------------------- normalization


def normalize_response(received: str) -> str:
    """Response bytes (latin-1 text) with Date/Server/ETag values replaced by placeholders."""
    return _VOLATILE_HEADER.sub(lambda m: f"{m.group(1)}: <{m.group(1).upper()}>", received)


def log_lines(texts: list[str]) -> list[str]:
    """Console lines as compared: dates/ports normalized, each traceback as its last line."""
    lines: list[str] = []
    for text in texts:
        lines.extend(collapse_tracebacks(normalize_log_text(text)).split("\n"))
    return lines


# --------------------------------------------------------------------------- one side


@dataclass
class Side:
    """What the comparison needs from a run: per client (received, end), per actor the
    sequence of qualnames (with the index of the step each came from), the log lines."""

    clients: dict[str, tuple[str, str]]
    calls: dict[str, list[tuple[int, str]]]
    log: list[str]
    #: per actor, the Flask signals sent, in order (the real one only for the actors the
    #: harness reads them from: not a forked child's)
    signals: dict[str, list[str]] = field(default_factory=dict)
    #: per client, the WSGI environ of each request as the view sees it
    environs: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_trace(cls, trace: dict[str, Any]) -> Side:
        """From a wsgiscope/trace@1 dict (``trace.to_json()``)."""
        calls: dict[str, list[tuple[int, str]]] = {}
        signals: dict[str, list[str]] = {}
        environ: dict[str, dict[str, str]] = {}  # the inspector's environ section, replayed
        environs: dict[str, list[dict[str, str]]] = {}
        for step in trace["steps"]:
            for key, value in step["state"].items():
                section, _, cid = key.partition("/")
                if section == "environ" and cid:
                    environ[cid] = value
            if step.get("qualname") == ENVIRON_POINT and step["client"] in environ:
                environs.setdefault(step["client"], []).append(environ[step["client"]])
            if step.get("qualname") and is_server_actor(step["actor"]):
                calls.setdefault(step["actor"], []).append((step["i"], step["qualname"]))
                if step["qualname"] in SIGNAL_SENDS:
                    signals.setdefault(step["actor"], []).append(step["event"].removeprefix("signal_"))
        return cls(
            clients={cid: (c["received"], c["end"]) for cid, c in trace["clients"].items()},
            calls=calls,
            log=log_lines([entry["line"] for entry in trace["log"]]),
            signals=signals,
            environs=environs,
        )

    @classmethod
    def from_recording(cls, rec: Recording) -> Side:
        return cls(
            clients={cid: (c.received, c.end) for cid, c in rec.clients.items()},
            calls={actor: list(enumerate(calls)) for actor, calls in rec.calls.items()},
            log=log_lines([entry.text for entry in rec.log]),
            # flask/signals.py names each signal with dashes (request_started is the
            # signal "request-started"); the engine's events use the Python names.
            signals={actor: [name.replace("-", "_") for name in sent] for actor, sent in rec.signals.items()},
            environs=rec.environs,
        )


# --------------------------------------------------------------------------- the checks


def first_difference(simulated: str, real: str) -> str | None:
    """Where two byte strings (latin-1 text) first differ, with context; None if equal."""
    if simulated == real:
        return None
    i = next(
        (k for k, (a, b) in enumerate(zip(simulated, real, strict=False)) if a != b),
        min(len(simulated), len(real)),
    )
    lo, hi = max(0, i - CONTEXT_BYTES), i + CONTEXT_BYTES
    return (
        f"first difference at byte {i} (simulated {len(simulated)} bytes, real {len(real)}): "
        f"simulated …{simulated[lo:hi]!r}… vs real …{real[lo:hi]!r}…"
    )


@dataclass
class SubsequenceBreak:
    sim_index: int  # position in the simulated qualname sequence
    step: int  # the trace step index (`i`) of that step
    qualname: str
    real_from: int  # the real call list was searched from here on
    last_matched: str | None


def subsequence_break(simulated: list[tuple[int, str]], real: list[str]) -> SubsequenceBreak | None:
    """The first simulated step that cannot be matched in order in `real` (greedy), if any."""
    pos = 0
    last: str | None = None
    for k, (step, qualname) in enumerate(simulated):
        try:
            pos = real.index(qualname, pos) + 1
        except ValueError:
            return SubsequenceBreak(k, step, qualname, pos, last)
        last = qualname
    return None


def missing_key_calls(simulated: list[str], real: list[str],
                      key_call: Callable[[str], bool] = is_key_call) -> list[tuple[str, int, int]]:
    """(qualname, real count, simulated count) for every key call the simulation shows
    fewer times than the real thread made it, in order of the first real occurrence."""
    sim_counts = Counter(simulated)
    real_counts = Counter(q for q in real if key_call(q))
    return [(q, n, sim_counts[q]) for q, n in real_counts.items() if sim_counts[q] < n]


def _compare_clients(sim: Side, real: Side) -> list[str]:
    diffs = []
    for cid in sorted(sim.clients.keys() | real.clients.keys()):
        if cid not in sim.clients or cid not in real.clients:
            where = "simulation" if cid not in sim.clients else "real run"
            diffs.append(f"client {cid}: missing from the {where}")
            continue
        (sim_bytes, sim_end), (real_bytes, real_end) = sim.clients[cid], real.clients[cid]
        diff = first_difference(normalize_response(sim_bytes), normalize_response(real_bytes))
        if diff:
            diffs.append(f"client {cid}: received bytes differ: {diff}")
        if sim_end != real_end:
            diffs.append(f"client {cid}: end is {sim_end!r} simulated, {real_end!r} real")
    return diffs


def _compare_actor(actor: str, simulated: list[tuple[int, str]], real: list[str],
                   key_call: Callable[[str], bool] = is_key_call) -> list[str]:
    diffs = []
    broken = subsequence_break(simulated, real)
    if broken:
        context = real[broken.real_from : broken.real_from + REAL_CONTEXT_CALLS]
        diffs.append(
            f"{actor}: simulated step #{broken.sim_index} (trace i={broken.step}) "
            f"{broken.qualname!r} is not in the real calls after real #{broken.real_from} "
            f"(last matched: {broken.last_matched!r}); real calls from there: {context}"
        )
    missing = missing_key_calls([q for _, q in simulated], real, key_call)
    if missing:
        listed = ", ".join(f"{q} (real {n}x, simulated {m}x)" for q, n, m in missing)
        diffs.append(f"{actor}: key calls the simulation does not cover: {listed}")
    return diffs


def _compare_log(sim: Side, real: Side) -> list[str]:
    for n, (a, b) in enumerate(zip(sim.log, real.log, strict=False)):
        if a != b:
            return [f"log line {n} differs: simulated {a!r} vs real {b!r}"]
    if len(sim.log) != len(real.log):
        n = min(len(sim.log), len(real.log))
        extra = (sim.log if len(sim.log) > n else real.log)[n]
        who = "simulation" if len(sim.log) > n else "real run"
        return [
            f"log has {len(sim.log)} lines simulated, {len(real.log)} real; first extra line (in the {who}): {extra!r}"
        ]
    return []


def _compare_signals(sim: Side, real: Side) -> list[str]:
    """Which signal each send is: the qualnames cannot tell (every signal is sent by
    ``Signal.send``), so the names are compared, per actor, in order."""
    diffs = []
    for actor, sent in sorted(real.signals.items()):
        if sim.signals.get(actor, []) != sent:
            diffs.append(f"{actor}: signals sent differ: simulated {sim.signals.get(actor, [])}, real {sent}")
    return diffs


def normalize_environ(environ: dict[str, str]) -> dict[str, str]:
    """An environ with the ports the kernel chose as placeholders (the real server and its
    clients get ports from the kernel, the engine has its own): SERVER_PORT, REMOTE_PORT,
    the socket's addresses, and the request's URL when its host is the server's address
    (no ``Host`` header). What the client sent is left as it is."""
    # file descriptors as the harness describes real ones (the engine models wsgiref's)
    out = {key: _FILE_DESCRIPTOR.sub(r"\1=FD", value) for key, value in environ.items()}
    server_port, client_port = environ.get("SERVER_PORT"), environ.get("REMOTE_PORT")
    names = {server_port: "<server-port>", client_port: "<client-port>"}
    for key in ("SERVER_PORT", "REMOTE_PORT"):
        if key in out:
            out[key] = names[out[key]]
    if "werkzeug.socket" in out:
        out["werkzeug.socket"] = _ADDRESS_PORT.sub(
            lambda m: m.group(1) + names.get(m.group(2), m.group(2)) + ")", out["werkzeug.socket"])
    if "werkzeug.request" in out and "HTTP_HOST" not in out and server_port:
        host = f"{environ.get('SERVER_NAME')}:{server_port}"
        out["werkzeug.request"] = out["werkzeug.request"].replace(
            f"://{host}/", f"://{environ.get('SERVER_NAME')}:<server-port>/")
    return out


_FILE_DESCRIPTOR = re.compile(r"\b(fd|name)=\d+")
_ADDRESS_PORT = re.compile(r"(\('[0-9.]+', )([0-9]+)\)")


def _environ_differences(sim_env: dict[str, str], real_env: dict[str, str]) -> list[str]:
    sim_env, real_env = normalize_environ(sim_env), normalize_environ(real_env)
    found = []
    missing, extra = sorted(real_env.keys() - sim_env.keys()), sorted(sim_env.keys() - real_env.keys())
    if missing:
        found.append(f"keys only real: {missing}")
    if extra:
        found.append(f"keys only simulated: {extra}")
    for key in real_env:
        if key in sim_env and sim_env[key] != real_env[key]:
            found.append(f"{key}: simulated {sim_env[key]!r}, real {real_env[key]!r}")
    if not found and list(sim_env) != list(real_env):
        found.append(f"key order: simulated {list(sim_env)}, real {list(real_env)}")
    return found


def _compare_environs(sim: Side, real: Side) -> list[str]:
    """The environ the view sees, per client and request: the same keys and values."""
    diffs: list[str] = []
    for cid in sorted(sim.environs.keys() | real.environs.keys()):
        sim_list, real_list = sim.environs.get(cid, []), real.environs.get(cid, [])
        if len(sim_list) != len(real_list):
            diffs.append(f"client {cid}: {len(sim_list)} environ(s) at dispatch simulated, {len(real_list)} real")
            continue
        for n, (sim_env, real_env) in enumerate(zip(sim_list, real_list, strict=True)):
            found = _environ_differences(sim_env, real_env)
            if found:
                diffs.append(f"client {cid}: environ of request {n + 1} differs: " + "; ".join(found[:6]))
    return diffs


def compare_sides(sim: Side, real: Side, key_call: Callable[[str], bool] = is_key_call) -> list[str]:
    diffs = _compare_clients(sim, real)
    for actor in sorted(sim.calls.keys() | real.calls.keys()):
        real_calls = [q for _, q in real.calls.get(actor, [])]
        diffs += _compare_actor(actor, sim.calls.get(actor, []), real_calls, key_call)
    return diffs + _compare_signals(sim, real) + _compare_environs(sim, real) + _compare_log(sim, real)


def compare(scenario: dict[str, Any], recording: Recording | None = None) -> list[str]:
    """Differences between ``sim.run(scenario)`` and the real stack (recorded now unless
    a fresh `recording` of the same scenario is given)."""
    import sim

    from .mime_snapshot import machine_table

    # The real server reads this machine's /etc/mime.types; the engine gets the same table.
    trace = sim.run(scenario, mimetypes=machine_table()).to_json()
    real = recording if recording is not None else record(scenario)
    kind = scenario.get("server", {}).get("kind", "werkzeug")
    return compare_sides(Side.from_trace(trace), Side.from_recording(real),
                         KEY_CALL_RULES.get(kind, is_key_call))


def compare_live(scenario: dict[str, Any], recording: Recording, retries: int = 1) -> list[str]:
    """:func:`compare` with a recording made while others ran; where that one differs, the
    scenario is recorded again, up to ``retries`` times, and the engine is judged on each.

    The real stack keeps the scenario's timings only if the machine gives it the time: the
    suite records three scenarios at a time on two cores beside the test process, and a
    loaded run can miss a timing (a 0.16 reloader child that takes over a second to start,
    a forked child that logs after its sibling). Every run is the real stack's, so the
    engine passes if it equals one; if it equals none, every run's differences are reported."""
    differences = compare(scenario, recording)
    reported = list(differences)
    for _ in range(retries):
        if not differences:
            break
        differences = compare(scenario, record(scenario))
        reported += ["recorded once more, alone:", *differences]
    return reported if differences else []
