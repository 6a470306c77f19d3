#!/usr/bin/env bash
# Install, build the index from corpus/ (only what changed), and open the chat page.
#
#   bash scripts/run.sh              # the chat page on http://127.0.0.1:8501 (this machine only)
#   bash scripts/run.sh --network    # serve it on every interface (QA_BIND=0.0.0.0), e.g. for a team
#   QA_BIND=10.0.0.5 bash scripts/run.sh   # or on one address
#   QA_PUBLIC_HOST=qa.example.org          # the name users type (default: this machine's host name);
#                                          # Streamlit then never looks its own address up on the internet
#
# By default nothing listens beyond loopback and nothing is sent anywhere (.streamlit/config.toml).
# Other arguments go to streamlit run.
set -euo pipefail
cd "$(dirname "$0")/.."
bind="${QA_BIND:-127.0.0.1}"
args=()
for a in "$@"; do
  if [ "$a" = "--network" ]; then bind="${QA_BIND:-0.0.0.0}"; else args+=("$a"); fi
done
bash scripts/install.sh
.venv/bin/qa index || echo "some files were skipped (see above); the rest is indexed"
public="127.0.0.1"
if [ "$bind" != "127.0.0.1" ]; then
  public="${QA_PUBLIC_HOST:-$(hostname -f 2>/dev/null || hostname)}"
  echo "serving on $bind as $public: anyone who can reach this machine can use the chat page" >&2
fi
exec .venv/bin/streamlit run app.py --server.address "$bind" --browser.serverAddress "$public" ${args[@]+"${args[@]}"}
