"""``sim.stack.http_server``: header parsing equals ``http.client.parse_headers`` (the email
parser's quirks included) and the request-line version check equals the real
``BaseHTTPRequestHandler.parse_request``."""

from __future__ import annotations

import http.client
import http.server
import io
import random
import re

import pytest

from sim.stack.http_server import _parse_version, parse_header_block

HANDWRITTEN = [
    b"Host: x\r\n\r\n",
    b"Host: x\r\nAccept: */*\r\nUser-Agent: curl/8\r\n\r\n",
    b"Host:x\r\nHost: y\r\nHOST:  z  \r\n\r\n",  # duplicates, no space, inner spaces
    b"X-Folded: one\r\n two\r\n\tthree\r\nNext: n\r\n\r\n",  # continuation lines
    b" leading: continuation on the first line\r\nHost: x\r\n\r\n",
    b"no colon here\r\nHost: x\r\n\r\n",
    b"Host: x\r\nno colon after a header\r\nAfter: a\r\n\r\n",
    b"Bare: c\rr\r\nHost: x\r\n\r\n",  # a bare CR inside a value
    b"Host: x\rY: y\r\n\r\n",
    b": empty name\r\nHost: x\r\n\r\n",
    b"Name : space before colon\r\n\r\n",
    b"Tab\t: tab in name\r\n\r\n",
    b"Latin: caf\xe9 \xff\xa0\r\nX-\xe9: v\r\n\r\n",
    b"Empty:\r\nEmpty2: \r\nSpaces:    \t  \r\n\r\n",
    b"Unix: newlines\nOnly: lf\n\n",
    b"Mixed: a\r\nEnds: lf\n\r\n",
    b"From nobody Mon Jan  1 00:00:00 2024\r\nHost: x\r\n\r\n",  # a mbox "From " line
    b"Colons: a:b:c\r\nUrl: http://x:80/\r\n\r\n",
    b"Trailing: spaces   \r\nTrailingTab: t\t\r\n\r\n",
    b"",  # EOF straight away
    b"\r\n",
    b"Host: x\r\n",  # EOF without the blank line
    b"X: =?utf-8?q?encoded?=\r\n\r\n",
]

FRAGMENTS = [b"Host: x", b"A: 1", b"a: 2", b"X-Long: " + b"v" * 80, b" cont", b"\tcont", b"junk",
             b": v", b"Sp ace: v", b"K:v", b"L:", b"M: caf\xe9", b"N: a\rb", b"From x", b"O: a: b",
             b"P: \xff", b"Q:  ", b"R-\x7f: v", b"S: \x00nul"]


def generated_blocks(count: int) -> list[bytes]:
    rng = random.Random(3)
    blocks = []
    for _ in range(count):
        lines = rng.choices(FRAGMENTS, k=rng.randint(1, 6))
        ends = rng.choices([b"\r\n", b"\n"], weights=[5, 1], k=len(lines) + 1)
        blocks.append(b"".join(frag + end for frag, end in zip(lines, ends, strict=False)) + ends[-1])
    return blocks


def header_lines(block: bytes) -> tuple[bytes, ...]:
    """What ``http.client._read_headers`` collects: lines up to and including the blank one."""
    stream = io.BytesIO(block)
    lines = []
    while True:
        line = stream.readline(65537)
        lines.append(line)
        if line in (b"\r\n", b"\n", b""):
            return tuple(lines)


@pytest.mark.parametrize("block", HANDWRITTEN + generated_blocks(300))
def test_parse_header_block_equals_http_client(block):
    real = http.client.parse_headers(io.BytesIO(block))
    model = parse_header_block(header_lines(block))
    assert model.items() == real.items()
    for name in ("host", "HOST", "X-Folded", "Latin", "missing"):
        assert model.get(name, "-") == real.get(name, "-")


# -- the request line's version ----------------------------------------------------------


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """The real ``parse_request`` on a fake connection: no socket, no logging."""

    protocol_version = "HTTP/1.1"  # Werkzeug's WSGIRequestHandler

    def __init__(self, requestline: bytes) -> None:  # not BaseRequestHandler's: no socket
        self.rfile = io.BytesIO(b"Host: x\r\n\r\n")
        self.wfile = io.BytesIO()
        self.raw_requestline = requestline
        self.client_address = ("127.0.0.1", 40000)
        self.request_version = self.default_request_version

    def log_message(self, format, *args):
        pass


def real_verdict(version: str) -> int:
    """200 when ``parse_request`` accepts ``GET / <version>``, else the error it sends."""
    handler = QuietHandler(f"GET / {version}\r\n".encode("latin-1"))
    if handler.parse_request():
        return 200
    # Before the version is known the response is HTTP/0.9's: no status line, only the page.
    return int(re.search(rb"Error code: (\d+)", handler.wfile.getvalue())[1])


def model_verdict(version: str) -> int:
    number = _parse_version(version)
    if number is None:
        return 400
    return 505 if number >= (2, 0) else 200


VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/3.0", "HTTP/1.10", "HTTP/01.01",
            "HTTP/1", "HTTP/1.1.1", "HTTP/a.b", "HTTP/1.", "HTTP/.1", "HTTP/", "http/1.1", "HTTPS/1.1",
            "HTTP/1.1x", "HTTP/+1.1", "HTTP/-1.1", "HTTP/1 .1", "HTTP/12345678901.1", "HTTP/1.12345678901",
            "HTTP/1234567890.1", "HTTP/\u00b9.1", "HTTP/1.\u00b2", "HTTP/1.1\u00bd",
            "HTTP/1/1", "HTTP//1.1"]


@pytest.mark.parametrize("version", VERSIONS)
def test_parse_version_equals_parse_request(version):
    """Superscript digits (``\\xb2`` is Latin-1) pass ``str.isdigit`` but not ``int()``: the
    real code turns that ValueError into a 400."""
    assert model_verdict(version) == real_verdict(version)

