# ARM kernel paths (NEON, dotprod, i8mm). Owned by the ARM kernels work.
