#include "tools/common/inputs.h"

// OCTET_NO_IMAGE_CODECS (OCTET_CLI_ONLY cross builds, where libpng/libjpeg are absent): PNG and
// JPEG are refused with a message; BMP, PGM/PPM, .npy and raw still work.
#ifndef OCTET_NO_IMAGE_CODECS
#include <jpeglib.h>
#include <png.h>
#endif

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace octet::tools {
namespace {

bool fail(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

// A few bytes of header can claim any size: refuse images whose pixels would not reasonably fit
// in memory instead of attempting the allocation.
constexpr uint64_t kMaxImagePixels = uint64_t{64} << 20;

bool image_size_ok(uint64_t width, uint64_t height) {
  return width > 0 && height > 0 && width * height <= kMaxImagePixels;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string extension_of(const std::string& path) {
  return lower(std::filesystem::path(path).extension().string());
}

uint16_t read_u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t read_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
int32_t read_i32le(const uint8_t* p) { return static_cast<int32_t>(read_u32le(p)); }

}  // namespace

size_t element_size(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return 4;
    case ElementType::kInt8:
      return 1;
    case ElementType::kUInt8:
      return 1;
    case ElementType::kInt32:
      return 4;
    case ElementType::kFloat64:
      return 8;
  }
  return 0;
}

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::kFloat32:
      return "float32";
    case ElementType::kInt8:
      return "int8";
    case ElementType::kUInt8:
      return "uint8";
    case ElementType::kInt32:
      return "int32";
    case ElementType::kFloat64:
      return "float64";
  }
  return "?";
}

// ---------------------------------------------------------------- npy

size_t NpyArray::num_elements() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

namespace {

// Value of `key` in the header dict: the text after "'key':" up to the matching end.
bool npy_header_value(const std::string& header, const std::string& key, std::string* value) {
  size_t pos = header.find("'" + key + "'");
  if (pos == std::string::npos) pos = header.find("\"" + key + "\"");
  if (pos == std::string::npos) return false;
  pos = header.find(':', pos);
  if (pos == std::string::npos) return false;
  ++pos;
  while (pos < header.size() && std::isspace(static_cast<unsigned char>(header[pos]))) ++pos;
  if (pos >= header.size()) return false;
  size_t end;
  if (header[pos] == '(') {
    end = header.find(')', pos);
    if (end == std::string::npos) return false;
    *value = header.substr(pos + 1, end - pos - 1);
  } else if (header[pos] == '\'' || header[pos] == '"') {
    end = header.find(header[pos], pos + 1);
    if (end == std::string::npos) return false;
    *value = header.substr(pos + 1, end - pos - 1);
  } else {
    end = header.find_first_of(",}", pos);
    if (end == std::string::npos) return false;
    *value = header.substr(pos, end - pos);
    while (!value->empty() && std::isspace(static_cast<unsigned char>(value->back())))
      value->pop_back();
  }
  return true;
}

}  // namespace

