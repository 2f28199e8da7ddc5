# Shared part of the Linux cross toolchain files: search roots and the qemu emulator.
# Expects OCTET_CROSS_TRIPLE and OCTET_QEMU_CPU.
#
# Search roots: the cross compiler's sysroot (/usr/<triple>) plus OCTET_SYSROOT_OVERLAY, a
# build-local prefix holding foreign-arch libraries (GoogleTest built by
# scripts/cross/build-gtest.sh). Programs (flatc) come from the host. Headers may come from the
# host too: the header-only, arch-independent FlatBuffers lives in /usr/include. Libraries and
# CMake packages only from the target roots, so no x86 library is ever picked up.
set(OCTET_CROSS_SYSROOT "/usr/${OCTET_CROSS_TRIPLE}" CACHE PATH "Target libc sysroot (qemu -L)")
set(OCTET_SYSROOT_OVERLAY "" CACHE PATH "Prefix with foreign-arch libraries (e.g. GoogleTest)")

list(APPEND CMAKE_FIND_ROOT_PATH ${OCTET_CROSS_SYSROOT})
if(OCTET_SYSROOT_OVERLAY)
  list(APPEND CMAKE_FIND_ROOT_PATH ${OCTET_SYSROOT_OVERLAY})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
# Try-compiles (check_cxx_source_compiles) see the cache vars above.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES OCTET_CROSS_SYSROOT OCTET_SYSROOT_OVERLAY
     OCTET_QEMU_CPU)

macro(octet_cross_setup qemu)
  find_program(OCTET_QEMU_${qemu} ${qemu})
  if(OCTET_QEMU_${qemu})
    set(CMAKE_CROSSCOMPILING_EMULATOR ${OCTET_QEMU_${qemu}} -L ${OCTET_CROSS_SYSROOT}
        -cpu ${OCTET_QEMU_CPU})
  endif()
endmacro()
