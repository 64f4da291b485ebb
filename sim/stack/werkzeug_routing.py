"""``werkzeug.routing`` (3.1): converters, ``Rule`` compilation, ``StateMachineMatcher``, and
``MapAdapter.match`` as Flask calls it.

Read beside the installed package: ``converters.py`` (the converter classes, same names and
arguments), ``rules.py`` (``parse_converter_args``, ``Rule._parse_rule`` cutting a rule into
``RulePart``\\ s with their ``Weighting``, ``Rule.compile``), ``matcher.py`` (the state
machine) and ``map.py`` (``Map.add``, ``MapAdapter.match``, ``allowed_methods``).

Theory of operation. A rule is cut at its slashes into parts; a part is *static* (its text)
or *dynamic* (a regex with one group per converter). A part whose converter matches slashes
(``path``) is *final*: it takes the whole rest of the path, slashes and all. Every rule is a
walk through a tree of states from the root: one static transition per distinct text, one
dynamic transition per distinct part (equal content, flags and weight share a state). After
all rules are added, each state's dynamic transitions are sorted by their ``Weighting``
(stable, so equal weights keep definition order). Matching walks the request's parts
depth-first: at each state the static transition first, then the dynamic ones in weight
order, backtracking on failure. At the end of the path, the rules of the state are tried in
definition order; one whose methods do not include the request's adds them to
``have_match_for`` (a later 405). Failing that, a branch rule one ``""`` part further that
allows the method raises ``SlashRequired`` (the strict-slash redirect) at once, abandoning
every other alternative. Converters' ``to_python`` runs only after a rule is chosen, so a
value that fails it (``int(max=5)`` given 9) is a 404, not a try of the next rule. If nothing
matched, the path is matched again with its slashes merged (``merge_slashes``); a match then
is a redirect to the merged path.

What is left out, because no scenario can declare it: websockets, subdomains and host
matching (the domain part is always ``""``), rule defaults, ``redirect_to`` and aliases, and
URL building. The matcher recurses once per part it consumes, so its depth is bounded by the
deepest rule, not by the path (a final ``path`` part takes any number of segments at once);
rules are limited to :data:`MAX_RULE_PARTS` parts so that it stays far from Python's
recursion limit (the real one would fail near a thousand, at a depth that depends on the
calling thread's stack).

``Rule.methods`` is a :class:`~sim._pyset.HashSet`, so ``Allow`` lists methods in the real
set's order.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from .._pyset import HashSet

# -- converters (``werkzeug/routing/converters.py``) ----------------------------------------


class ValidationError(ValueError):
    """A converter refuses a value: the rule does not match (here: the request is a 404)."""


class BaseConverter:
    """Takes any arguments, as the real one does (so ``path(x=1)`` and ``uuid(3)`` build)."""

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def to_python(self, value: str) -> Any:
        return value


class UnicodeConverter(BaseConverter):
    """``default`` and ``string``: one segment, ``minlength``..``maxlength`` or ``length``
    characters. ``int()`` of each argument runs at startup (``length="x"`` fails there)."""

    def __init__(self, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        if length is not None:
            length_regex = f"{{{int(length)}}}"
        else:
            maxlength_value = "" if maxlength is None else str(int(maxlength))
            length_regex = f"{{{int(minlength)},{maxlength_value}}}"
        self.regex = f"[^/]{length_regex}"


class AnyConverter(BaseConverter):
    """``any(a, b)``: one of the items, positional only."""

    def __init__(self, *items: str) -> None:
        self.items = set(items)
        self.regex = f"(?:{'|'.join([re.escape(x) for x in items])})"


class PathConverter(BaseConverter):
    """Slashes included: a part with it is final (takes the rest of the path)."""

    part_isolating = False
    regex = "[^/].*?"
    weight = 200


class NumberConverter(BaseConverter):
    weight = 50
    num_convert: Any = int

    def __init__(self, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        if signed:
            self.regex = f"-?{self.regex}"
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> Any:
        # Arguments keep the type parse_converter_args gave them, so a string ``min``
        # raises TypeError here, per request, as in the real converter (Flask: a 500).
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            value_num = self.num_convert(value)
        except ValueError as err:
            raise ValidationError() from err
        if (self.min is not None and value_num < self.min) or (
            self.max is not None and value_num > self.max
        ):
            raise ValidationError()
        return value_num


class IntegerConverter(NumberConverter):
    regex = r"\d+"


class FloatConverter(NumberConverter):
    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(self, min: float | None = None, max: float | None = None,
                 signed: bool = False) -> None:
        super().__init__(min=min, max=max, signed=signed)


class UUIDConverter(BaseConverter):
    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)


#: ``converters.DEFAULT_CONVERTERS``: the names a rule may use.
DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}

# -- rules (``werkzeug/routing/rules.py``) -------------------------------------------------

#: ``rules._part_re``: a slash, static text, or ``<converter(arguments):variable>``.
#: (Checked against the installed Werkzeug's by tests/sim/test_werkzeug_routing.py.)
PART_RE = re.compile(
    r"(?:(?P<slash>/)|(?P<static>[^</]+)|(?:<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)"
    r"(?:\((?P<arguments>.*?)\))?:)?(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>))"
)
#: ``rules._converter_args_re``. Its ``.`` is not escaped in the real one either, so
#: ``any(1,2)`` is one item, the string ``"1,2"``.
CONVERTER_ARGS_RE = re.compile(
    r"\s*((?P<name>\w+)\s*=\s*)?(?P<value>True|False|\d+.\d+|\d+.|\d+|[\w\d_.]+|"
    r"[urUR]?(?P<stringval>\"[^\"]*?\"|'[^']*'))\s*,"
)
_PYTHON_CONSTANTS = {"None": None, "True": True, "False": False}


def _pythonize(value: str) -> bool | int | float | str | None:
    if value in _PYTHON_CONSTANTS:
        return _PYTHON_CONSTANTS[value]
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value[:1] == value[-1:] and value[0] in "\"'":
        value = value[1:-1]
    return str(value)


def parse_converter_args(argstr: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``rules.parse_converter_args``: text between the parentheses -> (args, kwargs).
    Only a gap *between* arguments is an error; text after the last one that parses is
    dropped, as in the real parser."""
    argstr += ","
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    position = 0
    for item in CONVERTER_ARGS_RE.finditer(argstr):
        if item.start() != position:
            raise ValueError(f"Cannot parse converter argument '{argstr[position:item.start()]}'")
        value = item.group("stringval")
        if value is None:
            value = item.group("value")
        value = _pythonize(value)
        if not item.group("name"):
            args.append(value)
        else:
            kwargs[item.group("name")] = value
        position = item.end()
    return tuple(args), kwargs


