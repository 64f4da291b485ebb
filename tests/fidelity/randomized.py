"""Randomized differential testing: seeded random scenarios, each run on the real stack and
in the engine.

``scenario_for_seed(seed)`` builds a random valid wsgiscope/scenario@1 document (it passes
``sim.validate``): an app with routes over every converter and its arguments, methods,
``strict_slashes``, blueprints with prefixes, hooks and error handlers, every view kind
(text, json, echo, abort, raise, stream; with status, headers, mimetype, sleep), static
files; and 1-4 clients with timings, bodies split across sends, chunked and
``Expect: 100-continue`` uploads, odd framing, every ``then`` and sometimes a
``read_timeout``. Seeds from EXTENDED_FROM also draw the later dimensions (``MORE_*``),
seeds from WIDER_FROM the wider ones too (``WIDER_*``), and seeds from DEEPER_FROM the
deeper ones as well (``DEEPER_*``: what else the format lets a person declare, with the
forking and reloader variants' own choices in DEEPER_CHOICES), each from a stream of its own.
``python -m tests.fidelity.randomized --seeds 0-999 --jobs 3`` runs any seeds on both
variants and prints how many matched and each class of mismatch.

Timing. The real stack takes real time to react (1-20 ms, more under load); the engine takes
none. A scenario is only fair if no outcome hangs on that: every client event is a multiple
of 10 ms and events of one client that wait for the server are >= 50 ms apart. That is not
enough when two timers of different actors meet (a view's sleep ending as another client
connects), so a generated scenario is also *timing-robust*: the engine gives the same
outcome (bytes, ends, log, calls) when every app timer, every client's start and every
client's pauses (and every saved file, on the reloader) are moved by +-JITTER_MS, one at a
time, on the variants it is judged on first and where its DEEPER_CHOICES apply
(``robust_on``). A scenario that is not is redrawn
(the next draw of the same seed's generator). Those are the scenarios whose real outcome
does not depend on the machine's speed; for the others no single outcome is "the real one".
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import random
import re
import sys
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sim.scenario import DEFAULT_RELOADER_SPAWN_MS
from sim.stacks import STACKS

from .corpus import scenario_for

FORMAT = "wsgiscope/scenario@1"
#: How far a timer may move without changing the outcome (see the module docstring).
JITTER_MS = 150
#: A client waits at least this long before an event that must come after the server's answer.
GAP_MS = 200
MAX_DRAWS = 40
#: The stack the engine is judged on here: Werkzeug 3.1.9 + Flask 3.1.3, without and with
#: threads (``--variants`` takes any of corpus.VARIANTS).
RANDOM_VARIANTS = ("wz-nt", "wz-t")

# (a static part of a rule, how a request path spells it)
WORDS = [("a", "a"), ("b", "b"), ("items", "items"), ("users", "users"), ("x-y", "x-y"),
         ("files", "files"), ("v1", "v1"), ("caf\u00e9", "caf%C3%A9")]
# (rule part, a value that converts, a value that does not, the Python value's JSON form)
CONVERTERS: list[tuple[str, str, str]] = [
    ("<{n}>", "abc", ""),
    ("<string:{n}>", "hello", ""),
    ("<string(length=3):{n}>", "abc", "abcd"),
    ("<string(minlength=2, maxlength=4):{n}>", "abc", "a"),
    ("<int:{n}>", "42", "4x"),
    ("<int(min=1, max=99):{n}>", "7", "100"),
    ("<int(fixed_digits=3):{n}>", "007", "7"),
    ("<int(signed=True):{n}>", "-5", "5.0"),
    ("<float:{n}>", "1.5", "2"),
    ("<float(signed=True):{n}>", "-1.25", "x"),
    ("<float(min=0.5, max=10.0):{n}>", "2.5", "10.5"),
    ("<path:{n}>", "a/b/c", ""),
    ("<any(red, blue):{n}>", "red", "green"),
    ("<uuid:{n}>", "12345678-1234-5678-1234-567812345678", "1234-5678"),
]
TEXTS = ["hi", "<p>Hello, World!</p>", "h\u00e9llo", "\u4f60\u597d", "", "line1\nline2", "x" * 300]
STATUSES = [200, 201, 202, 204, 299, 400, 404, 418, 451, 500, 503, "201 CREATED", "299 Fine", "404 Gone Fishing"]
ABORTS = [400, 401, 403, 404, 405, 409, 410, 418, 429, 500, 501, 503]
RAISES = ["RuntimeError", "ValueError", "KeyError", "ZeroDivisionError", "LookupError", "SystemExit",
          "KeyboardInterrupt"]
#: SystemExit and KeyboardInterrupt end a non-threaded server (or the thread): rarer
RAISE_WEIGHTS = [5, 5, 5, 5, 5, 1, 1]
MIMETYPES = ["text/plain", "application/json", "application/octet-stream", "text/csv", "image/svg+xml"]
HEADER_SETS = [
    {"X-Custom": "1"},
    {"X-A": "a", "X-B": "b"},
    {"Content-Type": "text/plain; charset=latin-1"},
    {"Cache-Control": "no-store"},
    {"Location": "/elsewhere"},
    {"Content-Type": "application/xml", "X-C": "c"},
]
STATIC_NAMES = [
    "hello.txt", "style.css", "app.js", "data.json", "index.html", "pic.svg", "archive.tar.gz",
    "notes.gz", "page.html.bz2", "raw.bin", "README", "dir/inner.txt", "doc.xz", "font.woff2",
    "img.png", "movie.mp4",
]
STATIC_TEXTS = ["hello static\n", "body { color: red }\n", "caf\u00e9\n", "{}", "", "\u4f60\u597d\n"]
# codes, and builtin exception classes (Flask looks a handler up by code, then by the
# exception's class and its bases: LookupError catches a KeyError)
ERROR_KEYS = ["400", "404", "405", "418", "500", "ValueError", "LookupError", "Exception"]
PREFIXES = ["/bp", "/api/v1", "/bp/", ""]

# -- the dimensions added later, drawn from a stream of their own (Draw.more) for seeds from
# EXTENDED_FROM on, so that every earlier seed keeps its scenario
EXTENDED_FROM = 100_000
JSON_SCALARS = ["hello", 5, True, 1.5, [], {}, {"b": 1, "a": 2, "\u00e9": "\u00fc"}]
#: classes Python cannot call without arguments (``raise`` then raises a TypeError), and a
#: BaseException beyond SystemExit and KeyboardInterrupt
MORE_RAISES = ["UnicodeDecodeError", "ExceptionGroup", "NotImplementedError", "StopIteration", "OSError",
               "ConnectionResetError", "UnicodeError", "GeneratorExit"]
MORE_RAISE_WEIGHTS = [5, 3, 5, 5, 5, 5, 3, 1]
MORE_ABORTS = [421, 406, 408, 411, 412, 413, 414, 415, 416, 417, 422, 423, 424, 428, 431, 502, 504, 505]
MORE_STATUSES = [100, 199, 304, 600, 999, "999 Odd Thing", "200 ", "302 Moved"]
ODD_HEADER_SETS = [
    {"Location": "/caf\u00e9 x?q=\u00e9 y#fr ag"},
    {"Location": "http://Ex\u00e4mple.COM:80/p q"},
    {"Location": "/a?x=<\">"},
    {"Content-Location": "/caf\u00e9"},
    {"X-Greeting": "\u4f60\u597d"},
    {"X-Place": "caf\u00e9"},
    {"content-type": "text/x-lower"},
    {"Content-Length": "2"},
    {"Content-Length": "0"},
    {"Transfer-Encoding": "chunked"},
    {"Set-Cookie": "a=1; Path=/", "X-Empty": ""},
]
MORE_MIMETYPES = ["text/html; charset=latin-1", "application/javascript", "application/ld+json", "application/xml",
                  "text/plain; charset=utf-8", "TEXT/PLAIN"]
MORE_HANDLER_STATUSES = ["405 Nope Nope", "599 Odd", "200 Fine Then", 302]
#: ports of four or five digits (a recording listens on a free one with as many; port 80
#: would be bound itself, and two recordings at once would fight for it)
MORE_PORTS = [8765, 1024, 65535, 5001]
#: request targets a client may ask for beyond the app's own paths
MORE_TARGETS = ["http://localhost/", "http://example.com/a?y=1", "*", "/a/../a", "/./", "/?q=caf\xc3\xa9&r=%20+",
                "/?x=\xe9", "/?x=<\">{}|", "/#frag", "/%2e%2e/x", "/a%2Fb"]
MORE_METHODS = ["TRACE", "CONNECT", "post", "Get", "DELETE", "PATCH", "M-SEARCH"]
MORE_VERSIONS = ["HTTP/1.2", "http/1.1", "HTTP/1.1 ", "HTTP/01.1"]
#: a Host header spelled otherwise: name case, no space, more space, a tab, twice
HOST_SPELLINGS = ["host: localhost", "HOST: localhost", "Host:localhost", "Host:   localhost   ", "Host:\tlocalhost",
                  "Host: localhost\r\nHost: other", "Host: [::1]:5000", "Host: localhost."]
MORE_HEADERS = ["X-Dup: 1\r\nX-Dup: 2", "X-Name: caf\xe9", "X-Tab:\tv\t", "X_Under: 1", "Cookie: a=1; b=2",
                "Content-Type: application/x-www-form-urlencoded", "Connection: close", "Accept-Encoding: gzip",
                "Expect: something"]
#: how a Content-Length of n may be written, and what each means to the two Werkzeugs
LENGTH_SPELLINGS = ["+{n}", "0{n}", " {n} ", "{n}, {n}", "abc", "-1"]
STATIC_TARGETS = ["/static/", "/static/dir", "/static/../app.py", "/static//{name}", "/static/{name}?v=1"]
STATIC_CONDITIONS = [
    "Range: bytes=0-0", "Range: bytes=5-2", "Range: bytes=0-1,3-4", "Range: bytes=-0", "Range: items=0-1",
    "Range: bytes=0-1\r\nIf-Range: Tue, 14 Nov 2023 22:13:20 GMT", "Range: bytes=0-1\r\nIf-Range: \"x\"",
    "Range: bytes=0-1\r\nIf-Range: Mon, 13 Nov 2023 22:13:20 GMT", "If-None-Match: *", "If-Match: *",
    "If-Modified-Since: garbage", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 -0000",
]


# -- the dimensions added third, from a stream of their own (Draw.wider) for seeds from
# WIDER_FROM on (which draw the later ones too), so that every earlier seed keeps its scenario
WIDER_FROM = 200_000
#: rule parts that mix static text and variables in one segment, a path converter before
#: more of the rule, the ``default`` converter, and values at a converter's edges
#: (rule part, a value that converts, a value that does not)
WIDER_PARTS: list[tuple[str, str, str]] = [
    ("<{n}>.json", "abc.json", "abc.xml"),
    ("v<int:{n}>", "v2", "vx"),
    ("<int:{n}>-<int:{n}b>", "3-4", "3-x"),
    ("file.<any(txt, csv):{n}>", "file.csv", "file.pdf"),
    ("<path:{n}>/edit", "a/b/edit", "a/b/view"),
    ("<default:{n}>", "a%20b", ""),
    ("<{n}>", "caf%C3%A9", ""),
    ("<uuid:{n}>", "ABCDEF01-1234-5678-1234-567812345678", "abcdef01-1234-5678-1234-56781234567g"),
    ("<int:{n}>", "0", "-1"),
    ("<int(signed=True):{n}>", "-0", "+1"),
    ("<int(min=5):{n}>", "5", "4"),
    ("<float:{n}>", "0.0", "1."),
    ("<string(maxlength=3):{n}>x", "abx", "abcdx"),
]
#: methods a route may take beyond the usual five, and that a client may send
WIDER_METHODS = ["PROPFIND", "HEAD", "OPTIONS", "TRACE", "PURGE"]
#: error handler keys beyond ERROR_KEYS: codes Werkzeug has classes for, and builtin classes
WIDER_ERROR_KEYS = ["401", "403", "410", "413", "429", "501", "503", "KeyError", "TypeError", "OSError",
                    "ArithmeticError", "RuntimeError", "UnicodeError", "NotImplementedError"]
#: how a request's head may be malformed or unusual beyond the later dimensions: bare LF line
#: ends, a folded (obs-fold) header, a line without a colon, a space before the colon, an
#: empty name, a header line and a request line at http.client's 65536 limit, 101 headers
WIDER_HEADS = ["bare_lf", "fold", "no_colon", "space_colon", "empty_name", "long_header", "long_line",
               "many_headers", "two_lengths"]
#: targets whose escapes do not decode as UTF-8, or decode to what a path rarely holds
WIDER_TARGETS = ["/%FF", "/caf%C3", "/%00", "/a%20b", "/%E4%BD%A0", "/a;b", "/a%3Fb", "/%2e/a", "/a%2F"]
#: response headers a view may set that the server sets or frames itself
WIDER_HEADER_SETS = [{"Server": "mine"}, {"Date": "Mon, 01 Jan 2001 00:00:00 GMT"}, {"Connection": "close"},
                     {"Keep-Alive": "timeout=5"}, {"Content-Length": "99999"}, {"Content-Type": ""}]
#: bodies beyond the first ones: a kernel buffer's worth and more
WIDER_BODIES = ["y" * 8192, "z" * 70_000, "\u00e9" * 3000]
WIDER_STATIC_NAMES = ["my notes.txt", "a b/c d.css", "deep/er/file.json", "UPPER.TXT", "x.tgz", "y.br"]
#: Host values Werkzeug 3's host_is_trusted refuses (port 0 or 65536, a leading 0, an
#: underscore, two ports, an open bracket, user info) or takes (upper case, an IP, punycode,
#: and ``localhost..``, which Map.bind then cannot IDNA-encode)
WIDER_HOSTS = ["localhost:0", "localhost:08", "a_b.com", "localhost:5000:1", "[::1", "user@localhost",
               "localhost:65536", "LOCALHOST", "127.0.0.1", "xn--caf-dma.com", "localhost.."]
#: how often ``serve_forever`` polls (seconds)
WIDER_POLL_INTERVALS = [0.05, 0.1, 1.0, 2.0]


# -- the dimensions added fourth, from a stream of their own (Draw.deeper) for seeds from
# DEEPER_FROM on (which draw all the earlier ones too): what a person may declare that no
# earlier stream drew, each in about one scenario in five
DEEPER_FROM = 300_000
#: static rule text with letters beyond ASCII or a space, each with the ways a client may ask
#: for it: percent-encoded (upper- and lower-case hex), raw UTF-8 bytes, a space as ``+``, and
#: the word in another case (which the rule does not match)
DEEPER_WORDS = ["na\u00efve", "\u4f60\u597d", "a b", "Stra\u00dfe", "\u00c9t\u00e9", "\U0001f600"]
#: JSON templates with URL values inside strings (an f-string in the app), as keys (never
#: filled), next to braces that are not a variable; ``{a}``/``{b}`` stand for the rule's
#: first and last variables
DEEPER_JSON_TEMPLATES = [
    {"msg": "item {a}"}, {"both": "{a}-{b}", "a": "{a}"}, {"{a}": "keys stay"},
    {"missing": "{nope}", "braces": "{{a}}", "half": "{a"}, ["{a}", "x{a}x", 1], "{a}", "id={a}",
    {"nested": {"deep": ["{b}{a}"]}},
]
#: values a string-like converter takes that look like a placeholder themselves
DEEPER_BRACE_VALUES = ["%7Bv2%7D", "%7Bv1%7D", "%7B%7D"]
#: texts beyond the first ones: a placeholder a text view does not fill, beyond the BMP,
#: CRLF, a body past a kernel buffer
DEEPER_TEXTS = ["hello {v1}", "{v1}", "\U0001f600 smile", "a\r\nb\r\n", "t" * 70_000, "\u00e9\u00e8" * 500]
DEEPER_JSON = [{"a": {"b": [1, {"c": None}]}}, 2**70, -0.0, 1e100, 1e-7, "\U0001f600", False, 0, "",
               [[]], [{}], "<script>", {"1": 1, "A": 2, "a": 3, "\u00e9": 4}, [1.0, 2.50, -3]]
DEEPER_STREAM_CHUNKS = ["\u4f60\u597d", "\U0001f600", "s" * 10_000, "\r\n", " "]
#: method lists Flask completes otherwise: none (OPTIONS only), repeated, HEAD or OPTIONS alone
DEEPER_METHOD_LISTS = [[], ["GET", "get"], ["HEAD"], ["OPTIONS"], ["POST", "HEAD"], ["GET", "OPTIONS", "TRACE"]]
#: codes abort() takes (400-599) that no earlier stream drew: some Werkzeug has no class for
DEEPER_ABORTS = [402, 407, 420, 426, 444, 499, 507, 508, 510, 511, 520, 599]
DEEPER_RAISES = ["BaseException", "Exception", "Warning", "TimeoutError", "BrokenPipeError", "MemoryError",
                 "RecursionError", "AssertionError", "StopAsyncIteration", "UnicodeEncodeError",
                 "BaseExceptionGroup", "ConnectionAbortedError"]
DEEPER_STATUSES = [" 201", "  404 Not Here", "150", 101, 205, "204 No Body", " 200 OK ", "500 Internal"]
DEEPER_MIMETYPES = ["", "application/sql", "application/xml-dtd", "Text/Plain", "text/plain;charset=ascii",
                    "application/problem+json", "x", "text/html; charset=utf-8; q=1"]
#: header names and values a dict may hold that HTTP does not allow or rarely sees
DEEPER_HEADER_SETS = [{"X-NL": "a\nb"}, {"X-CR": "a\rb"}, {"X Sp": "1"}, {"": "v"}, {"X-Lead": "  v  "},
                      {"X-Ctl": "a\x00b"}, {"X-Big": "v" * 5000}, {"X-Multi": "a, b"}, {"X-Colon:": "c"},
                      {"Content-Type": "text/plain; charset=utf-16"}]
#: the sets a response with a stream's generator may meet: Werkzeug refuses a newline in a
#: header value with a ValueError, and one that is not handled stays in a reference cycle
#: (wsgi_app's ``error = e``) with the generator until the cyclic GC closes it, at a moment
#: no scenario can name (docs/engine-api.md)
DEEPER_STREAM_HEADER_SETS = [h for h in DEEPER_HEADER_SETS if not any("\n" in v or "\r" in v for v in h.values())]
#: app names (``Flask(import_name)``) beyond ``app``
DEEPER_APP_NAMES = ["myapp", "pkg.module", "hello-world", "", "App"]
#: url_prefix holding a URL variable of its own (every view of the blueprint receives it)
DEEPER_PREFIXES = [("/<lang>", "/en"), ("/<int:ver>/x", "/2/x"), ("/p/<any(a, b):kind>", "/p/b")]
#: a blueprint route's rule relative to its url_prefix: the prefix itself, no leading slash
DEEPER_BP_RULES = ["", "ping", "deep/er"]
DEEPER_STATIC_NAMES = [".hidden", "a..b.txt", "PIC.PNG", "-dash.css", "trailing.", "big.txt"]
#: HTTP versions http.server refuses (505, 400) or takes (an explicit 0.9, a leading 0)
DEEPER_VERSIONS = ["HTTP/2.0", "HTTP/0.9", "HTTP/1.1.1", "HTTP/1", "HTTP/1.1x", "HTTP/\xb2.1", "HTTP/1.01",
                   "HTTP/3"]
#: request lines otherwise odd: an empty line first, a fourth word, two spaces, tabs, and a
#: connection whose only line is empty
DEEPER_LINES = ["leading_crlf", "extra_word", "double_space", "tabs", "empty"]
#: client ids of other shapes than ``cN``
DEEPER_CLIENT_IDS = ["A", "client.1", "x_y", "9", "Z-z"]
#: ``listen()`` backlogs beyond 0 and 1
DEEPER_BACKLOGS = [2, 3, 5]
#: the scenario's choices for the variants they concern (an ``x-`` field): ``processes`` on
#: the forking ones, saved files and the reloader's timing on the reloader ones, and
#: ``threaded`` left to the start's default where that is what the variant runs
DEEPER_CHOICES = "x-deeper"
DEEPER_PROCESSES = [2, 3, 8]
DEEPER_RELOADER_INTERVALS = [0.5, 2.0]
DEEPER_RELOADER_SPAWNS = [100, 400]


class Draw:
    """One scenario being drawn from a seeded random generator."""

    def __init__(self, rng: random.Random, more: random.Random | None = None,
                 wider: random.Random | None = None, deeper: random.Random | None = None) -> None:
        self.rng = rng
        #: the stream of the dimensions added later (None: the scenarios of the first ones)
        self.more = more
        #: the stream of the dimensions added third (None: the scenarios before WIDER_FROM)
        self.wider = wider
        #: the stream of the dimensions added fourth (None: the scenarios before DEEPER_FROM)
        self.deeper = deeper
        self.names = 0
        self.paths: list[tuple[str, list[str]]] = []  # (a path to ask for, methods that route)
        self.slow = False
        self.good_of: dict[str, str] = {}  # a rule's first path that converts
        self.prefix_spelled: dict[str, str] = {}  # a url_prefix with variables, as a path spells it
        self.streams = False  # a stream view drawn so far

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def extra(self, p: float) -> bool:
        """A later dimension, drawn from its own stream only."""
        return self.more is not None and self.more.random() < p

    def wide(self, p: float) -> bool:
        """A dimension added third, drawn from its own stream only."""
        return self.wider is not None and self.wider.random() < p

    def deep(self, p: float) -> bool:
        """A dimension added fourth, drawn from its own stream only."""
        return self.deeper is not None and self.deeper.random() < p

    # -- the app -------------------------------------------------------------------------

    def rule(self) -> tuple[str, str, str]:
        """A rule, a path it matches, and a path that looks alike but does not convert."""
        rng = self.rng
        rule, good, bad = "", "", ""
        variables = 0
        for index in range(rng.randint(1, 3)):
            last = index == 2
            if self.chance(0.45):
                # a path converter only ends a rule
                part, yes, no = rng.choice([c for c in CONVERTERS if last or not c[0].startswith("<path")])
                variables += 1
                if part in ("<{n}>", "<string:{n}>", "<path:{n}>") and self.deep(0.35):
                    yes = self.deeper.choice(DEEPER_BRACE_VALUES)
                rule += "/" + part.format(n=f"v{variables}")
                good += "/" + yes
                bad += "/" + (no or yes + "/extra")
            else:
                word, spelled = rng.choice(WORDS)
                if self.deep(0.06):
                    word = self.deeper.choice(DEEPER_WORDS)
                    spelled = _spelling(word, self.deeper)
                rule += "/" + word
                good += "/" + spelled
                bad += "/" + spelled
            if self.wide(0.2):  # one more segment, of the wider kinds
                part, yes, no = self.wider.choice(WIDER_PARTS)
                variables += 1
                rule += "/" + part.format(n=f"v{variables}")
                good += "/" + yes
                bad += "/" + (no or yes + "/extra")
        if self.chance(0.3):
            rule += "/"
            good += "/"
            bad += "/"
        return rule, good, bad

    def view(self, variables: list[str]) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choices(["text", "json", "echo", "abort", "raise", "stream"], [30, 15, 10, 8, 7, 15])[0]
        view: dict[str, Any] = {}
        if kind == "text":
            view["text"] = rng.choice(TEXTS)
        elif kind == "json":
            if variables and self.chance(0.7):
                view["json"] = {v: "{" + v + "}" for v in variables} | {"ok": True}
            else:
                view["json"] = rng.choice([{"a": 1, "b": [1, 2]}, [1, "two", None], {"z": "\u00e9", "a": 0.5}])
        elif kind == "echo":
            view["echo"] = True
        elif kind == "abort":
            view["abort"] = rng.choice(ABORTS)
        elif kind == "raise":
            view["raise"] = rng.choices(RAISES, RAISE_WEIGHTS)[0]
        else:
            view["stream"] = [rng.choice(["a", "bb", "", "\u00e9", "chunk\n"]) for _ in range(rng.randint(0, 4))]
            self.streams = True
            if self.chance(0.3):
                view["interval"] = rng.choice([80, 160])
                self.slow = True
            if self.chance(0.3):
                view["with_context"] = True
        if kind in ("text", "json", "echo", "stream"):
            if self.chance(0.3):
                view["status"] = rng.choice(STATUSES)
            if self.chance(0.3):
                view["headers"] = dict(rng.choice(HEADER_SETS))
            if self.chance(0.25):
                view["mimetype"] = rng.choice(MIMETYPES)
        if self.chance(0.15):
            view["sleep"] = rng.choice([80, 200, 350])
            self.slow = True
        if self.more is not None:
            self.more_view(view, kind)
        if self.deeper is not None:
            self.deeper_view(view, kind, variables)
        return view

    def deeper_view(self, view: dict[str, Any], kind: str, variables: list[str]) -> None:
        deeper = self.deeper
        if kind == "text" and self.deep(0.2):
            view["text"] = deeper.choice(DEEPER_TEXTS)
        elif kind == "json" and variables and self.deep(0.6):
            view["json"] = _placeholders(deeper.choice(DEEPER_JSON_TEMPLATES), variables[0], variables[-1])
        elif kind == "json" and self.deep(0.5):
            view["json"] = copy.deepcopy(deeper.choice(DEEPER_JSON))
        elif kind == "stream" and self.deep(0.3):
            view["stream"] = view["stream"] + [deeper.choice(DEEPER_STREAM_CHUNKS)
                                               for _ in range(deeper.randint(1, 8))]
        elif kind == "abort" and self.deep(0.6):
            view["abort"] = deeper.choice(DEEPER_ABORTS)
        elif kind == "raise" and self.deep(0.7):
            view["raise"] = deeper.choice(DEEPER_RAISES)
        if kind in ("text", "json", "echo", "stream"):
            if self.deep(0.06):
                view["status"] = deeper.choice(DEEPER_STATUSES)
            if self.deep(0.06):
                view["mimetype"] = deeper.choice(DEEPER_MIMETYPES)
            if self.deep(0.06):
                sets = DEEPER_STREAM_HEADER_SETS if kind == "stream" else DEEPER_HEADER_SETS
                view["headers"] = {**view.get("headers", {}), **deeper.choice(sets)}

    def more_view(self, view: dict[str, Any], kind: str) -> None:
        more = self.more
        if kind == "json" and self.extra(0.4):
            view["json"] = copy.deepcopy(more.choice(JSON_SCALARS))
        elif kind == "raise" and self.extra(0.5):
            view["raise"] = more.choices(MORE_RAISES, MORE_RAISE_WEIGHTS)[0]
        elif kind == "abort" and self.extra(0.5):
            view["abort"] = more.choice(MORE_ABORTS)
        if kind in ("text", "json", "echo", "stream"):
            if self.extra(0.2):
                view["headers"] = {**view.get("headers", {}), **more.choice(ODD_HEADER_SETS)}
            if self.extra(0.12):
                view["status"] = more.choice(MORE_STATUSES)
            if self.extra(0.12):
                view["mimetype"] = more.choice(MORE_MIMETYPES)
            if self.wide(0.12):
                view["headers"] = {**view.get("headers", {}), **self.wider.choice(WIDER_HEADER_SETS)}

    def route(self, prefix: str | None, blueprint: bool = False) -> dict[str, Any]:
        rng = self.rng
        rule, good, bad = self.rule()
        if prefix and self.deep(0.3):  # relative to the url_prefix
            rule = self.deeper.choice(DEEPER_BP_RULES)
            good = bad = "/" + rule if rule else ""
            bad += "/nope"
        endpoint = self.name("r")
        route: dict[str, Any] = {"rule": rule, "endpoint": endpoint}
        if self.chance(0.4):
            route["methods"] = sorted(set(rng.sample(["GET", "POST", "PUT", "DELETE", "PATCH"], rng.randint(1, 3))))
            if self.chance(0.15):
                route["methods"].append(rng.choice(["HEAD", "OPTIONS"]))
            if self.extra(0.2):  # Flask upper-cases them
                route["methods"] = [m.lower() for m in route["methods"]]
            if self.wide(0.2):
                route["methods"].append(self.wider.choice(WIDER_METHODS))
        if self.chance(0.2):
            route["name"] = self.name("view_")
        if self.chance(0.25):
            route["strict_slashes"] = False
        if self.deep(0.04):
            route["methods"] = list(self.deeper.choice(DEEPER_METHOD_LISTS))
        if self.deep(0.05):  # a name alone: the endpoint is the function's name
            route["name"] = route.pop("endpoint").replace("r", "view_r")
        elif not blueprint and self.deep(0.08):  # an app's endpoint may hold a dot
            route["endpoint"] += ".x"
        variables = re.findall(r":?(v\d+b?)>", rule)
        if blueprint and prefix:  # the prefix's own variables go to every view too
            variables = re.findall(r"<(?:[^>]*:)?(\w+)>", prefix) + variables
        route["view"] = self.view(variables)
        # no methods at all: Flask adds OPTIONS
        methods = [m.upper() for m in route.get("methods", ["GET"])] or ["OPTIONS"]
        spelled = self.prefix_spelled.get(prefix, prefix) if prefix else prefix
        full = lambda p: p if prefix is None else _join(spelled, p)  # noqa: E731
        self.paths.append((full(good), methods))
        self.paths.append((full(bad), methods))
        self.good_of.setdefault(rule, full(good))
        if good.endswith("/"):
            self.paths.append((full(good.rstrip("/")), methods))
        else:
            self.paths.append((full(good) + "/", methods))
        return route

    def hooks(self, decl: dict[str, Any], blueprint: bool) -> None:
        rng = self.rng
        if self.chance(0.35):
            hooks = []
            for _ in range(rng.randint(1, 2)):
                hook: dict[str, Any] = {"name": self.name("before_")}
                if self.chance(0.5):
                    returns: dict[str, Any] = {"text": rng.choice(["blocked", "no"])}
                    if self.chance(0.7):
                        returns["status"] = rng.choice([200, 401, 403, 503])
                    if self.extra(0.3):
                        returns["status"] = self.more.choice(["403 Go Away", "200 Fine Then", 302, 304])
                    if self.chance(0.3):
                        returns["headers"] = {"X-Guard": "1"}
                    hook["returns"] = returns
                    if self.chance(0.7) and self.paths:
                        hook["only_path"] = rng.choice(self.paths)[0].split("?")[0]
                    if self.deep(0.5):
                        self.deeper_returns(hook)
                if self.deep(0.2):  # what a before_request hook does not use
                    hook["set_headers"] = {"X-Unused": "1"}
                hooks.append(hook)
            decl["before_request"] = hooks
        if self.chance(0.35):
            decl["after_request"] = [
                {"name": self.name("after_"), "set_headers": dict(rng.choice(HEADER_SETS))}
                for _ in range(rng.randint(1, 2))
            ]
            if self.wide(0.25):
                decl["after_request"][0]["set_headers"] |= self.wider.choice(ODD_HEADER_SETS)
            if self.deep(0.15):
                sets = DEEPER_STREAM_HEADER_SETS if self.streams else DEEPER_HEADER_SETS
                decl["after_request"][0]["set_headers"] |= self.deeper.choice(sets)
            if self.deep(0.3):  # what an after_request hook does not use
                decl["after_request"][-1] |= {"returns": {"text": "unused", "status": 500}, "only_path": "/"}
        if self.chance(0.25):
            decl["teardown_request"] = [{"name": self.name("teardown_")}]
            if self.deep(0.3):
                decl["teardown_request"][0]["returns"] = {"text": "unused"}
        if self.chance(0.2):
            decl["url_value_preprocessors"] = [{"name": self.name("values_")}]
            if self.deep(0.3):
                decl["url_value_preprocessors"][0]["returns"] = {"text": "unused", "status": 403}
        if self.chance(0.35):
            handlers = {}
            for code in rng.sample(ERROR_KEYS, rng.randint(1, 2)):
                handler: dict[str, Any] = {"name": self.name("on_"), "text": rng.choice(["oops", "nothing here", ""])}
                if self.chance(0.3):
                    handler["status"] = rng.choice([200, 404, 500, 503])
                if self.chance(0.2):
                    handler["headers"] = {"X-Handled": "1"}
                if self.extra(0.3):
                    handler["status"] = self.more.choice(MORE_HANDLER_STATUSES)
                if self.wide(0.2):
                    handler["headers"] = dict(self.wider.choice(ODD_HEADER_SETS))
                if self.deep(0.1):
                    handler["status"] = self.deeper.choice(DEEPER_STATUSES)
                if self.deep(0.1):
                    handler["headers"] = dict(self.deeper.choice(DEEPER_HEADER_SETS))
                if self.deep(0.1):
                    handler["text"] = self.deeper.choice(DEEPER_TEXTS)
                handlers[code] = handler
            if self.wide(0.4):
                key = self.wider.choice(WIDER_ERROR_KEYS)
                handlers.setdefault(key, {"name": self.name("on_"), "text": "handled " + key})
            decl["errorhandlers"] = handlers
        if not blueprint and self.chance(0.2):
            decl["teardown_appcontext"] = [{"name": self.name("appctx_")}]

    def deeper_returns(self, hook: dict[str, Any]) -> None:
        """A before_request hook's return beyond the first ones: a status or headers no earlier
        stream drew, or ``only_path`` as ``request.path`` has it (percent-escapes decoded)."""
        deeper, returns = self.deeper, hook["returns"]
        roll = deeper.random()
        if roll < 0.25:
            returns["status"] = deeper.choice(DEEPER_STATUSES)
        elif roll < 0.45:
            returns["headers"] = dict(deeper.choice(DEEPER_HEADER_SETS))
        elif roll < 0.6:
            returns["text"] = deeper.choice(DEEPER_TEXTS)
        else:
            escaped = [path for path, _ in self.paths if "%" in path or not path.isascii()]
            if escaped:
                raw = deeper.choice(escaped).split("?")[0].encode("latin-1").decode("utf-8", "replace")
                hook["only_path"] = urllib.parse.unquote(raw)

    def app(self) -> dict[str, Any]:
        rng = self.rng
        app: dict[str, Any] = {"name": "app", "routes": [self.route(None) for _ in range(rng.randint(1, 5))]}
        if self.deep(0.2):
            app["name"] = self.deeper.choice(DEEPER_APP_NAMES)
        if self.extra(0.2):
            self.shared_endpoint(app["routes"])
        if self.wide(0.3):
            self.same_rule(app["routes"])
        if self.chance(0.35):
            blueprints = []
            for index in range(rng.randint(1, 2)):
                prefix = rng.choice(PREFIXES)
                if index and self.extra(0.4):  # two blueprints under one prefix
                    prefix = blueprints[0].get("url_prefix", prefix)
                if self.deep(0.5):
                    prefix, self.prefix_spelled[prefix] = self.deeper.choice(DEEPER_PREFIXES)
                bp: dict[str, Any] = {"name": f"bp{index}", "url_prefix": prefix}
                if self.extra(0.15):  # no url_prefix at all (None), which is not ""
                    del bp["url_prefix"]
                    prefix = None
                bp["routes"] = [self.route(prefix, blueprint=True) for _ in range(rng.randint(1, 3))]
                self.hooks(bp, blueprint=True)
                blueprints.append(bp)
            app["blueprints"] = blueprints
        self.hooks(app, blueprint=False)
        if self.chance(0.4):
            files = {}
            for name in rng.sample(STATIC_NAMES, rng.randint(1, 3)):
                spec: dict[str, Any] = {"text": rng.choice(STATIC_TEXTS)}
                if self.chance(0.5):
                    spec["mtime"] = rng.choice([0, 1_600_000_000, 1_700_000_123])
                files[name] = spec
                if self.wide(0.3):
                    name = self.wider.choice(WIDER_STATIC_NAMES)
                    if self.wide(0.3):
                        spec["mtime"] = self.wider.choice([4_102_444_800, 1, 2_000_000_000])
                    files[name] = spec
                if self.deep(0.3):
                    name = self.deeper.choice(DEEPER_STATIC_NAMES)
                    files[name] = {"text": "b" * 100_000 if name == "big.txt" else self.deeper.choice(DEEPER_TEXTS)}
                self.paths.append((f"/static/{urllib.parse.quote(name)}", ["GET"]))
                if self.extra(0.5):
                    self.paths.append((self.more.choice(STATIC_TARGETS).format(name=name), ["GET"]))
            self.paths.append(("/static/missing.txt", ["GET"]))
            app["static_files"] = files
        return app

    def same_rule(self, routes: list[dict[str, Any]]) -> None:
        """A second view under a rule already routed: for other methods (Werkzeug matches the
        rule, then looks for one that takes the method) or the same ones (the first added wins)."""
        first = self.wider.choice([route for route in routes if route["rule"] in self.good_of])
        route = {"rule": first["rule"], "endpoint": self.name("r"),
                 "methods": self.wider.choice([["POST"], ["GET"], ["PUT", "DELETE"], ["OPTIONS"]]),
                 "view": {"text": "second view"}}
        if "strict_slashes" in first:
            route["strict_slashes"] = first["strict_slashes"]
        routes.append(route)
        self.paths.append((self.good_of[first["rule"]], route["methods"]))

    def shared_endpoint(self, routes: list[dict[str, Any]]) -> None:
        """A second rule for one view: the same endpoint, name and view (one function)."""
        route = copy.deepcopy(self.more.choice(routes))
        rule, good, _ = self.rule()
        if rule == route["rule"] or re.search(r"<", rule):
            return
        route["rule"] = rule
        routes.append(route)
        self.paths.append((good, [m.upper() for m in route.get("methods", ["GET"])]))

    # -- the clients ---------------------------------------------------------------------

    def request_head(self) -> tuple[str, str, list[str]]:
        """(method, target, header lines) of one request."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.8 and self.paths:
            path, methods = rng.choice(self.paths)
            any_method = rng.choice(["GET", "HEAD", "POST", "OPTIONS", "PUT", "get"])
            method = rng.choice(methods) if self.chance(0.8) else any_method
        else:
            path = rng.choice(["/", "/nope", "/a//b", "//x", "/%zz", "/caf\xc3\xa9"])
            method = rng.choice(["GET", "HEAD", "POST"])
        if self.chance(0.15):
            path += rng.choice(["?x=1", "?q=a+b&r=%20", "?"])
        headers = []
        hosts = ["localhost", "localhost:5000", "example.com", "LocalHost:80", "bad host!", "h\u00e9", "", None]
        host = rng.choices(hosts, [50, 12, 10, 5, 8, 4, 3, 13])[0]
        if host is not None:
            headers.append(f"Host: {host}")
        if self.chance(0.2):
            headers.append(rng.choice(["User-Agent: rnd/1.0", "Accept: */*", "X-Trace: 1"]))
        if path.startswith("/static/"):
            if self.chance(0.25):
                headers.append("If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT")
            if self.chance(0.25):
                headers.append(rng.choice(["Range: bytes=0-3", "Range: bytes=-2", "Range: bytes=100-"]))
        if self.more is not None:
            method, path = self.more_target(method, path, headers)
        if self.wide(0.08):
            method = self.wider.choice(WIDER_METHODS)
        if self.wide(0.08):
            path = self.wider.choice(WIDER_TARGETS)
        return method, path, headers

    def more_target(self, method: str, path: str, headers: list[str]) -> tuple[str, str]:
        """Later dimensions of a request's head: odd targets, methods, query strings, a Host
        spelled otherwise, odd or repeated headers, a static file's conditions."""
        more = self.more
        if self.extra(0.12):
            path = more.choice(MORE_TARGETS)
        elif self.extra(0.12):
            path += more.choice(["?q=caf\xc3\xa9", "?x=\xe9&y", "?a=<\">", "#frag", "?%zz=%"])
        if self.extra(0.1):
            method = more.choice(MORE_METHODS)
        if headers and headers[0].startswith("Host: localhost") and self.extra(0.2):
            headers[0] = more.choice(HOST_SPELLINGS)
        if self.extra(0.2):
            headers.append(more.choice(MORE_HEADERS))
        if path.startswith("/static/") and self.extra(0.4):
            headers.append(more.choice(STATIC_CONDITIONS))
        return method, path

    def client(self, cid: str, at: int) -> tuple[dict[str, Any], int]:
        """A client, and when it is done sending (ms)."""
        rng = self.rng
        method, path, headers = self.request_head()
        version = rng.choices(["HTTP/1.1", "HTTP/1.0", ""], [70, 27, 3])[0]
        if version and self.extra(0.05):
            version = self.more.choice(MORE_VERSIONS)
        if version and self.deep(0.1):
            version = self.deeper.choice(DEEPER_VERSIONS)
        body_kind = "none"
        if method.upper() in ("POST", "PUT", "PATCH") or self.chance(0.1):
            body_kind = rng.choices(["length", "chunked", "expect", "short", "long", "bad_chunk", "none"],
                                    [35, 15, 12, 8, 8, 5, 17])[0]
        keepalive = self.chance(0.12)
        if keepalive:
            headers.append("Connection: keep-alive")
        body = rng.choice(["ping", "a=1&b=2", "\u00e9t\u00e9", "x" * 100])
        if self.wide(0.15):
            body = self.wider.choice(WIDER_BODIES)
        pieces: list[str] = []
        if body_kind in ("length", "expect"):
            headers.append(f"Content-Length: {len(body)}")
            if self.extra(0.2):
                headers[-1] = "Content-Length: " + self.more.choice(LENGTH_SPELLINGS).format(n=len(body))
            if body_kind == "expect":
                headers.append("Expect: 100-continue")
                if self.extra(0.25):
                    headers[-1] = self.more.choice(["Expect: 100-Continue", "expect:100-continue"])
            if self.extra(0.1):  # both framings: Transfer-Encoding wins
                headers.append("Transfer-Encoding: chunked")
                body = f"{len(body):x}\r\n{body}\r\n0\r\n\r\n"
            pieces = _split(rng, body)
        elif body_kind == "short":
            headers.append(f"Content-Length: {len(body) + 5}")
            pieces = [body]
        elif body_kind == "long":
            headers.append(f"Content-Length: {max(0, len(body) - 2)}")
            pieces = [body]
        elif body_kind in ("chunked", "bad_chunk"):
            headers.append("Transfer-Encoding: chunked")
            size = "zz" if body_kind == "bad_chunk" else format(len(body), "x")
            last = "0\r\n\r\n"
            if body_kind == "chunked" and self.extra(0.3):
                headers[-1] = self.more.choice(["Transfer-Encoding: Chunked", "Transfer-Encoding: gzip, chunked",
                                                "transfer-encoding: chunked", "Transfer-Encoding: chunked"])
                size = self.more.choice([size.upper(), "00" + size, size + ";ext=1", size + " "])
                last = self.more.choice(["0\r\n\r\n", "0\r\nX-Trailer: 1\r\n\r\n", "000\r\n\r\n"])
            pieces = _split(rng, f"{size}\r\n{body}\r\n{last}")
        odd_head = self.wider.choice(WIDER_HEADS) if version and self.wide(0.2) else None
        if odd_head:
            path = _odd_head(odd_head, f"{method} {path} {version}", headers, self.wider)
        if version:
            head = f"{method} {path} {version}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
        else:
            head = f"{method} {path}\r\n\r\n"  # HTTP/0.9
        if odd_head == "bare_lf":
            head = head.replace("\r\n", "\n")
        if version and self.deep(0.08):
            head = _odd_line(self.deeper.choice(DEEPER_LINES), head)
        send: list[Any] = [head]
        # Pieces sent one after the other without a pause may reach the server's first
        # recv() together or not, depending on the machine: a piece that is not part of the
        # same send comes at least GAP_MS later.
        if self.chance(0.1):  # the head itself arrives in two pieces
            cut = rng.randint(1, len(head) - 1)
            send = [head[:cut], {"after": rng.choice([GAP_MS, GAP_MS + 60]), "data": head[cut:]}]
        t = at + sum(chunk["after"] for chunk in send[1:])
        for index, piece in enumerate(pieces):
            if index == 0 and body_kind != "expect" and self.chance(0.5):
                send[-1] = _append(send[-1], piece)  # the body in the same send as the head
                continue
            wait = GAP_MS + 10 * rng.randint(0, 10)
            send.append({"after": wait, "data": piece})
            t += wait
        if self.chance(0.1):  # pipelined (in the same send) or keep-alive second request
            second = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
            if self.chance(0.5):
                send[-1] = _append(send[-1], second)
            else:
                send.append({"after": GAP_MS + 30, "data": second})
                t += GAP_MS + 30
        then = rng.choices(["read", "shutdown_write", "close", "reset"], [50, 20, 15, 15])[0]
        # A reset right after a send races the server's answer: the client keeps whatever
        # arrived before its abort, so it first waits.
        if then == "reset" or (then in ("close", "shutdown_write") and self.chance(0.6)):
            wait = GAP_MS + 10 * rng.randint(0, 30)
            send.append({"after": wait, "data": ""})
            t += wait
        client: dict[str, Any] = {"id": cid, "at": at, "send": send}
        if then != "read":
            client["then"] = then
        if then in ("read", "shutdown_write") and self.chance(0.15):
            client["read_timeout"] = rng.choice([100, 300, 700])
        return client, t

    def clients(self) -> list[dict[str, Any]]:
        rng = self.rng
        clients = []
        at = 10 * rng.randint(0, 5)
        count = rng.randint(1, 4)
        if self.wide(0.2):
            count += self.wider.randint(1, 2)
        for index in range(count):
            if self.wide(0.1):  # connects and sends nothing (DESIGN's `"send": [], "then": "close"`)
                client = {"id": f"c{index + 1}", "at": at, "send": [],
                          "then": self.wider.choice(["close", "reset", "read", "shutdown_write"])}
                if client["then"] in ("read", "shutdown_write"):
                    client["read_timeout"] = self.wider.choice([100, 300])
            else:
                client, _ = self.client(f"c{index + 1}", at)
            clients.append(client)
            at += GAP_MS + 10 * rng.randint(0, 25)
        if self.deep(0.2):  # ids of other shapes
            ids = self.deeper.sample(DEEPER_CLIENT_IDS, min(len(clients), len(DEEPER_CLIENT_IDS)))
            for client, cid in zip(clients, ids, strict=False):
                client["id"] = cid
        if self.deep(0.3):  # listed in another order than they connect
            self.deeper.shuffle(clients)
        return clients


