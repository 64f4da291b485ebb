"""The source of Werkzeug 0.16.1 and Flask 1.1.4 (``server.kind: "werkzeug-legacy"``).

They cannot be imported next to Werkzeug 3 / Flask 3 (same package names), and the web
process never imports them: their files are read as text and their functions found with
``ast``. The files come from the pinned wheels (``requirements-legacy.txt``), which
:func:`fetch_wheels` downloads with pip into ``.legacy-src/`` (git-ignored) and unpacks;
``python -m backend`` does that at startup when they are missing, and
``python -m backend.legacy_source`` does it on its own. A legacy virtual environment made by
the fidelity harness (``.venv-legacy/``) holds the same files and is used when present.
Nothing of them is committed.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "requirements-legacy.txt"
SOURCE_DIR = Path(os.environ.get("WSGISCOPE_LEGACY_SRC", REPO_ROOT / ".legacy-src"))
#: the distributions whose source the pane shows, and their import roots
DISTRIBUTIONS = {"Werkzeug": "werkzeug", "Flask": "flask"}
ROOTS = frozenset(DISTRIBUTIONS.values())


class LegacySourceMissing(LookupError):
    """The legacy wheels are not here (no network at install time, or not fetched yet)."""


@dataclass(frozen=True, slots=True)
class Found:
    """A function or class found in a legacy module's text."""

    module: str
    path: Path
    #: 1-based first line (the first decorator, if any) and last line
    start: int
    end: int
    #: 1-based line of the ``def``/``class`` itself
    def_line: int


def pinned() -> dict[str, str]:
    """``{"Werkzeug": "0.16.1", "Flask": "1.1.4"}`` from requirements-legacy.txt."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and name.strip() in DISTRIBUTIONS:
            pins[name.strip()] = version.strip()
    return pins


def fetch_wheels(target: Path = SOURCE_DIR) -> Path:
    """Download the pinned wheels (no dependencies) with pip and unpack them."""
    wheels = target / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    specs = [f"{name}=={version}" for name, version in pinned().items()]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                    "-d", str(wheels), *specs], check=True)
    unpacked = target / "site-packages"
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(unpacked)
    site_packages.cache_clear()
    return unpacked


@lru_cache(maxsize=1)
def site_packages() -> Path:
    """Where the legacy files are: the unpacked wheels, else the legacy environment."""
    candidates = [SOURCE_DIR / "site-packages",
                  *sorted((REPO_ROOT / ".venv-legacy" / "lib").glob("python3*/site-packages"))]
    for candidate in candidates:
        if all((candidate / root / "__init__.py").exists() for root in ROOTS):
            return candidate
    raise LegacySourceMissing("the Werkzeug 0.16.1 / Flask 1.1.4 wheels are not fetched "
                              "(python -m backend.legacy_source)")


def module_file(module: str) -> Path | None:
    base = site_packages().joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


@lru_cache(maxsize=64)
def module_lines(module: str) -> tuple[str, ...]:
    path = module_file(module)
    if path is None:
        raise LookupError(module)
    return tuple(path.read_text(encoding="utf-8").splitlines())


@lru_cache(maxsize=64)
def _tree(module: str) -> ast.Module:
    return ast.parse("\n".join(module_lines(module)))


def find(qualname: str) -> Found:
    """The function or class ``qualname`` names (``werkzeug.serving.run_simple.<locals>.inner``).
    Raises LookupError when there is none."""
    parts = qualname.split(".")
    if parts[0] not in ROOTS:
        raise LookupError(qualname)
    for k in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:k])
        if module_file(module) is not None:
            break
    else:
        raise LookupError(qualname)
    node: ast.AST = _tree(module)
    rest = parts[k:]
    i = 0
    while i < len(rest):
        name = rest[i]
        if name == "<locals>":
            i += 1
            node = _nested(node, rest[i])
        else:
            node = _member(node, name)
        i += 1
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return Found(module, module_file(module), start, node.end_lineno or node.lineno, node.lineno)


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _member(node: ast.AST, name: str) -> ast.AST:
    """A class or function defined at the top of a module or class body (or under an
    ``if``/``try`` there, as 0.16 defines some per platform); the last one wins, as at
    run time."""
    found = None
    stack = list(getattr(node, "body", []))
    while stack:
        child = stack.pop(0)
        if isinstance(child, _DEFS):
            if child.name == name:
                found = child
        elif isinstance(child, ast.If | ast.Try):
            stack[:0] = [*child.body, *getattr(child, "orelse", []),
                         *(h for handler in getattr(child, "handlers", []) for h in handler.body),
                         *getattr(child, "finalbody", [])]
    if found is None:
        raise LookupError(name)
    return found


def _nested(node: ast.AST, name: str) -> ast.AST:
    """A function defined inside ``node``'s body (not inside a deeper function)."""
    stack = list(getattr(node, "body", []))
    while stack:
        child = stack.pop(0)
        if isinstance(child, _DEFS):
            if child.name == name:
                return child
            continue
        stack[:0] = [c for c in ast.iter_child_nodes(child) if isinstance(c, ast.stmt)]
    raise LookupError(name)


if __name__ == "__main__":
    print(fetch_wheels())
