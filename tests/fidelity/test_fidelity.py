"""The simulator against the real stack, one test per (case, variant).

The real runs are recorded live (never from ``recordings/``), several at a time in child
processes, as soon as the module's first test asks for them; each test then compares its
own recording with ``sim.run`` of the same scenario; where they differ, the scenario is
recorded once more and the engine is judged on that run too (``compare_live``: a loaded
machine can make a real run miss the scenario's timings).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from .compare import compare_live
from .corpus import Case, load_cases
from .real_stack import Recording, record

CASES = load_cases()
# Real runs are mostly waiting on their scenario's timers: 3 at a time fits 2 cores with
# the cases' timings (>= 30 ms between ordered events), as record_all checks.
PARALLEL_RECORDINGS = 3


@pytest.fixture(scope="module")
def recordings(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Recording]]]:
    selected = _selected_cases(request)
    pool = ThreadPoolExecutor(PARALLEL_RECORDINGS)
    yield {case.id: pool.submit(record, case.scenario) for case in selected}
    pool.shutdown(cancel_futures=True)


def _selected_cases(request: pytest.FixtureRequest) -> list[Case]:
    """The cases of the tests pytest will run (all of them, unless -k/-x narrowed it)."""
    cases = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec and "case" in callspec.params:
            cases.append(callspec.params["case"])
    return cases


@pytest.mark.fidelity
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_simulation_matches_real_stack(case: Case, recordings: dict[str, Future[Recording]]) -> None:
    differences = compare_live(case.scenario, recordings[case.id].result())
    assert not differences, f"{case.id}: {len(differences)} difference(s):\n" + "\n".join(f"- {d}" for d in differences)