def _odd_head(kind: str, request_line: str, headers: list[str], rng: random.Random) -> str:
    """Make a request head odd in one of WIDER_HEADS' ways (its header lines in place); the
    target, longer for a request line at the limit."""
    target = request_line.split(" ")[1]
    if kind == "fold":
        headers.insert(rng.randint(0, len(headers)), "X-Fold: a\r\n b")
    elif kind == "no_colon":
        headers.insert(rng.randint(0, len(headers)), "Junk line")
    elif kind == "space_colon":
        headers.append("X-Space : 1")
    elif kind == "empty_name":
        headers.append(": empty")
    elif kind == "long_header":
        # http.client reads a header line with readline(65537) and refuses it beyond 65536
        headers.append("X-Long: " + "a" * (rng.choice([65536, 65537]) - len("X-Long: \r\n")))
    elif kind == "long_line":
        # Werkzeug 3 answers 414 to a request line (with its CRLF) beyond 65536 bytes
        extra = ("&" if "?" in target else "?") + "p="
        target += extra + "q" * (rng.choice([65536, 65537, 65538]) - len(request_line + "\r\n" + extra))
    elif kind == "two_lengths":
        headers += ["Content-Length: 0", "Content-Length: 4"]
    elif kind == "many_headers":
        headers += [f"X-N{i}: v" for i in range(rng.choice([99, 101]) - len(headers))]
    return target


