// WAV reader: well-formed PCM16 variants parse to the right mono samples; everything the reader
// does not support, and every kind of truncation, is a clear error.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tools/common/audio.h"

namespace octet::audio {
namespace {

void put_u16(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v & 0xFF));
  out->push_back(static_cast<uint8_t>(v >> 8));
}
void put_u32(std::vector<uint8_t>* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_tag(std::vector<uint8_t>* out, const char* tag) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<uint8_t>(tag[i]));
}

struct WavSpec {
  uint16_t format = 1;
  uint16_t channels = 1;
  uint32_t sample_rate = 16000;
  uint16_t bits = 16;
  int block_align = -1;  // -1: channels * bits / 8
  bool extensible = false;
  uint16_t sub_format = 1;
  bool extra_chunk_before_data = false;  // an odd-sized "LIST" chunk (needs a pad byte)
  bool omit_format = false;
  bool omit_data = false;
  bool data_before_format = false;
};

std::vector<uint8_t> make_chunk_fmt(const WavSpec& spec) {
  std::vector<uint8_t> chunk;
  put_tag(&chunk, "fmt ");
  put_u32(&chunk, spec.extensible ? 40 : 16);
  put_u16(&chunk, spec.extensible ? 0xFFFE : spec.format);
  put_u16(&chunk, spec.channels);
  put_u32(&chunk, spec.sample_rate);
  const int align = spec.block_align >= 0 ? spec.block_align : spec.channels * spec.bits / 8;
  put_u32(&chunk, spec.sample_rate * align);
  put_u16(&chunk, static_cast<uint16_t>(align));
  put_u16(&chunk, spec.bits);
  if (spec.extensible) {
    put_u16(&chunk, 22);         // extension size
    put_u16(&chunk, spec.bits);  // valid bits
    put_u32(&chunk, 0);          // channel mask
    put_u16(&chunk, spec.sub_format);
    for (int i = 0; i < 14; ++i) chunk.push_back(0);  // rest of the GUID
  }
  return chunk;
}

std::vector<uint8_t> make_wav(const WavSpec& spec, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> body;
  put_tag(&body, "WAVE");
  std::vector<uint8_t> fmt = make_chunk_fmt(spec);
  std::vector<uint8_t> data_chunk;
  put_tag(&data_chunk, "data");
  put_u32(&data_chunk, static_cast<uint32_t>(data.size()));
  data_chunk.insert(data_chunk.end(), data.begin(), data.end());
  if (spec.data_before_format) body.insert(body.end(), data_chunk.begin(), data_chunk.end());
  if (!spec.omit_format) body.insert(body.end(), fmt.begin(), fmt.end());
  if (spec.extra_chunk_before_data) {
    put_tag(&body, "LIST");
    put_u32(&body, 3);
    body.insert(body.end(), {'a', 'b', 'c', 0});  // 3 bytes + pad
  }
  if (!spec.omit_data && !spec.data_before_format) {
    body.insert(body.end(), data_chunk.begin(), data_chunk.end());
  }
  std::vector<uint8_t> file;
  put_tag(&file, "RIFF");
  put_u32(&file, static_cast<uint32_t>(body.size()));
  file.insert(file.end(), body.begin(), body.end());
  return file;
}

std::vector<uint8_t> pcm16(const std::vector<int16_t>& samples) {
  std::vector<uint8_t> out;
  for (int16_t s : samples) put_u16(&out, static_cast<uint16_t>(s));
  return out;
}

TEST(AudioWav, MonoPcm16) {
  const std::vector<int16_t> samples = {0, 1, -1, 32767, -32768, 1234};
  WavAudio wav;
  std::string error;
  const std::vector<uint8_t> file = make_wav(WavSpec{}, pcm16(samples));
  ASSERT_TRUE(parse_wav(file.data(), file.size(), &wav, &error)) << error;
  EXPECT_EQ(wav.sample_rate, 16000);
  EXPECT_EQ(wav.channels, 1);
  EXPECT_EQ(wav.samples, samples);
}

TEST(AudioWav, StereoIsAveragedTowardZero) {
  WavSpec spec;
  spec.channels = 2;
  spec.sample_rate = 8000;
  // Frames (L, R): (100, 200) -> 150, (-3, 0) -> -1 (toward zero), (32767, 32767) -> 32767,
  // (-32768, -32768) -> -32768.
  const std::vector<int16_t> interleaved = {100, 200, -3, 0, 32767, 32767, -32768, -32768};
  WavAudio wav;
  std::string error;
  const std::vector<uint8_t> file = make_wav(spec, pcm16(interleaved));
  ASSERT_TRUE(parse_wav(file.data(), file.size(), &wav, &error)) << error;
  EXPECT_EQ(wav.sample_rate, 8000);
  EXPECT_EQ(wav.channels, 2);
  EXPECT_EQ(wav.samples, (std::vector<int16_t>{150, -1, 32767, -32768}));
}

