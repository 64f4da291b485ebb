"""The timeline and the waterfall, drawn server-side from ``sim.timeline(trace)``.

One row per actor (each client, the listen backlog, the loop's ``MainThread``, each worker
thread), bars in SVG placed in percent of the run's virtual time, so zooming is only the
browser widening the rows (no re-render) and text never stretches. The current step is a
cursor: one thin rect over every row (not one per row: moving many rects made the browser
paint the whole timeline again on every step) that the player's script moves; without the
script each page draws it where it is.

Dense traces stay readable: a group with more than :data:`COLLAPSE_OVER` tracks is drawn as
one summary row (the busiest activity in each of :data:`BUCKETS` slices of time) until the
person asks for every track, and a single track with more than :data:`MAX_BARS` bars is
summarised the same way.

A run whose virtual clock stands still while its requests are served (``sim.Axis.STEPS``:
one GET, a 404) is drawn on a step axis instead: a bar spans the steps of its activity, at
least one, so every actor's work shows in order, and the axis and the heading say that
they count steps, not milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from markupsafe import Markup, escape

import sim

from .i18n import N_, tr

COLLAPSE_OVER = 12
#: Requests whose total time and reasons are said in one line under the timeline.
HEADLINE_REQUESTS = 4
MAX_BARS = 200
BUCKETS = 240
#: The narrowest bar drawn, in percent of the width: instantaneous work stays visible.
MIN_WIDTH = 0.25

#: What each activity is called on screen (translated from the catalogs), in legend order.
ACTIVITY_LABELS: dict[str, str] = {
    "queued": N_("waiting in the listen backlog"),
    "connecting": N_("connecting"),
    "connected": N_("connected, sending nothing"),
    "sending": N_("sending its request, more to come"),
    "waiting": N_("waiting for the answer"),
    "receiving": N_("receiving the answer"),
    "starting": N_("starting up"),
    "selecting": N_("idle in select()"),
    "accepting": N_("accepting"),
    "setup": N_("setting up the handler"),
    "reading": N_("blocked reading the socket"),
    "parsing": N_("parsing"),
    "wsgi": N_("WSGI call"),
    "framework": N_("in Flask"),
    "hook": N_("in a hook"),
    "view": N_("in the view"),
    "sleeping": N_("sleeping (time.sleep)"),
    "writing": N_("writing the response"),
    "draining": N_("draining an unread body"),
    "closing": N_("closing"),
    "waitpid": N_("blocked in waitpid()"),
    "watching": N_("watching files (stat reloader)"),
}

#: The listen backlog's row (sim names it "listen backlog").
BACKLOG_LABEL = N_("listen backlog")

#: How a body of unknown length arrives (``sim.BodyMarkKind``), as short words on the
#: client's track: a chunked stream and one ended by the close look alike in time, and
#: these are the difference.
BODY_MARK_LABELS: dict[str, str] = {
    "chunk": N_("chunk"),
    "last_chunk": N_("0 = end"),
    "unframed": N_("bytes"),
    "close_ends_body": N_("EOF = end"),
}

#: The same in the legend.
BODY_MARK_LEGEND: dict[str, str] = {
    "chunk": N_("a chunk: its size comes first"),
    "last_chunk": N_("the 0-size chunk: the body is complete"),
    "unframed": N_("body bytes with no length and no chunks"),
    "close_ends_body": N_("EOF: the close is the body's end"),
}

#: And in a mark's tooltip.
BODY_MARK_TITLES: dict[str, str] = {
    "chunk": N_("{client} reads a chunk ({data}): its size comes first, so the client knows "
                "where it ends."),
    "last_chunk": N_("{client} reads the last chunks ({data}) and the 0-size chunk: the body "
                     "is complete, without waiting for the connection to close."),
    "unframed": N_("{client} reads body bytes ({data}) with no length and no chunks: it "
                   "cannot tell whether more will come."),
    "close_ends_body": N_("The server closed the connection: only now does {client} know "
                          "that the body is complete."),
}

#: Height of the band above a client's bars where its body marks' words go.
MARK_BAND = 11

SEGMENT_LABELS: dict[str, str] = {
    "queued": N_("queued in backlog"),
    "reading": N_("request arriving"),
    "app": N_("in the app"),
    "sending": N_("sending"),
}


def label(table: dict[str, str], key: str, lang: str) -> str:
    text = table.get(key)
    return key if text is None else tr(text, lang)


@dataclass(frozen=True, slots=True)
class Scale:
    """Positions in percent of the width: of virtual ms from ``start``, or of steps."""

    start: int
    span: int
    axis: sim.Axis = sim.Axis.TIME

    def x(self, t: float) -> float:
        return round((t - self.start) * 100 / self.span, 3)

    def w(self, t0: float, t1: float) -> float:
        return round(max((t1 - t0) * 100 / self.span, MIN_WIDTH), 3)

    def at(self, t: int, i: int) -> float:
        """Where step ``i`` (at ``t`` ms) is: on a step axis, the middle of its slot."""
        return self.x(i + 0.5) if self.axis is sim.Axis.STEPS else self.x(t)

    def extents(self, spans: list[tuple[int, int, int, int]]) -> list[tuple[float, float]]:
        """(x, width) of each (start ms, end ms, first step, until step), in order. On a
        step axis each gets at least one step and begins where the one before it ended:
        a change of activity within one step (a worker closes the connection and the loop
        is back in ``select()``) still shows both, one after the other."""
        if self.axis is not sim.Axis.STEPS:
            # a bar that begins at the run's last instant ends at the edge, not past it
            return [(min(self.x(a), round(100 - w, 3)), w)
                    for a, b, _, _ in spans for w in (self.w(a, b),)]
        out, free = [], 0
        for _, _, first, until in spans:
            a = max(first, free)
            free = max(until, a + 1)
            out.append((self.x(a), self.w(a, free)))
        return out


class AxisWhy(StrEnum):
    """Why a run's timeline is drawn on the axis it is, as the note under its heading says."""

    #: the engine's choice for this run alone (``sim.axis_for``)
    OWN = "own"
    #: its requests take no virtual time, but the runs it is compared with are drawn in
    #: ms: so is it, or the same bytes would look as slow on one stack as on the other
    LIKE_COMPARED = "like_compared"
    #: compared with runs drawn in ms, but its clock never moves: there is no time to draw
    CLOCK_STILL = "clock_still"


