#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Octet needs to build, test and demo.
# Quiet and quick when everything is already there.
set -euo pipefail
packages=(
  build-essential cmake ninja-build git python3 python3-venv python3-pip
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev googletest libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcpuinfo-dev libxnnpack-dev libpthreadpool-dev
  libjpeg-dev libpng-dev
  clang lld libclang-rt-dev
  qemu-user g++-aarch64-linux-gnu g++-arm-linux-gnueabihf
  valgrind
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