def _odd_line(kind: str, head: str) -> str:
    """A request head with its request line odd in one of DEEPER_LINES' ways."""
    line, rest = head.split("\r\n", 1) if "\r\n" in head else (head, "")
    method, target, version = line.split(" ", 2)
    if kind == "leading_crlf":  # http.server reads the empty line as the request line
        return "\r\n" + head
    if kind == "extra_word":
        line = f"{line} extra"
    elif kind == "double_space":
        line = f"{method}  {target}  {version}"
    elif kind == "tabs":
        line = f"{method}\t{target}\t{version}"
    else:  # "empty": the request line is all there is, and it is empty
        return "\r\n"
    return f"{line}\r\n{rest}"


def _spelling(word: str, rng: random.Random) -> str:
    """How a client asks for a rule's static `word`: percent-encoded with upper- or lower-case
    hex, as raw UTF-8 bytes (latin-1 text), a space as ``+``, or the word in another case."""
    quoted = urllib.parse.quote(word)
    ways = [quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted),
            word.encode().decode("latin-1"), urllib.parse.quote_plus(word),
            urllib.parse.quote(word.swapcase())]
    return rng.choice(ways)


def _placeholders(template: Any, first: str, last: str) -> Any:
    """A DEEPER_JSON_TEMPLATES template with ``{a}``/``{b}`` naming the rule's variables."""
    text = json.dumps(template).replace("{a}", "{" + first + "}").replace("{b}", "{" + last + "}")
    return json.loads(text)


