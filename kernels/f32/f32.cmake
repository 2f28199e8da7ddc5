# Float kernels (kernels/f32/). Owned by the float kernels work. Included from
# kernels/CMakeLists.txt after x86.cmake / arm.cmake. One file per ISA with per-file flags;
# f32.cc sees OCTET_F32_HAVE_<ISA> for the files compiled here.
set(_octet_f32_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32.cc)

# Each float path follows the int8 ISA selection (OCTET_KERNEL_ISAS) it is dispatched under.
octet_isa_selected(avx2 _octet_f32_avx2)
octet_isa_selected(avx512vnni _octet_f32_avx512)
octet_isa_selected(neon _octet_f32_neon)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  if(_octet_f32_avx2)
    target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32_avx2.cc)
    set_source_files_properties(${_octet_f32_dir}/f32_avx2.cc PROPERTIES
      COMPILE_OPTIONS "-mavx2;-mfma")
    target_compile_definitions(octet_kernels PRIVATE OCTET_F32_HAVE_AVX2)
  endif()
  if(_octet_f32_avx512)
    target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32_avx512.cc)
    set_source_files_properties(${_octet_f32_dir}/f32_avx512.cc PROPERTIES
      COMPILE_OPTIONS "-mavx512f;-mfma;-Wno-maybe-uninitialized;-Wno-uninitialized")
    target_compile_definitions(octet_kernels PRIVATE OCTET_F32_HAVE_AVX512)
  endif()
elseif((CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64" OR OCTET_ARM32_HAS_NEON)
       AND _octet_f32_neon)
  # aarch64: NEON is baseline. armhf: only when the toolchain enables NEON (arm.cmake check).
  target_sources(octet_kernels PRIVATE ${_octet_f32_dir}/f32_neon.cc)
  target_compile_definitions(octet_kernels PRIVATE OCTET_F32_HAVE_NEON)
endif()
