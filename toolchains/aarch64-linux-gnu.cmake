# Cross build for 64-bit ARM Linux (Debian's g++-aarch64-linux-gnu), tests run under qemu.
#   cmake -G Ninja -S . -B build-a64 -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake \
#         [-DOCTET_SYSROOT_OVERLAY=<prefix with arm64 GoogleTest>] [-DOCTET_QEMU_CPU=max]
# OCTET_QEMU_CPU picks the emulated core: cortex-a53/cortex-a72 (NEON), cortex-a76 (dotprod),
# max (dotprod + i8mm). scripts/cross/test-arm.sh builds the overlay and runs the matrix.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(OCTET_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${OCTET_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${OCTET_CROSS_TRIPLE}-g++)

set(OCTET_QEMU_CPU "cortex-a72" CACHE STRING "qemu-aarch64 -cpu for running tests")
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
octet_cross_setup(qemu-aarch64)
