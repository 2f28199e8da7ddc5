# Float kernels (kernels/f32/). Owned by the float kernels work. Included from
# kernels/CMakeLists.txt after x86.cmake / arm.cmake. One file per ISA with per-file flags;
# f32.cc sees OCTET_F32_HAVE_<ISA> for the files compiled here.
set(_octet_f32_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32.cc)

# Each float path follows the int8 ISA selection (OCTET_KERNEL_ISAS) it is dispatched under.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  octet_isa_sources(avx2 PRIVATE OCTET_F32_HAVE_AVX2 "-mavx2;-mfma" ${_octet_f32_dir}/f32_avx2.cc)
  octet_isa_sources(avx512vnni PRIVATE OCTET_F32_HAVE_AVX512
    "-mavx512f;-mfma;-Wno-maybe-uninitialized;-Wno-uninitialized" ${_octet_f32_dir}/f32_avx512.cc)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64" OR OCTET_ARM32_HAS_NEON)
  # aarch64: NEON is baseline. armhf: only when the toolchain enables NEON (arm.cmake check).
  octet_isa_sources(neon PRIVATE OCTET_F32_HAVE_NEON "" ${_octet_f32_dir}/f32_neon.cc)
endif()
