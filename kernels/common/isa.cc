// ISA names, build-time availability (OCTET_HAVE_<ISA> definitions added by
// kernels/x86.cmake and kernels/arm.cmake) and run-time CPU detection.
//
// Detection: dynamic builds ask cpuinfo (OCTET_USE_CPUINFO) for the features it knows; the
// direct probe (cpuid + xgetbv on x86, getauxval on Linux/ARM) answers in static,
// dependency-free builds and for what the packaged cpuinfo lacks (AVX-VNNI, i8mm).
#include "kernels/common/isa.h"

#if OCTET_USE_CPUINFO
#include <cpuinfo.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define OCTET_DETECT_X86 1
#elif defined(__aarch64__) || defined(__arm__)
#if defined(__linux__)
#include <sys/auxv.h>
#define OCTET_DETECT_ARM_AUXV 1
#endif
#endif

namespace octet {
namespace {

constexpr const char* kIsaNames[kIsaCount] = {"scalar", "avx2",    "avxvnni", "avx512vnni",
                                              "neon",   "dotprod", "i8mm"};
constexpr const char* kPackFamilyNames[kPackFamilyCount] = {"rowmajor", "x86-avx2",    "x86-vnni",
                                                            "arm-neon", "arm-dotprod", "arm-i8mm"};

// ASCII case-insensitive equality; '_' matches '-' so "x86_vnni" parses too.
bool name_equals(const char* a, const char* b) {
  for (;; ++a, ++b) {
    char ca = *a, cb = *b;
    if (ca >= 'A' && ca <= 'Z') ca = static_cast<char>(ca - 'A' + 'a');
    if (cb >= 'A' && cb <= 'Z') cb = static_cast<char>(cb - 'A' + 'a');
    if (ca == '_') ca = '-';
    if (cb == '_') cb = '-';
    if (ca != cb) return false;
    if (ca == '\0') return true;
  }
}

#if OCTET_DETECT_X86
struct X86Features {
  bool avx2 = false;
  bool avxvnni = false;
  bool avx512vnni = false;
};

uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv with ecx = 0 (XCR0); encoded as bytes so no -mxsave is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

X86Features detect_x86() {
  X86Features f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return f;
  const unsigned max_leaf = eax;
  if (max_leaf < 7) return f;
  __cpuid_count(1, 0, eax, ebx, ecx, edx);
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  const bool fma = (ecx >> 12) & 1;
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE + AVX state
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const unsigned leaf7_max_subleaf = eax;
  const bool avx2 = (ebx >> 5) & 1;
  const bool avx512f = (ebx >> 16) & 1;
  const bool avx512bw = (ebx >> 30) & 1;
  const bool avx512vl = (ebx >> 31) & 1;
  const bool avx512vnni = (ecx >> 11) & 1;
  bool avxvnni = false;
  if (leaf7_max_subleaf >= 1) {
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    avxvnni = (eax >> 4) & 1;
  }
  f.avx2 = ymm_state && avx2 && fma;
  f.avxvnni = f.avx2 && avxvnni;
  f.avx512vnni = f.avx2 && zmm_state && avx512f && avx512bw && avx512vl && avx512vnni;
  return f;
}

bool direct_probe_supports(Isa isa) {
  static const X86Features features = detect_x86();
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return features.avx2;
    case Isa::kAvxVnni:
      return features.avxvnni;
    case Isa::kAvx512Vnni:
      return features.avx512vnni;
    default:
      return false;
  }
}
#elif OCTET_DETECT_ARM_AUXV
bool direct_probe_supports(Isa isa) {
  const unsigned long hwcap = getauxval(AT_HWCAP);
#if defined(__aarch64__)
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  const bool asimd = (hwcap >> 1) & 1;     // HWCAP_ASIMD
  const bool asimddp = (hwcap >> 20) & 1;  // HWCAP_ASIMDDP
  const bool i8mm = (hwcap2 >> 13) & 1;    // HWCAP2_I8MM
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kNeon:
      return asimd;
    case Isa::kDotprod:
      return asimd && asimddp;
    case Isa::kI8mm:
      return asimd && i8mm;
    default:
      return false;
  }
#else
  // armhf: qemu-arm does not report dotprod in HWCAP (DESIGN.md), so 32-bit ARM is
  // NEON-only at run time.
  const bool neon = (hwcap >> 12) & 1;  // HWCAP_NEON
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kNeon:
      return neon;
    default:
      return false;
  }
#endif
}
#else
bool direct_probe_supports(Isa isa) { return isa == Isa::kScalar; }
#endif

}  // namespace

