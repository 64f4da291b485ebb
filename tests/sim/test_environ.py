"""The WSGI environ in the inspector: the keys and values of Werkzeug 3.1.9's
``make_environ``, the request object Flask adds, and what ``RequestContext.pop`` leaves.
(``tests/fidelity`` compares it with the real environ for every case.)"""

from __future__ import annotations

from simhelpers import get, scenario

import sim

MAKE_ENVIRON = "werkzeug.serving.WSGIRequestHandler.make_environ"
DISPATCH = "flask.app.Flask.full_dispatch_request"


def environ_at(trace: sim.Trace, qualname: str, client: str = "c1") -> dict[str, str]:
    i = next(s.i for s in trace.steps if s.qualname == qualname and s.client == client)
    return trace.state_at(i)["environ"][client]


def test_make_environ_has_werkzeugs_keys_in_its_order() -> None:
    env = environ_at(sim.run(scenario(get("/a?b=1"))), MAKE_ENVIRON)
    assert list(env)[:9] == ["wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
                             "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
                             "werkzeug.socket", "SERVER_SOFTWARE"]
    assert env["wsgi.input"] == "<_io.BufferedReader name=FD>"
    assert env["wsgi.errors"].startswith("<_io.TextIOWrapper name='<stderr>'")
    assert env["werkzeug.socket"].endswith("laddr=('127.0.0.1', 5000), raddr=('127.0.0.1', 40000)>")
    assert env["REMOTE_PORT"] == "40000" and env["QUERY_STRING"] == "b=1"
    assert "werkzeug.request" not in env


def test_the_request_object_is_in_the_environ_from_the_request_context_on() -> None:
    trace = sim.run(scenario(get("/a?b=1")))
    assert environ_at(trace, DISPATCH)["werkzeug.request"] == "<Request 'http://localhost/a?b=1' [GET]>"
    # RequestContext.pop's finally: environ["werkzeug.request"] = None
    assert trace.state_at(len(trace.steps) - 1)["environ"]["c1"]["werkzeug.request"] == "None"


def test_without_a_host_header_the_url_names_the_server() -> None:
    env = environ_at(sim.run(scenario("GET /x HTTP/1.0\r\n\r\n")), DISPATCH)
    assert env["werkzeug.request"] == "<Request 'http://127.0.0.1:5000/x' [GET]>"


def test_a_chunked_body_is_read_through_dechunked_input() -> None:
    send = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
    env = environ_at(sim.run(scenario(send, routes=[
        {"rule": "/", "endpoint": "echo", "methods": ["POST"], "view": {"echo": True}}])), DISPATCH)
    assert env["wsgi.input"] == "<werkzeug.serving.DechunkedInput object>"
    assert env["wsgi.input_terminated"] == "True"