def _join(prefix: str, rule: str) -> str:
    """``BlueprintSetupState.add_url_rule``'s join of a url_prefix and a rule."""
    if prefix is None:
        return rule
    return "/".join((prefix.rstrip("/"), rule.lstrip("/"))) if rule else prefix


def _append(chunk: Any, data: str) -> Any:
    if isinstance(chunk, str):
        return chunk + data
    return {**chunk, "data": chunk["data"] + data}


def _split(rng: random.Random, data: str) -> list[str]:
    if len(data) < 2 or rng.random() < 0.5:
        return [data]
    cut = rng.randint(1, len(data) - 1)
    return [data[:cut], data[cut:]]


def draw_scenario(rng: random.Random, more: random.Random | None = None,
                  wider: random.Random | None = None, deeper: random.Random | None = None) -> dict[str, Any]:
    draw = Draw(rng, more, wider, deeper)
    app = draw.app()
    server: dict[str, Any] = {"kind": "werkzeug"}
    start = rng.choices(["app.run", "run_simple", "make_server"], [70, 15, 15])[0]
    if start != "app.run":
        server["start"] = start
    if rng.random() < 0.1:
        server["backlog"] = rng.choice([0, 1])
    clients = draw.clients()
    # drawn last, so the later dimensions above keep their draws
    if draw.extra(0.15):
        server["host"] = "localhost"
    if draw.extra(0.15):
        server["port"] = more.choice(MORE_PORTS)
    if draw.wide(0.15):
        server["poll_interval"] = wider.choice(WIDER_POLL_INTERVALS)
    scenario = {"format": FORMAT, "title": "", "server": server, "app": app, "clients": clients}
    if draw.wide(0.4):
        scenario[WSGIREF_CHOICES] = wsgiref_choices(wider)
    if wider is not None:  # drawn after all the rest, which keeps its draws
        for client in clients:
            if client["send"] and wider.random() < 0.3:
                client["send"][0] = _with_host(client["send"][0], wider.choice(WIDER_HOSTS))
    if deeper is not None:
        if deeper.random() < 0.2:
            server["backlog"] = deeper.choice(DEEPER_BACKLOGS)
        scenario[DEEPER_CHOICES] = deeper_choices(deeper)
    return scenario


