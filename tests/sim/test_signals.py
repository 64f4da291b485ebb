"""Flask's signals in the trace (``sim/stack/blinker_base.py``): where Flask 3.1.3 sends
them, one ``blinker.base.Signal.send`` step each. (``tests/fidelity`` checks the same order
of names against the real stack for every case.)"""

from __future__ import annotations

from simhelpers import get, scenario

import sim

SEND = "blinker.base.Signal.send"


def sent(trace: sim.Trace) -> list[str]:
    return [s.event.removeprefix("signal_") for s in trace.steps if s.qualname == SEND]


def test_a_plain_request_sends_six_signals_in_flasks_order() -> None:
    trace = sim.run(scenario(get("/")))
    assert sent(trace) == ["appcontext_pushed", "request_started", "request_finished",
                           "request_tearing_down", "appcontext_tearing_down", "appcontext_popped"]
    steps = [s for s in trace.steps if s.qualname == SEND]
    assert all(s.layer == "flask" and s.line == "for receiver in self.receivers_for(sender):" for s in steps)
    assert "request_started signal" in steps[1].caption and "none is" in steps[1].caption
    assert steps[1].caption.startswith("Flask.full_dispatch_request sends")


def test_request_started_comes_before_the_hooks_and_finished_after_after_request() -> None:
    doc = scenario(get("/"), routes=[{"rule": "/", "endpoint": "index", "view": {"text": "hi"}}])
    doc["app"]["before_request"] = [{"name": "guard"}]
    doc["app"]["after_request"] = [{"name": "tag", "set_headers": {"X-A": "1"}}]
    names = [s.event if s.qualname == SEND else s.qualname for s in sim.run(doc).steps if s.qualname]
    assert names.index("signal_request_started") < names.index("app.guard")
    assert names.index("app.tag") < names.index("signal_request_finished")


def test_an_unhandled_error_sends_got_request_exception_before_logging_it() -> None:
    doc = scenario(get("/"), routes=[{"rule": "/", "endpoint": "boom", "view": {"raise": "RuntimeError"}}])
    trace = sim.run(doc)
    assert sent(trace) == ["appcontext_pushed", "request_started", "got_request_exception",
                           "request_finished", "request_tearing_down", "appcontext_tearing_down",
                           "appcontext_popped"]
    names = [s.event if s.qualname == SEND else s.qualname for s in trace.steps if s.qualname]
    assert names.index("signal_got_request_exception") < names.index("flask.app.Flask.log_exception")


def test_stream_with_context_pushes_and_pops_the_app_context_again() -> None:
    doc = scenario(get("/"), routes=[{"rule": "/", "endpoint": "s",
                                      "view": {"stream": ["a", "b"], "with_context": True}}])
    assert sent(sim.run(doc))[6:] == ["appcontext_pushed", "request_tearing_down",
                                      "appcontext_tearing_down", "appcontext_popped"]
