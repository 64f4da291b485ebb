"""The scenario model (``wsgiscope/scenario@1``) and its validation.

A scenario declares a server, an app and the clients that talk to it. Nothing in it is ever
executed: views and hooks are data. Validation is pydantic's, so the editor and the API get a
JSON Schema, and every error is reported as one :class:`~sim.errors.ScenarioError` naming the
field (``clients.1.send.0.after``).

Fields of the user's own are allowed when their name starts with ``x-`` (``x-lesson``); any
other unknown field is an error, so a typo never passes silently.
"""

from __future__ import annotations

import builtins
import functools
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import budget
from .errors import LimitExceeded, ScenarioError
from .stack import werkzeug016_routing
from .stack.http_status import MISSING_IN_016, WERKZEUG_ERROR_CODES
from .stack.werkzeug_routing import DEFAULT_CONVERTERS, MAX_RULE_PARTS, Rule, rule_methods
from .stacks import STACKS, StackSpec

FORMAT = "wsgiscope/scenario@1"

#: Limits that keep any scenario within memory and time (see docs: "Limits").
MAX_CLIENTS = 20_000
MAX_SEND_BYTES = 16 * 1024 * 1024
MAX_TIME_MS = 3_600_000
MAX_ROUTES = 500
MAX_FILE_CHANGES = 20

#: ``socketserver.BaseServer.serve_forever``'s default ``poll_interval`` (seconds)
DEFAULT_POLL_INTERVAL = 0.5

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


class Model(BaseModel):
    """Base: unknown fields are errors unless they start with ``x-``."""

    # strict: a JSON string is not a boolean or a number ("threaded": "yes" is an error)
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, strict=True)

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

#: A response status as a view may return it: a code, or a status line (``"201 CREATED"``,
#: ``"299 Fine"``), which Werkzeug's ``Response.status`` keeps as it is when it has a reason,
#: and completes (``"201"`` -> ``"201 CREATED"``) when it has none.
#: One space after the code, and a printable ASCII reason (run_wsgi splits the line at the
#: first run of whitespace, and http.server encodes it as latin-1).
STATUS_LINE = re.compile(r" *[1-9][0-9]{2}( [!-~][ -~]*)? *")


def _status(value: int | str) -> int | str:
    if isinstance(value, int):
        if not 100 <= value <= 999:
            raise ValueError(f"a status code is from 100 to 999, not {value}")
    elif STATUS_LINE.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a status: a code (201) or a code and a reason ('201 CREATED')")
    return value


Status = Annotated[int | str, AfterValidator(_status)]


class Chunk(Model):
    after: Ms = 0
    data: Latin1

    _check_data = field_validator("data")(_latin1)


def _chunk_from_text(value: Any) -> Any:
    return {"after": 0, "data": value} if isinstance(value, str) else value


class Client(Model):
    id: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    at: Ms = 0
    # a chunk may be written as its text alone: the JSON Schema says so too
    send: list[Annotated[Chunk, BeforeValidator(_chunk_from_text,
                                                json_schema_input_type=Latin1 | Chunk)]] = []
    #: after the last chunk: keep reading, half-close and read, close at once (reading
    #: nothing), or abort (SO_LINGER 0: RST) keeping what was read so far
    then: Literal["read", "shutdown_write", "close", "reset"] = "read"
    read_timeout: Annotated[int, Field(gt=0, le=MAX_TIME_MS)] | None = None


class Returns(Model):
    """What a hook or error handler returns: a body, a status, headers."""

    text: str = ""
    status: Status = 200
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
    status: Status | None = None
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
        if self.raise_ is not None and exception_class(self.raise_) is None:
            raise PydanticCustomError(
                "raise_class", "raise names a builtin exception class (ValueError, KeyError, ...), "
                "not '{name}'", {"name": self.raise_})
        return self

    def kind_value(self, name: str) -> Any:
        return {"json": self.json_, "raise": self.raise_}.get(name, getattr(self, name, None))

    @functools.cached_property
    def kind(self) -> str:
        return next(name for name in VIEW_KINDS if self.kind_value(name) is not None)


VIEW_KINDS = ("text", "json", "echo", "abort", "raise", "stream")


class Route(Model):
    #: checked with the app (``check_app``): a blueprint's rule is joined to its url_prefix
    #: first, and may be "" or lack its leading slash there
    rule: str
    methods: list[Annotated[str, Field(pattern=TOKEN.pattern)]] | None = None
    endpoint: str | None = None
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    view: View
    strict_slashes: bool = True

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


class Hook(Model):
    """A declared hook: ``before_request`` may return early (``returns``), only for a path."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    only_path: str | None = None
    returns: Returns | None = None
    set_headers: dict[str, str] = {}


class ErrorHandler(Model):
    """``return text, status``. Keyed by a code, the status defaults to that code; keyed by
    an exception class, to 200 (``return text``)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    text: str = ""
    status: Status | None = None
    headers: dict[str, str] = {}


