"""What the player shows for step N: a plain dict the templates and the JSON API share.

Everything here is derived from the engine's public API (``trace.steps[i]``,
``trace.state_at(i)``) plus the scenario itself; nothing reaches into ``sim``'s insides.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

import sim

from .highlight import highlight_lines
from .i18n import N_
from .lanes import LANES
from .source import LEGACY_KINDS, SourceNotFound, source_for
from .traces import KEY_PHASES, PHASE_LANE, Playback

#: With more clients than this, the lanes show only connections in flight (and the step's
#: own); the others are listed compactly as "not connected yet" and "done".
COMPACT_OVER = 6

#: The longest byte string the inspector prints before cutting (a 70 KB request line!).
SHOW_LIMIT = 600


#: Levels of detail: "" shows the key steps (startup and boilerplate folded away, like a
#: debugger's step over), "all" every call (step into).
DETAILS = ("", "all")


@dataclass(frozen=True, slots=True)
class Filters:
    client: str = ""
    phase: str = ""
    detail: str = ""

    def query(self, **extra: Any) -> str:
        q = {k: v for k, v in (("client", self.client), ("phase", self.phase),
                               ("detail", self.detail)) if v}
        q.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(q)


def page_url(slug: str, n: int, filters: Filters = Filters()) -> str:
    return f"/s/{slug}?{filters.query(step=n)}"


def fragment_url(slug: str, n: int, filters: Filters = Filters()) -> str:
    q = filters.query()
    return f"/s/{slug}/step/{n}" + (f"?{q}" if q else "")


def show_bytes(text: Any, limit: int = SHOW_LIMIT, size: int | None = None) -> dict[str, Any]:
    """Raw bytes (latin-1 text) made visible: CR/LF and control bytes as escapes. ``size``:
    how many bytes ``text`` stands for, when the engine has shortened it."""
    if not isinstance(text, str):
        return {"text": "", "more": 0, "size": 0, "empty": True}
    size = len(text) if size is None else size
    cut = text[:limit]
    out = []
    for ch in cut:
        if ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return {"text": "".join(out), "more": size - len(cut), "size": size, "empty": size == 0}



def part_key(html: str) -> str:
    """A short digest of one part of the step panel's HTML: two steps whose part has the
    same key show the same thing there, so the player's script keeps the one on screen."""
    return hashlib.blake2b(str(html).encode(), digest_size=8).hexdigest()

def source_pane(pb: Playback, qualname: str | None, line: str | None,
                decl: str | None = None, event: str | None = None) -> dict[str, Any]:
    """What the source pane shows: the real lines of a library function, the declared app
    as the Python a person would write (for a step that runs a declaration), or why there
    is nothing."""
    if not qualname:
        return {"kind": "none"}
    if decl is not None:
        app = pb.app_source
        lit = app.line_for(decl, event or "") if app else None
        if lit is None:
            return {"kind": "missing", "qualname": qualname,
                    "reason": "not declared in this scenario"}
        return {"kind": "app", "qualname": qualname, "decl": decl, "lit": lit,
                "end": len(app.lines), "html": numbered_html(pb.app_html, 1, lit - 1)}
    kind = pb.trace.stack.kind
    try:
        src = source_for(qualname, kind)
    except SourceNotFound as e:
        return {"kind": "missing", "qualname": qualname, "reason": e.reason}
    lit = src.line_for(line)
    # Werkzeug 0.16 / Flask 1.1 files are not the installed ones: the file view is told so.
    query = f"?kind={kind}" if kind in LEGACY_KINDS else ""
    return {
        "kind": "real", "qualname": qualname, "module": src.module, "path": src.display_path,
        "start": src.start, "lit": src.start + lit, "def_line": src.start + src.def_index,
        "end": src.start + len(src.lines) - 1, "html": code_html(qualname, lit, kind),
        "href": f"/source/{src.module}{query}#L{src.start + lit}",
    }


def numbered_html(lines: list[Markup], first: int, lit: int) -> Markup:
    """Highlighted lines, numbered from ``first``, line ``lit`` (index) marked. Few
    elements, as every one costs the browser a little each time the pane is built: the
    numbers are one column of text beside the lines (``gutter``), and only the lit line
    has a wrapper, holding its own number (drawn over the gutter's gap, app.css)."""
    gutter, out = [], []
    for n, html in enumerate(lines):
        if n == lit:
            gutter.append("")
            out.append(f'<span class="line lit" aria-current="true"><span class="no" '
                       f'aria-hidden="true">{first + n}</span>{html}\n</span>')
        else:
            gutter.append(str(first + n))
            out.append(f"{html}\n")
    return Markup(f'<span class="numbered"><span class="gutter" aria-hidden="true">'
                  f'{chr(10).join(gutter)}</span><span class="lines">{"".join(out)}</span></span>')


