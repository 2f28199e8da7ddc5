// Input loading shared by octet-run and the converter's calibration: .npy arrays, raw bytes,
// images (PNG, JPEG, BMP, PGM/PPM) decoded to float pixels, and the conversion of float values
// to a model input's dtype and quantization. Host-only (libpng, libjpeg); never linked into the
// runtime. Every loader returns false with a one-line reason in *error instead of throwing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace octet::tools {

// Element types the loaders understand (a superset of the model dtypes: .npy files are
// often float64).
enum class ElementType : uint8_t { kFloat32, kInt8, kUInt8, kInt32, kFloat64 };
size_t element_size(ElementType type);
const char* element_type_name(ElementType type);

// ---- .npy ----
struct NpyArray {
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;  // C order; empty for a scalar
  std::vector<uint8_t> data;   // little-endian, row-major, element_size(type) * num_elements()
  size_t num_elements() const;
};
// Accepts format versions 1.0/2.0/3.0, dtypes <f4 <f8 |i1 |u1 <i4 (also '|b1'-free), C order only.
bool parse_npy(const uint8_t* bytes, size_t size, NpyArray* out, std::string* error);
bool load_npy(const std::string& path, NpyArray* out, std::string* error);
// Writes a version 1.0 .npy (C order). type must not be kFloat64 unless data holds doubles.
bool save_npy(const std::string& path, ElementType type, const std::vector<int64_t>& shape,
              const void* data, size_t data_bytes, std::string* error);
// The array's values as float (any element type).
std::vector<float> npy_to_float(const NpyArray& array);

// ---- raw files ----
bool load_file(const std::string& path, std::vector<uint8_t>* out, std::string* error);

// ---- images ----
// Float pixels in [0, 255], HWC row-major (channels 1 = gray or 3 = RGB).
struct Image {
  int height = 0, width = 0, channels = 0;
  std::vector<float> pixels;
};
// True if the path looks like an image this module decodes (by extension, case-insensitive):
// .png .jpg .jpeg .bmp .pgm .ppm .pnm
bool is_image_path(const std::string& path);
// Decodes PNG (libpng), JPEG (libjpeg), BMP (8/24/32-bit uncompressed) and binary PGM/PPM (P5/P6),
// detected from the content. channels: 1 (gray, BT.601 luma) or 3 (RGB; gray is replicated).
bool decode_image(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error);
bool load_image(const std::string& path, int channels, Image* out, std::string* error);
// Bilinear resize (pixel centers aligned, like OpenCV INTER_LINEAR without antialiasing).
Image resize_bilinear(const Image& image, int height, int width);
// load_image + resize_bilinear to height x width (no resize when already that size).
bool load_image_resized(const std::string& path, int height, int width, int channels, Image* out,
                        std::string* error);
// Regular files in `dir` (not recursive) for which is_image_path or the .npy extension holds,
// sorted by name: calibration sets.
bool list_input_files(const std::string& dir, std::vector<std::string>* paths, std::string* error);

// ---- conversion to a model input ----
// Where an image goes in an input tensor: NHWC [1,H,W,C] (or [H,W,C]) or NCHW [1,C,H,W], C in
// {1,3}.
struct ImageLayout {
  int height = 0, width = 0, channels = 0;
  bool channels_first = false;
};
// Recognizes image-shaped inputs; false for anything else (e.g. [1,640]).
bool image_layout_for_shape(const std::vector<int32_t>& shape, ImageLayout* layout);

// What the float values go through before quantization:
//   kNone:        value = pixel
//   kMeanStd:     value = (pixel - mean[c]) / std[c]   (mean/std: 1 or C entries)
//   kScaleOffset: value = pixel * scale + offset
struct Normalization {
  enum class Kind { kNone, kMeanStd, kScaleOffset };
  Kind kind = Kind::kNone;
  std::vector<float> mean, std;
  float scale = 1.0f, offset = 0.0f;
};
// Parses "0.5" or "123.7,116.3,103.5" into values (for --mean/--std and metadata).
bool parse_float_list(const std::string& text, std::vector<float>* values, std::string* error);

// The input tensor the values are converted to.
struct InputSpec {
  ElementType type = ElementType::kFloat32;  // kFloat32, kInt8, kUInt8 or kInt32
  std::vector<int32_t> shape;
  bool quantized = false;  // int8/uint8: q = clamp(round_half_even(value / scale) + zero_point)
  float scale = 1.0f;
  int32_t zero_point = 0;
};
// Converts float values (already normalized) to the spec's dtype: float32 as is; quantized
// int8/uint8 through scale/zero point; unquantized int8/uint8/int32 by rounding and saturating.
// out gets count * element_size(spec.type) bytes.
bool float_to_input(const float* values, size_t count, const InputSpec& spec,
                    std::vector<uint8_t>* out, std::string* error);
// Image → input bytes: checks the image matches the input's layout (height/width/channels; call
// load_image_resized first), normalizes per channel, transposes to NCHW if needed, converts.
bool image_to_input(const Image& image, const Normalization& normalization, const InputSpec& spec,
                    std::vector<uint8_t>* out, std::string* error);
// .npy → input bytes: element count must equal the input's; same dtype (and, for int8/uint8,
// quantized data) is copied as is; float arrays are converted with float_to_input (no
// normalization). Shapes must match exactly, ignoring leading 1s.
bool npy_to_input(const NpyArray& array, const InputSpec& spec, std::vector<uint8_t>* out,
                  std::string* error);

}  // namespace octet::tools
