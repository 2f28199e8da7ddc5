# Float kernels (kernels/f32/). Owned by the float kernels work. Included from
# kernels/CMakeLists.txt after x86.cmake / arm.cmake. One file per ISA with per-file flags;
# f32.cc sees OCTET_F32_HAVE_<ISA> for the files compiled here.
set(_octet_f32_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32.cc)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32_avx2.cc ${_octet_f32_dir}/f32_avx512.cc)
  set_source_files_properties(${_octet_f32_dir}/f32_avx2.cc PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(${_octet_f32_dir}/f32_avx512.cc PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mfma;-Wno-maybe-uninitialized;-Wno-uninitialized")
  target_compile_definitions(octet_kernels PRIVATE OCTET_F32_HAVE_AVX2 OCTET_F32_HAVE_AVX512)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64" OR OCTET_ARM32_HAS_NEON)
  # aarch64: NEON is baseline. armhf: only when the toolchain enables NEON (arm.cmake check).
  target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32_neon.cc)
  target_compile_definitions(octet_kernels PRIVATE OCTET_F32_HAVE_NEON)
endif()
