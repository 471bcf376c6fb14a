#!/usr/bin/env bash
# Fuzzes what strangers can send (fuzz/fuzz_targets): a page's room messages, the model's
# tool-call arguments and a board file, with cargo-fuzz (libFuzzer, AddressSanitizer).
# Each target runs for FUZZ_SECONDS (default 20, as in scripts/test.sh); by hand, run
# longer or one target: FUZZ_SECONDS=3600 bash scripts/fuzz.sh board_file
# A crash leaves its input in fuzz/artifacts/<target>/ and fails the run.
source "$(dirname "$0")/lib.sh"

SECONDS_EACH="${FUZZ_SECONDS:-20}"
TARGETS=("${@:-room_client_message tool_call_arguments board_file}")

if ! command -v cargo-fuzz >/dev/null; then
  say "Installing cargo-fuzz"
  cargo install --locked --quiet cargo-fuzz --root "$CACHE/cargo-fuzz"
  export PATH="$CACHE/cargo-fuzz/bin:$PATH"
fi
# libFuzzer's instrumentation needs nightly flags: the nightly toolchain if there is one,
# otherwise the stable compiler told to accept them.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  TOOLCHAIN=(+nightly)
else
  TOOLCHAIN=()
  export RUSTC_BOOTSTRAP=1
fi
# Its own target dir: the instrumented build must not evict the ordinary one.
export CARGO_TARGET_DIR="$CACHE/fuzz-target"

for target in ${TARGETS[*]}; do
  say "Fuzzing $target for ${SECONDS_EACH} s"
  corpus="$CACHE/fuzz-corpus/$target" # kept between runs, so each run goes further
  mkdir -p "$corpus"
  log="$CACHE/fuzz-$target.log"
  status=0
  cargo "${TOOLCHAIN[@]}" fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=70000 -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|new_units_added)|^Done" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -60 "$log"
    echo "fuzz target $target failed; its input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
