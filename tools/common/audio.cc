// Audio feature front-ends; see audio.h for what each pipeline computes and why.
#include "tools/common/audio.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace octet::audio {
namespace {

constexpr double kPi = 3.14159265358979323846;

bool fail(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

// Number of bits needed to represent x (0 for 0): the position of the top set bit plus one.
int bit_length32(uint32_t x) { return x == 0 ? 0 : 32 - __builtin_clz(x); }
int bit_length64(uint64_t x) { return x == 0 ? 0 : 64 - __builtin_clzll(x); }

// HTK mel scale, as tf.signal and the micro frontend both use it.
double hertz_to_mel(double hertz) { return 1127.0 * std::log1p(hertz / 700.0); }

}  // namespace

// ============================================================================================
// WAV
// ============================================================================================

bool parse_wav(const uint8_t* bytes, size_t size, WavAudio* out, std::string* error) {
  if (size < 12 || std::memcmp(bytes, "RIFF", 4) != 0 || std::memcmp(bytes + 8, "WAVE", 4) != 0) {
    return fail(error, "not a WAV file (no RIFF/WAVE header)");
  }
  bool have_format = false;
  int channels = 0, sample_rate = 0, bits = 0, block_align = 0;
  size_t offset = 12;
  while (offset + 8 <= size) {
    const uint8_t* chunk = bytes + offset;
    const uint32_t chunk_size = read_u32(chunk + 4);
    const size_t body = offset + 8;
    const size_t available = size - body;
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (chunk_size < 16 || chunk_size > available) {
        return fail(error, "WAV fmt chunk is truncated or too small");
      }
      uint16_t format = read_u16(bytes + body);
      channels = read_u16(bytes + body + 2);
      sample_rate = static_cast<int>(read_u32(bytes + body + 4));
      block_align = read_u16(bytes + body + 12);
      bits = read_u16(bytes + body + 14);
      if (format == 0xFFFE) {  // WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID
        if (chunk_size < 40) return fail(error, "WAV extensible fmt chunk is too small");
        format = read_u16(bytes + body + 24);
      }
      if (format != 1) {
        return fail(error, "unsupported WAV encoding (format tag " + std::to_string(format) +
                               "): only 16-bit integer PCM is supported");
      }
      if (bits != 16) {
        return fail(error, "unsupported WAV sample size: " + std::to_string(bits) +
                               " bits (only 16-bit PCM is supported)");
      }
      if (channels < 1) return fail(error, "WAV file has no channels");
      if (block_align != channels * 2) {
        return fail(error, "WAV block alignment " + std::to_string(block_align) +
                               " does not match " + std::to_string(channels) + " x 16-bit");
      }
      if (sample_rate <= 0) return fail(error, "WAV sample rate is not positive");
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_format) return fail(error, "WAV data chunk comes before the fmt chunk");
      if (chunk_size > available) {
        return fail(error, "WAV data chunk is truncated: header says " +
                               std::to_string(chunk_size) + " bytes, file has " +
                               std::to_string(available));
      }
      if (chunk_size % block_align != 0) {
        return fail(error, "WAV data size is not a whole number of sample frames");
      }
      const size_t frames = chunk_size / block_align;
      const uint8_t* data = bytes + body;
      out->sample_rate = sample_rate;
      out->channels = channels;
      out->samples.resize(frames);
      for (size_t f = 0; f < frames; ++f) {
        int32_t sum = 0;
        for (int c = 0; c < channels; ++c) {
          sum += static_cast<int16_t>(read_u16(data + (f * channels + c) * 2));
        }
        out->samples[f] = static_cast<int16_t>(sum / channels);
      }
      return true;
    }
    // Chunks are padded to an even size.
    offset = body + static_cast<size_t>(chunk_size) + (chunk_size & 1u);
  }
  return fail(error, have_format ? "WAV file has no data chunk" : "WAV file has no fmt chunk");
}

bool load_wav(const std::string& path, WavAudio* out, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return fail(error, "cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  if (!parse_wav(bytes.data(), bytes.size(), out, error)) {
    if (error) *error = path + ": " + *error;
    return false;
  }
  return true;
}

// ============================================================================================
// MFCC (tf.signal semantics, float32 results, double intermediates)
// ============================================================================================
namespace {

// In-place iterative radix-2 complex FFT (forward, unnormalized).
void fft_radix2(std::vector<double>* real, std::vector<double>* imag) {
  const size_t n = real->size();
  for (size_t i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      std::swap((*real)[i], (*real)[j]);
      std::swap((*imag)[i], (*imag)[j]);
    }
  }
  for (size_t length = 2; length <= n; length <<= 1) {
    const double angle = -2.0 * kPi / static_cast<double>(length);
    for (size_t start = 0; start < n; start += length) {
      for (size_t k = 0; k < length / 2; ++k) {
        const double wr = std::cos(angle * k), wi = std::sin(angle * k);
        const size_t a = start + k, b = a + length / 2;
        const double tr = (*real)[b] * wr - (*imag)[b] * wi;
        const double ti = (*real)[b] * wi + (*imag)[b] * wr;
        (*real)[b] = (*real)[a] - tr;
        (*imag)[b] = (*imag)[a] - ti;
        (*real)[a] += tr;
        (*imag)[a] += ti;
      }
    }
  }
}

