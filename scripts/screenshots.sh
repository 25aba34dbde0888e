#!/usr/bin/env bash
# Takes the README's pictures of the Aspire Dashboard with headless Chromium
# (Debian's chromium, driven by puppeteer-core from npm: no browser download),
# against a running `./run.sh --dashboard` (it reads logs/dashboard.env):
# sends demo requests (one with a redacted credential, one the backend fails)
# and saves PNGs to docs/images/ (or the folder given).
#
#   ./run.sh --dashboard &     # in another terminal
#   scripts/screenshots.sh [OUT_DIR] [GATEWAY_URL]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-$root/docs/images}")"
gateway="${2:-http://localhost:8080}"
if [ ! -f "$root/logs/dashboard.env" ]; then
    echo "screenshots: start ./run.sh --dashboard first (no logs/dashboard.env)" >&2
    exit 1
fi
# shellcheck disable=SC1091
. "$root/logs/dashboard.env"
"$root/scripts/browser/install.sh"
mkdir -p "$out"
node "$root/scripts/browser/screenshots.mjs" "$DASHBOARD_URL/" "$gateway" "$out"
