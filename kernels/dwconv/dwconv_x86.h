// Internal to the x86 depthwise kernels: the AVX-VNNI kernel hands the channels it does not
// cover (tails of its 32-channel chunks, shapes it does not handle) to the AVX2 code (every
// AVX-VNNI CPU has AVX2).
#pragma once
#include "kernels/dwconv/dwconv.h"

namespace octet::x86 {
void dwconv_qs8_avx2_run(const DwConvQs8Params& p);
// Channels [c_begin, out_c) only (depth multiplier 1, at most 26 taps).
void dwconv_qs8_avx2_channels(const DwConvQs8Params& p, int c_begin);
constexpr int kAvx2MaxTaps = 26;
}  // namespace octet::x86