int mfcc_fft_length(const MfccConfig& config) {
  if (config.fft_length > 0) return config.fft_length;
  int n = 1;
  while (n < config.frame_length) n <<= 1;
  return n;
}

}  // namespace

int mfcc_num_frames(const MfccConfig& config, int num_samples) {
  if (config.frame_length <= 0 || config.frame_step <= 0 || num_samples < config.frame_length) {
    return 0;
  }
  return 1 + (num_samples - config.frame_length) / config.frame_step;
}

std::vector<float> mel_weight_matrix(const MfccConfig& config) {
  const int num_bins = mfcc_fft_length(config) / 2 + 1;
  const int num_mel = config.num_mel_bins;
  std::vector<float> matrix(static_cast<size_t>(num_bins) * num_mel, 0.0f);
  // num_mel + 2 equally spaced mel edges; band m spans edges m, m+1 (center), m+2.
  const double mel_low = hertz_to_mel(config.lower_edge_hertz);
  const double mel_high = hertz_to_mel(config.upper_edge_hertz);
  std::vector<double> edges(num_mel + 2);
  for (int i = 0; i < num_mel + 2; ++i) {
    edges[i] = mel_low + (mel_high - mel_low) * i / (num_mel + 1);
  }
  const double nyquist = config.sample_rate / 2.0;
  for (int bin = 1; bin < num_bins; ++bin) {  // bin 0 (DC) stays zero, as in HTK
    const double mel = hertz_to_mel(nyquist * bin / (num_bins - 1));
    for (int m = 0; m < num_mel; ++m) {
      const double lower_slope = (mel - edges[m]) / (edges[m + 1] - edges[m]);
      const double upper_slope = (edges[m + 2] - mel) / (edges[m + 2] - edges[m + 1]);
      const double weight = std::max(0.0, std::min(lower_slope, upper_slope));
      matrix[static_cast<size_t>(bin) * num_mel + m] = static_cast<float>(weight);
    }
  }
  return matrix;
}

bool compute_log_mel(const std::vector<int16_t>& samples, const MfccConfig& config,
                     std::vector<float>* log_mel, std::string* error) {
  const int fft_length = mfcc_fft_length(config);
  if (config.frame_length <= 0 || config.frame_step <= 0 || config.desired_samples <= 0) {
    return fail(error, "MFCC: frame length, frame step and sample count must be positive");
  }
  if (!is_power_of_two(fft_length) || fft_length < config.frame_length) {
    return fail(error, "MFCC: FFT length must be a power of two >= the frame length");
  }
  if (config.num_mel_bins <= 0) return fail(error, "MFCC: need at least one mel bin");
  if (!(config.lower_edge_hertz >= 0.0f && config.lower_edge_hertz < config.upper_edge_hertz &&
        config.upper_edge_hertz <= config.sample_rate / 2.0f)) {
    return fail(error, "MFCC: need 0 <= lower edge < upper edge <= Nyquist");
  }
  const int num_frames = mfcc_num_frames(config, config.desired_samples);
  if (num_frames == 0) return fail(error, "MFCC: fewer samples than one frame");

  // Normalize (float32 like the reference), pad/truncate, clip.
  float divisor = 32768.0f;
  if (config.normalize_by_max && !samples.empty()) {
    const int16_t peak = *std::max_element(samples.begin(), samples.end());
    if (peak > 0) divisor = static_cast<float>(peak);
  }
  std::vector<float> signal(config.desired_samples, 0.0f);
  const size_t copied = std::min(samples.size(), signal.size());
  for (size_t i = 0; i < copied; ++i) {
    signal[i] = std::clamp(static_cast<float>(samples[i]) / divisor, -1.0f, 1.0f);
  }

  std::vector<float> window(config.frame_length);  // periodic Hann
  for (int i = 0; i < config.frame_length; ++i) {
    window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * i / config.frame_length));
  }
  const int num_bins = fft_length / 2 + 1;
  const int num_mel = config.num_mel_bins;
  const std::vector<float> mel_weights = mel_weight_matrix(config);
  log_mel->assign(static_cast<size_t>(num_frames) * num_mel, 0.0f);
  std::vector<double> real(fft_length), imag(fft_length);
  std::vector<float> magnitude(num_bins);
  for (int frame = 0; frame < num_frames; ++frame) {
    const float* x = signal.data() + static_cast<size_t>(frame) * config.frame_step;
    std::fill(real.begin(), real.end(), 0.0);
    std::fill(imag.begin(), imag.end(), 0.0);
    for (int i = 0; i < config.frame_length; ++i) real[i] = static_cast<float>(x[i] * window[i]);
    fft_radix2(&real, &imag);
    for (int bin = 0; bin < num_bins; ++bin) {
      magnitude[bin] = static_cast<float>(std::hypot(real[bin], imag[bin]));
    }
    for (int m = 0; m < num_mel; ++m) {
      double sum = 0.0;
      for (int bin = 0; bin < num_bins; ++bin) {
        sum += static_cast<double>(magnitude[bin]) *
               mel_weights[static_cast<size_t>(bin) * num_mel + m];
      }
      (*log_mel)[static_cast<size_t>(frame) * num_mel + m] = static_cast<float>(
          std::log(static_cast<double>(static_cast<float>(sum)) + config.log_offset));
    }
  }
  return true;
}

