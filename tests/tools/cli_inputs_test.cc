// Input loaders of octet-run and calibration: .npy, images (files written here with libpng,
// libjpeg or by hand), resizing, normalization and quantization to the input dtype.
#include <gtest/gtest.h>
#ifndef OCTET_NO_IMAGE_CODECS
#include <jpeglib.h>
#include <png.h>
#endif

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "tools/common/inputs.h"

namespace octet::tools {
namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A .npy file built byte by byte from the format description (magic, version, header length,
// dict padded with spaces to 64 bytes, '\n').
std::vector<uint8_t> npy_bytes(const std::string& descr, const std::string& shape, const void* data,
                               size_t size, int major = 1, const std::string& fortran = "False") {
  std::string dict =
      "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + dict.size() + 1) % 64 != 0) dict.push_back(' ');
  dict.push_back('\n');
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t len = static_cast<uint32_t>(dict.size());
  bytes.push_back(len & 0xff);
  bytes.push_back((len >> 8) & 0xff);
  if (major != 1) {
    bytes.push_back((len >> 16) & 0xff);
    bytes.push_back(len >> 24);
  }
  bytes.insert(bytes.end(), dict.begin(), dict.end());
  const uint8_t* p = static_cast<const uint8_t*>(data);
  bytes.insert(bytes.end(), p, p + size);
  return bytes;
}

// ---------------------------------------------------------------- npy

TEST(Npy, ParsesEveryDtype) {
  const float f32[6] = {1.5f, -2.f, 3.25f, 0.f, 1e-3f, 7.f};
  NpyArray a;
  std::string error;
  auto bytes = npy_bytes("<f4", "(2, 3)", f32, sizeof(f32));
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kFloat32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(npy_to_float(a), std::vector<float>(f32, f32 + 6));

  const double f64[2] = {0.5, -4.0};
  bytes = npy_bytes("<f8", "(2,)", f64, sizeof(f64));
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kFloat64);
  EXPECT_EQ(npy_to_float(a), (std::vector<float>{0.5f, -4.0f}));

  const int8_t i8[4] = {-128, -1, 0, 127};
  bytes = npy_bytes("|i1", "(1, 2, 2)", i8, sizeof(i8));
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kInt8);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(npy_to_float(a), (std::vector<float>{-128, -1, 0, 127}));

  const uint8_t u8[3] = {0, 128, 255};
  bytes = npy_bytes("|u1", "(3,)", u8, sizeof(u8), /*major=*/2);
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kUInt8);
  EXPECT_EQ(npy_to_float(a), (std::vector<float>{0, 128, 255}));

  const int32_t i32[2] = {-70000, 123456};
  bytes = npy_bytes("<i4", "(2,)", i32, sizeof(i32));
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kInt32);
  EXPECT_EQ(npy_to_float(a), (std::vector<float>{-70000, 123456}));

  const float scalar = 42.f;
  bytes = npy_bytes("<f4", "()", &scalar, 4);
  ASSERT_TRUE(parse_npy(bytes.data(), bytes.size(), &a, &error)) << error;
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.num_elements(), 1u);
}

TEST(Npy, RejectsMalformedFilesWithAReason) {
  const float f32[4] = {1, 2, 3, 4};
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    const char* message_part;
  } cases[] = {
      {"bad magic", {'N', 'U', 'M', 'P', 'Y', 0, 0, 0, 0, 0, 0}, "magic"},
      {"truncated data", npy_bytes("<f4", "(2, 3)", f32, sizeof(f32)), "truncated"},
      {"fortran order", npy_bytes("<f4", "(2, 2)", f32, sizeof(f32), 1, "True"), "Fortran"},
      {"big endian", npy_bytes(">f4", "(4,)", f32, sizeof(f32)), "big-endian"},
      {"complex dtype", npy_bytes("<c8", "(2,)", f32, sizeof(f32)), "unsupported"},
      {"bad shape", npy_bytes("<f4", "(a, b)", f32, sizeof(f32)), "shape"},
      {"version 9", npy_bytes("<f4", "(4,)", f32, sizeof(f32), 9), "version"},
  };
  for (auto& c : cases) {
    NpyArray a;
    std::string error;
    EXPECT_FALSE(parse_npy(c.bytes.data(), c.bytes.size(), &a, &error)) << c.name;
    EXPECT_NE(error.find(c.message_part), std::string::npos) << c.name << ": " << error;
  }
  // Header length pointing past the end of the file.
  std::vector<uint8_t> bytes = npy_bytes("<f4", "(4,)", f32, sizeof(f32));
  bytes[8] = 0xff;
  bytes[9] = 0xff;
  NpyArray a;
  std::string error;
  EXPECT_FALSE(parse_npy(bytes.data(), bytes.size(), &a, &error));
  EXPECT_FALSE(load_npy(temp_path("does-not-exist.npy"), &a, &error));
  EXPECT_NE(error.find("does-not-exist.npy"), std::string::npos) << error;
}

