"""Engine benchmark: how fast and how big is a large trace, against the real stack.

    python -m benchmarks.engine [--clients 10000] [--real-clients 1000] [--repeat 3]
                                [--kinds werkzeug,werkzeug-legacy]

Prints, for each server kind (Werkzeug 3 + Flask 3; Werkzeug 0.16 + Flask 1.1, recorded in
its own environment, .venv-legacy/), for the threaded and the non-threaded server:
- the time to build the trace of N clients (each ``GET /``, one every ``--spacing`` ms:
  the default, 20 ms, lets the real non-threaded server keep up, since each of its requests
  waits 10 ms in run_wsgi's drain ``select`` and the harness profiles every call), best
  of ``--repeat`` runs, each in a fresh process, and that process's peak memory above what
  it used before the run (``ru_maxrss``);
- the time the fidelity harness takes to record the real stack (Werkzeug's dev server +
  Flask, profiled, on 127.0.0.1) serving ``--real-clients`` of the same requests, and the
  per-request ratio real / simulated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


# Runs in a fresh interpreter: build the scenario, note the memory, time sim.run.
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
import sim
from benchmarks.engine import scenario
document = scenario({clients}, {threaded}, {spacing}, {kind!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
trace = sim.run(document)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert all(r.end == "eof" for r in trace.clients.values())
print(json.dumps({{"seconds": elapsed, "steps": len(trace.steps), "peak_kib": peak - before}}))
"""


def measure_sim(clients: int, threaded: bool, spacing: int, repeat: int, kind: str) -> dict:
    runs = []
    for _ in range(repeat):
        code = _CHILD.format(root=str(ROOT), clients=clients, threaded=threaded, spacing=spacing, kind=kind)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout))
    best = min(runs, key=lambda r: r["seconds"])
    return {**best, "peak_kib": max(r["peak_kib"] for r in runs)}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--real-clients", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spacing", type=int, default=20, help="ms between two clients")
    parser.add_argument("--kinds", default="werkzeug,werkzeug-legacy", help="server kinds, comma-separated")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for kind, threaded in [(k, t) for k in args.kinds.split(",") for t in (False, True)]:
        name = f"{kind}, {'threaded' if threaded else 'non-threaded'}"
        big = measure_sim(args.clients, threaded, args.spacing, args.repeat, kind)
        small = measure_sim(args.real_clients, threaded, args.spacing, args.repeat, kind)
        real = measure_real(args.real_clients, threaded, args.spacing, kind)
        sim_per_request = small["seconds"] / args.real_clients
        real_per_request = real / args.real_clients
        print(f"\n{name} server")
        print(f"  sim, {args.clients} clients: {big['seconds']:.3f} s, {big['steps']} steps, "
              f"peak memory +{big['peak_kib'] / 1024:.0f} MiB")
        print(f"  sim, {args.real_clients} clients: {small['seconds']:.3f} s "
              f"({sim_per_request * 1e6:.0f} us per request)")
        print(f"  real stack recorded by the harness, {args.real_clients} clients: {real:.2f} s "
              f"({real_per_request * 1e3:.2f} ms per request)")
        print(f"  ratio real / sim per request: {real_per_request / sim_per_request:.0f}x")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
