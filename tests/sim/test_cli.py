"""``python -m sim run FILE [--json]``: the trace@1 document, a readable step list, and for
anything wrong exit status 2 with one line naming the field, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from simhelpers import REPO, get, scenario

from sim.__main__ import main

SMALL = scenario(get("/"), get("/missing"))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def write(tmp_path, text: str) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_prints_a_trace(tmp_path):
    done = cli("run", write(tmp_path, json.dumps(SMALL)), "--json")
    assert (done.returncode, done.stderr) == (0, "")
    trace = json.loads(done.stdout)
    assert trace["format"] == "wsgiscope/trace@1"
    assert {"i", "t", "actor", "client", "phase", "qualname", "caption"} <= set(trace["steps"][0])
    assert [step["i"] for step in trace["steps"]] == list(range(len(trace["steps"])))
    assert set(trace["clients"]) == {"c1", "c2"}
    assert trace["clients"]["c1"]["received"].startswith("HTTP/1.1 200 OK\r\n")
    assert trace["clients"]["c2"]["received"].startswith("HTTP/1.1 404 NOT FOUND\r\n")
    assert {client["end"] for client in trace["clients"].values()} == {"eof"}
    # Werkzeug colours a 404's request line (ANSI escapes), as the real one does.
    assert any("GET /missing HTTP/1.1" in entry["line"] and entry["line"].endswith(" 404 -")
               for entry in trace["log"])
    assert all(set(entry) == {"t", "actor", "line"} for entry in trace["log"])


def test_without_json_prints_readable_steps(tmp_path, capsys):
    assert main(["run", write(tmp_path, json.dumps(SMALL))]) == 0
    out = capsys.readouterr().out
    assert "socketserver.BaseServer.serve_forever" in out
    assert "werkzeug.serving.WSGIRequestHandler.run_wsgi" in out
    assert "c1: " in out and "end: eof" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


BAD_FILES = {
    "not-json": ("{nope", "not JSON"),
    "wrong-type": (json.dumps({**SMALL, "clients": [{"id": "c1", "at": "soon"}]}), "clients.0.at"),
    "unknown-field": (json.dumps({**SMALL, "colour": "red"}), "colour"),
    "bad-rule": (json.dumps(scenario(routes=[{"rule": "nope", "endpoint": "e", "view": {"text": ""}}])),
                 "app.routes.0.rule"),
    "unknown-view-kind": (json.dumps(scenario(routes=[{"rule": "/", "endpoint": "e", "view": {"sing": ""}}])),
                          "app.routes.0.view.sing"),
    "not-an-object": ("[1, 2]", "JSON object"),
}


def one_error_line(stderr: str, names: str) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert names in lines[0] and "Traceback" not in stderr


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_scenario_exits_2_with_one_line(case, tmp_path, capsys):
    text, names = BAD_FILES[case]
    assert main(["run", write(tmp_path, text), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    one_error_line(captured.err, names)


def test_missing_file_exits_2_with_one_line(tmp_path):
    done = cli("run", str(tmp_path / "absent.json"), "--json")
    assert (done.returncode, done.stdout) == (2, "")
    one_error_line(done.stderr, "absent.json")


def test_unrunnable_request_exits_2_or_0_never_a_traceback(tmp_path):
    """A request line the engine chokes on must not escape as a traceback either."""
    done = cli("run", write(tmp_path, json.dumps(scenario(get("/", "HTTP/1.\u00b2")))), "--json")
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 2)
