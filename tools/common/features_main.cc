// octet-features: computes keyword-spotting features from a 16 kHz WAV file and writes them as
// .npy, ready for `octet-run --input` or a reference runtime.
//   --kind mfcc       float32 [1,49,10,1]  MLPerf Tiny KWS DS-CNN input (int8 with
//   --scale/--zero-point)
//   --kind micro      int8    [1,1960]     TFLM micro_speech input (49 frames x 40 channels)
//   --kind micro-raw  int32   [49,40]      the micro frontend's uint16 values before int8
//   conversion
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tools/common/audio.h"
#include "tools/common/inputs.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: octet-features WAV --kind mfcc|micro|micro-raw -o OUT.npy\n"
               "         [--window-ms MS]  (mfcc frame length, default 40)\n"
               "         [--scale S --zero-point Z]  (mfcc: write int8 quantized values)\n");
  return 2;
}

bool parse_number(const char* text, double* value) {
  char* end = nullptr;
  *value = std::strtod(text, &end);
  return end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using namespace octet;
  std::string wav_path, kind, output_path;
  double window_ms = 40.0, scale = 0.0, zero_point = 0.0;
  bool have_scale = false, have_zero_point = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--kind" && has_value) {
      kind = argv[++i];
    } else if (arg == "-o" && has_value) {
      output_path = argv[++i];
    } else if (arg == "--window-ms" && has_value) {
      if (!parse_number(argv[++i], &window_ms) || window_ms <= 0) return usage();
    } else if (arg == "--scale" && has_value) {
      if (!parse_number(argv[++i], &scale) || scale <= 0) return usage();
      have_scale = true;
    } else if (arg == "--zero-point" && has_value) {
      if (!parse_number(argv[++i], &zero_point)) return usage();
      have_zero_point = true;
    } else if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && wav_path.empty()) {
      wav_path = arg;
    } else {
      std::fprintf(stderr, "octet-features: unexpected argument '%s'\n", arg.c_str());
      return usage();
    }
  }
  if (wav_path.empty() || output_path.empty() || kind.empty()) return usage();
  if (have_scale != have_zero_point || (have_scale && kind != "mfcc")) {
    std::fprintf(stderr,
                 "octet-features: --scale and --zero-point go together, with --kind mfcc\n");
    return 2;
  }

  std::string error;
  audio::WavAudio wav;
  if (!audio::load_wav(wav_path, &wav, &error)) {
    std::fprintf(stderr, "octet-features: %s\n", error.c_str());
    return 1;
  }
  if (wav.sample_rate != 16000) {
    std::fprintf(stderr, "octet-features: %s is %d Hz; the KWS front-ends expect 16000 Hz\n",
                 wav_path.c_str(), wav.sample_rate);
    return 1;
  }

  bool saved = false;
  if (kind == "mfcc") {
    audio::MfccConfig config;
    config.frame_length = static_cast<int>(window_ms * config.sample_rate / 1000.0 + 0.5);
    config.fft_length = 0;  // next power of two, like tf.signal.stft
    std::vector<float> mfcc;
    if (!audio::compute_mfcc(wav.samples, config, &mfcc, &error)) {
      std::fprintf(stderr, "octet-features: %s\n", error.c_str());
      return 1;
    }
    const std::vector<int64_t> shape = {1, audio::mfcc_num_frames(config, config.desired_samples),
                                        config.num_coefficients, 1};
    if (have_scale) {
      const std::vector<int8_t> q = audio::quantize_to_int8(mfcc, static_cast<float>(scale),
                                                            static_cast<int32_t>(zero_point));
      saved = tools::save_npy(output_path, tools::ElementType::kInt8, shape, q.data(), q.size(),
                              &error);
    } else {
      saved = tools::save_npy(output_path, tools::ElementType::kFloat32, shape, mfcc.data(),
                              mfcc.size() * sizeof(float), &error);
    }
  } else if (kind == "micro" || kind == "micro-raw") {
    audio::MicroFrontendConfig config;
    std::vector<uint16_t> values;
    if (!audio::compute_micro_frontend(wav.samples, config, &values, &error)) {
      std::fprintf(stderr, "octet-features: %s\n", error.c_str());
      return 1;
    }
    const int64_t frames =
        audio::micro_frontend_num_frames(config, static_cast<int>(wav.samples.size()));
    if (kind == "micro") {
      std::vector<int8_t> q(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        q[i] = audio::micro_speech_feature_to_int8(values[i]);
      saved = tools::save_npy(output_path, tools::ElementType::kInt8,
                              {1, frames * config.num_channels}, q.data(), q.size(), &error);
    } else {
      std::vector<int32_t> wide(values.begin(), values.end());
      saved =
          tools::save_npy(output_path, tools::ElementType::kInt32, {frames, config.num_channels},
                          wide.data(), wide.size() * sizeof(int32_t), &error);
    }
  } else {
    std::fprintf(stderr, "octet-features: unknown --kind '%s'\n", kind.c_str());
    return usage();
  }
  if (!saved) {
    std::fprintf(stderr, "octet-features: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
