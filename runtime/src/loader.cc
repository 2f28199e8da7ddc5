// Loader: maps or borrows the file bytes, runs the FlatBuffers verifier, then checks
// everything the kernels will rely on (buffers, shapes, indices, quantization) so that a
// malformed file is rejected with a message instead of crashing later.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/src/internal.h"

namespace octet::rt {
namespace {

thread_local char g_last_error[512] = "";

constexpr uint64_t kMaxBytes = uint64_t{1} << 62;  // any size/offset above this is corrupt

// a * b with overflow check against kMaxBytes.
bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > kMaxBytes / a) return false;
  *out = a * b;
  return true;
}

const uint8_t* check_buffer(const octet_model& m, const fb::Buffer* buffer, uint64_t expected_size,
                            const char* what, int index, octet_status* status) {
  *status = OCTET_OK;
  if (!buffer) {
    *status = set_error(OCTET_ERROR_INVALID_MODEL, "%s %d: missing data buffer", what, index);
    return nullptr;
  }
  const uint64_t offset = buffer->offset(), size = buffer->size();
  if (offset % kAlign != 0) {
    *status =
        set_error(OCTET_ERROR_INVALID_MODEL, "%s %d: buffer offset %llu is not %zu-byte aligned",
                  what, index, static_cast<unsigned long long>(offset), kAlign);
    return nullptr;
  }
  if (offset > m.data_size || size > m.data_size - offset) {
    *status = set_error(OCTET_ERROR_INVALID_MODEL,
                        "%s %d: buffer [%llu, +%llu) lies outside the data section (%llu bytes)",
                        what, index, static_cast<unsigned long long>(offset),
                        static_cast<unsigned long long>(size),
                        static_cast<unsigned long long>(m.data_size));
    return nullptr;
  }
  if (expected_size != UINT64_MAX && size != expected_size) {
    *status = set_error(OCTET_ERROR_INVALID_MODEL, "%s %d: buffer holds %llu bytes, expected %llu",
                        what, index, static_cast<unsigned long long>(size),
                        static_cast<unsigned long long>(expected_size));
    return nullptr;
  }
  return m.data + offset;
}

bool valid_dtype(fb::DType d) {
  return d == fb::DType::Float32 || d == fb::DType::Int8 || d == fb::DType::UInt8 ||
         d == fb::DType::Int32;
}

octet_status load_tensor(octet_model* m, int index) {
  const fb::Tensor* t = m->fb->tensors()->Get(index);
  TensorDesc& d = m->tensors[index];
  if (!t) return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d: missing", index);
  d.name = t->name() ? t->name()->c_str() : "";
  d.dtype = t->dtype();
  if (!valid_dtype(d.dtype))
    return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': unknown dtype %d", index, d.name,
                     static_cast<int>(d.dtype));
  const auto* shape = t->shape();
  d.rank = shape ? static_cast<int>(shape->size()) : 0;
  if (d.rank > OCTET_MAX_RANK)
    return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': rank %d exceeds %d", index, d.name,
                     d.rank, OCTET_MAX_RANK);
  d.num_elements = 1;
  for (int i = 0; i < d.rank; ++i) {
    const int32_t dim = shape->Get(i);
    if (dim <= 0)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "tensor %d '%s': dimension %d is %d (must be > 0)", index, d.name, i, dim);
    d.shape[i] = dim;
    if (!checked_mul(d.num_elements, static_cast<uint64_t>(dim), &d.num_elements))
      return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': element count overflows", index,
                       d.name);
  }
  if (!checked_mul(d.num_elements, dtype_size(d.dtype), &d.size_bytes))
    return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': byte size overflows", index,
                     d.name);

  if (const fb::Quantization* q = t->quant()) {
    const auto* scale = q->scale();
    const auto* zp = q->zero_point();
    const int n = scale ? static_cast<int>(scale->size()) : 0;
    if (n == 0 || !zp || static_cast<int>(zp->size()) != n)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "tensor %d '%s': quantization needs as many zero points as scales (>= 1)",
                       index, d.name);
    const int axis = q->axis();
    if (axis == -1) {
      if (n != 1)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "tensor %d '%s': per-tensor quantization with %d scales", index, d.name,
                         n);
    } else {
      if (axis < 0 || axis >= d.rank || d.shape[axis] != n)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "tensor %d '%s': per-axis quantization axis %d does not match %d scales",
                         index, d.name, axis, n);
    }
    int32_t zmin = -128, zmax = 127;
    if (d.dtype == fb::DType::UInt8) zmin = 0, zmax = 255;
    if (d.dtype == fb::DType::Int32) zmin = INT32_MIN, zmax = INT32_MAX;
    for (int i = 0; i < n; ++i) {
      const float s = scale->Get(i);
      if (!(std::isfinite(s) && s > 0.0f))
        return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': scale %d is %g", index, d.name,
                         i, static_cast<double>(s));
      const int32_t z = zp->Get(i);
      if (z < zmin || z > zmax)
        return set_error(OCTET_ERROR_INVALID_MODEL,
                         "tensor %d '%s': zero point %d out of range for its dtype", index, d.name,
                         z);
    }
    d.quantized = true;
    d.quant_axis = axis;
    d.num_scales = n;
    d.scales = scale->data();
    d.zero_points = zp->data();
  }

  if ((d.dtype == fb::DType::Int8 || d.dtype == fb::DType::UInt8) && !d.quantized)
    return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': 8-bit tensor without quantization",
                     index, d.name);
  d.constant = t->constant();
  octet_status status = OCTET_OK;
  if (d.constant) {
    d.const_data = check_buffer(*m, t->data(), d.size_bytes, "tensor", index, &status);
    if (status != OCTET_OK) return status;
    d.arena_offset = -1;
  } else {
    // -1 is allowed for a tensor nothing references; the plan check rejects it otherwise.
    d.arena_offset = t->arena_offset();
    if (d.arena_offset < -1)
      return set_error(OCTET_ERROR_INVALID_MODEL, "tensor %d '%s': arena offset %lld", index,
                       d.name, static_cast<long long>(d.arena_offset));
  }
  return OCTET_OK;
}

