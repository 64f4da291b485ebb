"""Randomized differential tests: seeded random scenarios on the real stack and in the engine.

``SEEDS`` is a fixed set, each run on both variants (wz-nt, wz-t) with live recordings,
several at a time as in test_fidelity.py; ``OTHER_STACK_SEEDS`` run on Werkzeug 0.16 +
Flask 1.1 (without and with threads) and on wsgiref; ``EXTENDED_SEEDS`` and ``WIDER_SEEDS``
(the later and the wider dimensions) on all five. Any seed at all: ``python -m
tests.fidelity.randomized --seeds 0-999 --jobs 3``.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

import sim

from .compare import compare_live
from .corpus import scenario_for
from .randomized import (
    CONVERTERS,
    EXTENDED_FROM,
    HOST_SPELLINGS,
    JSON_SCALARS,
    LENGTH_SPELLINGS,
    MORE_HEADERS,
    MORE_METHODS,
    MORE_RAISES,
    MORE_TARGETS,
    ODD_HEADER_SETS,
    RANDOM_VARIANTS,
    RETRIES,
    STATIC_CONDITIONS,
    WIDER_ERROR_KEYS,
    WIDER_FROM,
    WIDER_HEADER_SETS,
    WIDER_HEADS,
    WIDER_HOSTS,
    WIDER_PARTS,
    WIDER_STATIC_NAMES,
    WIDER_TARGETS,
    draw_scenario,
    for_variant,
    outcome,
    perturbations,
    scenario_for_seed,
)
from .real_stack import Recording, record

SEEDS = range(20)
OTHER_STACK_SEEDS = range(20, 30)
OTHER_STACK_VARIANTS = ("legacy-nt", "legacy-t", "wsgiref")
#: seeds that also draw the dimensions added later (randomized.EXTENDED_FROM), on every stack
EXTENDED_SEEDS = range(EXTENDED_FROM, EXTENDED_FROM + 10)
EXTENDED_VARIANTS = (*RANDOM_VARIANTS, *OTHER_STACK_VARIANTS)
#: seeds that also draw the dimensions added third (randomized.WIDER_FROM), on every stack
WIDER_SEEDS = range(WIDER_FROM, WIDER_FROM + 6)
PARALLEL_RECORDINGS = 3
# The generator's reach is judged on more draws than are run live (no real stack, no engine).
COVERAGE_SEEDS = range(300)


@pytest.fixture(scope="module")
def randomized_recordings(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Recording]]]:
    wanted = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec and "seed" in callspec.params:
            wanted.append((callspec.params["seed"], callspec.params["variant"]))
    pool = ThreadPoolExecutor(PARALLEL_RECORDINGS)
    yield {
        f"{seed}.{variant}": pool.submit(record, for_variant(scenario_for_seed(seed), variant))
        for seed, variant in wanted
    }
    pool.shutdown(cancel_futures=True)


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", RANDOM_VARIANTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_scenario_matches_real_stack(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    _assert_matches(seed, variant, randomized_recordings)


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", OTHER_STACK_VARIANTS)
@pytest.mark.parametrize("seed", OTHER_STACK_SEEDS)
def test_random_scenario_matches_the_other_real_stacks(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    _assert_matches(seed, variant, randomized_recordings)


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", EXTENDED_VARIANTS)
@pytest.mark.parametrize("seed", EXTENDED_SEEDS)
def test_random_scenario_with_the_later_dimensions_matches(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    _assert_matches(seed, variant, randomized_recordings)


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", EXTENDED_VARIANTS)
@pytest.mark.parametrize("seed", WIDER_SEEDS)
def test_random_scenario_with_the_wider_dimensions_matches(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    _assert_matches(seed, variant, randomized_recordings)


def _assert_matches(seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]) -> None:
    scenario = for_variant(scenario_for_seed(seed), variant)
    # The generated timings leave the real stack >= 200 ms for what it does in a few; a
    # machine loaded far beyond its cores can still take longer, and then the real run
    # itself changes. The engine passes when it gives what a real run gave.
    differences = compare_live(scenario, randomized_recordings[f"{seed}.{variant}"].result(), RETRIES)
    assert not differences, f"seed {seed}.{variant}: {len(differences)} difference(s):\n" + "\n".join(
        f"- {d}" for d in differences
    )


def test_scenarios_are_valid_seeded_and_timing_robust() -> None:
    for seed in range(6):
        scenario = scenario_for_seed(seed)
        sim.validate(scenario)
        assert scenario == scenario_for_seed(seed)
        for variant in RANDOM_VARIANTS:
            one = scenario_for(scenario, variant)
            moved = perturbations(one)
            assert moved, "every scenario has timers to move (at least each client's start)"
            assert all(outcome(m) == outcome(one) for m in moved)


def _features(scenario: dict) -> set[str]:
    found = set()
    app = scenario["app"]
    routes = list(app["routes"]) + [r for bp in app.get("blueprints", []) for r in bp["routes"]]
    for route in routes:
        for part, *_ in CONVERTERS:
            if part.format(n="") in re.sub(r":v\d+>", ":>", re.sub(r"<v\d+>", "<>", route["rule"])):
                found.add("converter " + part.format(n=""))
        view = route["view"]
        found |= {f"view {k}" for k in ("text", "json", "echo", "abort", "raise", "stream", "sleep",
                                        "interval", "with_context", "status", "headers", "mimetype") if k in view}
        found |= {"methods"} if "methods" in route else set()
        found |= {"status line"} if isinstance(view.get("status"), str) else set()
        found |= {"json with mimetype"} if "json" in view and "mimetype" in view else set()
        found |= {"strict_slashes"} if route.get("strict_slashes") is False else set()
    found |= {f"blueprint prefix {bp['url_prefix']!r}" for bp in app.get("blueprints", [])}
    for scaffold in (app, *app.get("blueprints", [])):
        found |= {"errorhandler for a class" for key in scaffold.get("errorhandlers", {}) if not key.isdigit()}
    found |= {key for key in ("before_request", "after_request", "teardown_request", "url_value_preprocessors",
                              "errorhandlers", "teardown_appcontext", "static_files") if app.get(key)}
    found |= {f"blueprint {key}" for bp in app.get("blueprints", []) for key in
              ("before_request", "after_request", "errorhandlers") if bp.get(key)}
    found.add(f"{len(scenario['clients'])} clients")
    for client in scenario["clients"]:
        found.add("then " + client.get("then", "read"))
        found |= {"read_timeout"} if "read_timeout" in client else set()
        data = "".join(c if isinstance(c, str) else c["data"] for c in client["send"])
        found |= {name for name, mark in (("chunked", "Transfer-Encoding: chunked"), ("100-continue", "Expect: 100"),
                                         ("keep-alive", "Connection: keep-alive"), ("split body", None))
                  if mark and mark in data}
        if sum(1 for c in client["send"] if isinstance(c, dict) and c["after"]) >= 1:
            found.add("pauses")
    return found


def test_the_generator_reaches_everything_the_format_declares() -> None:
    """What the draws reach (before the timing filter, which only redraws)..."""
    seen: Counter[str] = Counter()
    for seed in COVERAGE_SEEDS:
        seen.update(_features(draw_scenario(random.Random(seed))))
    expected = {"converter " + part.format(n="") for part, *_ in CONVERTERS}
    expected |= {f"view {k}" for k in ("text", "json", "echo", "abort", "raise", "stream", "sleep", "interval",
                                       "with_context", "status", "headers", "mimetype")}
    expected |= {"status line", "json with mimetype", "errorhandler for a class"}
    expected |= {"methods", "strict_slashes", "before_request", "after_request", "teardown_request",
                 "url_value_preprocessors", "errorhandlers", "teardown_appcontext", "static_files",
                 "blueprint before_request", "blueprint after_request", "blueprint errorhandlers",
                 "1 clients", "2 clients", "3 clients", "4 clients", "then read", "then shutdown_write",
                 "then close", "then reset", "read_timeout", "chunked", "100-continue", "keep-alive", "pauses"}
    expected |= {f"blueprint prefix {p!r}" for p in ("/bp", "/api/v1", "/bp/", "")}
    missing = expected - set(seen)
    assert not missing, f"never generated in {len(COVERAGE_SEEDS)} seeds: {sorted(missing)}"


def test_the_timing_filter_keeps_the_timing_features() -> None:
    """... and what the suite's own (filtered) seeds still have: the filter does not only
    keep scenarios where nothing waits."""
    seen: set[str] = set()
    for seed in SEEDS:
        seen |= _features(scenario_for_seed(seed))
    wanted = {"view sleep", "view interval", "then reset", "then close", "then shutdown_write", "read_timeout",
              "pauses", "view stream", "static_files", "4 clients"}
    assert wanted <= seen, f"missing from the suite's seeds: {sorted(wanted - seen)}"


#: methods the first generator sends too
FIRST_METHODS = ("DELETE", "PATCH")


def _later_features(scenario: dict) -> set[str]:
    # what the clients send, each client's bytes on a line of their own
    sent = "".join("\n" + "".join(c if isinstance(c, str) else c["data"] for c in client["send"])
                   for client in scenario["clients"])
    app = scenario["app"]
    routes = list(app["routes"]) + [r for bp in app.get("blueprints", []) for r in bp["routes"]]
    found = {f"json {value!r}" for route in routes for value in [route["view"].get("json")]
             if "json" in route["view"] and value in JSON_SCALARS}
    found |= {f"raise {route['view']['raise']}" for route in routes if route["view"].get("raise") in MORE_RAISES}
    found |= {"odd header " + ",".join(h) for route in routes for h in ODD_HEADER_SETS
              if h.items() <= route["view"].get("headers", {}).items()}
    found |= {"lower-case methods" for route in routes if any(m.islower() for m in route.get("methods", []))}
    endpoints = [r.get("endpoint") for r in app["routes"]]
    found |= {"shared endpoint"} if len(endpoints) != len(set(endpoints)) else set()
    prefixes = [bp.get("url_prefix", None) for bp in app.get("blueprints", [])]
    found |= {"blueprints under one prefix"} if len(prefixes) != len(set(prefixes)) else set()
    found |= {"blueprint without url_prefix"} if None in prefixes else set()
    found |= {f"server {key}" for key in ("host", "port") if key in scenario["server"]}
    marks = ([("host " + h, h) for h in HOST_SPELLINGS] + [("header " + h, h) for h in MORE_HEADERS]
             + [("static " + c, c) for c in STATIC_CONDITIONS]
             + [("method " + m, "\n" + m + " ") for m in MORE_METHODS if m not in FIRST_METHODS]
             + [("target " + t, " " + t + " ") for t in MORE_TARGETS])
    found |= {name for name, mark in marks if mark in sent}
    for spelling in LENGTH_SPELLINGS:
        pattern = re.escape(spelling).replace(re.escape("{n}"), r"\d+")
        if re.search(f"Content-Length: {pattern}\r\n", sent):
            found.add("length " + spelling)
    return found


def test_the_later_dimensions_are_drawn_and_leave_earlier_seeds_alone() -> None:
    """Seeds from EXTENDED_FROM draw the later dimensions from a stream of their own; an
    earlier seed's scenario is the one the first generator drew."""
    seen: Counter[str] = Counter()
    for seed in COVERAGE_SEEDS:
        seen.update(_later_features(draw_scenario(random.Random(seed), random.Random(f"more-{seed}"))))
        # (two blueprints may draw one prefix by chance in the first generator too)
        assert not _later_features(draw_scenario(random.Random(seed))) - {"blueprints under one prefix"}
    expected = {f"json {value!r}" for value in JSON_SCALARS} | {f"raise {name}" for name in MORE_RAISES}
    expected |= {"lower-case methods", "shared endpoint", "blueprints under one prefix", "blueprint without url_prefix",
                 "server host", "server port"}
    expected |= {"odd header " + ",".join(h) for h in ODD_HEADER_SETS}
    expected |= {"host " + h for h in HOST_SPELLINGS} | {"header " + h for h in MORE_HEADERS}
    missing = expected - set(seen)
    assert not missing, f"never generated in {len(COVERAGE_SEEDS)} seeds: {sorted(missing)}"
    reached = len([k for k in seen if k.startswith(("static ", "method ", "target ", "length "))])
    assert reached >= 20, sorted(seen)


