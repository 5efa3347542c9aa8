#!/usr/bin/env bash
# Runs Hybrid with its web client: builds web/dist when it is missing or older than the
# sources (npm ci + vite build), then `cargo run --release --bin hybrid -- serve "$@"`.
# Open http://127.0.0.1:8080 (or the --listen address).
set -euo pipefail
cd "$(dirname "$0")/.."

needs_build() {
    [[ ! -f web/dist/index.html ]] && return 0
    [[ -n $(find web/src web/index.html web/package.json web/package-lock.json web/vite.config.ts web/public \
        -newer web/dist/index.html -print -quit 2>/dev/null) ]]
}

if needs_build; then
    if ! command -v npm >/dev/null; then
        echo "The web client needs Node.js 20.19+ and npm to build (apt-get install nodejs npm)." >&2
        echo "Starting without it: the API still works at /api/." >&2
    else
        echo "Building the web client (web/dist)…"
        (cd web && npm ci --no-audit --no-fund --loglevel=error && npx vite build --logLevel warn)
    fi
fi

exec cargo run --release --bin hybrid -- serve "$@"
