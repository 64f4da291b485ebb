"""wsgiscope's simulation engine: a deterministic, sans-IO model of a Python web request's
path through socketserver, http.server, Werkzeug's dev server and Flask.

The public API (everything else is private)::

    trace = sim.run(scenario_dict)      # raises sim.ScenarioError naming the field
    trace.steps[i], trace.clients, trace.log, trace.state_at(i), trace.to_json()
"""

from __future__ import annotations

from typing import Any

from . import scenario as _scenario
from .engine import run_scenario as _run_scenario
from .errors import LimitExceeded, ScenarioError
from .trace import PHASES, ClientResult, LogLine, Step, Trace

__all__ = [
    "PHASES",
    "ClientResult",
    "LimitExceeded",
    "LogLine",
    "ScenarioError",
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
