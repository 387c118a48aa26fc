#!/usr/bin/env bash
# The README's second command: lint, type-check and run every test, exactly as CI does.
#
#   bash scripts/test.sh [pytest arguments, e.g. tests/workers -q]
#
# Creates .venv and installs the project with its test extras when pyproject.toml changed.
# In CI (CI=true), or as root, installs Debian's chromium if it is missing, and makes sure
# PostgreSQL answers on 127.0.0.1:5432 (starting the local cluster in CI). Tests marked
# `postgres` or `browser` never skip in CI; locally they skip when their server is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
CI=${CI:-}
say() { printf '\n== %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    echo "scripts/test.sh: needs root for: $*" >&2
    return 1
  fi
}

# --- Python environment ------------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "scripts/test.sh: needs Python 3.11 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
  fi
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ "$(cat "$VENV/.installed-test" 2>/dev/null)" != "$wanted" ]]; then
  say "installing the project with its test extras"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
  echo "$wanted" > "$VENV/.installed-test"
fi

# --- headless Chromium (Debian package; never a downloaded browser) ----------------------------
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $CI == true || $(id -u) == 0 ]]; then
    say "installing chromium (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium fonts-liberation >/dev/null
  else
    echo "note: /usr/bin/chromium is missing: browser tests will be skipped" \
      "(sudo apt-get install chromium)" >&2
  fi
fi

# --- axe-core for the accessibility check (npm, pinned by tests/browser/axe/package-lock.json) ---
AXE=tests/browser/axe
if [[ ! -f $AXE/node_modules/axe-core/axe.min.js ]]; then
  if ! command -v npm >/dev/null 2>&1 && [[ $CI == true || $(id -u) == 0 ]]; then
    say "installing npm (apt)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1; then
    say "installing axe-core (npm)"
    npm ci --prefix "$AXE" --no-audit --no-fund --loglevel=error >/dev/null
  elif [[ $CI == true ]]; then
    echo "scripts/test.sh: npm is needed for the accessibility check (apt-get install npm)" >&2
    exit 1
  else
    echo "note: npm is missing: the accessibility check will be skipped" >&2
  fi
fi

# --- PostgreSQL on 127.0.0.1:5432 ----------------------------------------------------------------
postgres_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    "$VENV/bin/python" -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1).close()' \
      2>/dev/null
  fi
}
if ! postgres_ready; then
  if [[ $CI == true ]]; then
    say "starting PostgreSQL"
    version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 60); do postgres_ready && break; sleep 0.5; done
    postgres_ready || { echo "scripts/test.sh: PostgreSQL did not start" >&2; exit 1; }
  else
    echo "note: PostgreSQL is not answering on 127.0.0.1:5432: postgres tests will be skipped" >&2
  fi
fi

# --- checks --------------------------------------------------------------------------------------
say "ruff"
"$VENV/bin/ruff" check --no-cache .  # as in a clean clone: a stale cache can hide findings
say "mypy"
"$VENV/bin/mypy"
say "pytest $*"
status=0
"$VENV/bin/pytest" "$@" || status=$?
if [[ $status == 5 ]]; then
  echo "scripts/test.sh: pytest collected no tests: that is a failure, not a pass" >&2
fi
exit "$status"
