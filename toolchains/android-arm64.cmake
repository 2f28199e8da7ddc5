# Android arm64-v8a build through the NDK (not installed here: no NDK can be fetched offline;
# scripts/cross/android-smoke.sh compiles the kernels for the Android target with clang instead).
#   export ANDROID_NDK=/path/to/android-ndk-r26
#   cmake -G Ninja -S . -B build-android -DCMAKE_TOOLCHAIN_FILE=toolchains/android-arm64.cmake \
#         -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_TESTS=OFF [-DANDROID_PLATFORM=android-24]
# This file only wraps the NDK's own toolchain file (build/cmake/android.toolchain.cmake) with
# Octet's defaults: arm64-v8a, API 24, static libc++ (the runtime uses no exceptions or RTTI).
# NEON is baseline on arm64-v8a; dotprod/i8mm kernels get their per-file -march flags from
# kernels/arm.cmake and are chosen at run time from getauxval(AT_HWCAP/AT_HWCAP2).
if(NOT ANDROID_NDK)
  if(DEFINED ENV{ANDROID_NDK})
    set(ANDROID_NDK $ENV{ANDROID_NDK})
  elseif(DEFINED ENV{ANDROID_NDK_HOME})
    set(ANDROID_NDK $ENV{ANDROID_NDK_HOME})
  endif()
endif()
if(NOT ANDROID_NDK OR NOT EXISTS "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
  message(FATAL_ERROR "android-arm64.cmake: set ANDROID_NDK (env or -D) to an Android NDK "
                      "(r23 or newer); got '${ANDROID_NDK}'")
endif()
set(ANDROID_NDK "${ANDROID_NDK}" CACHE PATH "Android NDK root")
if(NOT ANDROID_ABI)
  set(ANDROID_ABI arm64-v8a)
endif()
if(NOT ANDROID_PLATFORM)
  set(ANDROID_PLATFORM android-24)
endif()
if(NOT ANDROID_STL)
  set(ANDROID_STL c++_static)
endif()
include("${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
