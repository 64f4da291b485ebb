"""The gallery teaches: grouped by topic, each scenario names the question it answers, every
question is answered, and the search finds scenarios by their words or their question."""

from __future__ import annotations

import pytest

from backend.gallery import QUESTIONS, TOPICS, comparisons, grouped, load_gallery
from backend.services import ROOT

GALLERY = load_gallery(ROOT / "gallery")


def test_every_question_is_answered_by_a_scenario():
    answered = {e.question for e in GALLERY.values() if e.question}
    assert answered == set(QUESTIONS)
    # and nobody names a question that is not in the list
    assert all(e.scenario.get("x-question", e.question) == e.question for e in GALLERY.values())


def test_every_scenario_has_a_topic_and_a_lesson_in_both_languages():
    for e in GALLERY.values():
        assert e.scenario.get("x-topic") in TOPICS, e.slug
        assert e.lesson("en") and e.lesson("zh") != e.lesson("en"), e.slug
        if e.question:
            assert e.question_in("zh") != e.question, e.slug


def test_answers_waiting_for_a_stack_are_hidden_with_a_reason():
    hidden = [e for e in GALLERY.values() if not e.available]
    assert all(e.reason for e in hidden)
    shown = {e.question for e in GALLERY.values() if e.available and e.question}
    # what the engine simulates today answers most questions; the rest wait for their stack
    assert len(shown) >= 13


def test_grouped_by_topic_in_order_and_searchable():
    entries = list(GALLERY.values())
    groups = grouped(entries, "en")
    order = [TOPICS.index(g["title"]) for g in groups]
    assert order == sorted(order)
    assert sum(len(g["entries"]) for g in groups) == sum(e.available for e in entries)
    found = [e.slug for g in grouped(entries, "en", "hangs") for e in g["entries"]]
    assert "silent-socket" in found  # by its question: "The server hangs when ..."
    zh = [e.slug for g in grouped(entries, "zh", "标签页") for e in g["entries"]]
    assert zh == ["silent-socket", "silent-socket-threaded"]  # "打开第二个标签页时服务器卡住了。"
    assert grouped(entries, "en", "no such words anywhere") == []
    assert grouped(entries, "zh")[0]["title"] == "一个线程，多个客户端"


def test_gallery_page_groups_and_searches(client):
    page = client.get("/").text
    assert 'data-topic="topic-1"' in page and "The server hangs when a second tab is open." in page
    page = client.get("/", params={"q": "chunked"}).text
    assert "/s/chunked-upload?" in page and "/s/two-clients-one-thread?" not in page


def test_every_x_compare_names_a_scenario_of_the_gallery():
    slugs = {e.slug for e in GALLERY.values() if e.available}
    for e in GALLERY.values():
        for other in e.scenario.get("x-compare", []):
            assert other in slugs and other != e.slug, (e.slug, other)


def test_runs_meant_side_by_side_differ_only_in_the_stack():
    # the legacy stream is the threaded Werkzeug 3 stream with only server.kind changed
    def body(slug: str) -> dict:
        doc = GALLERY[slug].scenario
        return {k: v for k, v in doc.items() if not k.startswith("x-") and k != "title"}

    legacy, current = body("legacy-stream"), body("streamed-response")
    assert legacy["server"].pop("kind") == "werkzeug-legacy"
    assert current["server"].pop("kind") == "werkzeug"
    assert legacy == current
    assert "streamed-response" in [o.slug for o in comparisons(list(GALLERY.values()))["legacy-stream"]]


def test_the_gallery_links_variants_of_the_same_question(client):
    html = client.get("/").text
    card = html[html.index('<h4><a href="/s/chunked-upload?step=0"'):]
    card = card[:card.index("</li>")]
    assert 'data-compare="chunked-upload-wsgiref"' in card
    card = html[html.index('<h4><a href="/s/chunked-upload-wsgiref?step=0"'):]
    card = card[:card.index("</li>")]
    assert 'data-compare="chunked-upload"' in card
    assert "对比" in client.get("/?lang=zh").text


def test_the_player_opens_the_other_run_at_its_lesson(client):
    import re

    html = client.get("/s/two-clients-one-thread?step=0").text
    link = re.search(r'href="/s/two-clients-threaded\?step=(\d+)" data-compare', html)
    assert link, "no link to the threaded run"
    step = client.get(f"/api/v1/scenarios/two-clients-threaded/steps/{link.group(1)}").json()
    assert step["client"] == "c2"  # the second client, served at once by its own thread
    back = client.get("/s/two-clients-threaded?step=0").text
    link = re.search(r'href="/s/two-clients-one-thread\?step=(\d+)" data-compare', back)
    step = client.get(f"/api/v1/scenarios/two-clients-one-thread/steps/{link.group(1)}").json()
    assert step["client"] == "c2" and step["actor"] == "kernel"  # queued in the listen backlog


@pytest.mark.parametrize(("slug", "other", "event"), [
    # c2 queued behind the silent c1, not c1 giving up 3 s later (in both runs)
    ("silent-socket-threaded", "silent-socket", "backlog_queued"),
    # c2 taken by a thread of its own at once
    ("silent-socket", "silent-socket-threaded", "process_request_threaded"),
])
def test_a_client_giving_up_is_not_the_other_runs_lesson(client, slug, other, event):
    import re

    html = client.get(f"/s/{slug}?step=0").text
    link = re.search(rf'href="/s/{other}\?step=(\d+)" data-compare', html)
    step = client.get(f"/api/v1/scenarios/{other}/trace").json()["steps"][int(link.group(1))]
    assert (step["client"], step["event"]) == ("c2", event)


def test_the_card_says_how_the_server_really_runs():
    """``app.run`` runs a thread per connection unless the scenario says otherwise: a
    scenario that leaves ``threaded`` out is threaded, as the engine runs it."""
    by_slug = {e.slug: e.kind for e in GALLERY.values()}
    assert by_slug["same-requests-werkzeug"] == "werkzeug, threaded"
    assert by_slug["same-requests-legacy"] == "werkzeug-legacy, threaded"
    assert by_slug["two-clients-one-thread"] == "werkzeug, one thread"
    # its loop is one thread, yet it serves connections side by side: not "one thread"
    assert by_slug["forking-children"] == "werkzeug-legacy, a process per connection"


def test_the_home_page_says_a_newcomer_can_write_a_scenario(client):
    """Besides the nav's "Editor", the intro itself says one can write one's own."""
    intro = client.get("/").text.split('aria-labelledby="intro-title"')[1].split("</section>")[0]
    assert '<a class="btn small" href="/edit">Write a scenario</a>' in intro
    zh = client.get("/?lang=zh").text.split('aria-labelledby="intro-title"')[1].split("</section>")[0]
    assert "也可以自己写一个" in zh and 'href="/edit"' in zh
