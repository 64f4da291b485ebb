"""The player's lanes, and which lane a step is in.

The page draws seven lanes, left to right in the order a request travels through them.
They are the engine's layers (``sim.Layer``): a step says where its work happens
(``step.layer``), so nothing here guesses from a qualname's text.
"""

from __future__ import annotations

from typing import Final

import sim

from .i18n import N_

#: Lane ids in display order, with their labels (long, and short for narrow screens).
LANES: Final[tuple[tuple[str, str, str], ...]] = (
    ("client", N_("Client"), N_("Cli")),
    ("kernel", N_("Kernel"), N_("Kern")),
    ("loop", N_("Server loop"), N_("Loop")),
    ("handler", N_("Handler"), N_("Hdlr")),
    ("wsgi", "WSGI", "WSGI"),
    ("flask", "Flask", "Flask"),
    ("view", N_("View"), N_("View")),
)
LANE_IDS: Final[tuple[str, ...]] = tuple(lane for lane, _, _ in LANES)
assert LANE_IDS == sim.LAYER_NAMES, "the lanes are the engine's layers, in its order"


def lane_of(step: sim.Step) -> str:
    """The lane of a step: the layer the engine recorded for it."""
    return step.layer.value
