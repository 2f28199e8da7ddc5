// C API: model introspection.
#include <cstring>

#include "runtime/src/internal.h"

using octet::rt::set_error;
using octet::rt::TensorDesc;

namespace {

octet_status fill_info(const octet_model* model, int tensor, octet_tensor_info* info) {
  if (!model || !info) return set_error(OCTET_ERROR_INVALID_ARGUMENT, "null argument");
  if (tensor < 0 || tensor >= model->num_tensors)
    return set_error(OCTET_ERROR_INVALID_ARGUMENT, "tensor index %d out of range (%d tensors)",
                     tensor, model->num_tensors);
  const TensorDesc& d = model->tensors[tensor];
  memset(info, 0, sizeof(*info));
  info->name = d.name;
  info->dtype = static_cast<octet_dtype>(d.dtype);
  info->rank = d.rank;
  for (int i = 0; i < d.rank; ++i) info->shape[i] = d.shape[i];
  info->size_bytes = static_cast<size_t>(d.size_bytes);
  info->quantized = d.quantized ? 1 : 0;
  info->scale = d.quantized ? d.scales[0] : 0.0f;
  info->zero_point = d.quantized ? d.zero_points[0] : 0;
  return OCTET_OK;
}

}  // namespace

extern "C" {

const char* octet_isa_name(octet_isa isa) {
  if (isa < OCTET_ISA_SCALAR || isa > OCTET_ISA_I8MM) return "auto";
  return octet::isa_name(static_cast<octet::Isa>(isa));
}

int octet_model_num_inputs(const octet_model* model) { return model ? model->num_inputs : 0; }
int octet_model_num_outputs(const octet_model* model) { return model ? model->num_outputs : 0; }

octet_status octet_model_input_info(const octet_model* model, int index, octet_tensor_info* info) {
  if (!model || index < 0 || index >= model->num_inputs)
    return set_error(OCTET_ERROR_INVALID_ARGUMENT, "input index %d out of range", index);
  return fill_info(model, model->inputs[index], info);
}

octet_status octet_model_output_info(const octet_model* model, int index, octet_tensor_info* info) {
  if (!model || index < 0 || index >= model->num_outputs)
    return set_error(OCTET_ERROR_INVALID_ARGUMENT, "output index %d out of range", index);
  return fill_info(model, model->outputs[index], info);
}

const char* octet_model_metadata(const octet_model* model, const char* key) {
  if (!model || !key || !model->fb->metadata()) return nullptr;
  const size_t key_size = strlen(key);
  for (const octet::fb::KeyValue* kv : *model->fb->metadata()) {
    if (kv && kv->key() && kv->value() && kv->key()->size() == key_size &&
        memcmp(kv->key()->data(), key, key_size) == 0)
      return kv->value()->c_str();
  }
  return nullptr;
}

int octet_model_num_tensors(const octet_model* model) { return model ? model->num_tensors : 0; }
int octet_model_num_operators(const octet_model* model) { return model ? model->num_ops : 0; }

octet_status octet_model_tensor_info(const octet_model* model, int tensor,
                                     octet_tensor_info* info) {
  return fill_info(model, tensor, info);
}

const char* octet_model_operator_type(const octet_model* model, int op_index) {
  if (!model || op_index < 0 || op_index >= model->num_ops) return nullptr;
  return octet::fb::EnumNameOpType(model->ops[op_index].type);
}

const char* octet_model_operator_name(const octet_model* model, int op_index) {
  if (!model || op_index < 0 || op_index >= model->num_ops) return nullptr;
  return model->ops[op_index].name;
}

int octet_model_operator_num_outputs(const octet_model* model, int op_index) {
  if (!model || op_index < 0 || op_index >= model->num_ops) return 0;
  return model->ops[op_index].num_outputs;
}

int octet_model_operator_output(const octet_model* model, int op_index, int i) {
  if (!model || op_index < 0 || op_index >= model->num_ops) return -1;
  const octet::rt::OpDesc& op = model->ops[op_index];
  if (i < 0 || i >= op.num_outputs) return -1;
  return op.outputs[i];
}

}  // extern "C"
