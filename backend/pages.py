"""HTML routes: full pages for people (and for no-JS reading) and the htmx fragments.

Every page that shows a part also ``{% include %}``s the very fragment the htmx route
returns (``_step.html`` and ``_step_body.html``, ``_events.html``), so the two can never disagree.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

import sim

from . import i18n
from .errors import AppError
from .gallery import Entry, comparisons, grouped
from .i18n import N_, error_message, tr
from .limits import BudgetError, parse_document
from .player import DETAILS, Filters, event_rows, page_url, show_bytes, step_view
from .services import Services
from .source import SourceNotFound, module_source_for
from .timeline import axis_beside, timeline_view, waterfall_view
from .traces import Playback

router = APIRouter(include_in_schema=False)

LANG_COOKIE = i18n.LANG_COOKIE


def _svc(request: Request) -> Services:
    return request.app.state.services


def _lang(request: Request) -> str:
    return i18n.request_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _remember_lang(request: Request, response: Response) -> Response:
    q = request.query_params.get("lang")
    if q in i18n.LANGUAGES and request.cookies.get(LANG_COOKIE) != q:
        response.set_cookie(LANG_COOKIE, q, max_age=365 * 24 * 3600, samesite="lax",
                            httponly=True)
    return response


def _render(request: Request, template: str, ctx: dict[str, Any], status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    lang = ctx.setdefault("lang", _lang(request))
    ctx.setdefault("lang_other", i18n.next_language(lang))
    resp = _svc(request).templates.TemplateResponse(request, template, ctx,
                                                    status_code=status, headers=headers)
    return _remember_lang(request, resp)


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise AppError(400, N_("{name} must be a whole number, not '{value}'"), name,
                       values={"name": name, "value": value}) from None


def _filters(request: Request, pb: Playback) -> Filters:
    client = request.query_params.get("client", "")
    phase = request.query_params.get("phase", "")
    detail = request.query_params.get("detail", "")
    return Filters(client=client if client in pb.clients else "",
                   phase=phase if phase in pb.phases else "",
                   detail=detail if detail in DETAILS else "")


def _check_step(pb: Playback, n: int, slug: str) -> None:
    """A step past the end (an old link to a scenario that now takes fewer steps) is a 404
    that offers the last step; a step before the first offers the first."""
    if not 0 <= n < pb.total:
        last = pb.total - 1
        offer = ((f"/s/{slug}?step={last}", N_("Go to the last step ({last})")) if n > 0 else
                 (f"/s/{slug}?step=0", N_("Go to the first step (0)")))
        raise AppError(404, N_("step {n} is out of range: this scenario has steps 0 to {last}"),
                       "step", offer=offer, values={"n": n, "last": last})


def _title(scenario: dict[str, Any], slug: str) -> str:
    return str(scenario.get("title") or slug)


def _saved_lesson(scenario: dict[str, Any], lang: str) -> str:
    """The lesson a shared link's author wrote (``x-lesson``), for whoever opens the link:
    without it a scenario edited from the gallery arrives with its point unsaid. A lesson
    kept as the gallery wrote it is shown in the page's language."""
    lesson = scenario.get("x-lesson")
    return tr(lesson, lang) if isinstance(lesson, str) else ""


@router.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


@router.get("/", response_class=HTMLResponse)
def gallery(request: Request) -> Response:
    entries = [e for e in _svc(request).gallery.values() if e.available]
    lang = _lang(request)
    query = request.query_params.get("q", "")[:200]
    return _render(request, "gallery.html", {"entries": entries, "query": query,
                                             "topics": grouped(entries, lang, query),
                                             "compare": comparisons(entries)})


