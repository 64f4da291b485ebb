#!/usr/bin/env bash
# scripts/test.sh - THE test command of wsgiscope (CI runs it through .ci/run).
#
# On a fresh Linux machine with Python 3.11 it:
#   1. creates .venv if it is missing (or broken), with python3.11 (else python3 >= 3.11);
#   2. installs requirements-test.txt into it (with uv when it can, else pip); skipped
#      when the requirement files have not changed since the last install;
#   3. installs Debian's chromium + fonts-noto-cjk with apt-get if /usr/bin/chromium is
#      missing (as root, or through password-less sudo), else falls back to
#      `python -m playwright install chromium`;
#   4. runs `ruff check .` and then the whole pytest suite (testpaths in pyproject.toml);
#      pytest's exit status 5 (no tests collected) counts as a failure.
# Extra arguments are passed to pytest:  bash scripts/test.sh -k gallery -x
# Environment: PYTHON=/path/to/python3.11 picks the interpreter for a new .venv;
# SKIP_BROWSER_INSTALL=1 skips step 3.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"
VENV="$REPO/.venv"
UV_VERSION="0.13.9"
START=$(date +%s)

say() { printf '[test.sh] %s\n' "$*"; }
die() { printf '[test.sh] ERROR: %s\n' "$*" >&2; printf 'test.sh: FAILED (%s)\n' "$*"; exit 1; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive
export PYTHONUNBUFFERED=1

# ------------------------------------------------------------------ 1. the virtualenv
py_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

pick_python() {
  local c
  for c in "${PYTHON:-}" python3.11 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && py_ok "$c"; then command -v "$c"; return 0; fi
  done
  return 1
}

if [ -e "$VENV" ] && ! py_ok "$VENV/bin/python"; then
  say ".venv exists but its python does not run (or is older than 3.11): recreating it"
  rm -rf "$VENV"
fi
if [ ! -e "$VENV/bin/python" ]; then
  BASE_PY="$(pick_python)" || die "Python 3.11+ not found (install python3.11, or set PYTHON=...)"
  say "creating .venv with $BASE_PY ($("$BASE_PY" --version 2>&1))"
  if ! "$BASE_PY" -m venv "$VENV"; then
    rm -rf "$VENV"
    if command -v uv >/dev/null 2>&1; then
      uv venv -q --python "$BASE_PY" "$VENV" || die "could not create .venv"
    else
      die "'$BASE_PY -m venv' failed (on Debian: apt-get install python3-venv)"
    fi
  fi
fi
PY="$VENV/bin/python"

# ------------------------------------------------------------------ 2. the requirements
REQ_HASH="$(cat requirements.txt requirements-test.txt constraints.txt | sha256sum | cut -d' ' -f1)"
STAMP="$VENV/.wsgiscope-requirements.sha256"

have_pip() { "$PY" -m pip --version >/dev/null 2>&1; }
ensure_pip() { have_pip || "$PY" -m ensurepip -q >/dev/null 2>&1 || have_pip; }

install_requirements() {
  local uv=""
  if "$PY" -m uv --version >/dev/null 2>&1; then
    uv="$PY -m uv"
  elif command -v uv >/dev/null 2>&1; then
    uv="uv"
  elif ensure_pip && "$PY" -m pip install -q "uv==$UV_VERSION"; then
    uv="$PY -m uv"
  fi
  if [ -n "$uv" ]; then
    say "installing requirements-test.txt with uv ($($uv --version 2>&1))"
    # Trust the system's CA store, as pip does (TLS-inspecting proxies); older uv: NATIVE_TLS.
    export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}" UV_NATIVE_TLS="${UV_NATIVE_TLS:-1}"
    if $uv pip install -q --python "$PY" -r requirements-test.txt; then return 0; fi
    say "uv could not install them; trying pip"
  fi
  ensure_pip || die "no pip in .venv and ensurepip failed"
  say "installing requirements-test.txt with pip"
  "$PY" -m pip install -q -r requirements-test.txt
}

if [ "$(cat "$STAMP" 2>/dev/null || true)" = "$REQ_HASH" ] \
   && [ -x "$VENV/bin/ruff" ] && "$PY" -c 'import pytest, playwright, fastapi, flask' >/dev/null 2>&1; then
  say "requirements already installed (requirements files unchanged)"
else
  install_requirements || die "installing requirements-test.txt failed"
  echo "$REQ_HASH" >"$STAMP"
fi

# ------------------------------------------------------------------ 3. a browser
install_chromium_apt() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
      sudo="sudo -n"
    else
      say "not root and no password-less sudo: not using apt-get"
      return 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || { say "apt-get not available"; return 1; }
  say "installing Debian's chromium + fonts-noto-cjk with apt-get (about a minute)"
  $sudo apt-get update -qq </dev/null || say "apt-get update failed; trying the install anyway"
  # libatomic1: needed by Playwright's bundled node driver, missing from minimal images.
  $sudo apt-get install -y -qq chromium fonts-noto-cjk libatomic1 </dev/null >/dev/null
}

if [ "${SKIP_BROWSER_INSTALL:-0}" = 1 ]; then
  say "SKIP_BROWSER_INSTALL=1: not installing a browser"
elif [ -x /usr/bin/chromium ]; then
  say "browser: /usr/bin/chromium"
elif install_chromium_apt && [ -x /usr/bin/chromium ]; then
  say "browser: /usr/bin/chromium (just installed)"
else
  say "falling back to: python -m playwright install chromium"
  "$PY" -m playwright install chromium || die "no browser: neither apt-get nor playwright could install Chromium"
fi

# ------------------------------------------------------------------ 4. lint + tests
export PATH="$VENV/bin:$PATH"
RUFF_STATUS=0
say "ruff check ."
"$VENV/bin/ruff" check . || RUFF_STATUS=$?

JUNIT="$(mktemp -t wsgiscope-junit.XXXXXX.xml)"
trap 'rm -f "$JUNIT"' EXIT
say "python -m pytest $*"
PYTEST_STATUS=0
"$PY" -m pytest -p no:cacheprovider --junitxml="$JUNIT" "$@" </dev/null || PYTEST_STATUS=$?

# Counts from the JUnit XML, for one plain closing line.
COUNTS="$("$PY" - "$JUNIT" <<'EOF' 2>/dev/null || true
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
failed = n["failures"] + n["errors"]
print(f"{n['tests'] - failed - n['skipped']} passed, {failed} failed, {n['skipped']} skipped")
EOF
)"

ELAPSED=$(( $(date +%s) - START ))
RESULT=0
if [ "$RUFF_STATUS" != 0 ]; then
  say "ruff check found problems (exit $RUFF_STATUS)"
  RESULT=1
fi
case "$PYTEST_STATUS" in
  0) ;;
  5) say "pytest collected no tests (exit 5): that is a failure"; RESULT=1 ;;
  *) say "pytest failed (exit $PYTEST_STATUS)"; RESULT=1 ;;
esac

STATUS_WORD=OK
[ "$RESULT" = 0 ] || STATUS_WORD=FAILED
printf 'test.sh: %s (ruff exit %s, pytest exit %s, %ss)\n' "$STATUS_WORD" "$RUFF_STATUS" "$PYTEST_STATUS" "$ELAPSED"
[ -z "$COUNTS" ] || printf 'summary: %s\n' "$COUNTS"
exit "$RESULT"
