"""``python -m sim run`` on input that is not a readable scenario document: exit status 2 and
one line on stderr, never a traceback (each of these printed one before)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from simhelpers import REPO, get, scenario

SMALL = scenario(get("/"))


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                          input=stdin, cwd=REPO, timeout=60)


def nested(depth: int) -> dict:
    doc = dict(SMALL)
    inner: dict = {}
    doc["x-deep"] = inner
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]
    return doc


CASES = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "nested 500 deep": (json.dumps(nested(500)).encode(), "x-deep.a.a"),
    "5,000-digit integer": (b'{"format": ' + b"9" * 5000 + b"}", "4300 digits"),
    "latin-1 file": ('{"title": "café"}'.encode("latin-1"), "not UTF-8 text (byte 14 is 0xe9)"),
    "lone surrogate in the title": (json.dumps({**SMALL, "title": "\ud800"}).encode(),
                                    "title: the text holds a lone surrogate"),
    "lone surrogate in a key": (json.dumps({**SMALL, "x-\udfff": 1}).encode(),
                                "a key holds a lone surrogate"),
}


@pytest.mark.parametrize("flag", [(), ("--json",)], ids=["steps", "json"])
@pytest.mark.parametrize("name", CASES)
def test_unreadable_input_is_one_line_and_status_2(tmp_path, name, flag):
    data, words = CASES[name]
    path = tmp_path / "scenario.json"
    path.write_bytes(data)
    done = cli("run", str(path), *flag)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and words in err, err
    assert done.stdout == b""


def test_standard_input_is_read_as_bytes_too():
    done = cli("run", "-", "--json", stdin=b'{"title": "\xff"}')
    assert done.returncode == 2 and b"not UTF-8 text (byte 11 is 0xff)" in done.stderr
    ok = cli("run", "-", "--json", stdin=json.dumps({**SMALL, "title": "café ☕"}).encode())
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["format"] == "wsgiscope/trace@1"
