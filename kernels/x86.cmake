# x86 kernel paths (AVX2, AVX-VNNI, AVX512-VNNI). Owned by the x86 kernels work.