bool isa_probe_result(IsaProbe probe, Isa isa, bool* supported) {
  if (probe == IsaProbe::kDirect) {
    *supported = direct_probe_supports(isa);
    return true;
  }
#if OCTET_USE_CPUINFO
  if (!cpuinfo_initialize()) return false;
  switch (isa) {
    case Isa::kScalar:
      *supported = true;
      return true;
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    case Isa::kAvx2:
      *supported = cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();
      return true;
    case Isa::kAvx512Vnni:
      *supported = cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3() && cpuinfo_has_x86_avx512f() &&
                   cpuinfo_has_x86_avx512bw() && cpuinfo_has_x86_avx512vl() &&
                   cpuinfo_has_x86_avx512vnni();
      return true;
#endif
#if CPUINFO_ARCH_ARM || CPUINFO_ARCH_ARM64
    case Isa::kNeon:
      *supported = cpuinfo_has_arm_neon();
      return true;
    case Isa::kDotprod:
      *supported = cpuinfo_has_arm_neon_dot();
      return true;
#endif
    default:
      return false;  // AVX-VNNI, i8mm: unknown to the packaged cpuinfo
  }
#else
  (void)isa;
  (void)supported;
  return false;
#endif
}

namespace {

uint32_t detect_supported_mask() {
  uint32_t mask = 0;
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    bool supported = false;
    if (!isa_probe_result(IsaProbe::kCpuinfo, isa, &supported))
      supported = direct_probe_supports(isa);
    if (supported) mask |= 1u << i;
  }
  return mask;
}

bool cpu_supports(Isa isa) {
  static const uint32_t supported_mask = detect_supported_mask();
  return (supported_mask >> static_cast<int>(isa)) & 1;
}

}  // namespace

const char* isa_name(Isa isa) {
  const int index = static_cast<int>(isa);
  return index < kIsaCount ? kIsaNames[index] : "unknown";
}

const char* pack_family_name(PackFamily family) {
  const int index = static_cast<int>(family);
  return index < kPackFamilyCount ? kPackFamilyNames[index] : "unknown";
}

bool isa_from_name(const char* name, Isa* isa) {
  if (name == nullptr) return false;
  for (int i = 0; i < kIsaCount; ++i) {
    if (name_equals(name, kIsaNames[i])) {
      *isa = static_cast<Isa>(i);
      return true;
    }
  }
  return false;
}

bool pack_family_from_name(const char* name, PackFamily* family) {
  if (name == nullptr) return false;
  for (int i = 0; i < kPackFamilyCount; ++i) {
    if (name_equals(name, kPackFamilyNames[i])) {
      *family = static_cast<PackFamily>(i);
      return true;
    }
  }
  if (name_equals(name, "row-major")) {
    *family = PackFamily::kRowMajor;
    return true;
  }
  return false;
}

bool isa_compiled(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
#ifdef OCTET_HAVE_AVX2
    case Isa::kAvx2:
      return true;
#endif
#ifdef OCTET_HAVE_AVXVNNI
    case Isa::kAvxVnni:
      return true;
#endif
#ifdef OCTET_HAVE_AVX512VNNI
    case Isa::kAvx512Vnni:
      return true;
#endif
#ifdef OCTET_HAVE_NEON
    case Isa::kNeon:
      return true;
#endif
#ifdef OCTET_HAVE_DOTPROD
    case Isa::kDotprod:
      return true;
#endif
#ifdef OCTET_HAVE_I8MM
    case Isa::kI8mm:
      return true;
#endif
    default:
      return false;
  }
}

bool isa_available(Isa isa) { return isa_compiled(isa) && cpu_supports(isa); }

Isa best_isa() {
  static constexpr Isa kPreference[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2,
                                        Isa::kI8mm,       Isa::kDotprod, Isa::kNeon};
  for (Isa isa : kPreference) {
    if (isa_available(isa)) return isa;
  }
  return Isa::kScalar;
}

PackFamily pack_family_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx2:
      return PackFamily::kX86Avx2;
    case Isa::kAvxVnni:
    case Isa::kAvx512Vnni:
      return PackFamily::kX86Vnni;
    case Isa::kNeon:
      return PackFamily::kArmNeon;
    case Isa::kDotprod:
      return PackFamily::kArmDotprod;
    case Isa::kI8mm:
      return PackFamily::kArmI8mm;
    case Isa::kScalar:
    default:
      return PackFamily::kRowMajor;
  }
}

}  // namespace octet
