// octet-inspect: what is inside a .octet file. The runtime verifies the file first
// (octet_model_open); then the flatbuffer is read directly for the details the C API does not
// expose (options, quantization per axis, arena offsets, scratch, packed blobs).
#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "octet/octet.h"
#include "octet_generated.h"
#include "tools/cli/cli_common.h"
#include "tools/common/inputs.h"

namespace octet::cli {
namespace {

const char kUsage[] =
    "usage: octet-inspect MODEL.octet [--no-tensors] [--full-names]\n"
    "  Prints operators, tensors (dtype, shape, quantization, arena offset), the memory plan,\n"
    "  packed weight families, metadata and section sizes.\n"
    "  --no-tensors  skip the per-tensor table\n"
    "  --full-names  print tensor names whole (default: shortened to 64 characters)\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "octet-inspect: %s\n", message.c_str());
  return 1;
}

template <class T>
std::string list_string(const flatbuffers::Vector<T>* v) {
  std::string s = "[";
  if (v)
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i)
      s += (i ? "," : "") + std::to_string(v->Get(i));
  return s + "]";
}

size_t tensor_bytes(const fb::Tensor* t) {
  size_t n = 1;
  if (t->shape())
    for (int32_t d : *t->shape()) n *= d > 0 ? static_cast<size_t>(d) : 0;
  const size_t elem = t->dtype() == fb::DType::Float32 || t->dtype() == fb::DType::Int32 ? 4 : 1;
  return n * elem;
}

