// TFLM micro frontend: frame count, tone selectivity of the filterbank, noise-reduction
// adaptation, the micro_speech int8 conversion, and bit-exact agreement with TensorFlow's
// AudioMicrofrontend op on the shared clips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "tools/common/audio.h"

namespace octet::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<int16_t> tone(double hz, double amplitude, int count) {
  std::vector<int16_t> out(count);
  for (int i = 0; i < count; ++i) {
    out[i] = static_cast<int16_t>(std::lround(amplitude * std::sin(2.0 * kPi * hz * i / 16000.0)));
  }
  return out;
}

// Channel c's triangle peaks at the (c + 1)-th of num_channels + 1 equal mel steps above the
// lower band limit.
double channel_center_hz(const MicroFrontendConfig& config, int channel) {
  auto mel = [](double hz) { return 1127.0 * std::log1p(hz / 700.0); };
  const double low = mel(config.lower_band_limit), high = mel(config.upper_band_limit);
  const double m = low + (high - low) * (channel + 1) / (config.num_channels + 1);
  return 700.0 * (std::exp(m / 1127.0) - 1.0);
}

TEST(AudioMicroFrontend, FrameCount) {
  const MicroFrontendConfig config;
  EXPECT_EQ(micro_frontend_num_frames(config, 16000), 49);
  EXPECT_EQ(micro_frontend_num_frames(config, 479), 0);
  EXPECT_EQ(micro_frontend_num_frames(config, 480), 1);
  EXPECT_EQ(micro_frontend_num_frames(config, 800), 2);
  std::vector<int8_t> features;
  std::string error;
  ASSERT_TRUE(compute_micro_speech_input(tone(500, 3000, 16000), config, &features, &error));
  EXPECT_EQ(features.size(), 1960u);
}

TEST(AudioMicroFrontend, DigitalSilenceIsZero) {
  std::vector<uint16_t> values;
  std::string error;
  ASSERT_TRUE(compute_micro_frontend(std::vector<int16_t>(16000, 0), MicroFrontendConfig(), &values,
                                     &error));
  EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](uint16_t v) { return v == 0; }));
}

TEST(AudioMicroFrontend, ToneLandsInItsChannelAndNoiseReductionAdapts) {
  // PCAN off: its gain divides each channel by a power of its own noise estimate, which in the
  // first frames is proportional to the signal, flattening the spectrum on purpose.
  MicroFrontendConfig config;
  config.enable_pcan = false;
  for (int channel : {5, 12, 20, 27, 34}) {
    const double hz = channel_center_hz(config, channel);
    std::vector<uint16_t> values;
    std::string error;
    ASSERT_TRUE(compute_micro_frontend(tone(hz, 8000, 16000), config, &values, &error)) << error;
    const uint16_t* first = values.data();
    const int loudest = static_cast<int>(std::max_element(first, first + 40) - first);
    EXPECT_EQ(loudest, channel) << hz << " Hz";
    // Channels far from the tone see only window leakage.
    EXPECT_LT(first[(channel + 15) % 40] + 100, first[channel]) << hz << " Hz";
    // A steady tone is what the noise estimate learns: the channel fades over the clip.
    const uint16_t* last = values.data() + 48 * 40;
    EXPECT_LT(last[channel], first[channel]) << hz << " Hz";
  }
}

TEST(AudioMicroFrontend, PcanCompressesLevelDifferences) {
  // Without PCAN, doubling the amplitude adds about ln(2) * 2^6 = 44 to the log output; PCAN
  // divides by a power of the (level-proportional) noise estimate and so shrinks that step.
  MicroFrontendConfig config;
  config.enable_pcan = false;
  const double hz = channel_center_hz(config, 15);
  std::vector<uint16_t> quiet, loud;
  std::string error;
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 2000, 4000), config, &quiet, &error));
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 4000, 4000), config, &loud, &error));
  const int step_without_pcan = loud[15] - quiet[15];
  EXPECT_NEAR(step_without_pcan, 44, 3);
  config.enable_pcan = true;
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 2000, 4000), config, &quiet, &error));
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 4000, 4000), config, &loud, &error));
  const int step_with_pcan = loud[15] - quiet[15];
  EXPECT_GE(step_with_pcan, 0);
  EXPECT_LT(step_with_pcan, step_without_pcan / 2);
}

