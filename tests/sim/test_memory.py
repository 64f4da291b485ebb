"""A trace's memory grows with its steps, not with steps times buffered bytes; ``sim.run``
changes nothing outside itself (the cyclic GC); many scenarios in one process leave no
memory behind."""

from __future__ import annotations

import gc
import tracemalloc

import sim
from benchmarks.engine import chunks_scenario, distinct_scenario, stream_scenario
from sim.trace import KEEP_FINISHED


def bytes_per_step(doc: dict) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        trace = sim.run(doc)
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return current / len(trace.steps)


def test_a_step_costs_the_same_whatever_the_buffers_hold():
    """The receive buffer holds up to every chunk sent so far (the server reads after the
    last): a step that copied it would cost 4x more at 4x the chunks."""
    small, large = bytes_per_step(chunks_scenario(1500)), bytes_per_step(chunks_scenario(6000))
    assert large < 1.25 * small, (small, large)


def test_a_streamed_response_is_not_copied_at_every_write():
    small, large = bytes_per_step(stream_scenario(1500)), bytes_per_step(stream_scenario(6000))
    assert large < 1.25 * small, (small, large)


def test_state_at_still_shows_the_buffers():
    trace = sim.run(chunks_scenario(3000))
    sends = [s.i for s in trace.steps if s.event == "client_send"]
    state = trace.state_at(sends[-1])["sockets"]["c1"]
    # the head and 3000 bytes wait in the kernel: shown shortened in the middle
    assert state["recv_buffer"].startswith("POST /echo") and state["recv_buffer"].endswith("x" * 1024)
    assert "more bytes" in state["recv_buffer"]


def test_run_leaves_the_cyclic_gc_as_it_found_it():
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            sim.run(distinct_scenario(1))
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() == 0
        finally:
            gc.enable()


def test_finished_connections_leave_the_snapshot():
    """The snapshot keeps what is live and the connections that finished last."""
    trace = sim.run(chunks_scenario(1) | {"clients": [
        {"id": f"c{n}", "at": 10 * n, "send": ["POST /echo HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"]}
        for n in range(KEEP_FINISHED + 20)]})
    last = trace.state_at(len(trace.steps) - 1)
    for section in ("sockets", "environ", "response", "handler"):
        assert len(last[section]) == KEEP_FINISHED, section
    assert "c0" not in last["sockets"] and f"c{KEEP_FINISHED + 19}" in last["sockets"]
    assert {r.end for r in trace.clients.values()} == {sim.ClientEnd.EOF}


def test_memory_is_flat_over_many_distinct_scenarios():
    def rss_kib() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4

    for n in range(60):  # warm up: imports, caches filling to their bounds
        sim.run(distinct_scenario(n))
    gc.collect()
    before = rss_kib()
    for n in range(60, 460):
        trace = sim.run(distinct_scenario(n))
        trace.state_at(len(trace.steps) - 1)
    gc.collect()
    assert rss_kib() - before < 3 * 1024, "more than 3 MiB left behind by 400 scenarios"
