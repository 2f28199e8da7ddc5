#!/usr/bin/env bash
# Builds Octet and runs the whole test suite: native unit + real-model tests, and, as tests of
# the same ctest run, the AddressSanitizer/UBSan build, the static build, the loader fuzzer and
# the aarch64/armhf cross builds under qemu. Output ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
ulimit -c 0
build=${OCTET_BUILD_DIR:-build/test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DOCTET_CI_JOBS=ON >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" -j2 --output-on-failure --timeout 3000
