// MLPerf Tiny MFCC front-end: mel filter shape, tones landing in the right mel bin, the DCT's
// scaling (orthonormal except coefficient 0, as tf.signal), int8 quantization, and agreement with
// values TensorFlow's tf.signal pipeline produced for the shared "yes"/"no" clips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tools/common/audio.h"

namespace octet::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

double mel(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
double hz_of_mel(double m) { return 700.0 * (std::exp(m / 1127.0) - 1.0); }

// Center frequency of mel band `band`: band edges are num_mel + 2 points equally spaced in mel.
double band_center_hz(const MfccConfig& config, int band) {
  const double low = mel(config.lower_edge_hertz), high = mel(config.upper_edge_hertz);
  return hz_of_mel(low + (high - low) * (band + 1) / (config.num_mel_bins + 1));
}

std::vector<int16_t> tone(double hz, double amplitude, int count, int sample_rate = 16000) {
  std::vector<int16_t> out(count);
  for (int i = 0; i < count; ++i) {
    out[i] =
        static_cast<int16_t>(std::lround(amplitude * std::sin(2.0 * kPi * hz * i / sample_rate)));
  }
  return out;
}

TEST(AudioMfcc, FrameCountMatchesTheModelInput) {
  const MfccConfig config;
  EXPECT_EQ(mfcc_num_frames(config, 16000), 49);
  EXPECT_EQ(mfcc_num_frames(config, 639), 0);
  EXPECT_EQ(mfcc_num_frames(config, 640), 1);
  std::vector<float> features;
  std::string error;
  ASSERT_TRUE(compute_mfcc(tone(440, 8000, 16000), config, &features, &error)) << error;
  EXPECT_EQ(features.size(), 49u * 10u);
  // Shorter audio is zero-padded to desired_samples, so the shape does not change.
  ASSERT_TRUE(compute_mfcc(tone(440, 8000, 12000), config, &features, &error)) << error;
  EXPECT_EQ(features.size(), 49u * 10u);
}

TEST(AudioMfcc, MelMatrixIsTriangularAroundBandCenters) {
  const MfccConfig config;
  const int num_bins = config.fft_length / 2 + 1;
  const std::vector<float> matrix = mel_weight_matrix(config);
  ASSERT_EQ(matrix.size(), static_cast<size_t>(num_bins) * config.num_mel_bins);
  const double hz_per_bin = config.sample_rate / 2.0 / (num_bins - 1);
  for (int m = 0; m < config.num_mel_bins; ++m) {
    EXPECT_EQ(matrix[m], 0.0f) << "DC bin must be excluded";
    int peak_bin = 0;
    for (int bin = 0; bin < num_bins; ++bin) {
      const float w = matrix[static_cast<size_t>(bin) * config.num_mel_bins + m];
      ASSERT_GE(w, 0.0f);
      ASSERT_LE(w, 1.0f);
      if (w > matrix[static_cast<size_t>(peak_bin) * config.num_mel_bins + m]) peak_bin = bin;
      // Nothing outside the band's outer edges.
      const double hz = bin * hz_per_bin;
      if (hz < band_center_hz(config, m - 1) - 1e-6 || hz > band_center_hz(config, m + 1) + 1e-6) {
        EXPECT_EQ(w, 0.0f) << "band " << m << " bin " << bin;
      }
    }
    EXPECT_NEAR(peak_bin * hz_per_bin, band_center_hz(config, m), hz_per_bin) << "band " << m;
  }
  // Above 4 kHz every weight is zero.
  for (int bin = static_cast<int>(4000 / hz_per_bin) + 1; bin < num_bins; ++bin) {
    for (int m = 0; m < config.num_mel_bins; ++m) {
      EXPECT_EQ(matrix[static_cast<size_t>(bin) * config.num_mel_bins + m], 0.0f);
    }
  }
}

TEST(AudioMfcc, ToneEnergyLandsInTheNearestMelBand) {
  const MfccConfig config;
  for (int band : {3, 10, 20, 30, 37}) {
    const double hz = band_center_hz(config, band);
    std::vector<float> log_mel;
    std::string error;
    ASSERT_TRUE(compute_log_mel(tone(hz, 12000, 16000), config, &log_mel, &error)) << error;
    for (int frame : {0, 24, 48}) {
      const float* row = log_mel.data() + frame * config.num_mel_bins;
      const int loudest = static_cast<int>(std::max_element(row, row + config.num_mel_bins) - row);
      EXPECT_EQ(loudest, band) << hz << " Hz, frame " << frame;
      // Far-away bands see only window leakage: many orders of magnitude less.
      EXPECT_GT(row[band] - row[(band + 20) % config.num_mel_bins], 5.0f) << hz << " Hz";
    }
  }
}

TEST(AudioMfcc, DctIsOrthonormalExceptCoefficientZero) {
  // With as many coefficients as mel bins, an orthonormal DCT-II preserves the sum of squares.
  // tf.signal's mfccs_from_log_mel_spectrograms scales coefficient 0 by sqrt(2/N) like the others,
  // i.e. sqrt(2) more than orthonormal: undo that and Parseval must hold.
  MfccConfig config;
  config.num_coefficients = config.num_mel_bins;
  const std::vector<int16_t> audio = tone(700, 9000, 16000);
  std::vector<float> log_mel, mfcc;
  std::string error;
  ASSERT_TRUE(compute_log_mel(audio, config, &log_mel, &error)) << error;
  ASSERT_TRUE(compute_mfcc(audio, config, &mfcc, &error)) << error;
  ASSERT_EQ(log_mel.size(), mfcc.size());
  const int n = config.num_mel_bins;
  for (int frame = 0; frame < 49; frame += 12) {
    double energy_in = 0, energy_out = 0, sum_in = 0;
    for (int i = 0; i < n; ++i) {
      const double x = log_mel[frame * n + i];
      energy_in += x * x;
      sum_in += x;
      const double c = mfcc[frame * n + i] / (i == 0 ? std::sqrt(2.0) : 1.0);
      energy_out += c * c;
    }
    EXPECT_NEAR(energy_out / energy_in, 1.0, 1e-5) << "frame " << frame;
    // Coefficient 0 is sqrt(2/N) times the sum of the log-mel values.
    EXPECT_NEAR(mfcc[frame * n], std::sqrt(2.0 / n) * sum_in, 1e-3 * std::fabs(sum_in) + 1e-4);
  }
}

TEST(AudioMfcc, SilenceAndOverloadStayFinite) {
  const MfccConfig config;
  std::vector<float> features;
  std::string error;
  for (const std::vector<int16_t>& audio :
       {std::vector<int16_t>(16000, 0), std::vector<int16_t>(16000, -5),
        std::vector<int16_t>(16000, 32767)}) {
    ASSERT_TRUE(compute_mfcc(audio, config, &features, &error)) << error;
    for (float v : features) ASSERT_TRUE(std::isfinite(v));
  }
  // Digital silence: every mel energy is 0, so each log-mel value is log(1e-6) and coefficient 0
  // is sqrt(2/40) * 40 * log(1e-6); the others vanish.
  ASSERT_TRUE(compute_mfcc(std::vector<int16_t>(16000, 0), config, &features, &error));
  EXPECT_NEAR(features[0], std::sqrt(2.0 / 40) * 40 * std::log(1e-6), 1e-3);
  for (int k = 1; k < 10; ++k) EXPECT_NEAR(features[k], 0.0f, 1e-4);
}

TEST(AudioMfcc, NormalizationByTheMaximumMakesLevelIrrelevant) {
  // The reference divides by the waveform's maximum, so an exactly 4x louder copy normalizes to
  // the same float samples and gives identical features. Broadband content keeps every mel band
  // far above the 1e-6 log offset.
  std::vector<int16_t> quiet_audio(16000), loud_audio(16000);
  uint32_t state = 12345;
  for (size_t i = 0; i < quiet_audio.size(); ++i) {
    state = state * 1103515245u + 12345u;
    const int noise = static_cast<int>((state >> 16) % 2001) - 1000;
    quiet_audio[i] =
        static_cast<int16_t>(noise + std::lround(3000 * std::sin(2.0 * kPi * 1000 * i / 16000.0)));
    loud_audio[i] = static_cast<int16_t>(4 * quiet_audio[i]);
  }
  const MfccConfig config;
  std::vector<float> loud, quiet;
  std::string error;
  ASSERT_TRUE(compute_mfcc(loud_audio, config, &loud, &error));
  ASSERT_TRUE(compute_mfcc(quiet_audio, config, &quiet, &error));
  EXPECT_EQ(loud, quiet);
  MfccConfig unnormalized = config;
  unnormalized.normalize_by_max = false;
  ASSERT_TRUE(compute_mfcc(loud_audio, unnormalized, &loud, &error));
  ASSERT_TRUE(compute_mfcc(quiet_audio, unnormalized, &quiet, &error));
  // 4x louder: every log-mel value rises by ln(4), so coefficient 0 by sqrt(2/40) * 40 * ln 4,
  // and the other coefficients (sums of cosines over all bands, which cancel) do not move.
  for (int frame = 0; frame < 49; ++frame) {
    EXPECT_NEAR(loud[frame * 10] - quiet[frame * 10], std::sqrt(2.0 / 40) * 40 * std::log(4.0),
                1e-3);
    for (int k = 1; k < 10; ++k) EXPECT_NEAR(loud[frame * 10 + k], quiet[frame * 10 + k], 1e-3);
  }
}

TEST(AudioMfcc, RejectsBadConfigurations) {
  const std::vector<int16_t> audio(16000, 0);
  std::vector<float> features;
  std::string error;
  MfccConfig config;
  config.fft_length = 600;
  EXPECT_FALSE(compute_mfcc(audio, config, &features, &error));
  EXPECT_NE(error.find("power of two"), std::string::npos) << error;
  config = MfccConfig();
  config.num_coefficients = 41;
  EXPECT_FALSE(compute_mfcc(audio, config, &features, &error));
  config = MfccConfig();
  config.upper_edge_hertz = 9000;
  EXPECT_FALSE(compute_mfcc(audio, config, &features, &error));
  config = MfccConfig();
  config.desired_samples = 100;
  EXPECT_FALSE(compute_mfcc(audio, config, &features, &error));
}

TEST(AudioMfcc, QuantizeToInt8RoundsHalfAwayFromZeroAndSaturates) {
  const std::vector<int8_t> q =
      quantize_to_int8({0.0f, 0.25f, 0.75f, -0.25f, -0.75f, 1000.0f, -1000.0f, 1.0f}, 0.5f, 10);
  EXPECT_EQ(q, (std::vector<int8_t>{10, 11, 12, 9, 8, 127, -128, 12}));
}

// Reference values: TensorFlow 2.21 tf.signal, run on the same clips with the MLPerf Tiny
// preprocessing (x / max(x), stft 640/320/None, |.|, linear_to_mel_weight_matrix(40, 513,
// 16000, 20, 4000), log(+1e-6), mfccs_from_log_mel_spectrograms[..., :10]).
TEST(AudioMfcc, MatchesTensorFlowOnSharedClips) {
  const std::string dir = std::string(OCTET_SHARED_DIR) + "/data/audio/";
  struct Golden {
    const char* clip;
    int frame;
    float values[10];
  };
  const Golden goldens[] = {
      {"yes",
       0,
       {-26.8014f, 6.9682f, 3.5214f, 2.2109f, -3.3687f, -3.0460f, -1.7890f, 0.8117f, -0.6900f,
        -1.9446f}},
      {"yes",
       10,
       {3.8564f, -0.8599f, 2.3491f, -1.1681f, -1.9401f, -0.0303f, -1.8399f, 0.0355f, -0.5094f,
        -1.6003f}},
      {"no",
       20,
       {-17.9860f, 3.5951f, -1.5253f, -0.5309f, -0.2200f, -0.5624f, -0.6031f, 0.5531f, -0.2493f,
        0.2686f}},
  };
  for (const Golden& golden : goldens) {
    WavAudio wav;
    std::string error;
    if (!load_wav(dir + "tflm_" + golden.clip + "_1000ms.wav", &wav, &error)) {
      GTEST_SKIP() << "shared audio clips not available (" << error << ")";
    }
    std::vector<float> features;
    ASSERT_TRUE(compute_mfcc(wav.samples, MfccConfig(), &features, &error)) << error;
    ASSERT_EQ(features.size(), 490u);
    for (int k = 0; k < 10; ++k) {
      EXPECT_NEAR(features[golden.frame * 10 + k], golden.values[k], 2e-4)
          << golden.clip << " frame " << golden.frame << " coefficient " << k;
    }
  }
}

}  // namespace
}  // namespace octet::audio
