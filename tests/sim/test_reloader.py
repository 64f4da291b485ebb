"""Werkzeug 0.16's reloader (``server.use_reloader``): the parent that opens the socket and
waits, the child that runs the module again and serves from ``Thread-1 (inner)``, and the
scenario fields. Judged against the real reloader by the ``legacy-reload`` and
``legacy-reload-t`` variants of the case corpus (``tests/fidelity/reloader.py``)."""

from __future__ import annotations

import pytest
from simhelpers import get, scenario

import sim
from sim.scenario import DEFAULT_RELOADER_SPAWN_MS
from sim.stack.werkzeug016_reloader import noticing_turn
from tests.fidelity import reloader as real_reloader


def reloading(*sends: str, **server) -> dict:
    doc = scenario(*sends, server={"kind": "werkzeug-legacy", "use_reloader": True, **server})
    return doc


def test_the_parent_listens_before_any_child_and_only_waits() -> None:
    trace = sim.run(reloading(get(), threaded=False))
    parent = [s for s in trace.steps if s.actor == "main"]
    assert [s.event for s in parent][-5:] == ["run_simple_reloader", "log_startup", "run_with_reloader",
                                              "restart_with_reloader", "get_args_for_reloading"]
    listen = next(s for s in parent if s.event == "run_simple_reloader")
    assert listen.qualname == "werkzeug.serving.run_simple" and listen.line == "s.listen(LISTEN_QUEUE)"
    assert 'WERKZEUG_SERVER_FD"] = "3"' in listen.caption
    # the parent serves nothing: no connection is ever handled by it
    assert all(s.client is None for s in parent)
    assert [line.line for line in trace.log if line.actor == "main"][-2:] == [
        " * Running on http://127.0.0.1:5000/ (Press CTRL+C to quit)", " * Restarting with stat"]


def test_clients_wait_in_the_parents_backlog_until_the_child_serves() -> None:
    trace = sim.run(reloading(get(), threaded=False))
    queued = next(s for s in trace.steps if s.event == "backlog_queued" and s.client == "c1")
    child = next(s for s in trace.steps if s.event == "reloader_child_start")
    accept = next(s for s in trace.steps if s.event == "get_request" and s.client == "c1")
    assert queued.t < child.t == DEFAULT_RELOADER_SPAWN_MS <= accept.t
    assert "already waiting in the parent's backlog: 1." in child.caption
    assert trace.clients["c1"].received.endswith(b"hi")
    assert not any(s.event == "connect_refused" for s in trace.steps)


def test_the_child_runs_the_module_again_and_serves_from_thread_1_inner() -> None:
    trace = sim.run(reloading(get(), get(), threaded=True))
    child_main = [s.event for s in trace.steps if s.actor == "child-1"]
    assert child_main == ["reloader_child_start", "flask_init", "add_url_rule", "add_url_rule", "flask_run_child",
                          "run_simple_in_child", "run_with_reloader_child", "stat_reloader_run"]
    inner = [s for s in trace.steps if s.actor == "child-1/thread-1"]
    assert [s.event for s in inner][:4] == ["run_simple_inner_fd", "make_server_016", "wsgi_server_init_fd", "tcp_init"]
    assert {"server_bind_throwaway", "server_activate_throwaway", "wsgi_serve_forever"} <= {s.event for s in inner}
    # the workers of the child are its Thread-2, Thread-3: Thread-1 is inner
    served_by = {s.client: s.actor for s in trace.steps if s.event == "handler_init"}
    assert served_by == {"c1": "child-1/thread-2", "c2": "child-1/thread-3"}
    assert sim.thread_name("child-1/thread-1") == "child 1: Thread-1 (inner)"
    assert sim.thread_name("child-1/thread-2") == "child 1: Thread-2 (process_request_thread)"
    # the banner is the parent's alone; the child logs the requests
    assert [line.actor for line in trace.log if "Serving Flask app" in line.line] == ["main"]
    assert {line.actor for line in trace.log if '"GET / HTTP/1.1" 200' in line.line} == {
        "child-1/thread-2", "child-1/thread-3"}


def test_reloader_interval_and_spawn_time_are_the_scenarios() -> None:
    trace = sim.run(reloading(get(), threaded=False, reloader_interval=0.25, reloader_spawn=700))
    stat = next(s for s in trace.steps if s.event == "stat_reloader_run")
    assert stat.t == 700 and "every 0.25 s" in stat.caption