def exception_class(name: str) -> type[BaseException] | None:
    """The builtin exception class of that name (what ``raise`` and handler keys name)."""
    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _check_error_codes(handlers: dict[str, ErrorHandler]) -> dict[str, ErrorHandler]:
    """``Scaffold._get_exc_class_and_code``: a code werkzeug.exceptions has a class for, or
    an exception class (a builtin's name here), which must be an ``Exception``."""
    for key in handlers:
        if key.isdigit():
            if int(key) not in WERKZEUG_ERROR_CODES:
                raise ValueError(
                    f"'{int(key)}' is not a recognized HTTP error code. Use a subclass of "
                    "HTTPException with that code instead."
                )
            continue
        found = exception_class(key)
        if found is None:
            raise ValueError(f"{key!r} is neither an HTTP error code nor a builtin exception class")
        if not issubclass(found, Exception):
            raise ValueError(
                f"'{key}' is not a subclass of Exception. Handlers can only be registered for "
                "Exception classes or HTTP error codes."
            )
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
    #: None (left out) and "" differ, as in Flask: "" still joins ("ping" -> "/ping")
    url_prefix: str | None = None

    def full_rule(self, rule: str) -> str:
        """``BlueprintSetupState.add_url_rule``: the rule joined to the url_prefix."""
        if self.url_prefix is None:
            return rule
        if rule:
            return "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
        return self.url_prefix


STATIC_NAME = r"^[A-Za-z0-9_. -]+(/[A-Za-z0-9_. -]+)*$"


def _static_name(name: str) -> str:
    if any(segment in (".", "..") for segment in name.split("/")):
        raise ValueError(f"{name!r}: a static file name has no '.' or '..' segment")
    return name


class StaticFile(Model):
    text: str
    mtime: Annotated[int, Field(ge=0, le=4_102_444_800)] = 1_700_000_000


class App(Scaffold):
    kind: Literal["flask", "demo_app"] = "flask"
    name: str = "app"
    #: names relative to the static folder: segments of letters, digits, ``_.- `` and spaces
    static_files: dict[Annotated[str, Field(pattern=STATIC_NAME), AfterValidator(_static_name)],
                       StaticFile] = {}
    teardown_appcontext: list[Hook] = []
    blueprints: list[Blueprint] = []


#: the starts that take ``use_reloader`` (``make_server`` only makes a server)
RELOADER_STARTS = ("app.run", "run_simple")
#: ``server.reloader_spawn``'s default: what starting Python and importing Flask 1.1 took
#: here (0.14-0.16 s for ``python -c "import flask, werkzeug.serving"``)
DEFAULT_RELOADER_SPAWN_MS = 200


