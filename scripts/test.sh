#!/usr/bin/env bash
# The whole test suite: unit tests and end-to-end tests of the real binary, each on the
# embedded stack (SQLite) and on the scaled one (PostgreSQL + NATS + Redis, started or installed
# here when missing). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/postgres.sh
source scripts/backends.sh
ensure_postgres
ensure_nats
ensure_redis
ensure_s3
ensure_tools
ensure_python_tools
ensure_web_deps
echo "PostgreSQL: ${HYBRID_TEST_POSTGRES%%@*}@…  NATS: $HYBRID_TEST_NATS  Redis: $HYBRID_TEST_REDIS  S3: $HYBRID_TEST_S3  $(date -u +%H:%M:%S)"
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check || { echo "run: cargo fmt --all" >&2; exit 1; }
fi
# With the test-only example service (crates/example), which the service-kit tests drive.
cargo test --workspace --locked --features hybrid/example-service "$@"

# Every benchmark scenario and reference at a tiny size: proves the harness works (no timing
# asserts; it fails only when a scenario produces nothing or errors). See docs/benchmarks.md.
target_dir="${CARGO_TARGET_DIR:-target}"
cargo run --quiet --locked -p hybrid-bench -- all --tiny --seconds 2 \
    --hybrid "$target_dir/debug/hybrid" --json "$target_dir/bench-tiny.json"

# Schemathesis against the real server's API reference: no 5xx, no answer outside its schema,
# no undocumented status (scripts/schemathesis.sh, about 3 minutes).
HYBRID_BIN="$target_dir/debug/hybrid" ./scripts/schemathesis.sh

# The web client: lint, types, unit tests, build, end-to-end in Chromium (scripts/web.sh).
./scripts/web.sh

# The service generator (cargo xtask new-service): a throwaway service builds and passes its
# tests (docs/adding-a-service.md).
./scripts/check-generator.sh
