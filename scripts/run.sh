#!/usr/bin/env bash
# Install, build the index from corpus/ (only what changed), and open the chat page.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet "torch==2.13.0"
.venv/bin/pip install --quiet -e .
.venv/bin/qa index || echo "some files were skipped (see above); the rest is indexed"
exec .venv/bin/streamlit run app.py "$@"
