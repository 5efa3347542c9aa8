#!/usr/bin/env bash
# The web client's checks: install (npm ci), ESLint, TypeScript, Vitest, the production build,
# then the end-to-end suite: a real `hybrid serve` driven through Debian's Chromium.
# The binary comes from $HYBRID_BIN (default: ${CARGO_TARGET_DIR:-target}/debug/hybrid, which
# `cargo test` builds). Screenshots land in web/test-results/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
EMOJI_FONT=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
if [[ ! -x "$CHROMIUM_PATH" || ! -f "$EMOJI_FONT" ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "Installing Chromium (and an emoji font for the screenshots) from Debian's packages…"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    elif [[ ! -x "$CHROMIUM_PATH" ]]; then
        echo "Chromium is missing at $CHROMIUM_PATH. Install it: sudo apt-get install chromium" >&2
        echo "(or point CHROMIUM_PATH at a Chromium/Chrome binary)" >&2
        exit 1
    fi
fi
export CHROMIUM_PATH

if ! command -v npm >/dev/null; then
    echo "Node.js 20.19+ and npm are needed for the web client (https://nodejs.org or apt-get install nodejs npm)" >&2
    exit 1
fi

HYBRID_BIN=${HYBRID_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/hybrid}
if [[ ! -x "$HYBRID_BIN" ]]; then
    echo "Building the hybrid binary for the end-to-end tests…"
    cargo build --bin hybrid --locked
fi
export HYBRID_BIN

cd web
echo "web: npm ci  $(date -u +%H:%M:%S)"
npm ci --no-audit --no-fund --loglevel=error
echo "web: npm audit (fails only on a high or critical advisory that has a fix)"
node scripts/audit.mjs
echo "web: eslint"
npx eslint . --max-warnings 0
echo "web: tsc"
npx tsc -b
echo "web: vitest"
npx vitest run
echo "web: vite build"
npx vite build --logLevel warn
echo "web: end-to-end (playwright-core + $CHROMIUM_PATH, $HYBRID_BIN)  $(date -u +%H:%M:%S)"
rm -rf test-results
mkdir -p test-results/screenshots
npx vitest run --config vitest.e2e.config.ts
echo "web: screenshots in web/test-results/screenshots/: $(ls test-results/screenshots | tr '\n' ' ')"