bool compute_mfcc(const std::vector<int16_t>& samples, const MfccConfig& config,
                  std::vector<float>* features, std::string* error) {
  if (config.num_coefficients <= 0 || config.num_coefficients > config.num_mel_bins) {
    return fail(error, "MFCC: need 0 < coefficients <= mel bins");
  }
  std::vector<float> log_mel;
  if (!compute_log_mel(samples, config, &log_mel, error)) return false;
  const int num_mel = config.num_mel_bins;
  const int num_coefficients = config.num_coefficients;
  const size_t num_frames = log_mel.size() / num_mel;
  // DCT-II with tf.signal's scaling: 2 * cos(...) / sqrt(2 * num_mel) = sqrt(2/N) cos(...).
  std::vector<double> dct(static_cast<size_t>(num_coefficients) * num_mel);
  for (int k = 0; k < num_coefficients; ++k) {
    for (int n = 0; n < num_mel; ++n) {
      dct[static_cast<size_t>(k) * num_mel + n] =
          std::sqrt(2.0 / num_mel) * std::cos(kPi * k * (2 * n + 1) / (2.0 * num_mel));
    }
  }
  features->assign(num_frames * num_coefficients, 0.0f);
  for (size_t frame = 0; frame < num_frames; ++frame) {
    const float* row = log_mel.data() + frame * num_mel;
    for (int k = 0; k < num_coefficients; ++k) {
      double sum = 0.0;
      for (int n = 0; n < num_mel; ++n) sum += dct[static_cast<size_t>(k) * num_mel + n] * row[n];
      (*features)[frame * num_coefficients + k] = static_cast<float>(sum);
    }
  }
  return true;
}

std::vector<int8_t> quantize_to_int8(const std::vector<float>& values, float scale,
                                     int32_t zero_point) {
  std::vector<int8_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double q = std::round(static_cast<double>(values[i]) / scale) + zero_point;
    out[i] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
  }
  return out;
}

// ============================================================================================
// TFLM micro frontend (fixed point)
// ============================================================================================
namespace {

constexpr int kWindowBits = 12;          // Hann coefficients in Q12
constexpr int kFilterbankBits = 12;      // filterbank weights in Q12
constexpr int kNoiseReductionBits = 14;  // smoothing coefficients in Q14
constexpr int kPcanSnrBits = 12;
constexpr int kPcanOutputBits = 6;
constexpr int kGainLutIntervals = 32;  // the gain curve is tabulated per power-of-two interval
constexpr int kLogScaleBits = 16;      // log2 computed in Q16
constexpr int kLogSegmentsBits = 7;    // 128 linear segments for the log2 mantissa correction
constexpr uint32_t kLn2Q16 = 45426;    // round(ln(2) * 2^16)

struct Complex16 {
  int16_t real = 0, imag = 0;
};

// Q15 rounding of a product sum, stored to int16 like the 16-bit fixed-point FFT does.
int16_t round_q15(int64_t x) { return static_cast<int16_t>((x + (1 << 14)) >> 15); }
// Division by a small constant as the fixed-point FFT does it: multiply by (32767 / divisor).
int16_t divide_q15(int16_t x, int divisor) { return round_q15(int64_t{x} * (32767 / divisor)); }
void divide_q15(Complex16* c, int divisor) {
  c->real = divide_q15(c->real, divisor);
  c->imag = divide_q15(c->imag, divisor);
}
Complex16 multiply_q15(Complex16 a, Complex16 b) {
  Complex16 out;
  out.real = round_q15(int64_t{a.real} * b.real - int64_t{a.imag} * b.imag);
  out.imag = round_q15(int64_t{a.real} * b.imag + int64_t{a.imag} * b.real);
  return out;
}
Complex16 add16(Complex16 a, Complex16 b) {
  return {static_cast<int16_t>(a.real + b.real), static_cast<int16_t>(a.imag + b.imag)};
}
Complex16 sub16(Complex16 a, Complex16 b) {
  return {static_cast<int16_t>(a.real - b.real), static_cast<int16_t>(a.imag - b.imag)};
}
Complex16 unit_q15(double phase) {
  return {static_cast<int16_t>(std::floor(0.5 + 32767.0 * std::cos(phase))),
          static_cast<int16_t>(std::floor(0.5 + 32767.0 * std::sin(phase)))};
}

// 16-bit fixed-point complex FFT of a power-of-two size: mixed radix-4/radix-2 decimation in
// time (radix 4 while the remaining length is divisible by 4, then one radix-2 stage). Every
// butterfly pre-divides its inputs by its radix, so the result is DFT(x) / n.
class FixedComplexFft {
 public:
  explicit FixedComplexFft(int n) : n_(n), twiddles_(n) {
    for (int i = 0; i < n; ++i) twiddles_[i] = unit_q15(-2.0 * kPi * i / n);
    int remaining = n;
    while (remaining > 1) {
      const int radix = (remaining % 4 == 0) ? 4 : 2;
      remaining /= radix;
      stages_.push_back({radix, remaining});
    }
  }
  void transform(const Complex16* in, Complex16* out) const { work(out, in, 1, 0); }

