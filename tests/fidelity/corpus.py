"""The case corpus: ``cases/*.json`` scenarios, each run on one or more server variants.

A case file is a complete wsgiscope/scenario@1 document (with ``title`` and an ``x-why``);
its ``x-variants`` lists the variants it runs on. A variant fixes the server's kind and
threading, so one file gives one scenario per variant.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"
RECORDINGS_DIR = Path(__file__).parent / "recordings"

VARIANTS: dict[str, dict[str, Any]] = {
    "wz-nt": {"kind": "werkzeug", "threaded": False},
    "wz-t": {"kind": "werkzeug", "threaded": True},
    # Werkzeug 0.16.1 + Flask 1.1.4 (recorded in .venv-legacy/)
    "legacy-nt": {"kind": "werkzeug-legacy", "threaded": False},
    "legacy-t": {"kind": "werkzeug-legacy", "threaded": True},
    # ForkingWSGIServer: a child process per connection, at most 4 at a time
    "legacy-fork": {"kind": "werkzeug-legacy", "threaded": False, "processes": 4},
    "wz-fork": {"kind": "werkzeug", "threaded": False, "processes": 4},
    # run_simple(use_reloader=True): the parent opens the socket, a child (the same module
    # run again, WERKZEUG_RUN_MAIN=true) serves it from Thread-1 (inner)
    "legacy-reload": {"kind": "werkzeug-legacy", "threaded": False, "use_reloader": True},
    "legacy-reload-t": {"kind": "werkzeug-legacy", "threaded": True, "use_reloader": True},
    # the standard library's wsgiref (single-threaded; its start is the case's own)
    "wsgiref": {"kind": "wsgiref"},
}


@dataclass(frozen=True)
class Case:
    name: str
    variant: str
    scenario: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.name}.{self.variant}"

    @property
    def recording_path(self) -> Path:
        return RECORDINGS_DIR / f"{self.id}.json"


def scenario_for(document: dict[str, Any], variant: str) -> dict[str, Any]:
    """The case document as the scenario of one variant."""
    scenario = copy.deepcopy(document)
    scenario["server"] = {**scenario.get("server", {}), **VARIANTS[variant]}
    return scenario


def load_cases(names: list[str] | None = None) -> list[Case]:
    """Every (case, variant), sorted by name; only the named cases if `names` is given."""
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        if names and path.stem not in names:
            continue
        document = json.loads(path.read_text())
        for variant in document.get("x-variants", list(VARIANTS)):
            cases.append(Case(path.stem, variant, scenario_for(document, variant)))
    return cases
