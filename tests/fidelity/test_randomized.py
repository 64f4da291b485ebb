"""Randomized differential tests: seeded random scenarios on the real stack and in the engine.

``SEEDS`` is a fixed set, each run on both variants (wz-nt, wz-t) with live recordings,
several at a time as in test_fidelity.py; ``OTHER_STACK_SEEDS`` run on Werkzeug 0.16 +
Flask 1.1 (without and with threads) and on wsgiref; ``EXTENDED_SEEDS``, ``WIDER_SEEDS`` and
``DEEPER_SEEDS`` (the later, the wider and the deeper dimensions) on all five, and
``DEEPER_CHOICE_SEEDS`` on the forking and reloader variants. Any seed at all: ``python -m
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
from sim.stacks import STACKS

from .compare import compare_live
from .corpus import VARIANTS, scenario_for
from .randomized import (
    CONVERTERS,
    DEEPER_ABORTS,
    DEEPER_APP_NAMES,
    DEEPER_BACKLOGS,
    DEEPER_BP_RULES,
    DEEPER_CHOICES,
    DEEPER_CLIENT_IDS,
    DEEPER_FROM,
    DEEPER_HEADER_SETS,
    DEEPER_JSON,
    DEEPER_MIMETYPES,
    DEEPER_RAISES,
    DEEPER_STATIC_NAMES,
    DEEPER_STATUSES,
    DEEPER_STREAM_CHUNKS,
    DEEPER_TEXTS,
    DEEPER_VERSIONS,
    DEEPER_WORDS,
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
#: seeds that also draw the dimensions added fourth (randomized.DEEPER_FROM), on every stack
DEEPER_SEEDS = range(DEEPER_FROM, DEEPER_FROM + 4)
#: deeper seeds whose DEEPER_CHOICES hold other ``processes`` and saved files, on the forking
#: and reloader variants they change
DEEPER_CHOICE_SEEDS = (DEEPER_FROM + 9, DEEPER_FROM + 10)
DEEPER_CHOICE_VARIANTS = ("wz-fork", "legacy-fork", "legacy-reload")
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


#: what runs live: each stream's seeds on the variants it is judged on
LIVE = [(seed, variant)
        for seeds, variants in ((SEEDS, RANDOM_VARIANTS), (OTHER_STACK_SEEDS, OTHER_STACK_VARIANTS),
                                (EXTENDED_SEEDS, EXTENDED_VARIANTS), (WIDER_SEEDS, EXTENDED_VARIANTS),
                                (DEEPER_SEEDS, EXTENDED_VARIANTS))
        for seed in seeds for variant in variants]


@pytest.mark.fidelity
@pytest.mark.parametrize(("seed", "variant"), LIVE)
def test_random_scenario_matches_real_stack(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    _assert_matches(seed, variant, randomized_recordings)


@pytest.mark.fidelity
@pytest.mark.parametrize("variant", DEEPER_CHOICE_VARIANTS)
@pytest.mark.parametrize("seed", DEEPER_CHOICE_SEEDS)
def test_random_scenario_with_deeper_choices_matches_forking_and_reloading(
    seed: int, variant: str, randomized_recordings: dict[str, Future[Recording]]
) -> None:
    # what these seeds are here for: other processes than 4, and files saved under the reloader
    server = for_variant(scenario_for_seed(seed), variant)
    assert server["server"].get("processes", 1) not in (1, 4) or server.get("file_changes")
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


def _strings(value: object) -> Iterator[str]:
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _drawn(value: object, options: list) -> bool:
    """`value` is one of `options`, of the same type (0 is not False, 1.0 is not 1)."""
    return any(type(value) is type(option) and value == option for option in options)


def _deeper_features(scenario: dict) -> set[str]:
    app = scenario["app"]
    routes = list(app["routes"]) + [r for bp in app.get("blueprints", []) for r in bp["routes"]]
    found = {"word " + w for route in routes for w in DEEPER_WORDS if w in route["rule"]}
    for route in routes:
        view = route["view"]
        if "json" in view and any("{" in text and not re.fullmatch(r"\{\w+\}", text)
                                  for text in _strings(view["json"])):
            found.add("placeholder in a string")
        found |= {name for name, hit in (
            ("text", _drawn(view.get("text"), DEEPER_TEXTS)),
            ("json", "json" in view and _drawn(view["json"], DEEPER_JSON)),
            ("stream", any(c in DEEPER_STREAM_CHUNKS for c in view.get("stream", []))),
            ("abort", view.get("abort") in DEEPER_ABORTS), ("raise", view.get("raise") in DEEPER_RAISES),
            ("status", _drawn(view.get("status"), DEEPER_STATUSES)),
            ("mimetype", view.get("mimetype") in DEEPER_MIMETYPES),
            ("headers", any(h.items() <= view.get("headers", {}).items() for h in DEEPER_HEADER_SETS)),
            ("methods", route.get("methods") in ([], ["GET", "get"], ["HEAD"], ["GET", "OPTIONS", "TRACE"])),
            ("name only", "endpoint" not in route), ("dotted endpoint", "." in route.get("endpoint", ""))) if hit}
    for bp in app.get("blueprints", []):
        found |= {"prefix variable"} if "<" in (bp.get("url_prefix") or "") else set()
        found |= {"relative blueprint rule"} if any(r["rule"] in DEEPER_BP_RULES for r in bp["routes"]) else set()
    found |= {"app name"} if app.get("name") in DEEPER_APP_NAMES else set()
    found |= {"static name"} if set(app.get("static_files", {})) & set(DEEPER_STATIC_NAMES) else set()
    for scaffold in (app, *app.get("blueprints", [])):
        for hook in scaffold.get("before_request", []):
            returns = hook.get("returns") or {}
            found |= {"before_request set_headers"} if "set_headers" in hook else set()
            found |= {"returns"} if (_drawn(returns.get("status"), DEEPER_STATUSES)
                                     or returns.get("text") in DEEPER_TEXTS
                                     or any(h.items() <= returns.get("headers", {}).items()
                                            for h in DEEPER_HEADER_SETS)) else set()
            found |= {"only_path decoded"} if not hook.get("only_path", "").isascii() else set()
        others = [*scaffold.get("after_request", []), *scaffold.get("teardown_request", []),
                  *scaffold.get("url_value_preprocessors", [])]
        found |= {"returns where unused"} if any("returns" in hook for hook in others) else set()
        for handler in scaffold.get("errorhandlers", {}).values():
            if (_drawn(handler.get("status"), DEEPER_STATUSES) or handler.get("text") in DEEPER_TEXTS
                    or any(h.items() <= handler.get("headers", {}).items() for h in DEEPER_HEADER_SETS)):
                found.add("error handler")
    found |= {"backlog"} if scenario["server"].get("backlog") in DEEPER_BACKLOGS else set()
    found |= {"choice " + key for key in scenario.get(DEEPER_CHOICES, {})}
    clients = scenario["clients"]
    found |= {"client ids"} if any(c["id"] in DEEPER_CLIENT_IDS for c in clients) else set()
    found |= {"clients out of order"} if [c["at"] for c in clients] != sorted(c["at"] for c in clients) else set()
    for client in clients:
        data = "".join(c if isinstance(c, str) else c["data"] for c in client["send"])
        line = data.split("\r\n", 1)[0]
        found |= {name for name, hit in (
            ("version", any(line.endswith(" " + v) for v in DEEPER_VERSIONS)),
            ("line leading_crlf", data.startswith("\r\n") and data != "\r\n"), ("line empty", data == "\r\n"),
            ("line extra_word", line.endswith(" extra")),
            ("line double_space", re.fullmatch(r"\S+  \S+  HTTP\S*", line) is not None),
            ("line tabs", "\t" in line), ("brace value", "%7B" in line)) if hit}
    return found


def test_the_deeper_dimensions_are_drawn_and_leave_earlier_seeds_alone() -> None:
    """Seeds from DEEPER_FROM also draw what no earlier stream drew (rule text beyond ASCII
    and how clients spell it, URL values inside JSON strings, url_prefix variables, method
    lists Flask completes, headers HTTP forbids, app names, hooks' unused fields, odd HTTP
    versions and request lines, client ids and order, backlogs, and the forking and
    reloader variants' processes, saved files and reloader timing), each in about one
    scenario in five or more; earlier seeds keep their scenarios."""
    seen: Counter[str] = Counter()
    for seed in COVERAGE_SEEDS:
        streams = [random.Random(seed), random.Random(f"more-{seed}"), random.Random(f"wider-{seed}")]
        seen.update(_deeper_features(draw_scenario(*streams, random.Random(f"deeper-{seed}"))))
        assert not _deeper_features(draw_scenario(random.Random(seed), random.Random(f"more-{seed}"),
                                                  random.Random(f"wider-{seed}")))
    expected = {"word " + w for w in DEEPER_WORDS} | {
        "placeholder in a string", "text", "json", "stream", "abort", "raise", "status", "mimetype", "headers",
        "methods", "name only", "dotted endpoint", "prefix variable", "relative blueprint rule", "app name",
        "static name", "before_request set_headers", "returns", "only_path decoded", "returns where unused",
        "error handler", "backlog", "client ids", "clients out of order", "version", "brace value",
        "choice processes", "choice file_changes", "choice reloader_interval", "choice reloader_spawn",
        "choice threaded_default"} | {"line " + kind for kind in ("leading_crlf", "empty", "extra_word",
                                                                    "double_space", "tabs")}
    missing = expected - set(seen)
    assert not missing, f"never generated in {len(COVERAGE_SEEDS)} seeds: {sorted(missing)}"
    rare = {key for key in expected if seen[key] < 5}
    assert not rare, f"drawn fewer than 5 times in {len(COVERAGE_SEEDS)} seeds: {sorted(rare)}"


def test_deeper_choices_apply_to_the_variants_they_concern() -> None:
    """DEEPER_CHOICES reach only the forking (``processes``) and reloader (saved files,
    interval, spawn) variants, and ``threaded`` is left out only where the start's default
    is what the variant runs."""
    seen: set[str] = set()
    for seed in range(DEEPER_FROM, DEEPER_FROM + 40):
        streams = [random.Random(seed), random.Random(f"more-{seed}"), random.Random(f"wider-{seed}")]
        document = draw_scenario(*streams, random.Random(f"deeper-{seed}"))
        choices = document[DEEPER_CHOICES]
        for variant in EXTENDED_VARIANTS + DEEPER_CHOICE_VARIANTS:
            scenario = for_variant(document, variant)
            sim.validate(scenario)
            server = scenario["server"]
            assert DEEPER_CHOICES not in scenario
            forking = variant.endswith("fork")
            assert server.get("processes", 1) == (choices.get("processes", 4) if forking else 1)
            reloading = variant.startswith("legacy-reload")
            assert scenario.get("file_changes") == (choices.get("file_changes") if reloading else None)
            if "threaded" not in server and "threaded" in VARIANTS[variant]:
                seen.add(variant)
                assert choices.get("threaded_default")
                assert STACKS[server["kind"]].runs_threads(server.get("start"), None) == (variant == "wz-t"
                                                                                          or variant == "legacy-t")
    assert {"wz-t", "wz-nt"} <= seen
