"""The scenario model (``wsgiscope/scenario@1``) and its validation.

A scenario declares a server, an app and the clients that talk to it. Nothing in it is ever
executed: views and hooks are data. Validation is pydantic's, so the editor and the API get a
JSON Schema, and every error is reported as one :class:`~sim.errors.ScenarioError` naming the
field (``clients.1.send.0.after``).

Fields of the user's own are allowed when their name starts with ``x-`` (``x-lesson``); any
other unknown field is an error, so a typo never passes silently.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import LimitExceeded, ScenarioError
from .stack.http_status import WERKZEUG_ERROR_CODES
from .stacks import STACKS, StackSpec

FORMAT = "wsgiscope/scenario@1"

#: Limits that keep any scenario within memory and time (see docs: "Limits").
MAX_CLIENTS = 20_000
MAX_SEND_BYTES = 16 * 1024 * 1024
MAX_TIME_MS = 3_600_000
MAX_ROUTES = 500

#: ``werkzeug.routing.rules._rule_re``: ``<converter(args):name>`` parts of a rule.
RULE_PART = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?"
    r"(?P<variable>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
CONVERTERS = ("default", "string", "any", "path", "int", "float", "uuid")
TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class Model(BaseModel):
    """Base: unknown fields are errors unless they start with ``x-``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @model_validator(mode="after")
    def _only_x_extras(self) -> Model:
        for key in self.model_extra or {}:
            if not key.startswith("x-"):
                raise PydanticCustomError(
                    "unknown_field",
                    "unknown field '{name}' (fields of your own must start with 'x-')",
                    {"name": key},
                )
        return self


def _latin1(value: str) -> str:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as err:
        raise ValueError(
            f"character {value[err.start]!r} at {err.start} is not a byte: raw bytes are "
            "written as latin-1 text (\\u0000-\\u00ff)"
        ) from None
    return value


Latin1 = Annotated[str, BeforeValidator(lambda v: v), Field(max_length=MAX_SEND_BYTES)]
Ms = Annotated[int, Field(ge=0, le=MAX_TIME_MS)]


class Chunk(Model):
    after: Ms = 0
    data: Latin1

    _check_data = field_validator("data")(_latin1)


def _chunk_from_text(value: Any) -> Any:
    return {"after": 0, "data": value} if isinstance(value, str) else value


class Client(Model):
    id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    at: Ms = 0
    send: list[Annotated[Chunk, BeforeValidator(_chunk_from_text)]] = []
    #: after the last chunk: keep reading, half-close and read, close at once (reading
    #: nothing), or abort (SO_LINGER 0: RST) keeping what was read so far
    then: Literal["read", "shutdown_write", "close", "reset"] = "read"
    read_timeout: Annotated[int, Field(gt=0, le=MAX_TIME_MS)] | None = None


class Returns(Model):
    """What a hook or error handler returns: a body, a status, headers."""

    text: str = ""
    status: Annotated[int, Field(ge=100, le=999)] = 200
    headers: dict[str, str] = {}


class View(Model):
    """One of the view kinds; ``status``, ``headers`` and ``mimetype`` go with any."""

    text: str | None = None
    json_: Any = Field(None, alias="json")
    echo: bool | None = None
    abort: Annotated[int, Field(ge=400, le=599)] | None = None
    raise_: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = Field(
        None, alias="raise"
    )
    stream: list[str] | None = None
    #: ms the view sleeps (``time.sleep``) before anything else
    sleep: Annotated[int, Field(ge=0, le=MAX_TIME_MS)] = 0
    #: stream only: ms the generator sleeps before each chunk
    interval: Annotated[int, Field(ge=0, le=MAX_TIME_MS)] = 0
    #: stream only: wrap the generator in ``stream_with_context``
    with_context: bool = False
    status: Annotated[int, Field(ge=100, le=999)] | None = None
    headers: dict[str, str] = {}
    mimetype: str | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> View:
        kinds = [name for name in VIEW_KINDS if self.kind_value(name) is not None]
        if len(kinds) != 1:
            raise PydanticCustomError(
                "view_kind",
                "a view has exactly one of: text, json, echo, abort, raise, stream (found {found})",
                {"found": ", ".join(kinds) or "none"},
            )
        if self.stream is None and (self.interval or self.with_context):
            raise PydanticCustomError("stream_only", "interval and with_context go with a stream view", {})
        if self.abort is not None and self.abort not in WERKZEUG_ERROR_CODES:
            raise PydanticCustomError(
                "abort_code", "abort({code}) names no werkzeug.exceptions class", {"code": self.abort}
            )
        return self

    def kind_value(self, name: str) -> Any:
        return {"json": self.json_, "raise": self.raise_}.get(name, getattr(self, name, None))

    @functools.cached_property
    def kind(self) -> str:
        return next(name for name in VIEW_KINDS if self.kind_value(name) is not None)


