"""Share links: content-addressed, append-only, never lost."""

import sqlite3

from backend.store import SLUG_RE, LinkStore
from backend.traces import scenario_key


def test_save_load_and_idempotent(tmp_path):
    store = LinkStore(tmp_path / "l.sqlite3")
    a, b = {"title": "a"}, {"title": "b"}
    sa = store.save(a, scenario_key(a))
    assert SLUG_RE.match(sa)
    assert store.save(a, scenario_key(a)) == sa
    sb = store.save(b, scenario_key(b))
    assert sb != sa
    assert store.load(sa) == a and store.load(sb) == b
    assert store.count() == 2


def test_links_survive_reopen(tmp_path):
    path = tmp_path / "l.sqlite3"
    s = {"title": "keep me"}
    slug = LinkStore(path).save(s, scenario_key(s))
    assert LinkStore(path).load(slug) == s


def test_prefix_collision_grows_the_slug(tmp_path):
    path = tmp_path / "l.sqlite3"
    store = LinkStore(path)
    s = {"title": "x"}
    key = scenario_key(s)
    first = store.save(s, key)
    # Another scenario whose hash shares the first 7 characters of the slug:
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM links")
        db.execute("INSERT INTO links (slug, key, scenario) VALUES (?, ?, ?)",
                   (first, "other-key", "{}"))
    second = store.save(s, key)
    assert second != first and second.startswith(first)
    assert store.load(first) == {}  # the earlier link is untouched


def test_bad_slugs_load_nothing(tmp_path):
    store = LinkStore(tmp_path / "l.sqlite3")
    for slug in ["", "x", "../../etc", "AAAAAAAA", "1111111", "' OR 1=1 --"]:
        assert store.load(slug) is None


def test_reserved_slugs_are_skipped(tmp_path):
    store = LinkStore(tmp_path / "l.sqlite3")
    s = {"title": "r"}
    key = scenario_key(s)
    from backend.store import _encode
    slug = store.save(s, key, reserved=frozenset({_encode(key)[:7]}))
    assert len(slug) == 8
