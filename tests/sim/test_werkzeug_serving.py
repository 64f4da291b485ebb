"""``sim/stack/werkzeug_serving.py``'s copies of Werkzeug's data, against the installed
Werkzeug: what ends up in the ``Server`` header, the listen backlog, and the console's
request lines (control characters escaped, status colours, the path as an IRI)."""

from __future__ import annotations

import importlib.metadata
import itertools
import random

import werkzeug.serving
import werkzeug.urls

from sim.stack import werkzeug_serving as model


def test_server_version_and_listen_queue_are_werkzeugs() -> None:
    assert f"Werkzeug/{importlib.metadata.version('werkzeug')}" == model.SERVER_VERSION
    assert werkzeug.serving.LISTEN_QUEUE == model.LISTEN_QUEUE


def test_control_character_table_is_werkzeugs() -> None:
    assert werkzeug.serving.WSGIRequestHandler._control_char_table == model._CONTROL_CHARS


def test_ansi_styles_are_werkzeugs() -> None:
    assert werkzeug.serving._log_add_style  # the console the fidelity tests record is coloured
    for n in range(3):
        for styles in itertools.permutations(["bold", "red", "green", "yellow", "magenta", "cyan"], n):
            real = werkzeug.serving._ansi_style("GET / HTTP/1.1", *styles)
            assert model.ansi_style("GET / HTTP/1.1", *styles) == real


def test_uri_to_iri_matches_werkzeug_on_request_targets() -> None:
    rng = random.Random(3)
    pieces = ["/", "a", "%", "%2F", "%20", "%C3%A9", "%E2%98%83", "%ff", "?", "#", "&", "=", "+", "%25",
              "%3F", "%23", "%26", "%3D", "%2B", "%00", "%7F", "é", "http://", "xn--n3h.net", ":8080", "[::1]"]
    for _ in range(4000):
        target = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
        try:
            expected = werkzeug.urls.uri_to_iri(target)
        except ValueError as err:  # an invalid host or port: the log shows nothing of it
            expected = f"ValueError: {err}"
        try:
            got = model.uri_to_iri(target)
        except ValueError as err:
            got = f"ValueError: {err}"
        assert got == expected, target
