#!/usr/bin/env bash
# Longer fuzzing runs than CI's fixed budget (tests/fuzz/, benchmarks/fuzz/; docs/architecture.md).
#   scripts/fuzz.sh                      every codec fuzzer for 10 minutes each, one after another
#   scripts/fuzz.sh kafka --seconds 60   one codec (resp | amqp | kafka) for a minute
#   scripts/fuzz.sh --quick              30 s each: a smoke test of the set-up
#   scripts/fuzz.sh --net [--seconds N]  the network fuzzer against the release binaries (build/)
# Builds build-fuzz with clang (libFuzzer + ASan + UBSan) if needed. What a run learns stays in
# build-fuzz/fuzz/<codec>/corpus (the next run starts from there as well as from the committed
# seeds); inputs that crash go to build-fuzz/fuzz/<codec>/crashes, and the script prints how to
# replay one. One fuzzer at a time, nice'd: it uses one core.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
codecs=()
net=false
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) seconds=30 ;;
    --seconds) seconds="$2"; shift ;;
    --net) net=true ;;
    resp|amqp|kafka) codecs+=("$1") ;;
    *) echo "usage: $0 [--quick] [resp|amqp|kafka ...] [--seconds N] [--net]" >&2; exit 2 ;;
  esac
  shift
done

if $net; then
  [ -f build/build.ninja ] || meson setup build
  nice meson compile -C build -j 2 miniredis:executable minirabbit:executable minikafka:executable
  exec nice /usr/bin/python3 benchmarks/fuzz/net_fuzz.py --server all --seconds "$seconds" --save build/net_fuzz
fi

[ ${#codecs[@]} -eq 0 ] && codecs=(resp amqp kafka)
if [ ! -f build-fuzz/build.ninja ]; then
  CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false
fi
targets=()
for c in "${codecs[@]}"; do targets+=("fuzz_$c"); done
nice meson compile -C build-fuzz -j 2 "${targets[@]}"

rc=0
for c in "${codecs[@]}"; do
  work=build-fuzz/fuzz/$c
  mkdir -p "$work/corpus" "$work/crashes"
  echo "== fuzz_$c for $seconds s (corpus $work/corpus, crashes $work/crashes)"
  nice /usr/bin/python3 tests/fuzz/run_fuzzer.py "build-fuzz/tests/fuzz/fuzz_$c" "tests/fuzz/corpus/$c" \
    --seconds "$seconds" --seed 0 --corpus "$work/corpus" --artifacts "$work/crashes" || rc=1
done
if [ "$rc" -ne 0 ]; then
  echo "a fuzzer found something: replay a crash with  build-fuzz/tests/fuzz/fuzz_<codec> <file>"
  echo "(add -runs=0 to only run it; minimise with -minimize_crash=1 -runs=10000)"
fi
exit $rc
