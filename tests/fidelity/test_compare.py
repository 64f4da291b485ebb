"""compare.py itself: a judge that cannot fail is no judge."""

from __future__ import annotations

import copy
import socket
import sys

import pytest

from . import compare as compare_mod
from .compare import (
    Side,
    compare_live,
    compare_sides,
    first_difference,
    log_lines,
    missing_key_calls,
    normalize_response,
    subsequence_break,
)
from .corpus import load_cases
from .real_stack import SIGNAL_SEND, Recording, describe, record

HANDLE = "socketserver.BaseServer._handle_request_noblock"
GET_REQUEST = "socketserver.TCPServer.get_request"
VERIFY = "socketserver.BaseServer.verify_request"
NOISE = "socketserver.TCPServer.fileno"
RESPONSE = "HTTP/1.0 200 OK\r\nServer: Werkzeug/3.1.9 Python/3.11.7\r\nDate: {date}\r\n\r\nhi"


def indexed(qualnames: list[str]) -> list[tuple[int, str]]:
    return list(enumerate(qualnames))


def side(calls: list[str], received: str = "x", end: str = "eof", log: tuple = ()) -> Side:
    return Side({"c1": (received, end)}, {"main": indexed(calls)}, list(log))


def test_subsequence_accepts_gaps() -> None:
    assert subsequence_break(indexed([HANDLE, VERIFY]), [HANDLE, NOISE, GET_REQUEST, VERIFY]) is None


def test_swapped_pair_breaks_the_subsequence() -> None:
    broken = subsequence_break(indexed([GET_REQUEST, HANDLE]), [HANDLE, GET_REQUEST, VERIFY])
    assert broken is not None
    assert (broken.sim_index, broken.qualname, broken.last_matched) == (1, HANDLE, GET_REQUEST)


def test_swapped_pair_is_reported_with_its_index() -> None:
    real = side([HANDLE, GET_REQUEST, VERIFY])
    diffs = compare_sides(side([HANDLE, VERIFY, GET_REQUEST]), real)
    assert len(diffs) == 1
    assert "simulated step #2" in diffs[0] and GET_REQUEST in diffs[0]


def test_key_calls_must_be_covered_as_often_as_made() -> None:
    real = [HANDLE, GET_REQUEST, NOISE, HANDLE, GET_REQUEST]
    assert missing_key_calls([HANDLE, GET_REQUEST], real) == [(HANDLE, 2, 1), (GET_REQUEST, 2, 1)]
    assert missing_key_calls([HANDLE, GET_REQUEST] * 2, real) == []


def test_non_key_calls_need_no_coverage_but_user_functions_do() -> None:
    assert missing_key_calls([], [NOISE]) == []
    assert missing_key_calls([], ["app.index"]) == [("app.index", 1, 0)]


def test_a_key_call_only_counts_in_the_thread_that_made_it() -> None:
    sim = Side({}, {"main": indexed([HANDLE]), "thread-1": indexed([VERIFY])}, [])
    real = Side({}, {"main": indexed([HANDLE, VERIFY])}, [])
    diffs = compare_sides(sim, real)
    assert any(d.startswith("thread-1: simulated step #0") for d in diffs)
    assert any(d.startswith("main: key calls") and VERIFY in d for d in diffs)


def test_date_and_server_are_normalized_but_the_body_is_not() -> None:
    simulated = RESPONSE.format(date="Thu, 01 Jan 2026 00:00:00 GMT")
    real = RESPONSE.format(date="Mon, 23 Nov 2026 11:22:33 GMT").replace("Werkzeug/3.1.9", "W")
    assert normalize_response(simulated) == normalize_response(real)
    assert normalize_response(simulated) != normalize_response(simulated + "!")


def test_first_difference_names_the_byte() -> None:
    assert first_difference("abc", "abc") is None
    assert "at byte 2" in first_difference("abX", "abc")
    assert "at byte 3" in first_difference("abc", "abcd")


def test_client_differences() -> None:
    diffs = compare_sides(side([], "HTTP/1.0 200", "eof"), side([], "HTTP/1.1 200", "open"))
    assert any("received bytes differ: first difference at byte 7" in d for d in diffs)
    assert any("end is 'eof' simulated, 'open' real" in d for d in diffs)


def test_log_normalization_and_tracebacks() -> None:
    real = [
        '127.0.0.1 - - [23/Nov/2026 11:22:33] "GET / HTTP/1.1" 200 -',
        "[2026-11-23 11:22:33,123] ERROR in app: Exception on /boom [GET]\n"
        'Traceback (most recent call last):\n  File "app.py", line 1, in boom\n'
        "    raise RuntimeError\nRuntimeError",
        " * Running on http://127.0.0.1:40123",
    ]
    assert log_lines(real) == [
        '127.0.0.1 - - [DATE] "GET / HTTP/1.1" 200 -',
        "[DATE] ERROR in app: Exception on /boom [GET]",
        "RuntimeError",
        " * Running on http://127.0.0.1:PORT",
    ]


def test_a_missing_log_line_is_reported() -> None:
    diffs = compare_sides(side([], log=("a",)), side([], log=("a", "b")))
    assert diffs == ["log has 1 lines simulated, 2 real; first extra line (in the real run): 'b'"]