octet_status load_operator(octet_model* m, int index) {
  const fb::Operator* o = m->fb->operators()->Get(index);
  OpDesc& d = m->ops[index];
  if (!o) return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d: missing", index);
  d.fb = o;
  d.type = o->type();
  d.name = o->name() ? o->name()->c_str() : "";
  if (static_cast<int>(d.type) > static_cast<int>(fb::OpType::MAX))
    return set_error(OCTET_ERROR_UNSUPPORTED, "operator %d '%s': unknown op type %d", index, d.name,
                     static_cast<int>(d.type));
  d.num_inputs = o->inputs() ? static_cast<int>(o->inputs()->size()) : 0;
  d.num_outputs = o->outputs() ? static_cast<int>(o->outputs()->size()) : 0;
  d.inputs = d.num_inputs ? o->inputs()->data() : nullptr;
  d.outputs = d.num_outputs ? o->outputs()->data() : nullptr;
  for (int i = 0; i < d.num_inputs; ++i) {
    const int32_t t = d.inputs[i];
    if (t < -1 || t >= m->num_tensors)
      return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d '%s': input %d is tensor %d (of %d)",
                       index, d.name, i, t, m->num_tensors);
  }
  for (int i = 0; i < d.num_outputs; ++i) {
    const int32_t t = d.outputs[i];
    if (t < 0 || t >= m->num_tensors)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "operator %d '%s': output %d is tensor %d (of %d)", index, d.name, i, t,
                       m->num_tensors);
    if (m->tensors[t].constant)
      return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d '%s': writes constant tensor %d",
                       index, d.name, t);
  }
  octet_status status = OCTET_OK;
  if (const fb::Buffer* b = o->multiplier(); b && b->size() != 0) {
    if (b->size() % sizeof(float) != 0)
      return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d '%s': multiplier size %llu", index,
                       d.name, static_cast<unsigned long long>(b->size()));
    d.multiplier = reinterpret_cast<const float*>(
        check_buffer(*m, b, UINT64_MAX, "operator multiplier", index, &status));
    if (status != OCTET_OK) return status;
    d.multiplier_count = static_cast<uint32_t>(
        b->size() / sizeof(float) > UINT32_MAX ? UINT32_MAX : b->size() / sizeof(float));
    for (uint32_t i = 0; i < d.multiplier_count; ++i) {
      if (!std::isfinite(d.multiplier[i]) || d.multiplier[i] < 0.0f)
        return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d '%s': multiplier %u is %g", index,
                         d.name, i, static_cast<double>(d.multiplier[i]));
    }
  }
  if (const fb::Buffer* b = o->lut(); b && b->size() != 0) {
    d.lut = check_buffer(*m, b, UINT64_MAX, "operator lut", index, &status);
    if (status != OCTET_OK) return status;
    d.lut_size = b->size();
  }
  if (const auto* packed = o->packed()) {
    for (unsigned i = 0; i < packed->size(); ++i) {
      const fb::PackedWeights* p = packed->Get(i);
      if (!p) continue;
      const int family = static_cast<int>(p->family());
      if (family < 0 || family >= kPackFamilyCount)
        return set_error(OCTET_ERROR_INVALID_MODEL, "operator %d '%s': unknown packing family %d",
                         index, d.name, family);
      const uint8_t* ptr =
          check_buffer(*m, p->data(), UINT64_MAX, "operator packed", index, &status);
      if (status != OCTET_OK) return status;
      if (!d.packed[family]) {
        d.packed[family] = ptr;
        d.packed_size[family] = p->data()->size();
      }
    }
  }
  if (const fb::WideChannels* wide = o->wide()) {
    if (!wide->channels() || wide->channels()->size() == 0 ||
        wide->channels()->size() > static_cast<unsigned>(INT32_MAX))
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "operator %d '%s': wide channels without channels", index, d.name);
    d.wide.weights = reinterpret_cast<const int16_t*>(
        check_buffer(*m, wide->weights(), UINT64_MAX, "operator wide weights", index, &status));
    if (status != OCTET_OK) return status;
    d.wide.count = static_cast<int>(wide->channels()->size());
    d.wide.channels = wide->channels()->data();
    d.wide_weights_size = wide->weights()->size();
  }
  d.scratch_offset = o->scratch_offset();
  d.scratch_size = o->scratch_size();
  return OCTET_OK;
}

}  // namespace

