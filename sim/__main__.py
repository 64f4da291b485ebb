"""``python -m sim run FILE [--json]``: simulate a scenario file and print its trace.

Exit status 0 on success, 2 for a bad scenario (one line naming the field), never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import ScenarioError, run


def _print_steps(trace) -> None:
    for step in trace.steps:
        where = step.qualname or "-"
        print(f"{step.i:5d} {step.t:7d}ms {step.actor:>9} {step.phase:<9} {where}")
        print(f"{'':24}{step.caption}")
    print()
    for cid, result in trace.clients.items():
        print(f"{cid}: {len(result.received)} bytes received, end: {result.end}")
        print("  " + result.received[:400].decode("latin-1").replace("\r\n", "\n  "))
    print()
    for entry in trace.log:
        print(f"[{entry.t}ms {entry.actor}] {entry.line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="simulate a scenario file ('-' reads standard input)")
    run_cmd.add_argument("file")
    run_cmd.add_argument("--json", action="store_true", help="print the wsgiscope/trace@1 JSON")
    args = parser.parse_args(argv)
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as err:
        print(f"error: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        print(f"error: {args.file} is not JSON: {err.msg} (line {err.lineno}, column {err.colno})",
              file=sys.stderr)
        return 2
    try:
        trace = run(document)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(trace.to_json(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_steps(trace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
