"""``sim.stack.werkzeug016_routing`` against the real Werkzeug 0.16.1 ``Map`` (run in the
legacy environment, ``.venv-legacy/``): seeded random rule sets and paths, the same outcome
(endpoint and values, 404, 405 with its methods, or the slash redirect's path)."""

from __future__ import annotations

import json
import random
import subprocess

import pytest

from sim._pyset import HashSet
from sim.stack import werkzeug016_routing as routing
from sim.stack import werkzeug016_urls
from sim.stack.werkzeug_routing import MethodNotAllowed, NotFound, RequestRedirect
from tests.fidelity.legacy_env import legacy_python

STATIC = ["a", "b", "users", "café", "files", "x.json"]
CONVERTERS = ["", "int:", "int(min=3, max=9):", "int(fixed_digits=2):", "float:", "string(length=2):",
              "string(maxlength=3):", "path:", "any(red, blue):", "uuid:", "int(signed=True):"]
METHODS = [["GET"], ["POST"], ["GET", "POST"], ["PUT", "DELETE"], ["PATCH"]]
VALUES = ["7", "12", "-3", "1.5", "ab", "abcd", "red", "blue", "x/y", "café",
          "12345678-1234-5678-1234-567812345678", ""]

#: run in the legacy interpreter: the real Map, bound as Flask 1.1 binds it
REAL = r"""
import json, sys
from werkzeug.routing import Map, Rule
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
out = []
for case in json.load(sys.stdin):
    rules = [Rule(r["rule"], endpoint=r["endpoint"], methods=r["methods"], strict_slashes=r["strict"])
             for r in case["rules"]]
    adapter = Map(rules).bind("localhost", "/")
    answers = []
    for path, method in case["requests"]:
        try:
            rule, values = adapter.match(path, method, return_rule=True)
            answers.append(["match", rule.endpoint, {k: repr(v) for k, v in values.items()}])
        except RequestRedirect as e:
            answers.append(["redirect", e.new_url.split("localhost", 1)[1]])
        except MethodNotAllowed as e:
            answers.append(["405", sorted(e.valid_methods)])
        except NotFound:
            answers.append(["404"])
    out.append(answers)
json.dump(out, sys.stdout)
"""


def _rule(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.5:
            parts.append(rng.choice(STATIC))
        else:
            parts.append(f"<{rng.choice(CONVERTERS)}v{len(parts)}>")
    return "/" + "/".join(parts) + ("/" if rng.random() < 0.4 else "")


def _path(rng: random.Random, rule: str) -> str:
    path = rule
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        path = path[:start] + rng.choice(VALUES) + path[end + 1:]
    roll = rng.random()
    if roll < 0.25:
        path = path.rstrip("/") if path.endswith("/") else path + "/"
    elif roll < 0.35:
        path = "/" + rng.choice(STATIC) + path
    return path


def _case(seed: int) -> dict:
    rng = random.Random(seed)
    rules = [{"rule": _rule(rng), "endpoint": f"r{i}", "methods": rng.choice(METHODS),
              "strict": rng.random() < 0.7} for i in range(rng.randint(2, 6))]
    requests = [[_path(rng, rng.choice(rules)["rule"]), rng.choice(["GET", "POST", "PUT", "PATCH", "HEAD"])]
                for _ in range(8)]
    return {"rules": rules, "requests": requests}


def _simulated(case: dict) -> list[list]:
    rules = []
    for r in case["rules"]:
        methods = HashSet([m.upper() for m in r["methods"]])
        if "GET" in methods:
            methods.add("HEAD")
        rules.append(routing.Rule(r["rule"], r["endpoint"], methods, r["strict"]))
    url_map = routing.Map(rules)
    answers: list[list] = []
    for path, method in case["requests"]:
        try:
            rule, values = url_map.match(path, method)
            answers.append(["match", rule.endpoint, {k: repr(v) for k, v in values.items()}])
        except RequestRedirect as err:
            answers.append(["redirect", err.new_path])
        except MethodNotAllowed as err:
            answers.append(["405", sorted(err.valid_methods)])
        except NotFound:
            answers.append(["404"])
    return answers


@pytest.fixture(scope="module")
def real_python():
    return legacy_python()


def test_random_rule_sets_route_as_werkzeug_016(real_python) -> None:
    cases = [_case(seed) for seed in range(300)]
    proc = subprocess.run([str(real_python), "-c", REAL], input=json.dumps(cases).encode(),
                          capture_output=True, check=True, timeout=120)
    real = json.loads(proc.stdout)
    outcomes = {answer[0] for answers in real for answer in answers}
    assert outcomes == {"match", "redirect", "405", "404"}  # every branch is exercised
    mismatches = [(case, got, want) for case, got, want in zip(cases, map(_simulated, cases), real, strict=True)
                  if got != want]
    assert not mismatches, mismatches[:3]


def test_a_non_strict_rule_defined_first_takes_the_slashed_path() -> None:
    """The order, not the shape: ``/café`` (strict_slashes=False) precedes ``/café/`` in
    ``match_compare_key`` order (one static piece each, same weights, definition order)."""
    methods = HashSet(["PATCH"])
    url_map = routing.Map([routing.Rule("/café", "r3", methods, False),
                           routing.Rule("/café/", "r5", HashSet(["GET", "PATCH"]))])
    assert url_map.match("/café/", "PATCH")[0].endpoint == "r3"
    assert url_map.match("/café/", "GET")[0].endpoint == "r5"


def test_an_unencodable_host_is_a_bad_host() -> None:
    assert werkzeug016_urls.encode_idna("localhost:5000") == "localhost:5000"
    assert werkzeug016_urls.encode_idna("hé") == "xn--h-bga"
    with pytest.raises(UnicodeError):
        werkzeug016_urls.encode_idna("é" * 64)
