"""The declared app as the Flask module a person would write for it.

A scenario declares its app as data; the player shows that declaration as the equivalent
Python (``app.py``) with the line of the current step lit, so a person reads
``@app.before_request`` and ``return "blocked", 403`` rather than JSON. The text is made
here, beside the model it renders, so each declaration's place in it is known exactly
(:attr:`AppSource.spans`, keyed by the same JSON pointers as ``Step.decl``) and the web layer
looks lines up rather than searching the text.

The module is the one the fidelity harness's app builder behaves like:
``tests/sim/test_appsource.py`` runs this text under the real Flask and checks, request by
request, that it answers exactly as the harness's app does.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Any

from .scenario import App, Blueprint, ErrorHandler, Hook, Returns, Route, View
from .stack.werkzeug_routing import PART_RE

#: What the module imports, by the name it uses.
_FLASK_NAMES = ("Blueprint", "Flask", "Response", "abort", "request", "stream_with_context")


@dataclass(frozen=True, slots=True)
class Span:
    """Where one declaration is in the module (1-based lines)."""

    #: the first decorator line
    start: int
    #: the ``def`` line
    def_line: int
    #: the last line of the function
    end: int


@dataclass(frozen=True, slots=True)
class AppSource:
    """The declared app as Python source."""

    text: str
    #: JSON pointer of a declaration (``/app/routes/0/view``) -> where it is
    spans: dict[str, Span]
    #: (pointer, step event) -> the line that event lights, where it is not the ``def`` line
    #: (a view's ``time.sleep``, a generator's ``yield``)
    marks: dict[tuple[str, str], int]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def line_for(self, decl: str, event: str) -> int | None:
        """The line a step with this ``decl`` and ``event`` lights (None: not declared here)."""
        mark = self.marks.get((decl, event))
        if mark is not None:
            return mark
        span = self.spans.get(decl)
        return span.def_line if span else None


@dataclass
class _Writer:
    """Lines of the module (below its imports), the places of the declarations written
    into it, and the imported names they use."""

    taken: set[str]
    lines: list[str] = field(default_factory=list)
    spans: dict[str, Span] = field(default_factory=dict)
    marks: dict[tuple[str, str], int] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def add(self, text: str = "") -> int:
        self.lines.append(text)
        return len(self.lines)

    def name(self, imported: str) -> str:
        """An imported name as the module spells it: aliased if a declared function takes it."""
        self.used.add(imported)
        return f"flask_{imported}" if imported in self.taken else imported

    def imports(self) -> list[str]:
        lines = []
        if "time" in self.used:
            lines += ["import time as time_module" if "time" in self.taken else "import time", ""]
        names = [f"{name} as flask_{name}" if name in self.taken else name
                 for name in _FLASK_NAMES if name in self.used]
        lines += [f"from flask import {', '.join(names)}", ""]
        return lines


def app_source(app: App) -> AppSource:
    """The Flask module equivalent to ``app`` (a ``flask`` app; see ``App.kind``)."""
    taken = _declared_names(app)
    out = _Writer(taken)
    out.add(f"app = {out.name('Flask')}(__name__)")
    _write_scaffold(out, app, "app", "/app")
    for i, hook in enumerate(app.teardown_appcontext):
        _write_plain_hook(out, "app.teardown_appcontext", hook, f"/app/teardown_appcontext/{i}", "exc")
    for i, blueprint in enumerate(app.blueprints):
        var = _blueprint_var(blueprint.name, taken)
        out.add()
        out.add()
        prefix = f", url_prefix={_py(blueprint.url_prefix)}" if blueprint.url_prefix is not None else ""
        out.add(f"{var} = {out.name('Blueprint')}({_py(blueprint.name)}, __name__{prefix})")
        _write_scaffold(out, blueprint, var, f"/app/blueprints/{i}")
        out.add()
        out.add()
        out.add(f"app.register_blueprint({var})")
    header = out.imports()
    shift = len(header)
    spans = {pointer: Span(span.start + shift, span.def_line + shift, span.end + shift)
             for pointer, span in out.spans.items()}
    marks = {key: line + shift for key, line in out.marks.items()}
    return AppSource("\n".join(header + out.lines) + "\n", spans, marks)


def _declared_names(app: App) -> set[str]:
    names = set()
    for scaffold in (app, *app.blueprints):
        names |= {route.view_name for route in scaffold.routes}
        for hooks in (scaffold.before_request, scaffold.after_request, scaffold.teardown_request,
                      scaffold.url_value_preprocessors):
            names |= {hook.name for hook in hooks}
        names |= {handler.name for handler in scaffold.errorhandlers.values()}
    names |= {hook.name for hook in app.teardown_appcontext}
    return names


def _blueprint_var(name: str, taken: set[str]) -> str:
    """The blueprint's own name, unless a function, an import or a keyword has it."""
    var = name
    while var in taken or var in _FLASK_NAMES or var in ("app", "time") or keyword.iskeyword(var):
        var += "_bp"
    return var


