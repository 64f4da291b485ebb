"""Engine benchmark: how fast and how big a large trace is, against a named baseline and the
real stack.

    python -m benchmarks.engine [--baseline REF] [--clients 10000] [--chunks 100000]
                                [--stream 100000] [--repeat 3] [--real-clients 1000]
                                [--kinds werkzeug,werkzeug-legacy,wsgiref]

Every figure is measured in a fresh process (``sim`` imported from the tree under test),
best of ``--repeat`` runs for time, the largest for memory:

- **scale**: ``sim.run`` of N clients (each ``GET /``, one every ``--spacing`` ms, threaded
  and not); of one request whose body comes as ``--chunks`` one-byte chunks; of one
  ``--stream``-item stream view. Wall time, CPU time of the process, peak memory above what
  it used before the run (``ru_maxrss``; the scenario document already built), steps.
- **baseline**: the same scenarios on the engine at git ``--baseline`` (a commit of this
  repository, exported to a temporary directory), in the same run, so the ratios compare
  two engines on the same machine at the same moment (the machine may be shared). A
  baseline run is capped at ``--baseline-cap`` MiB of address space and ``--baseline-timeout``
  seconds; past either, it is reported as such, and the ratio as a lower bound.
- **memory curve**: peak memory per step for growing sizes of each scenario (it should be
  flat: a trace's memory grows with its steps, not with steps times buffered bytes).
- **random access**: ``trace.steps[i]`` and ``trace.state_at(i)`` for random ``i`` on each
  large trace (p50, p99, max; the first ``state_at`` builds checkpoints, and is shown apart).
- **many scenarios**: ``--distinct`` distinct small scenarios run one after another in one
  process, with the cyclic GC on as a host program has it; resident memory after each
  tenth of them (it should stay flat).
- **real stack**: the time the fidelity harness (``tests/fidelity/real_stack.py``) takes to
  record Werkzeug's dev server + Flask, profiled, on 127.0.0.1, serving ``--real-clients`` of
  the same ``GET /`` requests, per request, against the simulator's per request
  (``--real-clients 0`` skips it), for each of ``--kinds`` (Werkzeug 3 + Flask 3; Werkzeug
  0.16 + Flask 1.1, recorded in its own environment, ``.venv-legacy/``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the engine before the trace stopped copying buffers (the last commit before it on main)
DEFAULT_BASELINE = "cc81113^"


# -- scenarios ---------------------------------------------------------------------------


#: the threadings each kind has (wsgiref's WSGIServer serves one connection at a time)
THREADINGS = {"wsgiref": (False,)}


def threadings(kind: str) -> tuple[bool, ...]:
    return THREADINGS.get(kind, (False, True))


def scenario(clients: int, threaded: bool, spacing_ms: int = 20, kind: str = "werkzeug") -> dict:
    return {
        "format": "wsgiscope/scenario@1",
        "title": f"{clients} clients, GET /",
        "server": {"kind": kind, "threaded": threaded},
        "app": {"routes": [{"rule": "/", "endpoint": "index", "view": {"text": "<p>Hello, World!</p>"}}]},
        "clients": [
            {"id": f"c{i}", "at": i * spacing_ms, "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}
            for i in range(clients)
        ],
    }


def chunks_scenario(chunks: int) -> dict:
    """One POST whose body comes as ``chunks`` one-byte chunks, all at once: the server's
    receive buffer holds up to all of them (each chunk is a step that shows the buffer)."""
    head = f"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {chunks}\r\n\r\n"
    return {
        "format": "wsgiscope/scenario@1",
        "title": f"{chunks} one-byte chunks",
        "server": {"kind": "werkzeug", "threaded": False},
        "app": {"routes": [{"rule": "/echo", "methods": ["POST"], "endpoint": "echo",
                            "view": {"echo": True}}]},
        "clients": [{"id": "c1", "at": 0, "send": [head, *(["x"] * chunks)]}],
    }


def stream_scenario(items: int) -> dict:
    """A stream view of ``items`` one-byte items (each a chunked write the client reads)."""
    return {
        "format": "wsgiscope/scenario@1",
        "title": f"a {items}-item stream",
        "server": {"kind": "werkzeug", "threaded": True},
        "app": {"routes": [{"rule": "/", "endpoint": "stream",
                            "view": {"stream": ["x"] * items, "mimetype": "text/plain"}}]},
        "clients": [{"id": "c1", "at": 0, "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}],
    }


def distinct_scenario(n: int) -> dict:
    """The ``n``-th of a family of small scenarios that differ in path, body, view and timing
    (so no cache inside the engine serves two of them)."""
    return {
        "format": "wsgiscope/scenario@1",
        "title": f"distinct {n}",
        "server": {"kind": "werkzeug", "threaded": n % 2 == 0},
        "app": {"routes": [
            {"rule": f"/p{n}/<int:id>", "endpoint": f"e{n}", "view": {"json": {"id": "{id}", "n": n}}},
            {"rule": "/echo", "methods": ["POST"], "endpoint": "echo", "view": {"echo": True}},
            {"rule": "/s", "endpoint": "s", "view": {"stream": [str(n), "x" * (n % 50)]}},
        ]},
        "clients": [
            {"id": "a", "at": 0, "send": [f"GET /p{n}/{n * 7} HTTP/1.1\r\nHost: h{n}\r\n\r\n"]},
            {"id": "b", "at": n % 13, "send": [
                f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len(str(n))}\r\n\r\n",
                {"after": n % 5, "data": str(n)}]},
            {"id": "c", "at": 3, "send": ["GET /s HTTP/1.1\r\nHost: x\r\n\r\n"]},
        ],
    }


# -- one measurement, in a fresh process ----------------------------------------------------

# Runs with ``sim`` from ``root``: load the document, note the memory, time sim.run, and
# optionally time random access to the trace.
_CHILD = r"""
import json, random, resource, sys, time
sys.path.insert(0, sys.argv[1])
import sim
with open(sys.argv[2]) as f:
    document = json.load(f)
