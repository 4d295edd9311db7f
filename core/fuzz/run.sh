#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, starting from
# the committed seed corpus, and prints the executions each ran.
#
#   bash core/fuzz/run.sh [SECONDS] [TARGET...]      (default 60 s, all targets)
#   bash core/fuzz/run.sh --build-only               (installs cargo-fuzz, builds every target)
#
# Needs cargo-fuzz (installed into target/tools when missing, at the version
# pinned below). cargo fuzz passes -Z flags to rustc (sanitizer, coverage):
# with no nightly toolchain on the machine, RUSTC_BOOTSTRAP=1 lets the
# stable compiler accept them. New inputs go to target/fuzz-corpus/<target>,
# never into the committed seeds; crashes to core/fuzz/artifacts/<target>.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_only=false
if [ "${1:-}" = "--build-only" ]; then
  build_only=true
  shift
fi
seconds=${1:-60}
shift || true
cargo_fuzz_version=0.13.2

fuzz="$root/target/tools/bin/cargo-fuzz"
if ! "$fuzz" --version 2>/dev/null | grep -q " $cargo_fuzz_version"; then
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --debug --root "$root/target/tools"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd "$here" && RUSTC_BOOTSTRAP=1 "$fuzz" list)

cd "$here"
export RUSTC_BOOTSTRAP=1
"$fuzz" build -O
if $build_only; then
  exit 0
fi
status=0
summary=()
for t in "${targets[@]}"; do
  work="$root/target/fuzz-corpus/$t"
  mkdir -p "$work" "$here/artifacts/$t"
  log=$(mktemp)
  if "$fuzz" run -O "$t" "$work" "$here/corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    summary+=("$t: ${execs:-?} executions in ${seconds} s, no crash")
  else
    status=1
    summary+=("$t: FAILED (see below)")
    tail -40 "$log"
  fi
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit $status