VIEW_KINDS = ("text", "json", "echo", "abort", "raise", "stream")


class Route(Model):
    rule: str
    methods: list[Annotated[str, Field(pattern=TOKEN.pattern)]] | None = None
    endpoint: str | None = None
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    view: View
    strict_slashes: bool = True

    @field_validator("rule")
    @classmethod
    def _rule_is_werkzeug_rule(cls, rule: str) -> str:
        return check_rule(rule)

    @model_validator(mode="after")
    def _named(self) -> Route:
        if self.endpoint is None and self.name is None:
            raise PydanticCustomError("missing", "a route needs an endpoint or a name", {})
        return self

    @property
    def view_name(self) -> str:
        return self.name or str(self.endpoint)

    @property
    def endpoint_name(self) -> str:
        return self.endpoint or str(self.name)


def check_rule(rule: str) -> str:
    if not rule.startswith("/"):
        raise ValueError("urls must start with a leading slash")
    rest = RULE_PART.sub("", rule)
    if "<" in rest or ">" in rest:
        raise ValueError(f"malformed url rule: {rule!r}")
    seen = set()
    for part in RULE_PART.finditer(rule):
        converter = part["converter"] or "default"
        if converter not in CONVERTERS:
            raise ValueError(f"the converter {converter!r} does not exist")
        if part["variable"] in seen:
            raise ValueError(f"variable name {part['variable']!r} used twice")
        seen.add(part["variable"])
    return rule


class Hook(Model):
    """A declared hook: ``before_request`` may return early (``returns``), only for a path."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    only_path: str | None = None
    returns: Returns | None = None
    set_headers: dict[str, str] = {}


class ErrorHandler(Model):
    """``return text, status``: the status defaults to the code the handler is for."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    text: str = ""
    status: Annotated[int, Field(ge=100, le=999)] | None = None
    headers: dict[str, str] = {}


def _check_error_codes(handlers: dict[str, ErrorHandler]) -> dict[str, ErrorHandler]:
    for key in handlers:
        if not key.isdigit() or int(key) not in WERKZEUG_ERROR_CODES:
            raise ValueError(f"{key!r} is not an HTTP error code werkzeug.exceptions knows")
    return handlers


ErrorHandlers = Annotated[dict[str, ErrorHandler], Field(default_factory=dict)]


class Scaffold(Model):
    """What an app and a blueprint both declare (Flask's ``Scaffold``): routes, hooks,
    error handlers."""

    routes: Annotated[list[Route], Field(max_length=MAX_ROUTES)] = []
    before_request: list[Hook] = []
    after_request: list[Hook] = []
    teardown_request: list[Hook] = []
    url_value_preprocessors: list[Hook] = []
    errorhandlers: ErrorHandlers

    _codes = field_validator("errorhandlers")(_check_error_codes)


class Blueprint(Scaffold):
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    url_prefix: str = ""

    @field_validator("url_prefix")
    @classmethod
    def _prefix(cls, prefix: str) -> str:
        if prefix and not prefix.startswith("/"):
            raise ValueError("a url_prefix starts with '/'")
        return prefix


