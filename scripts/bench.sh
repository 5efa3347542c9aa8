#!/usr/bin/env bash
# The benchmark suite of docs/benchmarks.md: every scenario at full size and the references,
# one JSON report per run in OUT_DIR (default bench-results/). Build first:
#   cargo build --release --bin hybrid --bin hybrid-bench
# Run on a quiet machine: the generator shares it with the server. Idle runs at 18k sockets:
# the sandbox this was written on caps open files at 20000 per process (hard limit, not
# raisable without CAP_SYS_RESOURCE); where `ulimit -Hn` allows, try --connections 50000.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
bench="${HYBRID_BENCH:-$target_dir/release/hybrid-bench}"
hybrid="${HYBRID_BIN:-$target_dir/release/hybrid}"
out="${1:-bench-results}"
mkdir -p "$out"
run() {
    local name=$1
    shift
    echo "### $name"
    "$bench" --hybrid "$hybrid" --json "$out/$name.json" "$@"
}
run direct-sustained direct --pairs 500 --rate 1000
run direct-3k direct --pairs 500 --rate 3000
run direct-6k direct --pairs 500 --rate 6000
run direct-goal direct --pairs 500 --rate 20000 --seconds 3
run sqlite-reference ref-sqlite --rows 200000 --batch 256
run fanout-1k fanout --members 1000 --senders 4 --rate 300
run fanout-1k-reference fanout --members 1000 --senders 4 --rate 300 --reference
run fanout-10k fanout --members 10000 --senders 4 --rate 30
run fanout-10k-reference fanout --members 10000 --senders 4 --rate 30 --reference
# 30 msg/s offers exactly 300,000 deliveries/s; 40 offers more than the goal
run fanout-10k-40 fanout --members 10000 --senders 4 --rate 40
run fanout-10k-40-reference fanout --members 10000 --senders 4 --rate 40 --reference
run idle-18k idle --connections 18000 --users 500
run idle-18k-reference idle --connections 18000 --users 500 --reference
run history history --messages 5000 --readers 8 --rate 500
run catchup catchup --clients 200 --burst 100