octet_status set_error(octet_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(g_last_error, sizeof(g_last_error), format, args);
  va_end(args);
  return status;
}

size_t dtype_size(fb::DType dtype) {
  switch (dtype) {
    case fb::DType::Float32:
    case fb::DType::Int32:
      return 4;
    case fb::DType::Int8:
    case fb::DType::UInt8:
      return 1;
  }
  return 1;
}

void free_model_arrays(octet_model* m) {
  free(m->tensors);
  free(m->ops);
  m->tensors = nullptr;
  m->ops = nullptr;
}

octet_status load_model(octet_model* m) {
  if (m->size < 8)
    return set_error(OCTET_ERROR_INVALID_MODEL, "file is %zu bytes: too small for an Octet model",
                     m->size);
  uint32_t prefix = 0;
  memcpy(&prefix, m->bytes, sizeof(prefix));
  if (prefix > m->size - 4)
    return set_error(OCTET_ERROR_INVALID_MODEL,
                     "size prefix says %u bytes of flatbuffer but the file holds %zu (truncated?)",
                     prefix, m->size - 4);
  if (prefix < 8 || !fb::SizePrefixedModelBufferHasIdentifier(m->bytes))
    return set_error(OCTET_ERROR_INVALID_MODEL,
                     "not an Octet model (file identifier is not \"%s\")", fb::ModelIdentifier());
  const size_t fb_end = 4 + static_cast<size_t>(prefix);
  flatbuffers::Verifier verifier(m->bytes, fb_end);
  if (!fb::VerifySizePrefixedModelBuffer(verifier))
    return set_error(OCTET_ERROR_INVALID_MODEL, "flatbuffer verification failed (corrupt file)");
  m->fb = fb::GetSizePrefixedModel(m->bytes);
  const fb::Model* model = m->fb;
  if (model->version() != OCTET_FORMAT_VERSION)
    return set_error(OCTET_ERROR_INVALID_MODEL,
                     "format version %u is not supported (this runtime reads version %u)",
                     model->version(), OCTET_FORMAT_VERSION);
  const uint64_t data_offset = model->data_offset(), data_size = model->data_size();
  if (data_offset % kAlign != 0)
    return set_error(OCTET_ERROR_INVALID_MODEL, "data section offset %llu is not %zu-byte aligned",
                     static_cast<unsigned long long>(data_offset), kAlign);
  if (data_offset < fb_end || data_offset > m->size || data_size > m->size - data_offset)
    return set_error(OCTET_ERROR_INVALID_MODEL,
                     "data section [%llu, +%llu) is not inside the file after the flatbuffer "
                     "(file %zu bytes, flatbuffer ends at %zu)",
                     static_cast<unsigned long long>(data_offset),
                     static_cast<unsigned long long>(data_size), m->size, fb_end);
  m->data = m->bytes + data_offset;
  m->data_size = data_size;
  m->arena_size = model->arena_size();
  if (m->arena_size > kMaxBytes)
    return set_error(OCTET_ERROR_INVALID_MODEL, "arena size %llu is absurd",
                     static_cast<unsigned long long>(m->arena_size));

  m->num_tensors = model->tensors() ? static_cast<int>(model->tensors()->size()) : 0;
  m->num_ops = model->operators() ? static_cast<int>(model->operators()->size()) : 0;
  m->num_inputs = model->inputs() ? static_cast<int>(model->inputs()->size()) : 0;
  m->num_outputs = model->outputs() ? static_cast<int>(model->outputs()->size()) : 0;
  if (m->num_outputs == 0) return set_error(OCTET_ERROR_INVALID_MODEL, "model has no outputs");
  m->inputs = m->num_inputs ? model->inputs()->data() : nullptr;
  m->outputs = model->outputs()->data();

  m->tensors = static_cast<TensorDesc*>(calloc(m->num_tensors + 1, sizeof(TensorDesc)));
  m->ops = static_cast<OpDesc*>(calloc(m->num_ops + 1, sizeof(OpDesc)));
  if (!m->tensors || !m->ops) return set_error(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  for (int i = 0; i < m->num_tensors; ++i) new (&m->tensors[i]) TensorDesc();
  for (int i = 0; i < m->num_ops; ++i) new (&m->ops[i]) OpDesc();

  for (int i = 0; i < m->num_tensors; ++i) {
    if (octet_status s = load_tensor(m, i); s != OCTET_OK) return s;
  }
  for (int i = 0; i < m->num_inputs; ++i) {
    const int32_t t = m->inputs[i];
    if (t < 0 || t >= m->num_tensors || m->tensors[t].constant)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "graph input %d is tensor %d: not a non-constant tensor", i, t);
    for (int j = 0; j < i; ++j)
      if (m->inputs[j] == t)
        return set_error(OCTET_ERROR_INVALID_MODEL, "graph input %d repeats tensor %d", i, t);
  }
  for (int i = 0; i < m->num_outputs; ++i) {
    const int32_t t = m->outputs[i];
    if (t < 0 || t >= m->num_tensors || m->tensors[t].constant)
      return set_error(OCTET_ERROR_INVALID_MODEL,
                       "graph output %d is tensor %d: not a non-constant tensor", i, t);
  }
  for (int i = 0; i < m->num_ops; ++i) {
    if (octet_status s = load_operator(m, i); s != OCTET_OK) return s;
  }
  for (int i = 0; i < m->num_ops; ++i) {
    if (octet_status s = verify_operator(*m, i); s != OCTET_OK) return s;
  }
  return verify_memory_plan(*m);
}

}  // namespace octet::rt

