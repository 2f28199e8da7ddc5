// Graph clean-up passes run after every importer (see importer.h).
#include <algorithm>
#include <set>

#include "tools/convert/importer.h"
#include "tools/convert/quant_utils.h"

namespace octet::convert {
namespace {

std::vector<int> consumer_counts(const ir::Graph& g) {
  std::vector<int> count(g.tensors.size(), 0);
  for (const ir::Op& op : g.ops)
    for (int i : op.inputs)
      if (i >= 0) ++count[i];
  for (int o : g.outputs) ++count[o];
  return count;
}

bool fusable_producer(ir::OpType t) {
  return is_gemm_like(t) || t == ir::OpType::Add || t == ir::OpType::Sub || t == ir::OpType::Mul ||
         t == ir::OpType::AveragePool2D || t == ir::OpType::MaxPool2D;
}

}  // namespace

int fuse_activations(ir::Graph* graph) {
  std::vector<int> producer(graph->tensors.size(), -1);
  for (size_t i = 0; i < graph->ops.size(); ++i)
    for (int o : graph->ops[i].outputs) producer[o] = static_cast<int>(i);
  const std::vector<int> consumers = consumer_counts(*graph);
  std::vector<bool> remove(graph->ops.size(), false);
  int fused = 0;
  for (size_t i = 0; i < graph->ops.size(); ++i) {
    ir::Op& act = graph->ops[i];
    if (act.type != ir::OpType::Relu && act.type != ir::OpType::Relu6) continue;
    if (act.inputs.size() != 1 || act.outputs.size() != 1) continue;
    const int x = act.inputs[0];
    if (x < 0 || graph->tensors[x].dtype != ir::DType::Float32 || producer[x] < 0) continue;
    if (consumers[x] != 1) continue;
    ir::Op& prod = graph->ops[producer[x]];
    if (!fusable_producer(prod.type) || prod.activation != ir::Activation::None ||
        prod.outputs.size() != 1)
      continue;
    const bool graph_output =
        std::find(graph->outputs.begin(), graph->outputs.end(), x) != graph->outputs.end();
    if (graph_output) continue;
    prod.activation = act.type == ir::OpType::Relu ? ir::Activation::Relu : ir::Activation::Relu6;
    activation_range_float(prod.activation, &prod.act_min, &prod.act_max);
    prod.outputs[0] = act.outputs[0];
    producer[act.outputs[0]] = producer[x];
    remove[i] = true;
    ++fused;
  }
  std::vector<ir::Op> kept;
  for (size_t i = 0; i < graph->ops.size(); ++i)
    if (!remove[i]) kept.push_back(std::move(graph->ops[i]));
  graph->ops = std::move(kept);
  return fused;
}

int remove_dead_and_identity_ops(ir::Graph* graph) {
  int removed = 0;
  // Identity reshapes: rewire consumers to the reshape's input (unless it is a graph output or
  // the input is a graph input that is also an output).
  for (size_t i = 0; i < graph->ops.size(); ++i) {
    ir::Op& op = graph->ops[i];
    if (op.type != ir::OpType::Reshape || op.inputs.empty() || op.outputs.size() != 1) continue;
    const int x = op.inputs[0], y = op.outputs[0];
    if (graph->tensors[x].shape != graph->tensors[y].shape) continue;
    if (std::find(graph->outputs.begin(), graph->outputs.end(), y) != graph->outputs.end())
      continue;
    for (ir::Op& other : graph->ops)
      for (int& in : other.inputs)
        if (in == y) in = x;
    op.outputs.clear();  // now dead
  }
  bool changed = true;
  while (changed) {
    changed = false;
    const std::vector<int> consumers = consumer_counts(*graph);
    std::vector<ir::Op> kept;
    for (ir::Op& op : graph->ops) {
      bool live = false;
      for (int o : op.outputs) live = live || consumers[o] > 0;
      if (live) {
        kept.push_back(std::move(op));
      } else {
        ++removed;
        changed = true;
      }
    }
    graph->ops = std::move(kept);
  }
  return removed;
}

int remove_unused_tensors(ir::Graph* graph) {
  std::vector<bool> used(graph->tensors.size(), false);
  for (const ir::Op& op : graph->ops) {
    for (int i : op.inputs)
      if (i >= 0) used[i] = true;
    for (int o : op.outputs) used[o] = true;
  }
  for (int i : graph->inputs) used[i] = true;
  for (int o : graph->outputs) used[o] = true;
  std::vector<int> remap(graph->tensors.size(), -1);
  std::vector<ir::Tensor> kept;
  for (size_t i = 0; i < graph->tensors.size(); ++i) {
    if (!used[i]) continue;
    remap[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(graph->tensors[i]));
  }
  const int removed = static_cast<int>(graph->tensors.size() - kept.size());
  graph->tensors = std::move(kept);
  for (ir::Op& op : graph->ops) {
    for (int& i : op.inputs)
      if (i >= 0) i = remap[i];
    for (int& o : op.outputs) o = remap[o];
  }
  for (int& i : graph->inputs) i = remap[i];
  for (int& o : graph->outputs) o = remap[o];
  return removed;
}

bool validate_graph(const ir::Graph& graph, std::string* error) {
  const int n = static_cast<int>(graph.tensors.size());
  std::vector<bool> available(n, false);
  for (int i = 0; i < n; ++i) available[i] = graph.tensors[i].is_constant;
  for (int i : graph.inputs) {
    if (i < 0 || i >= n) return *error = "graph input index out of range", false;
    available[i] = true;
  }
  for (const ir::Op& op : graph.ops) {
    const std::string where = std::string(op_type_name(op.type)) + " '" + op.name + "'";
    for (int i : op.inputs) {
      if (i == -1) continue;
      if (i < 0 || i >= n) return *error = where + ": input index out of range", false;
      if (!available[i])
        return *error =
                   where + ": reads tensor '" + graph.tensors[i].name + "' before it is produced",
               false;
    }
    for (int o : op.outputs) {
      if (o < 0 || o >= n) return *error = where + ": output index out of range", false;
      if (graph.tensors[o].is_constant) return *error = where + ": writes a constant", false;
      available[o] = true;
    }
    if (is_gemm_like(op.type)) {
      if (op.inputs.size() < 2 || op.inputs[1] < 0 || !graph.tensors[op.inputs[1]].is_constant)
        return *error = where + ": weights must be a constant tensor", false;
      const ir::Tensor& w = graph.tensors[op.inputs[1]];
      const size_t rank = op.type == ir::OpType::Conv2D            ? 4
                          : op.type == ir::OpType::DepthwiseConv2D ? 3
                                                                   : 2;
      if (w.shape.size() != rank)
        return *error = where + ": weights '" + w.name + "' must have rank " + std::to_string(rank),
               false;
    }
  }
  for (int o : graph.outputs) {
    if (o < 0 || o >= n) return *error = "graph output index out of range", false;
    if (!available[o])
      return *error = "graph output '" + graph.tensors[o].name + "' is never produced", false;
  }
  return true;
}

bool cleanup_graph(ir::Graph* graph, std::string* error) {
  fuse_activations(graph);
  remove_dead_and_identity_ops(graph);
  remove_unused_tensors(graph);
  return validate_graph(*graph, error);
}

}  // namespace octet::convert
