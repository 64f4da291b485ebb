"""HTML pages and htmx fragments."""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape

import pytest
from markupsafe import escape

from backend.services import ROOT

HTMX = ROOT / "frontend" / "static" / "htmx-2.0.11.min.js"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_vendored_htmx_is_the_pinned_release():
    assert hashlib.sha256(HTMX.read_bytes()).hexdigest() == HTMX_SHA256


SWAGGER_UI = ROOT / "frontend" / "static" / "swagger-ui-5.35.0"
SWAGGER_UI_SHA256 = {  # npm pack swagger-ui-dist@5.35.0
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
}


def test_vendored_swagger_ui_is_the_pinned_release():
    for name, digest in SWAGGER_UI_SHA256.items():
        assert hashlib.sha256((SWAGGER_UI / name).read_bytes()).hexdigest() == digest, name


def test_api_docs_load_nothing_from_outside(client):
    r = client.get("/docs")
    assert r.status_code == 200
    assert "/static/swagger-ui-5.35.0/swagger-ui-bundle.js" in r.text
    assert "https://" not in r.text.replace("https://swagger.io", "")
    assert "cdn" not in r.headers["content-security-policy"]
    assert client.get("/static/swagger-ui-5.35.0/swagger-ui-bundle.js").status_code == 200