 private:
  struct Stage {
    int radix, sub_length;
  };

  void work(Complex16* out, const Complex16* in, size_t stride, size_t stage) const {
    const int radix = stages_[stage].radix;
    const int m = stages_[stage].sub_length;
    if (m == 1) {
      for (int q = 0; q < radix; ++q) out[q] = in[q * stride];
    } else {
      // radix sub-transforms of the decimated inputs, stored one after another.
      for (int q = 0; q < radix; ++q) work(out + q * m, in + q * stride, stride * radix, stage + 1);
    }
    if (radix == 4) {
      butterfly4(out, stride, m);
    } else {
      butterfly2(out, stride, m);
    }
  }

  void butterfly2(Complex16* out, size_t stride, int m) const {
    for (int k = 0; k < m; ++k) {
      Complex16& a = out[k];
      Complex16& b = out[k + m];
      divide_q15(&a, 2);
      divide_q15(&b, 2);
      const Complex16 t = multiply_q15(b, twiddles_[k * stride]);
      b = sub16(a, t);
      a = add16(a, t);
    }
  }

  void butterfly4(Complex16* out, size_t stride, int m) const {
    for (int k = 0; k < m; ++k) {
      Complex16& x0 = out[k];
      Complex16& x1 = out[k + m];
      Complex16& x2 = out[k + 2 * m];
      Complex16& x3 = out[k + 3 * m];
      divide_q15(&x0, 4);
      divide_q15(&x1, 4);
      divide_q15(&x2, 4);
      divide_q15(&x3, 4);
      const Complex16 t1 = multiply_q15(x1, twiddles_[k * stride]);
      const Complex16 t2 = multiply_q15(x2, twiddles_[2 * k * stride]);
      const Complex16 t3 = multiply_q15(x3, twiddles_[3 * k * stride]);
      const Complex16 d02 = sub16(x0, t2);
      x0 = add16(x0, t2);
      const Complex16 s13 = add16(t1, t3);
      const Complex16 d13 = sub16(t1, t3);
      x2 = sub16(x0, s13);
      x0 = add16(x0, s13);
      // Forward transform: multiply d13 by -i.
      x1 = {static_cast<int16_t>(d02.real + d13.imag), static_cast<int16_t>(d02.imag - d13.real)};
      x3 = {static_cast<int16_t>(d02.real - d13.imag), static_cast<int16_t>(d02.imag + d13.real)};
    }
  }

  int n_;
  std::vector<Complex16> twiddles_;
  std::vector<Stage> stages_;
};

// 16-bit fixed-point real FFT of size n (power of two >= 4): the n real samples are treated as
// n/2 complex ones, transformed, and split into the n/2 + 1 bins of the real transform with
// Q15 "super twiddles". Result: DFT(x) / n.
class FixedRealFft {
 public:
  explicit FixedRealFft(int n) : half_(n / 2), complex_fft_(n / 2), super_twiddles_(n / 4) {
    for (int i = 0; i < half_ / 2; ++i) {
      super_twiddles_[i] = unit_q15(-kPi * (static_cast<double>(i + 1) / half_ + 0.5));
    }
    packed_.resize(half_);
    spectrum_.resize(half_);
  }
  // in: n samples; out: n/2 + 1 bins.
  void transform(const int16_t* in, Complex16* out) {
    for (int i = 0; i < half_; ++i) packed_[i] = {in[2 * i], in[2 * i + 1]};
    complex_fft_.transform(packed_.data(), spectrum_.data());
    Complex16 dc = spectrum_[0];
    divide_q15(&dc, 2);
    out[0] = {static_cast<int16_t>(dc.real + dc.imag), 0};
    out[half_] = {static_cast<int16_t>(dc.real - dc.imag), 0};
    for (int k = 1; k <= half_ / 2; ++k) {
      Complex16 a = spectrum_[k];
      Complex16 b = {spectrum_[half_ - k].real, static_cast<int16_t>(-spectrum_[half_ - k].imag)};
      divide_q15(&a, 2);
      divide_q15(&b, 2);
      const Complex16 sum = add16(a, b);
      const Complex16 twisted = multiply_q15(sub16(a, b), super_twiddles_[k - 1]);
      out[k] = {static_cast<int16_t>((sum.real + twisted.real) >> 1),
                static_cast<int16_t>((sum.imag + twisted.imag) >> 1)};
      out[half_ - k] = {static_cast<int16_t>((sum.real - twisted.real) >> 1),
                        static_cast<int16_t>((twisted.imag - sum.imag) >> 1)};
    }
  }

