"""The engine's default mimetypes table is the reference machine's, and static files get the
type and encoding the real ``mimetypes.guess_type`` gives."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import pytest

import sim
from sim import mimetable

from .mime_snapshot import machine_table, snapshot_source

NAMES = ["app.js", "notes.gz", "archive.tar.gz", "x.tgz", "page.HTML.bz2", "doc.xz", "a.Z", "b.br",
         "README", "raw.bin", "font.woff2", "pic.svgz", "data.json", ".hidden", "a.tar.GZ"]


def test_snapshot_is_this_machines_table() -> None:
    """The snapshot in sim/_mime_snapshot.py is what `python -m tests.fidelity.mime_snapshot` writes
    here (regenerate it when the reference machine's /etc/mime.types changes)."""
    table = machine_table()
    assert dict(mimetable.SNAPSHOT.types_map) == dict(table.types_map)
    assert dict(mimetable.SNAPSHOT.encodings_map) == dict(table.encodings_map)
    assert dict(mimetable.SNAPSHOT.suffix_map) == dict(table.suffix_map)
    assert snapshot_source().split("# fmt: off", 1)[1] in Path(mimetable._mime_snapshot.__file__).read_text()


@pytest.mark.parametrize("name", NAMES)
def test_guess_type_is_the_stdlibs(name: str) -> None:
    mimetypes.init()
    assert machine_table().guess_type(name) == mimetypes.guess_type(name)


def test_the_table_is_passed_in() -> None:
    """A caller's own table decides the static file's type and encoding."""
    scenario = {
        "format": "wsgiscope/scenario@1",
        "server": {"threaded": False},
        "app": {"static_files": {"app.js": {"text": "x"}}},
        "clients": [{"id": "c1", "send": ["GET /static/app.js HTTP/1.0\r\n\r\n"]}],
    }
    own = sim.MimeTypes.of({".js": "application/x-mine"}, {}, {})
    assert b"Content-Type: application/x-mine\r\n" in sim.run(scenario, mimetypes=own).clients["c1"].received
    zipped = sim.MimeTypes.of({}, {".js": "x-zip"}, {})
    received = sim.run(scenario, mimetypes=zipped).clients["c1"].received
    assert received.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"\r\nContent-Encoding: x-zip\r\nContent-Disposition: inline; filename=app.js\r\n" in received
    assert b"Content-Type: application/octet-stream\r\n" in received
    assert b"Content-Type: text/javascript; charset=utf-8\r\n" in sim.run(scenario).clients["c1"].received
