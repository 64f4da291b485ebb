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


#: Deeper JSON is refused before it reaches the engine (a scenario is about 8 levels deep;
#: pydantic and ``json`` recurse, so 100,000 levels would end in a RecursionError).
MAX_DEPTH = 64


class InputError(Exception):
    """A file that is not a scenario document we can read: one line, exit status 2."""


def _read(name: str) -> bytes:
    try:
        if name == "-":
            return sys.stdin.buffer.read()
        with open(name, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise InputError(f"cannot read {name}: {err.strerror}") from None


def _check_strings(document: object) -> None:
    """Refuse nesting past :data:`MAX_DEPTH` and text that is not Unicode.

    JSON's ``"\\ud800"`` escape gives a lone surrogate: a ``str`` that cannot be written
    as UTF-8, so the trace could not be printed. Iterative, so it never recurses itself.
    """
    def refuse(path: tuple[object, ...], what: str) -> InputError:
        return InputError(f"{'.'.join(map(str, path)) or 'the document'}: {what}")

    stack: list[tuple[object, tuple[object, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and not _is_unicode(value):
                raise refuse(path, "the text holds a lone surrogate (like \\ud800), which is "
                                   "not a character")
        elif isinstance(value, (dict, list)):
            if len(path) >= MAX_DEPTH:
                raise refuse(path, f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(value, list):
                stack.extend((item, (*path, n)) for n, item in enumerate(value))
                continue
            for key, item in value.items():
                if not key.isascii() and not _is_unicode(key):
                    raise refuse(path, "a key holds a lone surrogate (like \\ud800), which "
                                       "is not a character")
                stack.append((item, (*path, key)))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _load(name: str) -> object:
    data = _read(name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name} is not UTF-8 text (byte {err.start} is "
                         f"0x{data[err.start]:02x})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{name} is not JSON: {err.msg} (line {err.lineno}, column "
                         f"{err.colno})") from None
    except RecursionError:
        raise InputError(f"{name} is not JSON we can read: nested too deeply (the limit is "
                         f"{MAX_DEPTH} levels)") from None
    except ValueError as err:  # an integer past sys.get_int_max_str_digits()
        raise InputError(f"{name} is not JSON we can read: {str(err).split(':')[0]}") from None
    _check_strings(document)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="simulate a scenario file ('-' reads standard input)")
    run_cmd.add_argument("file")
    run_cmd.add_argument("--json", action="store_true", help="print the wsgiscope/trace@1 JSON")
    args = parser.parse_args(argv)
    try:
        document = _load(args.file)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
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
