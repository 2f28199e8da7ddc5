// octet-features CLI: its .npy outputs hold exactly what the library computes, with the model
// input shapes and dtypes; bad inputs fail with a non-zero exit. With ../shared present it also
// leaves the four speech clips' features in <build>/audio_features/<clip>_{mfcc,micro}.npy for
// tests that feed them to the models.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tools/common/audio.h"
#include "tools/common/inputs.h"

namespace octet::audio {
namespace {

const std::string kFeaturesDir = OCTET_AUDIO_FEATURES_DIR;

int run_cli(const std::string& arguments) {
  const std::string command =
      std::string("'") + OCTET_FEATURES_BIN + "' " + arguments + " 2>/dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_wav(const std::string& path, const std::vector<int16_t>& samples, int sample_rate) {
  auto u32 = [](std::ofstream& f, uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [](std::ofstream& f, uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  std::ofstream f(path, std::ios::binary);
  const uint32_t data_bytes = static_cast<uint32_t>(samples.size() * 2);
  f.write("RIFF", 4);
  u32(f, 36 + data_bytes);
  f.write("WAVEfmt ", 8);
  u32(f, 16);
  u16(f, 1);
  u16(f, 1);
  u32(f, static_cast<uint32_t>(sample_rate));
  u32(f, static_cast<uint32_t>(sample_rate * 2));
  u16(f, 2);
  u16(f, 16);
  f.write("data", 4);
  u32(f, data_bytes);
  f.write(reinterpret_cast<const char*>(samples.data()), data_bytes);
}

class AudioFeaturesCli : public ::testing::Test {
 protected:
  void SetUp() override { ::mkdir(kFeaturesDir.c_str(), 0755); }
};

// Runs the CLI on `wav` for the three kinds and checks every output against the library.
void check_outputs(const std::string& wav_path, const std::string& stem) {
  WavAudio wav;
  std::string error;
  ASSERT_TRUE(load_wav(wav_path, &wav, &error)) << error;

  const std::string mfcc_path = kFeaturesDir + "/" + stem + "_mfcc.npy";
  ASSERT_EQ(run_cli("'" + wav_path + "' --kind mfcc -o '" + mfcc_path + "'"), 0);
  tools::NpyArray array;
  ASSERT_TRUE(tools::load_npy(mfcc_path, &array, &error)) << error;
  EXPECT_EQ(array.type, tools::ElementType::kFloat32);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{1, 49, 10, 1}));
  std::vector<float> mfcc;
  ASSERT_TRUE(compute_mfcc(wav.samples, MfccConfig(), &mfcc, &error)) << error;
  EXPECT_EQ(tools::npy_to_float(array), mfcc);

  const std::string quantized_path = kFeaturesDir + "/" + stem + "_mfcc_int8.npy";
  ASSERT_EQ(run_cli("'" + wav_path + "' --kind mfcc --scale 0.25 --zero-point -3 -o '" +
                    quantized_path + "'"),
            0);
  ASSERT_TRUE(tools::load_npy(quantized_path, &array, &error)) << error;
  EXPECT_EQ(array.type, tools::ElementType::kInt8);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{1, 49, 10, 1}));
  const std::vector<int8_t> expected_q = quantize_to_int8(mfcc, 0.25f, -3);
  ASSERT_EQ(array.data.size(), expected_q.size());
  EXPECT_EQ(std::memcmp(array.data.data(), expected_q.data(), expected_q.size()), 0);

  const std::string micro_path = kFeaturesDir + "/" + stem + "_micro.npy";
  ASSERT_EQ(run_cli("'" + wav_path + "' --kind micro -o '" + micro_path + "'"), 0);
  ASSERT_TRUE(tools::load_npy(micro_path, &array, &error)) << error;
  EXPECT_EQ(array.type, tools::ElementType::kInt8);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{1, 1960}));
  std::vector<int8_t> micro;
  ASSERT_TRUE(compute_micro_speech_input(wav.samples, MicroFrontendConfig(), &micro, &error));
  ASSERT_EQ(array.data.size(), micro.size());
  EXPECT_EQ(std::memcmp(array.data.data(), micro.data(), micro.size()), 0);

  const std::string raw_path = kFeaturesDir + "/" + stem + "_micro_raw.npy";
  ASSERT_EQ(run_cli("'" + wav_path + "' --kind micro-raw -o '" + raw_path + "'"), 0);
  ASSERT_TRUE(tools::load_npy(raw_path, &array, &error)) << error;
  EXPECT_EQ(array.type, tools::ElementType::kInt32);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{49, 40}));
  std::vector<uint16_t> raw;
  ASSERT_TRUE(compute_micro_frontend(wav.samples, MicroFrontendConfig(), &raw, &error));
  const std::vector<float> raw_from_file = tools::npy_to_float(array);
  ASSERT_EQ(raw_from_file.size(), raw.size());
  for (size_t i = 0; i < raw.size(); ++i) ASSERT_EQ(raw_from_file[i], raw[i]) << i;
}

TEST_F(AudioFeaturesCli, SyntheticToneMatchesTheLibrary) {
  std::vector<int16_t> samples(16000);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i] =
        static_cast<int16_t>(std::lround(6000 * std::sin(2 * 3.14159265358979 * 900 * i / 16000.0) +
                                         (static_cast<int>(i * 7919 % 201) - 100)));
  }
  const std::string path = kFeaturesDir + "/synthetic_tone.wav";
  write_wav(path, samples, 16000);
  check_outputs(path, "synthetic_tone");
}

TEST_F(AudioFeaturesCli, SharedClips) {
  const std::string dir = std::string(OCTET_SHARED_DIR) + "/data/audio/";
  struct stat info;
  if (::stat((dir + "tflm_yes_1000ms.wav").c_str(), &info) != 0) {
    GTEST_SKIP() << "shared audio clips not available at " << dir;
  }
  for (const char* clip : {"yes", "no", "silence", "noise"}) {
    SCOPED_TRACE(clip);
    check_outputs(dir + "tflm_" + clip + "_1000ms.wav", clip);
  }
}

TEST_F(AudioFeaturesCli, BadInputsFail) {
  const std::string out = kFeaturesDir + "/should_not_exist.npy";
  EXPECT_NE(run_cli("/nonexistent.wav --kind mfcc -o '" + out + "'"), 0);
  const std::string wav_8k = kFeaturesDir + "/tone_8k.wav";
  write_wav(wav_8k, std::vector<int16_t>(8000, 100), 8000);
  EXPECT_NE(run_cli("'" + wav_8k + "' --kind mfcc -o '" + out + "'"), 0);
  const std::string wav_16k = kFeaturesDir + "/constant_16k.wav";
  write_wav(wav_16k, std::vector<int16_t>(16000, 100), 16000);
  EXPECT_NE(run_cli("'" + wav_16k + "' --kind spectrogram -o '" + out + "'"), 0);
  EXPECT_NE(run_cli("'" + wav_16k + "' --kind mfcc"), 0);  // no output path
  EXPECT_NE(run_cli("'" + wav_16k + "' --kind micro --scale 0.5 --zero-point 0 -o '" + out + "'"),
            0);
  struct stat info;
  EXPECT_NE(::stat(out.c_str(), &info), 0) << "a failed run must not write its output";
}

}  // namespace
}  // namespace octet::audio