access = int(sys.argv[3])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu = time.perf_counter(), time.process_time()
try:
    trace = sim.run(document)
except sim.ScenarioError as err:  # an older engine may not simulate the scenario's kind
    print(json.dumps({"refused": str(err)}))
    sys.exit(0)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ends = sorted({r.end for r in trace.clients.values()})
out = {"seconds": elapsed, "cpu": cpu, "steps": len(trace.steps), "peak_kib": peak - before, "ends": ends}
if access:
    n = len(trace.steps)
    rng = random.Random(9)
    t = time.perf_counter(); trace.state_at(n - 1); out["first_state_at"] = time.perf_counter() - t
    for name, get in (("access_steps", trace.steps.__getitem__), ("access_state_at", trace.state_at)):
        wall, cpu = [], []
        for _ in range(access):
            i = rng.randrange(n)
            t, c = time.perf_counter(), time.thread_time()
            get(i)
            cpu.append(time.thread_time() - c); wall.append(time.perf_counter() - t)
        wall.sort(); cpu.sort()
        p99 = int(len(wall) * 0.99)
        out[name] = {"p50": cpu[len(cpu) // 2], "p99": cpu[p99], "max": cpu[-1], "wall_p99": wall[p99]}
print(json.dumps(out))
"""


def measure(root: Path, document: dict, repeat: int, access: int = 0,
            cap_mib: int | None = None, timeout: float | None = None) -> dict:
    """Best wall time of ``repeat`` fresh processes (and the largest peak memory)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(document, f)
        path = f.name
    try:
        runs = []
        for n in range(repeat):
            limit = None
            if cap_mib:
                def limit() -> None:
                    import resource
                    resource.setrlimit(resource.RLIMIT_AS, (cap_mib << 20, cap_mib << 20))
            try:
                out = subprocess.run([sys.executable, "-c", _CHILD, str(root), path,
                                      str(access if n == 0 else 0)],
                                     capture_output=True, text=True, timeout=timeout,
                                     preexec_fn=limit)
            except subprocess.TimeoutExpired:
                return {"failed": f"did not finish in {timeout:.0f} s"}
            if out.returncode != 0:
                if "MemoryError" in out.stderr or out.returncode < 0:
                    return {"failed": f"ran out of its {cap_mib} MiB cap"}
                raise SystemExit(f"benchmark run failed:\n{out.stderr[-2000:]}")
            run = json.loads(out.stdout)
            if "refused" in run:
                return {"failed": "does not simulate this kind", "refused": run["refused"]}
            runs.append(run)
    finally:
        os.unlink(path)
    best = min(runs, key=lambda r: r["seconds"])
    return {**runs[0], **best, "peak_kib": max(r["peak_kib"] for r in runs)}


def measure_real(clients: int, threaded: bool, spacing: int, kind: str) -> float:
    sys.path.insert(0, str(ROOT))
    from tests.fidelity.real_stack import record

    start = time.perf_counter()
    recording = record(scenario(clients, threaded, spacing, kind), timeout=1800)
    elapsed = time.perf_counter() - start
    ends = {r.end for r in recording.clients.values()}
    if ends != {"eof"}:
        raise SystemExit(f"the real stack did not answer every client: ends {ends}")
    return elapsed


# -- many scenarios in one process ------------------------------------------------------------

_MANY = r"""
import gc, json, sys
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
import sim
from benchmarks.engine import distinct_scenario
count = int(sys.argv[3])

def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4

points = []
for n in range(count):
    trace = sim.run(distinct_scenario(n))
    assert {r.end for r in trace.clients.values()} == {"eof"}, n
    trace.state_at(len(trace.steps) - 1)
    del trace
    if (n + 1) % (count // 10) == 0:
        points.append([n + 1, rss_kib()])
print(json.dumps({"points": points, "gc_enabled": gc.isenabled()}))
"""


def measure_many(root: Path, count: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _MANY, str(ROOT), str(root), str(count)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# -- the baseline tree ------------------------------------------------------------------------


def export_baseline(ref: str, into: Path) -> Path:
    """The tree at ``ref``'s ``sim/`` (and what it imports), exported with ``git archive``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "sim"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


# -- output ----------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def figure(r: dict) -> str:
    if "failed" in r:
        return r["failed"]
    return (f"{r['seconds']:.2f} s wall, {r['cpu']:.2f} s CPU, +{r['peak_kib'] / 1024:.0f} MiB, "
            f"{r['steps']} steps ({r['peak_kib'] * 1024 / r['steps']:.0f} B/step)")


def ratio(base: dict, new: dict, key: str, cap_mib: int) -> str:
    if "refused" in base:
        return "n/a (the baseline does not simulate this kind)"
    if "failed" in base:
        if key == "peak_kib" and "cap" in base["failed"]:
            return f"> {cap_mib * 1024 / new[key]:.0f}x (the baseline passed its cap)"
        return "n/a (the baseline did not finish)"
    value = base[key] / max(new[key], 1e-9)
    return f"{value:.1f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git ref to compare with")
    parser.add_argument("--baseline-cap", type=int, default=3072, help="MiB of address space")
    parser.add_argument("--baseline-timeout", type=float, default=300.0, help="seconds")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--stream", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--access", type=int, default=2000, help="random accesses per trace")
    parser.add_argument("--distinct", type=int, default=3000)
    parser.add_argument("--real-clients", type=int, default=1_000, help="0: skip the real stack")
    parser.add_argument("--spacing", type=int, default=20, help="ms between two clients")
    parser.add_argument("--kinds", default="werkzeug,werkzeug-legacy,wsgiref",
                        help="server kinds for the clients' scenarios and the real stack, comma-separated")
    args = parser.parse_args(argv)
    kinds = args.kinds.split(",")

    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    big = {}
    sizes = {}
    for kind in kinds:
        for threaded in threadings(kind):
            name = f"clients, {kind}, {'threaded' if threaded else 'non-threaded'}"
            big[name] = lambda k, t=threaded, kind=kind: scenario(k, t, args.spacing, kind)
            sizes[name] = args.clients
    big.update({"one-byte chunks": chunks_scenario, "stream items": stream_scenario})
    sizes.update({"one-byte chunks": args.chunks, "stream items": args.stream})
    with tempfile.TemporaryDirectory() as tmp:
        base_root = export_baseline(args.baseline, Path(tmp))
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline],
                                capture_output=True, text=True).stdout.strip()
        print(f"baseline: {args.baseline} ({commit})")
        print(f"\n== scale (best of {args.repeat}; baseline capped at {args.baseline_cap} MiB, "
              f"{args.baseline_timeout:.0f} s) ==")
        results = {}
        for name, build in big.items():
            document = build(sizes[name])
            new = measure(ROOT, document, args.repeat, access=args.access)
            if "refused" in new:
                raise SystemExit(f"{name}: the engine refused the scenario: {new['refused']}")
            base = measure(base_root, document, 1, cap_mib=args.baseline_cap,
                           timeout=args.baseline_timeout)
            results[name] = new
            print(f"\n{name} ({sizes[name]}):")
            print(f"  now:      {figure(new)}; ends {new['ends']}")
            print(f"  baseline: {'baseline ' if 'refused' in base else ''}{figure(base)}")
            cap = args.baseline_cap
            print(f"  ratio baseline / now: wall {ratio(base, new, 'seconds', cap)}, "
                  f"CPU {ratio(base, new, 'cpu', cap)}, memory {ratio(base, new, 'peak_kib', cap)}")
            print(f"  random access over {args.access} random steps: first state_at (builds checkpoints) "
                  f"{new['first_state_at'] * 1e3:.0f} ms; " + "; ".join(
                      f"{what} p50 {new['access_' + what]['p50'] * 1e3:.2f} ms, "
                      f"p99 {new['access_' + what]['p99'] * 1e3:.2f} ms, "
                      f"max {new['access_' + what]['max'] * 1e3:.2f} ms (wall p99 "
                      f"{new['access_' + what]['wall_p99'] * 1e3:.2f} ms)" for what in ("steps", "state_at")))

        print("\n== peak memory per step as scenarios grow ==")
        for name, build in big.items():
            curve = []
            for part in (8, 4, 2, 1):
                r = results[name] if part == 1 else measure(ROOT, build(sizes[name] // part), 1)
                curve.append(f"{sizes[name] // part}: {r['peak_kib'] * 1024 / r['steps']:.0f}")
            print(f"  {name}: B/step at size " + ", ".join(curve))

    print(f"\n== {args.distinct} distinct scenarios in one process (GC on) ==")
    many = measure_many(ROOT, args.distinct)
    print("  resident MiB after N: " + ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in many["points"]))
    print(f"  cyclic GC enabled after the runs: {many['gc_enabled']}")

    if args.real_clients:
        print("\n== real stack ==")
        for kind, threaded in [(k, t) for k in kinds for t in threadings(k)]:
            small = measure(ROOT, scenario(args.real_clients, threaded, args.spacing, kind), args.repeat)
            real = measure_real(args.real_clients, threaded, args.spacing, kind)
            sim_per_request = small["seconds"] / args.real_clients
            real_per_request = real / args.real_clients
            print(f"  {kind}, {'threaded' if threaded else 'non-threaded'}: "
                  f"sim {sim_per_request * 1e6:.0f} us per request, "
                  f"real stack recorded by the harness {real_per_request * 1e3:.2f} ms per request, "
                  f"ratio {real_per_request / sim_per_request:.0f}x")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