TEST(Npy, SaveThenLoadRoundTrips) {
  const int32_t values[6] = {1, -2, 3, -4, 5, -6};
  const std::string path = temp_path("roundtrip.npy");
  std::string error;
  ASSERT_TRUE(save_npy(path, ElementType::kInt32, {3, 2}, values, sizeof(values), &error)) << error;
  NpyArray a;
  ASSERT_TRUE(load_npy(path, &a, &error)) << error;
  EXPECT_EQ(a.type, ElementType::kInt32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 2}));
  ASSERT_EQ(a.data.size(), sizeof(values));
  EXPECT_EQ(0, std::memcmp(a.data.data(), values, sizeof(values)));
  // 1-D shapes use the Python tuple spelling "(4,)".
  const float f[4] = {0, 1, 2, 3};
  ASSERT_TRUE(save_npy(path, ElementType::kFloat32, {4}, f, sizeof(f), &error)) << error;
  ASSERT_TRUE(load_npy(path, &a, &error)) << error;
  EXPECT_EQ(a.shape, (std::vector<int64_t>{4}));
  std::vector<uint8_t> raw;
  ASSERT_TRUE(load_file(path, &raw, &error));
  EXPECT_EQ(raw.size() % 64, 16u) << "header must be padded to 64 bytes (16 data bytes follow)";
  EXPECT_FALSE(save_npy(path, ElementType::kFloat32, {5}, f, sizeof(f), &error));
}

// ---------------------------------------------------------------- images

// 3 x 2 RGB test pattern, row-major.
const uint8_t kPattern[2][3][3] = {{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}},
                                   {{10, 20, 30}, {200, 100, 50}, {7, 7, 7}}};

void expect_pattern(const Image& image) {
  ASSERT_EQ(image.height, 2);
  ASSERT_EQ(image.width, 3);
  ASSERT_EQ(image.channels, 3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(image.pixels[(y * 3 + x) * 3 + c], kPattern[y][x][c])
            << y << "," << x << "," << c;
}

#ifndef OCTET_NO_IMAGE_CODECS
TEST(Images, DecodesPngWrittenByLibpng) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = 3;
  image.height = 2;
  image.format = PNG_FORMAT_RGB;
  const std::string path = temp_path("pattern.png");
  ASSERT_TRUE(png_image_write_to_file(&image, path.c_str(), 0, kPattern, 0, nullptr));
  Image decoded;
  std::string error;
  ASSERT_TRUE(load_image(path, 3, &decoded, &error)) << error;
  expect_pattern(decoded);
  ASSERT_TRUE(load_image(path, 1, &decoded, &error)) << error;
  EXPECT_EQ(decoded.channels, 1);
  // BT.601 luma, like every other decoder; gray pixels stay exact.
  EXPECT_NEAR(decoded.pixels[1], 0.587 * 255, 1e-3);
  EXPECT_NEAR(decoded.pixels[2], 0.114 * 255, 1e-3);
  EXPECT_EQ(decoded.pixels[5], 7.f);

  std::vector<uint8_t> bytes;
  ASSERT_TRUE(load_file(path, &bytes, &error));
  bytes.resize(bytes.size() / 2);  // truncated
  EXPECT_FALSE(decode_image(bytes.data(), bytes.size(), 3, &decoded, &error));
  EXPECT_NE(error.find("PNG"), std::string::npos) << error;
}