def deeper_choices(deeper: random.Random) -> dict[str, Any]:
    """What DEEPER_CHOICES holds: ``processes`` for the forking variants, saved files and
    the reloader's interval and spawn time for the reloader's, and whether ``threaded`` is
    left to the start's default where the variant runs what that default is."""
    choices: dict[str, Any] = {}
    if deeper.random() < 0.6:
        choices["processes"] = deeper.choice(DEEPER_PROCESSES)
    if deeper.random() < 0.3:
        choices["reloader_interval"] = deeper.choice(DEEPER_RELOADER_INTERVALS)
    if deeper.random() < 0.3:
        choices["reloader_spawn"] = deeper.choice(DEEPER_RELOADER_SPAWNS)
    if deeper.random() < 0.5:
        choices["file_changes"] = _saves(deeper, choices.get("reloader_interval", 1.0),
                                         choices.get("reloader_spawn", DEFAULT_RELOADER_SPAWN_MS))
    if deeper.random() < 0.25:
        choices["threaded_default"] = True
    return choices


def _saves(deeper: random.Random, interval_s: float, spawn_ms: int) -> list[dict[str, Any]]:
    """One or two saves of app.py, each half a stat turn away from the child's turns (a child
    starts ``spawn_ms`` after the parent's ``subprocess.call`` and looks every ``interval``;
    its first look is its starting point), the second after the child the first one started."""
    interval = round(interval_s * 1000)
    saves, child_start = [], spawn_ms
    for _ in range(deeper.randint(1, 2)):
        at = child_start + interval * deeper.randint(0, 2) + interval // 2
        saves.append({"at": at})
        noticed = at + interval // 2
        child_start = noticed + spawn_ms
    return saves