#: the wider parts and methods the earlier generators never draw (the others: values at edges)
WIDER_ONLY_PARTS = sorted({part for part, *_ in WIDER_PARTS} - {part for part, *_ in CONVERTERS})
WIDER_ONLY_METHODS = ("PROPFIND", "TRACE", "PURGE")


def _wider_features(scenario: dict) -> set[str]:
    sent = ["".join(c if isinstance(c, str) else c["data"] for c in client["send"]) for client in scenario["clients"]]
    app = scenario["app"]
    routes = list(app["routes"]) + [r for bp in app.get("blueprints", []) for r in bp["routes"]]
    found = set()
    for route in routes:
        rule = re.sub(r"v\d+(b?)>", lambda m: "{n}" + m.group(1) + ">", route["rule"])
        found |= {"part " + part for part in WIDER_ONLY_PARTS if "/" + part in rule + "/"}
        found |= {"route method " + m for m in route.get("methods", []) if m in WIDER_ONLY_METHODS}
        found |= {"view header " + ",".join(h) for h in WIDER_HEADER_SETS
                  if h.items() <= route["view"].get("headers", {}).items()}
    rules = [route["rule"] for route in app["routes"]]
    found |= {"two routes, one rule" for route in app["routes"]
              if route["view"] == {"text": "second view"} and rules.count(route["rule"]) > 1}
    for scaffold in (app, *app.get("blueprints", [])):
        found |= {"handler " + key for key in scaffold.get("errorhandlers", {}) if key in WIDER_ERROR_KEYS}
    found |= {"static " + name for name in app.get("static_files", {}) if name in WIDER_STATIC_NAMES}
    found |= {"poll_interval"} if "poll_interval" in scenario["server"] else set()
    wsgiref = for_variant(scenario, "wsgiref")
    found |= {"wsgiref demo_app"} if wsgiref["app"].get("kind") == "demo_app" else set()
    found |= {"wsgiref start"} if wsgiref["server"].get("start") == "handle_request" else set()
    found |= {"wsgiref timeout"} if "timeout" in wsgiref["server"] else set()
    found |= {"5+ clients"} if len(scenario["clients"]) > 4 else set()
    found |= {"send nothing, then " + c.get("then", "read") for c in scenario["clients"] if not c["send"]}
    for data in sent:
        found |= {"method " + m for m in WIDER_ONLY_METHODS if data.startswith(m + " ") and m != "TRACE"}
        marks = {"bare_lf": "\n" in data and not data.split("\n", 1)[0].endswith("\r"),
                 "fold": "X-Fold: a\r\n b\r\n" in data, "no_colon": "\r\nJunk line\r\n" in data,
                 "space_colon": "X-Space : 1" in data, "empty_name": "\r\n: empty" in data,
                 "long_header": "X-Long: aaaa" in data, "long_line": "p=" + "q" * 60_000 in data,
                 "many_headers": "X-N90: v" in data, "big body": "z" * 70_000 in data,
                 "two_lengths": "Content-Length: 0\r\nContent-Length: 4\r\n" in data}
        found |= {"target " + t for t in WIDER_TARGETS if f" {t} " in data.split("\n", 1)[0]}
        found |= {"host " + h for h in WIDER_HOSTS if f"\r\nHost: {h}\r\n" in data}
        found |= {"head " + name for name, hit in marks.items() if hit}
    return found