TEST(Images, DecodesJpegWrittenByLibjpeg) {
  // 16 x 8: left half (100, 150, 200), right half (30, 60, 90). Smooth enough that quality 100
  // stays within a few levels of the source away from the edge.
  const int w = 16, h = 8;
  std::vector<uint8_t> rgb(w * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      static const uint8_t kLeft[3] = {100, 150, 200}, kRight[3] = {30, 60, 90};
      std::memcpy(&rgb[(y * w + x) * 3], x < 8 ? kLeft : kRight, 3);
    }
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 100, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = &rgb[cinfo.next_scanline * w * 3];
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> bytes(buffer, buffer + size);
  std::free(buffer);

  Image decoded;
  std::string error;
  ASSERT_TRUE(decode_image(bytes.data(), bytes.size(), 3, &decoded, &error)) << error;
  ASSERT_EQ(decoded.width, w);
  ASSERT_EQ(decoded.height, h);
  for (int y = 0; y < h; ++y)
    for (int x : {1, 2, 13, 14})
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(decoded.pixels[(y * w + x) * 3 + c], rgb[(y * w + x) * 3 + c], 4.0)
            << x << "," << y << "," << c;
  ASSERT_TRUE(decode_image(bytes.data(), bytes.size(), 1, &decoded, &error)) << error;
  EXPECT_NEAR(decoded.pixels[1], 0.299 * 100 + 0.587 * 150 + 0.114 * 200, 4.0);

  // Only the start-of-image marker and junk: libjpeg errors out, we report it.
  const std::vector<uint8_t> junk = {0xFF, 0xD8, 0xFF, 0x00, 0x12, 0x34, 0x56};
  EXPECT_FALSE(decode_image(junk.data(), junk.size(), 3, &decoded, &error));
  EXPECT_NE(error.find("JPEG"), std::string::npos) << error;
}

#else
TEST(Images, PngAndJpegAreRefusedWithoutCodecs) {
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0};
  const std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0};
  Image image;
  std::string error;
  EXPECT_FALSE(decode_image(png.data(), png.size(), 3, &image, &error));
  EXPECT_NE(error.find("libpng"), std::string::npos) << error;
  EXPECT_FALSE(decode_image(jpeg.data(), jpeg.size(), 3, &image, &error));
  EXPECT_NE(error.find("libjpeg"), std::string::npos) << error;
}
#endif  // OCTET_NO_IMAGE_CODECS

void put_u16(std::vector<uint8_t>* b, size_t at, uint16_t v) {
  (*b)[at] = v & 0xff;
  (*b)[at + 1] = v >> 8;
}
void put_u32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = (v >> (8 * i)) & 0xff;
}

// 24-bit BI_RGB BMP of kPattern (bottom-up unless top_down), rows padded to 4 bytes.
std::vector<uint8_t> pattern_bmp(bool top_down) {
  const int w = 3, h = 2, stride = 12;  // 9 bytes of BGR + 3 padding
  std::vector<uint8_t> b(54 + stride * h, 0);
  b[0] = 'B';
  b[1] = 'M';
  put_u32(&b, 2, static_cast<uint32_t>(b.size()));
  put_u32(&b, 10, 54);
  put_u32(&b, 14, 40);
  put_u32(&b, 18, w);
  put_u32(&b, 22, static_cast<uint32_t>(top_down ? -h : h));
  put_u16(&b, 26, 1);
  put_u16(&b, 28, 24);
  for (int y = 0; y < h; ++y) {
    const int file_row = top_down ? y : h - 1 - y;
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &b[54 + file_row * stride + x * 3];
      p[0] = kPattern[y][x][2];
      p[1] = kPattern[y][x][1];
      p[2] = kPattern[y][x][0];
    }
  }
  return b;
}

