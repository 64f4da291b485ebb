"""``mimetypes.MimeTypes.guess_type`` over a table the caller hands in.

Werkzeug's ``send_file`` asks ``mimetypes.guess_type(download_name)`` for a static file's
``Content-Type`` and ``Content-Encoding``. The real answer depends on the machine:
``mimetypes.init()`` reads ``/etc/mime.types`` (and its siblings) over CPython's built-in
table, so ``app.js`` is ``text/javascript`` on one machine and ``application/javascript`` on
another. Reading those files would be I/O, which the engine never does: the table is data
passed in at the boundary (``sim.run(scenario, mimetypes=...)``). Without one, the engine
uses :data:`SNAPSHOT`, the table of the reference machine (``sim/_mime_snapshot.py``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import _mime_snapshot


@dataclass(frozen=True, slots=True)
class MimeTypes:
    """The three tables ``MimeTypes.guess_type`` reads (``strict=True``): extension ->
    type, compression suffix -> encoding, and suffix aliases (``.tgz`` -> ``.tar.gz``)."""

    types_map: Mapping[str, str]
    encodings_map: Mapping[str, str] = field(default_factory=dict)
    suffix_map: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, types_map: Mapping[str, str], encodings_map: Mapping[str, str],
           suffix_map: Mapping[str, str]) -> MimeTypes:
        """Copies of the tables (``mimetypes.types_map``, ``.encodings_map``, ``.suffix_map``
        of an initialized ``mimetypes`` module, for the machine's own table)."""
        return cls(MappingProxyType(dict(types_map)), MappingProxyType(dict(encodings_map)),
                   MappingProxyType(dict(suffix_map)))

    def guess_type(self, name: str) -> tuple[str | None, str | None]:
        """``MimeTypes.guess_type(name)`` for a file name (no URL scheme: a static file's
        name cannot hold ``:``)."""
        base, ext = posixpath.splitext(name)
        while (ext_lower := ext.lower()) in self.suffix_map:
            base, ext = posixpath.splitext(base + self.suffix_map[ext_lower])
        # encodings_map is case sensitive
        if ext in self.encodings_map:
            encoding: str | None = self.encodings_map[ext]
            base, ext = posixpath.splitext(base)
        else:
            encoding = None
        return self.types_map.get(ext.lower()), encoding


#: The reference machine's table (CPython 3.11.7 + Debian's /etc/mime.types).
SNAPSHOT = MimeTypes.of(_mime_snapshot.TYPES_MAP, _mime_snapshot.ENCODINGS_MAP, _mime_snapshot.SUFFIX_MAP)