class Server(Model):
    kind: Literal["werkzeug", "werkzeug-legacy", "wsgiref"] = "werkzeug"
    #: None: what the start function does by default (``app.run``: threads; ``run_simple``
    #: and ``make_server``: none)
    threaded: bool | None = None
    processes: Annotated[int, Field(ge=1, le=64)] = 1
    start: Literal["app.run", "run_simple", "make_server", "handle_request"] | None = None
    poll_interval: Annotated[float, Field(gt=0, le=60)] = DEFAULT_POLL_INTERVAL
    #: ``BaseServer.timeout`` (seconds): how long ``handle_request`` waits for a connection
    #: before ``handle_timeout``; None waits for ever
    timeout: Annotated[float, Field(ge=0, le=3600)] | None = None
    backlog: Annotated[int, Field(ge=0, le=4096)] | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5000
    #: ``run_simple(use_reloader=True)`` (Werkzeug 0.16): a parent process opens the socket
    #: and starts a child that serves it, while the child's main thread watches files
    use_reloader: bool = False
    #: ``run_simple``'s ``reloader_interval`` (seconds): how often the stat reloader looks
    reloader_interval: Annotated[float, Field(gt=0, le=60)] | None = None
    #: ms from ``subprocess.call`` until the child's module code runs: a new interpreter
    #: starting and importing Flask (about 150 ms on a quiet machine)
    reloader_spawn: Annotated[int, Field(ge=0, le=60_000)] | None = None

    @field_validator("use_reloader")
    @classmethod
    def _reloader_where_it_exists(cls, use_reloader: bool, info: ValidationInfo) -> bool:
        if not use_reloader:
            return use_reloader
        kind = info.data.get("kind", "werkzeug")
        if kind != "werkzeug-legacy":
            raise ValueError(f"the reloader is simulated for 'werkzeug-legacy' only, not {kind!r}")
        start = info.data.get("start") or STACKS[kind].default_start
        if start not in RELOADER_STARTS:
            raise ValueError(f"{start} has no reloader: use_reloader is an argument of app.run and run_simple")
        return use_reloader

    @field_validator("reloader_interval", "reloader_spawn")
    @classmethod
    def _only_with_the_reloader(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not info.data.get("use_reloader"):
            raise ValueError(f"{info.field_name} goes with use_reloader: true")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Server:
        if self.threads and self.processes > 1:
            raise PydanticCustomError(
                "server", "Cannot have a multi-thread and multi-process server.", {}
            )
        if self.kind == "wsgiref" and (self.threaded or self.processes > 1):
            raise PydanticCustomError(
                "server", "wsgiref's WSGIServer serves one connection at a time: no threads or processes", {}
            )
        if self.timeout is not None and self.start_path != "handle_request":
            raise PydanticCustomError(
                "server", "timeout is what handle_request waits; {start} does not use it",
                {"start": self.start_path},
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
        return self.spec.runs_threads(self.start, self.threaded)

    @property
    def start_path(self) -> str:
        if self.start is not None:
            return self.start
        return self.spec.default_start

    @property
    def serve_forever_poll(self) -> float:
        """The ``poll_interval`` the real ``serve_forever`` runs with: the declared one where
        the start passes it (``StackSpec.poll_starts``), else the default 0.5 s."""
        return self.poll_interval if self.start_path in self.spec.poll_starts else DEFAULT_POLL_INTERVAL

    @property
    def reloader_interval_ms(self) -> int:
        """``reloader_interval`` in ms (``run_simple``'s default: 1 second)."""
        return round((1.0 if self.reloader_interval is None else self.reloader_interval) * 1000)

    @property
    def reloader_spawn_ms(self) -> int:
        return DEFAULT_RELOADER_SPAWN_MS if self.reloader_spawn is None else self.reloader_spawn

    @property
    def listen_backlog(self) -> int:
        """What the server passes to ``listen()``."""
        return self.spec.backlog if self.backlog is None else self.backlog


class FileChange(Model):
    """The person saves a file at ``at`` ms: the reloader's stat loop notices it on its
    next turn (a change before the child's first turn is its starting point, not a change)."""

    at: Ms
    #: the file saved: the app's module (``/srv/app/app.py``)
    file: Literal["app.py"] = "app.py"


class Scenario(Model):
    format: Literal["wsgiscope/scenario@1"]
    title: str = ""
    server: Server = Server()
    app: App = App()
    clients: Annotated[list[Client], Field(max_length=MAX_CLIENTS)] = []
    #: files the person saves while the server runs (only with ``server.use_reloader``)
    file_changes: Annotated[list[FileChange], Field(max_length=MAX_FILE_CHANGES)] = []

    @field_validator("file_changes")
    @classmethod
    def _changes_need_the_reloader(cls, changes: list[FileChange], info: ValidationInfo) -> list[FileChange]:
        server = info.data.get("server")
        if changes and (server is None or not server.use_reloader):
            raise ValueError("file changes are noticed by the reloader only: set server.use_reloader")
        return changes

    @field_validator("clients")
    @classmethod
    def _clients_are_distinct(cls, clients: list[Client]) -> list[Client]:
        seen: set[str] = set()
        for client in clients:
            if client.id in seen:
                raise ValueError(f"two clients share the id {client.id!r}")
            seen.add(client.id)
        return clients


def _error_of(error: dict[str, Any]) -> ScenarioError:
    """One pydantic error as the engine's, with its type and its template's values."""
    ctx = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    return ScenarioError(_field_of(error), error["msg"], kind=error["type"], ctx=ctx)


def _field_of(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error["loc"]]
    name = (error.get("ctx") or {}).get("name")
    if error["type"] == "unknown_field" and name:
        loc.append(str(name))
    return ".".join(loc)


def check_app(app: App, kind: str = "werkzeug") -> None:
    """What Flask refuses while the app is built (``Flask(...)``, ``add_url_rule`` for each
    route in order, ``register_blueprint``): a rule Werkzeug cannot compile (unknown
    converter, arguments its converter does not take or cannot convert, a malformed rule,
    one without its leading slash), two different view functions for one endpoint, a dot in
    a blueprint's endpoint, two blueprints of one name. A route may repeat an endpoint with
    the same view (same ``name`` and the same declaration): one function under two rules.
    Rules are compiled by the `kind`'s Werkzeug (0.16's converters differ), and on 0.16 an
    error handler for a code it has no class for (421) is refused too."""
    views: dict[str, tuple[str, Any]] = {"static": ("static", None)}
    legacy = kind == "werkzeug-legacy"
    rule_class = werkzeug016_routing.Rule if legacy else Rule
    if legacy:
        _check_016_error_codes(app)

    def add(route: Route, field: str, endpoint: str, rule: str) -> None:
        if rule.count("/") > MAX_RULE_PARTS:
            raise LimitExceeded(f"{field}.rule", f"a rule has at most {MAX_RULE_PARTS} parts (slashes)")
        try:
            rule_class(rule, endpoint, rule_methods(route.methods)[0])
        except LookupError as err:
            raise refused(f"{field}.rule", "flask_converter", rule=repr(rule), error=str(err),
                          names=", ".join(DEFAULT_CONVERTERS)) from None
        except (ValueError, TypeError, SyntaxError) as err:
            raise refused(f"{field}.rule", "flask_rule", rule=repr(rule), error=str(err)) from None
        old = views.get(endpoint)
        new = (route.view_name, route.view.model_dump(by_alias=True))
        if old is not None and old != new:
            raise refused(f"{field}.endpoint", "flask_endpoint", endpoint=endpoint)
        views[endpoint] = new

    for i, route in enumerate(app.routes):
        add(route, f"app.routes.{i}", route.endpoint_name, route.rule)
    names: set[str] = set()
    for b, bp in enumerate(app.blueprints):
        if bp.name in names:
            raise refused(f"app.blueprints.{b}.name", "flask_blueprint", name=bp.name)
        names.add(bp.name)
        for i, route in enumerate(bp.routes):
            field = f"app.blueprints.{b}.routes.{i}"
            if "." in route.endpoint_name:
                raise refused(f"{field}.endpoint", "flask_endpoint_dot")
            add(route, field, f"{bp.name}.{route.endpoint_name}", bp.full_rule(route.rule))


#: What Flask says when it refuses an app while building it, by the error's ``kind``: its own
#: words where it has them (``error`` is Werkzeug's), so that a caller can say the same in
#: another language from the kind and its values (``ScenarioError.ctx``).
REFUSALS: dict[str, str] = {
    "flask_rule": "Flask refuses the rule {rule}: {error}",
    "flask_converter": "Flask refuses the rule {rule}: {error} (the converters are {names})",
    "flask_endpoint": "View function mapping is overwriting an existing endpoint function: {endpoint}"
                      " (a route may repeat an endpoint only with the same name and view)",
    "flask_blueprint": "The name '{name}' is already registered for a different blueprint.",
    "flask_endpoint_dot": "'endpoint' may not contain a dot '.' character.",
    "flask_error_code": "'{code}' is not a recognized HTTP error code. Use a subclass of HTTPException"
                        " with that code instead.",
}


def refused(field: str, kind: str, **ctx: str) -> ScenarioError:
    """The error for what Flask refuses while the app is built (see :data:`REFUSALS`)."""
    return ScenarioError(field, REFUSALS[kind].format(**ctx), kind=kind, ctx=ctx)


def _check_016_error_codes(app: App) -> None:
    """Flask 1.1's ``_register_error_handler``: a code Werkzeug 0.16's ``default_exceptions``
    lacks is a KeyError while the app is built (a blueprint's, at ``register_blueprint``)."""
    scaffolds = [("app", app), *((f"app.blueprints.{b}", bp) for b, bp in enumerate(app.blueprints))]
    for where, scaffold in scaffolds:
        for key in scaffold.errorhandlers:
            if key.isdigit() and int(key) in MISSING_IN_016:
                raise refused(f"{where}.errorhandlers", "flask_error_code", code=str(int(key)))


def load(document: Any) -> Scenario:
    """Validate a decoded JSON document; raise :class:`ScenarioError` naming the first bad field."""
    if not isinstance(document, dict):
        raise ScenarioError("", f"a scenario is a JSON object, not {type(document).__name__}")
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        raise _error_of(first) from None
    check_app(scenario.app, scenario.server.kind)
    # The budget (sim/budget.py): bytes sent and an upper bound on the steps, before any work.
    budget.check(scenario, MAX_SEND_BYTES)
    return scenario


def errors(document: Any) -> list[ScenarioError]:
    """Every error in a decoded JSON document, each naming its field (none: it is valid),
    for an editor that marks them all at once; the first is what :func:`load` raises."""
    try:
        load(document)
    except LimitExceeded as err:
        return [err]
    except ScenarioError as first:
        if not isinstance(document, dict):
            return [first]
        try:
            Scenario.model_validate(document)
        except ValidationError as err:
            return [_error_of(e) for e in err.errors(include_url=False)]
        # The model is valid: the error is what Flask refuses while the app is built
        return [first]
    return []


def schema() -> dict[str, Any]:
    """The JSON Schema of a scenario, for editors."""
    return Scenario.model_json_schema(by_alias=True)