TEST(Images, DecodesHandWrittenBmp) {
  Image decoded;
  std::string error;
  for (bool top_down : {false, true}) {
    const std::vector<uint8_t> bmp = pattern_bmp(top_down);
    ASSERT_TRUE(decode_image(bmp.data(), bmp.size(), 3, &decoded, &error)) << error;
    expect_pattern(decoded);
  }
  // 8-bit paletted gray ramp, 5 x 1 (row padded to 8 bytes).
  std::vector<uint8_t> b(54 + 256 * 4 + 8, 0);
  b[0] = 'B';
  b[1] = 'M';
  put_u32(&b, 10, 54 + 256 * 4);
  put_u32(&b, 14, 40);
  put_u32(&b, 18, 5);
  put_u32(&b, 22, 1);
  put_u16(&b, 26, 1);
  put_u16(&b, 28, 8);
  for (int i = 0; i < 256; ++i) b[54 + 4 * i] = b[55 + 4 * i] = b[56 + 4 * i] = 255 - i;
  for (int x = 0; x < 5; ++x) b[54 + 256 * 4 + x] = static_cast<uint8_t>(x * 50);
  ASSERT_TRUE(decode_image(b.data(), b.size(), 1, &decoded, &error)) << error;
  ASSERT_EQ(decoded.width, 5);
  for (int x = 0; x < 5; ++x) EXPECT_EQ(decoded.pixels[x], 255 - x * 50);

  std::vector<uint8_t> truncated = pattern_bmp(false);
  truncated.resize(60);
  EXPECT_FALSE(decode_image(truncated.data(), truncated.size(), 3, &decoded, &error));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
  std::vector<uint8_t> rle = pattern_bmp(false);
  put_u32(&rle, 30, 1);  // BI_RLE8
  EXPECT_FALSE(decode_image(rle.data(), rle.size(), 3, &decoded, &error));
  EXPECT_NE(error.find("compress"), std::string::npos) << error;
}

TEST(Images, DecodesPgmAndPpm) {
  std::string header = "P6\n# a comment\n3 2\n255\n";
  std::vector<uint8_t> ppm(header.begin(), header.end());
  ppm.insert(ppm.end(), &kPattern[0][0][0], &kPattern[0][0][0] + 18);
  const std::string path = temp_path("pattern.ppm");
  write_bytes(path, ppm);
  Image decoded;
  std::string error;
  ASSERT_TRUE(load_image(path, 3, &decoded, &error)) << error;
  expect_pattern(decoded);

  // 16-bit PGM, maxval 1000: samples scale to [0, 255].
  header = "P5 2 1 1000\n";
  std::vector<uint8_t> pgm(header.begin(), header.end());
  for (uint8_t v : {0x00, 0x00, 0x03, 0xE8}) pgm.push_back(v);  // 0, 1000 big-endian
  ASSERT_TRUE(decode_image(pgm.data(), pgm.size(), 1, &decoded, &error)) << error;
  EXPECT_EQ(decoded.pixels, (std::vector<float>{0.f, 255.f}));
  ASSERT_TRUE(decode_image(pgm.data(), pgm.size(), 3, &decoded, &error)) << error;
  EXPECT_EQ(decoded.pixels, (std::vector<float>{0, 0, 0, 255, 255, 255}));

  pgm.pop_back();
  EXPECT_FALSE(decode_image(pgm.data(), pgm.size(), 1, &decoded, &error));
  const std::string bad = "P5 x y 255\n";
  EXPECT_FALSE(
      decode_image(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), 1, &decoded, &error));
}

TEST(Images, RejectsUnknownFormatsAndMissingFiles) {
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  Image decoded;
  std::string error;
  EXPECT_FALSE(decode_image(text.data(), text.size(), 3, &decoded, &error));
  EXPECT_NE(error.find("unrecognized"), std::string::npos) << error;
  EXPECT_FALSE(decode_image(text.data(), 0, 3, &decoded, &error));
  const std::vector<uint8_t> bmp = pattern_bmp(false);
  EXPECT_FALSE(decode_image(bmp.data(), bmp.size(), 2, &decoded, &error));
  EXPECT_FALSE(load_image(temp_path("missing.png"), 3, &decoded, &error));
  EXPECT_NE(error.find("missing.png"), std::string::npos) << error;
}

#ifndef OCTET_NO_IMAGE_CODECS
// Encodes kPattern-like pixels as PNG in memory.
std::vector<uint8_t> small_png() {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = 3;
  image.height = 2;
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&image, nullptr, &size, 0, kPattern, 0, nullptr);
  std::vector<uint8_t> bytes(size);
  png_image_write_to_memory(&image, bytes.data(), &size, 0, kPattern, 0, nullptr);
  bytes.resize(size);
  return bytes;
}

#endif