def get_converter(converter_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> BaseConverter:
    """``Rule.get_converter``: LookupError for an unknown name; the converter's own
    ``__init__`` raises TypeError for unknown arguments, ValueError for bad values."""
    if converter_name not in DEFAULT_CONVERTERS:
        raise LookupError(f"the converter {converter_name!r} does not exist")
    return DEFAULT_CONVERTERS[converter_name](*args, **kwargs)


class Weighting(NamedTuple):
    """Sort key of a dynamic part: more static pieces first, longer ones first, then fewer
    converters, then lighter converters (int/float 50, string/any/uuid 100, path 200)."""

    number_static_weights: int
    static_weights: list[tuple[int, int]]
    number_argument_weights: int
    argument_weights: list[int]


@dataclass(slots=True)
class RulePart:
    """A slash-delimited part of a rule: static text, or a regex whose groups are named
    ``__werkzeug_<n>`` (the n-th converter of the part)."""

    content: str
    final: bool
    static: bool
    suffixed: bool
    weight: Weighting
    #: the compiled ``content`` of a dynamic part (the real matcher compiles it per try)
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


class Rule:
    """``werkzeug.routing.Rule`` as Flask's ``add_url_rule`` makes it: bound to the map at
    once (``strict_slashes`` and ``merge_slashes`` default to the map's, true)."""

    def __init__(self, string: str, endpoint: str, methods: HashSet, strict_slashes: bool = True,
                 provide_automatic_options: bool = True, merge_slashes: bool = True) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule '{string}' must start with a slash.")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.endpoint = endpoint
        self.methods = methods
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        #: set by Flask's add_url_rule on the rule object
        self.provide_automatic_options = provide_automatic_options
        self._converters: dict[str, BaseConverter] = {}
        self._parts: list[RulePart] = []
        self.compile()

    @property
    def converters(self) -> dict[str, BaseConverter]:
        return self._converters

    def __repr__(self) -> str:
        return f"<Rule {self.rule!r} -> {self.endpoint}>"

    def _parse_rule(self, rule: str):
        content = ""
        static = True
        argument_weights: list[int] = []
        static_weights: list[tuple[int, int]] = []
        final = False
        convertor_number = 0
        pos = 0
        while pos < len(rule):
            match = PART_RE.match(rule, pos)
            if match is None:
                raise ValueError(f"malformed url rule: {rule!r}")
            data = match.groupdict()
            if data["static"] is not None:
                static_weights.append((len(static_weights), -len(data["static"])))
                content += data["static"] if static else re.escape(data["static"])
            if data["variable"] is not None:
                if static:
                    content = re.escape(content)  # from here on, the part is a regex
                static = False
                c_args, c_kwargs = parse_converter_args(data["arguments"] or "")
                convobj = get_converter(data["converter"] or "default", c_args, c_kwargs)
                if data["variable"] in self._converters:
                    # The real Rule compiles a URL builder ``def _(*, a, a)``: SyntaxError.
                    raise SyntaxError(f"duplicate argument {data['variable']!r} in function definition")
                self._converters[data["variable"]] = convobj
                if not convobj.part_isolating:
                    final = True
                content += f"(?P<__werkzeug_{convertor_number}>{convobj.regex})"
                convertor_number += 1
                argument_weights.append(convobj.weight)
            if data["slash"] is not None:
                if final:
                    content += "/"  # a final part takes the slashes after it too
                else:
                    if not static:
                        content += r"\Z"
                    yield _part(content, final, static, False, static_weights, argument_weights)
                    content = ""
                    static = True
                    argument_weights = []
                    static_weights = []
                    final = False
                    convertor_number = 0
            pos = match.end()
        suffixed = False
        if final and content.endswith("/"):
            # ``/<path:p>/``: the trailing slash is optional in the regex, and its absence
            # leads to the strict-slash redirect through an extra "" part.
            suffixed = True
            content = content[:-1] + "(?<!/)(/?)"
        if not static:
            content += r"\Z"
        weight_part = _part(content, final, static, suffixed, static_weights, argument_weights)
        yield weight_part
        if suffixed:
            yield RulePart("", False, True, False, weight_part.weight)

    def compile(self) -> None:
        """``Rule.compile``: the domain part (always ``""`` here), then the path's parts,
        slashes merged first when ``merge_slashes``."""
        self._parts = [RulePart("", False, True, False, Weighting(0, [], 0, []))]
        rule = re.sub("/{2,}", "/", self.rule) if self.merge_slashes else self.rule
        self._parts.extend(self._parse_rule(rule))


def _part(content: str, final: bool, static: bool, suffixed: bool,
          static_weights: list[tuple[int, int]], argument_weights: list[int]) -> RulePart:
    weight = Weighting(-len(static_weights), static_weights, -len(argument_weights), argument_weights)
    return RulePart(content, final, static, suffixed, weight,
                    None if static else re.compile(content))


# -- the matcher (``werkzeug/routing/matcher.py``) -----------------------------------------


class SlashRequired(Exception):
    pass


class NoMatch(Exception):
    def __init__(self, have_match_for: HashSet) -> None:
        super().__init__()
        self.have_match_for = have_match_for


class RequestPath(Exception):
    def __init__(self, path_info: str) -> None:
        super().__init__(path_info)
        self.path_info = path_info


#: The most parts (slashes) a rule may have (see the module docstring; checked by
#: ``sim.scenario.check_app``).
MAX_RULE_PARTS = 200


@dataclass(slots=True, eq=False)
class State:
    """A state of the matcher: rules ending here, and transitions onwards."""

    dynamic: list[tuple[RulePart, State]] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    static: dict[str, State] = field(default_factory=dict)


class StateMachineMatcher:
    def __init__(self, merge_slashes: bool) -> None:
        self._root = State()
        self.merge_slashes = merge_slashes

    def add(self, rule: Rule) -> None:
        state = self._root
        for part in rule._parts:
            if part.static:
                state = state.static.setdefault(part.content, State())
            else:
                for test_part, new_state in state.dynamic:
                    if test_part == part:
                        state = new_state
                        break
                else:
                    new_state = State()
                    state.dynamic.append((part, new_state))
                    state = new_state
        state.rules.append(rule)

    def update(self) -> None:
        """Sort every state's dynamic transitions by weight (a stable sort)."""
        pending = [self._root]
        while pending:
            state = pending.pop()
            state.dynamic.sort(key=lambda entry: entry[0].weight)
            pending.extend(state.static.values())
            pending.extend(new_state for _, new_state in state.dynamic)

    def match(self, domain: str, path: str, method: str) -> tuple[Rule, dict[str, Any]]:
        have_match_for = HashSet()

        def _match(state: State, parts: list[str], values: list[str]) -> tuple[Rule, list[str]] | None:
            if parts == []:
                for rule in state.rules:
                    if method not in rule.methods:
                        have_match_for.update(rule.methods)
                    else:
                        return rule, values
                # The path would match with one more slash: redirect, if that rule takes
                # the method (under strict_slashes), or match it as it is.
                if "" in state.static:
                    for rule in state.static[""].rules:
                        if method in rule.methods:
                            if rule.strict_slashes:
                                raise SlashRequired()
                            return rule, values
                return None

            part = parts[0]
            if part in state.static:
                rv = _match(state.static[part], parts[1:], values)
                if rv is not None:
                    return rv
            for test_part, new_state in state.dynamic:
                target = part
                remaining = parts[1:]
                if test_part.final:
                    target = "/".join(parts)
                    remaining = []
                found = test_part.pattern.match(target)
                if found is not None:
                    if test_part.suffixed and found.groups()[-1] == "/":
                        remaining = [""]
                    groups = [value for _, value in sorted(
                        ((name, value) for name, value in found.groupdict().items()
                         if name.startswith("__werkzeug_")),
                        key=lambda item: int(item[0][11:]))]
                    rv = _match(new_state, remaining, values + groups)
                    if rv is not None:
                        return rv

            # Only a trailing slash is left: rules without strict_slashes match here.
            if parts == [""]:
                for rule in state.rules:
                    if rule.strict_slashes:
                        continue
                    if method not in rule.methods:
                        have_match_for.update(rule.methods)
                    else:
                        return rule, values
            return None

        def _walk(path: str) -> tuple[Rule, list[str]] | None:
            parts = [domain, *path.split("/")]
            try:
                return _match(self._root, parts, [])
            except SlashRequired:
                raise RequestPath(f"{path}/") from None

        rv = _walk(path)
        if self.merge_slashes and rv is None:
            path = re.sub("/{2,}", "/", path)
            rv = _walk(path)
            if rv is None or rv[0].merge_slashes is False:
                raise NoMatch(have_match_for)
            raise RequestPath(path)
        if rv is not None:
            rule, values = rv
            result = {}
            for name, value in zip(rule._converters.keys(), values, strict=False):
                try:
                    result[name] = rule._converters[name].to_python(value)
                except ValidationError:
                    raise NoMatch(have_match_for) from None
            return rule, result
        raise NoMatch(have_match_for)


# -- the map (``werkzeug/routing/map.py``) and the exceptions Flask sees ------------------


def rule_methods(methods: list[str] | None) -> tuple[HashSet, bool]:
    """The method set Flask's ``add_url_rule`` hands to ``Rule``, and whether OPTIONS is
    automatic; replays the real sequence of set operations (see ``sim._pyset``)."""
    flask_methods = HashSet([m.upper() for m in (["GET"] if methods is None else methods)])
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
    """``new_path`` is the path part of the real ``new_url``, already quoted."""

    def __init__(self, new_path: str) -> None:
        super().__init__(new_path)
        self.new_path = new_path


#: ``quote``'s safe characters in ``MapAdapter.match`` (the URL path-segment set).
_SAFE = "!$&'()*+,/:;=@"


class Map:
    """``Map`` with Flask's settings (strict and merged slashes), bound as Flask binds it
    (no subdomain: the domain part is ``""``)."""

    def __init__(self, rules: list[Rule], merge_slashes: bool = True) -> None:
        self._matcher = StateMachineMatcher(merge_slashes)
        self._rules: list[Rule] = []
        #: (path_info, method) -> the rule and values it matched: the map does not change
        #: once built, so a request for the same path matches the same way (see :meth:`match`)
        self._matched: dict[tuple[str, str], tuple[Rule, dict[str, Any]]] = {}
        for rule in rules:
            self.add(rule)
        self._matcher.update()  # Map.update, which the first match runs

    def add(self, rule: Rule) -> None:
        self._rules.append(rule)
        self._matcher.add(rule)

    @property
    def rules(self) -> list[Rule]:
        return self._rules

    def match(self, path_info: str, method: str) -> tuple[Rule, dict[str, Any]]:
        """``MapAdapter.match(return_rule=True)``: the rule and its values, or NotFound /
        MethodNotAllowed / RequestRedirect. A converter whose arguments cannot be compared
        with the value (``int(min='a')``) raises TypeError, as the real one does. A match
        is kept (the real adapter matches again each time, to the same result: a run of
        many requests to a few paths walks the matcher once per path)."""
        found = self._matched.get((path_info, method))
        if found is not None:
            return found[0], dict(found[1])
        path_part = f"/{path_info.lstrip('/')}" if path_info else ""
        try:
            rule, values = self._matcher.match("", path_part, method)
            self._matched[path_info, method] = (rule, values)
            return rule, dict(values)
        except RequestPath as err:
            # make_redirect_url joins the (empty) script root and the path with its leading
            # slashes stripped: "//" (a "/<x>/" rule with an empty x) redirects to "/"
            new_path = quote(err.path_info, safe=_SAFE)
            raise RequestRedirect("/".join(("", new_path.lstrip("/")))) from None
        except NoMatch as err:
            if len(err.have_match_for):
                raise MethodNotAllowed(list(err.have_match_for)) from None
            raise NotFound() from None

    def allowed_methods(self, path_info: str) -> list[str]:
        return allowed_methods(self.match, path_info)


def allowed_methods(match, path_info: str) -> list[str]:
    """``MapAdapter.allowed_methods`` (the same in 0.16 and 3.x): ``match`` with method
    ``--``; the methods of the 405 it raises, else none."""
    try:
        match(path_info, "--")
    except MethodNotAllowed as err:
        return err.valid_methods
    except (NotFound, RequestRedirect):
        return []
    return []