@lru_cache(maxsize=2048)
def code_html(qualname: str, lit: int, kind: str | None = None) -> Markup:
    """The real source lines as HTML, line ``lit`` (index) marked; cached, as stepping
    revisits the same few hundred (function, line) pairs over and over."""
    src = source_for(qualname, kind)
    return numbered_html(highlight_lines(src.lines), src.start, lit)


def step_view(pb: Playback, i: int, lang: str, slug: str, filters: Filters = Filters()
              ) -> dict[str, Any]:
    trace = pb.trace
    step = trace.steps[i]
    state = trace.state_at(i)
    changed = set(step.state or {})
    changed_sections = {k.split("/", 1)[0] for k in changed}
    lane = pb.lanes[i]

    rows = []
    waiting: list[str] = []  # not connected yet
    finished: list[str] = []  # its last step is behind us
    compact = len(pb.clients) > COMPACT_OVER
    for c in pb.clients:
        tok = pb.token(i, c)
        if compact and c != step.client and (tok is None or tok["style"] == "done"):
            (waiting if tok is None else finished).append(c)
            continue
        req = tok["request"] if tok else None
        done = tok is not None and tok["style"] == "done"
        skipped = pb.never_reached(req, i, done) if req else []
        marks = []
        for ph in KEY_PHASES:
            at = req.marks.get(ph) if req else None
            if at is None or at > i:
                status = "skipped" if done or PHASE_LANE[ph] in skipped else "pending"
            else:
                status = "now" if step.client == c and step.phase == ph else "done"
            marks.append({"phase": ph, "at": at if at is not None and at <= i else None,
                          "status": status})
        rows.append({"client": c, "lane": tok["lane"] if tok else None,
                     "since": tok["since"] if tok else None,
                     "request": req.id if req else c,
                     "style": tok["style"] if tok else None,
                     "activity": tok["activity"] if tok else None,
                     "status": tok["status"] if tok else None,
                     "skipped": skipped,
                     "current": step.client == c, "marks": marks,
                     "started": tok is not None})

    nav_of = pb.nav(filters.client, filters.phase, filters.detail)

    def nav(n: int) -> dict[str, Any]:
        n = pb.clamp(n)
        return {"n": n, "page": page_url(slug, n, filters),
                "frag": fragment_url(slug, n, filters), "disabled": n == i}

    client = step.client
    focus = [client] if client else []
    sockets = state.get("sockets") or {}
    others = [c for c in sockets if c not in focus]
    shown_clients = focus + (others if not client else [])
    inspector = {
        "backlog": list(state.get("backlog") or []),
        "sockets": [_socket(c, sockets[c], changed) for c in shown_clients[:6] if c in sockets],
        "more_sockets": max(0, len(shown_clients) - 6),
        "environ": _keyed(state.get("environ"), client, changed, "environ"),
        "ctx": [{"actor": a, "app": (v or {}).get("app") or [],
                 "request": (v or {}).get("request") or [],
                 "changed": f"ctx/{a}" in changed or "ctx" in changed}
                for a, v in (state.get("ctx") or {}).items()],
        "response": _keyed(state.get("response"), client, changed, "response"),
        "handler": _keyed(state.get("handler"), client, changed, "handler"),
        "changed": sorted(changed_sections),
    }
    for item in inspector["response"]:
        body = (item["value"] or {}).get("body") if isinstance(item["value"], dict) else None
        item["body"] = show_bytes(body if isinstance(body, str) else None)

    return {
        "slug": slug, "i": i, "total": pb.total, "last": pb.total - 1, "lang": lang,
        "step": step, "lane": lane, "actor": _actor_name(pb, step.actor, lang),
        "caption": (step.caption_zh if lang == "zh" and step.caption_zh else step.caption),
        "caption_lang": "zh" if lang == "zh" and step.caption_zh else "en",
        "lanes": [{"id": lid, "label": label, "short": short, "active": lid == lane}
                  for lid, label, short in LANES],
        "rows": rows, "waiting": waiting, "finished": finished,
        "source": _source_for(pb, i),
        "inspector": inspector,
        "filters": filters,
        "page": page_url(slug, i, filters),
        "nav": {
            "first": nav(nav_of.visible[0] if nav_of.visible else 0),
            "prev_request": nav(pb.prev_request(i, nav_of)),
            "prev_phase": nav(pb.prev_phase(i, nav_of)), "back": nav(pb.prev_step(i, nav_of)),
            "step": nav(pb.next_step(i, nav_of)),
            "next_phase": nav(pb.next_phase(i, nav_of)),
            "next_request": nav(pb.next_request(i, nav_of)),
            "last": nav(nav_of.visible[-1] if nav_of.visible else pb.total - 1),
        },
        "detail": {"key": page_url(slug, i, replace(filters, detail="")),
                   "all": page_url(slug, i, replace(filters, detail="all")),
                   "key_frag": fragment_url(slug, i, replace(filters, detail="")),
                   "all_frag": fragment_url(slug, i, replace(filters, detail="all")),
                   "shown": len(nav_of.visible), "is_key": filters.detail != "all"},
        "moments": [{"kind": m.kind.value,
                     "text": sim.moment_caption(m)[1 if lang == "zh" else 0]}
                    for m in pb.moments_of(i)],
        "t": step.t,
    }


