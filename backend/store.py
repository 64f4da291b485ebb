"""Share links: short slugs for saved scenarios, kept in SQLite.

Links are content-addressed and append-only: saving the same scenario twice returns the
same slug, and nothing ever updates or deletes a row, so a link once handed out keeps
working ("saving never loses earlier links"). The slug is a prefix of the scenario's hash
in an unambiguous alphabet, grown by one character on the (rare) prefix collision.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/1/i/l/o: easy to read aloud
SLUG_RE = re.compile(rf"^[{_ALPHABET}]{{7,64}}$")
_MIN_LEN = 7

_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    slug       TEXT PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    scenario   TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""


def _encode(hexdigest: str) -> str:
    n = int(hexdigest, 16)
    out = []
    while n:
        n, r = divmod(n, len(_ALPHABET))
        out.append(_ALPHABET[r])
    return "".join(out) or _ALPHABET[0]


class LinkStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # One short connection per operation: safe across uvicorn's threadpool.
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def save(self, scenario: dict[str, Any], key: str, reserved: frozenset[str] = frozenset()
             ) -> str:
        """Store ``scenario`` (whose hash is ``key``) and return its slug."""
        blob = json.dumps(scenario, ensure_ascii=False, separators=(",", ":"))
        code = _encode(key)
        with self._connect() as db:
            row = db.execute("SELECT slug FROM links WHERE key = ?", (key,)).fetchone()
            if row:
                return row[0]
            for length in range(_MIN_LEN, len(code) + 1):
                slug = code[:length]
                if slug in reserved:
                    continue
                cur = db.execute(
                    "INSERT OR IGNORE INTO links (slug, key, scenario) VALUES (?, ?, ?)",
                    (slug, key, blob))
                if cur.rowcount == 1:
                    return slug
            raise RuntimeError("no free slug")  # needs a full 256-bit hash collision

    def load(self, slug: str) -> dict[str, Any] | None:
        if not SLUG_RE.match(slug):
            return None
        with self._connect() as db:
            row = db.execute("SELECT scenario FROM links WHERE slug = ?", (slug,)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT count(*) FROM links").fetchone()[0]