class StaticFile(Model):
    text: str
    mtime: Annotated[int, Field(ge=0, le=4_102_444_800)] = 1_700_000_000


class App(Scaffold):
    kind: Literal["flask", "demo_app"] = "flask"
    name: str = "app"
    static_files: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$")], StaticFile] = {}
    teardown_appcontext: list[Hook] = []
    blueprints: list[Blueprint] = []


class Server(Model):
    kind: Literal["werkzeug", "werkzeug-legacy", "wsgiref"] = "werkzeug"
    #: None: what the start function does by default (``app.run``: threads; ``run_simple``
    #: and ``make_server``: none)
    threaded: bool | None = None
    processes: Annotated[int, Field(ge=1, le=64)] = 1
    start: Literal["app.run", "run_simple", "make_server"] | None = None
    poll_interval: Annotated[float, Field(gt=0, le=60)] = 0.5
    backlog: Annotated[int, Field(ge=0, le=4096)] | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5000

    @model_validator(mode="after")
    def _consistent(self) -> Server:
        if self.threads and self.processes > 1:
            raise PydanticCustomError(
                "server", "Cannot have a multi-thread and multi-process server.", {}
            )
        starts = self.spec.starts
        if self.start is not None and self.start not in starts:
            raise PydanticCustomError(
                "server", "{kind} starts only with {starts}",
                {"kind": self.kind, "starts": " or ".join(starts)},
            )
        return self

    @property
    def spec(self) -> StackSpec:
        """This kind's entry in the registry of stacks."""
        return STACKS[self.kind]

    @property
    def threads(self) -> bool:
        """Whether the server runs a thread per connection."""
        if self.threaded is not None:
            return self.threaded
        return self.start_path in self.spec.threaded_starts and self.processes == 1

    @property
    def start_path(self) -> str:
        if self.start is not None:
            return self.start
        return self.spec.default_start

    @property
    def listen_backlog(self) -> int:
        """What the server passes to ``listen()``."""
        return self.spec.backlog if self.backlog is None else self.backlog


class Scenario(Model):
    format: Literal["wsgiscope/scenario@1"]
    title: str = ""
    server: Server = Server()
    app: App = App()
    clients: Annotated[list[Client], Field(max_length=MAX_CLIENTS)] = []

    @field_validator("clients")
    @classmethod
    def _clients_are_distinct(cls, clients: list[Client]) -> list[Client]:
        seen: set[str] = set()
        for client in clients:
            if client.id in seen:
                raise ValueError(f"two clients share the id {client.id!r}")
            seen.add(client.id)
        return clients


def _field_of(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error["loc"]]
    name = (error.get("ctx") or {}).get("name")
    if error["type"] == "unknown_field" and name:
        loc.append(str(name))
    return ".".join(loc)


def load(document: Any) -> Scenario:
    """Validate a decoded JSON document; raise :class:`ScenarioError` naming the first bad field."""
    if not isinstance(document, dict):
        raise ScenarioError("", f"a scenario is a JSON object, not {type(document).__name__}")
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise ScenarioError(_field_of(first), first["msg"]) from None
    total = sum(len(chunk.data) for client in scenario.clients for chunk in client.send)
    if total > MAX_SEND_BYTES:
        raise LimitExceeded("clients", f"the clients send {total} bytes; the limit is {MAX_SEND_BYTES}")
    return scenario


def errors(document: Any) -> list[ScenarioError]:
    """Every error in a decoded JSON document, each naming its field (none: it is valid),
    for an editor that marks them all at once; the first is what :func:`load` raises."""
    try:
        load(document)
    except LimitExceeded as err:
        return [err]
    except ScenarioError as err:
        if not isinstance(document, dict):
            return [err]
    else:
        return []
    try:
        Scenario.model_validate(document)
    except ValidationError as err:
        return [ScenarioError(_field_of(e), e["msg"]) for e in err.errors(include_url=False)]
    return []


def schema() -> dict[str, Any]:
    """The JSON Schema of a scenario, for editors."""
    return Scenario.model_json_schema(by_alias=True)
