// Built instead of onnx_importer.cc when that file or libonnx-dev is missing, so that the
// converter still links and says why .onnx files cannot be read.
#include "tools/convert/importer.h"

namespace octet::convert {

bool import_onnx(const std::string& path, const ImportOptions&, ir::Graph*, std::string* error) {
  *error = path + ": this octet-convert was built without the ONNX importer (libonnx-dev missing)";
  return false;
}

}  // namespace octet::convert