@dataclass(frozen=True, slots=True)
class AxisChoice:
    axis: sim.Axis
    why: AxisWhy = AxisWhy.OWN


def axis_beside(tl: sim.Timeline, compared: Iterable[sim.Timeline]) -> AxisChoice:
    """The axis of a run shown with "Compare with" links to others (gallery 33-35).

    A newcomer reads compared runs' timelines against each other: wsgiref answering c2 at
    600 ms, before its last chunk at 700 ms, against Werkzeug taking 600-710 ms. Drawn in
    steps, wsgiref's c2 would span as wide a bar as Werkzeug's, and the difference that is
    the lesson would vanish. So a run whose clock moves is drawn in ms when a run it is
    compared with is; one whose clock stands still keeps its steps, and says why."""
    if tl.axis is not sim.Axis.STEPS or all(o.axis is sim.Axis.STEPS for o in compared):
        return AxisChoice(tl.axis)
    if tl.end > tl.start:
        return AxisChoice(sim.Axis.TIME, AxisWhy.LIKE_COMPARED)
    return AxisChoice(sim.Axis.STEPS, AxisWhy.CLOCK_STILL)


def _scale(tl: sim.Timeline, axis: sim.Axis | None = None) -> Scale:
    if (axis or tl.axis) is sim.Axis.STEPS:
        return Scale(0, max(tl.steps, 1), sim.Axis.STEPS)
    return Scale(tl.start, max(tl.end - tl.start, 1))


def _bar_title(actor_label: str, bar: sim.Bar, lang: str) -> str:
    what = label(ACTIVITY_LABELS, bar.activity.value, lang)
    who = f" · {bar.client}" if bar.client else ""
    return tr(N_("{actor}: {what}, {start}–{end} ms ({ms} ms), step {step}"), lang).format(
        actor=f"{actor_label}{who}", what=what, start=bar.start, end=bar.end,
        ms=bar.end - bar.start, step=bar.first)


