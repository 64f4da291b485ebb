"""``sim.stack.werkzeug_routing`` against real Werkzeug: the same rules (added through a real
Flask app, as the engine's are), the same paths and methods, the same outcome: the rule and
its converted values, 404, 405 with ``Allow`` in the real set order, or the strict-slash
redirect. The real side runs with ``PYTHONHASHSEED=0`` (``Allow`` is a set's order)."""

from __future__ import annotations

import random

import pytest
from simhelpers import run_hashseed0

from sim.stack.werkzeug_routing import Map, MethodNotAllowed, NotFound, RequestRedirect, Rule, rule_methods

UUID = "12345678-1234-5678-1234-567812345678"

# (rule, methods or None for Flask's default, strict_slashes)
BASIC = [
    ("/", None, True), ("/items/<int:id>", None, True), ("/items/new", ["GET", "POST"], True),
    ("/items/<int:id>/edit", ["PUT"], True), ("/f/<float:x>", None, True), ("/u/<uuid:u>", None, True),
    ("/p/<path:rest>", None, True), ("/s/<name>", ["GET", "DELETE"], True),
    ("/a/<any(red, blue):color>", None, True), ("/dir/", None, True), ("/post", ["POST"], True),
    ("/multi", ["GET"], True), ("/multi", ["POST", "PUT"], True), ("/opt", ["OPTIONS", "PATCH"], True),
]
BASIC_PATHS = ["/", "/items/7", "/items/007", "/items/-1", "/items/new", "/items/7.5", "/items/7/edit",
               "/items", "/items/", "/f/1.5", "/f/1", "/f/.5", f"/u/{UUID}", f"/u/{UUID.upper()}", "/u/bad",
               "/p/a/b/c", "/p/a/", "/p/", "/p", "/s/x", "/s/x/", "/s/", "/a/red", "/a/blue", "/a/green",
               "/dir/", "/post", "/multi", "/opt",
               "/static/app.css", "/static/", "/static", "/nowhere", "/items/\u0663"]