#: Socket fields holding raw bytes (latin-1 text), with what they mean, in display order.
_BUFFERS = (("recv_buffer", N_("kernel receive buffer")),
            ("rfile_buffer", N_("handler's rfile buffer")),
            ("consumed", N_("last returned by readline()/read()")),
            ("sent", N_("sent to the client")))
#: What the inspector calls each state of a connection (``sim.kernel.SocketState`` values).
SOCKET_STATES = (N_("connecting"), N_("queued"), N_("established"), N_("client sent FIN"),
                 N_("server sent FIN"), N_("closed"), N_("reset"))


def _socket(client: str, sock: Any, changed: set[str]) -> dict[str, Any]:
    """One connection's buffers: byte strings shown as bytes, anything else (counts) as is."""
    sock = sock if isinstance(sock, dict) else {}
    sizes = sock.get("sizes") if isinstance(sock.get("sizes"), dict) else {}
    buffers, other = [], []
    for key, label in _BUFFERS:
        if isinstance(sock.get(key), str):
            buffers.append((key, label, show_bytes(sock[key], size=sizes.get(key))))
    shown = {key for key, _, _ in buffers} | {"state", "sizes"}
    for key, value in sock.items():
        if key not in shown:
            other.append((key, "—" if value is None else value))
    return {"client": client, "state": sock.get("state"), "buffers": buffers, "other": other,
            "changed": f"sockets/{client}" in changed or "sockets" in changed}


def _actor_name(pb: Playback, actor: str, lang: str) -> str:
    """A server actor as its timeline track names it (``Thread-2 (process_request_thread)``,
    ``child 1: Thread-1 (inner)``), so the step and its track read alike; a client or the
    kernel by its id."""
    if actor == "kernel" or actor in pb.trace.clients:
        return actor
    reloading = bool((pb.scenario.get("server") or {}).get("use_reloader"))
    return sim.thread_names(actor, reloading)[lang == "zh"]


def _source_for(pb: Playback, i: int) -> dict[str, Any]:
    """The source pane for step ``i``; a server step with no function of its own (the
    outcome of a call: "readline returns 16 bytes") shows the call it continues."""
    step = pb.trace.steps[i]
    ctx = pb.context_of.get(i)
    if step.qualname or ctx is None:
        return source_pane(pb, step.qualname, step.line, step.decl, step.event)
    prev = pb.trace.steps[ctx]
    if step.decl:  # inside a declared function (a view's sleep): its own line
        return source_pane(pb, prev.qualname, None, step.decl, step.event)
    pane = source_pane(pb, prev.qualname, prev.line, prev.decl, prev.event)
    pane["continues"] = ctx
    return pane


def _keyed(section: Any, client: str | None, changed: set[str], name: str
           ) -> list[dict[str, Any]]:
    """Entries of a per-client section, the step's own client first (max 6)."""
    if not isinstance(section, dict):
        return []
    keys = list(section)
    if client in section:
        keys = [client]
    return [{"key": k, "value": section[k],
             "changed": f"{name}/{k}" in changed or name in changed} for k in keys[:6]]


def event_rows(pb: Playback, lang: str, filters: Filters, around: int, page_size: int = 200
               ) -> dict[str, Any]:
    """The event list: steps matching the filters, one page of them around ``around``."""
    steps = pb.trace.steps
    idx = pb.nav(filters.client, filters.phase, filters.detail).visible
    # The page holding the nearest matching step at or before ``around``.
    import bisect
    pos = max(bisect.bisect_right(idx, around) - 1, 0)
    page = pos // page_size
    start = page * page_size
    chosen = idx[start:start + page_size]
    rows = []
    for n in chosen:
        s = steps[n]
        rows.append({"i": n, "t": s.t, "actor": s.actor, "client": s.client or "",
                     "phase": s.phase, "lane": pb.lanes[n],
                     "caption": s.caption_zh if lang == "zh" and s.caption_zh else s.caption})
    return {"rows": rows, "matched": len(idx), "page": page,
            "pages": max(1, -(-len(idx) // page_size)),
            "prev_at": idx[start - 1] if start > 0 else None,
            "next_at": idx[start + page_size] if start + page_size < len(idx) else None}
