"""The parts the routers share, composed once in :func:`backend.app.create_app`."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

import sim

from . import i18n
from .assets import static_url_for
from .console import ansi_html
from .errors import AppError
from .gallery import Entry, load_gallery
from .i18n import N_
from .limits import BudgetError, Budgets, ScenarioSchema, check_document, check_work
from .player import Filters, part_key, step_view
from .store import LinkStore
from .traces import FragmentCache, Playback, TraceCache, scenario_key

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("wsgiscope")


@dataclass(frozen=True, slots=True)
class Settings:
    #: SQLite file of share links (env ``WSGISCOPE_DB``).
    db_path: Path = ROOT / "data" / "wsgiscope.sqlite3"
    gallery_dir: Path = ROOT / "gallery"
    templates_dir: Path = ROOT / "frontend" / "templates"
    static_dir: Path = ROOT / "frontend" / "static"
    #: How many bytes of built traces stay in memory (estimated: :meth:`Playback.weight`).
    trace_cache_bytes: int = 256 * 1024 * 1024
    #: What one request may ask of the server: body size, nesting, numbers, clients, steps.
    budgets: Budgets = field(default_factory=Budgets)
    #: Render all steps of a trace in the background when it is first opened, if it has
    #: at most this many steps (0: never).
    prerender_steps: int = 3000

    @property
    def max_scenario_bytes(self) -> int:
        """Largest scenario accepted from the editor or the API, in bytes."""
        return self.budgets.body_bytes

    @classmethod
    def from_env(cls) -> Settings:
        """``WSGISCOPE_DB`` (the links file), ``WSGISCOPE_TRACE_CACHE_MB`` (trace cache)."""
        kwargs: dict[str, Any] = {}
        if db := os.environ.get("WSGISCOPE_DB"):
            kwargs["db_path"] = Path(db)
        if (mb := os.environ.get("WSGISCOPE_TRACE_CACHE_MB", "")).isdigit():
            kwargs["trace_cache_bytes"] = int(mb) * 1024 * 1024
        return cls(**kwargs)


class Background:
    """One worker thread for best-effort background jobs, with at most ``pending`` waiting.

    A thread per job is no bound: a new link opened every second under load started a
    pre-render thread each, and they starved the request threads (a step fragment took
    over 60 s in a soak run). Newest first; when full, the oldest waiting job is dropped
    (its trace is still rendered on demand when stepped). The worker ends when no job is
    left and the next job starts another, so an idle server (or a test's many apps) keeps
    no thread, and :meth:`join` can wait for the work to be done.
    """

    def __init__(self, pending: int = 2) -> None:
        self._jobs: deque[Callable[[], None]] = deque(maxlen=pending)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if len(self._jobs) == self._jobs.maxlen:
                self.dropped += 1
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name=BACKGROUND_THREAD)
                self._thread.start()

    @property
    def idle(self) -> bool:
        """No worker thread: every job has run."""
        return self._thread is None

    def join(self, timeout: float | None = None) -> None:
        """Wait until the worker has run every job and ended."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._thread = None
                    return
                job = self._jobs.pop()
            job()


#: the name of the background worker's thread
BACKGROUND_THREAD = "wsgiscope-background"


@dataclass(slots=True)
class Services:
    settings: Settings
    gallery: dict[str, Entry]
    store: LinkStore
    traces: TraceCache
    templates: Jinja2Templates
    #: the JSON Schema the OpenAPI document gives for scenarios, with the budgets in it
    schema: ScenarioSchema | None = None
    fragments: FragmentCache = field(default_factory=FragmentCache)
    #: slug -> scenario hash, so a cache hit needs no load or hash; a few bytes per slug
    _by_slug: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    prerenderer: Background = field(default_factory=lambda: Background(pending=2))

    @classmethod
    def build(cls, settings: Settings) -> Services:
        templates = Jinja2Templates(directory=str(settings.templates_dir))
        i18n.install(templates.env)
        templates.env.filters["ansi"] = ansi_html
        templates.env.filters["part_key"] = part_key
        templates.env.globals["static_url"] = static_url_for(settings.static_dir)
        return cls(settings=settings, gallery=load_gallery(settings.gallery_dir),
                   store=LinkStore(settings.db_path), traces=TraceCache(settings.trace_cache_bytes),
                   templates=templates,
                   schema=ScenarioSchema(sim.scenario_schema(), settings.budgets))

    def scenario(self, slug: str) -> dict[str, Any]:
        """A gallery scenario or a saved link; :class:`AppError` 404 if there is none."""
        entry = self.gallery.get(slug)
        if entry is not None:
            if not entry.available:
                raise AppError(404, f"the gallery scenario {slug!r} waits for the engine: "
                                    f"{entry.reason}", "slug")
            return entry.scenario
        found = self.store.load(slug)
        if found is None:
            raise AppError(404, N_("no scenario or share link named '{slug}'"), "slug",
                           values={"slug": slug})
        try:
            # Links saved before today's budgets (nested 300 deep, a NaN) stay stored, but
            # are answered with the limit they break instead of failing to serialize.
            check_document(found, self.settings.budgets)
        except BudgetError as e:
            raise AppError(422, f"this saved scenario breaks a limit added since: {e.error}",
                           e.field) from None
        return found

    def render_fragment(self, pb: Playback, key: tuple[Any, ...]) -> bytes:
        """Render one step (``key`` = hash, slug, step, lang, filters) into the cache: its head
        and its body, ``_step_fragment.html``."""
        _, slug, i, lang, filters = key
        v = step_view(pb, i, lang, slug, filters)
        return self.fragments.put(key, self.templates.get_template("_step_fragment.html").render(
            v=v, lang=lang))

    def _prerender(self, pb: Playback, slug: str) -> None:
        """Render every step of a freshly built trace once, in the background.

        Stepping is then a cache hit from the second or so after a link is first opened.
        Only the default view (English, no filter) and traces up to ``prerender_steps``
        long: a bigger one would not fit the fragment cache anyway. Best effort: any
        error just stops it (the request path renders on demand as before).
        """
        try:
            for i in range(pb.total):
                key = (pb.key, slug, i, "en", Filters())
                if self.fragments.get(key) is None:
                    self.render_fragment(pb, key)
                time.sleep(0)  # let request threads have the GIL between steps
        except Exception:  # pragma: no cover - a background nicety, never fatal
            log.exception("pre-rendering %s stopped", slug)

    def slug_key(self, slug: str) -> str | None:
        """The scenario hash of a slug seen before (None if not seen yet)."""
        return self._by_slug.get(slug)

    def playback_of(self, slug: str) -> Playback:
        """The playback of a gallery scenario or saved link, without re-hashing it."""
        key = self._by_slug.get(slug)
        pb = self.traces.peek(key)
        fresh = pb is None
        if pb is None:
            scenario = self.scenario(slug)
            key = key or scenario_key(scenario)
            with self._lock:
                self._by_slug[slug] = key  # links are immutable, so this never goes stale
                while len(self._by_slug) > 4096:
                    self._by_slug.pop(next(iter(self._by_slug)))
            pb = self.playback(scenario, key)
        if fresh and self.settings.prerender_steps and pb.total <= self.settings.prerender_steps:
            self.prerenderer.submit(lambda: self._prerender(pb, slug))
        return pb

    def check(self, scenario: Any) -> None:
        """Refuse, before any work, what is not a scenario or is over the budgets.

        The document checks are the same the API's body parser ran; they are repeated for
        scenarios that come from elsewhere (the editor's quick form, old stored links).
        """
        if not isinstance(scenario, dict):
            raise AppError(422, "a scenario must be a JSON object", "")
        try:
            check_document(scenario, self.settings.budgets)
            check_work(scenario, self.settings.budgets)
            if self.schema is not None:
                self.schema.check(scenario)
        except BudgetError as e:
            raise AppError(e.status, e.error, e.field) from None

    def playback(self, scenario: Any, key: str | None = None) -> Playback:
        """Run (or fetch from the cache) a scenario; bad scenarios become a 422."""
        if key is None or self.traces.peek(key) is None:
            self.check(scenario)
        try:
            return self.traces.get(scenario, key)
        except sim.ScenarioError as e:
            raise AppError(422, e.message, e.field) from None

    def save(self, scenario: Any) -> str:
        self.check(scenario)
        try:
            sim.validate(scenario)
        except sim.ScenarioError as e:
            raise AppError(422, e.message, e.field) from None
        return self.store.save(scenario, scenario_key(scenario),
                               reserved=frozenset(self.gallery))
