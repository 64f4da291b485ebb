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

from ..trace import Phase

SEND = "blinker.base.Signal.send"


#: Flask 1.1 without blinker installed (as in the pinned legacy stack): ``flask.signals``
#: falls back to ``_FakeSignal``, whose ``send`` is ``pass``.
FAKE_SEND = "flask.signals._FakeSignal.send"


def send(rec, actor: str, client: str | None, signal: str, caller: str, qualname: str = SEND) -> None:
    """``signal.send(sender, ...)`` from the Flask function ``caller``, no receiver connected."""
    rec.step(actor, client, Phase.APP, qualname, f"signal_{signal}", {"caller": caller},
             line="for receiver in self.receivers_for(sender):" if qualname == SEND else "pass")
