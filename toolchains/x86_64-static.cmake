# Native x86-64 Linux build of a fully static, dependency-free runtime (libc/libm only):
# OCTET_STATIC=ON, every executable linked with -static, and only static archives are searched
# (Debian ships no static cpuinfo/XNNPACK/pthreadpool, so those are simply not found and the
# build goes without them; detection falls back to cpuid). Used by scripts/ci/static-build.sh:
#   cmake -G Ninja -S . -B build-static -DCMAKE_TOOLCHAIN_FILE=toolchains/x86_64-static.cmake \
#         -DCMAKE_BUILD_TYPE=MinSizeRel -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_TESTS=OFF
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
set(OCTET_STATIC ON CACHE BOOL "Static, dependency-free runtime" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
