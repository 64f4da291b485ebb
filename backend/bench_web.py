"""Web-side benchmark: ``python -m backend.bench_web [--quick]``.

Prints, for docs/benchmarks-web.md:
1. server-side time to render one step fragment (p50/p99) on a trace of >= 1,000 steps;
2. requests/s of the step endpoint under ``wrk`` next to a bare FastAPI endpoint served the
   same way in the same run (target: >= 50 % of it);
3. bytes transferred for the first page load in Chromium (target: <= 100 KB without the
   source pane's text);
4. time from a click on "Step" to the next step painted in Chromium (target: < 50 ms).

Load only ever goes to 127.0.0.1, bounded in time. Needs ``wrk`` (apt) and Chromium.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import sim

ROOT = Path(__file__).resolve().parent.parent


def bare_app() -> FastAPI:
    """The yardstick: the smallest FastAPI endpoint, served by the same uvicorn."""
    app = FastAPI()

    @app.get("/")
    def index() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/async")
    async def index_async() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


def big_scenario(clients: int = 20) -> dict[str, Any]:
    """A threaded server and ``clients`` GETs, a few ms apart: comfortably > 1,000 steps."""
    s = json.loads((ROOT / "gallery" / "01-one-get.json").read_text(encoding="utf-8"))
    s["title"] = f"{clients} clients (benchmark)"
    s["server"] = {"kind": "werkzeug", "threaded": True}
    s["clients"] = [{"id": f"c{n + 1}", "at": n * 3,
                     "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}
                    for n in range(clients)]
    return s


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


# -- 1. render time -----------------------------------------------------------------------
def bench_render(scenario: dict[str, Any], samples: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from .app import create_app
    from .player import step_view
    from .services import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db_path=Path(tmp) / "b.sqlite3"))
        svc = app.state.services
        t0 = time.perf_counter()
        pb = svc.playback(scenario)
        build = time.perf_counter() - t0
        template = svc.templates.get_template("_step_fragment.html")
        steps = [(k * 7919) % pb.total for k in range(samples)]  # spread over the trace
        for n in steps[:50]:  # warm the source cache
            template.render(v=step_view(pb, n, "en", "bench"))
        render = []
        for n in steps:
            t = time.perf_counter()
            template.render(v=step_view(pb, n, "en", "bench"))
            render.append((time.perf_counter() - t) * 1000)
        # the same through the whole ASGI stack (routing, middleware, gzip) in-process
        slug = svc.save(scenario)
        client = TestClient(app)
        full = []
        for n in steps[: samples // 4]:
            t = time.perf_counter()
            r = client.get(f"/s/{slug}/step/{n}")
            full.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
    return {"steps": pb.total, "build_ms": build * 1000,
            "render_p50": pct(render, 50), "render_p99": pct(render, 99),
            "request_p50": pct(full, 50), "request_p99": pct(full, 99)}


# -- servers for 2-4 ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port),
         "--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


def wrk(url: str, seconds: int, lua: str | None = None) -> float:
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


def bench_load(port: int, slug: str, total: int, seconds: int) -> dict[str, float]:
    """Random steps, first on a cold fragment cache, then after every step was rendered once
    (what a shared link being stepped through by many people looks like)."""
    bare_port = free_port()
    bare = start("backend.bench_web:bare_app", bare_port, {})
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(f'math.randomseed(1)\nrequest = function()\n'
                    f'  return wrk.format("GET", "/s/{slug}/step/" .. math.random(0, {total - 1}),'
                    f' {{["Accept-Encoding"] = "gzip"}})\n'
                    f'end\n')
            lua = f.name
        cold_rps = wrk(f"http://127.0.0.1:{port}/", seconds, lua)
        for n in range(total):  # render every step once
            req = urllib.request.Request(f"http://127.0.0.1:{port}/s/{slug}/step/{n}",
                                         headers={"Accept-Encoding": "gzip"})
            urllib.request.urlopen(req).read()
        warm_rps = wrk(f"http://127.0.0.1:{port}/", seconds, lua)
        bare_rps = wrk(f"http://127.0.0.1:{bare_port}/", seconds)
        bare_async_rps = wrk(f"http://127.0.0.1:{bare_port}/async", seconds)
        os.unlink(lua)
    finally:
        bare.terminate()
        bare.wait(10)
    return {"cold_rps": cold_rps, "warm_rps": warm_rps, "bare_rps": bare_rps,
            "bare_async_rps": bare_async_rps}


def bench_browser(port: int, clicks: int, first: str = "/s/one-get?step=33",
                  start: str = "/s/one-get?step=0") -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        browser = p.chromium.launch(
            executable_path=exe,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        # bypass_csp only so the measuring snippet below may run; the page is unchanged.
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page = ctx.new_page()
        sizes: dict[str, int] = {}

        def on_finished(req: Any) -> None:
            resp = req.response()
            s = req.sizes()
            sizes[req.url] = s["responseBodySize"] + s["responseHeadersSize"]
            del resp

        page.on("requestfinished", on_finished)
        page.goto(base + first, wait_until="networkidle")
        total = sum(sizes.values())
        source_text = page.evaluate(
            "() => new TextEncoder().encode(document.querySelector('#step-body .code')?.outerHTML"
            " || '').length")
        page.remove_listener("requestfinished", on_finished)

        out: dict[str, float] = {}
        for mode, pause in (("rapid", 0), ("reading", 300)):
            page.goto(base + start, wait_until="networkidle")
            times, waits, painted = click_times(page, base + start, clicks, pause)
            out[f"{mode}_p50"] = pct(times, 50)
            out[f"{mode}_p95"] = pct(times, 95)
            # a step the player fetched ahead is shown without a request: no response waited for
            out[f"{mode}_waited"] = len(waits)
            out[f"{mode}_clicks"] = len(times)
            out[f"{mode}_wait_p50"] = pct(waits, 50) if waits else 0.0
            out[f"{mode}_painted_p50"] = pct(painted, 50)
            out[f"{mode}_painted_p95"] = pct(painted, 95)
        browser.close()
    return {"first_load_bytes": total, "source_pane_html_bytes": source_text,
            "files": len(sizes), **out}


def click_times(page: Any, start_url: str, clicks: int, pause_ms: int
                ) -> tuple[list[float], list[float], list[float]]:
    """Click "Step" ``clicks`` times, ``pause_ms`` apart (0: as fast as it paints; 300: a
    person glancing at the step, long enough for the player's prefetch of the next one).

    Two clocks stop after the swap. "Two frames later" (the figure held to the target): the
    second animation frame after the swap begins once the frame holding the swap has been
    painted, but only at the next vsync, so it counts up to one frame (16.7 ms at 60 Hz) of
    waiting after the paint. "Painted": a task posted from the first frame's callback runs
    as soon as that frame's style, layout and paint are done on the main thread (what the
    Event Timing API calls the next paint, less the compositor's share)."""
    times, waits, painted = [], [], []
    for _ in range(clicks):
        page.wait_for_timeout(pause_ms)
        # click -> response in (htmx:beforeSwap) -> swapped -> painted -> two frames later
        ms = page.evaluate("""() => new Promise(resolve => {
            const t0 = performance.now();
            let wait = -1, paint = -1;
            document.body.addEventListener('htmx:beforeSwap', () => {
                wait = performance.now() - t0;
            }, {once: true});
            document.body.addEventListener('htmx:afterSettle', () => {
                requestAnimationFrame(() => {
                    const ch = new MessageChannel();
                    ch.port1.onmessage = () => { paint = performance.now() - t0; };
                    ch.port2.postMessage(0);
                    requestAnimationFrame(() => resolve([performance.now() - t0, wait, paint]));
                });
            }, {once: true});
            const next = document.querySelector('#ctl-step') ;
            if (next.tagName !== 'A') { resolve([-1, 0]); return; }
            next.click();
        })""")
        if ms[0] < 0:
            page.goto(start_url, wait_until="networkidle")
            continue
        times.append(ms[0])
        if ms[1] >= 0:  # htmx made a request (not a step held from the fetch ahead)
            waits.append(ms[1])
        painted.append(ms[2] if ms[2] >= 0 else ms[0])  # no task ran between the frames
    return times, waits, painted


def waited(b: dict[str, float], mode: str) -> str:
    """How many clicks waited for a response, and how long: the others were shown from the
    step the player had fetched ahead."""
    n, clicks = int(b[mode + "_waited"]), int(b[mode + "_clicks"])
    if not n:
        return f"no click waited for a response (all {clicks} shown from the step fetched ahead)"
    return f"{n} of {clicks} clicks waited for a response, p50 {b[mode + '_wait_p50']:.1f} ms"


def bench_timeline(clients: int, runs: int) -> dict[str, Any]:
    """The timeline on a trace of >= 10,000 steps: ``sim.timeline`` (once per trace, then
    kept with it) and the server-side render of the timeline, waterfall and run summary
    (on every full page)."""
    from .services import Services, Settings
    from .timeline import timeline_view, waterfall_view
    from .traces import Playback, scenario_key

    scenario = big_scenario(clients)
    trace = sim.run(scenario)
    derive = []
    for _ in range(5):
        t0 = time.perf_counter()
        sim.timeline(trace)
        derive.append((time.perf_counter() - t0) * 1000)
    pb = Playback(scenario, trace, scenario_key(scenario))
    pb.timeline  # noqa: B018 -- derived once, as the page does
    tmp = tempfile.TemporaryDirectory()
    svc = Services.build(Settings(db_path=Path(tmp.name) / "b.sqlite3"))
    env = svc.templates.env
    tl_tpl, sum_tpl = env.get_template("_timeline.html"), env.get_template("_runsummary.html")
    render, size = [], 0
    for k in range(runs):
        i = (k * 7919) % pb.total
        t0 = time.perf_counter()
        ctx = {"timeline": timeline_view(pb, "en", i, False, "/s/x?step="),
               "waterfall": waterfall_view(pb, "en", i, href="/s/x?step="),
               "slug": "x", "lang": "en", "tracks_url": "/s/x?tracks=all"}
        html = tl_tpl.render(ctx) + sum_tpl.render(ctx)
        render.append((time.perf_counter() - t0) * 1000)
        size = len(html.encode())
    tmp.cleanup()
    return {"steps": len(trace.steps), "clients": clients, "scenario": scenario,
            "derive_p50": pct(derive, 50), "render_p50": pct(render, 50),
            "render_p95": pct(render, 95), "html_bytes": size,
            "gzip_bytes": len(gzip.compress(html.encode()))}


def main_timeline(clients: int, clicks: int) -> None:
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f} at start")
    r = bench_timeline(clients, 40)
    print(f"timeline on a {r['steps']}-step trace ({r['clients']} clients, threaded): "
          f"sim.timeline {r['derive_p50']:.0f} ms (once per trace); render of timeline + "
          f"waterfall + summary p50 {r['render_p50']:.1f} ms, p95 {r['render_p95']:.1f} ms "
          f"(target < 100 ms); {r['html_bytes']} bytes of HTML, {r['gzip_bytes']} gzip")
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start("backend.app:create_app", port,
                       {"WSGISCOPE_DB": str(Path(tmp) / "bench.sqlite3")})
        try:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/links", data=json.dumps(r["scenario"]).encode(),
                headers={"content-type": "application/json"}, method="POST")
            with urllib.request.urlopen(req) as resp:
                slug = json.load(resp)["slug"]
            for name, first, begin in (
                    ("one-get", "/s/one-get?step=33", "/s/one-get?step=0&detail=all"),
                    (f"{r['steps']}-step trace", f"/s/{slug}?step=5000",
                     f"/s/{slug}?step=4000&detail=all")):
                b = bench_browser(port, clicks, first, begin)
                print(f"{name}: first page load ({first}) {b['first_load_bytes']} bytes over "
                      f"{b['files']} files, gzip (target <= 100 KB)")
                for mode, what in (("rapid", "clicking as fast as steps paint"),
                                   ("reading", "300 ms between clicks")):
                    print(f"  click to next step, {what}: two frames later p50 "
                          f"{b[mode + '_p50']:.1f} ms, p95 {b[mode + '_p95']:.1f} ms (target p95 "
                          f"< 50 ms); painted p50 {b[mode + '_painted_p50']:.1f} ms, p95 "
                          f"{b[mode + '_painted_p95']:.1f} ms; {waited(b, mode)}")
                print(f"  load average {os.getloadavg()[0]:.1f} after this run")
        finally:
            server.terminate()
            server.wait(10)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m backend.bench_web")
    ap.add_argument("--quick", action="store_true", help="fewer samples, 3 s load runs")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--timeline", action="store_true",
                    help="only the timeline figures, on a trace of >= 10,000 steps")
    args = ap.parse_args(argv)
    samples, seconds, clicks = (200, 3, 20) if args.quick else (2000, 10, 100)
    if args.timeline:
        main_timeline(max(args.clients, 180), clicks)
        return
    scenario = big_scenario(args.clients)

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f} at start")
    r = bench_render(scenario, samples)
    print(f"trace: {r['steps']} steps, built in {r['build_ms']:.0f} ms")
    print(f"step fragment render (template + view model): p50 {r['render_p50']:.2f} ms, "
          f"p99 {r['render_p99']:.2f} ms")
    print(f"step fragment via TestClient (whole ASGI stack + TestClient's own overhead, "
          f"cold): p50 {r['request_p50']:.2f} ms, p99 {r['request_p99']:.2f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start("backend.app:create_app", port,
                       {"WSGISCOPE_DB": str(Path(tmp) / "bench.sqlite3")})
        try:
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/links", data=json.dumps(scenario).encode(),
                headers={"content-type": "application/json"}, method="POST")
            with urllib.request.urlopen(req) as resp:
                slug = json.load(resp)["slug"]
            if shutil.which("wrk"):
                load = bench_load(port, slug, r["steps"], seconds)
                bare = load["bare_async_rps"]
                print(f"wrk -t2 -c32 {seconds}s each, random steps of the {r['steps']}-step "
                      f"trace, gzip: cold cache {load['cold_rps']:.0f} req/s "
                      f"({load['cold_rps'] / bare * 100:.0f} %), warm cache "
                      f"{load['warm_rps']:.0f} req/s ({load['warm_rps'] / bare * 100:.0f} %) "
                      f"of a bare async FastAPI endpoint, {bare:.0f} req/s "
                      f"(bare sync def endpoint: {load['bare_rps']:.0f} req/s); "
                      f"target >= 50 %")
            else:
                print("wrk: not installed (apt-get install wrk); load test skipped")
            b = bench_browser(port, clicks)
            print(f"first page load (/s/one-get?step=33): {b['first_load_bytes']} bytes "
                  f"transferred over {b['files']} files, gzip, source pane included "
                  f"(its HTML alone: {b['source_pane_html_bytes']} bytes uncompressed); "
                  f"target <= 100 KB without the source pane")
            for mode, what in (("rapid", "clicking as fast as steps paint"),
                               ("reading", "300 ms between clicks (prefetch has landed)")):
                print(f"click to next step (Chromium), {what}: two frames later p50 "
                      f"{b[mode + '_p50']:.1f} ms, p95 {b[mode + '_p95']:.1f} ms (target < 50 ms); "
                      f"painted p50 {b[mode + '_painted_p50']:.1f} ms, p95 "
                      f"{b[mode + '_painted_p95']:.1f} ms; {waited(b, mode)}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