TEST(AudioMicroFrontend, LouderIsLargerBeforeAdaptation) {
  // Log compression: in the first frame (no noise estimate yet) doubling the amplitude raises the
  // tone's channel, by a bounded amount.
  const MicroFrontendConfig config;
  const double hz = channel_center_hz(config, 15);
  std::vector<uint16_t> quiet, loud;
  std::string error;
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 2000, 4000), config, &quiet, &error));
  ASSERT_TRUE(compute_micro_frontend(tone(hz, 4000, 4000), config, &loud, &error));
  EXPECT_GT(loud[15], quiet[15]);
  EXPECT_LT(loud[15], quiet[15] + 200);
}

TEST(AudioMicroFrontend, Int8ConversionFollowsTheMicroSpeechExample) {
  // input = round(value * 256 / (25.6 * 26)) - 128 with 25.6 * 26 = 665.6 rounded to 666.
  EXPECT_EQ(micro_speech_feature_to_int8(0), -128);
  EXPECT_EQ(micro_speech_feature_to_int8(65535), 127);
  int previous = -129;
  for (int v = 0; v <= 65535; ++v) {
    const double expected = std::clamp(std::floor(v * 256.0 / 666.0 + 0.5) - 128.0, -128.0, 127.0);
    const int q = micro_speech_feature_to_int8(static_cast<uint16_t>(v));
    ASSERT_EQ(q, static_cast<int>(expected)) << v;
    ASSERT_GE(q, previous);
    previous = q;
  }
}

TEST(AudioMicroFrontend, RejectsBadConfigurations) {
  std::vector<uint16_t> values;
  std::string error;
  MicroFrontendConfig config;
  config.upper_band_limit = 9000;  // above Nyquist: no FFT bin reaches the last band
  EXPECT_FALSE(compute_micro_frontend(tone(500, 1000, 16000), config, &values, &error));
  EXPECT_NE(error.find("upper band limit"), std::string::npos) << error;
  config = MicroFrontendConfig();
  config.num_channels = 0;
  EXPECT_FALSE(compute_micro_frontend(tone(500, 1000, 16000), config, &values, &error));
}

// Reference: TensorFlow 2.21's AudioMicrofrontend op (tensorflow.lite.experimental.microfrontend)
// with the micro_speech settings (30 ms / 20 ms, 40 channels, 125-7500 Hz, smoothing 10 bits,
// 0.025/0.06/0.05, PCAN 0.95/80/21 bits, log, scale shift 6), uint16 output, run on the clips.
TEST(AudioMicroFrontend, BitExactWithTensorFlowOnSharedClips) {
  const std::string dir = std::string(OCTET_SHARED_DIR) + "/data/audio/";
  struct Golden {
    const char* clip;
    long sum;  // all 49 x 40 values
  };
  const Golden goldens[] = {{"yes", 417363}, {"no", 447965}, {"silence", 37019}, {"noise", 564405}};
  // "yes", frame 10 (the loudest).
  const std::vector<uint16_t> yes_frame10 = {596, 560, 598, 569, 619, 561, 596, 548, 619, 580,
                                             623, 550, 543, 552, 610, 568, 574, 546, 588, 571,
                                             614, 579, 640, 586, 640, 585, 635, 583, 628, 568,
                                             618, 584, 611, 555, 578, 504, 513, 427, 409, 334};
  // "no", frame 20.
  const std::vector<uint16_t> no_frame20 = {325, 0,   369, 133, 266, 361, 456, 133, 314, 133,
                                            451, 222, 302, 369, 428, 177, 391, 322, 346, 133,
                                            297, 0,   306, 177, 391, 133, 302, 177, 203, 0,
                                            177, 0,   177, 0,   222, 0,   203, 0,   133, 203};
  for (const Golden& golden : goldens) {
    WavAudio wav;
    std::string error;
    if (!load_wav(dir + "tflm_" + golden.clip + "_1000ms.wav", &wav, &error)) {
      GTEST_SKIP() << "shared audio clips not available (" << error << ")";
    }
    std::vector<uint16_t> values;
    ASSERT_TRUE(compute_micro_frontend(wav.samples, MicroFrontendConfig(), &values, &error))
        << error;
    ASSERT_EQ(values.size(), 1960u);
    EXPECT_EQ(std::accumulate(values.begin(), values.end(), 0L), golden.sum) << golden.clip;
    if (std::string(golden.clip) == "yes") {
      EXPECT_EQ(std::vector<uint16_t>(values.begin() + 400, values.begin() + 440), yes_frame10);
    }
    if (std::string(golden.clip) == "no") {
      EXPECT_EQ(std::vector<uint16_t>(values.begin() + 800, values.begin() + 840), no_frame20);
    }
  }
}

}  // namespace
}  // namespace octet::audio
