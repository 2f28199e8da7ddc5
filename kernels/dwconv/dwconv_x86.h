// Internal to the x86 depthwise kernels: the AVX2 algorithm also serves the AVX-VNNI entry
// (every AVX-VNNI CPU has AVX2).
#pragma once
#include "kernels/dwconv/dwconv.h"

namespace octet::x86 {
void dwconv_qs8_avx2_run(const DwConvQs8Params& p);
}  // namespace octet::x86
