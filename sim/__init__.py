"""wsgiscope's simulation engine: a deterministic, sans-IO model of a Python web request's
path through socketserver, http.server, Werkzeug's dev server and Flask.

The public API (everything else is private)::

    trace = sim.run(scenario_dict)      # raises sim.ScenarioError naming the field
    trace.steps[i], trace.clients, trace.log, trace.state_at(i), trace.to_json()
    trace.stack                         # which stack, and the library versions it models

A step says where it happens (``Step.layer``, a :class:`Layer`), which request of its
connection it serves (``Step.request``), which declaration of the scenario it runs
(``Step.decl``) and what kind of event it is (``Step.event``); phases and client ends are
:class:`Phase` and :class:`ClientEnd`. :data:`STACKS` lists the stacks and their defaults.
"""

from __future__ import annotations

from typing import Any

from . import scenario as _scenario
from .engine import run_scenario as _run_scenario
from .errors import LimitExceeded, ScenarioError
from .layers import LAYER_NAMES, Layer
from .stacks import STACKS, StackSpec
from .trace import PHASES, ClientEnd, ClientResult, LogLine, Phase, StackInfo, Step, Trace

__all__ = [
    "LAYER_NAMES",
    "PHASES",
    "STACKS",
    "ClientEnd",
    "ClientResult",
    "Layer",
    "LimitExceeded",
    "LogLine",
    "Phase",
    "ScenarioError",
    "StackInfo",
    "StackSpec",
    "Step",
    "Trace",
    "run",
    "scenario_schema",
    "validate",
]


def validate(scenario: Any) -> None:
    """Raise :class:`ScenarioError` (naming the field) unless ``scenario`` is valid."""
    _scenario.load(scenario)


def run(scenario: Any) -> Trace:
    """Simulate a ``wsgiscope/scenario@1`` document; the same input gives the same trace."""
    return _run_scenario(_scenario.load(scenario))


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario."""
    return _scenario.schema()