def _def_name(name: str) -> str:
    """A declared name that Python cannot take as a function name (``class``) gets a ``_``;
    the step still says ``app.<name>``."""
    return f"{name}_" if keyword.iskeyword(name) else name


def _write_scaffold(out: _Writer, scaffold: Any, var: str, base: str) -> None:
    # A route repeating an endpoint with the same view is the same function under one more
    # rule (validation refuses any other repeat): ``add_url_rule(..., view_func=f)``.
    written: dict[tuple[str, str, str], str] = {}
    for i, route in enumerate(scaffold.routes):
        pointer = f"{base}/routes/{i}/view"
        key = (route.endpoint_name, route.view_name, repr(route.view.model_dump(by_alias=True)))
        if key in written:
            _write_more_rule(out, var, route, pointer, written[key])
            continue
        written[key] = pointer
        # a blueprint's url_prefix may hold variables: its views take them too
        full_rule = scaffold.full_rule(route.rule) if isinstance(scaffold, Blueprint) else route.rule
        _write_route(out, var, route, pointer, _rule_variables(full_rule))
    for i, hook in enumerate(scaffold.url_value_preprocessors):
        _write_plain_hook(out, f"{var}.url_value_preprocessor", hook,
                          f"{base}/url_value_preprocessors/{i}", "endpoint, values")
    for i, hook in enumerate(scaffold.before_request):
        _write_before_request(out, var, hook, f"{base}/before_request/{i}")
    for i, hook in enumerate(scaffold.after_request):
        _write_after_request(out, var, hook, f"{base}/after_request/{i}")
    for i, hook in enumerate(scaffold.teardown_request):
        _write_plain_hook(out, f"{var}.teardown_request", hook, f"{base}/teardown_request/{i}", "exc")
    for code, handler in scaffold.errorhandlers.items():
        pointer = f"{base}/errorhandlers/{code.replace('~', '~0').replace('/', '~1')}"
        _write_errorhandler(out, var, code, handler, pointer)


def _start(out: _Writer, decorator: str) -> int:
    out.add()
    out.add()
    return out.add(f"@{decorator}")


def _write_route(out: _Writer, var: str, route: Route, pointer: str, variables: list[str]) -> None:
    view = route.view
    options = [_py(route.rule)]
    if route.methods is not None:
        options.append(f"methods={_py(list(route.methods))}")
    if route.endpoint is not None and route.endpoint != route.view_name:
        options.append(f"endpoint={_py(route.endpoint)}")
    if not route.strict_slashes:
        options.append("strict_slashes=False")
    start = _start(out, f"{var}.route({', '.join(options)})")
    params = ", ".join(variables)
    def_line = out.add(f"def {_def_name(route.view_name)}({params}):")
    if view.sleep:
        line = out.add(f"    {_sleep(out, view.sleep)}")
        out.marks[(pointer, "view_sleep")] = line
    if view.kind == "stream":
        _write_stream_body(out, view, pointer)
    else:
        _write_result(out, view, "    ", variables)
    # The view's step comes when it returns (or raises): its last line.
    out.marks[(pointer, f"view_{view.kind}")] = len(out.lines)
    out.spans[pointer] = Span(start, def_line, len(out.lines))


def _write_more_rule(out: _Writer, var: str, route: Route, pointer: str, first: str) -> None:
    options = [_py(route.rule), f"endpoint={_py(route.endpoint_name)}",
               f"view_func={_def_name(route.view_name)}"]
    if route.methods is not None:
        options.append(f"methods={_py(list(route.methods))}")
    if not route.strict_slashes:
        options.append("strict_slashes=False")
    out.add()
    out.add(f"{var}.add_url_rule({', '.join(options)})")
    out.spans[pointer] = out.spans[first]
    for (mark_pointer, event), line in list(out.marks.items()):
        if mark_pointer == first:
            out.marks[(pointer, event)] = line


def _write_stream_body(out: _Writer, view: View, pointer: str) -> None:
    out.add("    def generate():")
    for_line = out.add(f"        for chunk in {_py(list(view.stream or []))}:")
    if view.interval:
        out.add(f"            {_sleep(out, view.interval)}")
    yield_line = out.add("            yield chunk")
    out.marks[(pointer, "generate_chunk")] = yield_line
    out.marks[(pointer, "generate_close")] = yield_line
    out.marks[(pointer, "generate_end")] = for_line
    body = f"{out.name('stream_with_context')}(generate())" if view.with_context else "generate()"
    out.add()
    out.add(f"    return {out.name('Response')}({body}{_response_options(view)})")


def _response_options(view: View) -> str:
    options = ""
    if view.status is not None:
        options += f", status={_py(view.status)}"
    if view.headers:
        options += f", headers={_py(dict(view.headers))}"
    if view.mimetype is not None:
        options += f", mimetype={_py(view.mimetype)}"
    return options


