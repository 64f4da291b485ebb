"""``blinker.base.Signal.send``: how Flask's signals go out (Flask 3.1.3 on blinker 1.9).

Flask sends its signals (``flask/signals.py``) at fixed points of every request, whether or
not anything listens: ``request_started`` in ``full_dispatch_request``, ``request_finished``
in ``finalize_request``, ``got_request_exception`` in ``handle_exception``,
``request_tearing_down`` and ``appcontext_tearing_down`` after the teardown functions,
``appcontext_pushed`` and ``appcontext_popped`` in ``AppContext.push`` and ``pop``. Each is a
call of ``Signal.send`` (``NamedSignal`` inherits it, so the profile names it
``blinker.base.Signal.send``). A scenario connects no receiver, so ``receivers_for`` yields
nothing and ``send`` returns ``[]``: the step is the call itself.
"""

from __future__ import annotations

from typing import NamedTuple

SEND = "blinker.base.Signal.send"


#: Flask 1.1 without blinker installed (as in the pinned legacy stack): ``flask.signals``
#: falls back to ``_FakeSignal``, whose ``send`` is ``pass``.
FAKE_SEND = "flask.signals._FakeSignal.send"

#: each signal, and the Flask function that sends it
SENDERS = {
    "appcontext_pushed": "AppContext.push",
    "request_started": "Flask.full_dispatch_request",
    "got_request_exception": "Flask.handle_exception",
    "request_finished": "Flask.finalize_request",
    "request_tearing_down": "Flask.do_teardown_request",
    "appcontext_tearing_down": "Flask.do_teardown_appcontext",
    "appcontext_popped": "AppContext.pop",
}


class SendStep(NamedTuple):
    """What the step of one ``signal.send(sender, ...)`` records, no receiver connected:
    the same at every send of that signal."""

    key: str
    args: dict[str, str]
    line: str


def send_steps(qualname: str = SEND) -> dict[str, SendStep]:
    """The step of each signal's ``send`` (``qualname``: blinker's, or Flask 1.1's
    ``_FakeSignal.send``), made once per app rather than once per send."""
    line = "for receiver in self.receivers_for(sender):" if qualname == SEND else "pass"
    return {signal: SendStep(f"signal_{signal}", {"caller": caller}, line)
            for signal, caller in SENDERS.items()}
