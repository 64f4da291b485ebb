"""Distinct, valid scenarios for the load and soak runs: scenario ``n`` is the same every time."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("/", "/missing", "/echo", "/items/7")


def distinct(n: int) -> dict[str, Any]:
    """Scenario number ``n``: 1-12 clients with varied requests on a small app."""
    rnd = random.Random(n)
    clients = []
    for k in range(rnd.randint(1, 12)):
        path = rnd.choice(PATHS)
        if path == "/echo":
            head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
            send: list[Any] = [head, {"after": rnd.randint(0, 50), "data": "ping"}]
        else:
            send = [f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"]
        clients.append({"id": f"c{k + 1}", "at": rnd.randint(0, 200), "send": send})
    return {
        "format": "wsgiscope/scenario@1",
        "title": f"soak scenario {n}",
        "server": {"kind": "werkzeug", "threaded": rnd.random() < 0.5},
        "app": {
            "name": "app",
            "routes": [
                {"rule": "/", "endpoint": "index", "view": {"text": f"<p>{n}</p>"}},
                {"rule": "/echo", "methods": ["POST"], "endpoint": "echo",
                 "view": {"echo": True}},
                {"rule": "/items/<int:id>", "endpoint": "item", "view": {"json": {"id": "{id}"}}},
            ],
            "before_request": [{"name": f"hook{j}"} for j in range(rnd.randint(0, 3))],
        },
        "clients": clients,
    }


def gallery_slugs() -> list[str]:
    out = []
    for p in sorted((ROOT / "gallery").glob("*.json")):
        s = json.loads(p.read_text(encoding="utf-8"))
        if s.get("server", {}).get("kind") == "werkzeug":
            out.append(p.stem.split("-", 1)[1])
    return out