def _write_result(out: _Writer, decl: View | Returns, indent: str, variables: list[str] = ()) -> None:
    """The body of a view, or what a hook or handler returns: a value, ``abort``, ``raise``."""
    if isinstance(decl, View) and decl.abort is not None:
        out.add(f"{indent}{out.name('abort')}({decl.abort})")
        return
    if isinstance(decl, View) and decl.raise_ is not None:
        out.add(f"{indent}raise {decl.raise_}")
        return
    if isinstance(decl, View) and decl.json_ is not None:
        body = _json_expr(decl.json_, variables)
    elif isinstance(decl, View) and decl.echo:
        body = f"{out.name('request')}.get_data()"
    else:
        body = _py(decl.text or "")
    status = decl.status
    headers = dict(decl.headers)
    mimetype = decl.mimetype if isinstance(decl, View) else None
    if mimetype is not None:
        options = f", status={_py(status)}" if status is not None else ""
        options += f", headers={_py(headers)}" if headers else ""
        out.add(f"{indent}return {out.name('Response')}({body}{options}, mimetype={_py(mimetype)})")
    elif status is None and not headers:
        out.add(f"{indent}return {body}")
    elif not headers:
        out.add(f"{indent}return {body}, {_py(status)}")
    else:
        out.add(f"{indent}return {body}, {_py(status or 200)}, {_py(headers)}")


def _write_before_request(out: _Writer, var: str, hook: Hook, pointer: str) -> None:
    start = _start(out, f"{var}.before_request")
    def_line = out.add(f"def {_def_name(hook.name)}():")
    if hook.returns is None:
        out.add("    return None")
    elif hook.only_path is None:
        _write_result(out, hook.returns, "    ")
    else:
        out.add(f"    if {out.name('request')}.path == {_py(hook.only_path)}:")
        _write_result(out, hook.returns, "        ")
        out.add("    return None")
    out.spans[pointer] = Span(start, def_line, len(out.lines))


def _write_after_request(out: _Writer, var: str, hook: Hook, pointer: str) -> None:
    start = _start(out, f"{var}.after_request")
    def_line = out.add(f"def {_def_name(hook.name)}(response):")
    for key, value in hook.set_headers.items():
        out.add(f"    response.headers[{_py(key)}] = {_py(value)}")
    out.add("    return response")
    out.spans[pointer] = Span(start, def_line, len(out.lines))


def _write_plain_hook(out: _Writer, decorator: str, hook: Hook, pointer: str, params: str) -> None:
    start = _start(out, decorator)
    def_line = out.add(f"def {_def_name(hook.name)}({params}):")
    out.add("    return None")
    out.spans[pointer] = Span(start, def_line, len(out.lines))


def _write_errorhandler(out: _Writer, var: str, code: str, handler: ErrorHandler, pointer: str) -> None:
    # a code (404) or an exception class by name (ValueError)
    start = _start(out, f"{var}.errorhandler({int(code) if code.isdigit() else code})")
    def_line = out.add(f"def {_def_name(handler.name)}(error):")
    # The status defaults to the code handled: a bare ``return text`` would make it a 200.
    # A handler for an exception class is ``return text`` unless it declares a status.
    status = handler.status or (int(code) if code.isdigit() else None)
    returns = Returns.model_construct(text=handler.text, status=status, headers=handler.headers)
    _write_result(out, returns, "    ")
    out.marks[(pointer, "errorhandler")] = len(out.lines)
    out.spans[pointer] = Span(start, def_line, len(out.lines))


def _sleep(out: _Writer, ms: int) -> str:
    out.used.add("time")
    module = "time_module" if "time" in out.taken else "time"
    return f"{module}.sleep({ms / 1000!r})  # {ms} ms"


def _rule_variables(rule: str) -> list[str]:
    return [part["variable"] for part in PART_RE.finditer(rule) if part["variable"]]


def _json_expr(template: Any, variables: list[str]) -> str:
    """A JSON template as the expression that builds it: ``"{id}"`` is the URL value ``id``
    (keeping its converter's type), and ``"item {id}"`` an f-string."""
    if isinstance(template, dict):
        return "{" + ", ".join(f"{_py(k)}: {_json_expr(v, variables)}" for k, v in template.items()) + "}"
    if isinstance(template, list):
        return "[" + ", ".join(_json_expr(v, variables) for v in template) + "]"
    if isinstance(template, str):
        return _template_expr(template, variables)
    return _py(template)


def _template_expr(text: str, variables: list[str]) -> str:
    for name in variables:
        if text == "{" + name + "}":
            return name
    used = [name for name in variables if "{" + name + "}" in text]
    if not used:
        return _py(text)
    # Only the URL variables are filled in; every other brace stays as it is.
    escaped = text.replace("{", "{{").replace("}", "}}")
    for name in used:
        escaped = escaped.replace("{{" + name + "}}", "{" + name + "}")
    return "f" + _string(escaped)


def _py(value: Any) -> str:
    """A Python literal for JSON data (``true`` is ``True``, ``null`` is ``None``)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    return repr(value)


def _string(text: str) -> str:
    """A string literal in double quotes, as people write them."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal
