"""Find the line of a dotted field path (``clients.1.send.0.after``) in JSON text.

The engine names a bad field by path; the editor points at the line where that field's
key (or array item) is written, so "errors point at the field" holds for the user's own
formatting, not a re-serialised copy.
"""

from __future__ import annotations

import json
from json.decoder import scanstring

_WS = " \t\r\n"
_decoder = json.JSONDecoder()


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def line_of(text: str, path: str) -> int | None:
    """1-based line of ``path`` in ``text`` (the deepest part found), or None."""
    parts = [p for p in path.split(".") if p] if path else []
    try:
        pos = _find(text, _skip(text, 0), parts)
    except (ValueError, IndexError, RecursionError):
        return None
    return text.count("\n", 0, pos) + 1 if pos is not None else None


def _find(text: str, pos: int, parts: list[str]) -> int | None:
    if not parts:
        return pos
    want, rest = parts[0], parts[1:]
    start = pos  # a missing child points at its parent
    ch = text[pos]
    if ch == "{":
        pos = _skip(text, pos + 1)
        while text[pos] != "}":
            key_at = pos
            key, pos = scanstring(text, pos + 1)
            pos = _skip(text, pos)
            pos = _skip(text, pos + 1)  # the colon
            if key == want:
                return _find(text, pos, rest) if rest else key_at
            _, pos = _decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
        return start
    if ch == "[":
        if not want.isdigit():
            return start
        pos = _skip(text, pos + 1)
        n = 0
        while text[pos] != "]":
            if n == int(want):
                return _find(text, pos, rest)
            _, pos = _decoder.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
            n += 1
        return start
    return start