def test_signals_are_compared_by_name_in_order() -> None:
    sends = [SIGNAL_SEND, SIGNAL_SEND]
    sim, real = side(sends), side(sends)
    sim.signals = {"main": ["request_started", "request_finished"]}
    real.signals = {"main": ["request_started", "request_finished"]}
    assert compare_sides(sim, real) == []
    real.signals = {"main": ["request_finished", "request_started"]}
    diffs = compare_sides(sim, real)
    assert len(diffs) == 1 and "signals sent differ" in diffs[0]


def test_real_signal_names_are_read_as_python_names() -> None:
    # flask/signals.py: request_started = _signals.signal("request-started")
    rec = Recording(clients={}, calls={"main": [SIGNAL_SEND]}, log=[],
                    signals={"main": ["request-started"]})
    assert Side.from_recording(rec).signals == {"main": ["request_started"]}


ENVIRON = {
    "wsgi.input": "<_io.BufferedReader name=FD>",
    "werkzeug.socket": "<socket.socket fd=FD, family=2, type=1, proto=0, laddr=('127.0.0.1', 5000),"
                       " raddr=('127.0.0.1', 40000)>",
    "REMOTE_PORT": "40000",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "5000",
    "werkzeug.request": "<Request 'http://127.0.0.1:5000/' [GET]>",
}


def real_environ(server_port: int, client_port: int) -> dict[str, str]:
    return {key: value.replace("5000", str(server_port)).replace("40000", str(client_port))
            for key, value in ENVIRON.items()}


def environ_sides(sim_env: dict[str, str], real_env: dict[str, str]) -> tuple[Side, Side]:
    sim, real = side([]), side([])
    sim.environs, real.environs = {"c1": [sim_env]}, {"c1": [real_env]}
    return sim, real


def test_environs_differing_only_in_kernel_ports_match() -> None:
    assert compare_sides(*environ_sides(ENVIRON, real_environ(38103, 54512))) == []


def test_a_missing_key_and_a_different_value_are_reported() -> None:
    real = {**real_environ(38103, 54512), "wsgi.errors": "<stderr>", "wsgi.input": "<other>"}
    (diff,) = compare_sides(*environ_sides(ENVIRON, real))
    assert "keys only real: ['wsgi.errors']" in diff and "wsgi.input" in diff


def test_a_host_header_port_is_not_normalized() -> None:
    # The client wrote this port itself: it must be the same on both sides.
    sim_env = {**ENVIRON, "HTTP_HOST": "x:5000", "werkzeug.request": "<Request 'http://x:5000/' [GET]>"}
    real_env = {**real_environ(38103, 54512), "HTTP_HOST": "x:5000",
                "werkzeug.request": "<Request 'http://x:5000/' [GET]>"}
    assert compare_sides(*environ_sides(sim_env, real_env)) == []
    real_env["werkzeug.request"] = "<Request 'http://x:38103/' [GET]>"
    assert len(compare_sides(*environ_sides(sim_env, real_env))) == 1


def test_a_request_the_simulation_never_dispatches_is_reported() -> None:
    sim, real = environ_sides(ENVIRON, real_environ(1, 2))
    sim.environs = {}
    assert compare_sides(sim, real) == ["client c1: 0 environ(s) at dispatch simulated, 1 real"]


def test_describe_makes_reprs_stable() -> None:
    class Thing:
        pass

    assert describe("text") == "text" and describe(False) == "False" and describe((1, 0)) == "(1, 0)"
    assert describe(Thing()).endswith("Thing object>")
    with socket.socket() as sock:
        assert describe(sock).startswith("<socket.socket fd=FD, family=2, type=1")
    stand_in = object()
    assert describe(stand_in, stand_in) == describe(sys.__stderr__)


def test_environ_key_order_is_compared() -> None:
    swapped = dict(reversed(list(real_environ(38103, 54512).items())))
    (diff,) = compare_sides(*environ_sides(ENVIRON, swapped))
    assert "key order" in diff



def _two_scenarios() -> tuple[dict, dict]:
    (found,) = load_cases(["abort_418"])[:1]
    other = copy.deepcopy(found.scenario)  # the same app, asked for another path
    other["clients"] = [{"id": "c1", "at": 0, "send": ["GET /elsewhere HTTP/1.1\r\nHost: localhost\r\n\r\n"]}]
    return found.scenario, other


@pytest.mark.fidelity
def test_compare_live_judges_on_a_second_real_run_only_where_the_first_differs(monkeypatch) -> None:
    scenario, other = _two_scenarios()
    wrong = record(other)  # a real run, but of another app: as if the first run went astray
    assert compare_mod.compare(scenario, wrong)
    assert compare_live(scenario, wrong) == []  # recorded once more, it matches
    # and where the second run differs too, both runs' differences are reported
    monkeypatch.setattr(compare_mod, "record", lambda _scenario: wrong)
    reported = compare_live(scenario, wrong)
    first = compare_mod.compare(scenario, wrong)
    assert reported == [*first, "recorded once more, alone:", *first]
    again = "recorded once more, alone:"
    assert compare_live(scenario, wrong, retries=2) == [*first, again, *first, again, *first]
