"""The budgets every request is held to, checked before any work is done on it.

A scenario arrives as bytes and may be hostile or careless: 30 MB sent chunked, JSON nested
100,000 deep, an integer of 5,000 digits, ``NaN``, a lone surrogate (``"\\ud800"``, valid JSON
but not a character, so it cannot be written back as UTF-8), 18,000 clients. Each of these is
refused here, with a 4xx naming the limit or the field, before the body is parsed further,
hashed, stored or simulated:

1. bytes: the body is read up to ``body_bytes`` whatever ``Content-Length`` says
   (:class:`backend.app.BodyLimit`);
2. text: strict UTF-8 (:func:`parse_document`);
3. numbers: integers of at most ``int_digits`` digits, finite floats, no ``NaN``/``Infinity``
   (RFC 8259 section 6 has none) -- at parse time, so no big-int arithmetic is ever done;
4. shape: at most ``depth`` levels of nesting and no string or key that is not valid Unicode
   (:func:`check_document`, one iterative walk);
5. work: at most ``clients`` clients and an estimated ``steps`` steps
   (:func:`check_work`), so the simulation and the web layer's indexes stay within a few
   seconds of CPU and a bounded memory per trace.

The engine has its own, larger limits (``sim.scenario``: 20,000 clients, 1.5 million steps),
meant for the command line; the web app serves many people at once and keeps to these.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import jsonschema_rs


@dataclass(frozen=True, slots=True)
class Budgets:
    #: Largest request body, in bytes (a scenario, or the editor's form).
    body_bytes: int = 1_000_000
    #: Deepest nesting of a JSON document (a real scenario is about 8 levels deep).
    depth: int = 64
    #: Most digits in a JSON integer (the engine's largest is a 10-digit ``mtime``).
    int_digits: int = 32
    #: Most clients in one scenario.
    clients: int = 2_000
    #: Most steps a scenario may be estimated to take (:func:`estimate_steps`).
    steps: int = 250_000


class BudgetError(ValueError):
    """A document or scenario over a budget, or not valid JSON text; becomes a 4xx."""

    def __init__(self, status: int, error: str, field: str = "",
                 line: int | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.field = field
        #: line of the JSON text where parsing stopped, when known
        self.line = line


class _NumberError(ValueError):
    pass


def _parse_int(budgets: Budgets):
    def parse(text: str) -> int:
        # Checked before int(): CPython converts big decimal strings in quadratic time.
        if len(text) - text.startswith("-") > budgets.int_digits:
            raise _NumberError(f"an integer has {len(text.lstrip('-'))} digits; "
                               f"the limit is {budgets.int_digits}")
        return int(text)
    return parse


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError(f"{text[:40]} is out of range for a number")
    return value


def _parse_constant(name: str) -> float:
    raise _NumberError(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def parse_document(data: bytes | str, budgets: Budgets) -> Any:
    """Parse a JSON document within the budgets, then :func:`check_document` it."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BudgetError(400, f"the body is not UTF-8 text (byte {e.start} is "
                                   f"0x{data[e.start]:02x})") from None
    else:
        text = data
    try:
        doc = json.loads(text, parse_int=_parse_int(budgets), parse_float=_parse_float,
                         parse_constant=_parse_constant)
    except json.JSONDecodeError as e:
        raise BudgetError(400, f"invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})",
                          line=e.lineno) from None
    except _NumberError as e:
        raise BudgetError(400, f"invalid JSON: {e}") from None
    except RecursionError:
        raise BudgetError(400, f"invalid JSON: nested more than {budgets.depth} levels "
                               "deep") from None
    check_document(doc, budgets)
    return doc


