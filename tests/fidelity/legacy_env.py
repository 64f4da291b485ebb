"""The legacy stack's own virtual environment: Werkzeug 0.16.1 + Flask 1.1.4.

They cannot share ``.venv`` with Werkzeug 3 / Flask 3, so the harness makes ``.venv-legacy/``
itself (same interpreter as the tests, ``python -m venv``), installs ``requirements-legacy.txt``
into it with pip, and keeps it while that file is unchanged (a stamp holds its sha256).
``python -m tests.fidelity.legacy_env`` prints the interpreter's path (creating it if needed).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "requirements-legacy.txt"
VENV = Path(os.environ.get("WSGISCOPE_LEGACY_VENV", REPO_ROOT / ".venv-legacy"))
STAMP_NAME = ".wsgiscope-legacy.sha256"
#: What ``import werkzeug, flask`` must report inside it.
VERSIONS = {"werkzeug": "0.16.1", "flask": "1.1.4"}


def legacy_python() -> Path:
    """The legacy environment's interpreter, created or refreshed first when needed.

    Several test processes may ask at once (pytest-xdist, parallel runs): an exclusive
    lock file beside the environment makes one of them build it while the others wait.
    """
    python = VENV / "bin" / "python"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / ".venv-legacy.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = VENV / STAMP_NAME
        if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
            return python
        if not python.exists():
            _run([sys.executable, "-m", "venv", str(VENV)])
        _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              "-r", str(REQUIREMENTS)])
        _check_versions(python)
        stamp.write_text(wanted + "\n")
    return python


def _check_versions(python: Path) -> None:
    code = "import flask, werkzeug; print(werkzeug.__version__, flask.__version__)"
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.split()
    if found != [VERSIONS["werkzeug"], VERSIONS["flask"]]:
        raise RuntimeError(f"{VENV}: expected Werkzeug/Flask {VERSIONS}, found {found}")


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")


if __name__ == "__main__":
    print(legacy_python())
