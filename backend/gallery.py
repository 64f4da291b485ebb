"""The ready scenarios in ``gallery/*.json``.

A file ``NN-some-name.json`` becomes the slug ``some-name``; the number only orders the
gallery. Each is a plain wsgiscope/scenario@1 document with a ``title`` and an ``x-lesson``
one-liner (``x-`` fields are allowed by the contract), in English; their translations are in
the catalogs (``backend/i18n.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sim

from .i18n import tr

_PREFIX = re.compile(r"^\d+-")


@dataclass(frozen=True, slots=True)
class Entry:
    slug: str
    scenario: dict[str, Any]
    #: False when the engine does not simulate this stack yet (the entry stays hidden).
    available: bool = True
    reason: str = ""

    @property
    def title(self) -> str:
        return str(self.scenario.get("title") or self.slug)

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (the catalogs hold the gallery's words: backend/i18n.py)."""
        return tr(self.title, lang)

    def lesson(self, lang: str) -> str:
        return tr(str(self.scenario.get("x-lesson", "")), lang)

    @property
    def kind(self) -> str:
        server = self.scenario.get("server") or {}
        kind = str(server.get("kind", "werkzeug"))
        if kind.startswith("werkzeug"):
            kind += ", threaded" if server.get("threaded") else ", one thread"
        return kind

    @property
    def tags(self) -> list[str]:
        return list(self.scenario.get("x-tags", []))


def load_gallery(directory: Path) -> dict[str, Entry]:
    """All gallery files; those the engine refuses (a stack not simulated yet) are marked."""
    entries: dict[str, Entry] = {}
    for path in sorted(directory.glob("*.json")):
        slug = _PREFIX.sub("", path.stem)
        scenario = json.loads(path.read_text(encoding="utf-8"))
        try:
            sim.validate(scenario)
            reason = _not_landed(scenario)
        except sim.ScenarioError as e:
            reason = str(e)
        entries[slug] = Entry(slug, scenario, available=not reason, reason=reason)
    return entries


#: A stack has landed in the engine when its trace names functions only it has.
_SIGNATURE = {
    "wsgiref": lambda q: q.startswith("wsgiref."),
    # the 0.15/0.16 run_simple wraps the server in a local inner() (seed 002)
    "werkzeug-legacy": lambda q: q.endswith("run_simple.<locals>.inner"),
}


def _not_landed(scenario: dict[str, Any]) -> str:
    """Why a gallery scenario's stack is not simulated yet ("" when it is).

    An engine that accepts ``server.kind`` but runs another stack would teach the wrong
    lesson, so the gallery waits until the trace carries the stack's own functions.
    """
    kind = (scenario.get("server") or {}).get("kind", "werkzeug")
    check = _SIGNATURE.get(kind)
    if check is None:
        return ""
    trace = sim.run(scenario)
    if any(check(step.qualname or "") for step in trace.steps):
        return ""
    return f"the engine does not simulate server.kind {kind!r} yet"
