"""The header half of ``email.feedparser.FeedParser`` (CPython 3.11.7), as
``http.client.parse_headers`` uses it: ``Parser(_class=HTTPMessage).parsestr(text)`` with the
``compat32`` policy, then ``message.items()``.

Why a copy: the engine's answers must not depend on the interpreter that runs it (any
3.11.x may, the engine models 3.11.7), and the email package is patched within a minor
release. Only what decides the header items is here: how the text is cut into lines,
where the header block ends, continuation lines, a ``From `` envelope line, a line that
starts with a colon, and ``Compat32.header_source_parse``. Defects and the body are not
(nothing the server reads comes from them). ``tests/sim/test_cpython.py`` checks this
against the running interpreter's parser (when it is 3.11.7) on every header block of the
gallery and the fidelity cases and on seeded random ones.
"""

from __future__ import annotations

import io
import re

#: ``email.feedparser.NLCRE`` and ``headerRE``
NLCRE = re.compile(r"\r\n|\r|\n")
headerRE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")


def split_lines(text: str) -> list[str]:
    """``BufferedSubFile``'s lines: ``StringIO(newline='').readlines()`` keeps each line's
    ending and ends a line at CR, LF or CRLF (fed in 8192-character pieces, a line whose CR
    ends one piece waits for the next: the result is the same as cutting the whole text)."""
    return io.StringIO(text, newline="").readlines()


def header_lines(lines: list[str]) -> list[str]:
    """``FeedParser._parsegen``: header lines up to the first line that is neither a
    header, a continuation nor ``From ``: the blank line, or the first line of the body."""
    headers = []
    for line in lines:
        if not headerRE.match(line):
            break
        headers.append(line)
    return headers


def header_source_parse(sourcelines: list[str]) -> tuple[str, str]:
    """``email._policybase.Compat32.header_source_parse``."""
    name, value = sourcelines[0].split(":", 1)
    value = value.lstrip(" \t") + "".join(sourcelines[1:])
    return name, value.rstrip("\r\n")


def parse_headers(lines: list[str]) -> list[tuple[str, str]]:
    """``FeedParser._parse_headers``: the (name, value) pairs ``set_raw`` stores, in order."""
    items: list[tuple[str, str]] = []
    lastheader = ""
    lastvalue: list[str] = []
    for lineno, line in enumerate(lines):
        if line[0] in " \t":
            if not lastheader:
                continue  # FirstHeaderLineIsContinuationDefect: the line is ignored
            lastvalue.append(line)
            continue
        if lastheader:
            items.append(header_source_parse(lastvalue))
            lastheader, lastvalue = "", []
        if line.startswith("From "):
            if lineno == 0:
                continue  # the unix-from envelope line, not a header
            if lineno == len(lines) - 1:
                return items  # pushed back as the first line of the body
            continue  # MisplacedEnvelopeHeaderDefect: ignored
        i = line.find(":")
        if i == 0:
            continue  # InvalidHeaderDefect("Missing header name.")
        lastheader = line[:i]
        lastvalue = [line]
    if lastheader:
        items.append(header_source_parse(lastvalue))
    return items


def message_items(text: str) -> list[tuple[str, str]]:
    """``email.parser.Parser(policy=compat32).parsestr(text).items()``. Text decoded from
    latin-1 has no surrogates, so ``Compat32.header_fetch_parse`` returns values as stored."""
    return parse_headers(header_lines(split_lines(text)))