def _bars_svg(track: sim.Track, sc: Scale, lang: str, row_h: int, href: str, top: int = 0) -> str:
    out = []
    rows: dict[int, list[sim.Bar]] = {}
    for bar in track.bars:
        rows.setdefault(bar.row, []).append(bar)
    for row, bars in rows.items():
        y = top + 2 + row * row_h
        places = sc.extents([(b.start, b.end, b.first, b.until) for b in bars])
        for bar, (x, w) in zip(bars, places, strict=True):
            title = escape(_bar_title(track.label, bar, lang))
            out.append(
                f'<a href="{href}{bar.first}" data-step="{bar.first}" tabindex="-1"><title>{title}</title>'
                f'<rect class="bar act-{bar.activity.value}" x="{x}%" y="{y}" '
                f'width="{w}%" height="{row_h - 3}"/></a>')
    return "".join(out)


def _bucketed_svg(bars: list[sim.Bar], sc: Scale, lang: str, href: str) -> str:
    """Many bars as one summary: in each slice of time, the activity that took the most
    time there (an instantaneous bar counts as a sliver), linked to its first step."""
    best: list[dict[str, list]] = [dict() for _ in range(BUCKETS)]
    steps = sc.axis is sim.Axis.STEPS
    for bar in bars:
        a, z = (bar.first, bar.until) if steps else (bar.start, bar.end)
        b0 = min(int((a - sc.start) * BUCKETS / sc.span), BUCKETS - 1)
        b1 = min(int((z - sc.start) * BUCKETS / sc.span), BUCKETS - 1)
        for b in range(b0, b1 + 1):
            cell = best[b].setdefault(bar.activity.value, [0.0, bar.first])
            cell[0] += max(z - a, sc.span / BUCKETS / 50)
    out = []
    width = 100 / BUCKETS
    for b, cells in enumerate(best):
        if not cells:
            continue
        act, (_, first) = max(cells.items(), key=lambda kv: kv[1][0])
        title = escape(tr(N_("{what} ({n} kinds of activity here)"), lang).format(
            what=label(ACTIVITY_LABELS, act, lang), n=len(cells)))
        out.append(f'<a href="{href}{first}" data-step="{first}" tabindex="-1"><title>{title}</title>'
                   f'<rect class="bar act-{act}" x="{round(b * width, 3)}%" y="2" '
                   f'width="{round(width, 3)}%" height="13"/></a>')
    return "".join(out)


def _body_marks_svg(marks: list[sim.BodyMark], sc: Scale, lang: str, href: str, height: int) -> str:
    """A notch across the client's bar at each read that carried body framing, and its
    word above it. Reads at one place (the last bytes, then EOF) share one word, the
    last one's: it is the one that ends the body."""
    groups: dict[float, list[sim.BodyMark]] = {}
    for m in marks:
        groups.setdefault(sc.at(m.t, m.i), []).append(m)
    out = []
    for n, (x, group) in enumerate(groups.items()):
        last = group[-1]
        # on a phone only the first and the last word fit (app.css hides the others)
        mid = " mid" if 0 < n < len(groups) - 1 else ""
        title = " ".join(tr(BODY_MARK_TITLES[m.kind.value], lang).format(
            client=m.client, data=repr(m.data.decode("latin-1"))[:24]) for m in group)
        word = label(BODY_MARK_LABELS, last.kind.value, lang)
        anchor = "start" if x < 4 else ("end" if x > 96 else "middle")
        out.append(f'<a href="{href}{last.i}" data-step="{last.i}" tabindex="-1"><title>{escape(title)}</title>'
                   f'<rect class="tl-mark mk-{last.kind.value}" x="{x}%" y="{MARK_BAND}" width="3" '
                   f'height="{height - MARK_BAND}"/>'
                   f'<text class="tl-mark-word mk-{last.kind.value}{mid}" x="{x}%" y="{MARK_BAND - 2}" '
                   f'text-anchor="{anchor}">{escape(word)}</text></a>')
    return "".join(out)


def _moment_marks(moments: list[sim.Moment], sc: Scale, height: int, lang: str, href: str) -> str:
    out = []
    for m in moments:
        text = escape(sim.moment_caption(m)[1 if lang == "zh" else 0])
        out.append(f'<a href="{href}{m.i}" data-step="{m.i}" tabindex="-1"><title>{text}</title>'
                   f'<rect class="tl-moment mo-{m.kind.value}" x="{min(sc.at(m.t, m.i), 99.5)}%" y="0" width="0.5%" '
                   f'height="{height}"/></a>')
    return "".join(out)