OVERLAPS = [
    ("/<name>", None, True), ("/about", None, True), ("/<int:n>", ["POST"], True),
    ("/x/<path:p>", None, True), ("/x/<name>/y", ["PUT"], True), ("/x/fixed", ["DELETE"], True),
    ("/<a>/<b>", None, True), ("/c/<any(x, y):k>", None, True), ("/c/<name>", ["PATCH"], True),
]
OVERLAP_PATHS = ["/about", "/42", "/anything", "/x/a/y", "/x/a/b/y", "/x/fixed", "/x/", "/q/r", "/c/x",
                 "/c/z", "/c/x/"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PURGE", "PROPFIND"]
QUERY_METHODS = ["GET", "HEAD", "POST", "DELETE", "OPTIONS", "BREW"]


def random_method_sets(seed: int) -> list[tuple]:
    """Several rules for one path with random method lists: ``have_match_for`` merges them."""
    rng = random.Random(seed)
    rules = [("/r", rng.sample(METHODS, rng.randint(1, 6)), True) for _ in range(rng.randint(1, 4))]
    rules.append(("/r/<int:n>", rng.sample(METHODS, rng.randint(1, 4)), True))
    rules.append(("/<path:any>", rng.sample(METHODS, rng.randint(1, 3)), True))
    return rules


# -- random rule sets -----------------------------------------------------------------------
# Each converter spelling with values for it: some it takes, some it refuses (by regex or by
# to_python), so paths probe both the state machine and the converters' arguments.
CONVERTER_SAMPLES = [
    ("<int:{v}>", ["7", "007", "-3", "12345", "x", "1.5"]),
    ("<int(min=2, max=50):{v}>", ["1", "2", "50", "51", "-4"]),
    ("<int(fixed_digits=3):{v}>", ["042", "42", "4200"]),
    ("<int(signed=True):{v}>", ["-3", "3", "--3"]),
    ("<int(4, min=1000):{v}>", ["0999", "1000", "0010"]),
    ("<int(min=1, ):{v}>", ["5"]),                      # "1," is a string: TypeError per request
    ("<float:{v}>", ["1.5", "1", "-1.5", "0.0"]),
    ("<float(signed=True, max=9.5):{v}>", ["-1.5", "9.5", "9.75"]),
    ("<string(length=2):{v}>", ["ab", "abc", "a"]),
    ("<string(minlength=2, maxlength=3):{v}>", ["a", "ab", "abcd"]),
    ("<string(minlength=0):{v}>", ["", "q"]),
    ("<{v}>", ["x", "hello", "7"]),
    ("<path:{v}>", ["a", "a/b", "a/b/", "7"]),
    ("<uuid:{v}>", [UUID, UUID.upper(), "1234"]),
    ("<any(a, b, 'c,d'):{v}>", ["a", "b", "c,d", "c", "e"]),
    ("<any(1,2):{v}>", ["1", "2", "1,2"]),
    ("<path(x=1):{v}>", ["q/r"]),
    ("<int(foo=1):{v}>", ["1"]),                         # Flask refuses it at startup
]
STATICS = ["a", "b", "items", "x", "7", "1.5"]


def random_routing_case(seed: int) -> tuple[list[tuple], list[str]]:
    """Rules built from random segments (static, converters with arguments, mixed ones like
    ``v<int:n>`` or ``<a>.<b>``), random methods and strict_slashes; paths instantiated from
    them, with slashes added, dropped and doubled."""
    rng = random.Random(seed)
    pool = [spec for spec in CONVERTER_SAMPLES if "foo" not in spec[0]]
    if rng.random() < 0.1:
        pool = CONVERTER_SAMPLES
    rules: list[tuple] = []
    templates: list[list[list[str]]] = []
    for _ in range(rng.randint(2, 9)):
        segments: list[str] = []
        choices: list[list[str]] = []
        for depth in range(rng.randint(1, 3)):
            kind = rng.random()
            var = f"v{depth}"
            if kind < 0.45:
                word = rng.choice(STATICS)
                segments.append(word)
                choices.append([word, rng.choice(STATICS)])
            elif kind < 0.9:
                spell, values = rng.choice(pool)
                segments.append(spell.format(v=var))
                choices.append(values)
            else:
                spell, values = rng.choice(pool)
                segments.append("v" + spell.format(v=var) + ".json")
                choices.append(["v" + value + ".json" for value in values] + ["v1"])
        rule = "/" + "/".join(segments) + ("/" if rng.random() < 0.35 else "")
        methods = None if rng.random() < 0.5 else rng.sample(METHODS, rng.randint(1, 3))
        rules.append((rule, methods, rng.random() < 0.75))
        templates.append(choices)
    paths = {"/", "//", "/static/x.css"}
    for choices in templates:
        for _ in range(4):
            path = "/" + "/".join(rng.choice(options) for options in choices)
            roll = rng.random()
            if roll < 0.25:
                path += "/"
            elif roll < 0.35:
                path = path.replace("/", "//", 1)
            elif roll < 0.45 and path.count("/") > 1:
                path = path.rsplit("/", 1)[0]
            paths.add(path)
    return rules, sorted(paths)


RANDOM_SEEDS = range(60)

CASES = {
    "basic": (BASIC, BASIC_PATHS),
    "overlaps": (OVERLAPS, OVERLAP_PATHS),
    # The redirect to the slashed rule happens only when that rule takes the method, and it
    # is tried before a 405 for the unslashed path (matcher.py: ``SlashRequired``).
    "strict-slash-redirect": ([("/dir/", None, True), ("/slash/", ["POST"], True), ("/slash", ["PUT"], True)],
                              ["/dir", "/dir/", "/slash", "/slash/"]),
    # A branch rule whose converter takes "": "/" redirects to "//", which make_redirect_url
    # turns back into "/" (it strips the path's leading slashes). Found by seed 1008 of
    # random_routing_case in a long run.
    "empty-value-branch": ([("/<string(minlength=0):v>/", None, True), ("/<v>/x", None, True)],
                           ["/", "//", "/a", "//x", "/a/x"]),
    # The redirect's path is quoted (safe: the URL path-segment set).
    "quoted-redirect": ([("/<name>/", None, True), ("/p/<path:rest>/", None, True)],
                        ["/\u00fc", "/a b", "/p/x y/\u4e2d", "/a;b=c@d", "/%", "/p/a:b"]),
    # strict_slashes=False: the branch rule matches without its slash too.
    "non-strict-slashes": ([("/nostrict/", None, False), ("/leaf", None, False)],
                           ["/nostrict", "/nostrict/", "/leaf", "/leaf/"]),
}
CASES.update({f"random-{seed}": random_routing_case(seed) for seed in RANDOM_SEEDS})
CASES.update({f"methods-{seed}": (random_method_sets(seed), ["/r", "/r/5", "/zzz"]) for seed in range(12)})

REAL = """
import json, sys, urllib.parse
import flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
out = []
for rules, queries in json.load(sys.stdin):
    app = flask.Flask("routingcase")
    try:
        for n, (rule, methods, strict) in enumerate(rules):
            app.add_url_rule(rule, endpoint=f"e{n}", methods=methods, strict_slashes=strict)
    except Exception as err:
        out.append([["startup", type(err).__name__]] * len(queries))
        continue
    adapter = app.url_map.bind("localhost")
    results = []
    for path, method in queries:
        if method is None:
            results.append(["allowed", adapter.allowed_methods(path)])
            continue
        try:
            rule, values = adapter.match(path, method, return_rule=True)
            results.append(["match", rule.endpoint, repr(values)])
        except RequestRedirect as err:
            results.append(["redirect", urllib.parse.urlsplit(err.new_url).path])
        except MethodNotAllowed as err:
            results.append(["405", list(err.valid_methods)])
        except NotFound:
            results.append(["404"])
        except Exception as err:
            results.append(["error", type(err).__name__])
    out.append(results)
print(json.dumps(out))
"""


def sim_map(rules: list[tuple]) -> Map:
    """The rules as the engine's Flask builds them: the static route first."""
    built = [Rule("/static/<path:filename>", "static", *rule_methods(None))]
    for n, (rule, methods, strict) in enumerate(rules):
        method_set, automatic = rule_methods(methods)
        built.append(Rule(rule, f"e{n}", method_set, strict, automatic))
    return Map(built)


def sim_outcomes(rules: list[tuple], queries: list[tuple[str, str | None]]) -> list[list]:
    try:
        url_map = sim_map(rules)
    except Exception as err:  # what Flask's startup raises, by class
        return [["startup", type(err).__name__]] * len(queries)
    return [sim_outcome(url_map, path, method) for path, method in queries]


def sim_outcome(url_map: Map, path: str, method: str | None) -> list:
    if method is None:
        return ["allowed", url_map.allowed_methods(path)]
    try:
        rule, values = url_map.match(path, method)
    except RequestRedirect as err:
        return ["redirect", err.new_path]
    except MethodNotAllowed as err:
        return ["405", list(err.valid_methods)]
    except NotFound:
        return ["404"]
    except TypeError as err:  # a converter's bad argument type, per request
        return ["error", type(err).__name__]
    return ["match", rule.endpoint, repr(values)]


def queries(paths: list[str]) -> list[tuple[str, str | None]]:
    return [(path, method) for path in paths for method in [*QUERY_METHODS, None]]


@pytest.fixture(scope="module")
def real_outcomes() -> dict[str, list]:
    names = list(CASES)
    payload = [(CASES[name][0], queries(CASES[name][1])) for name in names]
    return dict(zip(names, run_hashseed0(REAL, payload), strict=True))


def unordered(outcome: list) -> list:
    """An outcome with its method list sorted: what it is, whatever the ``Allow`` order."""
    return [outcome[0], sorted(outcome[1])] if outcome[0] in ("405", "allowed") else outcome


def compared(name: str, real_outcomes: dict) -> list[tuple]:
    """(path, method, sim's outcome, real outcome) for every query of a case."""
    rules, paths = CASES[name]
    asked = queries(paths)
    return [(path, method, sim, real)
            for (path, method), sim, real in zip(asked, sim_outcomes(rules, asked), real_outcomes[name],
                                                 strict=True)]


@pytest.mark.parametrize("name", list(CASES))
def test_outcomes_equal_real_werkzeug(name, real_outcomes):
    wrong = [row for row in compared(name, real_outcomes) if unordered(row[2]) != unordered(row[3])]
    assert not wrong, wrong[:5]


def test_allow_order_equals_real_werkzeug(real_outcomes):
    """Werkzeug matches twice when the first pass fails (``merge_slashes``), so each rule's
    methods are merged into ``have_match_for`` twice, and the second merge resizes the set."""
    wrong = [(name, *row) for name in CASES for row in compared(name, real_outcomes)
             if unordered(row[2]) == unordered(row[3]) and row[2] != row[3]]
    assert not wrong, wrong[:5]


# -- the hand-written parts against the installed Werkzeug -------------------------------------

ARGUMENT_STRINGS = [
    "", "3", "min=1", "min=1, max=5", "min=1, ", "1,2", "a, b, 'c,d'", "u'x', R\"y\"", "True, None, False",
    "fixed_digits=4, signed=True", "1.5", "1x2", "min=-3", "x = 7 , y=8", "a,,b", "'unterminated", "1.",
    "length=2", "foo.bar", "  spaced  ,  out  ", "min=1)junk",
]


def _parse_outcome(parse, argstr: str) -> list:
    try:
        args, kwargs = parse(argstr)
    except ValueError as err:
        return ["error", str(err)]
    return [[repr(a) for a in args], {k: repr(v) for k, v in kwargs.items()}]


@pytest.mark.parametrize("argstr", ARGUMENT_STRINGS)
def test_parse_converter_args_equals_werkzeug(argstr):
    from werkzeug.routing.rules import parse_converter_args as real

    from sim.stack.werkzeug_routing import parse_converter_args

    assert _parse_outcome(parse_converter_args, argstr) == _parse_outcome(real, argstr)


def test_rule_regexes_equal_werkzeug():
    """The two regexes copied from ``werkzeug.routing.rules`` (there VERBOSE) match alike."""
    import re as re_

    from werkzeug.routing import rules

    from sim.stack.werkzeug_routing import CONVERTER_ARGS_RE, PART_RE

    real_part = re_.compile(rules._part_re.pattern, re_.VERBOSE)
    real_args = re_.compile(rules._converter_args_re.pattern, re_.VERBOSE)
    rng = random.Random(7)
    alphabet = "/<>():,=ab_1.' \"-"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    texts += ["<int(min=1):n>", "<x>", "/a/", "<a(b):c>", "x=1,", "'a,b',", "True,"]
    for text in texts:
        for ours, real in ((PART_RE, real_part), (CONVERTER_ARGS_RE, real_args)):
            mine, theirs = ours.match(text), real.match(text)
            assert (mine and mine.groupdict()) == (theirs and theirs.groupdict()), (text, ours.pattern)


CONVERTER_SPECS = [
    ("default", ""), ("string", "length=2"), ("string", "minlength=0"), ("string", "2, 5"),
    ("string", "maxlength=3"), ("any", "a, b, 'c.d'"), ("path", ""), ("path", "x=1"), ("int", ""),
    ("int", "signed=True"), ("int", "4, min=1"), ("float", ""), ("float", "signed=True, max=2"),
    ("uuid", ""), ("uuid", "3"),
]


@pytest.mark.parametrize(("name", "argstr"), CONVERTER_SPECS)
def test_converters_equal_werkzeug(name, argstr):
    """Regex, weight and part_isolating of each converter, and ``to_python`` over values."""
    from werkzeug.routing import Map as RealMap
    from werkzeug.routing.converters import DEFAULT_CONVERTERS as REAL
    from werkzeug.routing.converters import ValidationError as RealInvalid

    from sim.stack.werkzeug_routing import ValidationError, get_converter, parse_converter_args

    args, kwargs = parse_converter_args(argstr)
    ours = get_converter(name, args, kwargs)
    real = REAL[name](RealMap(), *args, **kwargs)
    assert (ours.regex, ours.weight, ours.part_isolating) == (real.regex, real.weight, real.part_isolating)
    for value in ["5", "-5", "0005", "1.5", "-2.5", "ab", "c.d", UUID, "x"]:
        outcomes = []
        for conv, invalid in ((ours, ValidationError), (real, RealInvalid)):
            try:
                outcomes.append(repr(conv.to_python(value)))
            except invalid:
                outcomes.append("invalid")
            except (TypeError, ValueError) as err:
                outcomes.append(type(err).__name__)
        assert outcomes[0] == outcomes[1], (value, outcomes)


def test_random_comparisons_cover_every_outcome(real_outcomes):
    """The random rule sets do reach matches, 404s, 405s, redirects, per-request errors and
    startup failures (so the comparison above is not vacuous)."""
    seen = {outcome[0] for name in CASES if name.startswith("random-") for outcome in real_outcomes[name]}
    assert seen >= {"match", "404", "405", "redirect", "error", "startup", "allowed"}
