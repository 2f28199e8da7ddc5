# Cross build for 32-bit ARMv7-A + NEON, hard float (Raspberry Pi 2/3/4 running 32-bit
# Raspberry Pi OS, Debian's g++-arm-linux-gnueabihf), tests run under qemu-arm.
#   cmake -G Ninja -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
# At run time armhf is NEON-only (qemu-arm and most 32-bit kernels do not report dotprod).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7-a)
set(OCTET_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${OCTET_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${OCTET_CROSS_TRIPLE}-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")

set(OCTET_QEMU_CPU "cortex-a15" CACHE STRING "qemu-arm -cpu for running tests")
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
octet_cross_setup(qemu-arm)
