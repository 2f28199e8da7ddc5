#!/usr/bin/env bash
# CI job: the loader fuzzer (libFuzzer + ASan/UBSan, clang) for a short, bounded session
# seeded with valid models (tests/fuzz: ctest label "fuzz").
set -euo pipefail
src=$1 build=$2
CC=${OCTET_FUZZ_CC:-clang-14} CXX=${OCTET_FUZZ_CXX:-clang++-14} \
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCTET_FUZZ=ON \
  -DOCTET_BUILD_TOOLS=OFF >/dev/null
cmake --build "$build" -j2 --target octet_loader_fuzz octet_fuzz_seeds
ctest --test-dir "$build" -L fuzz --output-on-failure --timeout 900
