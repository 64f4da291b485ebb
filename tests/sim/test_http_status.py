"""``sim/stack/http_status.py`` against the installed Werkzeug: the tables are copies of
library data that end up in response bytes, so a version bump must not drift silently."""

from __future__ import annotations

import werkzeug.exceptions
import werkzeug.http

from sim.stack.http_status import HTTP_STATUS_CODES, WERKZEUG_ERROR_CODES, WERKZEUG_ERRORS


def test_status_phrases_are_werkzeugs() -> None:
    assert HTTP_STATUS_CODES == werkzeug.http.HTTP_STATUS_CODES


def test_every_default_exception_is_in_the_table() -> None:
    assert set(WERKZEUG_ERRORS) == set(werkzeug.exceptions.default_exceptions)
    assert frozenset(werkzeug.exceptions.default_exceptions) == WERKZEUG_ERROR_CODES


def test_exception_names_and_descriptions_are_werkzeugs() -> None:
    for code, (name, description) in WERKZEUG_ERRORS.items():
        real = werkzeug.exceptions.default_exceptions[code]
        assert (code, name) == (code, real.__name__)
        assert (code, description) == (code, real.description)