 private:
  int half_;
  FixedComplexFft complex_fft_;
  std::vector<Complex16> super_twiddles_;
  std::vector<Complex16> packed_, spectrum_;
};

// Rounded integer square root: floor(sqrt(x)), plus one when the remainder exceeds the root,
// never exceeding `max_root` (the 16-bit path saturates at 0xFFFF, the 64-bit one at 2^32 - 1).
uint64_t rounded_isqrt(uint64_t x, uint64_t max_root) {
  if (x == 0) return 0;
  uint64_t root = 0;
  uint64_t bit = uint64_t{1} << ((bit_length64(x) - 1) & ~1);  // highest power of 4 <= x
  while (bit != 0) {
    if (x >= root + bit) {
      x -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  if (x > root && root != max_root) ++root;  // x is now the remainder
  return root;
}
uint32_t filterbank_sqrt(uint64_t x) {
  if ((x >> 32) == 0) return static_cast<uint32_t>(rounded_isqrt(x, 0xFFFF));
  return static_cast<uint32_t>(rounded_isqrt(x, 0xFFFFFFFFu));
}

// Triangular mel filterbank on FFT bins, described as num_channels + 1 bands between
// consecutive channel centers (the first starts at the lower band limit). A band's bins carry a
// weight falling from 1 to 0 across the band (the falling edge of the channel centered at the
// band's start) and the complementary "unweight" (the rising edge of the channel centered at
// its end).
struct Filterbank {
  int num_channels = 0;
  int start_index = 0, end_index = 0;
  // For band 0..num_channels: first FFT bin and count of bins.
  std::vector<int> band_start, band_width;
  std::vector<std::vector<int16_t>> weights, unweights;  // per band, per bin
};

float mel_of(float hertz) { return static_cast<float>(1127.0 * std::log1p(hertz / 700.0)); }

bool build_filterbank(const MicroFrontendConfig& config, int spectrum_size, Filterbank* bank,
                      std::string* error) {
  const int num_bands = config.num_channels + 1;
  bank->num_channels = config.num_channels;
  // Band ends (= channel centers) equally spaced in mel, in float like the reference.
  const float mel_low = mel_of(config.lower_band_limit);
  const float mel_high = mel_of(config.upper_band_limit);
  const float mel_spacing = (mel_high - mel_low) / static_cast<float>(num_bands);
  std::vector<float> band_edge(num_bands);
  for (int i = 0; i < num_bands; ++i) band_edge[i] = mel_low + mel_spacing * (i + 1);

  const float hz_per_bin =
      static_cast<float>(0.5 * config.sample_rate / (static_cast<float>(spectrum_size) - 1));
  bank->start_index = static_cast<int>(1.5 + config.lower_band_limit / hz_per_bin);  // skips DC
  bank->end_index = 0;
  bank->band_start.resize(num_bands);
  bank->band_width.resize(num_bands);
  bank->weights.resize(num_bands);
  bank->unweights.resize(num_bands);
  int bin = bank->start_index;
  for (int band = 0; band < num_bands; ++band) {
    const int first = bin;
    while (mel_of(bin * hz_per_bin) <= band_edge[band]) ++bin;
    bank->band_start[band] = first;
    bank->band_width[band] = bin - first;
    const float previous_edge = band == 0 ? mel_low : band_edge[band - 1];
    for (int f = first; f < bin; ++f) {
      const float weight =
          (band_edge[band] - mel_of(f * hz_per_bin)) / (band_edge[band] - previous_edge);
      bank->weights[band].push_back(
          static_cast<int16_t>(std::floor(weight * (1 << kFilterbankBits) + 0.5)));
      bank->unweights[band].push_back(
          static_cast<int16_t>(std::floor((1.0 - weight) * (1 << kFilterbankBits) + 0.5)));
    }
    if (bin > bank->end_index) bank->end_index = bin;
  }
  if (bank->end_index >= spectrum_size) {
    return fail(error, "micro frontend: filterbank upper band limit is above the FFT range");
  }
  return true;
}

// Gain curve of PCAN: gain(noise) = 2^gain_bits * (noise + offset)^-strength, tabulated per
// power-of-two interval of the noise estimate as a quadratic (y0, a1, a2) through the values at
// the interval's start, middle and end.
struct PcanGain {
  int16_t below3[3] = {0, 0, 0};  // exact values for noise 0, 1, 2
  int16_t coefficients[kGainLutIntervals + 1][3] = {};
};

int16_t pcan_gain_value(const MicroFrontendConfig& config, int input_bits, uint32_t x) {
  const float x_float = static_cast<float>(x) / static_cast<float>(uint32_t{1} << input_bits);
  const float gain = static_cast<float>(uint32_t{1} << config.gain_bits) *
                     powf(x_float + config.pcan_offset, -config.pcan_strength);
  if (gain > 32767.0f) return 32767;
  return static_cast<int16_t>(gain + 0.5f);
}

PcanGain build_pcan_gain(const MicroFrontendConfig& config, int input_bits) {
  PcanGain table;
  table.below3[0] = pcan_gain_value(config, input_bits, 0);
  table.below3[1] = pcan_gain_value(config, input_bits, 1);
  for (int interval = 2; interval <= kGainLutIntervals; ++interval) {
    const uint32_t x0 = uint32_t{1} << (interval - 1);
    const uint32_t x1 = x0 + (x0 >> 1);
    const uint32_t x2 = interval == kGainLutIntervals ? x0 + (x0 - 1) : 2 * x0;
    const int16_t y0 = pcan_gain_value(config, input_bits, x0);
    const int16_t y1 = pcan_gain_value(config, input_bits, x1);
    const int16_t y2 = pcan_gain_value(config, input_bits, x2);
    const int32_t diff1 = int32_t{y1} - y0;
    const int32_t diff2 = int32_t{y2} - y0;
    const int32_t a1 = 4 * diff1 - diff2;
    const int32_t a2 = diff2 - a1;
    table.coefficients[interval][0] = y0;
    table.coefficients[interval][1] = static_cast<int16_t>(a1);
    table.coefficients[interval][2] = static_cast<int16_t>(a2);
  }
  table.below3[2] = table.coefficients[2][0];
  return table;
}

// Evaluates the tabulated gain at x: the position inside x's power-of-two interval as a Q10
// fraction, then y0 + fraction * (a1 + fraction * a2) in fixed point.
int16_t pcan_gain_at(const PcanGain& table, uint32_t x) {
  if (x <= 2) return table.below3[x];
  const int interval = bit_length32(x);
  const int16_t* c = table.coefficients[interval];
  const int32_t fraction = static_cast<int32_t>(
      (interval < 11 ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
  // 32-bit arithmetic that wraps like the reference's int32 math would on two's complement
  // (only reachable with extreme gain settings), without signed-overflow UB here.
  auto wrap = [](int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); };
  int32_t result = (int32_t{c[2]} * fraction) >> 5;
  result = wrap(int64_t{result} + static_cast<int32_t>(static_cast<uint32_t>(c[1]) << 5));
  result = wrap(int64_t{result} * fraction);
  result = wrap(int64_t{result} + (1 << 14)) >> 15;
  result += c[0];
  return static_cast<int16_t>(result);
}

// Soft threshold of the gain-normalized value: quadratic below 2.0 (Q12), linear minus 1 above;
// output in Q6.
uint32_t pcan_shrink(uint32_t x) {
  if (x < (2u << kPcanSnrBits)) {
    return (x * x) >> (2 + 2 * kPcanSnrBits - kPcanOutputBits);
  }
  return (x >> (kPcanSnrBits - kPcanOutputBits)) - (1u << kPcanOutputBits);
}

// Mantissa correction for log2: (log2(1 + t) - t) in Q16 at t = i / 128, i = 0..128.
struct Log2Correction {
  int32_t table[(1 << kLogSegmentsBits) + 1];
  Log2Correction() {
    const int segments = 1 << kLogSegmentsBits;
    for (int i = 0; i <= segments; ++i) {
      const double t = static_cast<double>(i) / segments;
      table[i] = static_cast<int32_t>(std::lround((std::log2(1.0 + t) - t) * (1 << kLogScaleBits)));
    }
  }
};

// ln(x) * 2^scale_shift, from a Q16 log2 (integer part from the top bit, mantissa fraction
// corrected by linear interpolation in the table above).
uint32_t fixed_log(uint32_t x, int scale_shift) {
  static const Log2Correction correction;
  const uint32_t integer = static_cast<uint32_t>(bit_length32(x) - 1);
  int32_t fraction = static_cast<int32_t>(x - (uint32_t{1} << integer));
  if (integer < kLogScaleBits) {
    fraction <<= kLogScaleBits - integer;
  } else {
    fraction >>= integer - kLogScaleBits;
  }
  const uint32_t segment = static_cast<uint32_t>(fraction) >> (kLogScaleBits - kLogSegmentsBits);
  const int32_t segment_unit = (1 << kLogScaleBits) >> kLogSegmentsBits;
  const int32_t c0 = correction.table[segment];
  const int32_t c1 = correction.table[segment + 1];
  const int32_t relative =
      ((c1 - c0) * (fraction - segment_unit * static_cast<int32_t>(segment))) >> kLogScaleBits;
  const uint32_t log2_q16 =
      (integer << kLogScaleBits) + static_cast<uint32_t>(fraction + c0 + relative);
  const uint32_t half = (1u << kLogScaleBits) / 2;
  const uint32_t ln_q16 =
      static_cast<uint32_t>((uint64_t{kLn2Q16} * log2_q16 + half) >> kLogScaleBits);
  return ((ln_q16 << scale_shift) + half) >> kLogScaleBits;
}

}  // namespace

int micro_frontend_num_frames(const MicroFrontendConfig& config, int num_samples) {
  const int window = config.sample_rate * config.window_ms / 1000;
  const int step = config.sample_rate * config.step_ms / 1000;
  if (window <= 0 || step <= 0 || num_samples < window) return 0;
  return 1 + (num_samples - window) / step;
}

bool compute_micro_frontend(const std::vector<int16_t>& samples, const MicroFrontendConfig& config,
                            std::vector<uint16_t>* features, std::string* error) {
  const int window_size = config.sample_rate * config.window_ms / 1000;
  const int step = config.sample_rate * config.step_ms / 1000;
  if (window_size < 2 || step <= 0 || config.num_channels <= 0) {
    return fail(error, "micro frontend: window, step and channel count must be positive");
  }
  if (!(config.lower_band_limit >= 0.0f && config.upper_band_limit > config.lower_band_limit)) {
    return fail(error, "micro frontend: need 0 <= lower band limit < upper band limit");
  }
  if (config.smoothing_bits < 0 || config.smoothing_bits > 16 || config.scale_shift < 0 ||
      config.scale_shift > 16 || config.gain_bits < 0 || config.gain_bits > 30) {
    return fail(error, "micro frontend: smoothing bits, scale shift or gain bits out of range");
  }
  int fft_size = 4;
  while (fft_size < window_size) fft_size <<= 1;
  const int spectrum_size = fft_size / 2 + 1;

  // Hann window, Q12, sampled at bin centers (i + 0.5).
  std::vector<int16_t> window(window_size);
  const float arg = static_cast<float>(kPi * 2.0 / static_cast<float>(window_size));
  for (int i = 0; i < window_size; ++i) {
    const float value = static_cast<float>(0.5 - 0.5 * std::cos(arg * (i + 0.5)));
    window[i] = static_cast<int16_t>(std::floor(value * (1 << kWindowBits) + 0.5));
  }
  Filterbank bank;
  if (!build_filterbank(config, spectrum_size, &bank, error)) return false;

  // The FFT's 1/n scaling and the filterbank's Q12 weights leave log2(fft_size) - 1 - 6 bits to
  // undo before PCAN and the log.
  const int correction_bits =
      bit_length32(static_cast<uint32_t>(fft_size)) - 1 - kFilterbankBits / 2;
  const uint32_t even_smoothing =
      static_cast<uint32_t>(config.even_smoothing * (1 << kNoiseReductionBits));
  const uint32_t odd_smoothing =
      static_cast<uint32_t>(config.odd_smoothing * (1 << kNoiseReductionBits));
  const uint32_t min_signal_remaining =
      static_cast<uint32_t>(config.min_signal_remaining * (1 << kNoiseReductionBits));
  const PcanGain gain_table = build_pcan_gain(config, config.smoothing_bits - correction_bits);
  const int snr_shift = config.gain_bits - correction_bits - kPcanSnrBits;
  if (snr_shift < 0) return fail(error, "micro frontend: gain bits too small");

  const int num_frames = micro_frontend_num_frames(config, static_cast<int>(samples.size()));
  const int channels = config.num_channels;
  features->assign(static_cast<size_t>(num_frames) * channels, 0);

  FixedRealFft fft(fft_size);
  std::vector<int16_t> frame(fft_size);
  std::vector<Complex16> spectrum(spectrum_size);
  std::vector<int32_t> energy(spectrum_size);
  std::vector<uint64_t> band_sum(channels + 1);
  std::vector<uint32_t> signal(channels);
  std::vector<uint32_t> noise_estimate(channels, 0);

  for (int f = 0; f < num_frames; ++f) {
    // 1. Window, tracking the peak to choose a shift that fills the FFT's 16 bits.
    const int16_t* input = samples.data() + static_cast<size_t>(f) * step;
    int16_t peak = 0;
    for (int i = 0; i < window_size; ++i) {
      const int16_t value = static_cast<int16_t>((int32_t{input[i]} * window[i]) >> kWindowBits);
      frame[i] = value;
      const int16_t magnitude = static_cast<int16_t>(value < 0 ? -value : value);
      peak = std::max(peak, magnitude);
    }
    const int input_shift = 15 - bit_length32(static_cast<uint32_t>(peak));
    for (int i = 0; i < window_size; ++i) {
      frame[i] = static_cast<int16_t>(static_cast<uint16_t>(frame[i]) << input_shift);
    }
    std::fill(frame.begin() + window_size, frame.end(), 0);

    // 2. FFT and energy.
    fft.transform(frame.data(), spectrum.data());
    for (int i = bank.start_index; i < bank.end_index; ++i) {
      const int32_t re = spectrum[i].real, im = spectrum[i].imag;
      energy[i] = static_cast<int32_t>(static_cast<uint32_t>(int64_t{re} * re + int64_t{im} * im));
    }

    // 3. Filterbank: band b's bins feed channel b - 1 with their weights (its falling edge) and
    //    channel b with their unweights (its rising edge); band 0's weights and the last
    //    band's unweights belong to no channel.
    std::fill(band_sum.begin(), band_sum.end(), 0);
    for (int band = 0; band <= channels; ++band) {
      uint64_t weighted = 0, unweighted = 0;
      for (int j = 0; j < bank.band_width[band]; ++j) {
        const uint64_t e =
            static_cast<uint64_t>(static_cast<int64_t>(energy[bank.band_start[band] + j]));
        weighted += static_cast<uint64_t>(bank.weights[band][j]) * e;
        unweighted += static_cast<uint64_t>(bank.unweights[band][j]) * e;
      }
      band_sum[band] += weighted;
      if (band + 1 <= channels) band_sum[band + 1] += unweighted;
    }
    for (int c = 0; c < channels; ++c) signal[c] = filterbank_sqrt(band_sum[c + 1]) >> input_shift;

    // 4. Noise reduction: subtract a slowly smoothed per-channel estimate, keeping a floor.
    for (int c = 0; c < channels; ++c) {
      const uint32_t smoothing = (c & 1) == 0 ? even_smoothing : odd_smoothing;
      const uint32_t one_minus_smoothing = (1u << kNoiseReductionBits) - smoothing;
      const uint32_t scaled_up = signal[c] << config.smoothing_bits;
      uint32_t estimate = static_cast<uint32_t>(
          (uint64_t{scaled_up} * smoothing + uint64_t{noise_estimate[c]} * one_minus_smoothing) >>
          kNoiseReductionBits);
      noise_estimate[c] = estimate;
      estimate = std::min(estimate, scaled_up);
      const uint32_t floor = static_cast<uint32_t>((uint64_t{signal[c]} * min_signal_remaining) >>
                                                   kNoiseReductionBits);
      const uint32_t subtracted = (scaled_up - estimate) >> config.smoothing_bits;
      signal[c] = std::max(subtracted, floor);
    }

    // 5. PCAN: divide by a power of the noise estimate, then soft-threshold.
    if (config.enable_pcan) {
      for (int c = 0; c < channels; ++c) {
        const uint32_t gain = static_cast<uint32_t>(
            static_cast<int32_t>(pcan_gain_at(gain_table, noise_estimate[c])));
        const uint32_t snr = static_cast<uint32_t>((uint64_t{signal[c]} * gain) >> snr_shift);
        signal[c] = pcan_shrink(snr);
      }
    }

    // 6. Log scale, saturated to uint16.
    uint16_t* out = features->data() + static_cast<size_t>(f) * channels;
    for (int c = 0; c < channels; ++c) {
      uint32_t value = signal[c];
      if (config.enable_log) {
        value = correction_bits < 0 ? value >> -correction_bits : value << correction_bits;
        value = value > 1 ? fixed_log(value, config.scale_shift) : 0;
      }
      out[c] = static_cast<uint16_t>(std::min<uint32_t>(value, 0xFFFF));
    }
  }
  return true;
}

int8_t micro_speech_feature_to_int8(uint16_t value) {
  constexpr int32_t kValueScale = 256;
  constexpr int32_t kValueDivisor = static_cast<int32_t>(25.6f * 26.0f + 0.5f);  // 666
  int32_t q = (int32_t{value} * kValueScale + kValueDivisor / 2) / kValueDivisor - 128;
  return static_cast<int8_t>(std::clamp(q, -128, 127));
}

bool compute_micro_speech_input(const std::vector<int16_t>& samples,
                                const MicroFrontendConfig& config, std::vector<int8_t>* features,
                                std::string* error) {
  std::vector<uint16_t> values;
  if (!compute_micro_frontend(samples, config, &values, error)) return false;
  features->resize(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    features->at(i) = micro_speech_feature_to_int8(values[i]);
  return true;
}

}  // namespace octet::audio
