"""The engine answers as CPython 3.11.7 does, whatever 3.11.x runs it.

``sim/stack/cpython.py`` holds http.server's constants of 3.11.7 and
``sim/stack/email_feedparser.py`` the header half of its email parser. Here: both equal the
running interpreter's (when it is 3.11.7, the version the fidelity tests run), and a trace
is the same when the host's http.server constants, ``sys.version`` and email parser say
something else entirely (so the engine reads none of them).
"""

from __future__ import annotations

import email.parser
import http.client
import http.server
import json
import os
import random
import subprocess
import sys

import pytest
from simhelpers import REPO, gallery

from sim.stack import cpython
from sim.stack.email_feedparser import message_items
from tests.fidelity.corpus import load_cases

MODELLED = sys.version_info[:3] == cpython.PYTHON_VERSION
needs_modelled_python = pytest.mark.skipif(
    not MODELLED, reason=f"the snapshot is of CPython {cpython.PYTHON_VERSION}, this is {sys.version_info[:3]}")

REAL = http.server.BaseHTTPRequestHandler


def test_the_test_interpreter_is_the_modelled_one() -> None:
    # The fidelity tests judge the engine against 3.11.7 (README, "Versions"); the snapshot
    # tests below would be skipped on another Python, so say it loudly here instead.
    assert sys.version_info[:3] == cpython.PYTHON_VERSION, sys.version


@needs_modelled_python
def test_http_server_constants_are_the_interpreters() -> None:
    assert REAL.sys_version == cpython.SYS_VERSION
    assert cpython.ERROR_MESSAGE_FORMAT == REAL.error_message_format == http.server.DEFAULT_ERROR_MESSAGE
    assert REAL.error_content_type == cpython.ERROR_CONTENT_TYPE
    assert list(cpython.WEEKDAYNAME) == REAL.weekdayname
    assert list(cpython.MONTHNAME) == REAL.monthname


@needs_modelled_python
def test_responses_table_is_the_interpreters() -> None:
    assert {int(code): value for code, value in REAL.responses.items()} == cpython.RESPONSES


# -- the email parser's header half ------------------------------------------------------


def real_items(text: str) -> list[tuple[str, str]]:
    """What ``http.client.parse_headers`` makes of the header text."""
    return list(email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text).items())


def sent_header_texts() -> list[str]:
    """Everything each client of the gallery and the cases sends after its first line."""
    scenarios = [*gallery().values(), *(case.scenario for case in load_cases())]
    texts = []
    for scenario in scenarios:
        for client in scenario.get("clients", []):
            data = "".join(c if isinstance(c, str) else c["data"] for c in client.get("send", []))
            texts.append(data.partition("\n")[2])
    return texts


#: Pieces of header text the parser treats specially.
PIECES = ["Host", "X-A", "a", ":", ": ", " ", "\t", "\r", "\n", "\r\n", "\r\n\r\n", "From ",
          "From: x", "é", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "v", "=", "_", "\x7f"]


def random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(count)]


@needs_modelled_python
def test_email_header_parsing_matches_on_every_sent_header_block() -> None:
    texts = sent_header_texts()
    assert len(texts) > 200
    for text in texts:
        assert message_items(text) == real_items(text), text


@needs_modelled_python
@pytest.mark.parametrize("seed", range(4))
def test_email_header_parsing_matches_on_random_text(seed: int) -> None:
    for text in random_texts(seed, 2500):
        assert message_items(text) == real_items(text), repr(text)


def test_email_header_quirks() -> None:
    # A folded header keeps its line break; a bare CR ends a line; a first-line
    # continuation and a line starting with ':' are dropped; 'From ' on the first line is
    # the envelope, and a non-header line ends the block.
    assert message_items("A: 1\r\n  2\r\nB:3\r\n\r\n") == [("A", "1\r\n  2"), ("B", "3")]
    assert message_items("A: 1\rB: 2\r\n\r\n") == [("A", "1"), ("B", "2")]
    assert message_items(" x\r\n:y\r\nC: 3\r\n\r\n") == [("C", "3")]
    assert message_items("From me\r\nD: 4\r\nnot a header\r\nE: 5\r\n\r\n") == [("D", "4")]


