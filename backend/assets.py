"""Static files with versioned URLs, so browsers keep them as long as they are unchanged.

A template names an asset with ``static_url("app.css")``, which gives
``/static/app.css?v=<first 12 hex of its sha256>``. A request that carries the current
version is answered ``Cache-Control: public, max-age=31536000, immutable`` (the URL changes
whenever the file does, so it can never be stale); any other request for the file (an old
version, or no version) gets ``no-cache``: the browser revalidates with the ETag and gets a
304 when nothing changed.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

#: A year: the longest lifetime RFC 9111 caches are expected to honour.
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache(maxsize=256)
def _version(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def file_version(directory: Path, name: str) -> str:
    """The current version of ``directory/name`` (its content's hash; cached per mtime)."""
    path = directory / name
    stat = path.stat()
    return _version(path, stat.st_mtime_ns, stat.st_size)


class VersionedStaticFiles(StaticFiles):
    """``StaticFiles`` that says how long a response may be cached (see the module doc)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.root = Path(directory)

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        wanted = _query_version(scope)
        current = _version(Path(full_path), stat_result.st_mtime_ns, stat_result.st_size)
        response.headers["Cache-Control"] = FOREVER if wanted == current else REVALIDATE
        return response


def _query_version(scope: Scope) -> str | None:
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        key, _, value = part.partition("=")
        if key == "v":
            return value
    return None


def static_url_for(directory: Path):
    """The ``static_url`` template function for files under ``directory``."""

    def static_url(name: str) -> str:
        return f"/static/{name}?v={file_version(directory, name)}"

    return static_url
