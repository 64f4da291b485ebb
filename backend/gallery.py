"""The ready scenarios in ``gallery/*.json``.

A file ``NN-some-name.json`` becomes the slug ``some-name``; the number only orders the
gallery. Each is a plain wsgiscope/scenario@1 document with a ``title`` and an ``x-lesson``
one-liner, the topic it is grouped under (``x-topic``) and the question it answers
(``x-question``) (``x-`` fields are allowed by the contract), in English, and the slugs of
scenarios that differ from it in one thing (``x-compare``); their translations
are in the catalogs (``backend/i18n.py``). ``gallery/pending/`` holds scenarios that need a
field their stack does not accept yet; they are shown once the engine accepts them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sim

from .i18n import LANGUAGES, N_, tr

_PREFIX = re.compile(r"^\d+-")


@dataclass(frozen=True, slots=True)
class Entry:
    slug: str
    scenario: dict[str, Any]
    #: False when the engine does not simulate this stack yet (the entry stays hidden).
    available: bool = True
    reason: str = ""

    @property
    def title(self) -> str:
        return str(self.scenario.get("title") or self.slug)

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (the catalogs hold the gallery's words: backend/i18n.py)."""
        return tr(self.title, lang)

    def lesson(self, lang: str) -> str:
        return tr(str(self.scenario.get("x-lesson", "")), lang)

    @property
    def server_kind(self) -> str:
        """``server.kind``: which stack answers (its own bytes, headers and their order)."""
        return str((self.scenario.get("server") or {}).get("kind", "werkzeug"))

    @property
    def kind(self) -> str:
        server = self.scenario.get("server") or {}
        kind = str(server.get("kind", "werkzeug"))
        if kind.startswith("werkzeug"):
            processes = int(server.get("processes") or 1)
            threads = sim.STACKS[kind].runs_threads(server.get("start"), server.get("threaded"))
            # a forking server's loop is one thread, but it serves many connections at once
            kind += ", " + (N_("a process per connection") if processes > 1 else
                            N_("threaded") if threads else N_("one thread"))
        return kind

    def kind_in(self, lang: str) -> str:
        """The server kind and threading, as the card's tag says it in ``lang``."""
        kind, _, threading = self.kind.partition(", ")
        return f"{kind}, {tr(threading, lang)}" if threading else kind

    @property
    def topic(self) -> str:
        """The topic it is grouped under (one of :data:`TOPICS`, in English)."""
        topic = self.scenario.get("x-topic")
        return topic if topic in TOPICS else TOPICS[2]

    @property
    def question(self) -> str:
        """The developer question it answers (one of :data:`QUESTIONS`), or ""."""
        q = self.scenario.get("x-question")
        return q if q in QUESTIONS else ""

    def question_in(self, lang: str) -> str:
        return tr(self.question, lang)

    def search_text(self) -> str:
        """What the gallery's search looks in: title, lesson and question, in every language."""
        parts = [self.kind, *(f(lang) for lang in LANGUAGES
                              for f in (self.title_in, self.lesson, self.question_in))]
        return " ".join(parts).lower()


#: Topics of the gallery, in display order (``x-topic``; translated by the catalogs).
TOPICS = (N_("One thread, many clients"), N_("Reading the request"), N_("Flask's request cycle"),
          N_("Streaming responses"), N_("Other servers, other rules"))

