"""``sim.stack.flask_app``'s error-handler lookup and response building against the real
Flask / Werkzeug: the exception classes' MRO it searches, and how a status and a json view's
value with a mimetype become a Response."""

from __future__ import annotations

import builtins

import pytest
from simhelpers import get, scenario

import sim
from sim.stack.flask_app import AppRaised, error_handler_spec, exception_mro, response_of_value
from sim.stack.werkzeug_wrappers import HTTPException, Response


def test_http_exception_mro_equals_werkzeug():
    from werkzeug.exceptions import ClientDisconnected, default_exceptions

    from sim.stack.werkzeug_wrappers import ClientDisconnected as SimClientDisconnected

    for code, cls in default_exceptions.items():
        assert exception_mro(HTTPException(code)) == [c.__name__ for c in cls.__mro__], code
    assert exception_mro(SimClientDisconnected()) == [c.__name__ for c in ClientDisconnected.__mro__]


@pytest.mark.parametrize("name", ["ValueError", "KeyError", "ZeroDivisionError", "OSError", "UnicodeDecodeError"])
def test_builtin_exception_mro(name):
    assert exception_mro(AppRaised(name)) == [c.__name__ for c in getattr(builtins, name).__mro__]


def test_error_handler_spec_is_keyed_like_flask():
    """``Scaffold.register_error_handler``: spec[code][class] for codes, spec[None][class]."""
    import flask

    app = flask.Flask("spec")
    handlers = {"404": object(), "ValueError": object(), "500": object()}
    for key in handlers:
        app.register_error_handler(int(key) if key.isdigit() else getattr(builtins, key), lambda e: "")
    real = {code: sorted(cls.__name__ for cls in classes) for code, classes in app.error_handler_spec[None].items()}
    ours = {code: sorted(classes) for code, classes in error_handler_spec(handlers).items()}
    assert ours == real


@pytest.mark.parametrize("status", [200, 201, 299, 404, 599, 999, "201 CREATED", "201", " 299 Fine Thanks ",
                                    "404 Gone Fishing", "200 OK"])
def test_status_equals_werkzeug(status):
    from werkzeug.wrappers import Response as RealResponse

    real = RealResponse("x", status=status)
    ours = Response.from_text(b"x", status)
    assert (ours.status, ours.status_code) == (real.status, real.status_code)


@pytest.mark.parametrize("value", [{"id": 1, "b": 2}, {}, ["a", "bc"], [], [1, 2], ["a", None], "text", 5, 2.5,
                                   True])
def test_json_value_with_mimetype_equals_werkzeug(value):
    """``Response(value, mimetype=...)``: headers, and the body or the error, as real."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Response as RealResponse

    def outcome_real():
        response = RealResponse(value, mimetype="text/plain")
        try:
            headers = response.get_wsgi_headers(EnvironBuilder().get_environ()).to_wsgi_list()
            return headers, b"".join(response.iter_encoded())
        except TypeError as err:
            return "TypeError", str(err)

    def outcome_sim():
        response = response_of_value(value, None, {}, "text/plain")
        try:
            headers = response.wsgi_headers()
            return [tuple(h) for h in headers], b"".join(response.body)
        except TypeError as err:
            return "TypeError", str(err)

    assert outcome_sim() == outcome_real()


def _body(received: bytes) -> bytes:
    return received.partition(b"\r\n\r\n")[2]


def test_exception_handlers_found_by_mro():
    routes = [{"rule": "/key", "endpoint": "key", "view": {"raise": "KeyError"}},
              {"rule": "/val", "endpoint": "val", "view": {"raise": "ValueError"}},
              {"rule": "/gone", "endpoint": "gone", "view": {"abort": 410}}]
    doc = scenario(get("/key", "HTTP/1.0"), get("/val", "HTTP/1.0"), get("/gone", "HTTP/1.0"),
                   get("/nowhere", "HTTP/1.0"), routes=routes)
    doc["app"]["errorhandlers"] = {"LookupError": {"name": "lookup", "text": "lookup", "status": 400},
                                   "Exception": {"name": "anything", "text": "any"},
                                   "404": {"name": "nf", "text": "nf"}}
    trace = sim.run(doc)
    got = [(c.received.split(b"\r\n", 1)[0].split(b" ", 1)[1], _body(c.received)) for c in trace.clients.values()]
    assert got == [(b"400 BAD REQUEST", b"lookup"), (b"200 OK", b"any"), (b"200 OK", b"any"),
                   (b"404 NOT FOUND", b"nf")]
