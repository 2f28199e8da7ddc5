#!/usr/bin/env bash
# Builds GoogleTest for a foreign architecture from Debian's source package (/usr/src/googletest,
# package `googletest`) with a cross toolchain file, and installs it into a build-local prefix
# (the "sysroot overlay" that the toolchain files search through OCTET_SYSROOT_OVERLAY).
# Debian ships libgtest-dev only for the host architecture, and `apt-get download
# libgtest-dev:arm64` needs `dpkg --add-architecture`, which we never do (it breaks apt and
# mixes glibc builds), so building from source is the simple, offline route.
#   usage: build-gtest.sh <toolchain file> <overlay prefix>
# Quick no-op when the prefix already holds a build from the same toolchain file.
set -euo pipefail
toolchain=$(realpath "$1")
prefix=$(realpath -m "$2")
src=${GTEST_SOURCE_DIR:-/usr/src/googletest}
stamp="$prefix/.octet-gtest-stamp"
want="$toolchain $(stat -c %Y "$toolchain") $(dpkg-query -W -f='${Version}' googletest 2>/dev/null || echo unknown)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
[ -f "$src/CMakeLists.txt" ] || { echo "build-gtest: $src missing (apt-get install googletest)" >&2; exit 1; }
work="$prefix.build"
rm -rf "$work"
cmake -S "$src" -B "$work" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_GMOCK=ON \
  -DCMAKE_CROSSCOMPILING_EMULATOR= >"$work.log" 2>&1 || { cat "$work.log" >&2; exit 1; }
cmake --build "$work" -j"${OCTET_JOBS:-2}" >>"$work.log" 2>&1 || { tail -50 "$work.log" >&2; exit 1; }
cmake --install "$work" >>"$work.log" 2>&1 || { tail -20 "$work.log" >&2; exit 1; }
rm -rf "$work" "$work.log"
echo "$want" >"$stamp"
echo "build-gtest: GoogleTest for $(basename "$toolchain" .cmake) in $prefix"
