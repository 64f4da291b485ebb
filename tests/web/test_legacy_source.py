"""Werkzeug 0.16.1 / Flask 1.1.4 source for ``werkzeug-legacy`` steps: read as text from the
pinned wheels' files (``backend.legacy_source``), never imported into the web process."""

from __future__ import annotations

import sys

import pytest

from backend import legacy_source
from backend.source import source_for
from tests.fidelity.legacy_env import legacy_python


@pytest.fixture(scope="module", autouse=True)
def legacy_files() -> None:
    legacy_python()  # .venv-legacy holds the same files as the wheels
    legacy_source.site_packages.cache_clear()


def test_nested_and_module_level_functions_are_found_with_ast() -> None:
    inner = source_for("werkzeug.serving.run_simple.<locals>.inner", "werkzeug-legacy")
    assert inner.display_path == "werkzeug/serving.py"
    assert inner.lines[inner.def_index].strip() == "def inner():"
    write = source_for("werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.write", "werkzeug-legacy")
    assert any('self.send_header("Connection", "close")' in line for line in write.lines)
    # the standard library is the same for every kind
    assert source_for("socketserver.ForkingMixIn.collect_children", "werkzeug-legacy").module == "socketserver"


def test_the_web_process_does_not_import_the_legacy_packages() -> None:
    source_for("flask.app.Flask.wsgi_app", "werkzeug-legacy")
    import flask

    assert flask.__version__.startswith("3.")
    assert all("0.16" not in (getattr(m, "__version__", "") or "") for m in list(sys.modules.values())
               if getattr(m, "__name__", "").startswith("werkzeug"))


def test_api_source_of_a_legacy_qualname(client) -> None:
    r = client.get("/api/v1/source/werkzeug.serving.WSGIRequestHandler.handle_one_request",
                   params={"kind": "werkzeug-legacy"})
    assert r.status_code == 200
    body = r.json()
    assert "self.raw_requestline = self.rfile.readline()" in "\n".join(body["lines"])
    assert body["href"].startswith("/source/werkzeug.serving?kind=werkzeug-legacy#L")
    # Werkzeug 3's handler inherits http.server's, with its 65537-byte limit
    current = client.get("/api/v1/source/werkzeug.serving.WSGIRequestHandler.handle_one_request").json()
    assert "self.rfile.readline(65537)" in "\n".join(current["lines"])


def test_the_legacy_file_view(client) -> None:
    r = client.get("/source/werkzeug.serving", params={"kind": "werkzeug-legacy"})
    assert r.status_code == 200
    assert "def run_simple(" in r.text and "ForkingWSGIServer" in r.text


def test_the_player_lights_werkzeug_016_for_a_legacy_scenario(client) -> None:
    """gallery/30-legacy-no-414: the step of 0.16's own handle_one_request shows its real
    line, from 0.16's serving.py, and links to that file in its version."""
    import sim
    from backend.gallery import load_gallery
    from tests.sim.simhelpers import GALLERY

    entry = load_gallery(GALLERY)["legacy-no-414"]
    assert entry.available
    trace = sim.run(entry.scenario)
    n = next(s.i for s in trace.steps if s.qualname == "werkzeug.serving.WSGIRequestHandler.handle_one_request")
    fragment = client.get(f"/s/legacy-no-414/step/{n}")
    assert fragment.status_code == 200
    html = fragment.text
    lit = html[html.index('class="line lit"'):]
    lit = lit[:lit.index("\n")]
    # 0.16's line (3.1's handler has http.server's readline(65537) there)
    assert lit.endswith(".raw_requestline = <span class=\"t-bp\">self</span>.rfile.readline()")
    src = source_for("werkzeug.serving.WSGIRequestHandler.handle_one_request", "werkzeug-legacy")
    number = src.start + src.line_for("self.raw_requestline = self.rfile.readline()")
    assert f'href="/source/werkzeug.serving?kind=werkzeug-legacy#L{number}"' in html
