"""wsgiscope's simulation engine: a deterministic, sans-IO model of a Python web request's
path through socketserver, http.server, Werkzeug's dev server and Flask.

The public API (everything else is private)::

    trace = sim.run(scenario_dict)      # raises sim.ScenarioError naming the field
    trace.steps[i], trace.clients, trace.log, trace.state_at(i), trace.to_json()
    trace.stack                         # which stack, and the library versions it models
    sim.timeline(trace)                 # tracks per actor, request waterfalls, key moments

A step says where it happens (``Step.layer``, a :class:`Layer`), which request of its
connection it serves (``Step.request``), which declaration of the scenario it runs
(``Step.decl``) and what kind of event it is (``Step.event``); phases and client ends are
:class:`Phase` and :class:`ClientEnd`. :data:`STACKS` lists the stacks and their defaults.
"""

from __future__ import annotations

from typing import Any

from . import scenario as _scenario
from .appsource import AppSource, Span
from .appsource import app_source as _app_source
from .engine import run_scenario as _run_scenario
from .errors import LimitExceeded, ScenarioError
from .layers import LAYER_NAMES, Layer
from .mimetable import MimeTypes
from .stacks import STACKS, StackSpec
from .timeline import (
    Activity,
    Axis,
    Bar,
    BodyMark,
    BodyMarkKind,
    Moment,
    MomentKind,
    RequestTimes,
    Segment,
    Timeline,
    Track,
    TrackKind,
    activity_of,
    moment_caption,
    thread_name,
    thread_names,
    timeline,
)
from .trace import PHASES, ClientEnd, ClientResult, LogLine, Phase, StackInfo, Step, Trace

__all__ = [
    "LAYER_NAMES",
    "PHASES",
    "STACKS",
    "Activity",
    "AppSource",
    "Axis",
    "Bar",
    "BodyMark",
    "BodyMarkKind",
    "ClientEnd",
    "ClientResult",
    "Layer",
    "LimitExceeded",
    "LogLine",
    "MimeTypes",
    "Moment",
    "MomentKind",
    "Phase",
    "RequestTimes",
    "ScenarioError",
    "Segment",
    "Span",
    "StackInfo",
    "StackSpec",
    "Step",
    "Timeline",
    "Trace",
    "Track",
    "TrackKind",
    "activity_of",
    "app_source",
    "moment_caption",
    "run",
    "scenario_schema",
    "thread_name",
    "thread_names",
    "timeline",
    "validate",
    "validation_errors",
]


def validate(scenario: Any) -> None:
    """Raise :class:`ScenarioError` (naming the field) unless ``scenario`` is valid."""
    _scenario.load(scenario)


def validation_errors(scenario: Any) -> list[ScenarioError]:
    """Every error in ``scenario``, each naming its field; empty when it is valid."""
    return _scenario.errors(scenario)


def run(scenario: Any, *, mimetypes: MimeTypes | None = None) -> Trace:
    """Simulate a ``wsgiscope/scenario@1`` document; the same input gives the same trace.

    ``mimetypes``: the table the simulated ``mimetypes.guess_type`` reads for static files
    (the real one reads the machine's ``/etc/mime.types``); by default the reference
    machine's (``sim.mimetable.SNAPSHOT``)."""
    return _run_scenario(_scenario.load(scenario), mimetypes)


def app_source(scenario: Any) -> AppSource | None:
    """The scenario's declared Flask app as the Python module a person would write, with
    where each declaration is (keyed like ``Step.decl``); None for an app that is not a
    declared Flask app (wsgiref's ``demo_app`` is real code: show its real source)."""
    app = _scenario.load(scenario).app
    return _app_source(app) if app.kind == "flask" else None


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario."""
    return _scenario.schema()