std::string quant_string(const fb::Quantization* q) {
  if (!q || !q->scale() || q->scale()->size() == 0) return "-";
  char buf[160];
  const auto* scale = q->scale();
  const auto* zp = q->zero_point();
  if (q->axis() < 0 || scale->size() == 1) {
    std::snprintf(buf, sizeof(buf), "scale %.6g zp %d", scale->Get(0),
                  zp && zp->size() ? zp->Get(0) : 0);
    return buf;
  }
  float lo = scale->Get(0), hi = scale->Get(0);
  for (float s : *scale) {
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  bool zero_zp = true;
  if (zp)
    for (int32_t z : *zp) zero_zp = zero_zp && z == 0;
  std::snprintf(buf, sizeof(buf), "per-axis %d: %u scales in [%.4g, %.4g], zp %s", q->axis(),
                scale->size(), lo, hi, zero_zp ? "0" : "varies");
  return buf;
}

std::string options_string(const fb::Operator* op) {
  char buf[256];
  switch (op->options_type()) {
    case fb::OpOptions::Conv2DOptions: {
      const auto* o = op->options_as_Conv2DOptions();
      std::snprintf(buf, sizeof(buf), "stride %dx%d dilation %dx%d pad t%d l%d b%d r%d",
                    o->stride_h(), o->stride_w(), o->dilation_h(), o->dilation_w(), o->pad_top(),
                    o->pad_left(), o->pad_bottom(), o->pad_right());
      std::string s = buf;
      if (op->type() == fb::OpType::Conv2D && o->groups() != 1)
        s += " groups " + std::to_string(o->groups());
      if (op->type() == fb::OpType::DepthwiseConv2D)
        s += " depth_multiplier " + std::to_string(o->depth_multiplier());
      return s;
    }
    case fb::OpOptions::Pool2DOptions: {
      const auto* o = op->options_as_Pool2DOptions();
      std::snprintf(buf, sizeof(buf), "filter %dx%d stride %dx%d pad t%d l%d b%d r%d%s",
                    o->filter_h(), o->filter_w(), o->stride_h(), o->stride_w(), o->pad_top(),
                    o->pad_left(), o->pad_bottom(), o->pad_right(),
                    o->count_include_pad() ? " count_include_pad" : "");
      return buf;
    }
    case fb::OpOptions::ConcatOptions:
      return "axis " + std::to_string(op->options_as_ConcatOptions()->axis());
    case fb::OpOptions::PadOptions:
      return "paddings " + list_string(op->options_as_PadOptions()->paddings());
    case fb::OpOptions::SoftmaxOptions: {
      const auto* o = op->options_as_SoftmaxOptions();
      std::snprintf(buf, sizeof(buf), "beta %g axis %d", o->beta(), o->axis());
      return buf;
    }
    case fb::OpOptions::MeanOptions: {
      const auto* o = op->options_as_MeanOptions();
      return "axes " + list_string(o->axes()) + (o->keep_dims() ? " keep_dims" : "");
    }
    case fb::OpOptions::TransposeOptions:
      return "perm " + list_string(op->options_as_TransposeOptions()->perm());
    case fb::OpOptions::SliceOptions: {
      const auto* o = op->options_as_SliceOptions();
      return "begin " + list_string(o->begin()) + " size " + list_string(o->size());
    }
    default:
      return "";
  }
}

bool g_full_names = false;

// TFLite joins every fused op's name with ';' into one tensor name; the first part says enough.
std::string display_name(const flatbuffers::String* name) {
  if (!name) return "";
  std::string s = name->str();
  if (g_full_names) return s;
  const size_t semicolon = s.find(';');
  if (semicolon != std::string::npos) s = s.substr(0, semicolon) + ";...";
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

std::string tensor_ref(const fb::Model* model, int index) {
  if (index < 0) return "-";
  // The runtime verified indices; stay safe regardless.
  if (!model->tensors() || index >= static_cast<int>(model->tensors()->size()))
    return "#" + std::to_string(index) + ":<out of range>";
  const auto* t = model->tensors()->Get(index);
  return "#" + std::to_string(index) +
         (t->name() && t->name()->size() ? ":" + display_name(t->name()) : "");
}

int inspect(int argc, char** argv) {
  std::string path;
  bool show_tensors = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--no-tensors") {
      show_tensors = false;
    } else if (arg == "--full-names") {
      g_full_names = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr, "octet-inspect: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "octet-inspect: unexpected argument '%s'\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "octet-inspect: no model given\n\n%s", kUsage);
    return 2;
  }

  // The runtime's verifier is the authority on whether the file is valid.
  octet_model* handle = nullptr;
  const octet_status status = octet_model_open(path.c_str(), &handle);
  if (status != OCTET_OK) {
    const char* detail = octet_last_error();
    return fail("cannot load " + path + ": " + octet_status_string(status) +
                (detail && *detail ? std::string(" (") + detail + ")" : std::string()));
  }
  octet_model_close(handle);

  std::vector<uint8_t> bytes;
  std::string error;
  if (!tools::load_file(path, &bytes, &error)) return fail(error);
  if (bytes.size() < 8) return fail(path + ": too small to be a .octet file");
  const size_t flatbuffer_size =
      4 + static_cast<size_t>(flatbuffers::GetPrefixedSize(bytes.data()));
  if (flatbuffer_size > bytes.size()) return fail(path + ": size prefix exceeds the file");
  flatbuffers::Verifier verifier(bytes.data(), flatbuffer_size);
  if (!fb::VerifySizePrefixedModelBuffer(verifier))
    return fail(path + ": flatbuffer does not verify");
  const fb::Model* model = fb::GetSizePrefixedModel(bytes.data());
  const auto* tensors = model->tensors();
  const auto* operators = model->operators();
  const int num_tensors = tensors ? static_cast<int>(tensors->size()) : 0;
  const int num_ops = operators ? static_cast<int>(operators->size()) : 0;

  std::printf("file        %s\n", path.c_str());
  std::printf("size        %zu bytes: flatbuffer %zu, data section %" PRIu64 " at offset %" PRIu64
              "\n",
              bytes.size(), flatbuffer_size, model->data_size(), model->data_offset());
  std::printf("format      version %u, producer %s\n", model->version(),
              model->producer() ? model->producer()->c_str() : "-");
  std::printf("graph       %d operators, %d tensors, inputs %s, outputs %s\n", num_ops, num_tensors,
              list_string(model->inputs()).c_str(), list_string(model->outputs()).c_str());

  std::printf("\nmetadata\n");
  if (!model->metadata() || model->metadata()->size() == 0) std::printf("  (none)\n");
  if (model->metadata())
    for (const auto* kv : *model->metadata())
      std::printf("  %s = %s\n", kv->key() ? kv->key()->c_str() : "",
                  kv->value() ? kv->value()->c_str() : "");

  auto print_io = [&](const char* what, const flatbuffers::Vector<int32_t>* list) {
    if (!list) return;
    for (int t : *list) {
      if (t < 0 || t >= num_tensors) continue;
      const auto* tensor = tensors->Get(t);
      std::printf("%-6s %s %s %s  %s\n", what, tensor_ref(model, t).c_str(),
                  fb::EnumNameDType(tensor->dtype()), list_string(tensor->shape()).c_str(),
                  quant_string(tensor->quant()).c_str());
    }
  };
  std::printf("\n");
  print_io("input", model->inputs());
  print_io("output", model->outputs());

  // ---- operators ----
  std::map<fb::PackFamily, std::pair<int, uint64_t>> packed_by_family;  // ops, bytes
  uint64_t multiplier_bytes = 0, lut_bytes = 0, scratch_max = 0, scratch_total = 0;
  std::printf("\noperators\n");
  for (int i = 0; i < num_ops; ++i) {
    const fb::Operator* op = operators->Get(i);
    std::printf("  %3d %-16s %s\n", i, fb::EnumNameOpType(op->type()),
                op->name() ? op->name()->c_str() : "");
    std::string ins, outs;
    if (op->inputs())
      for (int t : *op->inputs()) ins += (ins.empty() ? "" : ", ") + tensor_ref(model, t);
    if (op->outputs())
      for (int t : *op->outputs()) outs += (outs.empty() ? "" : ", ") + tensor_ref(model, t);
    std::printf("        in  %s\n        out %s\n", ins.c_str(), outs.c_str());
    std::string details = options_string(op);
    if (op->activation() != fb::Activation::None)
      details += std::string(details.empty() ? "" : ", ") + "fused " +
                 fb::EnumNameActivation(op->activation());
    if (std::isfinite(op->act_min()) || std::isfinite(op->act_max())) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "clamp [%g, %g]", op->act_min(), op->act_max());
      details += (details.empty() ? "" : ", ") + std::string(buf);
    }
    if (op->q_min() != -128 || op->q_max() != 127)
      details += (details.empty() ? "" : ", ") + std::string("q clamp [") +
                 std::to_string(op->q_min()) + ", " + std::to_string(op->q_max()) + "]";
    if (op->multiplier()) {
      details += (details.empty() ? "" : ", ") + std::to_string(op->multiplier()->size() / 4) +
                 " multiplier(s)";
      multiplier_bytes += op->multiplier()->size();
    }
    if (op->lut()) {
      details += (details.empty() ? "" : ", ") + std::string("lut ") +
                 std::to_string(op->lut()->size()) + " bytes";
      lut_bytes += op->lut()->size();
    }
    if (op->scratch_size()) {
      details += (details.empty() ? "" : ", ") + std::string("scratch ") +
                 std::to_string(op->scratch_size()) + " bytes at " +
                 std::to_string(op->scratch_offset());
      scratch_max = std::max<uint64_t>(scratch_max, op->scratch_size());
      scratch_total += op->scratch_size();
    }
    if (op->keep_float()) details += (details.empty() ? "" : ", ") + std::string("kept in float");
    if (op->wide() && op->wide()->channels())
      details += (details.empty() ? "" : ", ") + std::to_string(op->wide()->channels()->size()) +
                 " wide channel(s) (9-bit weights, int16)";
    if (op->packed() && op->packed()->size()) {
      std::string families;
      for (const auto* p : *op->packed()) {
        families += std::string(families.empty() ? "" : " ") + fb::EnumNamePackFamily(p->family());
        auto& entry = packed_by_family[p->family()];
        entry.first += 1;
        entry.second += p->data() ? p->data()->size() : 0;
      }
      details += (details.empty() ? "" : ", ") + std::string("packed: ") + families;
    }
    if (!details.empty()) std::printf("        %s\n", details.c_str());
  }

  // ---- tensors ----
  uint64_t constant_bytes = 0;
  for (int t = 0; t < num_tensors; ++t)
    if (tensors->Get(t)->constant()) constant_bytes += tensor_bytes(tensors->Get(t));
  if (show_tensors) {
    std::printf("\ntensors\n");
    int name_width = 8;
    for (int t = 0; t < num_tensors; ++t)
      name_width =
          std::max(name_width, static_cast<int>(display_name(tensors->Get(t)->name()).size()));
    for (int t = 0; t < num_tensors; ++t) {
      const fb::Tensor* tensor = tensors->Get(t);
      char where[64];
      if (tensor->constant()) {
        std::snprintf(where, sizeof(where), "const %zu B", tensor_bytes(tensor));
      } else if (tensor->arena_offset() >= 0) {
        std::snprintf(where, sizeof(where), "arena @%" PRId64 " (%zu B)", tensor->arena_offset(),
                      tensor_bytes(tensor));
      } else {
        std::snprintf(where, sizeof(where), "unplanned");
      }
      std::printf("  %4d %-*s %-7s %-18s %-24s %s\n", t, name_width,
                  display_name(tensor->name()).c_str(), fb::EnumNameDType(tensor->dtype()),
                  list_string(tensor->shape()).c_str(), where,
                  quant_string(tensor->quant()).c_str());
    }
  }

  // ---- memory plan: peak of simultaneously live bytes, recomputed from the graph ----
  std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
  auto touch = [&](int t, int i) {
    if (t < 0 || t >= num_tensors || tensors->Get(t)->constant()) return;
    if (first[t] < 0 || i < first[t]) first[t] = i;
    last[t] = std::max(last[t], i);
  };
  if (model->inputs())
    for (int t : *model->inputs()) {  // inputs survive the whole graph (see ir::serialize)
      touch(t, 0);
      touch(t, std::max(num_ops - 1, 0));
    }
  for (int i = 0; i < num_ops; ++i) {
    const fb::Operator* op = operators->Get(i);
    if (op->inputs())
      for (int t : *op->inputs()) touch(t, i);
    if (op->outputs())
      for (int t : *op->outputs()) touch(t, i);
  }
  if (model->outputs())
    for (int t : *model->outputs()) touch(t, std::max(num_ops - 1, 0));
  uint64_t peak = 0, activation_total = 0;
  int peak_op = 0;
  for (int t = 0; t < num_tensors; ++t)
    if (first[t] >= 0) activation_total += tensor_bytes(tensors->Get(t));
  for (int i = 0; i < std::max(num_ops, 1); ++i) {
    uint64_t live = i < num_ops ? operators->Get(i)->scratch_size() : 0;
    for (int t = 0; t < num_tensors; ++t)
      if (first[t] >= 0 && first[t] <= i && i <= last[t]) live += tensor_bytes(tensors->Get(t));
    if (live > peak) {
      peak = live;
      peak_op = i;
    }
  }
  std::printf("\nmemory plan\n");
  std::printf("  arena         %" PRIu64 " bytes\n", model->arena_size());
  std::printf("  peak live     %" PRIu64 " bytes (at op %d; the arena cannot be smaller)\n", peak,
              peak_op);
  std::printf("  activations   %" PRIu64 " bytes if nothing were shared\n", activation_total);
  std::printf("  scratch       max %" PRIu64 " bytes per op, %" PRIu64 " bytes over all ops\n",
              scratch_max, scratch_total);

  std::printf("\ndata section\n");
  std::printf("  constants     %" PRIu64 " bytes\n", constant_bytes);
  std::printf("  multipliers   %" PRIu64 " bytes\n", multiplier_bytes);
  std::printf("  tables        %" PRIu64 " bytes\n", lut_bytes);
  std::printf("  packed weights");
  if (packed_by_family.empty()) std::printf(" none (RowMajor only: other ISAs repack at load)");
  std::printf("\n");
  for (const auto& [family, entry] : packed_by_family)
    std::printf("    %-12s %d ops, %" PRIu64 " bytes\n", fb::EnumNamePackFamily(family),
                entry.first, entry.second);
  return 0;
}

}  // namespace
}  // namespace octet::cli

int main(int argc, char** argv) {
  // The host libraries (std::vector, file I/O) may throw, e.g. bad_alloc on a hostile file:
  // report it like any other error instead of aborting.
  try {
    return octet::cli::inspect(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "octet-inspect: %s\n", e.what());
    return 1;
  }
}
