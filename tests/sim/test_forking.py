"""``ForkingMixIn`` (``server.processes > 1``) on both Werkzeug kinds: a child process per
connection, the parent's own close, reaping, and ``max_children``. Judged against the real
forking servers by the ``wz-fork`` and ``legacy-fork`` variants of the case corpus."""

from __future__ import annotations

import pytest
from simhelpers import get, scenario

import sim

SLOW = [{"rule": "/", "endpoint": "index", "view": {"text": "hi", "sleep": 200}}]


@pytest.mark.parametrize("kind", ["werkzeug", "werkzeug-legacy"])
def test_each_connection_gets_its_own_process(kind: str) -> None:
    doc = scenario(get(), get(), routes=SLOW,
                   server={"kind": kind, "threaded": False, "processes": 4, "start": "run_simple"})
    trace = sim.run(doc)
    forked = [s for s in trace.steps if s.event == "process_request_forked"]
    assert [s.actor for s in forked] == ["main", "main"]
    # captions name a child as its timeline track does ("child 2 (os.fork)")
    assert [forked[0].caption, forked[1].caption_zh] == [
        "ForkingMixIn forks child 1 to handle this connection.", "ForkingMixIn 派生出 子进程 2 来处理这个连接。"]
    served_by = {s.client: s.actor for s in trace.steps if s.event == "handler_init"}
    assert served_by == {"c1": "process-1", "c2": "process-2"}
    # the parent closes its copy right after the fork; the child shuts the connection down
    parent_close = [s for s in trace.steps if s.event == "close_request_parent"]
    assert [s.actor for s in parent_close] == ["main", "main"]
    assert {s.actor for s in trace.steps if s.qualname == "socketserver.TCPServer.shutdown_request"} == {
        "process-1", "process-2"}
    # both sleep at once: the second answer is not 200 ms behind the first
    ends = [s.t for s in trace.steps if s.event == "client_eof"]
    assert max(ends) - min(ends) < 200
    assert all(r.received.endswith(b"hi") for r in trace.clients.values())


def test_max_children_holds_the_loop_until_a_child_exits() -> None:
    doc = scenario(get(), get(), get(), routes=SLOW,
                   server={"kind": "werkzeug-legacy", "threaded": False, "processes": 2, "start": "run_simple"})
    trace = sim.run(doc)
    full = [s for s in trace.steps if s.event == "collect_children_full"]
    assert full, "two children alive is max_children=2: collect_children must wait"
    reaped = next(s for s in trace.steps if s.event == "child_reaped")
    accept_c3 = next(s for s in trace.steps if s.event == "get_request" and s.client == "c3")
    assert reaped.t >= 200 and accept_c3.t >= reaped.t
    assert trace.clients["c3"].received.endswith(b"hi")


def test_threads_and_processes_together_are_refused() -> None:
    doc = scenario(get(), server={"kind": "werkzeug-legacy", "threaded": True, "processes": 2})
    with pytest.raises(sim.ScenarioError, match="multi-thread and multi-process"):
        sim.run(doc)


def test_child_tracks_are_named_by_their_number_first() -> None:
    """A forked child's track says which child first (a phone's timeline cuts labels to
    about 15 characters: three "child process …" rows could not be told apart)."""
    doc = scenario(get(), get(), routes=SLOW,
                   server={"kind": "werkzeug-legacy", "threaded": False, "processes": 2, "start": "run_simple"})
    tracks = [t for t in sim.timeline(sim.run(doc)).tracks if t.kind is sim.TrackKind.PROCESS]
    assert [(t.label, t.label_zh) for t in tracks] == [
        ("child 1 (os.fork)", "子进程 1 (os.fork)"), ("child 2 (os.fork)", "子进程 2 (os.fork)")]
