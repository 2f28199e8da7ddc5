// The shared vocabulary every ISA-specific piece of Octet is named by.
#pragma once
#include <cstdint>

namespace octet {

// One code path through the kernels. Names match OCTET_ISA=... values.
enum class Isa : uint8_t {
  kScalar = 0,      // portable reference, every CPU
  kAvx2 = 1,        // x86: AVX2 (sign-extend + vpmaddwd; no vpmaddubsw saturation)
  kAvxVnni = 2,     // x86: AVX-VNNI (vpdpbusd on ymm, VEX encoded)
  kAvx512Vnni = 3,  // x86: AVX512-VNNI (vpdpbusd on zmm)
  kNeon = 4,        // arm/aarch64: NEON (smull/smlal/sadalp)
  kDotprod = 5,     // aarch64 (and armv8.2 armhf): sdot
  kI8mm = 6,        // aarch64: smmla
};
constexpr int kIsaCount = 7;

// Weight layouts for GEMM-like ops. Values equal schema PackFamily.
enum class PackFamily : uint8_t {
  kRowMajor = 0,
  kX86Avx2 = 1,
  kX86Vnni = 2,
  kArmNeon = 3,
  kArmDotprod = 4,
  kArmI8mm = 5,
};
constexpr int kPackFamilyCount = 6;

const char* isa_name(Isa isa);
const char* pack_family_name(PackFamily family);
// Parses "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "dotprod", "i8mm".
bool isa_from_name(const char* name, Isa* isa);
bool pack_family_from_name(const char* name, PackFamily* family);

// True when this build contains kernels for `isa` AND the running CPU supports it.
bool isa_available(Isa isa);
// True when this build contains kernels for `isa` (CPU not checked).
bool isa_compiled(Isa isa);
// Who answers "does this CPU support the ISA": cpuinfo in dynamic builds for the features
// it knows, the direct probe (cpuid/xgetbv, getauxval) otherwise.
enum class IsaProbe : uint8_t { kDirect, kCpuinfo };
// One probe's answer, so tests can check the probes agree. False when that probe cannot
// tell (cpuinfo not built in, or a feature it does not know).
bool isa_probe_result(IsaProbe probe, Isa isa, bool* supported);

// The fastest available ISA on this CPU.
Isa best_isa();
// The weight packing the GEMM kernel of `isa` reads.
PackFamily pack_family_for(Isa isa);

}  // namespace octet
