"""Static files: pages name them by versioned URLs, which may be cached for good; anything
else revalidates (backend/assets.py)."""

from __future__ import annotations

import hashlib
import re

from backend.services import ROOT

STATIC = ROOT / "frontend" / "static"


def test_pages_use_versioned_urls_that_change_with_the_file(client):
    html = client.get("/").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert urls and all("?v=" in url for url in urls), urls
    css = next(url for url in urls if url.startswith("/static/app.css"))
    assert css == f"/static/app.css?v={hashlib.sha256((STATIC / 'app.css').read_bytes()).hexdigest()[:12]}"


def test_the_current_version_is_cached_for_good_and_others_revalidate(client):
    current = re.search(r'href="(/static/app\.css\?v=\w+)"', client.get("/").text)[1]
    assert client.get(current).headers["cache-control"] == "public, max-age=31536000, immutable"
    for url in ("/static/app.css", "/static/app.css?v=000000000000"):
        r = client.get(url)
        assert r.headers["cache-control"] == "no-cache"
        again = client.get(url, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
