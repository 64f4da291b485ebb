"""A trace's memory grows with its steps, not with steps times buffered bytes; ``sim.run``
changes nothing outside itself (the cyclic GC); many scenarios in one process leave no
memory behind."""

from __future__ import annotations

import gc
import tracemalloc

import sim
from benchmarks.engine import chunks_scenario, distinct_scenario, stream_scenario
from sim.trace import BLOCK, KEEP_FINISHED, Column


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


def test_a_column_reads_like_the_list_of_its_values():
    column = Column()
    values = [(i, f"v{i}") for i in range(3 * BLOCK + 5)]
    column.tail.extend(values)
    assert column.seal() == 2 * BLOCK  # one block stays in the tail
    assert len(column.blocks) == 2 and len(column.tail) == BLOCK + 5
    assert len(column) == len(values) and list(column) == values
    for i in (0, BLOCK - 1, BLOCK, 2 * BLOCK - 1, 2 * BLOCK, 3 * BLOCK + 4):
        assert column[i] == values[i]
    for start, stop in ((0, 0), (3, 9), (BLOCK - 2, BLOCK + 3), (5, 3 * BLOCK + 5),
                        (2 * BLOCK - 1, 2 * BLOCK + 1), (2 * BLOCK + 7, 3 * BLOCK)):
        assert column.range(start, stop) == values[start:stop]


def test_a_long_trace_is_not_walked_by_the_collector():
    """The sealed blocks of steps are untracked once the GC has seen them, so a full
    collection does not visit every step of every trace a program holds."""
    trace = sim.run(distinct_scenario(7) | {"clients": [
        {"id": f"c{i}", "at": 20 * i, "send": ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]}
        for i in range(300)]})
    gc.collect()
    blocks = trace._rows.steps.blocks
    assert len(trace.steps) > 2 * BLOCK and blocks
    assert not [k for k, block in enumerate(blocks) if gc.is_tracked(block)]
    # and the names steps carry are shared, not one copy per step
    names = [(s.qualname, s.event) for s in trace.steps]
    assert len({id(q) for q, _ in names if q}) == len({q for q, _ in names if q})
