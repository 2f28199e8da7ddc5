// ISA / pack-family vocabulary: names round-trip, OCTET_ISA values parse, detection is
// consistent with the build.
#include "kernels/common/isa.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "kernels/gemm/gemm.h"

namespace octet {
namespace {

TEST(IsaTest, NamesRoundTrip) {
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    Isa parsed = Isa::kScalar;
    ASSERT_TRUE(isa_from_name(isa_name(isa), &parsed)) << isa_name(isa);
    EXPECT_EQ(parsed, isa);
  }
}

TEST(IsaTest, ParsesEveryOctetIsaValue) {
  // The values documented for the OCTET_ISA environment variable.
  const struct {
    const char* name;
    Isa isa;
  } kForced[] = {{"scalar", Isa::kScalar},   {"avx2", Isa::kAvx2}, {"avx512vnni", Isa::kAvx512Vnni},
                 {"avxvnni", Isa::kAvxVnni}, {"neon", Isa::kNeon}, {"dotprod", Isa::kDotprod},
                 {"i8mm", Isa::kI8mm},       {"AVX2", Isa::kAvx2}};
  for (const auto& forced : kForced) {
    Isa parsed = Isa::kScalar;
    ASSERT_TRUE(isa_from_name(forced.name, &parsed)) << forced.name;
    EXPECT_EQ(parsed, forced.isa) << forced.name;
  }
}

TEST(IsaTest, RejectsUnknownNames) {
  Isa parsed = Isa::kNeon;
  EXPECT_FALSE(isa_from_name("", &parsed));
  EXPECT_FALSE(isa_from_name("avx", &parsed));
  EXPECT_FALSE(isa_from_name("avx2x", &parsed));
  EXPECT_FALSE(isa_from_name("sse4", &parsed));
  EXPECT_FALSE(isa_from_name(nullptr, &parsed));
  EXPECT_EQ(parsed, Isa::kNeon);  // untouched on failure
  EXPECT_STREQ(isa_name(static_cast<Isa>(kIsaCount)), "unknown");
}

TEST(IsaTest, PackFamilyNamesRoundTrip) {
  for (int i = 0; i < kPackFamilyCount; ++i) {
    const PackFamily family = static_cast<PackFamily>(i);
    PackFamily parsed = PackFamily::kRowMajor;
    ASSERT_TRUE(pack_family_from_name(pack_family_name(family), &parsed))
        << pack_family_name(family);
    EXPECT_EQ(parsed, family);
  }
  PackFamily parsed = PackFamily::kRowMajor;
  EXPECT_TRUE(pack_family_from_name("X86_VNNI", &parsed));
  EXPECT_EQ(parsed, PackFamily::kX86Vnni);
  EXPECT_FALSE(pack_family_from_name("x86", &parsed));
  EXPECT_FALSE(pack_family_from_name(nullptr, &parsed));
}

TEST(IsaTest, PackFamilyForEachIsa) {
  EXPECT_EQ(pack_family_for(Isa::kScalar), PackFamily::kRowMajor);
  EXPECT_EQ(pack_family_for(Isa::kAvx2), PackFamily::kX86Avx2);
  EXPECT_EQ(pack_family_for(Isa::kAvxVnni), PackFamily::kX86Vnni);
  EXPECT_EQ(pack_family_for(Isa::kAvx512Vnni), PackFamily::kX86Vnni);
  EXPECT_EQ(pack_family_for(Isa::kNeon), PackFamily::kArmNeon);
  EXPECT_EQ(pack_family_for(Isa::kDotprod), PackFamily::kArmDotprod);
  EXPECT_EQ(pack_family_for(Isa::kI8mm), PackFamily::kArmI8mm);
}

TEST(IsaTest, DetectionIsConsistentWithTheBuild) {
  EXPECT_TRUE(isa_compiled(Isa::kScalar));
  EXPECT_TRUE(isa_available(Isa::kScalar));
  std::string report;
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (isa_available(isa)) {
      EXPECT_TRUE(isa_compiled(isa)) << isa_name(isa);
    }
    // Every compiled ISA has a GEMM kernel that says which ISA and family it is.
    const GemmQs8Kernel* kernel = gemm_qs8_kernel(isa);
    EXPECT_EQ(kernel != nullptr, isa_compiled(isa)) << isa_name(isa);
    if (kernel != nullptr) {
      EXPECT_EQ(kernel->isa, isa);
      EXPECT_EQ(kernel->family, pack_family_for(isa));
      EXPECT_GE(kernel->nr, 1u);
    }
    report += std::string(" ") + isa_name(isa) + (isa_compiled(isa) ? "(compiled" : "(-") +
              (isa_available(isa) ? ",available)" : ")");
  }
  const Isa best = best_isa();
  EXPECT_TRUE(isa_available(best));
  std::printf("ISAs:%s; best: %s\n", report.c_str(), isa_name(best));
  // Nothing available ranks above best within its architecture's preference order.
  const Isa x86_order[] = {Isa::kAvx512Vnni, Isa::kAvxVnni, Isa::kAvx2};
  const Isa arm_order[] = {Isa::kI8mm, Isa::kDotprod, Isa::kNeon};
  for (const Isa* order : {x86_order, arm_order}) {
    for (int i = 0; i < 3; ++i) {
      if (isa_available(order[i])) {
        EXPECT_EQ(best, order[i]);
        break;
      }
    }
  }
}

// Dynamic builds ask cpuinfo; the direct probe (cpuid/xgetbv, getauxval) must agree with it on
// every feature both know, or one of them reads the CPU wrong.
TEST(IsaTest, CpuinfoAndDirectProbeAgree) {
  int compared = 0;
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    bool direct = false, by_cpuinfo = false;
    ASSERT_TRUE(isa_probe_result(IsaProbe::kDirect, isa, &direct));
    if (!isa_probe_result(IsaProbe::kCpuinfo, isa, &by_cpuinfo)) continue;
    EXPECT_EQ(direct, by_cpuinfo) << isa_name(isa);
    ++compared;
  }
  if (compared == 0)
    GTEST_SKIP() << "built without cpuinfo (static or cross build): direct probe only";
  std::printf("cpuinfo and the direct probe agree on %d ISAs\n", compared);
}

}  // namespace
}  // namespace octet
