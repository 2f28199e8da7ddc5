# x86 kernel paths (AVX2, AVX-VNNI, AVX512-VNNI). Owned by the x86 kernels work.
# Included from kernels/CMakeLists.txt on x86-64. Every ISA lives in its own files with
# per-file -m flags (function target attributes are unreliable with GCC 12 / clang 14);
# the registries (gemm.cc, dwconv.cc, isa.cc) see OCTET_HAVE_*, and isa_available()
# checks the running CPU before any of these kernels is called.
set(_octet_x86_dir ${CMAKE_CURRENT_LIST_DIR})

set(OCTET_X86_AVX2_FLAGS -mavx2 -mfma)
set(OCTET_X86_AVXVNNI_FLAGS -mavx2 -mfma -mavxvnni)
# Only the features isa.cc checks (AVX2+FMA; + AVX-VNNI; + AVX512 F/BW/VL/VNNI): no
# -mavx512dq / -mf16c, so the compiler cannot emit instructions the detection does not cover.
set(OCTET_X86_AVX512VNNI_FLAGS -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl
    -mavx512vnni -Wno-maybe-uninitialized -Wno-uninitialized)  # GCC 12: false positives in avx512fintrin.h

set(_octet_x86_avx2_sources
  ${_octet_x86_dir}/gemm/gemm_avx2.cc
  ${_octet_x86_dir}/dwconv/dwconv_avx2.cc
  ${_octet_x86_dir}/elementwise/elementwise_avx2.cc)
set(_octet_x86_avxvnni_sources
  ${_octet_x86_dir}/gemm/gemm_avxvnni.cc
  ${_octet_x86_dir}/dwconv/dwconv_avxvnni.cc)
set(_octet_x86_avx512vnni_sources
  ${_octet_x86_dir}/gemm/gemm_avx512vnni.cc
  ${_octet_x86_dir}/dwconv/dwconv_avx512vnni.cc
  ${_octet_x86_dir}/elementwise/elementwise_avx512.cc)

octet_isa_sources(avx2 PUBLIC OCTET_HAVE_AVX2 "${OCTET_X86_AVX2_FLAGS}" ${_octet_x86_avx2_sources})
octet_isa_sources(avxvnni PUBLIC OCTET_HAVE_AVXVNNI "${OCTET_X86_AVXVNNI_FLAGS}"
  ${_octet_x86_avxvnni_sources})
octet_isa_sources(avx512vnni PUBLIC OCTET_HAVE_AVX512VNNI "${OCTET_X86_AVX512VNNI_FLAGS}"
  ${_octet_x86_avx512vnni_sources})
