#!/usr/bin/env bash
# Keeps `cargo xtask new-service` from rotting: generates a throwaway service into a temporary
# copy of the repository (tracked and new files, as they are now), builds the binary with it and
# runs the service's own tests on both stacks. It shares the build cache
# (CARGO_TARGET_DIR, else ./target): the copy's crates are the same as the checkout's, except
# the binary's, which depends on the new service and so gets artifacts of its own; the `hybrid`
# binary it finds there is put back at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
binary="$CARGO_TARGET_DIR/debug/hybrid"
copy="$(mktemp -d)"
saved=""
if [[ -e "$binary" ]]; then
    saved="$copy.hybrid"
    cp -p "$binary" "$saved"
fi
restore() {
    if [[ -n "$saved" ]]; then mv -f "$saved" "$binary"; fi
    rm -rf "$copy"
}
trap restore EXIT
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    if [[ -e "$file" ]]; then printf '%s\0' "$file"; fi
done | xargs -0 cp --parents -t "$copy"
cd "$copy"
cargo xtask new-service scratch
cargo build -p hybrid
cargo test -p hybrid-scratch
echo "generator: the new service builds and passes its tests"
