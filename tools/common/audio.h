// Audio feature front-ends for the keyword-spotting models: a PCM16 WAV reader, the MFCC
// features of the MLPerf Tiny KWS reference (tf.signal pipeline, float) and the TFLM
// "micro frontend" features of the micro_speech example (fixed point, int8 model input).
// Host-only, no dependencies; every fallible function returns false with a one-line reason in
// *error instead of throwing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace octet::audio {

// ---- WAV ----
struct WavAudio {
  int sample_rate = 0;
  int channels = 0;  // of the file; `samples` is always mono
  // Mono samples: stereo (or more channels) is averaged per frame, rounding toward zero.
  std::vector<int16_t> samples;
};
// RIFF/WAVE with a "fmt " chunk for 16-bit integer PCM (format 1, or WAVE_FORMAT_EXTENSIBLE
// with the PCM sub-format) and a "data" chunk. Unknown chunks are skipped. Anything else
// (float or 8/24/32-bit PCM, compressed formats, truncated files) is an error.
bool parse_wav(const uint8_t* bytes, size_t size, WavAudio* out, std::string* error);
bool load_wav(const std::string& path, WavAudio* out, std::string* error);

// ---- MFCC (MLPerf Tiny keyword spotting reference) ----
// The reference computes, with tf.signal on float32:
//   x = samples / max(samples)  (the largest value, not the largest magnitude), clipped to [-1, 1],
//       zero-padded or truncated to `desired_samples`
//   |STFT| with a periodic Hann window of frame_length, frame_step, fft_length (no end padding)
//   40 triangular mel filters (HTK mel 1127 ln(1 + f/700), tf.signal.linear_to_mel_weight_matrix:
//       DC bin excluded, triangles linear in mel between equally spaced mel edges)
//   log(mel + 1e-6), then tf.signal.mfccs_from_log_mel_spectrograms: an unnormalized DCT-II
//       scaled by 1/sqrt(2 * num_mel_bins) — i.e. orthonormal except that coefficient 0 is
//       sqrt(2) larger than the orthonormal one — keeping the first num_coefficients.
struct MfccConfig {
  int sample_rate = 16000;
  int desired_samples = 16000;  // 1 s
  int frame_length = 640;       // 40 ms
  int frame_step = 320;         // 20 ms
  int fft_length = 1024;        // 0: the next power of two >= frame_length (tf.signal's default)
  int num_mel_bins = 40;
  float lower_edge_hertz = 20.0f;
  float upper_edge_hertz = 4000.0f;
  float log_offset = 1e-6f;
  int num_coefficients = 10;
  // The reference divides by the waveform's maximum; false keeps the samples / 32768 instead.
  bool normalize_by_max = true;
};
// Number of frames for `num_samples` samples (no end padding): 1 + (n - length) / step, or 0.
int mfcc_num_frames(const MfccConfig& config, int num_samples);
// Row-major [frames][num_coefficients] float features (49 x 10 with the defaults).
// A waveform whose maximum is <= 0 (e.g. digital silence) would divide by zero in the
// reference; here it is left unscaled (divided by 32768) instead.
bool compute_mfcc(const std::vector<int16_t>& samples, const MfccConfig& config,
                  std::vector<float>* features, std::string* error);
// The stage before the DCT: row-major [frames][num_mel_bins] log(mel + log_offset), same
// normalization and checks as compute_mfcc.
bool compute_log_mel(const std::vector<int16_t>& samples, const MfccConfig& config,
                     std::vector<float>* log_mel, std::string* error);
// The mel filter matrix, [fft_length / 2 + 1][num_mel_bins] row-major, float32 as tf.signal
// computes it (exposed for tests).
std::vector<float> mel_weight_matrix(const MfccConfig& config);

// Quantizes float features to an int8 model input: q = clamp(round(x / scale) + zero_point),
// rounding half away from zero like TFLite's QUANTIZE.
std::vector<int8_t> quantize_to_int8(const std::vector<float>& values, float scale,
                                     int32_t zero_point);

// ---- TFLM micro frontend (micro_speech) ----
// The fixed-point pipeline of TFLM's audio "micro frontend", per frame of window_ms every
// step_ms: Hann window (12-bit coefficients), a scaling shift so the frame uses the full int16
// range, a 16-bit fixed-point real FFT (radix-4/2 decimation in time that halves or quarters
// the values at every stage, twiddles rounded to Q15), |X|^2, triangular mel filterbank with
// 12-bit weights (num_channels channels between the band limits), square root, per-channel
// noise-floor subtraction (smoothed estimate), PCAN automatic gain control, and a fixed-point
// natural log scaled by 2^scale_shift. Values are uint16 (~0..670 for micro_speech).
struct MicroFrontendConfig {
  int sample_rate = 16000;
  int window_ms = 30;
  int step_ms = 20;
  int num_channels = 40;
  float lower_band_limit = 125.0f;
  float upper_band_limit = 7500.0f;
  // Noise reduction.
  int smoothing_bits = 10;
  float even_smoothing = 0.025f;
  float odd_smoothing = 0.06f;
  float min_signal_remaining = 0.05f;
  // PCAN gain control.
  bool enable_pcan = true;
  float pcan_strength = 0.95f;
  float pcan_offset = 80.0f;
  int gain_bits = 21;
  // Log scale.
  bool enable_log = true;
  int scale_shift = 6;
};
// Frames produced for `num_samples` samples: 1 + (n - window) / step, or 0.
int micro_frontend_num_frames(const MicroFrontendConfig& config, int num_samples);
// Row-major [frames][num_channels] uint16 features. The noise estimate starts at zero for
// every call (a fresh frontend state), as for one clip in the micro_speech example.
bool compute_micro_frontend(const std::vector<int16_t>& samples, const MicroFrontendConfig& config,
                            std::vector<uint16_t>* features, std::string* error);
// The micro_speech example's conversion of frontend values to the model's int8 input:
// round(value * 256 / 666) - 128 (666 = round(25.6 * 26)), clamped to [-128, 127].
int8_t micro_speech_feature_to_int8(uint16_t value);
// compute_micro_frontend + micro_speech_feature_to_int8: 49 x 40 = 1960 values for 1 s.
bool compute_micro_speech_input(const std::vector<int16_t>& samples,
                                const MicroFrontendConfig& config, std::vector<int8_t>* features,
                                std::string* error);

}  // namespace octet::audio
