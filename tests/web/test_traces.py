"""Playback indexes: lanes, requests, key-step marks and navigation."""

import json

import sim
from backend.lanes import LANE_IDS
from backend.services import ROOT
from backend.traces import KEY_PHASES, Playback, TraceCache, scenario_key


def playback(name: str) -> Playback:
    s = json.loads((ROOT / "gallery" / f"{name}.json").read_text(encoding="utf-8"))
    return Playback(s, sim.run(s), scenario_key(s))


def test_two_clients_two_requests_with_all_key_marks():
    pb = playback("02-two-clients-one-thread")
    assert [r.id for r in pb.requests] == ["c1", "c2"]
    for r in pb.requests:
        assert list(r.marks) == list(KEY_PHASES)
        assert pb.trace.steps[r.marks["accept"]].qualname  # the server's accept, not connect()
    assert set(pb.lanes) <= set(LANE_IDS)


def test_a_100_continue_is_not_a_second_request():
    pb = playback("18-expect-100-continue")
    assert [r.id for r in pb.requests] == ["c1"]


def test_navigation():
    pb = playback("02-two-clients-one-thread")
    phases = [s.phase for s in pb.trace.steps]
    i = 40
    nxt = pb.next_phase(i)
    assert nxt > i and phases[nxt] != phases[nxt - 1]
    prev = pb.prev_phase(nxt)
    assert prev < nxt and phases[prev] != phases[prev - 1]
    second = pb.requests[1].start
    assert pb.next_request(pb.requests[0].start) == second
    assert pb.prev_request(second) == pb.requests[0].start
    assert pb.next_request(pb.total - 1) == pb.total - 1
    assert pb.prev_request(0) == 0 and pb.prev_phase(0) == 0
    assert pb.clamp(-5) == 0 and pb.clamp(10**6) == pb.total - 1


def test_tokens_follow_their_client():
    pb = playback("02-two-clients-one-thread")
    pos = pb.token_positions(pb.total - 1)
    assert set(pos) == {"c1", "c2"} and all(p is not None for p in pos.values())
    assert pb.token_positions(0) == {"c1": None, "c2": None}


def test_trace_cache_is_an_lru_by_hash():
    cache = TraceCache(size=1)
    a = json.loads((ROOT / "gallery" / "01-one-get.json").read_text(encoding="utf-8"))
    b = {**a, "title": "other"}
    pa = cache.get(a)
    assert cache.get(a) is pa
    assert cache.peek(scenario_key(a)) is pa
    cache.get(b)
    assert cache.peek(scenario_key(a)) is None
