// Small helpers shared by octet-run and octet-inspect (host only).
#pragma once
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "octet/octet.h"

namespace octet::cli {

inline const char* dtype_name(octet_dtype dtype) {
  switch (dtype) {
    case OCTET_FLOAT32:
      return "float32";
    case OCTET_INT8:
      return "int8";
    case OCTET_UINT8:
      return "uint8";
    case OCTET_INT32:
      return "int32";
  }
  return "?";
}

template <class Dims>
std::string shape_string(const Dims& dims, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

// Strict decimal integer in [min, max]; false on anything else ("12abc", "", overflow).
inline bool parse_int(const std::string& text, long min, long max, long* value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < min || v > max) return false;
  *value = v;
  return true;
}

}  // namespace octet::cli
