"""The real source of the function a step names, read from the installed library.

A step's ``qualname`` is ``module + "." + __qualname__`` of a real function (see the trace
contract in DESIGN.md). We import the module, walk the attributes, and for nested functions
(``run_wsgi.<locals>.execute``) find the inner code object among the outer function's
``co_consts`` -- the same thing ``inspect`` would find if the closure existed. Nothing is
copied into the repository: the page always shows what is installed, so the pane and the
fidelity tests agree on the library version.

Only a fixed set of module roots may be imported: the qualname comes from the URL, and
importing an arbitrary module name (``antigravity``) is a side effect we never want.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import sysconfig
import threading
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: Module roots whose source the page may show (the layers of the stack the engine models).
ALLOWED_ROOTS = ("socketserver", "http.server", "http.client", "socket", "selectors",
                 "wsgiref", "werkzeug", "flask", "blinker")


class SourceNotFound(LookupError):
    """No source for this qualname: not an allowed module, no such attribute, or no file."""

    def __init__(self, qualname: str, reason: str) -> None:
        super().__init__(f"{qualname}: {reason}")
        self.qualname = qualname
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FunctionSource:
    qualname: str
    module: str
    #: Path shown to people: relative to site-packages or the stdlib directory.
    display_path: str
    #: Line number of the first line of ``lines`` in the file (1-based).
    start: int
    lines: tuple[str, ...]
    #: Index into ``lines`` of the ``def`` line (after decorators).
    def_index: int

    def line_for(self, fragment: str | None) -> int:
        """Index into ``lines`` of the first line containing ``fragment``, else the def line."""
        if fragment:
            needle = fragment.strip()
            for n, text in enumerate(self.lines):
                if needle in text:
                    return n
        return self.def_index


@dataclass(frozen=True, slots=True)
class ModuleSource:
    module: str
    display_path: str
    lines: tuple[str, ...]


def _allowed(module: str) -> bool:
    # ``flask.__main__`` runs Flask's CLI when imported: no ``__main__`` modules, ever.
    if "__main__" in module.split("."):
        return False
    return any(module == root or module.startswith(root + ".") for root in ALLOWED_ROOTS)


def _display_path(path: str) -> str:
    p = Path(path).resolve()
    bases = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
             sysconfig.get_paths()["stdlib"], *[x for x in sys.path if x]]
    for base in bases:
        try:
            return str(p.relative_to(Path(base).resolve()))
        except ValueError:
            continue
    return p.name


#: Source lookups run on request threads and on the pre-render thread at once; two threads
#: importing Flask/Werkzeug for the first time at the same moment can break each other's
#: import (``KeyError: 'werkzeug'`` from importlib), so imports made here take turns.
_IMPORT_LOCK = threading.Lock()


def _import_allowed(module: str) -> types.ModuleType | None:
    if not _allowed(module):
        return None
    with _IMPORT_LOCK:
        try:
            if importlib.util.find_spec(module) is None:
                return None
            return importlib.import_module(module)
        except (ImportError, ValueError):
            return None


def _split(qualname: str) -> tuple[types.ModuleType, list[str]]:
    parts = qualname.split(".")
    for k in range(len(parts), 0, -1):
        mod = _import_allowed(".".join(parts[:k]))
        if mod is not None:
            return mod, parts[k:]
    if _allowed(parts[0]) and importlib.util.find_spec(parts[0]) is None:
        # e.g. a runtime image without Flask/Werkzeug: say so rather than "unknown".
        raise SourceNotFound(qualname, f"{parts[0]} is not installed on this server")
    raise SourceNotFound(qualname, "not a function of the libraries wsgiscope models")


def _code_of(obj: object) -> types.CodeType | None:
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, types.CodeType):
        return obj
    return getattr(obj, "__code__", None)


def _attribute(qualname: str, obj: object, name: str) -> object:
    """``obj.name`` looked up statically: no descriptor, property or proxy code runs.

    The walk goes through modules and classes only. Anything else (Flask's ``request`` and
    ``g`` are context proxies whose attribute lookup raises outside a request) has no
    functions of the library under it, so it ends the walk with "not found".
    """
    if not isinstance(obj, (types.ModuleType, type)):
        raise SourceNotFound(qualname, f"{name!r} is not looked up inside a "
                                       f"{type(obj).__name__}: not a function or a class")
    try:
        return inspect.getattr_static(obj, name)
    except AttributeError:
        pass
    if isinstance(obj, types.ModuleType):
        try:  # a module's own __getattr__ (PEP 562), as for lazily loaded names
            return getattr(obj, name)
        except Exception:
            pass
    raise SourceNotFound(qualname, f"no attribute {name!r}")


def _resolve(qualname: str) -> tuple[types.ModuleType, object]:
    mod, rest = _split(qualname)
    obj: object = mod
    i = 0
    while i < len(rest):
        name = rest[i]
        if name == "<locals>":
            code = _code_of(obj)
            if code is None or i + 1 >= len(rest):
                raise SourceNotFound(qualname, f"cannot look inside {rest[i - 1] if i else mod}")
            inner = rest[i + 1]
            found = next((c for c in code.co_consts
                          if isinstance(c, types.CodeType) and c.co_name == inner), None)
            if found is None:
                raise SourceNotFound(qualname, f"no nested function {inner!r}")
            obj = found
            i += 2
            continue
        if isinstance(obj, types.CodeType):
            raise SourceNotFound(qualname, f"no attribute {name!r}")
        obj = _attribute(qualname, obj, name)
        i += 1
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return mod, obj


@lru_cache(maxsize=512)
def function_source(qualname: str) -> FunctionSource:
    """Source lines of the real function ``qualname`` names (cached per qualname)."""
    mod, obj = _resolve(qualname)
    if not (inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.iscode(obj)
            or inspect.isclass(obj)):
        raise SourceNotFound(qualname, "not a function")
    if inspect.isfunction(obj):
        # a decorated function (Flask's @setupmethod): its own file, not the wrapper's;
        # getsourcelines unwraps by itself, getsourcefile does not
        obj = inspect.unwrap(obj)
    try:
        lines, start = inspect.getsourcelines(obj)  # type: ignore[arg-type]
        path = inspect.getsourcefile(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        raise SourceNotFound(qualname, "the installed library has no source file") from None
    lines = [line.rstrip("\n") for line in lines]
    def_index = next((n for n, text in enumerate(lines)
                      if text.lstrip().startswith(("def ", "async def ", "class "))), 0)
    return FunctionSource(qualname=qualname, module=mod.__name__,
                          display_path=_display_path(path or mod.__name__),
                          start=max(start, 1), lines=tuple(lines), def_index=def_index)


@lru_cache(maxsize=64)
def module_source(module: str) -> ModuleSource:
    """The whole file of an allowed module, for the ``/source/{module}`` view."""
    mod = _import_allowed(module)
    if mod is None:
        raise SourceNotFound(module, "not a module of the libraries wsgiscope models")
    try:
        path = inspect.getsourcefile(mod)
        text = Path(path).read_text(encoding="utf-8") if path else None
    except (OSError, TypeError):
        text = None
    if text is None:
        raise SourceNotFound(module, "the installed library has no source file")
    return ModuleSource(module=module, display_path=_display_path(path),
                        lines=tuple(text.splitlines()))


#: The server kinds whose Werkzeug and Flask are not the installed ones (their source is read
#: from the pinned wheels, see backend.legacy_source).
LEGACY_KINDS = frozenset({"werkzeug-legacy"})


def source_for(qualname: str, kind: str | None) -> FunctionSource:
    """The source of ``qualname`` in the versions the stack ``kind`` simulates: Werkzeug
    0.16.1 / Flask 1.1.4 for ``werkzeug-legacy`` (the standard library is the same for
    every kind), the installed libraries otherwise."""
    if kind in LEGACY_KINDS and qualname.split(".", 1)[0] in ("werkzeug", "flask"):
        return legacy_function_source(qualname)
    return function_source(qualname)


@lru_cache(maxsize=512)
def legacy_function_source(qualname: str) -> FunctionSource:
    from . import legacy_source

    try:
        found = legacy_source.find(qualname)
        lines = legacy_source.module_lines(found.module)
    except legacy_source.LegacySourceMissing as err:
        raise SourceNotFound(qualname, str(err)) from None
    except LookupError:
        raise SourceNotFound(qualname, "not a function of Werkzeug 0.16.1 / Flask 1.1.4") from None
    display = str(found.path.relative_to(legacy_source.site_packages()))
    return FunctionSource(qualname=qualname, module=found.module, display_path=display,
                          start=found.start, lines=lines[found.start - 1:found.end],
                          def_index=found.def_line - found.start)


def module_source_for(module: str, kind: str | None) -> ModuleSource:
    """The whole file of ``module`` in the versions the stack ``kind`` simulates."""
    if kind in LEGACY_KINDS and module.split(".", 1)[0] in ("werkzeug", "flask"):
        return legacy_module_source(module)
    return module_source(module)


@lru_cache(maxsize=64)
def legacy_module_source(module: str) -> ModuleSource:
    from . import legacy_source

    if not _allowed(module):
        raise SourceNotFound(module, "not a module of the libraries wsgiscope models")
    try:
        path = legacy_source.module_file(module)
        if path is None:
            raise SourceNotFound(module, "not a module of Werkzeug 0.16.1 / Flask 1.1.4")
        lines = legacy_source.module_lines(module)
    except legacy_source.LegacySourceMissing as err:
        raise SourceNotFound(module, str(err)) from None
    return ModuleSource(module=module, display_path=str(path.relative_to(legacy_source.site_packages())),
                        lines=lines)
