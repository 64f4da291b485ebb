"""``sim/stack/werkzeug_sansio.py``: ``repr(request)`` as the installed Werkzeug prints it."""

from __future__ import annotations

import random

import pytest
from werkzeug.wrappers import Request

from sim.stack.werkzeug_sansio import request_repr

HOSTS = [None, "localhost", "LOCALHOST:5000", "x:80", "x:0", "x:65536", "a b", "[::1]:8080", "[::1",
         "xn--n3h.net", "xn--zz.example", "ex@mple.com", "é.com", "", "host:", "h:12a"]
PATHS = ["/", "//a//b", "/a%20b", "/%2F", "/ä".encode().decode("latin-1"), "/\xff", "/a?b", "/[x]", "/'q'",
         "relative", ""]
QUERIES = ["", "a=1&b=2", "q=%C3%A8", "x=\xe9", "a b", "#frag", "=&="]


def environ(method: str, host: str | None, path: str, query: str, script: str = "") -> dict:
    env = {"REQUEST_METHOD": method, "wsgi.url_scheme": "http", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "5000", "SCRIPT_NAME": script, "PATH_INFO": path, "QUERY_STRING": query}
    if host is not None:
        env["HTTP_HOST"] = host
    return env


@pytest.mark.parametrize("host", HOSTS)
def test_request_repr_matches_werkzeug(host: str | None) -> None:
    for path in PATHS:
        for query in QUERIES:
            env = environ("get", host, path, query)
            assert request_repr(env) == repr(Request(dict(env), populate_request=False)), env


def test_request_repr_on_seeded_random_environs() -> None:
    rng = random.Random(9)
    alphabet = "aZ09.-:/%?&=[]@ \t\xe9\xff'\"#+;~"
    for _ in range(3000):
        env = environ(rng.choice(["GET", "post", "PATCH"]),
                      rng.choice([None, "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))]),
                      "/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))),
                      "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))),
                      rng.choice(["", "/app/", "/a b"]))
        assert request_repr(env) == repr(Request(dict(env), populate_request=False)), env
