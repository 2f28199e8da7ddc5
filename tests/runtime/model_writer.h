// Test-only .octet writer: builds a Model with the FlatBuffers object API and lays out
// the file ([u32 size][flatbuffer][padding][64-aligned data section]) by hand, so runtime
// tests do not depend on the host serializer. Tests mutate TestModel to make bad files.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "octet_generated.h"

namespace octet::test {

constexpr size_t kAlign = 64;

// 64-byte aligned copy of a byte vector (what octet_model_open_buffer requires).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(const std::vector<uint8_t>& bytes) { assign(bytes.data(), bytes.size()); }
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
  ~AlignedBytes() { free(data_); }
  void assign(const void* bytes, size_t size) {
    free(data_);
    data_ = nullptr;
    size_ = size;
    if (posix_memalign(reinterpret_cast<void**>(&data_), kAlign, size ? size : 1) != 0) abort();
    if (size) memcpy(data_, bytes, size);
  }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct TestModel {
  fb::ModelT model;
  std::vector<uint8_t> data;  // data section
  // Arena offsets are assigned by plan() unless a tensor already has one.

  TestModel() {
    model.version = 1;
    model.producer = "runtime-test";
  }

  fb::Buffer add_data(const void* bytes, size_t size) {
    const size_t offset = (data.size() + kAlign - 1) / kAlign * kAlign;
    data.resize(offset + size);
    if (size) memcpy(data.data() + offset, bytes, size);
    return fb::Buffer(offset, size);
  }

  int add_tensor(const std::string& name, fb::DType dtype, std::vector<int32_t> shape,
                 std::vector<float> scale = {}, std::vector<int32_t> zero_point = {},
                 int axis = -1) {
    auto t = std::make_unique<fb::TensorT>();
    t->name = name;
    t->dtype = dtype;
    t->shape = std::move(shape);
    if (!scale.empty()) {
      t->quant = std::make_unique<fb::QuantizationT>();
      t->quant->scale = std::move(scale);
      t->quant->zero_point = zero_point.empty() ? std::vector<int32_t>(t->quant->scale.size(), 0)
                                                : std::move(zero_point);
      t->quant->axis = axis;
    }
    t->arena_offset = -1;
    model.tensors.push_back(std::move(t));
    return static_cast<int>(model.tensors.size()) - 1;
  }

  int add_constant(const std::string& name, fb::DType dtype, std::vector<int32_t> shape,
                   const void* bytes, size_t size, std::vector<float> scale = {},
                   std::vector<int32_t> zero_point = {}, int axis = -1) {
    const int index =
        add_tensor(name, dtype, std::move(shape), std::move(scale), std::move(zero_point), axis);
    model.tensors[index]->constant = true;
    model.tensors[index]->data = std::make_unique<fb::Buffer>(add_data(bytes, size));
    return index;
  }
  template <class T>
  int add_constant(const std::string& name, fb::DType dtype, std::vector<int32_t> shape,
                   const std::vector<T>& values, std::vector<float> scale = {},
                   std::vector<int32_t> zero_point = {}, int axis = -1) {
    return add_constant(name, dtype, std::move(shape), values.data(), values.size() * sizeof(T),
                        std::move(scale), std::move(zero_point), axis);
  }

  fb::OperatorT& add_op(fb::OpType type, std::vector<int32_t> inputs,
                        std::vector<int32_t> outputs) {
    auto op = std::make_unique<fb::OperatorT>();
    op->type = type;
    op->name = std::string(fb::EnumNameOpType(type)) + "_" + std::to_string(model.operators.size());
    op->inputs = std::move(inputs);
    op->outputs = std::move(outputs);
    model.operators.push_back(std::move(op));
    return *model.operators.back();
  }

  void set_multiplier(fb::OperatorT& op, const std::vector<float>& m) {
    op.multiplier = std::make_unique<fb::Buffer>(add_data(m.data(), m.size() * sizeof(float)));
  }
  void set_lut(fb::OperatorT& op, const void* bytes, size_t size) {
    op.lut = std::make_unique<fb::Buffer>(add_data(bytes, size));
  }
  void add_packed(fb::OperatorT& op, fb::PackFamily family, const void* bytes, size_t size) {
    auto p = std::make_unique<fb::PackedWeightsT>();
    p->family = family;
    p->data = std::make_unique<fb::Buffer>(add_data(bytes, size));
    op.packed.push_back(std::move(p));
  }

  static size_t dtype_bytes(fb::DType d) {
    return d == fb::DType::Float32 || d == fb::DType::Int32 ? 4 : 1;
  }
  size_t tensor_bytes(int index) const {
    size_t n = dtype_bytes(model.tensors[index]->dtype);
    for (int32_t d : model.tensors[index]->shape) n *= static_cast<size_t>(d);
    return n;
  }

  // Simple valid plan: every non-constant tensor and every op scratch (scratch_size set by the
  // test) gets its own 64-aligned bytes; no reuse.
  void plan() {
    uint64_t offset = 0;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
      auto& t = model.tensors[i];
      if (t->constant || t->arena_offset >= 0) continue;
      t->arena_offset = static_cast<int64_t>(offset);
      offset = (offset + tensor_bytes(static_cast<int>(i)) + kAlign - 1) / kAlign * kAlign;
    }
    for (auto& op : model.operators) {
      if (op->scratch_size == 0) continue;
      op->scratch_offset = offset;
      offset = (offset + op->scratch_size + kAlign - 1) / kAlign * kAlign;
    }
    uint64_t end = offset;
    for (size_t i = 0; i < model.tensors.size(); ++i) {
      const auto& t = model.tensors[i];
      if (t->constant) continue;
      const uint64_t e = static_cast<uint64_t>(t->arena_offset) + tensor_bytes(static_cast<int>(i));
      if (e > end) end = e;
    }
    model.arena_size = end;
  }

  // The file bytes. data_offset is computed unless keep_data_offset (tests corrupt it).
  std::vector<uint8_t> serialize(bool keep_data_offset = false) {
    // Pack twice: the flatbuffer size does not depend on data_offset's value (defaults forced).
    uint64_t data_offset = keep_data_offset ? model.data_offset : 0;
    std::vector<uint8_t> out;
    for (int pass = 0; pass < 3; ++pass) {
      flatbuffers::FlatBufferBuilder fbb;
      fbb.ForceDefaults(true);
      fb::ModelT& m = model;
      const uint64_t saved_offset = m.data_offset, saved_size = m.data_size;
      m.data_offset = data_offset;
      if (!keep_data_offset) m.data_size = data.size();
      fbb.FinishSizePrefixed(fb::Model::Pack(fbb, &m), fb::ModelIdentifier());
      m.data_offset = saved_offset;
      m.data_size = saved_size;
      const size_t fb_size = fbb.GetSize();
      const uint64_t wanted = (fb_size + kAlign - 1) / kAlign * kAlign;
      if (keep_data_offset || wanted == data_offset || pass == 2) {
        const uint64_t start = keep_data_offset ? wanted : data_offset;
        out.assign(start + data.size(), 0);
        memcpy(out.data(), fbb.GetBufferPointer(), fb_size);
        if (!data.empty()) memcpy(out.data() + start, data.data(), data.size());
        return out;
      }
      data_offset = wanted;
    }
    return out;
  }
};

}  // namespace octet::test