#: Where a waterfall row's cursor goes: the rows are drawn once per trace, language and
#: link, and each page only puts its step's position in.
CURSOR_X = "\x00cx\x00"


def _cursor(x: float | str, height: int) -> str:
    return f'<rect class="tl-cursor" x="{x}%" y="0" width="0.35%" height="{height}"/>'


def _svg(inner: str, height: int) -> Markup:
    return Markup(f'<svg class="tl-svg" width="100%" height="{height}" focusable="false">'
                  f'{inner}</svg>')


def _at(svg: Markup, x: float) -> Markup:
    return Markup(svg.replace(CURSOR_X, str(x)))


#: Drawings kept per trace: the timeline and the waterfall in two languages. The trace
#: cache weighs a trace with that many (``backend.traces.BYTES_PER_STEP``); a few more
#: filter combinations are drawn again rather than held beyond what was weighed.
DRAWINGS_KEPT = 4


def _cached(pb: Any, key: tuple, build: Any) -> dict[str, Any]:
    """The drawing of a trace's timeline or waterfall, built once per key (a playback
    never changes); at most :data:`DRAWINGS_KEPT` per trace (languages, filters)."""
    views = pb.__dict__.setdefault("_timeline_views", {})
    view = views.get(key)
    if view is None:
        if len(views) >= DRAWINGS_KEPT:
            # the oldest (a dict keeps insertion order); another thread may be at it too
            for old in list(views)[:len(views) - DRAWINGS_KEPT + 1]:
                views.pop(old, None)
        view = views[key] = build()
    return view


def _summary(track_bars: list[sim.Bar], lang: str) -> str:
    """What a row says to a screen reader: its longest activities."""
    longest = sorted(track_bars, key=lambda b: b.end - b.start, reverse=True)[:3]
    ms = tr(N_("ms"), lang)
    return "; ".join(f"{label(ACTIVITY_LABELS, b.activity.value, lang)} {b.start}–{b.end} {ms}"
                     for b in sorted(longest, key=lambda b: b.start) if b.end > b.start)


#: What each kind of track is.
TRACK_KINDS: dict[str, str] = {
    "client": N_("client"), "backlog": N_("kernel"), "loop": N_("server loop"),
    "thread": N_("worker thread"), "process": N_("child process"),
    "main": N_("main thread"),
}


def _kind_label(kind: sim.TrackKind, lang: str) -> str:
    return label(TRACK_KINDS, kind.value, lang)


def timeline_view(pb: Any, lang: str, i: int, all_tracks: bool = False, href: str = "?step=",
                  axis: AxisChoice | None = None) -> dict[str, Any]:
    """Rows of the timeline (grouped: clients, the kernel, the server), the axis, the
    key moments, with the cursor at step ``i``; on ``axis`` (:func:`axis_beside`) when
    the run is drawn beside others."""
    axis = axis or AxisChoice(pb.timeline.axis)
    view = _cached(pb, ("timeline", lang, all_tracks, href, axis),
                   lambda: _timeline_drawing(pb, lang, all_tracks, href, axis))
    return {**view, "cursor": _scale(pb.timeline, axis.axis).at(pb.trace.steps[i].t, i)}


