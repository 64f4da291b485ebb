"""The source pane reads the installed library at run time."""

import inspect

import pytest
import werkzeug.serving

from backend.source import SourceNotFound, function_source, module_source


def test_method_source_matches_inspect():
    src = function_source("werkzeug.serving.WSGIRequestHandler.run_wsgi")
    lines, start = inspect.getsourcelines(werkzeug.serving.WSGIRequestHandler.run_wsgi)
    assert src.start == start
    assert src.lines[0] == lines[0].rstrip("\n")
    assert src.display_path.replace("\\", "/").endswith("werkzeug/serving.py")
    assert src.lines[src.def_index].lstrip().startswith("def run_wsgi")


def test_nested_function_found_in_co_consts():
    src = function_source("werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.execute")
    assert src.lines[src.def_index].lstrip().startswith("def execute")
    outer = function_source("werkzeug.serving.WSGIRequestHandler.run_wsgi")
    assert outer.start < src.start < outer.start + len(outer.lines)


def test_decorated_function_shows_its_own_file():
    """Flask's add_url_rule is wrapped by @setupmethod (in scaffold.py); the pane shows
    app.py, where the function is, with its line numbers."""
    src = function_source("flask.sansio.app.App.add_url_rule")
    assert src.display_path.replace("\\", "/").endswith("flask/sansio/app.py")
    assert src.lines[src.def_index].lstrip().startswith("def add_url_rule")


@pytest.mark.parametrize("qualname", [
    "http.server.BaseHTTPRequestHandler.parse_request",
    "socketserver.BaseServer._handle_request_noblock",
    "socketserver.ThreadingMixIn.process_request",
    "flask.app.Flask.full_dispatch_request",
    "flask.ctx.RequestContext.push",
    "wsgiref.handlers.BaseHandler.finish_response",
    "werkzeug.serving.run_simple",
])
def test_stack_functions_resolve(qualname):
    src = function_source(qualname)
    assert src.lines and src.start >= 1


def test_line_fragment_lights_first_matching_line():
    src = function_source("http.server.BaseHTTPRequestHandler.handle_one_request")
    n = src.line_for("self.rfile.readline(65537)")
    assert "self.rfile.readline(65537)" in src.lines[n]
    assert src.line_for(None) == src.def_index
    assert src.line_for("no such text anywhere") == src.def_index


@pytest.mark.parametrize("qualname", [
    "os.system", "antigravity", "builtins.eval", "werkzeug.serving.NoSuchThing",
    "flask.__main__", "flask.__main__.main",
    "flask.app.Flask.<locals>.x", "", "werkzeug.serving.WSGIRequestHandler.run_wsgi.<locals>.nope",
])
def test_unknown_or_forbidden_qualnames(qualname):
    with pytest.raises(SourceNotFound):
        function_source(qualname)


def test_module_source_only_for_allowed_modules():
    assert module_source("socketserver").lines
    with pytest.raises(SourceNotFound):
        module_source("os")
    with pytest.raises(SourceNotFound):
        module_source("flask.__main__")  # importing it would run Flask's CLI


_CONCURRENT_LOOKUPS = """
import sys, threading
sys.path.insert(0, {root!r})
from backend.source import function_source
names = ["flask.ctx.RequestContext.push", "werkzeug.serving.WSGIRequestHandler.run_wsgi",
         "flask.app.Flask.wsgi_app", "werkzeug.routing.map.MapAdapter.match"] * 3
errors = []
def look(name):
    try:
        function_source(name)
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=look, args=(n,)) for n in names]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
sys.exit(1 if errors else 0)
"""


def test_first_lookups_from_many_threads_at_once():
    """The pre-render thread and request threads may be the first to import Flask and
    Werkzeug at the same moment; that must not break either import."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    for _ in range(3):  # a fresh interpreter each time: nothing imported yet
        out = subprocess.run([sys.executable, "-c", _CONCURRENT_LOOKUPS.format(root=root)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
