#!/usr/bin/env bash
# Android smoke compile: no NDK can be fetched here, so compile every kernel source for
# --target=aarch64-linux-android24 with clang, freestanding from the NDK: the C/C++ headers come
# from the aarch64 GNU cross sysroot instead of bionic/libc++ (the kernels only need <cstdint>,
# <cstring>, <algorithm>, <cmath> and <arm_neon.h>, which is clang's own). This checks that the
# kernels compile with clang for Android's triple and per-file -march flags (as
# toolchains/android-arm64.cmake + kernels/arm.cmake would), not that they link against bionic.
#   usage: android-smoke.sh [out dir]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
clang=$(command -v clang-14 || command -v clang || true)
[ -n "$clang" ] || { echo "android-smoke: clang missing (apt-get install clang)"; exit 1; }
gnu=/usr/aarch64-linux-gnu/include
cxx_headers=$(ls -d "$gnu"/c++/* 2>/dev/null | sort -V | tail -1)
[ -n "$cxx_headers" ] || { echo "android-smoke: $gnu/c++ missing (g++-aarch64-linux-gnu)"; exit 1; }
flags=(--target=aarch64-linux-android24 -std=c++17 -O2 -fno-exceptions -fno-rtti -ffp-contract=off
  -Wall -Wextra -Wno-unused-parameter -Werror -nostdlibinc -isystem "$cxx_headers"
  -isystem "$cxx_headers/aarch64-linux-gnu" -isystem "$gnu" -I "$src"
  -DOCTET_HAVE_NEON -DOCTET_HAVE_DOTPROD -DOCTET_HAVE_I8MM)
count=0 failed=0
while IFS= read -r file; do
  rel=${file#"$src"/}
  case $rel in
    *avx*|*vnni*|*sse*) continue ;;  # x86-only kernels
    *_dotprod.cc) extra=(-march=armv8.2-a+dotprod) ;;
    *_i8mm.cc) extra=(-march=armv8.2-a+i8mm) ;;
    *) extra=() ;;
  esac
  obj="$out/$(echo "$rel" | tr / _).o"
  if "$clang" "${flags[@]}" "${extra[@]}" -c "$file" -o "$obj" 2>"$obj.log"; then
    count=$((count + 1))
  else
    echo "android-smoke: FAILED $rel"; sed 's/^/  | /' "$obj.log" | head -30
    failed=$((failed + 1))
  fi
done < <(find "$src/kernels" -name '*.cc' | sort)
# Every ARM kernel object the registries name must be defined somewhere.
nm=$(command -v llvm-nm-14 || command -v llvm-nm || command -v aarch64-linux-gnu-nm || true)
if [ -n "$nm" ] && [ "$failed" -eq 0 ]; then
  defined=$("$nm" "$out"/*.o 2>/dev/null | grep -E " [RDT] " || true)
  for sym in gemm_qs8_neon gemm_qs8_dotprod gemm_qs8_i8mm dwconv_qs8_neon; do
    if ! grep -q "octet[0-9]*${sym}E" <<<"$defined"; then
      echo "android-smoke: FAILED no definition of octet::$sym"; failed=$((failed + 1))
    fi
  done
  # Files built with a higher -march must not emit weak (shared) out-of-line functions: the
  # linker could keep that copy for NEON-only callers too (see requantize_neon.h).
  for obj in "$out"/*_dotprod.cc.o "$out"/*_i8mm.cc.o; do
    [ -f "$obj" ] || continue
    weak=$("$nm" "$obj" | grep -E " [WV] " || true)
    if [ -n "$weak" ]; then
      echo "android-smoke: FAILED weak symbols in $(basename "$obj"):"; echo "$weak" | head -5
      failed=$((failed + 1))
    fi
  done
fi
echo "android-smoke: $count passed, $failed failed (aarch64-linux-android24 kernel objects in $out)"
[ "$failed" -eq 0 ]
