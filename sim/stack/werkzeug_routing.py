"""``werkzeug.routing``: rules, converters, and ``MapAdapter.match``.

Matching follows the outcome of Werkzeug 3.1's ``StateMachineMatcher`` for the rules a
scenario can declare: segment by segment, static parts win over converters, converters by
weight (int/float 50, string/any/uuid 100, path 200), and a rule whose path matches but whose
methods do not adds its methods to ``have_match_for`` (405 instead of 404). A rule ending in
``/`` asked for without it redirects (308), as ``strict_slashes`` does. Rough spot: the real
matcher's tie-breaks between two dynamic rules of equal weight are by definition order here.

``Rule.methods`` is a :class:`~sim._pyset.HashSet`, so ``Allow`` lists methods in the real
set's order.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .._pyset import HashSet
from ..scenario import RULE_PART


@dataclass(frozen=True, slots=True)
class Converter:
    name: str
    regex: str
    weight: int
    args: tuple[str, ...] = ()

    def to_python(self, value: str) -> Any:
        """Raise ValueError when the value does not convert (``ValidationError``)."""
        if self.name == "int":
            return int(value)
        if self.name == "float":
            return float(value)
        if self.name == "uuid":
            return uuid.UUID(value)
        return value


def make_converter(name: str, args: str | None) -> Converter:
    if name == "int":
        return Converter("int", r"\d+", 50)
    if name == "float":
        return Converter("float", r"\d+\.\d+", 50)
    if name == "path":
        return Converter("path", r"[^/].*?", 200)
    if name == "uuid":
        return Converter(
            "uuid",
            r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}",
            100,
        )
    if name == "any":
        items = tuple(item.strip().strip("'\"") for item in (args or "").split(",") if item.strip())
        return Converter("any", "(?:" + "|".join(re.escape(i) for i in items) + ")", 100, items)
    return Converter("string", r"[^/]+", 100)


@dataclass(slots=True, eq=False)
class Rule:
    rule: str
    endpoint: str
    methods: HashSet
    strict_slashes: bool = True
    provide_automatic_options: bool = True
    converters: dict[str, Converter] = field(default_factory=dict)
    regex: re.Pattern[str] = field(init=False)
    sort_key: tuple = field(init=False)

    def __post_init__(self) -> None:
        pattern = []
        key = []
        pos = 0
        for part in RULE_PART.finditer(self.rule):
            static = self.rule[pos : part.start()]
            pattern.append(re.escape(static))
            key.extend((0, 0) for _ in static.strip("/").split("/") if _)
            conv = make_converter(part["converter"] or "default", part["args"])
            self.converters[part["variable"]] = conv
            pattern.append(f"(?P<{part['variable']}>{conv.regex})")
            key.append((1, conv.weight))
            pos = part.end()
        tail = self.rule[pos:]
        pattern.append(re.escape(tail))
        key.extend((0, 0) for _ in tail.strip("/").split("/") if _)
        self.regex = re.compile("^" + "".join(pattern) + "$")
        self.sort_key = tuple(key)

    @property
    def is_branch(self) -> bool:
        return self.rule.endswith("/") and self.rule != "/"

    def match_path(self, path: str) -> dict[str, Any] | None:
        found = self.regex.match(path)
        if found is None:
            return None
        values = {}
        for name, conv in self.converters.items():
            try:
                values[name] = conv.to_python(found[name])
            except ValueError:
                return None
        return values


def rule_methods(methods: list[str] | None) -> tuple[HashSet, bool]:
    """The method set Flask's ``add_url_rule`` hands to ``Rule``, and whether OPTIONS is
    automatic; replays the real sequence of set operations (see ``sim._pyset``)."""
    flask_methods = HashSet([m.upper() for m in (methods or ["GET"])])
    required = HashSet()
    automatic = "OPTIONS" not in flask_methods
    if automatic:
        required.add("OPTIONS")
    flask_methods.update(required)
    rule_set = flask_methods.copy_comprehension()
    if "HEAD" not in rule_set and "GET" in rule_set:
        rule_set.add("HEAD")
    return rule_set, automatic


class NotFound(Exception):
    pass


class MethodNotAllowed(Exception):
    def __init__(self, valid_methods: list[str]) -> None:
        super().__init__(valid_methods)
        self.valid_methods = valid_methods


class RequestRedirect(Exception):
    def __init__(self, new_path: str) -> None:
        super().__init__(new_path)
        self.new_path = new_path


class Map:
    def __init__(self, rules: list[Rule]) -> None:
        # Static segments before converters, lighter converters first, then definition order.
        self.rules = sorted(rules, key=lambda r: r.sort_key)

    def match(self, path: str, method: str) -> tuple[Rule, dict[str, Any]]:
        """``MapAdapter.match``: the rule and its values, or NotFound / MethodNotAllowed /
        RequestRedirect. Like ``StateMachineMatcher.match``, a path that matches no rule for
        this method is tried a second time with its slashes merged (``merge_slashes``), so
        every path-matching rule's methods are added to ``have_match_for`` twice (the
        second ``update`` resizes the set, which is visible in ``Allow``)."""
        have_match_for = HashSet()
        found = self._match_pass(path, method, have_match_for)
        if found is None:
            merged = re.sub("/{2,}", "/", path)
            found = self._match_pass(merged, method, have_match_for)
            if found is not None:
                raise RequestRedirect(merged)
            if len(have_match_for):
                raise MethodNotAllowed(list(have_match_for))
            raise NotFound()
        return found

    def _match_pass(self, path: str, method: str,
                    have_match_for: HashSet) -> tuple[Rule, dict[str, Any]] | None:
        """One ``_match``: rules ending here, then a branch rule one slash further (redirect
        to it under ``strict_slashes``), then a leaf rule one slash shorter (only without
        ``strict_slashes``)."""
        found = _first_allowing(self.rules, path, method, have_match_for)
        if found is not None:
            return found
        if not path.endswith("/"):
            for rule in self.rules:
                if rule.is_branch and method in rule.methods:
                    values = rule.match_path(path + "/")
                    if values is not None:
                        if rule.strict_slashes:
                            raise RequestRedirect(path + "/")
                        return rule, values
        elif path != "/":
            leaves = [rule for rule in self.rules if not (rule.strict_slashes or rule.is_branch)]
            return _first_allowing(leaves, path[:-1], method, have_match_for)
        return None

    def allowed_methods(self, path: str) -> list[str]:
        """``MapAdapter.allowed_methods``: ``match`` with method ``--``."""
        try:
            self.match(path, "--")
        except MethodNotAllowed as err:
            return err.valid_methods
        except (NotFound, RequestRedirect):
            return []
        return []


def _first_allowing(rules: list[Rule], path: str, method: str,
                    have_match_for: HashSet) -> tuple[Rule, dict[str, Any]] | None:
    """The first rule matching ``path`` that allows ``method``; the methods of those that
    match but do not allow it go into ``have_match_for``."""
    for rule in rules:
        values = rule.match_path(path)
        if values is None:
            continue
        if method not in rule.methods:
            have_match_for.update(rule.methods)
            continue
        return rule, values
    return None