def _with_host(chunk: Any, host: str) -> Any:
    """The first chunk with its ``Host: localhost`` line (if any) naming `host` instead."""
    if isinstance(chunk, dict):
        return {**chunk, "data": _with_host(chunk["data"], host)}
    return chunk.replace("\r\nHost: localhost\r\n", f"\r\nHost: {host}\r\n", 1)


#: what a scenario drawn for Werkzeug is on wsgiref besides (an ``x-`` field, which the
#: format lets a document carry): the stdlib's ``demo_app`` for the app, and ONE
#: ``handle_request`` instead of ``serve_forever``; ``for_variant`` applies it
WSGIREF_CHOICES = "x-wsgiref"


def wsgiref_choices(wider: random.Random) -> dict[str, Any]:
    choices: dict[str, Any] = {}
    if wider.random() < 0.5:
        choices["app"] = {"kind": "demo_app"}
    if wider.random() < 0.5:
        choices["start"] = "handle_request"
        # the first client connects within 50 ms: a timeout it meets, or none
        if wider.random() < 0.5:
            choices["timeout"] = wider.choice([1.0, 5.0])
    return choices


# --------------------------------------------------------------------------- timing robustness


def outcome(scenario: dict[str, Any]) -> Any:
    """What the comparison judges, from the engine: bytes, ends, log lines, calls per actor."""
    import sim

    from .compare import Side, normalize_response

    side = Side.from_trace(sim.run(scenario).to_json())
    clients = {cid: (normalize_response(data), end) for cid, (data, end) in side.clients.items()}
    calls = {actor: [q for _, q in steps] for actor, steps in side.calls.items()}
    return clients, side.log, calls