bool parse_npy(const uint8_t* bytes, size_t size, NpyArray* out, std::string* error) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, 6) != 0)
    return fail(error, "not a .npy file (bad magic)");
  const int major = bytes[6];
  size_t header_len, header_start;
  if (major == 1) {
    header_len = read_u16le(bytes + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return fail(error, "truncated .npy header");
    header_len = read_u32le(bytes + 8);
    header_start = 12;
  } else {
    return fail(error, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > size - header_start) return fail(error, "truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(bytes + header_start), header_len);

  std::string descr, fortran, shape_text;
  if (!npy_header_value(header, "descr", &descr) ||
      !npy_header_value(header, "fortran_order", &fortran) ||
      !npy_header_value(header, "shape", &shape_text))
    return fail(error, "malformed .npy header: " + header);
  if (fortran != "False") return fail(error, ".npy in Fortran order is not supported");

  if (descr.size() < 2) return fail(error, "unsupported .npy dtype '" + descr + "'");
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  const bool one_byte = kind == "i1" || kind == "u1";
  if (order == '>' && !one_byte)
    return fail(error, "big-endian .npy dtype '" + descr + "' is not supported");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return fail(error, "unsupported .npy dtype '" + descr + "'");
  if (kind == "f4") {
    out->type = ElementType::kFloat32;
  } else if (kind == "f8") {
    out->type = ElementType::kFloat64;
  } else if (kind == "i1") {
    out->type = ElementType::kInt8;
  } else if (kind == "u1") {
    out->type = ElementType::kUInt8;
  } else if (kind == "i4") {
    out->type = ElementType::kInt32;
  } else {
    return fail(error, "unsupported .npy dtype '" + descr +
                           "' (supported: float32, float64, int8, uint8, int32)");
  }

  out->shape.clear();
  uint64_t count = 1;  // 64-bit even where size_t is 32-bit (armhf)
  size_t pos = 0;
  while (pos < shape_text.size()) {
    while (pos < shape_text.size() &&
           (std::isspace(static_cast<unsigned char>(shape_text[pos])) || shape_text[pos] == ','))
      ++pos;
    if (pos >= shape_text.size()) break;
    if (!std::isdigit(static_cast<unsigned char>(shape_text[pos])))
      return fail(error, "malformed .npy shape (" + shape_text + ")");
    int64_t dim = 0;
    while (pos < shape_text.size() && std::isdigit(static_cast<unsigned char>(shape_text[pos]))) {
      dim = dim * 10 + (shape_text[pos] - '0');
      if (dim > (int64_t{1} << 40)) return fail(error, "absurd .npy dimension");
      ++pos;
    }
    // Tolerate the Python 2 'L' suffix.
    if (pos < shape_text.size() && shape_text[pos] == 'L') ++pos;
    out->shape.push_back(dim);
    if (dim != 0 && count > (uint64_t{1} << 40) / static_cast<uint64_t>(dim))
      return fail(error, ".npy array too large");
    count *= static_cast<uint64_t>(dim);
  }
  const uint64_t data_bytes64 = count * element_size(out->type);
  if (data_bytes64 > SIZE_MAX) return fail(error, ".npy array too large for this machine");
  const size_t data_bytes = static_cast<size_t>(data_bytes64);
  const size_t data_start = header_start + header_len;
  if (size - data_start < data_bytes)
    return fail(error, ".npy data truncated: expected " + std::to_string(data_bytes) +
                           " bytes, file has " + std::to_string(size - data_start));
  out->data.assign(bytes + data_start, bytes + data_start + data_bytes);
  return true;
}

bool load_npy(const std::string& path, NpyArray* out, std::string* error) {
  std::vector<uint8_t> bytes;
  if (!load_file(path, &bytes, error)) return false;
  std::string why;
  if (!parse_npy(bytes.data(), bytes.size(), out, &why)) return fail(error, path + ": " + why);
  return true;
}

bool save_npy(const std::string& path, ElementType type, const std::vector<int64_t>& shape,
              const void* data, size_t data_bytes, std::string* error) {
  const char* descr = "";
  switch (type) {
    case ElementType::kFloat32:
      descr = "<f4";
      break;
    case ElementType::kFloat64:
      descr = "<f8";
      break;
    case ElementType::kInt8:
      descr = "|i1";
      break;
    case ElementType::kUInt8:
      descr = "|u1";
      break;
    case ElementType::kInt32:
      descr = "<i4";
      break;
  }
  size_t count = 1;
  std::string shape_text;
  for (int64_t d : shape) {
    shape_text += std::to_string(d) + ", ";
    count *= static_cast<size_t>(d);
  }
  if (shape.size() > 1) shape_text.erase(shape_text.size() - 2);  // "(2, 3)"; "(4,)" keeps comma
  if (shape.size() == 1) shape_text.pop_back();
  if (count * element_size(type) != data_bytes)
    return fail(error, "save_npy: data size does not match the shape");
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (" + shape_text + "), }";
  // Total header (magic + version + length + dict + '\n') is padded to a multiple of 64.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(static_cast<uint8_t>(header.size() & 0xff));
  bytes.push_back(static_cast<uint8_t>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  const uint8_t* p = static_cast<const uint8_t*>(data);
  bytes.insert(bytes.end(), p, p + data_bytes);
  std::ofstream file(path, std::ios::binary);
  if (!file) return fail(error, "cannot write " + path);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  if (!file) return fail(error, "cannot write " + path);
  return true;
}

std::vector<float> npy_to_float(const NpyArray& array) {
  const size_t n = array.num_elements();
  std::vector<float> values(n);
  const uint8_t* p = array.data.data();
  for (size_t i = 0; i < n; ++i) {
    switch (array.type) {
      case ElementType::kFloat32: {
        float v;
        std::memcpy(&v, p + 4 * i, 4);
        values[i] = v;
        break;
      }
      case ElementType::kFloat64: {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        values[i] = static_cast<float>(v);
        break;
      }
      case ElementType::kInt8:
        values[i] = static_cast<int8_t>(p[i]);
        break;
      case ElementType::kUInt8:
        values[i] = p[i];
        break;
      case ElementType::kInt32: {
        int32_t v;
        std::memcpy(&v, p + 4 * i, 4);
        values[i] = static_cast<float>(v);
        break;
      }
    }
  }
  return values;
}

// ---------------------------------------------------------------- files

bool load_file(const std::string& path, std::vector<uint8_t>* out, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail(error, path + ": is a directory");
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return fail(error, path + ": cannot open (" + std::strerror(errno) + ")");
  const std::streamoff size = file.tellg();
  if (size < 0) return fail(error, path + ": cannot read");
  out->resize(static_cast<size_t>(size));
  file.seekg(0);
  if (size > 0 && !file.read(reinterpret_cast<char*>(out->data()), size))
    return fail(error, path + ": read error");
  return true;
}

// ---------------------------------------------------------------- images

bool is_image_path(const std::string& path) {
  const std::string ext = extension_of(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" ||
         ext == ".ppm" || ext == ".pnm";
}

namespace {

// 8-bit interleaved samples (1 or 3 channels) → float Image with `channels` channels.
void to_image(const uint8_t* samples, int height, int width, int src_channels, int channels,
              Image* out) {
  out->height = height;
  out->width = width;
  out->channels = channels;
  const size_t pixels = static_cast<size_t>(height) * width;
  out->pixels.resize(pixels * channels);
  for (size_t i = 0; i < pixels; ++i) {
    const uint8_t* s = samples + i * src_channels;
    float* d = out->pixels.data() + i * channels;
    if (src_channels == channels) {
      for (int c = 0; c < channels; ++c) d[c] = s[c];
    } else if (channels == 3) {  // gray → RGB
      d[0] = d[1] = d[2] = s[0];
    } else {  // RGB → gray (BT.601 luma); gray stored as RGB stays exact
      d[0] = s[0] == s[1] && s[1] == s[2] ? s[0] : 0.299f * s[0] + 0.587f * s[1] + 0.114f * s[2];
    }
  }
}

#ifndef OCTET_NO_IMAGE_CODECS
bool decode_png(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes, size))
    return fail(error, std::string("PNG: ") + image.message);
  // Always RGB: libpng's own gray conversion is gamma-aware and would not match the BT.601 luma
  // the other decoders use.
  image.format = PNG_FORMAT_RGB;
  if (!image_size_ok(image.width, image.height)) {
    png_image_free(&image);
    return fail(error, "PNG: unsupported dimensions");
  }
  std::vector<uint8_t> samples(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, samples.data(), 0, nullptr)) {
    std::string message = std::string("PNG: ") + image.message;
    png_image_free(&image);
    return fail(error, message);
  }
  to_image(samples.data(), static_cast<int>(image.height), static_cast<int>(image.width), 3,
           channels, out);
  return true;
}

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->message);
  std::longjmp(manager->jump, 1);
}

