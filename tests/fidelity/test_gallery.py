"""The gallery's scenarios, on the real stack: what the home page teaches must be true.

Every gallery scenario of a server kind the engine simulates is recorded live on the real
stack and compared with the simulation, like the case corpus.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import sim

from .compare import compare_live
from .real_stack import Recording, record

GALLERY = Path(__file__).resolve().parents[2] / "gallery"
SIMULATED_KINDS = {"werkzeug", "werkzeug-legacy", "wsgiref"}


def _valid(document: dict) -> bool:
    """A gallery entry that needs a field its stack does not have yet waits hidden in
    ``gallery/pending/``; it is judged once the engine accepts it."""
    try:
        sim.validate(document)
    except sim.ScenarioError:
        return False
    return True


SCENARIOS = {
    path.stem: document
    for path in [*sorted(GALLERY.glob("*.json")), *sorted(GALLERY.glob("pending/*.json"))]
    if (document := json.loads(path.read_text()))["server"].get("kind", "werkzeug") in SIMULATED_KINDS
    and _valid(document)
}


@pytest.fixture(scope="module")
def recordings() -> Iterator[dict[str, Future[Recording]]]:
    pool = ThreadPoolExecutor(3)
    yield {name: pool.submit(record, scenario) for name, scenario in SCENARIOS.items()}
    pool.shutdown(cancel_futures=True)


def test_the_gallery_has_simulated_scenarios() -> None:
    assert len(SCENARIOS) >= 12


@pytest.mark.fidelity
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_gallery_scenario_matches_real_stack(name: str, recordings: dict[str, Future[Recording]]) -> None:
    differences = compare_live(SCENARIOS[name], recordings[name].result())
    assert not differences, f"{name}: " + "\n".join(f"- {d}" for d in differences)
