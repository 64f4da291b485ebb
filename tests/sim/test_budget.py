"""``sim.budget``: the bound on a scenario's steps holds on real runs, a scenario past the
budget is refused by validation (before any work) naming the limit, and the largest
scenarios the format allows that the benchmark runs fit in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simhelpers import GALLERY, REPO, get, scenario

import sim
from benchmarks.engine import chunks_scenario, stream_scenario
from benchmarks.engine import scenario as clients_scenario
from sim import budget
from sim.scenario import MAX_CLIENTS, load

CASES = sorted(GALLERY.glob("*.json")) + sorted((REPO / "tests/fidelity/cases").glob("*.json"))


def documents() -> list[tuple[str, dict]]:
    """Every scenario of a stack the engine simulates."""
    out = []
    for path in CASES:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        doc = doc.get("scenario", doc)
        if sim.STACKS[doc.get("server", {}).get("kind", "werkzeug")].implemented:
            out.append((path.stem, doc))
    return out


DOCUMENTS = documents()


@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_bound_holds_on_every_gallery_scenario_and_case(name, doc):
    assert len(sim.run(doc).steps) <= budget.estimate(load(doc)).steps


@pytest.mark.parametrize("doc", [chunks_scenario(3000), stream_scenario(3000),
                                 clients_scenario(200, False), clients_scenario(200, True)],
                         ids=["chunks", "stream", "clients", "clients-threaded"])
def test_bound_holds_on_the_benchmark_scenarios(doc):
    assert len(sim.run(doc).steps) <= budget.estimate(load(doc)).steps


def test_the_benchmarks_full_sizes_and_the_most_clients_fit():
    for doc in (chunks_scenario(100_000), stream_scenario(100_000), clients_scenario(10_000, True),
                clients_scenario(MAX_CLIENTS, True)):
        assert budget.estimate(load(doc)).steps <= budget.MAX_STEPS


def test_past_the_budget_validation_refuses_naming_the_limit():
    doc = scenario(*[get("/s")] * 400, routes=[
        {"rule": "/s", "endpoint": "s", "view": {"stream": ["x"] * 1000}}])
    with pytest.raises(sim.LimitExceeded) as info:
        sim.validate(doc)  # validation alone: nothing is simulated
    assert info.value.field == "clients"
    assert f"the limit is {budget.MAX_STEPS} steps" in str(info.value)
    assert "stream items" in str(info.value)
    with pytest.raises(sim.LimitExceeded):
        sim.run(doc)


def test_bytes_past_the_budget_are_refused():
    doc = scenario("x" * (9 << 20), "y" * (9 << 20))
    with pytest.raises(sim.LimitExceeded, match="the limit is 16777216"):
        sim.validate(doc)