void jpeg_silence(j_common_ptr, int) {}

// Kept free of C++ objects with destructors between setjmp and longjmp.
bool decode_jpeg_into(const uint8_t* bytes, size_t size, int channels,
                      std::vector<uint8_t>* samples, int* height, int* width, char* message) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager errors;
  cinfo.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = jpeg_error_exit;
  errors.base.emit_message = jpeg_silence;
  if (setjmp(errors.jump)) {
    std::snprintf(message, JMSG_LENGTH_MAX, "%s", errors.message);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, const_cast<unsigned char*>(bytes), static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_components != channels ||
      !image_size_ok(cinfo.output_width, cinfo.output_height)) {
    std::snprintf(message, JMSG_LENGTH_MAX, "unsupported JPEG color space or size");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  *width = static_cast<int>(cinfo.output_width);
  *height = static_cast<int>(cinfo.output_height);
  samples->resize(static_cast<size_t>(*width) * *height * channels);
  const size_t row_bytes = static_cast<size_t>(*width) * channels;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = samples->data() + cinfo.output_scanline * row_bytes;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool decode_jpeg(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error) {
  std::vector<uint8_t> samples;
  int height = 0, width = 0;
  char message[JMSG_LENGTH_MAX] = {0};
  if (!decode_jpeg_into(bytes, size, channels, &samples, &height, &width, message))
    return fail(error, std::string("JPEG: ") + message);
  to_image(samples.data(), height, width, channels, channels, out);
  return true;
}
#else
bool decode_png(const uint8_t*, size_t, int, Image*, std::string* error) {
  return fail(error, "PNG: this build has no libpng (OCTET_CLI_ONLY); use BMP, PPM/PGM or .npy");
}
bool decode_jpeg(const uint8_t*, size_t, int, Image*, std::string* error) {
  return fail(error, "JPEG: this build has no libjpeg (OCTET_CLI_ONLY); use BMP, PPM/PGM or .npy");
}
#endif

// Uncompressed BMP: 8-bit paletted, 24-bit BGR, 32-bit BGRA (BI_RGB or standard BI_BITFIELDS).
bool decode_bmp(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error) {
  if (size < 26) return fail(error, "BMP: truncated header");
  const uint32_t pixel_offset = read_u32le(bytes + 10);
  const uint32_t dib_size = read_u32le(bytes + 14);
  if (dib_size < 40 || 14 + static_cast<size_t>(dib_size) > size)
    return fail(error,
                "BMP: unsupported or truncated DIB header (size " + std::to_string(dib_size) + ")");
  const int32_t width = read_i32le(bytes + 18);
  const int32_t raw_height = read_i32le(bytes + 22);
  const uint16_t bpp = read_u16le(bytes + 28);
  const uint32_t compression = read_u32le(bytes + 30);
  uint32_t palette_count = read_u32le(bytes + 46);
  if (width <= 0 || raw_height == 0 || width > 65535 || raw_height > 65535 || raw_height < -65535)
    return fail(error, "BMP: bad dimensions");
  const bool top_down = raw_height < 0;
  const int height = top_down ? -raw_height : raw_height;
  if (compression != 0 && !(compression == 3 && bpp == 32))
    return fail(error, "BMP: compressed BMP (compression " + std::to_string(compression) +
                           ") is not supported");
  if (bpp != 8 && bpp != 24 && bpp != 32)
    return fail(error, "BMP: " + std::to_string(bpp) + "-bit BMP is not supported");
  std::vector<uint8_t> palette;  // RGB triples
  if (bpp == 8) {
    if (palette_count == 0) palette_count = 256;
    if (palette_count > 256) return fail(error, "BMP: bad palette size");
    const size_t palette_start = 14 + static_cast<size_t>(dib_size);
    if (palette_start + 4 * static_cast<size_t>(palette_count) > size)
      return fail(error, "BMP: truncated palette");
    palette.resize(256 * 3, 0);
    for (uint32_t i = 0; i < palette_count; ++i) {
      const uint8_t* e = bytes + palette_start + 4 * i;
      palette[3 * i] = e[2];
      palette[3 * i + 1] = e[1];
      palette[3 * i + 2] = e[0];
    }
  }
  const size_t row_stride = (static_cast<size_t>(width) * bpp / 8 + 3) & ~size_t{3};
  if (pixel_offset > size || row_stride * height > size - pixel_offset)
    return fail(error, "BMP: truncated pixel data");
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    const int src_row = top_down ? y : height - 1 - y;
    const uint8_t* row = bytes + pixel_offset + row_stride * src_row;
    uint8_t* dst = rgb.data() + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x) {
      if (bpp == 8) {
        std::memcpy(dst + 3 * x, palette.data() + 3 * row[x], 3);
      } else {
        const uint8_t* s = row + x * (bpp / 8);
        dst[3 * x] = s[2];
        dst[3 * x + 1] = s[1];
        dst[3 * x + 2] = s[0];
      }
    }
  }
  to_image(rgb.data(), height, width, 3, channels, out);
  return true;
}