TEST(Images, CorruptedFilesNeverCrash) {
  // Random byte flips and truncations of valid files: each decode must return (true or false)
  // without reading out of bounds (the sanitizer build checks) or trying absurd allocations.
  std::string header = "P6\n3 2\n255\n";
  std::vector<uint8_t> ppm(header.begin(), header.end());
  ppm.insert(ppm.end(), &kPattern[0][0][0], &kPattern[0][0][0] + 18);
  const float f32[4] = {1, 2, 3, 4};
  std::vector<std::vector<uint8_t>> seeds = {pattern_bmp(false), ppm,
                                             npy_bytes("<f4", "(2, 2)", f32, sizeof(f32))};
#ifndef OCTET_NO_IMAGE_CODECS
  seeds.push_back(small_png());
#endif
  std::mt19937 rng(77);
  int decoded_ok = 0, rejected = 0;
  for (size_t s = 0; s < seeds.size(); ++s) {
    for (int trial = 0; trial < 400; ++trial) {
      std::vector<uint8_t> bytes = seeds[s];
      const int flips = std::uniform_int_distribution<int>(1, 6)(rng);
      for (int f = 0; f < flips; ++f)
        bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] =
            static_cast<uint8_t>(rng());
      if (trial % 3 == 0) bytes.resize(std::uniform_int_distribution<size_t>(0, bytes.size())(rng));
      std::string error;
      bool ok;
      if (s == 2) {  // the .npy seed
        NpyArray array;
        ok = parse_npy(bytes.data(), bytes.size(), &array, &error);
        if (ok) {
          EXPECT_EQ(array.data.size(), array.num_elements() * element_size(array.type));
        }
      } else {
        Image image;
        ok = decode_image(bytes.data(), bytes.size(), 3, &image, &error);
        if (ok) {
          EXPECT_EQ(image.pixels.size(), size_t(image.width) * image.height * 3);
        }
      }
      if (ok) {
        ++decoded_ok;
      } else {
        ++rejected;
        EXPECT_FALSE(error.empty());
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(decoded_ok, 0);
}

TEST(Images, HugeClaimedSizesAreRejected) {
  std::string header = "P5 100000 100000 255\n";
  std::vector<uint8_t> pgm(header.begin(), header.end());
  pgm.resize(pgm.size() + 64, 0);
  Image image;
  std::string error;
  EXPECT_FALSE(decode_image(pgm.data(), pgm.size(), 1, &image, &error));
  std::vector<uint8_t> bmp = pattern_bmp(false);
  put_u32(&bmp, 18, 60000);
  put_u32(&bmp, 22, 60000);
  EXPECT_FALSE(decode_image(bmp.data(), bmp.size(), 3, &image, &error));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST(Images, BilinearResize) {
  Image image;
  image.height = 2;
  image.width = 2;
  image.channels = 1;
  image.pixels = {0, 100, 200, 40};
  const Image same = resize_bilinear(image, 2, 2);
  EXPECT_EQ(same.pixels, image.pixels);
  // Upscaling 2 → 4 with aligned pixel centers: source x = (x + 0.5) / 2 - 0.5.
  const Image up = resize_bilinear(image, 4, 4);
  ASSERT_EQ(up.pixels.size(), 16u);
  EXPECT_FLOAT_EQ(up.pixels[0], 0.f);   // clamped corner
  EXPECT_FLOAT_EQ(up.pixels[1], 25.f);  // x = 0.25 on the top row
  EXPECT_FLOAT_EQ(up.pixels[2], 75.f);  // x = 0.75
  EXPECT_FLOAT_EQ(up.pixels[3], 100.f);
  EXPECT_FLOAT_EQ(up.pixels[4 * 1 + 0], 50.f);  // y = 0.25 on the left column
  EXPECT_FLOAT_EQ(up.pixels[15], 40.f);
  // Downscaling a constant image keeps it constant.
  Image flat;
  flat.height = 9;
  flat.width = 7;
  flat.channels = 3;
  flat.pixels.assign(9 * 7 * 3, 77.f);
  for (float v : resize_bilinear(flat, 3, 2).pixels) EXPECT_FLOAT_EQ(v, 77.f);
}

TEST(Images, ListsInputFilesSorted) {
  const std::string dir = temp_path("calib_dir");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/sub");
  for (const char* name : {"b.JPG", "a.png", "c.npy", "notes.txt"})
    write_bytes(dir + "/" + name, {1});
  std::vector<std::string> paths;
  std::string error;
  ASSERT_TRUE(list_input_files(dir, &paths, &error)) << error;
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(std::filesystem::path(paths[0]).filename(), "a.png");
  EXPECT_EQ(std::filesystem::path(paths[1]).filename(), "b.JPG");
  EXPECT_EQ(std::filesystem::path(paths[2]).filename(), "c.npy");
  EXPECT_FALSE(list_input_files(dir + "/a.png", &paths, &error));
}

TEST(Images, RealBmpsFromShared) {
  const std::string dir = std::string(OCTET_SHARED_DIR) + "/data/images";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  Image image;
  std::string error;
  ASSERT_TRUE(load_image(dir + "/coral_cat.bmp", 3, &image, &error)) << error;
  EXPECT_GT(image.width, 100);
  EXPECT_GT(image.height, 100);
  double sum = 0;
  for (float v : image.pixels) sum += v;
  EXPECT_GT(sum / image.pixels.size(), 10.0) << "decoded image is (nearly) black";
  ASSERT_TRUE(load_image_resized(dir + "/coral_cat.bmp", 224, 224, 3, &image, &error)) << error;
  EXPECT_EQ(image.pixels.size(), 224u * 224u * 3u);
  ASSERT_TRUE(load_image(dir + "/tflm_person_96x96.bmp", 1, &image, &error)) << error;
  EXPECT_EQ(image.width, 96);
  EXPECT_EQ(image.height, 96);
}

// ---------------------------------------------------------------- conversion

TEST(Convert, FloatToQuantizedInputs) {
  InputSpec spec;
  spec.type = ElementType::kInt8;
  spec.quantized = true;
  spec.scale = 0.5f;
  spec.zero_point = -3;
  const float values[] = {0.f, 1.25f, 1.75f, -100.f, 100.f, 0.5f};
  std::vector<uint8_t> out;
  std::string error;
  ASSERT_TRUE(float_to_input(values, 6, spec, &out, &error)) << error;
  const int8_t* q = reinterpret_cast<const int8_t*>(out.data());
  // 1.25 / 0.5 = 2.5 rounds half to even (2); 1.75 / 0.5 = 3.5 → 4.
  EXPECT_EQ(std::vector<int>(q, q + 6), (std::vector<int>{-3, -1, 1, -128, 127, -2}));

  spec.type = ElementType::kUInt8;
  spec.scale = 1.f;
  spec.zero_point = 0;
  const float pixels[] = {-1.f, 0.4f, 254.6f, 300.f};
  ASSERT_TRUE(float_to_input(pixels, 4, spec, &out, &error)) << error;
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 255, 255}));

  spec.type = ElementType::kFloat32;
  spec.quantized = false;
  ASSERT_TRUE(float_to_input(pixels, 4, spec, &out, &error)) << error;
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(0, std::memcmp(out.data(), pixels, 16));

  spec.type = ElementType::kInt8;
  spec.quantized = true;
  spec.scale = 0.f;
  EXPECT_FALSE(float_to_input(pixels, 4, spec, &out, &error));
}

