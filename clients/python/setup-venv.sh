#!/usr/bin/env bash
# The Python client's environment: a venv with confluent-kafka, fastavro and pytest (pinned in
# requirements.txt) in a cache outside the repository ($RR_PY_VENV, default
# ~/.cache/reward-router/py-client-venv). A second run finds it (stamped with the requirements'
# checksum) and returns at once. Prints the venv's python.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${RR_PY_VENV:-$HOME/.cache/reward-router/py-client-venv}"
SUM="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$SUM" ]; then
  echo "$VENV/bin/python"
  exit 0
fi
python3 -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
echo "$SUM" > "$VENV/.requirements.sha256"
echo "$VENV/bin/python"
