"""API and page tests: the app in-process through FastAPI's TestClient, a temp link DB."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

# `pytest` (not `python -m pytest`) does not put the repository on sys.path.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from backend.app import create_app  # noqa: E402
from backend.services import ROOT, Settings  # noqa: E402

GALLERY = ROOT / "gallery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "links.sqlite3")


@pytest.fixture
def client(settings: Settings) -> TestClient:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def one_get() -> dict:
    return json.loads((GALLERY / "01-one-get.json").read_text(encoding="utf-8"))
