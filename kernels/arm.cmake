# ARM kernel paths (NEON, dotprod, i8mm). Owned by the ARM kernels work.
# Included from kernels/CMakeLists.txt when CMAKE_SYSTEM_PROCESSOR is aarch64/arm*.
# Each ISA lives in its own files with per-file -march flags (function target attributes
# fail with GCC 12 / clang 14). Registries (gemm.cc, dwconv.cc, isa.cc) see OCTET_HAVE_*.
#
#   aarch64: NEON is baseline; dotprod (sdot) and i8mm (smmla) are built with per-file
#            -march and chosen at run time from HWCAP (asimddp, i8mm).
#   armhf:   ARMv7-A + NEON (the toolchain's -mfpu=neon-vfpv4). NEON only by default: qemu-arm
#            and 32-bit kernels on most boards do not report dotprod, and isa.cc treats armhf as
#            NEON-only at run time. OCTET_ARM32_DOTPROD=ON still compiles the sdot GEMM for
#            AArch32 (checked by hand under qemu-arm -cpu max), for boards that report it.
set(_octet_arm_dir ${CMAKE_CURRENT_LIST_DIR})
include(CheckCXXSourceCompiles)

octet_isa_selected(neon _octet_build_neon)  # armhf below
if(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64")
  set(OCTET_ARM_DOTPROD_FLAGS "-march=armv8.2-a+dotprod" CACHE STRING "Flags for the sdot kernels")
  set(OCTET_ARM_I8MM_FLAGS "-march=armv8.2-a+i8mm" CACHE STRING "Flags for the smmla kernels")
  separate_arguments(_octet_dotprod_flags UNIX_COMMAND "${OCTET_ARM_DOTPROD_FLAGS}")
  separate_arguments(_octet_i8mm_flags UNIX_COMMAND "${OCTET_ARM_I8MM_FLAGS}")
  octet_isa_sources(neon PUBLIC OCTET_HAVE_NEON ""  # baseline on aarch64: no extra flags
    ${_octet_arm_dir}/gemm/gemm_neon.cc
    ${_octet_arm_dir}/dwconv/dwconv_neon.cc
    ${_octet_arm_dir}/elementwise/elementwise_neon.cc)
  octet_isa_sources(dotprod PUBLIC OCTET_HAVE_DOTPROD "${_octet_dotprod_flags}"
    ${_octet_arm_dir}/gemm/gemm_dotprod.cc)
  octet_isa_sources(i8mm PUBLIC OCTET_HAVE_I8MM "${_octet_i8mm_flags}"
    ${_octet_arm_dir}/gemm/gemm_i8mm.cc)
else()
  # 32-bit ARM: NEON must be enabled by the toolchain (-mfpu=neon*); without it only the
  # scalar path is built.
  check_cxx_source_compiles("
    #include <arm_neon.h>
    int main() { int32x4_t v = vdupq_n_s32(1); return vgetq_lane_s32(v, 0) - 1; }"
    OCTET_ARM32_HAS_NEON)
  if(OCTET_ARM32_HAS_NEON AND _octet_build_neon)
    target_sources(octet_kernels PRIVATE
      ${_octet_arm_dir}/gemm/gemm_neon.cc
      ${_octet_arm_dir}/dwconv/dwconv_neon.cc
      ${_octet_arm_dir}/elementwise/elementwise_neon.cc)
    target_compile_definitions(octet_kernels PUBLIC OCTET_HAVE_NEON)
    option(OCTET_ARM32_DOTPROD "armhf: also compile the sdot GEMM (never chosen at run time)" OFF)
    if(OCTET_ARM32_DOTPROD)
      target_sources(octet_kernels PRIVATE ${_octet_arm_dir}/gemm/gemm_dotprod.cc)
      set_source_files_properties(${_octet_arm_dir}/gemm/gemm_dotprod.cc PROPERTIES
        COMPILE_OPTIONS "-march=armv8.2-a+dotprod;-mfpu=neon-fp-armv8")
      target_compile_definitions(octet_kernels PUBLIC OCTET_HAVE_DOTPROD)
    endif()
  elseif(NOT OCTET_ARM32_HAS_NEON)
    message(STATUS "octet: 32-bit ARM without NEON (add -mfpu=neon-vfpv4): scalar kernels only")
  endif()
endif()