def test_the_run_ends_when_nothing_else_can_happen() -> None:
    """The stat loop's idle turns are not steps: a reloader run is as long as its clients."""
    trace = sim.run(reloading(get(), threaded=False))
    assert trace.steps[len(trace.steps) - 1].t == DEFAULT_RELOADER_SPAWN_MS


def test_a_views_system_exit_stops_serving_but_the_socket_stays_open() -> None:
    routes = [{"rule": "/stop", "endpoint": "stop", "view": {"raise": "SystemExit"}},
              {"rule": "/", "endpoint": "index", "view": {"text": "hi"}}]
    doc = reloading(get("/stop"), threaded=False)
    doc["app"]["routes"] = routes
    doc["clients"].append({"id": "c2", "at": 600, "read_timeout": 300, "send": [get()]})
    trace = sim.run(doc)
    events = [s.event for s in trace.steps if s.actor == "child-1/thread-1"]
    assert events[-2:] == ["server_close_inherited", "inner_thread_died"]
    assert trace.clients["c2"].end is sim.ClientEnd.TIMEOUT  # queued, never accepted, not refused


def test_timeline_has_parent_child_and_thread_tracks() -> None:
    trace = sim.run(reloading(get(), threaded=True))
    tracks = {t.id: t for t in sim.timeline(trace).tracks}
    assert tracks["main"].label == "parent: MainThread"
    assert tracks["main"].kind is sim.TrackKind.MAIN
    assert tracks["main"].bars[-1].activity is sim.Activity.WAITPID
    assert tracks["child-1"].label == "child 1: MainThread"
    assert tracks["child-1"].kind is sim.TrackKind.MAIN
    assert tracks["child-1"].bars[-1].activity is sim.Activity.WATCHING
    assert tracks["child-1/thread-1"].kind is sim.TrackKind.LOOP
    assert tracks["child-1/thread-1"].bars[-1].activity is sim.Activity.SELECTING
    assert tracks["child-1/thread-2"].kind is sim.TrackKind.THREAD


def test_track_labels_start_with_what_tells_them_apart() -> None:
    """A label cut short (a phone's timeline shows about 15 characters) still names the
    process, which is words: in Chinese mode it is Chinese; the thread's name is its own."""
    def server_tracks(threaded: bool) -> list[sim.Track]:
        tracks = sim.timeline(sim.run(reloading(get(), threaded=threaded))).tracks
        return [t for t in tracks if t.kind in (sim.TrackKind.MAIN, sim.TrackKind.LOOP,
                                                sim.TrackKind.THREAD)]

    one_thread = server_tracks(False)
    assert [t.label[:15] for t in one_thread] == ["parent: MainThr", "child 1: MainTh", "child 1: Thread"]
    server = server_tracks(True)
    assert {t.id: t.label_zh for t in server} == {
        "main": "父进程：MainThread", "child-1": "子进程 1：MainThread",
        "child-1/thread-1": "子进程 1：Thread-1 (inner)",
        "child-1/thread-2": "子进程 1：Thread-2 (process_request_thread)"}


@pytest.mark.parametrize(("server", "field", "words"), [
    ({"kind": "werkzeug", "use_reloader": True}, "server.use_reloader", "werkzeug-legacy"),
    ({"kind": "werkzeug-legacy", "start": "make_server", "use_reloader": True}, "server.use_reloader",
     "make_server has no reloader"),
    ({"kind": "werkzeug-legacy", "reloader_interval": 0.5}, "server.reloader_interval", "use_reloader"),
    ({"kind": "werkzeug-legacy", "reloader_spawn": 100}, "server.reloader_spawn", "use_reloader"),
    ({"kind": "werkzeug-legacy", "use_reloader": True, "reloader_interval": 0}, "server.reloader_interval", ""),
])
def test_bad_reloader_fields_name_the_field(server: dict, field: str, words: str) -> None:
    with pytest.raises(sim.ScenarioError) as err:
        sim.validate(scenario(get(), server=server))
    assert err.value.field == field and words in str(err.value)


def test_a_forking_child_under_the_reloader_is_refused_by_name() -> None:
    doc = reloading(get(), threaded=False, processes=2, start="run_simple")
    with pytest.raises(sim.ScenarioError) as err:
        sim.run(doc)
    assert err.value.field == "server.processes"


def test_the_harness_assumes_the_engines_default_spawn_time() -> None:
    assert real_reloader.DEFAULT_RELOADER_SPAWN_MS == DEFAULT_RELOADER_SPAWN_MS


# -- a saved file: trigger_reload, the child's exit, the next child -----------------------