#: Questions developers really ask about the dev server and wsgiref; each gallery scenario
#: names the one it answers (``x-question``), and ``tests/web/test_gallery.py`` checks that
#: every one is answered by some scenario.
QUESTIONS = (
    N_("The server hangs when a second tab is open."),
    N_("My POST hangs forever."),
    N_("The second POST gets a 405 and the log shows {}POST."),
    N_("Why HTTP/1.0 here and HTTP/1.1 there?"),
    N_("request.data is empty with Transfer-Encoding: chunked."),
    N_("With Expect: 100-continue the app can't refuse before the upload."),
    N_("\"Working outside of request context\" in a generator."),
    N_("BrokenPipe / ConnectionResetError tracebacks."),
    N_("When is after_request skipped?"),
    N_("Why do after_request hooks run in reverse order?"),
    N_("My view never ran."),
    N_("My 404 handler doesn't fire."),
    N_("HEAD ran my GET view, or HEAD gives a 500."),
    N_("My code runs twice / Address already in use."),
    N_("Saving a file cut my request off."),
    N_("A very long URL gives a 414."),
    N_("wsgiref served once and exited."),
    N_("AssertionError: Hop-by-hop headers not allowed."),
)


def comparisons(entries: list[Entry]) -> dict[str, list[Entry]]:
    """slug -> the other available scenarios to compare it with, in gallery order: those
    answering the same question (the same app on another stack or setting), and those an
    ``x-compare`` list names, either way round (``tests/web/test_gallery_page.py`` checks
    every name)."""
    shown = [e for e in entries if e.available]
    by_slug = {e.slug: e for e in shown}
    pairs: set[tuple[str, str]] = set()
    for e in shown:
        for other in e.scenario.get("x-compare") or ():
            if other in by_slug and other != e.slug:
                pairs |= {(e.slug, other), (other, e.slug)}
        pairs |= {(e.slug, o.slug) for o in shown
                  if o.slug != e.slug and e.question and o.question == e.question}
    return {e.slug: [o for o in shown if (e.slug, o.slug) in pairs] for e in shown
            if any(a == e.slug for a, _ in pairs)}


def grouped(entries: list[Entry], lang: str, query: str = "") -> list[dict[str, Any]]:
    """Available entries by topic (in :data:`TOPICS` order), those matching ``query``."""
    q = query.strip().lower()
    out = []
    for n, topic in enumerate(TOPICS):
        chosen = [e for e in entries if e.available and e.topic == topic
                  and (not q or all(word in e.search_text() for word in q.split()))]
        if chosen:
            out.append({"id": f"topic-{n + 1}", "title": tr(topic, lang), "entries": chosen})
    return out


def load_gallery(directory: Path) -> dict[str, Entry]:
    """All gallery files; those the engine refuses (a stack not simulated yet) are marked."""
    entries: dict[str, Entry] = {}
    # pending/: scenarios that need a field their stack does not accept yet (wsgiref's
    # handle_request, the reloader); kept apart so that tests running every gallery
    # scenario run only valid ones, shown here as soon as the engine accepts them.
    for path in [*sorted(directory.glob("*.json")), *sorted(directory.glob("pending/*.json"))]:
        slug = _PREFIX.sub("", path.stem)
        scenario = json.loads(path.read_text(encoding="utf-8"))
        try:
            sim.validate(scenario)
            reason = _not_landed(scenario)
        except sim.ScenarioError as e:
            reason = str(e)
        entries[slug] = Entry(slug, scenario, available=not reason, reason=reason)
    return entries


#: A stack has landed in the engine when its trace names functions only it has.
_SIGNATURE = {
    "wsgiref": lambda q: q.startswith("wsgiref."),
    # the 0.15/0.16 run_simple wraps the server in a local inner() (seed 002)
    "werkzeug-legacy": lambda q: q.endswith("run_simple.<locals>.inner"),
}


def _not_landed(scenario: dict[str, Any]) -> str:
    """Why a gallery scenario's stack is not simulated yet ("" when it is).

    An engine that accepts ``server.kind`` but runs another stack would teach the wrong
    lesson, so the gallery waits until the trace carries the stack's own functions.
    """
    kind = (scenario.get("server") or {}).get("kind", "werkzeug")
    check = _SIGNATURE.get(kind)
    if check is None:
        return ""
    trace = sim.run(scenario)
    if any(check(step.qualname or "") for step in trace.steps):
        return ""
    return f"the engine does not simulate server.kind {kind!r} yet"
