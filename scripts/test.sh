#!/usr/bin/env bash
# The whole test suite: unit tests and end-to-end tests of the real binary, on SQLite and on
# PostgreSQL (started or installed here when missing). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
ensure_postgres
echo "PostgreSQL: ${HYBRID_TEST_POSTGRES%%@*}@…  $(date -u +%H:%M:%S)"
cargo test --workspace --locked "$@"
