#!/usr/bin/env bash
# Configures (once) and builds one build directory.
#   scripts/build.sh                 release build in build/
#   BUILD_DIR=build-asan MESON_SETUP_ARGS="-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false" scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  # shellcheck disable=SC2086
  meson setup "$build_dir" ${MESON_SETUP_ARGS:-}
fi
meson compile -C "$build_dir"