TEST(Convert, ImageLayouts) {
  ImageLayout layout;
  ASSERT_TRUE(image_layout_for_shape({1, 224, 224, 3}, &layout));
  EXPECT_EQ(layout.height, 224);
  EXPECT_FALSE(layout.channels_first);
  ASSERT_TRUE(image_layout_for_shape({1, 1, 28, 28}, &layout));
  EXPECT_TRUE(layout.channels_first);
  EXPECT_EQ(layout.channels, 1);
  ASSERT_TRUE(image_layout_for_shape({96, 96, 1}, &layout));
  EXPECT_FALSE(image_layout_for_shape({1, 640}, &layout));
  EXPECT_FALSE(image_layout_for_shape({1, 49, 10, 2}, &layout));
  EXPECT_FALSE(image_layout_for_shape({2, 32, 32, 3}, &layout));
}

TEST(Convert, ImageToInputNormalizesAndTransposes) {
  Image image;
  image.height = 1;
  image.width = 2;
  image.channels = 3;
  image.pixels = {10, 20, 30, 40, 50, 60};
  Normalization norm;
  norm.kind = Normalization::Kind::kMeanStd;
  norm.mean = {10, 20, 30};
  norm.std = {10};
  InputSpec spec;
  spec.type = ElementType::kFloat32;
  spec.shape = {1, 3, 1, 2};  // NCHW: channel planes
  std::vector<uint8_t> out;
  std::string error;
  // 1x2 is too small to look like an image; use a 4x4 image instead.
  EXPECT_FALSE(image_to_input(image, norm, spec, &out, &error));
  image.height = 4;
  image.width = 4;
  image.pixels.resize(48);
  for (int i = 0; i < 48; ++i) image.pixels[i] = static_cast<float>(i);
  spec.shape = {1, 3, 4, 4};
  ASSERT_TRUE(image_to_input(image, norm, spec, &out, &error)) << error;
  const float* v = reinterpret_cast<const float*>(out.data());
  // Plane c, pixel p = image.pixels[p*3+c]; normalized (x - mean[c]) / 10.
  EXPECT_FLOAT_EQ(v[0], (0 - 10) / 10.f);
  EXPECT_FLOAT_EQ(v[1], (3 - 10) / 10.f);
  EXPECT_FLOAT_EQ(v[16], (1 - 20) / 10.f);
  EXPECT_FLOAT_EQ(v[32 + 15], (47 - 30) / 10.f);

  spec.shape = {1, 4, 4, 3};
  spec.type = ElementType::kInt8;
  spec.quantized = true;
  spec.scale = 1.f;
  spec.zero_point = -128;
  norm.kind = Normalization::Kind::kScaleOffset;
  norm.scale = 2.f;
  norm.offset = 1.f;
  ASSERT_TRUE(image_to_input(image, norm, spec, &out, &error)) << error;
  ASSERT_EQ(out.size(), 48u);
  EXPECT_EQ(static_cast<int8_t>(out[5]), 5 * 2 + 1 - 128);
  EXPECT_EQ(static_cast<int8_t>(out[47]), 47 * 2 + 1 - 128);
}

