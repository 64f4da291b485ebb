"""Load: ``python -m benchmarks.load_web [--users 200] [--seconds 60]``.

A real server (``python -m backend``, one process) on 127.0.0.1 and ``--users`` simulated
people at once, each in a loop with a think time between requests, mixing what people do:
open a player page, step (the htmx fragment), read the JSON API (a step of a gallery
scenario, a posted scenario's step N), save a link (a new, distinct scenario each time).
Prints the count, errors and p50/p95/p99 latency per kind and overall, as a Markdown table
for docs/benchmarks-web.md. Any answer other than the expected status is an error.

Only 127.0.0.1; bounded by ``--seconds`` (requests in flight then are awaited, up to the
client timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from .liveserver import LiveServer
from .scenarios import distinct, gallery_slugs

#: kind -> weight in the mix
MIX = {"page": 2, "step fragment": 6, "api step": 2, "api trace step": 1, "link save": 1}


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


async def user(http: httpx.AsyncClient, uid: int, slugs: list[str], totals: dict[str, int],
               end: float, lat: dict[str, list[float]], errors: dict[str, list[str]],
               think: tuple[float, float]) -> None:
    rnd = random.Random(uid)
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    saved = 0
    while time.monotonic() < end:
        kind = rnd.choice(kinds)
        slug = rnd.choice(slugs)
        n = rnd.randrange(totals[slug])
        t0 = time.monotonic()
        try:
            if kind == "page":
                r = await http.get(f"/s/{slug}?step={n}")
                ok = r.status_code == 200
            elif kind == "step fragment":
                r = await http.get(f"/s/{slug}/step/{n}",
                                   headers={"hx-request": "true", "accept-encoding": "gzip"})
                ok = r.status_code == 200
            elif kind == "api step":
                r = await http.get(f"/api/v1/scenarios/{slug}/steps/{n}")
                ok = r.status_code == 200
            elif kind == "api trace step":
                r = await http.post("/api/v1/trace/steps/3", json=distinct(uid * 1000 + saved))
                ok = r.status_code == 200
            else:
                saved += 1
                r = await http.post("/api/v1/links", json=distinct(10**6 + uid * 1000 + saved))
                ok = r.status_code == 201
            detail = f"{r.status_code} {r.text[:100]}"
        except httpx.HTTPError as e:
            ok, detail = False, f"{type(e).__name__}: {e}"
        lat[kind].append(time.monotonic() - t0)
        if not ok:
            errors[kind].append(detail)
        await asyncio.sleep(rnd.uniform(*think))


async def run(base: str, users: int, seconds: float, think: tuple[float, float]
              ) -> tuple[dict[str, list[float]], dict[str, list[str]], float]:
    # keep-alive shorter than uvicorn's 5 s: a browser does not reuse a connection the
    # server is closing at that moment (that race is a client matter, not a server error)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users,
                          keepalive_expiry=4.0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        slugs = gallery_slugs()
        totals = {}
        for slug in slugs:  # warm: each gallery trace built once, as a running server has
            r = await http.get(f"/api/v1/scenarios/{slug}/steps/0")
            r.raise_for_status()
            totals[slug] = r.json()["total"]
        lat: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, list[str]] = defaultdict(list)
        t0 = time.monotonic()
        end = t0 + seconds
        await asyncio.gather(*(user(http, u, slugs, totals, end, lat, errors, think)
                               for u in range(users)))
        return lat, errors, time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5),
                    help="think time between a user's requests, seconds (min max)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, LiveServer(Path(tmp) / "load.sqlite3") as srv:
        cpu0 = srv.cpu_seconds()
        lat, errors, took = asyncio.run(run(srv.base, args.users, args.seconds,
                                            tuple(args.think)))
        rss = srv.rss_bytes() / 2**20
        cpu = srv.cpu_seconds() - cpu0
        load = os.getloadavg()[0]
    every = [x for v in lat.values() for x in v]
    print(f"{args.users} users, {took:.0f} s, think {args.think[0]}-{args.think[1]} s; "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; server RSS at the end {rss:.0f} MiB\n")
    print("| kind | requests | errors | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in [*MIX, "all"]:
        values = every if kind == "all" else lat.get(kind, [])
        errs = sum(map(len, errors.values())) if kind == "all" else len(errors.get(kind, []))
        if values:
            print(f"| {kind} | {len(values)} | {errs} | {_pct(values, 50):.0f} | "
                  f"{_pct(values, 95):.0f} | {_pct(values, 99):.0f} |")
    print(f"\n{len(every) / took:.0f} requests/s overall; mean "
          f"{statistics.fmean(every) * 1000:.0f} ms; server CPU {cpu:.1f} s "
          f"({cpu / len(every) * 1000:.1f} ms a request, warm-up included); "
          f"machine load average at the end {load:.1f}")
    for kind, errs in errors.items():
        for e in errs[:5]:
            print(f"  error ({kind}): {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
