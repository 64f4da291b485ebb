"""The ready scenarios in ``gallery/*.json``.

A file ``NN-some-name.json`` becomes the slug ``some-name``; the number only orders the
gallery. Each is a plain wsgiscope/scenario@1 document with a ``title`` and the
``x-lesson``/``x-lesson-zh`` one-liners (``x-`` fields are allowed by the contract).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sim

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

    def lesson(self, lang: str) -> str:
        if lang == "zh" and self.scenario.get("x-lesson-zh"):
            return str(self.scenario["x-lesson-zh"])
        return str(self.scenario.get("x-lesson", ""))

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
        except sim.ScenarioError as e:
            entries[slug] = Entry(slug, scenario, available=False, reason=str(e))
        else:
            entries[slug] = Entry(slug, scenario)
    return entries
