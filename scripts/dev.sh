#!/usr/bin/env bash
# The README's first command: the whole product on this machine, with only python3 (3.11+).
#
#   bash scripts/dev.sh [--demo] [--data-dir D] [--api-port P] [--temporal-port P] ...
#
# Creates .venv on first use, (re)installs the project when pyproject.toml changed, then runs
# `enrolments dev` in this process (exec), so Ctrl-C reaches it directly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

if [[ ! -x $VENV/bin/python ]]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "scripts/dev.sh: needs Python 3.11 or newer as '$PYTHON' (set PYTHON=...)" >&2
    exit 1
  fi
  echo "Creating $VENV ..." >&2
  "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when the dependencies may have changed; a test install (extras) also counts.
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ "$(cat "$VENV/.installed-dev" 2>/dev/null)" != "$wanted" &&
      "$(cat "$VENV/.installed-test" 2>/dev/null)" != "$wanted" ]]; then
  echo "Installing the project into $VENV (first run, or pyproject.toml changed) ..." >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$wanted" > "$VENV/.installed-dev"
fi

exec "$VENV/bin/enrolments" dev "$@"