TEST(Convert, NpyToInputChecksShapeAndDtype) {
  NpyArray array;
  array.type = ElementType::kFloat32;
  array.shape = {2, 3};
  const float values[6] = {0, 1, 2, 3, 4, 5};
  array.data.assign(reinterpret_cast<const uint8_t*>(values),
                    reinterpret_cast<const uint8_t*>(values) + sizeof(values));
  InputSpec spec;
  spec.type = ElementType::kFloat32;
  spec.shape = {1, 2, 3};
  std::vector<uint8_t> out;
  std::string error;
  ASSERT_TRUE(npy_to_input(array, spec, &out, &error)) << error;
  EXPECT_EQ(out, array.data);
  spec.shape = {1, 3, 2};
  EXPECT_FALSE(npy_to_input(array, spec, &out, &error));
  EXPECT_NE(error.find("shape"), std::string::npos) << error;
  spec.shape = {2, 3};
  spec.type = ElementType::kInt8;
  spec.quantized = true;
  spec.scale = 0.5f;
  spec.zero_point = 0;
  ASSERT_TRUE(npy_to_input(array, spec, &out, &error)) << error;
  EXPECT_EQ(static_cast<int8_t>(out[5]), 10);
  array.type = ElementType::kUInt8;
  array.data.resize(6);
  EXPECT_FALSE(npy_to_input(array, spec, &out, &error));
  EXPECT_NE(error.find("dtype"), std::string::npos) << error;
}

TEST(Convert, ParsesFloatLists) {
  std::vector<float> values;
  std::string error;
  ASSERT_TRUE(parse_float_list("127.5", &values, &error));
  EXPECT_EQ(values, std::vector<float>{127.5f});
  ASSERT_TRUE(parse_float_list("123.68,116.78,103.94", &values, &error));
  EXPECT_EQ(values.size(), 3u);
  EXPECT_FALSE(parse_float_list("", &values, &error));
  EXPECT_FALSE(parse_float_list("1,,2", &values, &error));
  EXPECT_FALSE(parse_float_list("abc", &values, &error));
  EXPECT_FALSE(parse_float_list("nan", &values, &error));
}

}  // namespace
}  // namespace octet::tools