def _player_ctx(request: Request, slug: str, n: int) -> dict[str, Any]:
    svc = _svc(request)
    scenario = svc.scenario(slug)
    pb = svc.playback_of(slug)
    _check_step(pb, n, slug)
    lang = _lang(request)
    filters = _filters(request, pb)
    entry = svc.gallery.get(slug)
    all_tracks = request.query_params.get("tracks") == "all"
    tracks_q = dict(request.query_params)
    tracks_q.pop("lang", None)
    if all_tracks:
        tracks_q.pop("tracks", None)
    else:
        tracks_q["tracks"] = "all"
    href = f"/s/{slug}?" + (f"{filters.query()}&" if filters.query() else "") + "step="
    compared = comparisons(list(svc.gallery.values())).get(slug, []) if entry else []
    axis = axis_beside(pb.timeline, [svc.playback_of(o.slug).timeline for o in compared])
    return {
        "timeline": timeline_view(pb, lang, n, all_tracks, href, axis),
        "waterfall": waterfall_view(pb, lang, n, href=href, axis=axis.axis),
        "tracks_url": f"/s/{slug}?{urlencode(tracks_q)}",
        "received_of": _received, "v": step_view(pb, n, lang, slug, filters), "pb": pb,
        "end_word": lambda end: tr(CLIENT_END_WORDS.get(str(end), str(end)), lang),
        "slug": slug, "lang": lang,
        "title": entry.title_in(lang) if entry else _title(scenario, slug),
        "lesson": entry.lesson(lang) if entry else _saved_lesson(scenario, lang),
        "compare": _compare_links(svc, compared, lang),
        # compared with another stack, the difference is in the bytes: show them first
        "answers_first": entry is not None and any(
            other.server_kind != entry.server_kind for other in compared),
        "saved": entry is None, "events": event_rows(pb, lang, filters, n),
        "filters": filters, "index": _index(pb),
    }


def _compare_links(svc: Services, compared: list[Entry], lang: str) -> list[dict[str, Any]]:
    """The scenarios to compare this one with (``comparisons``), each opened at its own
    lesson: the last of its most telling key moments (a second client's wait or its own
    thread, rather than the first client's)."""
    out = []
    for other in compared:
        moments = svc.playback_of(other.slug).timeline.moments
        lesson = min(moments, key=lambda m: (_MOMENT_RANK.get(m.kind, 0), -m.i), default=None)
        out.append({"slug": other.slug, "title": other.title_in(lang), "kind": other.kind_in(lang),
                    "step": lesson.i if lesson else 0})
    return out


#: Moments that happen in many runs, ranked after those that are one scenario's lesson. A
#: client giving up is the end of a story (the silent socket's c1, in both of its runs), not
#: what one run shows that the other does not.
_MOMENT_RANK = {sim.MomentKind.VIEW_SLEEPS: 1, sim.MomentKind.THREAD_STARTED: 2,
                sim.MomentKind.TEARDOWN: 3, sim.MomentKind.CLIENT_GAVE_UP: 3}


#: How a client's connection ended (``sim.ClientEnd``), as the tag beside what it received.
CLIENT_END_WORDS: dict[str, str] = {
    "eof": N_("read to the end (EOF)"),
    "reset": N_("reset (RST)"),
    "timeout": N_("gave up waiting"),
    "client_closed": N_("closed it itself"),
    "open": N_("still open"),
}


def _received(raw: bytes | str) -> dict[str, Any]:
    """What a client received (bytes), shown like the inspector shows socket buffers."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    return show_bytes(text, limit=2000)


def _index(pb: Playback) -> dict[str, Any]:
    """A compact per-step index for the player's script (breakpoints, play)."""
    phase_no = {p: k for k, p in enumerate(pb.phases)}
    # the first step at each distinct virtual time, so a click on the timeline's empty
    # space lands on the step at that moment (capped: a huge trace falls back to bars)
    times: list[list[int]] = []
    for s in pb.trace.steps:
        if not times or s.t != times[-1][0]:
            times.append([s.t, s.i])
            if len(times) > 4000:
                times = []
                break
    return {"phases": pb.phases,
            "p": [phase_no.get(s.phase, -1) for s in pb.trace.steps], "times": times}


@router.get("/s/{slug}", response_class=HTMLResponse)
def player(request: Request, slug: str) -> Response:
    n = _int(request.query_params.get("step"), "step", 0)
    return _render(request, "player.html", _player_ctx(request, slug, n))


