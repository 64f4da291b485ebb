"""The engine's unit tests import ``sim`` from the repository and ``simhelpers`` from here."""

from __future__ import annotations

import sys
from pathlib import Path

# `pytest` (not `python -m pytest`) does not put the repository on sys.path.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
