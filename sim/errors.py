"""The engine's error tree: one base class, specific subclasses that carry what the caller needs."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario the engine cannot run. ``field`` is the dotted path of what is wrong."""

    def __init__(self, field: str, message: str, *, kind: str = "",
                 ctx: dict[str, str] | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        #: dotted path of the offending field (``clients.1.send.0.after``), ``""`` for the whole
        self.field = field
        #: what is wrong with it, in one sentence (English)
        self.message = message
        #: for a validation error, its type (``missing``, ``literal_error``, ``unknown_field``)
        #: and the values its message template was filled with, so that a caller can say
        #: the same in another language; ``""`` for the engine's other checks
        self.kind = kind
        self.ctx = ctx or {}


class LimitExceeded(ScenarioError):
    """The scenario is valid but would exceed a resource limit (clients, bytes, steps)."""