// Binary PGM (P5) / PPM (P6), maxval up to 65535.
bool decode_pnm(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error) {
  const int src_channels = bytes[1] == '5' ? 1 : 3;
  size_t pos = 2;
  int64_t fields[3] = {0, 0, 0};
  for (int f = 0; f < 3; ++f) {
    while (pos < size) {  // whitespace and comments
      if (std::isspace(bytes[pos])) {
        ++pos;
      } else if (bytes[pos] == '#') {
        while (pos < size && bytes[pos] != '\n') ++pos;
      } else {
        break;
      }
    }
    if (pos >= size || !std::isdigit(bytes[pos])) return fail(error, "PNM: malformed header");
    while (pos < size && std::isdigit(bytes[pos])) {
      fields[f] = fields[f] * 10 + (bytes[pos] - '0');
      if (fields[f] > 1 << 20) return fail(error, "PNM: header value too large");
      ++pos;
    }
  }
  if (pos >= size || !std::isspace(bytes[pos])) return fail(error, "PNM: malformed header");
  ++pos;  // exactly one whitespace before the samples
  const int width = static_cast<int>(fields[0]), height = static_cast<int>(fields[1]);
  const int maxval = static_cast<int>(fields[2]);
  if (!image_size_ok(width, height) || maxval <= 0 || maxval > 65535)
    return fail(error, "PNM: bad dimensions or maxval");
  const int sample_bytes = maxval > 255 ? 2 : 1;
  const size_t count = static_cast<size_t>(width) * height * src_channels;
  if (size - pos < count * sample_bytes) return fail(error, "PNM: truncated pixel data");
  std::vector<float> samples(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* s = bytes + pos + i * sample_bytes;
    const int v = sample_bytes == 2 ? (s[0] << 8) | s[1] : s[0];
    samples[i] = static_cast<float>(std::min(v, maxval)) * 255.0f / static_cast<float>(maxval);
  }
  out->height = height;
  out->width = width;
  out->channels = channels;
  out->pixels.resize(static_cast<size_t>(width) * height * channels);
  for (size_t p = 0; p < static_cast<size_t>(width) * height; ++p) {
    const float* s = samples.data() + p * src_channels;
    float* d = out->pixels.data() + p * channels;
    if (src_channels == channels) {
      for (int c = 0; c < channels; ++c) d[c] = s[c];
    } else if (channels == 3) {
      d[0] = d[1] = d[2] = s[0];
    } else {
      d[0] = s[0] == s[1] && s[1] == s[2] ? s[0] : 0.299f * s[0] + 0.587f * s[1] + 0.114f * s[2];
    }
  }
  return true;
}

}  // namespace

