"""``werkzeug.routing`` of Werkzeug 0.16.1: one regular expression per rule, tried in order.

Read beside ``werkzeug/routing.py`` of 0.16.1 (``parse_rule``, ``parse_converter_args``,
``Rule.compile``, ``Rule.match``, ``Rule.match_compare_key``, ``Map.update``,
``Map.bind_to_environ``, ``MapAdapter.match``, ``make_redirect_url``).

Theory of operation. 0.16 has no state machine (Werkzeug 2.2 brought it). Each rule compiles
to one regex over ``"<subdomain>|<path>"``; a branch rule (``/a/``) or one with
``strict_slashes=False`` ends in ``(?<!/)(?P<__suffix__>/?)``, so its slash is optional. The
map sorts its rules once by ``match_compare_key`` (rules without arguments first, then more
static pieces, then the pieces' positions and lengths, then more converters, then lighter
ones; the sort is stable, so ties keep definition order) and ``MapAdapter.match`` tries them
in that order: the first rule whose regex matches and whose converters accept the values
wins. A rule that matches but not the method adds its methods to ``have_match_for`` (a later
405). A branch rule matched without its slash, for a method it allows, raises
``RequestSlash`` at once: the 308 redirect to the path with a slash. So the order of the
rules, not the shape of the path, decides: ``/café`` with ``strict_slashes=False`` can take
``/café/`` before the rule ``/café/`` is tried, where Werkzeug 3's matcher prefers the exact
one. There are no merged slashes in 0.16.

The converters are Werkzeug 3's (``werkzeug_routing``): 0.16's have the same regexes,
weights and arguments (``signed`` came in 0.15), except that 0.16's ``BaseConverter.__init__``
takes the map alone, so ``path`` and ``uuid`` take no arguments (3.x's take any and ignore
them): ``<path(x=1):p>`` fails while the app is built (see :func:`get_converter`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from .._pyset import HashSet
from . import werkzeug_routing
from .werkzeug_routing import (
    BaseConverter,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    ValidationError,
    _pythonize,
    allowed_methods,
)

#: ``routing._rule_re``: static text, then ``<converter(arguments):variable>``
RULE_RE = re.compile(
    r"(?P<static>[^<]*)<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?\:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
#: ``routing._converter_args_re`` (no leading ``\s*``, unlike 3.x; and no check of the gaps)
CONVERTER_ARGS_RE = re.compile(
    r"((?P<name>\w+)\s*=\s*)?(?P<value>True|False|\d+.\d+|\d+.|\d+|[\w\d_.]+|"
    r"[urUR]?(?P<stringval>\"[^\"]*?\"|'[^']*'))\s*,",
    re.UNICODE,
)


def parse_converter_args(argstr: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """0.16's ``parse_converter_args``: what does not parse is skipped, silently."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for item in CONVERTER_ARGS_RE.finditer(argstr + ","):
        value = item.group("stringval")
        if value is None:
            value = item.group("value")
        if item.group("name"):
            kwargs[item.group("name")] = _pythonize(value)
        else:
            args.append(_pythonize(value))
    return tuple(args), kwargs


def parse_rule(rule: str) -> Iterator[tuple[str | None, str | None, str]]:
    """``routing.parse_rule``: ``(converter, arguments, variable)``, converter None for
    static text."""
    pos = 0
    used_names: set[str] = set()
    while pos < len(rule):
        m = RULE_RE.match(rule, pos)
        if m is None:
            break
        data = m.groupdict()
        if data["static"]:
            yield None, None, data["static"]
        variable = data["variable"]
        if variable in used_names:
            raise ValueError(f"variable name {variable!r} used twice.")
        used_names.add(variable)
        yield data["converter"] or "default", data["args"] or None, variable
        pos = m.end()
    if pos < len(rule):
        remaining = rule[pos:]
        if ">" in remaining or "<" in remaining:
            raise ValueError(f"malformed url rule: {rule!r}")
        yield None, None, remaining


#: converters that keep 0.16's ``BaseConverter.__init__(self, map)``: no arguments of their own
NO_ARGUMENTS = frozenset({"path", "uuid"})


