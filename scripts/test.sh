#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test (unit + integration).
# Extra arguments go to `meson test` (e.g. `scripts/test.sh --suite unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir=${BUILD_DIR:-build}
# UBSan only prints unless told to stop; a test that trips it must fail.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
meson test -C "$build_dir" --print-errorlogs --num-processes 2 "$@"
