#!/usr/bin/env bash
# The whole test suite: unit tests and end-to-end tests of the real binary, on SQLite and on
# PostgreSQL (started or installed here when missing). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
ensure_postgres
echo "PostgreSQL: ${HYBRID_TEST_POSTGRES%%@*}@…  $(date -u +%H:%M:%S)"
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check || { echo "run: cargo fmt --all" >&2; exit 1; }
fi
cargo test --workspace --locked "$@"