# -- the host's values are never read -----------------------------------------------------

#: Run in a fresh interpreter: optionally make the host's http.server constants,
#: sys.version and email parser say something else, THEN import the engine (module-level
#: copies would otherwise hide a read), run every scenario, print a digest per trace.
CHILD = r"""
import hashlib, json, sys
scenarios = json.load(sys.stdin)
if sys.argv[1] == "patched":
    import email.message, email.parser, http.server
    H = http.server.BaseHTTPRequestHandler
    sys.version = "3.11.99 (patched, Jan 1 2030)"
    H.sys_version = "Python/3.11.99"
    H.error_message_format = http.server.DEFAULT_ERROR_MESSAGE = "<p>%(code)d %(message)s</p>"
    H.error_content_type = http.server.DEFAULT_ERROR_CONTENT_TYPE = "text/x-patched"
    H.responses = {code: ("Patched", "patched") for code in H.responses}
    H.weekdayname = ["W%d" % i for i in range(7)]
    H.monthname = [None] + ["M%d" % i for i in range(1, 13)]
    def parsestr(self, text, headersonly=False):
        message = email.message.Message()
        message["X-Patched"] = "1"
        return message
    email.parser.Parser.parsestr = parsestr
import sim
out = {}
for name, scenario in scenarios.items():
    trace = json.dumps(sim.run(scenario).to_json(), sort_keys=True)
    out[name] = hashlib.sha256(trace.encode()).hexdigest()
print(json.dumps(out))
"""

FOLDED = {
    "format": "wsgiscope/scenario@1",
    "app": {"routes": [{"rule": "/", "endpoint": "index", "view": {"echo": True}}]},
    "clients": [
        {"id": "c1", "send": ["POST / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\rContent-Length: 2\r\n\r\nhi"]},
        {"id": "c2", "at": 5, "send": ["GET / HTTP/1.1 extra\r\n\r\n"]},
        {"id": "c3", "at": 10, "send": ["GET /" + "a" * 70000 + " HTTP/1.1\r\n\r\n"]},
    ],
}


def run_child(mode: str, scenarios: dict[str, dict]) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", CHILD, mode], input=json.dumps(scenarios),
                          capture_output=True, text=True, check=True, cwd=REPO, timeout=120,
                          env=dict(os.environ, PYTHONHASHSEED="0"))
    return json.loads(done.stdout)


def test_trace_does_not_read_the_hosts_http_server_sys_version_or_email_parser() -> None:
    import sim

    scenarios = {"folded": FOLDED}
    scenarios.update({name: doc for name, doc in gallery().items()
                      if doc["server"].get("kind", "werkzeug") == "werkzeug"})
    scenarios.update({case.id: case.scenario for case in load_cases()})
    # The scenarios do reach what is patched: error pages, dates, Server, folded headers.
    received = "".join(r.received.decode("latin-1") for r in sim.run(FOLDED).clients.values())
    assert "Server: Werkzeug/3.1.9 Python/3.11.7\r\n" in received
    assert "<title>Error response</title>" in received and "Date: " in received
    assert run_child("patched", scenarios) == run_child("plain", scenarios)


def test_the_patched_child_does_patch() -> None:
    # The same child, importing http.server's own error page: it does see the patch.
    code = CHILD.replace("import sim\n", "import http.server as sim_check\n"
                         "print(json.dumps({'fmt': sim_check.BaseHTTPRequestHandler.error_message_format}))\n"
                         "raise SystemExit\n")
    done = subprocess.run([sys.executable, "-c", code, "patched"], input="{}", capture_output=True,
                          text=True, check=True, cwd=REPO, timeout=60)
    assert json.loads(done.stdout) == {"fmt": "<p>%(code)d %(message)s</p>"}
