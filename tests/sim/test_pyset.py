"""``sim._pyset`` against the real thing: ``hash(str)`` and ``set`` order of a CPython
started with ``PYTHONHASHSEED=0`` (the harness runs the real stack that way)."""

from __future__ import annotations

import random

import pytest
from simhelpers import run_hashseed0

from sim._pyset import HashSet, str_hash

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
           "PROPFIND", "MKCOL", "PURGE", "get", "post", "Options", "BREW", "X", ""]

# Each program is a list of operations on named sets, replayed both in the model and for
# real: ("new", name, items) builds by adding in order, ("add", name, item),
# ("update", name, other) is ``name.update(other)`` with a set argument (``set_merge``),
# ("upper", name, source) is ``name = {x.upper() for x in source}``.
REAL_PROGRAM = """
import json, sys
out = []
for program in json.load(sys.stdin):
    sets = {}
    for op, name, arg in program:
        if op == "new":
            sets[name] = set()
            for item in arg:
                sets[name].add(item)
        elif op == "add":
            sets[name].add(arg)
        elif op == "update":
            sets[name].update(sets[arg])
        elif op == "upper":
            sets[name] = {x.upper() for x in sets[arg]}
    out.append({name: list(s) for name, s in sets.items()})
print(json.dumps(out))
"""


def replay(program: list) -> dict[str, list[str]]:
    sets: dict[str, HashSet] = {}
    for op, name, arg in program:
        if op == "new":
            sets[name] = HashSet(arg)
        elif op == "add":
            sets[name].add(arg)
        elif op == "update":
            sets[name].update(sets[arg])
        elif op == "upper":
            sets[name] = sets[arg].copy_comprehension()
    return {name: list(s) for name, s in sets.items()}


def latin1_strings(rng: random.Random, count: int) -> list[str]:
    alphabet = [chr(c) for c in range(256)]
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 20))) for _ in range(count)]


def test_str_hash_equals_cpython_with_hashseed_0():
    rng = random.Random(1)
    words = METHODS + [chr(c) for c in range(256)] + ["a" * n for n in range(21)]
    words += latin1_strings(rng, 300)
    words += ["".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=n)) for n in range(21)]
    real = run_hashseed0("import json,sys; print(json.dumps([hash(s) for s in json.load(sys.stdin)]))",
                         words)
    assert [str_hash(w) for w in words] == real


def rule_methods_program(methods: list[str]) -> list:
    """Flask's ``add_url_rule`` then Werkzeug's ``Rule.__init__``, as set operations."""
    program = [("new", "flask", [m.upper() for m in methods]), ("new", "required", [])]
    if "OPTIONS" not in {m.upper() for m in methods}:
        program.append(("add", "required", "OPTIONS"))
    program += [("update", "flask", "required"), ("upper", "rule", "flask")]
    if "GET" in {m.upper() for m in methods} and "HEAD" not in {m.upper() for m in methods}:
        program.append(("add", "rule", "HEAD"))
    return program


def programs() -> list[list]:
    rng = random.Random(7)
    found = [rule_methods_program(["GET"]), rule_methods_program(["POST"]),
             rule_methods_program(["GET", "POST"]), rule_methods_program(["POST", "GET"]),
             rule_methods_program(["get", "put", "delete"])]
    for _ in range(40):
        found.append(rule_methods_program(rng.sample(METHODS[:12], rng.randint(1, 8))))
    # have_match_for: an empty set updated with the method sets of several rules in turn.
    for _ in range(30):
        program: list = [("new", "have_match_for", [])]
        for n in range(rng.randint(1, 4)):
            program.append(("new", f"r{n}", rng.sample(METHODS[:12], rng.randint(1, 9))))
            program.append(("update", "have_match_for", f"r{n}"))
        found.append(program)
    # The same set merged twice (Werkzeug's second matching pass): the second merge resizes.
    for methods in (["GET", "DELETE"], ["PUT"], METHODS[:9]):
        found.append([*rule_methods_program(methods), ("new", "have", []), ("update", "have", "rule"),
                      ("update", "have", "rule")])
    # Sets big enough to resize, built by add and merged into empty and non-empty sets.
    # (``upper`` only on ASCII: ``"\xff".upper()`` is not Latin-1, and methods are tokens.)
    for size in (5, 6, 19, 20, 40, 70, 200):
        items = latin1_strings(rng, size)
        tokens = ["".join(rng.choices("abcdefghijKLMNOP-_", k=rng.randint(1, 12))) for _ in range(size)]
        found.append([("new", "big", items), ("new", "empty", []), ("update", "empty", "big"),
                      ("new", "some", METHODS[:3]), ("update", "some", "big"),
                      ("new", "tokens", tokens), ("upper", "up", "tokens")])
    return found


def test_set_order_equals_cpython_with_hashseed_0():
    cases = programs()
    real = run_hashseed0(REAL_PROGRAM, cases)
    mismatches = [(case, want) for case, want in zip(cases, real, strict=True) if replay(case) != want]
    assert not mismatches, mismatches[:3]


@pytest.mark.parametrize("items", [[], ["GET"], METHODS])
def test_len_and_contains(items):
    hs = HashSet(items + items)
    assert len(hs) == len(set(items))
    assert all(item in hs for item in items)
    assert "NOT-THERE" not in hs