using octet::rt::set_error;

extern "C" {

const char* octet_last_error(void) { return octet::rt::g_last_error; }

const char* octet_status_string(octet_status status) {
  switch (status) {
    case OCTET_OK:
      return "ok";
    case OCTET_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case OCTET_ERROR_IO:
      return "I/O error";
    case OCTET_ERROR_INVALID_MODEL:
      return "invalid model";
    case OCTET_ERROR_UNSUPPORTED:
      return "unsupported";
    case OCTET_ERROR_ISA_UNAVAILABLE:
      return "ISA unavailable";
    case OCTET_ERROR_ARENA_TOO_SMALL:
      return "arena too small";
    case OCTET_ERROR_OUT_OF_MEMORY:
      return "out of memory";
    case OCTET_ERROR_RUNTIME:
      return "runtime error";
  }
  return "unknown status";
}

static octet_status finish_open(octet_model* m, octet_model** out_model) {
  const octet_status status = octet::rt::load_model(m);
  if (status != OCTET_OK) {
    octet_model_close(m);
    return status;
  }
  *out_model = m;
  return OCTET_OK;
}

octet_status octet_model_open(const char* path, octet_model** out_model) {
  if (!path || !out_model) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null argument");
  *out_model = nullptr;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return set_error(OCTET_ERROR_IO, "cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return set_error(OCTET_ERROR_IO, "'%s' is not a readable regular file", path);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    close(fd);
    return set_error(OCTET_ERROR_INVALID_MODEL, "'%s' is %zu bytes: too small for an Octet model",
                     path, size);
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return set_error(OCTET_ERROR_IO, "cannot map '%s': %s", path, strerror(errno));
  auto* m = static_cast<octet_model*>(calloc(1, sizeof(octet_model)));
  if (!m) {
    munmap(map, size);
    return set_error(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  new (m) octet_model();
  m->bytes = static_cast<const uint8_t*>(map);
  m->size = size;
  m->mapped = true;
  return finish_open(m, out_model);
}

octet_status octet_model_open_buffer(const void* data, size_t size, octet_model** out_model) {
  if (!data || !out_model) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null argument");
  *out_model = nullptr;
  if (reinterpret_cast<uintptr_t>(data) % OCTET_ARENA_ALIGNMENT != 0)
    return set_error(OCTET_ERROR_INVALID_ARGUMENT, "model buffer must be %d-byte aligned",
                     OCTET_ARENA_ALIGNMENT);
  auto* m = static_cast<octet_model*>(calloc(1, sizeof(octet_model)));
  if (!m) return set_error(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  new (m) octet_model();
  m->bytes = static_cast<const uint8_t*>(data);
  m->size = size;
  return finish_open(m, out_model);
}

void octet_model_close(octet_model* model) {
  if (!model) return;
  octet::rt::free_model_arrays(model);
  if (model->mapped) munmap(const_cast<uint8_t*>(model->bytes), model->size);
  free(model);
}

}  // extern "C"