def get_converter(converter_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> BaseConverter:
    """``Rule.get_converter`` of 0.16: ``converters[name](self.map, *args, **kwargs)``, where
    ``path`` and ``uuid`` inherit ``__init__(self, map)``: any argument is a TypeError."""
    if converter_name in NO_ARGUMENTS and (args or kwargs):
        given = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
        cls = werkzeug_routing.DEFAULT_CONVERTERS[converter_name].__name__
        raise TypeError(f"{cls}.__init__() takes only the map, not ({given})")
    return werkzeug_routing.get_converter(converter_name, args, kwargs)


class RequestSlash(Exception):
    """``routing.RequestSlash``: the map turns it into the trailing-slash redirect."""


class Rule:
    """``routing.Rule`` as Flask 1.1's ``add_url_rule`` makes it, bound to the map at once
    (``Rule.bind`` -> ``compile``)."""

    def __init__(self, string: str, endpoint: str, methods: HashSet, strict_slashes: bool = True,
                 provide_automatic_options: bool = True) -> None:
        if not string.startswith("/"):
            raise ValueError("urls must start with a leading slash")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.endpoint = endpoint
        self.methods = methods
        self.strict_slashes = strict_slashes
        #: set by Flask's add_url_rule on the rule object
        self.provide_automatic_options = provide_automatic_options
        self.arguments: set[str] = set()
        self._converters: dict[str, BaseConverter] = {}
        self._static_weights: list[tuple[int, int]] = []
        self._argument_weights: list[int] = []
        self._regex = self.compile()

    @property
    def converters(self) -> dict[str, BaseConverter]:
        return self._converters

    def __repr__(self) -> str:
        return f"<Rule {self.rule!r} -> {self.endpoint}>"

    def _build_regex(self, rule: str) -> str:
        parts = []
        for index, (converter, arguments, variable) in enumerate(parse_rule(rule)):
            if converter is None:
                parts.append(re.escape(variable))
                self._static_weights.extend((index, -len(piece)) for piece in variable.split("/") if piece)
            else:
                c_args, c_kwargs = parse_converter_args(arguments) if arguments else ((), {})
                convobj = get_converter(converter, c_args, c_kwargs)
                parts.append(f"(?P<{variable}>{convobj.regex})")
                self._converters[variable] = convobj
                self._argument_weights.append(convobj.weight)
                self.arguments.add(variable)
        return "".join(parts)

    def compile(self) -> re.Pattern[str]:
        """``Rule.compile``: the (empty) subdomain, ``\\|``, the path without its trailing
        slash; the optional-slash suffix for a branch or a non-strict rule."""
        path_regex = self._build_regex(self.rule if self.is_leaf else self.rule.rstrip("/"))
        suffix = "(?<!/)(?P<__suffix__>/?)" if not self.is_leaf or not self.strict_slashes else ""
        return re.compile(rf"^\|{path_regex}{suffix}$", re.UNICODE)

    def match(self, path: str, method: str) -> dict[str, Any] | None:
        """``Rule.match``: the converted values, None, or RequestSlash."""
        m = self._regex.search(path)
        if m is None:
            return None
        groups = m.groupdict()
        if (self.strict_slashes and not self.is_leaf and not groups.pop("__suffix__")
                and method in self.methods):
            raise RequestSlash()
        if not self.strict_slashes:
            del groups["__suffix__"]
        result = {}
        for name, value in groups.items():
            try:
                result[name] = self._converters[name].to_python(value)
            except ValidationError:
                return None
        return result

    def match_compare_key(self) -> tuple:
        return (bool(self.arguments), -len(self._static_weights), self._static_weights,
                -len(self._argument_weights), self._argument_weights)


class Map:
    """``Map`` with Flask 1.1's settings (strict slashes), bound as Flask binds it (no
    subdomain). ``rules`` keeps definition order; matching uses ``match_compare_key`` order
    (``Map.update``, which the first match runs)."""

    def __init__(self, rules: list[Rule]) -> None:
        self._definition = list(rules)
        self._rules = sorted(rules, key=Rule.match_compare_key)
        #: (path_info, method) -> the rule and values it matched (as in Werkzeug 3's ``Map``)
        self._matched: dict[tuple[str, str], tuple[Rule, dict[str, Any]]] = {}

    @property
    def rules(self) -> list[Rule]:
        return self._definition

    def match(self, path_info: str, method: str) -> tuple[Rule, dict[str, Any]]:
        """``MapAdapter.match(return_rule=True)``: the first rule in order that takes the
        path and the method, or NotFound / MethodNotAllowed / RequestRedirect (its
        ``new_path`` quoted as ``url_quote(path_info, safe="/:|+") + "/"``). A match is
        kept: the rules do not change, so the same path matches the same way again."""
        found = self._matched.get((path_info, method))
        if found is not None:
            return found[0], dict(found[1])
        path = "|" + (f"/{path_info.lstrip('/')}" if path_info else "")
        have_match_for = HashSet()
        for rule in self._rules:
            try:
                values = rule.match(path, method)
            except RequestSlash:
                new_path = quote(path_info, safe="/:|+") + "/"
                raise RequestRedirect("/" + new_path.lstrip("/")) from None
            if values is None:
                continue
            if method not in rule.methods:
                have_match_for.update(rule.methods)
                continue
            self._matched[path_info, method] = (rule, values)
            return rule, dict(values)
        if len(have_match_for):
            raise MethodNotAllowed(list(have_match_for))
        raise NotFound()

    def allowed_methods(self, path_info: str) -> list[str]:
        return allowed_methods(self.match, path_info)