SLOW = [{"rule": "/", "endpoint": "index", "view": {"text": "hi"}},
        {"rule": "/slow", "endpoint": "slow", "view": {"text": "slow", "sleep": 1500}}]


def saving(*changes: int, threaded: bool = False, clients: list[dict] | None = None) -> dict:
    doc = reloading(threaded=threaded, reloader_interval=0.3)
    doc["app"]["routes"] = SLOW
    doc["clients"] = clients if clients is not None else [
        {"id": "c1", "at": 0, "send": [get()]},
        {"id": "c2", "at": 600, "send": [get("/slow")]},
        {"id": "c3", "at": 1700, "send": [get()]}]
    doc["file_changes"] = [{"at": at} for at in changes]
    return doc


@pytest.mark.parametrize(("first_turn", "changes", "seen"), [
    (200, [900], 1100),          # turns at 200, 500, 800, 1100
    (200, [800], 800),           # a change at a turn's time is seen by that turn
    (200, [150, 900], 1100),     # before the first turn: its starting point, not a change
    (1300, [900, 1150], None),   # both before this child's first turn
    (1300, [900, 2100], 2200),
])
def test_the_turn_that_sees_a_change(first_turn: int, changes: list[int], seen: int | None) -> None:
    assert noticing_turn(first_turn, 300, changes) == seen


@pytest.mark.parametrize("threaded", [False, True])
def test_a_save_ends_the_child_mid_request_and_the_next_child_serves(threaded: bool) -> None:
    trace = sim.run(saving(900, threaded=threaded))
    trigger = next(s for s in trace.steps if s.event == "trigger_reload")
    assert (trigger.actor, trigger.t, trigger.qualname) == (
        "child-1", 1100, "werkzeug._reloader.ReloaderLoop.trigger_reload")
    exit_step = next(s for s in trace.steps if s.event == "reloader_child_exit")
    assert "still open: c2" in exit_step.caption
    # c2 was inside its 1.5 s view: the kernel closes it, the client reads EOF and nothing
    assert trace.clients["c2"].received == b"" and trace.clients["c2"].end is sim.ClientEnd.EOF
    # no step of child 1's threads after its exit (they stopped where they were)
    assert not [s for s in trace.steps if s.i > exit_step.i and s.actor.startswith("child-1")]
    # the parent loops: _get_args_for_reloading again, and child 2 starts 200 ms later
    again = next(s for s in trace.steps if s.event == "get_args_for_reloading_again")
    assert again.actor == "main" and again.t == 1100
    start2 = next(s for s in trace.steps if s.event == "reloader_child_start" and s.actor == "child-2")
    assert start2.t == 1300
    assert {s.actor for s in trace.steps if s.event == "handler_init" and s.client == "c3"} == {
        "child-2/thread-2" if threaded else "child-2/thread-1"}
    assert trace.clients["c3"].received.endswith(b"hi")
    lines = [(line.actor, line.line) for line in trace.log if line.actor in ("main", "child-1")]
    assert lines[-2:] == [("child-1", " * Detected change in '/srv/app/app.py', reloading"),
                          ("main", " * Restarting with stat")]


def test_a_save_while_the_next_child_starts_is_its_starting_point() -> None:
    trace = sim.run(saving(900, 1150))
    assert [s.actor for s in trace.steps if s.event == "trigger_reload"] == ["child-1"]
    assert not any(s.actor == "child-3" for s in trace.steps)


def test_the_timeline_ends_the_exited_childs_threads() -> None:
    trace = sim.run(saving(900, threaded=True))
    exit_t = next(s.t for s in trace.steps if s.event == "reloader_child_exit")
    tracks = {t.id: t for t in sim.timeline(trace).tracks}
    for actor in ("child-1", "child-1/thread-1", "child-1/thread-3"):
        assert tracks[actor].bars[-1].end == exit_t
    assert tracks["child-2/thread-1"].bars[-1].end == trace.steps[len(trace.steps) - 1].t
    moments = [m for m in sim.timeline(trace).moments if m.kind is sim.MomentKind.RELOADED]
    assert [(m.t, m.other) for m in moments] == [(1100, "child-1")]


def test_file_changes_need_the_reloader() -> None:
    doc = scenario(get(), server={"kind": "werkzeug-legacy"})
    doc["file_changes"] = [{"at": 100}]
    with pytest.raises(sim.ScenarioError) as err:
        sim.validate(doc)
    assert err.value.field == "file_changes" and "use_reloader" in str(err.value)
