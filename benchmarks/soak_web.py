"""Soak: ``python -m benchmarks.soak_web [--minutes 30] [--rate 8]``.

A real server on 127.0.0.1 is fed a new, distinct scenario after another for the given time
(saved as a link, its player page opened, a few of its step fragments and the API's step N
fetched), at a bounded request rate. The server's resident memory is sampled every
``--every`` seconds and printed as a curve at the end, with the error count. Caches are
bounded in bytes, so after they fill the curve must go flat.

Only 127.0.0.1; stops by itself after ``--minutes``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .liveserver import LiveServer
from .scenarios import distinct


def one_round(http: httpx.Client, n: int) -> tuple[int, int]:
    """Save scenario ``n`` and look at it; returns (requests, errors)."""
    requests = errors = 0

    def check(r: httpx.Response, ok: int = 200) -> None:
        nonlocal requests, errors
        requests += 1
        if r.status_code != ok:
            errors += 1
            print(f"  error: {r.request.method} {r.request.url.path} -> {r.status_code} "
                  f"{r.text[:120]}", file=sys.stderr)

    r = http.post("/api/v1/links", json=distinct(n))
    check(r, 201)
    if r.status_code != 201:
        return requests, errors
    slug = r.json()["slug"]
    check(http.get(f"/s/{slug}?step=0"))
    total = http.get(f"/api/v1/scenarios/{slug}/steps/0")
    check(total)
    if total.status_code == 200:
        last = total.json()["total"] - 1
        for i in (1, last // 2, last):
            check(http.get(f"/s/{slug}/step/{i}", headers={"hx-request": "true"}))
        check(http.get(f"/api/v1/scenarios/{slug}/steps/{last}"))
    return requests, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=8.0, help="requests per second at most")
    ap.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    ap.add_argument("--trace-cache-mb", type=int, default=None,
                    help="the server's trace cache (WSGISCOPE_TRACE_CACHE_MB; default 256)")
    args = ap.parse_args(argv)
    if args.trace_cache_mb is not None:
        os.environ["WSGISCOPE_TRACE_CACHE_MB"] = str(args.trace_cache_mb)
    with tempfile.TemporaryDirectory() as tmp, LiveServer(Path(tmp) / "soak.sqlite3") as srv:
        http = httpx.Client(base_url=srv.base, timeout=60)
        start = time.monotonic()
        end = start + args.minutes * 60
        curve: list[tuple[float, float, int, int]] = []
        requests = errors = n = 0
        next_sample = start
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_sample:
                curve.append((now - start, srv.rss_bytes() / 2**20, n, errors))
                print(f"{(now - start) / 60:6.1f} min  rss {curve[-1][1]:7.1f} MiB  "
                      f"scenarios {n:6d}  requests {requests:7d}  errors {errors}", flush=True)
                next_sample += args.every
            t0 = time.monotonic()
            try:
                r, e = one_round(http, n)
            except httpx.HTTPError as err:  # a timeout is an error of the run, not its end
                print(f"  error: {type(err).__name__}: {err}", file=sys.stderr)
                r, e = 1, 1
            requests += r
            errors += e
            n += 1
            # bounded rate: a round of r requests takes at least r / rate seconds
            time.sleep(max(0.0, r / args.rate - (time.monotonic() - t0)))
        curve.append((time.monotonic() - start, srv.rss_bytes() / 2**20, n, errors))
        http.close()
    print("\nminutes  rss_MiB  scenarios  errors")
    for t, rss, k, err in curve:
        print(f"{t / 60:7.1f}  {rss:7.1f}  {k:9d}  {err:6d}")
    half = [rss for t, rss, _, _ in curve if t >= curve[-1][0] / 2]
    print(f"\n{n} distinct scenarios, {requests} requests, {errors} errors in "
          f"{curve[-1][0] / 60:.1f} min; rss over the second half: "
          f"{min(half):.1f}-{max(half):.1f} MiB")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
