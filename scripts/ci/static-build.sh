#!/usr/bin/env bash
# CI job: the runtime as a static, dependency-free library, linked into a fully static C program
# that loads and runs a model; reports the stripped size.
set -euo pipefail
src=$1 build=$2
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_TOOLCHAIN_FILE="$src/toolchains/x86_64-static.cmake" -DOCTET_STATIC=ON \
  -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target octet octet-static-example
exe="$build/examples/octet-static-example"
file "$exe" | grep -q "statically linked" || { echo "not statically linked: $(file "$exe")"; exit 1; }
strip -o "$build/octet-static-example.stripped" "$exe"
echo "static example (runtime + kernels + libc), stripped: $(stat -c %s "$build/octet-static-example.stripped") bytes"
echo "liboctet.a: $(stat -c %s "$build/runtime/liboctet.a") bytes"

# Compile-time ISA selection (firmware-like builds): only the AVX2 path besides the reference.
fw="$build-avx2-only"
cmake -S "$src" -B "$fw" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_TOOLCHAIN_FILE="$src/toolchains/x86_64-static.cmake" -DOCTET_STATIC=ON \
  -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_TESTS=OFF -DOCTET_KERNEL_ISAS=avx2 >/dev/null
cmake --build "$fw" -j2 --target octet octet-static-example
members=$(ar t "$fw/runtime/liboctet.a")
if grep -qi "avx512\|avxvnni" <<<"$members"; then
  echo "OCTET_KERNEL_ISAS=avx2 build still contains AVX-512 / AVX-VNNI kernels"; exit 1
fi
grep -q "gemm_avx2" <<<"$members" || { echo "OCTET_KERNEL_ISAS=avx2 build lacks the AVX2 GEMM"; exit 1; }
strip -o "$fw/octet-static-example.stripped" "$fw/examples/octet-static-example"
echo "OCTET_KERNEL_ISAS=avx2 static example, stripped: $(stat -c %s "$fw/octet-static-example.stripped") bytes"
