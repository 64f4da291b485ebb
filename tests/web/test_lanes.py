"""The lanes are the engine's layers: a step's lane is the layer it records."""

import json

import sim
from backend.lanes import LANE_IDS, LANES, lane_of
from backend.services import ROOT


def test_lanes_are_the_layers_in_order():
    assert LANE_IDS == sim.LAYER_NAMES
    assert len({label for _, label, _ in LANES}) == len(LANES)


def test_lane_of_reads_the_step_layer():
    doc = json.loads((ROOT / "gallery" / "07-before-request-guard.json").read_text(encoding="utf-8"))
    steps = list(sim.run(doc).steps)
    by_event = {s.event: lane_of(s) for s in steps}
    # a before_request hook is Flask's, not the view's (the lesson: the view never runs)
    assert by_event["hook_before_request"] == "flask"
    assert by_event["handle_one_request"] == "handler"
    assert by_event["run_wsgi"] == "wsgi"
    assert by_event["backlog_queued"] == "kernel"
    assert by_event["client_send"] == "client"
    assert by_event["get_request"] == "loop"
    assert "view" not in {lane_of(s) for s in steps if s.client}