def _timeline_drawing(pb: Any, lang: str, all_tracks: bool, href: str, axis: AxisChoice
                      ) -> dict[str, Any]:
    tl: sim.Timeline = pb.timeline
    href = str(escape(href))
    sc = _scale(tl, axis.axis)
    steps = pb.trace.steps
    body_marks: dict[str, list[sim.BodyMark]] = {}
    for bm in tl.body_marks:
        body_marks.setdefault(bm.client, []).append(bm)
    moments_by_track: dict[str, list[sim.Moment]] = {}
    for m in tl.moments:
        s = steps[m.i]
        where = s.client if s.actor in ("kernel", s.client) else s.actor
        moments_by_track.setdefault(where or s.actor, []).append(m)

    def row(track: sim.Track) -> dict[str, Any]:
        row_h = 16 if track.kind is not sim.TrackKind.BACKLOG else 11
        marks = body_marks.get(track.id, []) if track.kind is sim.TrackKind.CLIENT else []
        top = MARK_BAND if marks else 0
        height = max(18, track.rows * row_h + 3) + top
        if len(track.bars) > MAX_BARS:
            inner = _bucketed_svg(list(track.bars), sc, lang, href)
        else:
            inner = _bars_svg(track, sc, lang, row_h, href, top)
        if marks:
            inner += _body_marks_svg(marks, sc, lang, href, height)
        inner += _moment_marks(moments_by_track.get(track.id, []), sc, height, lang, href)
        summary = _summary(list(track.bars), lang)
        # a thread's name is its real name, in any language; the backlog and the process
        # a thread runs in are words
        name = (tr(BACKLOG_LABEL, lang) if track.kind is sim.TrackKind.BACKLOG else
                track.label_zh if lang == "zh" and track.label_zh else track.label)
        return {"id": track.id, "label": name, "kind": _kind_label(track.kind, lang),
                "aria": f"{name} ({_kind_label(track.kind, lang)})" + (f": {summary}" if summary else ""),
                "svg": _svg(inner, height)}

    def group(gid: str, title: str, tracks: list[sim.Track]) -> dict[str, Any]:
        collapsed = len(tracks) > COLLAPSE_OVER and not all_tracks
        if collapsed:
            bars = [b for t in tracks for b in t.bars]
            inner = _bucketed_svg(bars, sc, lang, href)
            rows = [{"id": f"{gid}-all", "label": f"{len(tracks)} {title.lower()}",
                     "kind": tr("summary", lang),
                     "aria": tr(N_("{n} {group}: summary of all their tracks"), lang).format(
                         n=len(tracks), group=title),
                     "svg": _svg(inner, 18)}]
        else:
            rows = [row(t) for t in tracks]
        return {"id": gid, "title": title, "rows": rows, "collapsed": collapsed, "count": len(tracks)}

    clients = [t for t in tl.tracks if t.kind is sim.TrackKind.CLIENT]
    kernel = [t for t in tl.tracks if t.kind is sim.TrackKind.BACKLOG]
    server = [t for t in tl.tracks if t.kind in (sim.TrackKind.LOOP, sim.TrackKind.THREAD,
                                                  sim.TrackKind.PROCESS)]
    loop = [t for t in server if t.kind is sim.TrackKind.LOOP]
    workers = [t for t in server if t.kind is not sim.TrackKind.LOOP]
    # with the reloader: the parent's and each child's main thread, which serve nothing
    mains = [t for t in tl.tracks if t.kind is sim.TrackKind.MAIN]
    groups = [group("clients", tr("Clients", lang), clients),
              group("kernel", tr("Kernel", lang), kernel)]
    if mains:
        groups.append(group("processes", tr(N_("Processes"), lang), mains))
    groups.append(group("loop", tr("Server loop", lang), loop))
    if workers:
        groups.append(group("workers", tr("Server threads", lang), workers))
    used = sorted({b.activity.value for t in tl.tracks for b in t.bars},
                  key=list(ACTIVITY_LABELS).index)
    return {
        "start": tl.start, "end": tl.end, "span": sc.span, "kind": sc.axis.value,
        "why": axis.why.value,
        "steps": tl.steps, "axis": _axis(sc, lang), "groups": groups,
        "legend": [{"id": a, "label": label(ACTIVITY_LABELS, a, lang)} for a in used],
        "mark_legend": [{"id": k, "word": label(BODY_MARK_LABELS, k, lang),
                         "label": label(BODY_MARK_LEGEND, k, lang)}
                        for k in BODY_MARK_LEGEND if k in {m.kind.value for m in tl.body_marks}],
        "moments": [{"i": m.i, "t": m.t, "kind": m.kind.value, "client": m.client,
                     "text": sim.moment_caption(m)[1 if lang == "zh" else 0]}
                    for m in tl.moments if m.kind is not sim.MomentKind.TEARDOWN
                    or len(tl.requests) <= 4][:40],
        "all_tracks": all_tracks,
        "collapsible": any(g["count"] > COLLAPSE_OVER for g in groups),
    }


