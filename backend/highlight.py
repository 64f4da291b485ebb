"""Python source as HTML, one fragment per line, coloured server-side with Pygments.

The source pane marks one line (the lit one) and numbers every line, so the highlighted
text must split cleanly at line ends: Pygments' own HTML formatter lets a token (a
docstring, a multi-line string) span lines. Here each token is cut at its newlines and
every piece gets the token's short CSS class with a ``t-`` prefix (``t-k`` keyword,
``t-s2`` string, ``t-c1`` comment: Pygments' standard names, prefixed so they never meet the
page's own classes; styled in ``frontend/static/app.css``).
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape
from pygments import lex
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES, Token

_LEXER = PythonLexer(stripnl=False, ensurenl=False)
#: Names, punctuation and operators stay plain: every element costs the browser a little on
#: each swap of the pane, and these carry no colour worth it.
_PLAIN = frozenset({"", "n", "p", "o", "w"})


def _css_class(kind) -> str:
    while kind not in STANDARD_TYPES:
        kind = kind.parent
    return STANDARD_TYPES[kind]


def highlight_lines(lines: Sequence[str]) -> list[Markup]:
    """``lines`` (without line ends) as HTML, the same number of lines out as in."""
    out: list[list[str]] = [[]]
    for kind, value in lex("\n".join(lines), _LEXER):
        css = "" if kind in Token.Text else _css_class(kind)
        for n, piece in enumerate(value.split("\n")):
            if n:
                out.append([])
            if piece:
                text = str(escape(piece))
                out[-1].append(text if css in _PLAIN else f'<span class="t-{css}">{text}</span>')
    rendered = [Markup("".join(parts)) for parts in out]
    # A source that ends in a newline makes no extra line.
    return rendered[: len(lines)] + [Markup("")] * (len(lines) - len(rendered))