def test_the_wider_dimensions_are_drawn_and_leave_earlier_seeds_alone() -> None:
    """Seeds from WIDER_FROM also draw the dimensions added third (rules mixing text and
    variables, two views on one rule, more methods and error handler keys, odd request heads
    at http.client's limits, bodies past a kernel buffer, clients that send nothing, the
    loop's poll interval); earlier seeds keep their scenarios."""
    seen: Counter[str] = Counter()
    for seed in COVERAGE_SEEDS:
        seen.update(_wider_features(draw_scenario(random.Random(seed), random.Random(f"more-{seed}"),
                                                  random.Random(f"wider-{seed}"))))
        assert not _wider_features(draw_scenario(random.Random(seed), random.Random(f"more-{seed}")))
    expected = {"part " + part for part in WIDER_ONLY_PARTS} | {"two routes, one rule", "poll_interval", "5+ clients"}
    expected |= {"wsgiref demo_app", "wsgiref start", "wsgiref timeout"}
    expected |= {"head " + kind for kind in WIDER_HEADS} | {"head big body"}
    expected |= {"send nothing, then " + then for then in ("close", "reset", "read", "shutdown_write")}
    missing = expected - set(seen)
    assert not missing, f"never generated in {len(COVERAGE_SEEDS)} seeds: {sorted(missing)}"
    expected |= {"route method " + m for m in WIDER_ONLY_METHODS}
    for prefix, names in (("method ", ("PROPFIND", "PURGE")), ("target ", WIDER_TARGETS), ("host ", WIDER_HOSTS),
                          ("view header ", WIDER_HEADER_SETS),
                          ("handler ", WIDER_ERROR_KEYS), ("static ", WIDER_STATIC_NAMES)):
        assert len([k for k in seen if k.startswith(prefix)]) >= len(names) // 2, (prefix, sorted(seen))