def _axis(sc: Scale, lang: str) -> Markup:
    """Tick marks at round numbers of ms or of steps (1, 2, 5 x 10^k), about eight of them."""
    unit = tr(N_("step {n}"), lang) if sc.axis is sim.Axis.STEPS else "{n} ms"
    raw = sc.span / 8
    mag = 10 ** max(0, len(str(int(raw))) - 1)
    step = next((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), 10 * mag)
    first = -(-sc.start // step) * step
    ticks = []
    t = first
    n = 0
    steps = sc.axis is sim.Axis.STEPS
    while t <= sc.start + sc.span - steps:  # steps count from 0: the last is span - 1
        x = sc.at(t, t) if steps else sc.x(t)
        # near an edge a centred label would be cut off (on a phone, "600 ms" at 97 %)
        anchor = "start" if x < 8 else ("end" if x > 92 else "middle")
        # every other label hides on a narrow screen (app.css), so they never overlap
        odd = ' class="odd"' if n % 2 else ""
        ticks.append(f'<line x1="{x}%" x2="{x}%" y1="14" y2="20" class="tick"/>'
                     f'<text x="{x}%" y="11" text-anchor="{anchor}"{odd}>{unit.format(n=t)}</text>')
        t += step
        n += 1
    return Markup(f'<svg class="tl-svg tl-axis-svg" width="100%" height="20" aria-hidden="true" '
                  f'focusable="false">{"".join(ticks)}</svg>')


# -- the waterfall ------------------------------------------------------------------------

_REQUEST_LINE = re.compile(r"(?:^|\r\n)([A-Z]{3,10}) (\S{1,2000}) HTTP/\d")


def request_lines(scenario: dict[str, Any]) -> dict[str, list[str]]:
    """client -> the request lines it sends ("GET /"), in order, from the scenario."""
    out: dict[str, list[str]] = {}
    for c in scenario.get("clients") or []:
        if not isinstance(c, dict):
            continue
        text = "".join(ch if isinstance(ch, str) else str((ch or {}).get("data", ""))
                       for ch in c.get("send") or [])
        out[str(c.get("id"))] = [f"{m} {p[:40]}{'…' if len(p) > 40 else ''}"
                                 for m, p in _REQUEST_LINE.findall(text)]
    return out


def why(r: sim.RequestTimes, lang: str, marks: tuple[sim.BodyMarkKind, ...] = ()) -> list[str]:
    """Plain reasons for where a request's time went; ``marks``: what its client read of
    a body of unknown length (how the end of that body was known)."""
    out = []
    queued = r.duration("queued")
    if queued > 0:
        behind = ", ".join(r.queued_behind)
        if behind:
            out.append(tr(N_("waited {ms} ms in the listen backlog: the only thread was busy with "
                             "{behind}"), lang).format(ms=queued, behind=behind))
        elif r.queued_for_waitpid:
            out.append(tr(N_("waited {ms} ms in the listen backlog: the loop was blocked in "
                             "waitpid(), as many children alive as allowed"), lang).format(ms=queued))
        elif r.queued_for_child:
            out.append(tr(N_("waited {ms} ms in the listen backlog: no reloader child was serving "
                             "the socket yet, and the parent never accepts"), lang).format(ms=queued))
        else:
            out.append(tr(N_("waited {ms} ms in the listen backlog"), lang).format(ms=queued))
    reading = r.duration("reading")
    if reading > 0:
        out.append(tr(N_("the server waited {ms} ms for the request to arrive"), lang).format(ms=reading))
    if r.slept:
        out.append(tr(N_("the view slept {ms} ms"), lang).format(ms=r.slept))
    if r.body_lost:
        out.append(tr(N_("the server did not de-chunk its chunked body: the view read none of it"),
                      lang))
    if r.body_wait:
        out.append(tr(N_("the view waited {ms} ms in read() for the request body"), lang).format(
            ms=r.body_wait))
    if r.view_skipped:
        out.append(tr(N_("the view never ran: a before_request hook answered"), lang))
    if sim.BodyMarkKind.LAST_CHUNK in marks:
        out.append(tr(N_("the body came in chunks, and the 0-size chunk ended it"), lang))
    elif sim.BodyMarkKind.CLOSE_ENDS_BODY in marks:
        out.append(tr(N_("the body had no length: only the server closing the connection "
                         "ended it"), lang))
    if r.server_exited:
        out.append(tr(N_("the reloader's child serving it exited mid-request (a saved file)"), lang))
    if hung_up(r):
        out.append(tr(N_("hung up before reading any answer"), lang))
    else:
        if r.status is None:
            out.append(tr(N_("got no answer"), lang))
        if r.end_kind in END_REASONS:
            out.append(label(END_REASONS, r.end_kind, lang))
    return out


def hung_up(r: sim.RequestTimes) -> bool:
    """The client closed its side without reading an answer (``then: "close"``): it did
    not fail to get one, it left."""
    return r.status is None and r.end_kind == str(sim.ClientEnd.CLIENT_CLOSED)


#: How a request's client ended, when that is part of why its time went where it did.
END_REASONS: dict[str, str] = {
    "timeout": N_("gave up waiting"),
    "client_closed": N_("closed the connection itself"),
    "reset": N_("was reset"),
}


def waterfall_view(pb: Any, lang: str, i: int, limit: int = 40, href: str = "?step=",
                   axis: sim.Axis | None = None) -> dict[str, Any]:
    """Each request like a browser's network panel, and why its time went where it went;
    on the timeline's ``axis``."""
    axis = axis or pb.timeline.axis
    view = _cached(pb, ("waterfall", lang, limit, href, axis),
                   lambda: _waterfall_drawing(pb, lang, limit, href, axis))
    cx = _scale(pb.timeline, axis).at(pb.trace.steps[i].t, i)
    return {**view, "rows": [{**r, "svg": _at(r["svg"], cx)} for r in view["rows"]]}


def _waterfall_drawing(pb: Any, lang: str, limit: int, href: str, axis: sim.Axis
                       ) -> dict[str, Any]:
    tl: sim.Timeline = pb.timeline
    href = str(escape(href))
    sc = _scale(tl, axis)
    cx = CURSOR_X
    lines = request_lines(pb.scenario)
    rows = []
    last_request = {r.client: r.request for r in tl.requests}
    marks: dict[str, tuple[sim.BodyMarkKind, ...]] = {}
    for m in tl.body_marks:
        marks[m.client] = (*marks.get(m.client, ()), m.kind)
    for r in tl.requests[:limit]:
        segs = []
        places = sc.extents([(s.start, s.end, s.first, s.until) for s in r.segments])
        for s, (x, w) in zip(r.segments, places, strict=True):
            title = escape(f"{label(SEGMENT_LABELS, s.kind, lang)}: {s.end - s.start} ms")
            segs.append(f'<a href="{href}{s.first}" data-step="{s.first}" tabindex="-1"><title>{title}</title>'
                        f'<rect class="seg seg-{s.kind}" x="{x}%" y="3" '
                        f'width="{w}%" height="12"/></a>')
        reqs = lines.get(r.client) or []
        rid = r.client if r.request == 1 else f"{r.client}·{r.request}"
        rows.append({
            "id": rid, "first": r.first,
            "line": reqs[r.request - 1] if r.request - 1 < len(reqs) else "",
            "status": r.status, "hung_up": hung_up(r),
            "actor": sim.thread_names(r.actor)[lang == "zh"] if r.actor else "",
            "svg": Markup(f'<svg class="tl-svg" width="100%" height="18" focusable="false">{"".join(segs)}'
                          f'{_cursor(cx, 18)}</svg>'),
            "durations": {k: r.duration(k) for k in SEGMENT_LABELS},
            # a client's reads follow its last answer (the dev servers close after each)
            "latency": r.latency,
            "why": why(r, lang, marks.get(r.client, ()) if r.request == last_request[r.client] else ()),
        })
    return {"rows": rows, "more": max(0, len(tl.requests) - limit), "axis": sc.axis.value,
            "headline": [{"id": r["id"], "latency": r["latency"], "why": r["why"], "first": r["first"]}
                         for r in rows[:HEADLINE_REQUESTS]],
            "columns": [{"id": k, "label": label(SEGMENT_LABELS, k, lang)} for k in SEGMENT_LABELS]}
