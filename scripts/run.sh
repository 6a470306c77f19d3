#!/usr/bin/env bash
# Install, build the index from corpus/ (only what changed), and open the chat page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/qa index || echo "some files were skipped (see above); the rest is indexed"
exec .venv/bin/streamlit run app.py "$@"