def test_gallery_page(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "One GET, end to end" in r.text
    assert 'href="/s/one-get?step=0"' in r.text


def test_gallery_in_chinese_and_remembered(client):
    r = client.get("/?lang=zh")
    assert "跟着一个 GET 请求" in r.text
    assert r.cookies.get("wsgiscope_lang") == "zh"
    assert "跟着一个 GET 请求" in client.get("/").text  # the cookie is sent back
    assert "Follow a single GET" in client.get("/?lang=en").text


def test_player_page_includes_the_fragment(client):
    page = client.get("/s/one-get?step=3").text
    frag = client.get("/s/one-get/step/3")
    assert frag.status_code == 200
    assert "HX-Push-Url" not in frag.headers  # the player's script sets the URL
    assert 'data-page="/s/one-get?step=3"' in frag.text
    assert frag.text.lstrip().startswith('<section id="step"')
    # the step's head and its body (out of band in the fragment) are the page's own
    head, body = frag.text.split('<div id="step-body"')
    assert head.strip() in page
    assert 'hx-swap-oob="step-parts"' in body
    assert ('<div id="step-body"' + body.replace(' hx-swap-oob="step-parts"', "", 1)).strip() in page
    # the head comes first on the page: the title, then the step's controls and caption,
    # then the play bar and the timeline, then the body (so Tab follows the screen)
    order = [page.index(s) for s in ('<h1>', 'id="step"', 'id="playerbar"', 'id="timeline"',
                                     'id="step-body"', 'id="events"')]
    assert order == sorted(order)
    assert 'data-step="3"' in page


def test_player_has_lanes_source_inspector_events(client):
    total = client.get("/api/v1/scenarios/one-get/steps/0").json()["total"]
    seen_real_source = False
    for n in range(total):
        html = client.get(f"/s/one-get/step/{n}").text
        assert 'class="lanes"' in html and 'class="pane inspector"' in html
        seen_real_source |= 'class="line lit"' in html
    assert seen_real_source
    page = client.get("/s/one-get").text
    assert 'id="events"' in page and 'id="trace-index"' in page


def test_captions_switch_language(client):
    en = client.get("/api/v1/scenarios/one-get/steps/1").json()
    zh = client.get("/s/one-get/step/1?lang=zh").text
    assert str(escape(en["caption_zh"])) in zh
    assert 'lang="zh"' in zh


def test_events_fragment_filters(client):
    r = client.get("/s/two-clients-one-thread/events?client=c2&step=0")
    assert r.status_code == 200
    assert r.headers["HX-Push-Url"].startswith("/s/two-clients-one-thread?")
    rows = re.findall(r'<span class="ev-c">([^<]*)</span>', r.text)
    assert rows and set(rows) == {"c2"}
    # the step's head and body come along, swapped whole, so their links keep the filter
    assert '<section id="step"' in r.text and '<div id="step-body"' in r.text
    assert r.text.count('hx-swap-oob="true"') == 2


def test_no_inline_script_or_style(client):
    for path in ("/", "/s/one-get?step=2", "/edit", "/s/nope"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert not re.search(r"\sstyle=", html), path
        assert "<style" not in html


def test_unknown_link_is_a_friendly_404(client):
    r = client.get("/s/zzzzzzz")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "Not found" in r.text and "Traceback" not in r.text


def test_step_out_of_range_and_not_a_number(client):
    past = client.get("/s/one-get?step=99999")
    assert past.status_code == 404
    match = re.search(r'<a class="btn primary" href="/s/one-get\?step=(\d+)">Go to the last step \((\d+)\)</a>',
                      past.text)
    assert match and match[1] == match[2]
    assert client.get(f"/s/one-get?step={match[1]}").status_code == 200
    assert client.get(f"/s/one-get?step={int(match[1]) + 1}").status_code == 404
    assert client.get("/s/one-get/step/99999").status_code == 404
    r = client.get("/s/one-get?step=abc")
    assert r.status_code == 400 and "whole number" in r.text


def test_unknown_page_is_html_404(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_source_file_view(client):
    r = client.get("/source/werkzeug.serving")
    assert r.status_code == 200 and 'id="L1"' in r.text
    assert client.get("/source/os").status_code == 404


def test_editor_prefills_from_gallery(client):
    r = client.get("/edit?from=post-with-body")
    assert r.status_code == 200 and "/echo" in r.text
    assert client.get("/edit?from=zzzzzzz").status_code == 404


def test_editor_run_saves_and_redirects(client, one_get):
    r = client.post("/run", data={"scenario": json.dumps({**one_get, "title": "Saved!"})},
                    follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    assert re.fullmatch(r"/s/[a-z0-9]{7,}\?step=0", url)
    assert "Saved!" in client.get(url).text


def test_editor_bad_json_points_at_the_line(client):
    r = client.post("/run", data={"scenario": '{\n  "format": "x",\n  oops\n}'})
    assert r.status_code == 400
    assert "invalid JSON" in r.text and 'data-line="3"' in r.text


def test_editor_bad_field_is_named(client, one_get):
    text = json.dumps({**one_get, "format": "nope"}, indent=2)
    r = client.post("/run", data={"scenario": text})
    assert r.status_code == 422
    assert "<code>format</code>" in r.text and 'data-line="2"' in r.text
    assert 'aria-invalid="true"' in r.text


def test_user_text_is_escaped(client, one_get):
    evil = {**one_get, "title": "<script>alert('x')</script><img src=x onerror=alert(1)>"}
    r = client.post("/run", data={"scenario": json.dumps(evil)})
    assert "<script>alert" not in r.text
    assert "&lt;script&gt;alert" in r.text
    assert "<img src=x" not in r.text


def test_language_cookie_on_player(client):
    r = client.get("/s/one-get?step=1&lang=zh")
    assert r.cookies.get("wsgiscope_lang") == "zh"
    assert 'class="caption-text" lang="zh"' in r.text


def test_quick_form_builds_runs_and_saves(client):
    form = {"title": "Quick <b>one</b>", "text": "hi", "threaded": "on",
            "method0": "GET", "path0": "/", "at0": "0", "body0": "",
            "method1": "POST", "path1": "/echo", "at1": "5", "body1": "ping", "path2": ""}
    r = client.post("/quick", data=form, follow_redirects=False)
    assert r.status_code == 303
    slug = r.headers["location"].split("/")[2].split("?")[0]
    saved = client.get(f"/api/v1/scenarios/{slug}").json()
    assert saved["server"]["threaded"] is True
    assert [c["id"] for c in saved["clients"]] == ["c1", "c2"]
    assert saved["clients"][1]["send"][0].endswith("Content-Length: 4\r\n\r\nping")
    assert "Quick &lt;b&gt;one&lt;/b&gt;" in client.get(r.headers["location"]).text


def test_quick_form_errors_name_the_field(client):
    r = client.post("/quick", data={"path0": "no slash"})
    assert r.status_code == 422
    assert 'name="path0"' in r.text and 'aria-invalid="true"' in r.text
    assert client.post("/quick", data={"path0": "/", "method0": "BREW"}).status_code == 422
    assert client.post("/quick", data={"path0": ""}).status_code == 422


def test_many_clients_lanes_show_only_connections_in_flight(client, one_get):
    many = {**one_get, "title": "eight", "server": {"kind": "werkzeug", "threaded": True},
            "clients": [{"id": f"c{n}", "at": n * 3,
                         "send": ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"]}
                        for n in range(1, 9)]}
    slug = client.post("/api/v1/links", json=many).json()["slug"]
    first = client.get(f"/s/{slug}/step/0").text
    assert "Not connected yet</b> (8)" in first
    assert first.count('class="lane-row') == 1  # only the header row
    total = client.get(f"/api/v1/scenarios/{slug}/steps/0").json()["total"]
    last = client.get(f"/s/{slug}/step/{total - 1}").text
    assert "Done</b> (7)" in last


def test_every_step_of_every_gallery_scenario_renders(client):
    """The whole gallery, every step, as a fragment: no 500 anywhere."""
    for entry in client.get("/api/v1/gallery").json():
        slug = entry["slug"]
        total = client.get(f"/api/v1/scenarios/{slug}/steps/0").json()["total"]
        for n in range(total):
            r = client.get(f"/s/{slug}/step/{n}")
            assert r.status_code == 200, (slug, n, r.text[:300])
        assert client.get(f"/s/{slug}?step={total - 1}&lang=zh").status_code == 200


def test_editor_survives_absurd_input(client):
    deep = "[" * 50_000 + "]" * 50_000
    r = client.post("/run", data={"scenario": deep})
    assert r.status_code == 400 and "nested more than 64 levels deep" in r.text
    assert client.post("/run", content=b"scenario=%FF%FE",
                       headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 400
    assert client.post("/run", content=b"").status_code == 400
    assert client.post("/quick", data={"path0": "/", "at0": "soon"}).status_code == 400


def test_interface_words_follow_the_language(client):
    zh = client.get("/s/one-get?step=3&lang=zh").text
    assert '<html lang="zh">' in zh and "前进" in zh and "源码" in zh
    frag = client.get("/s/one-get/step/4").text  # the cookie now says zh
    assert "此步之后的状态" in frag
    en = client.get("/s/one-get?step=3&lang=en").text
    assert '<html lang="en">' in en and "State after this step" in en


CODEMIRROR = ROOT / "frontend" / "static" / "codemirror-5.65.9"
#: sha256 of the files of ``npm pack codemirror-minified@5.65.9`` (lib/codemirror.js,
#: lib/codemirror.css, mode/javascript/javascript.js, addon/lint/lint.js and lint.css).
CODEMIRROR_SHA256 = {
    "codemirror.js": "a6c51d6a6c0d580bb4e9f621f65d7dc0aa3023a55b055077c9d0e4abd1cac71d",
    "codemirror.css": "11077112ab6955d29fe41085c62365c7d4a2f00a570c7475e2aec2a8cbc85fc4",
    "mode-javascript.js": "a3c2daeee7d28b8f66947a10103c361e14a535ba695c4959119aa5247d441581",
    "addon-lint.js": "4d3de7551e8b6ca01d73aaa7f041b2267d26013aceef995ec0a12b393d857851",
    "addon-lint.css": "8b5e6fe0ba8051498a6c213c4370d273274dd7408daf6297412258a4ee0a9fd7",
}


def test_vendored_codemirror_is_the_pinned_release():
    for name, digest in CODEMIRROR_SHA256.items():
        assert hashlib.sha256((CODEMIRROR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (CODEMIRROR / "LICENSE").read_text()


def test_edit_check_lists_every_problem_at_its_line(client):
    text = ('{\n  "format": "wsgiscope/scenario@1",\n  "clients": [\n'
            '    {"id": "c1", "at": -5},\n    {"id": "c 2", "then": "later"}\n  ]\n}\n')
    r = client.post("/edit/check", data={"scenario": text})
    assert r.status_code == 200
    errors = r.json()["errors"]
    assert [(e["field"], e["line"]) for e in errors] == [
        ("clients.0.at", 4), ("clients.1.id", 5), ("clients.1.then", 5)]
    syntax = client.post("/edit/check", data={"scenario": '{"a": 1,\n oops}'}).json()["errors"]
    assert syntax == [{"field": "", "line": 2, "message": "invalid JSON: Expecting property name "
                                                          "enclosed in double quotes (column 2)"}]
    assert client.post("/edit/check", data={"scenario": "[" * 100_000}).json()["errors"][0]["message"].startswith(
        "invalid JSON")
    ok = client.post("/edit/check", data={"scenario": '{"format": "wsgiscope/scenario@1"}'})
    assert ok.json() == {"errors": [], "lesson": None}


def test_quick_form_has_the_fields_lessons_need(client):
    r = client.post("/quick", data={"title": "Slow view", "kind": "werkzeug", "sleep": "300",
                                    "path0": "/", "at0": "0", "path1": "/", "at1": "20",
                                    "method1": "POST", "body1": "hi", "after1": "50",
                                    "then1": "shutdown_write"}, follow_redirects=False)
    assert r.status_code == 303
    slug = r.headers["location"].split("/s/")[1].split("?")[0]
    doc = client.get(f"/api/v1/scenarios/{slug}").json()
    assert doc["app"]["routes"][0]["view"]["sleep"] == 300
    assert doc["server"] == {"kind": "werkzeug", "threaded": False}
    assert doc["clients"][1]["send"][1] == {"after": 50, "data": "hi"}
    assert doc["clients"][1]["then"] == "shutdown_write"
    bad = client.post("/quick", data={"path0": "/", "then0": "explode"})
    assert bad.status_code == 422 and "then must be one of" in bad.text


def _step_where(name: str, event: str, client_id: str | None = None) -> int:
    import sim
    from backend.services import ROOT as root

    trace = sim.run(json.loads((root / "gallery" / f"{name}.json").read_text()))
    return next(s.i for s in trace.steps
                if s.event == event and (client_id is None or s.client == client_id))


def test_the_404_step_says_why_and_lights_the_branch_it_takes(client):
    n = _step_where("05-not-found", "dispatch_request_routing_error")
    for lang, why in (("en", "raises it instead of calling a view"), ("zh", "而不是调用视图")):
        html = client.get(f"/s/not-found/step/{n}?lang={lang}").text
        assert '<span class="moment-not_found" data-moment="not_found">' in html and why in html
        assert "calls the view for" not in html
    html_en = client.get(f"/s/not-found/step/{n}").text
    lit = re.search(r'<[^>]*class="line lit"[^>]*>(.*?)\n', html_en, re.S)
    assert lit and "raise_routing_exception" in re.sub(r"<[^>]+>", "", lit.group(1))


def test_a_request_answered_before_wsgi_shows_its_app_lanes_never_reached(client):
    n = _step_where("10-long-request-line", "send_error")
    html = client.get(f"/s/long-request-line/step/{n}").text
    for lane in ("wsgi", "flask", "view"):
        assert f'data-skipped="c1" data-lane="{lane}"' in html
    assert '<span class="mark skipped" title="never reached">run_wsgi' in html
    assert '<span class="mark skipped" title="never reached">dispatch' in html
    # once it is over, nothing of it is pending: parse_request never ran either
    last = client.get("/api/v1/scenarios/long-request-line/steps/0").json()["total"] - 1
    html = client.get(f"/s/long-request-line/step/{last}").text
    assert '<span class="mark pending"' not in html and ">parse</span>" in html
    # before the decision, the same stages are pending, not skipped
    html = client.get(f"/s/long-request-line/step/{n - 1}").text
    assert 'data-skipped="c1"' not in html and '<span class="mark pending"' in html


def test_a_silent_client_is_connected_not_connecting(client):
    n = _step_where("16-silent-socket", "client_close", "c1")
    html = client.get(f"/s/silent-socket?step={n - 1}").text
    assert "connected, sending nothing" in html
    assert 'act-connected' in html


def test_a_forking_server_queues_for_waitpid_not_for_a_busy_thread(client):
    html = client.get("/s/forking-children?step=0").text
    assert "the loop was blocked in waitpid()" in html
    assert "the only thread was busy" not in html


@pytest.mark.parametrize(("slug", "event"), [("two-processes", "reloader_child_start"),
                                             ("reload-on-save", "reloader_child_start")])
def test_a_process_starting_is_not_said_to_happen_in_the_client(client, slug, event):
    """Such a step has no library line: the source pane says whose doing it is."""
    pb = client.app.state.services.playback_of(slug)
    n = next(s.i for s in pb.trace.steps if s.event == event)
    html = client.get(f"/s/{slug}?step={n}").text
    assert "in the client." not in html
    assert "the operating system starts or ends a server process here" in html
    zh = client.get(f"/s/{slug}?step={n}&lang=zh").text
    assert "操作系统在启动或结束一个服务器进程" in zh


def test_runs_compared_across_stacks_show_what_each_client_received_first(client):
    html = client.get("/s/same-requests-legacy?step=0").text
    head = html[:html.index('id="timeline"')]
    assert '<details class="console received received-first" id="received" open>' in head
    assert "HTTP/1.0 200 OK" in head and "Server: Werkzeug/0.16.1 Python/3.11.7" in head
    # how each connection ended, in words (sim.ClientEnd "eof")
    assert head.count('<span class="tag" data-end="eof">read to the end (EOF)</span>') == 2
    zh = client.get("/s/same-requests-legacy?step=0&lang=zh").text
    assert '<span class="tag" data-end="eof">读到结尾（EOF）</span>' in zh
    # one thread vs threaded (the same stack): the timeline is the lesson, the bytes below
    html = client.get("/s/two-clients-threaded?step=0").text
    assert 'id="received" open' not in html
    assert html.index('id="received"') > html.index('id="timeline"')


@pytest.mark.parametrize(("slug", "event", "lang", "name"), [
    ("two-processes", "reloader_child_start", "en", "child 1: MainThread"),
    ("two-processes", "run_simple_inner_fd", "zh", "子进程 1：Thread-1 (inner)"),
    ("two-processes", "run_with_reloader", "en", "parent: MainThread"),
    ("two-clients-threaded", "process_request_thread", "en", "Thread-1 (process_request_thread)"),
    ("forking-children", "handler_init", "en", "child 1 (os.fork)"),
    ("one-get", "client_connect", "en", "c1"),
])
def test_the_steps_actor_is_named_as_its_timeline_track(client, slug, event, lang, name):
    pb = client.app.state.services.playback_of(slug)
    n = next(s.i for s in pb.trace.steps if s.event == event)
    html = client.get(f"/s/{slug}?step={n}&lang={lang}").text
    assert re.search(r'<span class="meta-item">[^<]*<b>([^<]*)</b>', html)[1] == name
    labels = re.findall(r'<span class="tl-label" title="[^"]*"><b>([^<]*)</b>', html)
    assert name in labels


def _one_get() -> dict:
    return json.loads((ROOT / "gallery" / "01-one-get.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["app"]["routes"][0].__setitem__("rule", "/x/<foo:bar>"), "app.routes.0.rule"),
    (lambda d: d["app"]["routes"].append({**d["app"]["routes"][0], "rule": "/two",
                                          "view": {"text": "other"}}), "app.routes.1.endpoint"),
])
def test_the_live_check_refuses_what_run_refuses(client, change, field):
    """An unknown converter, one endpoint for two views: Flask refuses them while the app
    is built. The editor must not say "ready to run" to a scenario that Run then refuses."""
    doc = _one_get()
    change(doc)
    text = json.dumps(doc, indent=2)
    run = client.post("/run", data={"scenario": text}, follow_redirects=False)
    assert run.status_code == 422
    live = client.post("/edit/check", data={"scenario": text}).json()["errors"]
    assert [e["field"] for e in live] == [field]
    route, key = int(field.split(".")[2]), field.rsplit(".", 1)[1]
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f'"{key}"')]
    assert live[0]["line"] == lines[route]  # that route's own line
    assert str(escape(live[0]["message"])) in run.text  # the same words both ways


def test_a_refused_run_answers_in_the_page_language_and_keeps_its_start(client):
    """Bad JSON: "Run" says what the live check says, in Chinese on a Chinese page, and
    the gallery scenario the text came from (its lesson) stays chosen."""
    text = json.dumps(_one_get(), indent=2).replace('"clients": [', '"clients": [,', 1)
    live = client.post("/edit/check?lang=zh", data={"scenario": text}).json()["errors"]
    r = client.post("/run?lang=zh", data={"scenario": text, "from": "one-get"})
    assert r.status_code == 400
    assert live[0]["message"].startswith("JSON 无效") and live[0]["message"] in r.text
    assert f'data-line="{live[0]["line"]}"' in r.text
    assert '<option value="one-get" selected>' in r.text
    assert _editor_lesson(r.text) == _editor_lesson(client.get("/edit?from=one-get&lang=zh").text)
    # a name that is not a gallery scenario is not echoed back
    other = client.post("/run", data={"scenario": text, "from": "<x>"})
    assert "&lt;x&gt;" not in other.text and '<option value="one-get" selected>' not in other.text


def _editor_lesson(html: str) -> str | None:
    """The editor's lesson box as shown (None when hidden)."""
    found = re.search(r'<p class="editor-lesson" id="editor-lesson"( hidden)?><b>[^<]*</b> '
                      r'<span id="editor-lesson-text">([^<]*)</span></p>', html)
    assert found, "no lesson box"
    return None if found[1] else unescape(found[2])


def test_the_editors_lesson_is_the_one_its_json_declares(client):
    """Loaded from the gallery, the box says that scenario's lesson; the JSON replaced by
    hand with another scenario, the live check and a refused run say the new one's
    ``x-lesson`` (the gallery's in the page's language), or none."""
    guard = _editor_lesson(client.get("/edit?from=before-request-guard").text)
    assert guard and guard.startswith("A before_request hook")
    silent = json.loads((ROOT / "gallery" / "16-silent-socket.json").read_text(encoding="utf-8"))
    text = json.dumps(silent, indent=2)
    zh = client.post("/edit/check?lang=zh", data={"scenario": text}).json()
    assert zh["errors"] == [] and zh["lesson"].startswith("c1 连上后什么也不发")
    refused = text.replace('"clients": [', '"clients": [,', 1)  # bad JSON: the first x-lesson
    for body in (refused, json.dumps({**silent, "clients": "none"})):
        r = client.post("/run?lang=zh", data={"scenario": body, "from": "before-request-guard"})
        assert r.status_code in (400, 422) and _editor_lesson(r.text) == zh["lesson"]
    del silent["x-lesson"]
    text = json.dumps(silent)
    assert client.post("/edit/check", data={"scenario": text}).json()["lesson"] is None
    r = client.post("/run", data={"scenario": text.replace('"clients": [', '"clients": [,'),
                                  "from": "before-request-guard"})
    assert r.status_code == 400 and _editor_lesson(r.text) is None
    # written by hand: as written, escaped; a lesson that is no text, or cannot be
    # written into a page (a lone surrogate), is none
    for lesson, shown in (("Mine: <b>c2</b> waits", "Mine: <b>c2</b> waits"), ({"en": "x"}, None),
                          ("  ", None), ("\\ud800 lone", None)):
        body = json.dumps({**silent, "x-lesson": lesson}).replace("\\\\ud800", "\\ud800")
        assert client.post("/edit/check", data={"scenario": body}).json()["lesson"] == shown


def test_the_live_check_names_a_document_that_is_no_object_as_run_does(client):
    live = client.post("/edit/check?lang=zh", data={"scenario": "[1, 2]"}).json()["errors"]
    run = client.post("/run?lang=zh", data={"scenario": "[1, 2]"})
    assert live == [{"field": "", "line": 1, "message": "场景必须是一个 JSON 对象"}]
    assert "场景必须是一个 JSON 对象" in run.text


def test_a_bad_link_says_what_is_wrong_in_the_page_language(client):
    r = client.get("/s/abcdefgh?step=0&lang=zh")
    assert r.status_code == 404
    assert escape("没有名为 'abcdefgh' 的场景或分享链接") in r.text
    assert "分享链接只能在生成它的服务器上打开" in r.text  # and what to do about it
    en = client.get("/s/abcdefgh?step=0&lang=en")
    assert escape("no scenario or share link named 'abcdefgh'") in en.text
    assert "copied whole" in en.text
    # the API keeps its English words and shape
    api = client.get("/api/v1/scenarios/abcdefgh/trace?lang=zh")
    assert api.json() == {"error": "no scenario or share link named 'abcdefgh'", "field": "slug"}
    bad_step = client.get("/s/one-get?step=abc&lang=zh")
    assert bad_step.status_code == 400 and escape("step 必须是整数，而不是 'abc'") in bad_step.text
    past = client.get("/s/one-get?step=9999&lang=zh")
    import sim

    last = len(sim.run(json.loads((ROOT / "gallery" / "01-one-get.json").read_text(encoding="utf-8"))).steps) - 1
    assert "第 9999 步超出范围" in past.text and f'href="/s/one-get?step={last}">转到最后一步（{last}）' in past.text
    nothing = client.get("/nowhere/at/all?lang=zh")
    assert nothing.status_code == 404 and "/nowhere/at/all 处什么也没有" in nothing.text


def test_a_step_before_the_first_offers_the_first(client):
    r = client.get("/s/one-get?step=-3")
    assert r.status_code == 404 and "step -3 is out of range" in r.text
    assert 'href="/s/one-get?step=0">Go to the first step (0)' in r.text
    assert "Go to the last step" not in r.text


def test_the_quick_form_answers_in_the_page_language(client):
    r = client.post("/quick?lang=zh", data={"path0": "/", "then0": "explode"})
    assert r.status_code == 422 and "“之后”必须是 read, shutdown_write, close, reset 之一" in r.text
    r = client.post("/quick?lang=zh", data={"path0": "/", "path1": "no-slash"})
    assert "<b>c2: 路径以 / 开头，不能有空格或换行</b>" in r.text  # which client, as labelled


def test_a_shared_link_shows_the_lesson_its_author_wrote(client):
    doc = _one_get()
    doc["x-lesson"] = "Watch <b>accept</b> before parse."
    r = client.post("/run", data={"scenario": json.dumps(doc)}, follow_redirects=True)
    assert r.status_code == 200
    assert '<p class="lesson" >Watch &lt;b&gt;accept&lt;/b&gt; before parse.</p>' in r.text
    # the gallery's lesson, kept as it was, in the page's language
    same = client.post("/run", data={"scenario": json.dumps(_one_get())}, follow_redirects=True)
    assert same.url.path != "/s/one-get"
    zh = client.get("/s/one-get?step=0&lang=zh").text
    lesson = re.search(r'<p class="lesson" lang="zh">([^<]+)</p>', zh)[1]
    assert lesson in client.get(f"{same.url.path}?step=0&lang=zh").text
    # an x-lesson that is not text is not shown
    doc["x-lesson"] = {"en": "no"}
    r = client.post("/run", data={"scenario": json.dumps(doc)}, follow_redirects=True)
    assert r.status_code == 200 and 'class="lesson"' not in r.text


def test_a_quick_form_mistake_keeps_the_editor_and_the_scenario_it_showed(client):
    r = client.post("/quick", data={"path0": "hello", "from": "one-get"})
    assert r.status_code == 422
    assert '<option value="one-get" selected>' in r.text
    assert _editor_lesson(r.text) == _editor_lesson(client.get("/edit?from=one-get").text)
    text = re.search(r'<textarea id="scenario"[^>]*>([^<]*)</textarea>', r.text)[1]
    assert json.loads(unescape(text)) == _one_get()


@pytest.mark.parametrize(("text", "hint"), [
    ('{\n  "title": "x",\n}', "Remove the comma before this ] or }"),
    ("{'title': 'x'}", "JSON writes keys and strings in double quotes"),
    ('{"title": "x" // mine\n}', "JSON has no comments"),
    ('{"clients": [,]}', "A value is missing before this comma"),
    ('{"title": "x"\n "format": "wsgiscope/scenario@1"}', "A comma is missing between two items"),
    ("", "The text ends too soon"),
])
def test_bad_json_says_what_to_change(client, text, hint):
    """The parser says what it expected ("Expecting value"); a newcomer needs what to
    change. The live check and Run say the same."""
    live = client.post("/edit/check", data={"scenario": text}).json()["errors"]
    assert len(live) == 1 and live[0]["message"].startswith("invalid JSON: ")
    assert hint in live[0]["message"]
    run = client.post("/run", data={"scenario": text})
    assert run.status_code == 400 and str(escape(live[0]["message"])) in run.text


def test_bad_json_hints_in_chinese(client):
    live = client.post("/edit/check?lang=zh", data={"scenario": '[1, 2,]'}).json()["errors"]
    assert live[0]["message"].startswith("JSON 无效") and "JSON 不允许最后一项后面有逗号" in live[0]["message"]


def test_a_steps_moments_read_as_one_text_in_either_language(client):
    """A stream's first write has two moments in one box: in English a space between the
    sentences, in Chinese none after the full stop (a space there reads as a gap)."""
    n = _step_where("19-stream-with-context", "write_headers")
    en = client.get(f"/s/stream-with-context/step/{n}").text
    assert re.search(r'close\.</span> <span class="moment-first_chunk"', en)
    zh = client.get(f"/s/stream-with-context/step/{n}?lang=zh").text
    assert re.search(r'结束。</span><span class="moment-first_chunk"', zh)