bool decode_image(const uint8_t* bytes, size_t size, int channels, Image* out, std::string* error) {
  if (channels != 1 && channels != 3)
    return fail(error, "images decode to 1 or 3 channels, not " + std::to_string(channels));
  if (size >= 8 && std::memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0)
    return decode_png(bytes, size, channels, out, error);
  if (size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decode_jpeg(bytes, size, channels, out, error);
  if (size >= 2 && bytes[0] == 'B' && bytes[1] == 'M')
    return decode_bmp(bytes, size, channels, out, error);
  if (size >= 3 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6'))
    return decode_pnm(bytes, size, channels, out, error);
  return fail(error, "unrecognized image format (supported: PNG, JPEG, BMP, binary PGM/PPM)");
}

bool load_image(const std::string& path, int channels, Image* out, std::string* error) {
  std::vector<uint8_t> bytes;
  if (!load_file(path, &bytes, error)) return false;
  std::string why;
  if (!decode_image(bytes.data(), bytes.size(), channels, out, &why))
    return fail(error, path + ": " + why);
  return true;
}

Image resize_bilinear(const Image& image, int height, int width) {
  Image out;
  out.height = height;
  out.width = width;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(height) * width * image.channels);
  if (image.height <= 0 || image.width <= 0) return out;
  const float scale_y = static_cast<float>(image.height) / height;
  const float scale_x = static_cast<float>(image.width) / width;
  const int c = image.channels;
  for (int y = 0; y < height; ++y) {
    float sy = (y + 0.5f) * scale_y - 0.5f;
    sy = std::clamp(sy, 0.0f, static_cast<float>(image.height - 1));
    const int y0 = static_cast<int>(sy);
    const int y1 = std::min(y0 + 1, image.height - 1);
    const float fy = sy - y0;
    for (int x = 0; x < width; ++x) {
      float sx = (x + 0.5f) * scale_x - 0.5f;
      sx = std::clamp(sx, 0.0f, static_cast<float>(image.width - 1));
      const int x0 = static_cast<int>(sx);
      const int x1 = std::min(x0 + 1, image.width - 1);
      const float fx = sx - x0;
      const float* p00 = &image.pixels[(static_cast<size_t>(y0) * image.width + x0) * c];
      const float* p01 = &image.pixels[(static_cast<size_t>(y0) * image.width + x1) * c];
      const float* p10 = &image.pixels[(static_cast<size_t>(y1) * image.width + x0) * c];
      const float* p11 = &image.pixels[(static_cast<size_t>(y1) * image.width + x1) * c];
      float* d = &out.pixels[(static_cast<size_t>(y) * width + x) * c];
      for (int k = 0; k < c; ++k) {
        const float top = p00[k] + (p01[k] - p00[k]) * fx;
        const float bottom = p10[k] + (p11[k] - p10[k]) * fx;
        d[k] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

bool load_image_resized(const std::string& path, int height, int width, int channels, Image* out,
                        std::string* error) {
  if (height <= 0 || width <= 0) return fail(error, "bad resize target");
  Image decoded;
  if (!load_image(path, channels, &decoded, error)) return false;
  if (decoded.height == height && decoded.width == width) {
    *out = std::move(decoded);
  } else {
    *out = resize_bilinear(decoded, height, width);
  }
  return true;
}

bool list_input_files(const std::string& dir, std::vector<std::string>* paths, std::string* error) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return fail(error, dir + ": not a directory");
  paths->clear();
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string path = entry.path().string();
    if (is_image_path(path) || extension_of(path) == ".npy") paths->push_back(path);
  }
  if (ec) return fail(error, dir + ": " + ec.message());
  std::sort(paths->begin(), paths->end());
  return true;
}

// ---------------------------------------------------------------- conversion

bool image_layout_for_shape(const std::vector<int32_t>& shape, ImageLayout* layout) {
  std::vector<int32_t> dims = shape;
  if (dims.size() == 4) {
    if (dims[0] != 1) return false;
    dims.erase(dims.begin());
  }
  if (dims.size() != 3) return false;
  auto is_channels = [](int32_t c) { return c == 1 || c == 3; };
  if (is_channels(dims[2]) && dims[0] > 3 && dims[1] > 3) {
    *layout = ImageLayout{dims[0], dims[1], dims[2], false};
    return true;
  }
  if (is_channels(dims[0]) && dims[1] > 3 && dims[2] > 3) {
    *layout = ImageLayout{dims[1], dims[2], dims[0], true};
    return true;
  }
  return false;
}

bool parse_float_list(const std::string& text, std::vector<float>* values, std::string* error) {
  values->clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    const float v = std::strtof(item.c_str(), &end);
    if (item.empty() || end == item.c_str() || *end != '\0' || !std::isfinite(v))
      return fail(error, "'" + text + "' is not a number or comma-separated list of numbers");
    values->push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

namespace {

size_t spec_elements(const InputSpec& spec) {
  size_t n = 1;
  for (int32_t d : spec.shape) n *= static_cast<size_t>(std::max(d, 0));
  return n;
}

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

template <class T>
void store_saturated(float value, double lo, double hi, uint8_t* out) {
  // nearbyint: round half to even in the default rounding mode, like the runtime's Quantize.
  double r = std::nearbyint(static_cast<double>(value));
  if (std::isnan(value)) r = 0;
  r = std::clamp(r, lo, hi);
  const T t = static_cast<T>(r);
  std::memcpy(out, &t, sizeof(T));
}

}  // namespace

bool float_to_input(const float* values, size_t count, const InputSpec& spec,
                    std::vector<uint8_t>* out, std::string* error) {
  const size_t size = element_size(spec.type);
  out->resize(count * size);
  uint8_t* dst = out->data();
  const bool quantized =
      spec.quantized && (spec.type == ElementType::kInt8 || spec.type == ElementType::kUInt8);
  if (quantized && !(spec.scale > 0.0f))
    return fail(error, "input quantization scale must be positive");
  for (size_t i = 0; i < count; ++i) {
    float v = values[i];
    if (quantized) v = v / spec.scale + 0.0f;
    uint8_t* d = dst + i * size;
    switch (spec.type) {
      case ElementType::kFloat32:
        std::memcpy(d, &v, 4);
        break;
      case ElementType::kFloat64: {
        const double x = v;
        std::memcpy(d, &x, 8);
        break;
      }
      case ElementType::kInt8: {
        const double zp = quantized ? spec.zero_point : 0;
        double r = std::isnan(v) ? 0 : std::nearbyint(static_cast<double>(v)) + zp;
        const int8_t t = static_cast<int8_t>(std::clamp(r, -128.0, 127.0));
        std::memcpy(d, &t, 1);
        break;
      }
      case ElementType::kUInt8: {
        const double zp = quantized ? spec.zero_point : 0;
        double r = std::isnan(v) ? 0 : std::nearbyint(static_cast<double>(v)) + zp;
        *d = static_cast<uint8_t>(std::clamp(r, 0.0, 255.0));
        break;
      }
      case ElementType::kInt32:
        store_saturated<int32_t>(v, -2147483648.0, 2147483647.0, d);
        break;
    }
  }
  return true;
}

bool image_to_input(const Image& image, const Normalization& normalization, const InputSpec& spec,
                    std::vector<uint8_t>* out, std::string* error) {
  ImageLayout layout;
  if (!image_layout_for_shape(spec.shape, &layout))
    return fail(error, "input of shape " + shape_string(spec.shape) +
                           " does not take an image (expected [1,H,W,C] or [1,C,H,W], C = 1 or 3)");
  if (image.height != layout.height || image.width != layout.width ||
      image.channels != layout.channels)
    return fail(error, "image is " + std::to_string(image.height) + "x" +
                           std::to_string(image.width) + "x" + std::to_string(image.channels) +
                           ", input wants " + std::to_string(layout.height) + "x" +
                           std::to_string(layout.width) + "x" + std::to_string(layout.channels));
  const int c = image.channels;
  auto per_channel = [&](const std::vector<float>& v, const char* what,
                         std::vector<float>* expanded) {
    if (v.size() == 1) {
      expanded->assign(c, v[0]);
    } else if (static_cast<int>(v.size()) == c) {
      *expanded = v;
    } else {
      return fail(error, std::string(what) + " has " + std::to_string(v.size()) +
                             " values; the image has " + std::to_string(c) + " channels");
    }
    return true;
  };
  std::vector<float> mean(c, 0.0f), inv_std(c, 1.0f);
  if (normalization.kind == Normalization::Kind::kMeanStd) {
    std::vector<float> std_dev;
    if (!per_channel(normalization.mean, "mean", &mean)) return false;
    if (!per_channel(normalization.std, "std", &std_dev)) return false;
    for (int k = 0; k < c; ++k) {
      if (!(std_dev[k] != 0.0f)) return fail(error, "std must be non-zero");
      inv_std[k] = 1.0f / std_dev[k];
    }
  }
  const size_t pixels = static_cast<size_t>(image.height) * image.width;
  std::vector<float> values(pixels * c);
  for (size_t p = 0; p < pixels; ++p) {
    for (int k = 0; k < c; ++k) {
      float v = image.pixels[p * c + k];
      switch (normalization.kind) {
        case Normalization::Kind::kNone:
          break;
        case Normalization::Kind::kMeanStd:
          v = (v - mean[k]) * inv_std[k];
          break;
        case Normalization::Kind::kScaleOffset:
          v = v * normalization.scale + normalization.offset;
          break;
      }
      const size_t index = layout.channels_first ? k * pixels + p : p * c + k;
      values[index] = v;
    }
  }
  return float_to_input(values.data(), values.size(), spec, out, error);
}

bool npy_to_input(const NpyArray& array, const InputSpec& spec, std::vector<uint8_t>* out,
                  std::string* error) {
  const size_t expected = spec_elements(spec);
  auto strip = [](std::vector<int64_t> s) {
    while (!s.empty() && s.front() == 1) s.erase(s.begin());
    return s;
  };
  std::vector<int64_t> wanted(spec.shape.begin(), spec.shape.end());
  if (strip(array.shape) != strip(wanted) || array.num_elements() != expected) {
    std::string got = "[";
    for (size_t i = 0; i < array.shape.size(); ++i)
      got += (i ? "," : "") + std::to_string(array.shape[i]);
    return fail(error, ".npy shape " + got + "] does not match the input shape " +
                           shape_string(spec.shape));
  }
  if (array.type == spec.type) {
    *out = array.data;
    return true;
  }
  const bool float_array =
      array.type == ElementType::kFloat32 || array.type == ElementType::kFloat64;
  if (float_array || spec.type == ElementType::kFloat32) {
    const std::vector<float> values = npy_to_float(array);
    return float_to_input(values.data(), values.size(), spec, out, error);
  }
  return fail(error, std::string(".npy dtype ") + element_type_name(array.type) +
                         " does not match the input dtype " + element_type_name(spec.type) +
                         " (give float values to quantize, or the exact dtype)");
}

}  // namespace octet::tools
