#!/usr/bin/env bash
# Install what the tests need and run them. Usage: bash scripts/test.sh [pytest args]
# Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
# The browser test drives Debian's Chromium (never a downloaded browser).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "note: could not install chromium; the browser test will be skipped"
fi
# The accessibility check (tests/test_browser_pages.py) runs axe-core through playwright-core, pinned in
# tests/browser/package-lock.json; it drives the same /usr/bin/chromium, so no browser is downloaded.
if command -v npm >/dev/null; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "note: npm ci failed in tests/browser; the axe-core check will install or skip"
fi
# The no-network test (tests/test_network.py) watches every connect() with strace.
if ! command -v strace >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null) \
    || echo "note: could not install strace; the no-network test will be skipped"
fi
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
  echo "no tests ran: failing" >&2
  exit 1
fi
exit "$status"
