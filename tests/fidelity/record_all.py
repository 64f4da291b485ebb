"""Record every case on the real stack into ``recordings/<case>.<variant>.json``.

    python -m tests.fidelity.record_all [--runs 3] [--jobs 3] [CASE ...]

Each (case, variant) is recorded `--runs` times; the first recording is written, and any
case whose runs disagree is reported as unstable (exit status 1) -- widen its timings.
What is written is the part that must be stable: Date/Server/ETag values replaced by
placeholders and the periodic ``service_actions`` calls left out, so a git diff of the
recordings shows real drift only.
The recordings are for people (the engine's author reads the exact bytes and call lists)
and for spotting drift in git diffs; the tests never read them.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .compare import first_difference, normalize_response
from .corpus import RECORDINGS_DIR, Case, load_cases
from .real_stack import PERIODIC_CALLS, Recording, record


def stable_part(rec: Recording) -> dict[str, Any]:
    """What must be identical between runs: everything but the Date/Server/ETag values and
    the periodic poll calls, whose number depends on wall-clock time."""
    data = rec.to_json()
    for client in data["clients"].values():
        client["received"] = normalize_response(client["received"])
    data["calls"] = {actor: [q for q in calls if q not in PERIODIC_CALLS] for actor, calls in rec.calls.items()}
    return data


def instability(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """Where two stable parts first differ, briefly; None if they are the same."""
    for cid in sorted(a["clients"].keys() | b["clients"].keys()):
        x, y = a["clients"].get(cid), b["clients"].get(cid)
        if x != y:
            if x and y and x["end"] == y["end"]:
                return f"client {cid}: {first_difference(x['received'], y['received'])}"
            return f"client {cid}: {x!r} vs {y!r}"[:600]
    if a["log"] != b["log"]:
        i = next((k for k, (p, q) in enumerate(zip(a["log"], b["log"], strict=False)) if p != q), None)
        if i is None:
            return f"log: {len(a['log'])} vs {len(b['log'])} records"
        return f"log[{i}]: {a['log'][i]!r} vs {b['log'][i]!r}"[:1500]
    for actor in sorted(a["calls"].keys() | b["calls"].keys()):
        x, y = a["calls"].get(actor, []), b["calls"].get(actor, [])
        if x != y:
            i = next((k for k, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
            i = min(len(x), len(y)) if i is None else i
            return f"calls[{actor}] #{i}: {x[i : i + 3]} vs {y[i : i + 3]} (lengths {len(x)}, {len(y)})"
    return None


def record_case(case: Case, runs: int) -> tuple[Case, Recording, str | None]:
    """Record `runs` times: the first recording, and how a later run differed (if one did)."""
    recordings = [record(case.scenario) for _ in range(runs)]
    first = stable_part(recordings[0])
    problems = (instability(first, stable_part(r)) for r in recordings[1:])
    return case, recordings[0], next((p for p in problems if p), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args(argv)
    RECORDINGS_DIR.mkdir(exist_ok=True)
    unstable = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for case, rec, problem in pool.map(lambda c: record_case(c, args.runs), load_cases(args.cases or None)):
            case.recording_path.write_text(json.dumps(stable_part(rec), indent=1) + "\n")
            ends = " ".join(f"{cid}={c.end}" for cid, c in rec.clients.items())
            print(f"{'UNSTABLE' if problem else 'ok      '} {case.id}: {ends}", flush=True)
            if problem:
                print(f"    {problem}", flush=True)
                unstable.append(case.id)
    if unstable:
        print(f"{len(unstable)} unstable: {' '.join(unstable)}", file=sys.stderr)
    return 1 if unstable else 0


if __name__ == "__main__":
    sys.exit(main())
