"""The source pane for a step that runs declared code shows the app as Python, with the
line that step runs lit; library source is highlighted server-side."""

from __future__ import annotations

import re

import sim
from backend.highlight import highlight_lines
from tests.sim.simhelpers import gallery


def lit_line(html: str) -> str:
    match = re.search(r'<span class="line lit" aria-current="true"><span class="no"[^>]*>(\d+)</span>(.*?)\n</span>',
                      html, re.S)
    assert match, "no lit line"
    return re.sub(r"<[^>]+>", "", match[2]).replace("&#34;", '"').replace("&#39;", "'")


def step_of(doc: dict, event: str) -> int:
    return next(s.i for s in sim.run(doc).steps if s.event == event)


def test_a_before_request_hook_lights_its_def_in_app_py(client):
    doc = gallery()["07-before-request-guard"]
    i = step_of(doc, "hook_before_request")
    html = client.get(f"/s/before-request-guard/step/{i}").text
    assert "app.py:" in html and 'aria-label="Your app, app.py"' in html
    assert lit_line(html).startswith("def guard(")
    assert "@app.before_request" in re.sub(r"<[^>]+>", "", html)


def test_a_stream_chunk_lights_the_yield(client):
    doc = gallery()["09-streamed-response"]
    i = step_of(doc, "generate_chunk")
    html = client.get(f"/s/streamed-response/step/{i}").text
    assert lit_line(html).strip() == "yield chunk"


def test_library_source_is_highlighted(client):
    i = next(s.i for s in sim.run(gallery()["01-one-get"]).steps
             if s.qualname == "http.server.BaseHTTPRequestHandler.parse_request")
    html = client.get(f"/s/one-get/step/{i}").text
    assert '<span class="t-k">def</span> <span class="t-nf">parse_request</span>' in html


def test_highlighting_keeps_one_fragment_per_line():
    lines = ['def f():', '    """a docstring', '    over two lines"""', "    return 'x'  # done", ""]
    out = highlight_lines(lines)
    assert len(out) == len(lines)
    assert [re.sub(r"<[^>]+>", "", str(h)).replace("&#34;", '"').replace("&#39;", "'") for h in out] == lines
    assert '<span class="t-sd">' in str(out[1]) and '<span class="t-sd">' in str(out[2])
    assert '<span class="t-c1"># done</span>' in str(out[3])