TEST(AudioWav, ExtensiblePcmAndUnknownOddChunksAreAccepted) {
  WavSpec spec;
  spec.extensible = true;
  spec.extra_chunk_before_data = true;
  const std::vector<int16_t> samples = {5, -5, 7};
  WavAudio wav;
  std::string error;
  const std::vector<uint8_t> file = make_wav(spec, pcm16(samples));
  ASSERT_TRUE(parse_wav(file.data(), file.size(), &wav, &error)) << error;
  EXPECT_EQ(wav.samples, samples);
}

// Each malformed or unsupported file must fail with a message mentioning `expected`.
void expect_error(const std::vector<uint8_t>& file, const std::string& expected) {
  WavAudio wav;
  std::string error;
  EXPECT_FALSE(parse_wav(file.data(), file.size(), &wav, &error));
  EXPECT_NE(error.find(expected), std::string::npos) << "error was: " << error;
}

TEST(AudioWav, RejectsUnsupportedEncodings) {
  const std::vector<uint8_t> data = pcm16({1, 2, 3, 4});
  WavSpec float_wav;
  float_wav.format = 3;  // IEEE float
  float_wav.bits = 32;
  expect_error(make_wav(float_wav, data), "format tag 3");
  WavSpec pcm8;
  pcm8.bits = 8;
  expect_error(make_wav(pcm8, data), "8 bits");
  WavSpec pcm24;
  pcm24.bits = 24;
  expect_error(make_wav(pcm24, std::vector<uint8_t>(9, 0)), "24 bits");
  WavSpec extensible_float;
  extensible_float.extensible = true;
  extensible_float.sub_format = 3;
  expect_error(make_wav(extensible_float, data), "format tag 3");
  WavSpec bad_align;
  bad_align.block_align = 4;
  expect_error(make_wav(bad_align, data), "block alignment");
}

TEST(AudioWav, RejectsMalformedFiles) {
  const std::vector<uint8_t> data = pcm16({1, 2, 3, 4});
  const std::vector<uint8_t> good = make_wav(WavSpec{}, data);

  expect_error({}, "not a WAV file");
  std::vector<uint8_t> not_riff = good;
  not_riff[0] = 'X';
  expect_error(not_riff, "not a WAV file");
  std::vector<uint8_t> not_wave = good;
  not_wave[8] = 'A';
  expect_error(not_wave, "not a WAV file");

  // Truncated in the middle of the samples: the data chunk claims more than the file has.
  expect_error(std::vector<uint8_t>(good.begin(), good.end() - 3), "truncated");
  // Truncated inside the fmt chunk.
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 30), "fmt chunk is truncated");

  WavSpec no_chunks;  // only an unknown chunk
  no_chunks.omit_format = true;
  no_chunks.omit_data = true;
  no_chunks.extra_chunk_before_data = true;
  expect_error(make_wav(no_chunks, data), "no fmt chunk");
  WavSpec no_fmt;
  no_fmt.omit_format = true;
  expect_error(make_wav(no_fmt, data), "before the fmt chunk");
  WavSpec no_data;
  no_data.omit_data = true;
  expect_error(make_wav(no_data, data), "no data chunk");
  WavSpec data_first;
  data_first.data_before_format = true;
  expect_error(make_wav(data_first, data), "before the fmt chunk");

  // A data size that is not a whole number of frames (3 bytes of 16-bit mono).
  expect_error(make_wav(WavSpec{}, {1, 2, 3}), "whole number");
}

TEST(AudioWav, LoadReportsMissingFile) {
  WavAudio wav;
  std::string error;
  EXPECT_FALSE(load_wav("/nonexistent/dir/clip.wav", &wav, &error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
}

TEST(AudioWav, LoadsTheSharedSpeechClips) {
  const std::string dir = std::string(OCTET_SHARED_DIR) + "/data/audio/";
  WavAudio probe;
  std::string error;
  if (!load_wav(dir + "tflm_yes_1000ms.wav", &probe, &error)) {
    GTEST_SKIP() << "shared audio clips not available (" << error << ")";
  }
  for (const char* name : {"yes", "no", "silence", "noise"}) {
    WavAudio wav;
    ASSERT_TRUE(load_wav(dir + "tflm_" + name + "_1000ms.wav", &wav, &error)) << error;
    EXPECT_EQ(wav.sample_rate, 16000) << name;
    EXPECT_EQ(wav.channels, 1) << name;
    EXPECT_EQ(wav.samples.size(), 16000u) << name;
  }
}

}  // namespace
}  // namespace octet::audio