def _pointer(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _valid_text(s: str) -> bool:
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_document(doc: Any, budgets: Budgets) -> None:
    """Refuse a parsed document nested too deep or holding text that is not Unicode.

    Iterative (an explicit stack), so checking never recurses however deep the input.
    The field is named as in the engine's errors: ``clients.0.id``.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not _valid_text(value):
                raise BudgetError(422, "the text holds a lone surrogate (like \\ud800), "
                                       "which is not a character", _pointer(path))
            continue
        if isinstance(value, float) and not math.isfinite(value):
            # only from elsewhere than parse_document (a link stored before the budgets)
            raise BudgetError(422, f"{value} is not a JSON number", _pointer(path))
        if not isinstance(value, (dict, list)):
            continue
        if len(path) >= budgets.depth:
            raise BudgetError(422, f"nested more than {budgets.depth} levels deep",
                              _pointer(path))
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str) or not _valid_text(k):
                    raise BudgetError(422, "a key holds a lone surrogate (like \\ud800), "
                                           "which is not a character", _pointer(path))
                stack.append((v, (*path, k)))
        else:
            stack.extend((v, (*path, n)) for n, v in enumerate(value))


#: Steps of one client's connection that do not depend on the app: connect, accept, setup,
#: read, parse, run_wsgi, respond, close (65 for a plain GET on the Werkzeug stack), doubled
#: for the error and 100-continue paths. ``tests/web/test_limits.py`` checks that the estimate
#: stays above what the engine records, over the gallery and random scenarios.
STEPS_PER_CLIENT = 160
#: Startup and the server loop's idle turns.
STEPS_FIXED = 400


def _size(value: Any) -> int:
    """Number of JSON values in ``value`` (every hook, chunk, header counts once)."""
    count = 0
    stack = [value]
    while stack:
        v = stack.pop()
        count += 1
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return count


def _requests_in(send: Any) -> tuple[int, int]:
    """(chunks, most requests) a client's ``send`` can hold: a request ends at a blank line."""
    if not isinstance(send, list):
        return 1, 1
    heads = 0
    for chunk in send:
        data = chunk.get("data") if isinstance(chunk, dict) else chunk
        if isinstance(data, str):
            heads += data.count("\n\r\n") + data.count("\n\n")
    return len(send), max(heads, 1)


def estimate_steps(scenario: dict[str, Any]) -> int:
    """An upper estimate of the steps the engine will record, from the scenario alone.

    Each request may run every declared hook, handler and streamed chunk of the app once,
    and each chunk a client sends may take a read step of its own. Requests are counted
    from the blank lines that end their heads, so keep-alive connections are covered too.
    """
    clients = scenario.get("clients")
    clients = clients if isinstance(clients, list) else []
    per_request = STEPS_PER_CLIENT + 2 * _size(scenario.get("app"))
    steps = STEPS_FIXED
    for c in clients:
        chunks, requests = _requests_in(c.get("send") if isinstance(c, dict) else None)
        steps += requests * per_request + 4 * chunks
    return steps


def check_work(scenario: dict[str, Any], budgets: Budgets) -> None:
    """Refuse a scenario whose simulation would exceed the web app's budgets."""
    clients = scenario.get("clients")
    if isinstance(clients, list) and len(clients) > budgets.clients:
        raise BudgetError(422, f"{len(clients)} clients; the web app simulates at most "
                               f"{budgets.clients} (python -m sim run takes more)", "clients")
    steps = estimate_steps(scenario)
    if steps > budgets.steps:
        raise BudgetError(422, f"this scenario may take about {steps} steps; the web app "
                               f"simulates at most {budgets.steps} (fewer clients, chunks or "
                               "app declarations; python -m sim run takes more)", "clients")


def _only_x_extras(schema: Any) -> None:
    """Say in the schema what the engine's models enforce: an unknown field is an error
    unless its name starts with ``x-`` (pydantic writes ``additionalProperties: true``)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("additionalProperties") is True and "properties" in node:
                node["additionalProperties"] = False
                node["patternProperties"] = {"^x-": {}}
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


class ScenarioSchema:
    """The scenario JSON Schema the OpenAPI document publishes, enforced.

    ``sim.scenario_schema()`` with the web app's budgets written in. The engine's model is
    lax where the schema is not (it takes ``false`` for ``0``); the API answers what its
    document says, so a body the schema refuses is a 422 naming the field, before the engine
    sees it.
    """

    def __init__(self, schema: dict[str, Any], budgets: Budgets) -> None:
        self.schema = json.loads(json.dumps(schema))  # our own copy to write budgets into
        self.schema["properties"]["clients"]["maxItems"] = budgets.clients
        _only_x_extras(self.schema)
        self._validator = jsonschema_rs.validator_for(self.schema)

    def check(self, scenario: dict[str, Any]) -> None:
        if self._validator.is_valid(scenario):
            return
        error = next(iter(self._validator.iter_errors(scenario)))
        message = error.message
        if len(message) > 200:  # messages quote the value, which may be a megabyte
            message = message[:200] + "..."
        path = tuple(error.instance_path)
        unexpected = getattr(error.kind, "unexpected", None)  # name the field itself
        if unexpected:
            path = (*path, unexpected[0])
        raise BudgetError(422, f"does not match the scenario schema: {message}",
                          _pointer(path))