@router.get("/s/{slug}/step/{n}", response_class=HTMLResponse)
async def step_fragment(request: Request, slug: str, n: str) -> Response:
    """The step panel alone, for htmx. Async on purpose: almost always a cache hit, which
    needs no thread; a miss renders in ~3 ms."""
    svc = _svc(request)
    pb = svc.traces.peek(svc.slug_key(slug))
    if pb is None:  # first sight of this scenario here: simulate off the event loop
        pb = await run_in_threadpool(svc.playback_of, slug)
    i = _int(n, "step", 0)
    _check_step(pb, i, slug)
    lang, filters = _lang(request), _filters(request, pb)
    key = (pb.key, slug, i, lang, filters)
    body = svc.fragments.get(key)
    if body is None:
        body = await run_in_threadpool(svc.render_fragment, pb, key)
    # A step's HTML never changes for a given link, step and language (Vary: Cookie covers
    # the language), so the browser may keep it: the player prefetches the next step. No
    # HX-Push-Url: the player's script sets the URL from the panel's data-page (player.js,
    # updateUrl), replacing the entry for a step and pushing one for a jump.
    headers = {"Vary": "Accept-Encoding, Cookie",
               "Cache-Control": "private, max-age=300"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        resp = Response(body, media_type="text/html; charset=utf-8",
                        headers={**headers, "Content-Encoding": "gzip"})
    else:
        resp = HTMLResponse(gzip.decompress(body), headers=headers)
    return _remember_lang(request, resp)


@router.get("/s/{slug}/events", response_class=HTMLResponse)
def events_fragment(request: Request, slug: str) -> Response:
    """The filtered event list, plus the step panel out-of-band so its links keep the filter."""
    svc = _svc(request)
    pb = svc.playback_of(slug)
    n = pb.clamp(_int(request.query_params.get("step"), "step", 0))
    lang = _lang(request)
    filters = _filters(request, pb)
    ctx = {"v": step_view(pb, n, lang, slug, filters), "slug": slug,
           "events": event_rows(pb, lang, filters, n), "filters": filters, "pb": pb,
           "oob": True}
    return _render(request, "_events.html", ctx,
                   headers={"HX-Push-Url": page_url(slug, n, filters)})


@router.get("/source/{module}", response_class=HTMLResponse)
def source_file(request: Request, module: str, kind: str | None = None) -> Response:
    try:
        src = module_source_for(module, kind)
    except SourceNotFound as e:
        raise AppError(404, f"no source for {module!r}: {e.reason}", "module") from None
    return _render(request, "source.html", {"src": src})


def _editor(request: Request, text: str, *, error: str | None = None,
            field: str | None = None, line: int | None = None, status: int = 200,
            origin: str = "", quick_form: dict[str, list[str]] | None = None) -> Response:
    svc = _svc(request)
    q = {k: v[0] for k, v in (quick_form or {}).items()}
    # a quick-form field of one client (path0, at2): say which client, as the form labels it
    client = f"c{int(field[-1]) + 1}" if quick_form is not None and field and field[-1].isdigit() else ""
    return _render(request, "editor.html", {
        "text": text, "error": error, "field": field, "line": line, "origin": origin,
        "q": q, "quick_error": quick_form is not None, "quick_client": client,
        "kinds": quick_kinds(),
        "thens": QUICK_THENS, "lesson": declared_lesson(text, _lang(request)),
        "entries": [e for e in svc.gallery.values() if e.available]}, status=status)


def _origin(svc: Services, form: dict[str, list[str]]) -> str:
    """The gallery scenario the editor's text was loaded from (its ``from`` field): a
    refused run keeps it chosen. Anything else is dropped."""
    origin = (form.get("from") or [""])[0]
    entry = svc.gallery.get(origin)
    return origin if entry is not None and entry.available else ""


#: The first ``"x-lesson": "..."`` written in a text that does not parse as a whole.
_X_LESSON = re.compile(r'"x-lesson"\s*:\s*("(?:[^"\\\n]|\\.)*")')


def declared_lesson(text: str, lang: str) -> str | None:
    """What the scenario in the editor says it is for: its ``x-lesson``, in ``lang`` (the
    gallery's lessons are in the catalog), or None.

    It follows the text, not the scenario the editor was loaded from: replaced by hand
    with another scenario, the box says that one's lesson or nothing. While the text does
    not parse (a comma missing mid-edit, a refused run), the first ``"x-lesson"`` string
    written in it still counts; that may be a nested one, a rough spot only broken text
    has."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        found = _X_LESSON.search(text)
        try:
            document = {"x-lesson": json.loads(found[1])} if found else {}
        except ValueError:
            document = {}
    lesson = document.get("x-lesson") if isinstance(document, dict) else None
    if not isinstance(lesson, str) or not lesson.strip():
        return None
    try:  # a lone surrogate (JSON's "\ud800") cannot be written into the page
        lesson.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return tr(lesson, lang)


@router.get("/edit", response_class=HTMLResponse)
def edit(request: Request) -> Response:
    origin = request.query_params.get("from") or next(iter(_svc(request).gallery), "")
    scenario = _svc(request).scenario(origin) if origin else {}
    return _editor(request, json.dumps(scenario, indent=2, ensure_ascii=False), origin=origin)


@router.post("/run", response_class=HTMLResponse)
async def run(request: Request) -> Response:
    svc = _svc(request)
    body = await request.body()
    lang = _lang(request)
    if len(body) > svc.settings.max_scenario_bytes:
        return _editor(request, "", error=tr(_TOO_LARGE, lang).format(
            limit=svc.settings.max_scenario_bytes), field="", status=413)
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    text = (form.get("scenario") or [""])[0]
    origin = _origin(svc, form)
    try:  # the API's parser and budgets: depth, digits, NaN, lone surrogates
        scenario = parse_document(text, svc.settings.budgets)
    except BudgetError as e:
        # A syntax error says what the live check says, in the same words and language.
        syntax = _json_syntax_problem(text, lang)
        return _editor(request, text, error=syntax["message"] if syntax else e.error,
                       field=e.field, status=e.status,
                       line=syntax["line"] if syntax else e.line, origin=origin)
    try:
        if not isinstance(scenario, dict):
            raise AppError(422, tr(_NOT_AN_OBJECT, lang), "")
        sim.validate(scenario)
        # the engine may refuse what validation let through; simulate off the event loop
        await run_in_threadpool(svc.playback, scenario)
        slug = svc.save(scenario)
    except AppError as e:
        from .jsonpos import line_of
        return _editor(request, text, error=e.message_in(lang), field=e.field or "",
                       line=line_of(text, e.field or ""), status=e.status, origin=origin)
    except sim.ScenarioError as e:
        from .jsonpos import line_of
        return _editor(request, text, error=error_message(e.message, e.kind, e.ctx, lang),
                       field=e.field, line=line_of(text, e.field), status=422, origin=origin)
    return RedirectResponse(f"/s/{slug}?step=0", status_code=303)


@router.post("/edit/check")
async def edit_check(request: Request) -> Response:
    """The editor's live check: every problem of the scenario text, each at its line.

    The same validation as ``/run`` (the model the JSON Schema is made from), so the marks
    in the editor and the answer of "Run" never disagree."""
    svc = _svc(request)
    body = await request.body()
    lang = _lang(request)
    if len(body) > svc.settings.max_scenario_bytes:
        return _check_result([{"field": "", "line": 1, "message": tr(_TOO_LARGE, lang).format(
            limit=svc.settings.max_scenario_bytes)}])
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    text = (form.get("scenario") or [""])[0]
    return _check_result(await run_in_threadpool(scenario_problems, text, lang),
                         lesson=declared_lesson(text, lang))


#: The editor's own messages (the engine's are translated by ``error_message``).
_TOO_LARGE = N_("the scenario is too large (limit {limit} bytes)")
_NOT_AN_OBJECT = N_("a scenario must be a JSON object")
_BAD_JSON = N_("invalid JSON: {error} (column {column})")
_TOO_DEEP = N_("invalid JSON: nested too deeply or a number too long")


def _json_syntax_problem(text: str, lang: str) -> dict[str, Any] | None:
    """Where a scenario's text is not JSON, in ``lang``; None when it parses, or when only
    a budget stops it (a number too long: the parser's budgets say that more precisely)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return _syntax_problem(e, lang)
    except (RecursionError, ValueError):
        pass
    return None


def _syntax_problem(e: json.JSONDecodeError, lang: str) -> dict[str, Any]:
    message = tr(_BAD_JSON, lang).format(error=e.msg, column=e.colno)
    hint = _json_hint(e.doc, e.pos)
    return {"field": "", "line": e.lineno,
            "message": f"{message} {tr(hint, lang)}" if hint else message}


#: What a newcomer most often writes that JSON refuses, said in words (the parser's own
#: message, "Expecting value", names what it wanted, not what to change).
_HINT_TRAILING_COMMA = N_("Remove the comma before this ] or }: JSON allows none after the last item.")
_HINT_QUOTES = N_("JSON writes keys and strings in double quotes.")
_HINT_COMMENT = N_("JSON has no comments.")
_HINT_MISSING_VALUE = N_("A value is missing before this comma.")
_HINT_MISSING_COMMA = N_("A comma is missing between two items (often at the end of the line before).")
_HINT_CUT_SHORT = N_("The text ends too soon: a bracket or brace is not closed, or the editor is empty.")


def _json_hint(text: str, pos: int) -> str | None:
    """What to change where :func:`json.loads` stopped at ``pos`` of ``text``, if it is one
    of the usual mistakes."""
    here = text[pos:pos + 1]
    before = text[:pos].rstrip()[-1:]
    if here in ("]", "}") and before == ",":
        return _HINT_TRAILING_COMMA
    if here == "'":
        return _HINT_QUOTES
    if here in ("/", "#"):
        return _HINT_COMMENT
    if here == ",":
        return _HINT_MISSING_VALUE
    if here == '"' and before not in (",", "[", "{", ":"):
        return _HINT_MISSING_COMMA
    if not text[pos:].strip():
        return _HINT_CUT_SHORT
    return None


def scenario_problems(text: str, lang: str = "en") -> list[dict[str, Any]]:
    """What is wrong with a scenario's JSON text: a syntax error at its place, or every
    field the engine refuses, each with the line where it is written, in ``lang``."""
    from .jsonpos import line_of

    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        return [_syntax_problem(e, lang)]
    except (RecursionError, ValueError):
        return [{"field": "", "line": 1, "message": tr(_TOO_DEEP, lang)}]
    if not isinstance(document, dict):  # the words "Run" answers
        return [{"field": "", "line": 1, "message": tr(_NOT_AN_OBJECT, lang)}]
    return [{"field": e.field, "line": line_of(text, e.field) or 1,
             "message": error_message(e.message, e.kind, e.ctx, lang)}
            for e in sim.validation_errors(document)]


def _check_result(problems: list[dict[str, Any]], lesson: str | None = None) -> Response:
    """The live check's answer: the problems, and the lesson the text declares (null for
    none, or for a text too large to read) for the editor's box to follow."""
    return Response(json.dumps({"errors": problems, "lesson": lesson}),
                    media_type="application/json", headers={"Cache-Control": "no-store"})


#: What the quick form's clients may send.
QUICK_METHODS = ("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE")
#: What a quick client does once it has sent its request.
QUICK_THENS = ("read", "shutdown_write", "close", "reset")


def quick_scenario(form: dict[str, list[str]]) -> dict[str, Any]:
    """Build a scenario from the editor's form for the common fields.

    The app is fixed and small (``/`` answers text, ``/echo`` echoes a POST, a 404
    handler); the form chooses the server and up to three clients' requests.
    """
    def get(name: str, default: str = "") -> str:
        return (form.get(name) or [default])[0].strip()

    clients = []
    for n in range(3):
        path = get(f"path{n}")
        if not path:
            continue
        method = get(f"method{n}", "GET").upper()
        if method not in QUICK_METHODS:
            raise AppError(422, N_("method must be one of {choices}"), f"method{n}",
                           values={"choices": ", ".join(QUICK_METHODS)})
        if not path.startswith("/") or any(ch in path for ch in " \r\n"):
            raise AppError(422, N_("a path starts with / and has no spaces or line breaks"),
                           f"path{n}", values={})
        at = _int(get(f"at{n}", "0") or "0", f"at{n}", 0)
        body_after = _int(get(f"after{n}", "0") or "0", f"after{n}", 0)
        then = get(f"then{n}", "read")
        if then not in QUICK_THENS:
            raise AppError(422, N_("then must be one of {choices}"), f"then{n}",
                           values={"choices": ", ".join(QUICK_THENS)})
        body = (form.get(f"body{n}") or [""])[0]
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
        if body or method in ("POST", "PUT"):
            head += f"Content-Length: {len(body.encode('latin-1', 'replace'))}\r\n"
        # A body sent later (a slow client) is a second chunk, ``after`` ms behind the headers.
        send: list[Any] = [head + "\r\n" + body] if not body_after else [
            head + "\r\n", {"after": body_after, "data": body}]
        client: dict[str, Any] = {"id": f"c{len(clients) + 1}", "at": max(at, 0), "send": send}
        if then != "read":
            client["then"] = then
        clients.append(client)
    if not clients:
        raise AppError(422, N_("give at least one client a path"), "path0", values={})
    kind = get("kind", "werkzeug")
    if kind not in quick_kinds():
        raise AppError(422, N_("the server is one of {choices}"), "kind",
                       values={"choices": ", ".join(quick_kinds())})
    delay = _int(get("sleep", "0") or "0", "sleep", 0)
    index_view: dict[str, Any] = {"text": get("text", "Hello, World!") or "Hello, World!"}
    if delay:
        index_view["sleep"] = delay
    server: dict[str, Any] = {"kind": kind}
    if kind != "wsgiref":
        server["threaded"] = get("threaded") == "on"
    return {
        "format": "wsgiscope/scenario@1",
        "title": get("title") or "My scenario",
        "server": server,
        "app": {
            "name": "app",
            "routes": [
                {"rule": "/", "methods": ["GET"], "endpoint": "index", "view": index_view},
                {"rule": "/echo", "methods": ["POST"], "endpoint": "echo",
                 "view": {"echo": True}},
            ],
            "errorhandlers": {"404": {"name": "not_found", "text": "nothing here",
                                      "status": 404}},
        },
        "clients": clients,
    }


def quick_kinds() -> list[str]:
    """The server kinds the quick form offers: those the engine simulates."""
    return [kind for kind, spec in sim.STACKS.items() if spec.implemented]


@router.post("/quick", response_class=HTMLResponse)
async def quick(request: Request) -> Response:
    svc = _svc(request)
    body = await request.body()
    form = parse_qs(body[: svc.settings.max_scenario_bytes].decode("utf-8", "replace"),
                    keep_blank_values=True)
    try:
        scenario = quick_scenario(form)
    except AppError as e:
        # the editor below the form keeps the gallery scenario it showed, not an empty box
        origin = _origin(svc, form)
        text = json.dumps(svc.scenario(origin), indent=2, ensure_ascii=False) if origin else ""
        return _editor(request, text, error=e.message_in(_lang(request)), field=e.field,
                       status=e.status, quick_form=form, origin=origin)
    text = json.dumps(scenario, indent=2, ensure_ascii=False)
    try:
        await run_in_threadpool(svc.playback, scenario)
        slug = svc.save(scenario)
    except AppError as e:
        from .jsonpos import line_of
        return _editor(request, text, error=e.message_in(_lang(request)), field=e.field or "",
                       line=line_of(text, e.field or ""), status=e.status)
    return RedirectResponse(f"/s/{slug}?step=0", status_code=303)
