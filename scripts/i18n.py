"""Keep the catalogs in step with the code: extract every message, update each language.

    python scripts/i18n.py          # extract (babel.cfg) and update every catalog
    python scripts/i18n.py --check  # exit 1 if a catalog lacks a message or keeps a stale one

A message new to a catalog arrives untranslated; ``tests/web/test_i18n.py`` fails until it
has its translation. To add a language: ``pybabel init -i backend/translations/messages.pot
-d backend/translations -l <lang>``, translate, done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POT = "backend/translations/messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True,
                   env={"PYTHONPATH": str(ROOT), "PATH": ""})


def main() -> int:
    pybabel("extract", "-F", "babel.cfg", "--no-location", "--sort-output", "--omit-header",
            "--project=wsgiscope", "-o", POT, ".")
    pybabel("update", "-i", POT, "-d", "backend/translations", "--no-fuzzy-matching",
            "--ignore-obsolete", "--omit-header")
    if "--check" in sys.argv:
        from babel.messages.pofile import read_po

        bad = 0
        for po in sorted((ROOT / "backend/translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as f:
                missing = [m.id for m in read_po(f) if m.id and not m.string]
            for message in missing:
                print(f"{po.relative_to(ROOT)}: untranslated: {message!r}")
            bad += len(missing)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