def perturbations(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario with one group of timers moved by +-JITTER_MS (see the module docstring)."""
    out = []
    for sign in (1, -1):
        moved = copy.deepcopy(scenario)
        changed = False
        for view in _views(moved["app"]):
            for key in ("sleep", "interval"):
                if view.get(key):
                    view[key] = max(10, view[key] + sign * JITTER_MS)
                    changed = True
        if changed:
            out.append(moved)
    for index, client in enumerate(scenario["clients"]):
        for sign in (1, -1):
            if client["at"] + sign * JITTER_MS >= 0:
                moved = copy.deepcopy(scenario)
                moved["clients"][index]["at"] += sign * JITTER_MS
                out.append(moved)
            pauses = [k for k, c in enumerate(client["send"]) if isinstance(c, dict) and c["after"]]
            if pauses:
                moved = copy.deepcopy(scenario)
                for k in pauses:
                    moved["clients"][index]["send"][k]["after"] = max(0, client["send"][k]["after"] + sign * JITTER_MS)
                out.append(moved)
            if client.get("read_timeout"):
                moved = copy.deepcopy(scenario)
                moved["clients"][index]["read_timeout"] = max(1, client["read_timeout"] + sign * JITTER_MS)
                out.append(moved)
    for index, change in enumerate(scenario.get("file_changes", [])):
        for sign in (1, -1):
            moved = copy.deepcopy(scenario)
            moved["file_changes"][index]["at"] = max(0, change["at"] + sign * JITTER_MS)
            out.append(moved)
    return out


def timing_robust(scenario: dict[str, Any]) -> bool:
    expected = outcome(scenario)
    return all(outcome(moved) == expected for moved in perturbations(scenario))


def _views(app: dict[str, Any]) -> list[dict[str, Any]]:
    routes = list(app.get("routes", []))
    for bp in app.get("blueprints", []):
        routes += bp.get("routes", [])
    return [route["view"] for route in routes]


def robust_on(scenario: dict[str, Any]) -> tuple[str, ...]:
    """The variants a drawn scenario must be timing-robust on: the two it is judged on
    first, and a forking one and a reloader one where its DEEPER_CHOICES change them (a
    child per connection up to ``processes``, a save that restarts the child)."""
    choices = scenario.get(DEEPER_CHOICES, {})
    return (RANDOM_VARIANTS + (("wz-fork",) if "processes" in choices else ())
            + (("legacy-reload",) if "file_changes" in choices else ()))


def scenario_for_seed(seed: int) -> dict[str, Any]:
    """The random scenario of `seed`: valid, and timing-robust on both variants."""
    return copy.deepcopy(_scenario_for_seed(seed))


@functools.lru_cache(maxsize=256)
def _scenario_for_seed(seed: int) -> dict[str, Any]:
    import sim

    rng = random.Random(seed)
    # The later dimensions have a stream of their own: seeds below EXTENDED_FROM draw exactly
    # the scenarios they always drew.
    more = random.Random(f"more-{seed}") if seed >= EXTENDED_FROM else None
    wider = random.Random(f"wider-{seed}") if seed >= WIDER_FROM else None
    deeper = random.Random(f"deeper-{seed}") if seed >= DEEPER_FROM else None
    for draw in range(MAX_DRAWS):
        scenario = draw_scenario(rng, more, wider, deeper)
        scenario["title"] = f"random seed {seed}" + (f" (draw {draw + 1})" if draw else "")
        sim.validate(scenario)
        if all(timing_robust(for_variant(scenario, v)) for v in robust_on(scenario)):
            return scenario
    raise RuntimeError(f"seed {seed}: no timing-robust scenario in {MAX_DRAWS} draws")


# --------------------------------------------------------------------------- long runs


def mismatch_class(difference: str) -> str:
    """A short key that groups differences of one kind (what differs, not where)."""
    text = re.sub(r"client c\d+", "client", difference)
    if "received bytes differ" in text:
        sim_part, _, real_part = text.partition(" vs real ")
        return "bytes: " + _bytes_context(sim_part) + " | real " + _bytes_context(real_part)
    if ": end is " in text:
        return "end: " + text.split(": end is ", 1)[1]
    if "is not in the real calls" in text:
        return "calls: extra " + text.split(" (trace i=", 1)[1].split(") ", 1)[1].split(" is not", 1)[0]
    if "key calls the simulation does not cover" in text:
        return "calls: missing " + re.sub(r" \(real \d+x, simulated \d+x\)", "", text.split("cover: ", 1)[1])[:160]
    if text.startswith(UNSTABLE):
        return "unstable (the real stack differed between two runs)"
    if text.startswith("log"):
        return "log: " + re.sub(r"\d+", "N", text)[:120]
    return re.sub(r"\d+", "N", text)[:160]


def _bytes_context(part: str) -> str:
    """The header name (or status line / body) at a first difference."""
    snippet = part.split("…", 1)[1] if "…" in part else part
    line = snippet.replace("\\r\\n", "\n").split("\n")
    return re.sub(r"\d+", "N", max(line, key=len)[:50])


UNSTABLE = "unstable: two real runs differ: "


def for_variant(document: dict[str, Any], variant: str) -> dict[str, Any]:
    """A drawn scenario on one variant. The draw picks Werkzeug's starts; on a stack that
    lacks the drawn one (wsgiref has no ``app.run`` or ``run_simple``), or under the
    reloader, which ``make_server`` does not take, the stack's default start is used. On
    wsgiref, the draw's WSGIREF_CHOICES (``demo_app``, ``handle_request``) apply."""
    from sim.scenario import RELOADER_STARTS

    scenario = scenario_for(document, variant)
    choices = scenario.pop(WSGIREF_CHOICES, {})
    if variant == "wsgiref":
        scenario["app"] = choices.get("app", scenario["app"])
        scenario["server"] |= {key: choices[key] for key in ("start", "timeout") if key in choices}
    deeper = scenario.pop(DEEPER_CHOICES, {})
    server = scenario["server"]
    if server.get("processes", 1) > 1 and "processes" in deeper:
        server["processes"] = deeper["processes"]
    if server.get("use_reloader"):
        server |= {key: deeper[key] for key in ("reloader_interval", "reloader_spawn") if key in deeper}
        if "file_changes" in deeper:
            scenario["file_changes"] = copy.deepcopy(deeper["file_changes"])
    if server.get("start") not in (None, *STACKS[server["kind"]].starts):
        del server["start"]
    if server.get("use_reloader") and server.get("start") not in (None, *RELOADER_STARTS):
        del server["start"]
    if deeper.get("threaded_default") and "threaded" in server:
        spec = STACKS[server["kind"]]
        if server["threaded"] == spec.runs_threads(server.get("start"), None):
            del server["threaded"]
    return scenario


#: further real runs of a seed whose first run differs from the engine (as the suite does)
RETRIES = 2


def run_one(seed: int, variant: str) -> tuple[int, str, list[str]]:
    """Compare one seed on one variant. A mismatch is recorded up to RETRIES times more, as
    the suite does: the engine matches if it gives what one real run gave (a client that
    closes right after its request races the server's writes, and both outcomes are real).
    If none does, the mismatch is reported as UNSTABLE when the real runs differ among
    themselves (the machine, not the engine, decided), else with the first run's
    differences."""
    from .compare import compare
    from .real_stack import record
    from .record_all import instability, stable_part

    try:
        scenario = for_variant(scenario_for_seed(seed), variant)
        first = record(scenario)
        diffs = compare(scenario, first)
        runs = [first]
        while diffs and len(runs) <= RETRIES:
            runs.append(record(scenario))
            if not compare(scenario, runs[-1]):
                return seed, variant, []
        if diffs:
            unstable = next((found for run in runs[1:]
                             if (found := instability(stable_part(first), stable_part(run)))), "")
            if unstable:
                return seed, variant, [UNSTABLE + unstable[:300]]
        return seed, variant, diffs
    except Exception as err:  # a crash is a finding too
        return seed, variant, [f"harness error: {type(err).__name__}: {err}"[:300]]


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fidelity.randomized", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-99", help="e.g. 0-999 or 3,17,40-49")
    parser.add_argument("--jobs", type=int, default=3, help="real recordings at a time")
    parser.add_argument("--variants", default=",".join(RANDOM_VARIANTS))
    parser.add_argument("--out", type=Path, help="write each mismatch (scenario + differences) here")
    parser.add_argument("--print-scenario", type=int, metavar="SEED", help="print the scenario of SEED and exit")
    args = parser.parse_args(argv)
    if args.print_scenario is not None:
        print(json.dumps(scenario_for_seed(args.print_scenario), indent=1, ensure_ascii=False))
        return 0
    jobs = [(seed, v) for seed in parse_seeds(args.seeds) for v in args.variants.split(",")]
    classes: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    matched = 0
    started = time.monotonic()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        for done, (seed, variant, diffs) in enumerate(pool.map(lambda job: run_one(*job), jobs), 1):
            if not diffs:
                matched += 1
            else:
                keys = {mismatch_class(d) for d in diffs}
                for key in keys:
                    classes[key] += 1
                    examples.setdefault(key, []).append(f"{seed}.{variant}")
                if args.out:
                    (args.out / f"{seed}.{variant}.json").write_text(json.dumps({"differences": diffs}, indent=1))
                print(f"MISMATCH {seed}.{variant}: " + " / ".join(d[:300] for d in diffs), flush=True)
            if done % 20 == 0:
                print(f"... {done}/{len(jobs)} run, {matched} matched ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"\n{matched}/{len(jobs)} matched ({len(jobs) - matched} mismatched) in {time.monotonic() - started:.0f} s")
    for key, count in classes.most_common():
        print(f"{count:5d}  {key}   e.g. {', '.join(examples[key][:4])}")
    return 0 if matched == len(jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
