"""The server's console as a terminal shows it.

Werkzeug colours its log lines with ANSI SGR escapes (``\\x1b[1m\\x1b[31m...\\x1b[0m``); the
trace keeps the real bytes, and the player shows them the way a terminal does: as bold and
coloured text, not as escape characters.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

#: The SGR codes Werkzeug's ``_ansi_style`` uses, as CSS classes (``.sgr-31`` is red).
_SGR = re.compile(r"\x1b\[(\d+(?:;\d+)*)m")
_KNOWN = frozenset({"1", "31", "32", "33", "35", "36"})


def ansi_html(line: str) -> Markup:
    """``line`` as HTML: text escaped, each SGR run a ``<span>`` with its codes as classes;
    ``0`` (reset) closes them. Other control characters stay escaped text."""
    out: list[str] = []
    active: list[str] = []
    pos = 0
    for match in _SGR.finditer(line):
        out.append(str(escape(line[pos:match.start()])))
        pos = match.end()
        for code in match[1].split(";"):
            if code == "0":
                out.append("</span>" * len(active))
                active.clear()
            elif code in _KNOWN:
                out.append(f'<span class="sgr-{code}">')
                active.append(code)
    out.append(str(escape(line[pos:])))
    out.append("</span>" * len(active))
    return Markup("".join(out))
