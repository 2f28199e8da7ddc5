// serialize(): format header, validation, memory plan (checked by brute force against live
// ranges recomputed from the written file), alignment, determinism and packed weights.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "kernels/conv2d/conv2d.h"
#include "kernels/gemm/gemm.h"
#include "octet_generated.h"
#include "tools/ir/graph.h"
#include "tools/ir/memory_plan.h"

namespace octet::ir {
namespace {

// ---------------------------------------------------------------- helpers

Tensor activation(const std::string& name, DType dtype, std::vector<int32_t> shape) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  if (dtype == DType::Int8) t.quant = Quant::per_tensor(0.05f, 3);
  return t;
}

template <class T>
Tensor constant(const std::string& name, DType dtype, std::vector<int32_t> shape,
                const std::vector<T>& values) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.is_constant = true;
  t.data.resize(values.size() * sizeof(T));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

const fb::Model* parse(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 4) return nullptr;
  // The verifier wants exactly the size-prefixed flatbuffer, not the data section after it.
  const size_t flatbuffer_size = 4 + flatbuffers::GetPrefixedSize(bytes.data());
  if (flatbuffer_size > bytes.size()) return nullptr;
  flatbuffers::Verifier verifier(bytes.data(), flatbuffer_size);
  if (!fb::VerifySizePrefixedModelBuffer(verifier)) return nullptr;
  return fb::GetSizePrefixedModel(bytes.data());
}

size_t file_tensor_bytes(const fb::Tensor* t) {
  size_t n = 1;
  if (t->shape())
    for (int32_t d : *t->shape()) n *= static_cast<size_t>(d);
  const size_t elem = t->dtype() == fb::DType::Float32 || t->dtype() == fb::DType::Int32 ? 4 : 1;
  return n * elem;
}

// Recomputes every live range from the file alone (graph inputs and outputs for the whole
// graph, others from producer to last consumer, scratch during its op) and checks, pair by pair,
// that ranges live at the same time share no byte, and that everything is aligned and inside
// the arena.
void expect_plan_sound(const fb::Model* model) {
  struct Range {
    std::string what;
    size_t offset, size;
    int first, last;
  };
  const int num_ops = model->operators() ? static_cast<int>(model->operators()->size()) : 0;
  const int num_tensors = static_cast<int>(model->tensors()->size());
  std::vector<int> first(num_tensors, -1), last(num_tensors, -1);
  auto touch = [&](int t, int op) {
    if (t < 0) return;
    if (first[t] < 0 || op < first[t]) first[t] = op;
    if (op > last[t]) last[t] = op;
  };
  for (int t : *model->inputs()) {
    touch(t, 0);
    touch(t, std::max(num_ops - 1, 0));
  }
  for (int i = 0; i < num_ops; ++i) {
    const fb::Operator* op = model->operators()->Get(i);
    for (int t : *op->inputs()) touch(t, i);
    for (int t : *op->outputs()) touch(t, i);
  }
  for (int t : *model->outputs()) touch(t, std::max(num_ops - 1, 0));

  std::vector<Range> ranges;
  for (int t = 0; t < num_tensors; ++t) {
    const fb::Tensor* tensor = model->tensors()->Get(t);
    if (tensor->constant()) {
      EXPECT_EQ(tensor->arena_offset(), -1) << "constant tensor " << t << " has an arena offset";
      continue;
    }
    ASSERT_GE(tensor->arena_offset(), 0) << "tensor " << t << " has no arena offset";
    if (first[t] < 0) {  // never used: any address inside the arena will do
      EXPECT_LE(tensor->arena_offset() + file_tensor_bytes(tensor), model->arena_size());
      continue;
    }
    ranges.push_back({"tensor " + std::to_string(t), static_cast<size_t>(tensor->arena_offset()),
                      file_tensor_bytes(tensor), first[t], last[t]});
  }
  for (int i = 0; i < num_ops; ++i) {
    const fb::Operator* op = model->operators()->Get(i);
    if (op->scratch_size() > 0)
      ranges.push_back(
          {"scratch of op " + std::to_string(i), op->scratch_offset(), op->scratch_size(), i, i});
  }
  for (const Range& r : ranges) {
    EXPECT_EQ(r.offset % 64, 0u) << r.what;
    EXPECT_LE(r.offset + r.size, model->arena_size()) << r.what;
  }
  for (size_t a = 0; a < ranges.size(); ++a) {
    for (size_t b = a + 1; b < ranges.size(); ++b) {
      const Range& x = ranges[a];
      const Range& y = ranges[b];
      const bool same_time = x.first <= y.last && y.first <= x.last;
      const bool same_bytes =
          x.size > 0 && y.size > 0 && x.offset < y.offset + y.size && y.offset < x.offset + x.size;
      EXPECT_FALSE(same_time && same_bytes)
          << x.what << " [" << x.offset << "," << x.offset + x.size << ") ops " << x.first << "-"
          << x.last << " overlaps " << y.what << " [" << y.offset << "," << y.offset + y.size
          << ") ops " << y.first << "-" << y.last;
    }
  }
}

// A random DAG of float elementwise-like ops: every op reads 1-2 already available tensors
// (graph inputs, earlier outputs or constants) and writes 1-2 new tensors of random size.
Graph random_graph(std::mt19937* rng) {
  Graph g;
  auto dim = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(*rng); };
  std::vector<int> available;
  const int num_inputs = dim(1, 3);
  for (int i = 0; i < num_inputs; ++i) {
    const int t = g.add_tensor(
        activation("in" + std::to_string(i), DType::Float32, {1, dim(1, 9), dim(1, 40)}));
    g.inputs.push_back(t);
    available.push_back(t);
  }
  const int c = g.add_tensor(constant<float>("c", DType::Float32, {3}, {1.f, 2.f, 3.f}));
  const int num_ops = dim(1, 25);
  static const OpType kTypes[] = {OpType::Add, OpType::Mul, OpType::Relu, OpType::Concat};
  for (int i = 0; i < num_ops; ++i) {
    Op op;
    op.type = kTypes[dim(0, 3)];
    op.name = "op" + std::to_string(i);
    const int num_in = dim(1, 2);
    for (int k = 0; k < num_in; ++k)
      op.inputs.push_back(dim(0, 5) == 0 ? c : available[dim(0, available.size() - 1)]);
    const int num_out = dim(1, 2);
    for (int k = 0; k < num_out; ++k) {
      const DType dtype = dim(0, 2) == 0 ? DType::Int8 : DType::Float32;
      const int t = g.add_tensor(activation("t" + std::to_string(i) + "_" + std::to_string(k),
                                            dtype, {1, dim(0, 17), dim(1, 70)}));
      op.outputs.push_back(t);
      available.push_back(t);
    }
    g.add_op(std::move(op));
  }
  // Outputs: the last op's first output plus a few random others.
  g.outputs.push_back(g.ops.back().outputs[0]);
  for (int k = dim(0, 2); k > 0; --k) {
    const int t = available[dim(num_inputs, available.size() - 1)];
    if (std::find(g.outputs.begin(), g.outputs.end(), t) == g.outputs.end()) g.outputs.push_back(t);
  }
  // Sometimes an unused intermediate tensor, which must not get arena bytes.
  if (dim(0, 3) == 0) g.add_tensor(activation("unused", DType::Float32, {4, 4}));
  return g;
}

// x [1,h,w,ic] int8 → Conv2D (k x k, stride 1, pad k/2) → FullyConnected → y
struct Int8Net {
  Graph graph;
  int conv = -1, fc = -1;
};

Int8Net int8_net(int h, int w, int ic, int oc, int k, int fc_out) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> weight(-127, 127);
  Int8Net net;
  Graph& g = net.graph;
  const int x = g.add_tensor(activation("x", DType::Int8, {1, h, w, ic}));
  std::vector<int8_t> cw(static_cast<size_t>(oc) * k * k * ic);
  for (auto& v : cw) v = static_cast<int8_t>(weight(rng));
  Tensor conv_w = constant<int8_t>("conv_w", DType::Int8, {oc, k, k, ic}, cw);
  conv_w.quant = Quant{std::vector<float>(oc, 0.01f), std::vector<int32_t>(oc, 0), 0};
  const int cwt = g.add_tensor(conv_w);
  std::vector<int32_t> cb(oc);
  for (int i = 0; i < oc; ++i) cb[i] = 100 * i - 7;
  const int cbt = g.add_tensor(constant<int32_t>("conv_b", DType::Int32, {oc}, cb));
  const int y1 = g.add_tensor(activation("conv_out", DType::Int8, {1, h, w, oc}));
  Op conv;
  conv.type = OpType::Conv2D;
  conv.name = "conv";
  conv.inputs = {x, cwt, cbt};
  conv.outputs = {y1};
  fb::Conv2DOptionsT options;
  options.pad_top = options.pad_bottom = options.pad_left = options.pad_right = k / 2;
  conv.options.Set(options);
  conv.multiplier.assign(oc, 0.001f);
  net.conv = g.add_op(std::move(conv));

  const int flat = g.add_tensor(activation("flat", DType::Int8, {1, h * w * oc}));
  Op reshape;
  reshape.type = OpType::Reshape;
  reshape.inputs = {y1};
  reshape.outputs = {flat};
  reshape.options.Set(fb::ReshapeOptionsT());
  g.add_op(std::move(reshape));

  const int kdim = h * w * oc;
  std::vector<int8_t> fw(static_cast<size_t>(fc_out) * kdim);
  for (auto& v : fw) v = static_cast<int8_t>(weight(rng));
  const int fwt = g.add_tensor(constant<int8_t>("fc_w", DType::Int8, {fc_out, kdim}, fw));
  const int y = g.add_tensor(activation("y", DType::Int8, {1, fc_out}));
  Op fc;
  fc.type = OpType::FullyConnected;
  fc.name = "fc";
  fc.inputs = {flat, fwt, -1};  // no bias: packs with zeros
  fc.outputs = {y};
  fc.multiplier = {0.002f};
  net.fc = g.add_op(std::move(fc));
  g.inputs = {x};
  g.outputs = {y};
  g.metadata["task"] = "test";
  return net;
}

std::vector<uint8_t> serialize_or_die(const Graph& g, const SerializeOptions& options = {}) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(serialize(g, options, &bytes, &error)) << error;
  return bytes;
}

// ---------------------------------------------------------------- plan_buffers

TEST(PlanBuffers, RandomBuffersNeverOverlapWhileLive) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<PlanBuffer> buffers(std::uniform_int_distribution<int>(1, 40)(rng));
    for (auto& b : buffers) {
      b.size = std::uniform_int_distribution<size_t>(0, 5000)(rng);
      b.first_op = std::uniform_int_distribution<int>(0, 30)(rng);
      b.last_op = b.first_op + std::uniform_int_distribution<int>(0, 10)(rng);
    }
    size_t arena = 0;
    const std::vector<size_t> offsets = plan_buffers(buffers, &arena);
    ASSERT_EQ(offsets.size(), buffers.size());
    EXPECT_EQ(arena % kArenaAlignment, 0u);
    size_t peak_live = 0;  // a lower bound any valid plan must reach
    for (int op = 0; op <= 40; ++op) {
      size_t live = 0;
      for (const auto& b : buffers)
        if (b.first_op <= op && op <= b.last_op) live += b.size;
      peak_live = std::max(peak_live, live);
    }
    EXPECT_GE(arena, peak_live);
    for (size_t i = 0; i < buffers.size(); ++i) {
      EXPECT_EQ(offsets[i] % kArenaAlignment, 0u);
      EXPECT_LE(offsets[i] + buffers[i].size, arena);
      for (size_t j = i + 1; j < buffers.size(); ++j) {
        const bool same_time =
            buffers[i].first_op <= buffers[j].last_op && buffers[j].first_op <= buffers[i].last_op;
        const bool same_bytes = buffers[i].size && buffers[j].size &&
                                offsets[i] < offsets[j] + buffers[j].size &&
                                offsets[j] < offsets[i] + buffers[i].size;
        ASSERT_FALSE(same_time && same_bytes) << "trial " << trial << " buffers " << i << "," << j;
      }
    }
  }
}

TEST(PlanBuffers, ReusesMemoryOfDeadBuffers) {
  // A chain a -> b -> c: a and c never live together, so c reuses a's bytes.
  std::vector<PlanBuffer> buffers = {{1000, 0, 0}, {1000, 0, 1}, {1000, 1, 2}};
  size_t arena = 0;
  const auto offsets = plan_buffers(buffers, &arena);
  EXPECT_EQ(offsets[0], offsets[2]);
  EXPECT_EQ(arena, 2048u);  // two 1000-byte buffers, 64-aligned
}

TEST(PlanBuffers, BestFitPicksTheSmallestGap) {
  // Long-lived buffers with short-lived ones between them leave, from op 1 on, a 3008-byte hole
  // (where the 3000-byte buffer was) and a 1536-byte hole (where the 1500-byte one was). A
  // 100-byte buffer live from op 1 must take the smaller hole, not the first that fits.
  const std::vector<PlanBuffer> buffers = {
      {4096, 0, 9}, {3000, 0, 0}, {2000, 0, 9}, {1500, 0, 0}, {1000, 0, 9}, {100, 1, 9},
  };
  size_t arena = 0;
  const auto offsets = plan_buffers(buffers, &arena);
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(offsets[1], 4096u);
  EXPECT_EQ(offsets[5], offsets[3]) << "best fit should reuse the 1536-byte hole";
}

// ---------------------------------------------------------------- serialize

TEST(Serialize, HeaderIdentifierVersionAndSizePrefix) {
  const Int8Net net = int8_net(6, 5, 8, 16, 3, 10);
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph);
  ASSERT_GE(bytes.size(), 8u);
  uint32_t prefix;
  std::memcpy(&prefix, bytes.data(), 4);
  EXPECT_LE(prefix + 4u, bytes.size());
  EXPECT_TRUE(flatbuffers::BufferHasIdentifier(bytes.data(), "OCT1", /*size_prefixed=*/true));
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr) << "flatbuffers verifier rejected the file";
  EXPECT_EQ(model->version(), 1u);
  EXPECT_EQ(model->producer()->str(), "octet");
  ASSERT_EQ(model->metadata()->size(), 1u);
  EXPECT_EQ(model->metadata()->Get(0)->key()->str(), "task");
  EXPECT_EQ(model->metadata()->Get(0)->value()->str(), "test");
}

TEST(Serialize, DataSectionAlignedAndHoldsEveryConstant) {
  const Int8Net net = int8_net(7, 3, 5, 9, 3, 11);
  SerializeOptions options;
  options.families = {PackFamily::X86Vnni, PackFamily::ArmDotprod};
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph, options);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->data_offset() % 64, 0u);
  EXPECT_GE(model->data_offset(), 4u + flatbuffers::GetPrefixedSize(bytes.data()));
  EXPECT_EQ(model->data_offset() + model->data_size(), bytes.size());
  const uint8_t* data = bytes.data() + model->data_offset();
  auto check_buffer = [&](const fb::Buffer* b, const std::string& what) {
    ASSERT_NE(b, nullptr) << what;
    EXPECT_EQ(b->offset() % 64, 0u) << what;
    EXPECT_LE(b->offset() + b->size(), model->data_size()) << what;
  };
  for (size_t t = 0; t < net.graph.tensors.size(); ++t) {
    const Tensor& tensor = net.graph.tensors[t];
    const fb::Tensor* ft = model->tensors()->Get(t);
    EXPECT_EQ(ft->constant(), tensor.is_constant);
    if (!tensor.is_constant) continue;
    check_buffer(ft->data(), tensor.name);
    ASSERT_EQ(ft->data()->size(), tensor.data.size());
    EXPECT_EQ(0, std::memcmp(data + ft->data()->offset(), tensor.data.data(), tensor.data.size()))
        << tensor.name;
  }
  for (size_t i = 0; i < net.graph.ops.size(); ++i) {
    const Op& op = net.graph.ops[i];
    const fb::Operator* fop = model->operators()->Get(i);
    if (op.multiplier.empty()) {
      EXPECT_EQ(fop->multiplier(), nullptr);
      continue;
    }
    check_buffer(fop->multiplier(), op.name + " multiplier");
    ASSERT_EQ(fop->multiplier()->size(), op.multiplier.size() * 4);
    EXPECT_EQ(0, std::memcmp(data + fop->multiplier()->offset(), op.multiplier.data(),
                             op.multiplier.size() * 4));
    for (const fb::PackedWeights* p : *fop->packed())
      check_buffer(p->data(), op.name + " packed " + fb::EnumNamePackFamily(p->family()));
  }
}

TEST(Serialize, SameGraphGivesSameBytes) {
  const Int8Net net = int8_net(5, 5, 4, 8, 3, 6);
  SerializeOptions options;
  options.families = {PackFamily::X86Avx2, PackFamily::ArmNeon};
  const std::vector<uint8_t> a = serialize_or_die(net.graph, options);
  const Graph copy = net.graph;
  const std::vector<uint8_t> b = serialize_or_die(copy, options);
  EXPECT_EQ(a, b);
  std::mt19937 rng(99);
  const Graph random = random_graph(&rng);
  EXPECT_EQ(serialize_or_die(random), serialize_or_die(random));
}

TEST(Serialize, RandomGraphsPlanNeverOverlapsLiveTensors) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 200; ++trial) {
    const Graph g = random_graph(&rng);
    const std::vector<uint8_t> bytes = serialize_or_die(g);
    const fb::Model* model = parse(bytes);
    ASSERT_NE(model, nullptr) << "trial " << trial;
    SCOPED_TRACE("trial " + std::to_string(trial));
    expect_plan_sound(model);
    // Unused intermediates get no bytes of their own: they sit at offset 0.
    for (size_t t = 0; t < g.tensors.size(); ++t) {
      if (g.tensors[t].name == "unused") {
        EXPECT_EQ(model->tensors()->Get(t)->arena_offset(), 0);
      }
    }
    if (HasFatalFailure()) return;
  }
}

TEST(Serialize, GraphInputsAreNeverReused) {
  // x feeds only op 0 of a long chain; its bytes must still be intact after the last op, so
  // the caller can invoke again without refilling it.
  Graph g;
  int prev = g.add_tensor(activation("x", DType::Float32, {1, 256}));
  g.inputs = {prev};
  for (int i = 0; i < 6; ++i) {
    const int next = g.add_tensor(activation("t" + std::to_string(i), DType::Float32, {1, 256}));
    Op relu;
    relu.type = OpType::Relu;
    relu.inputs = {prev};
    relu.outputs = {next};
    g.add_op(std::move(relu));
    prev = next;
  }
  g.outputs = {prev};
  const std::vector<uint8_t> bytes = serialize_or_die(g);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  const int64_t input_offset = model->tensors()->Get(0)->arena_offset();
  for (int t = 1; t < 7; ++t) {
    const int64_t offset = model->tensors()->Get(t)->arena_offset();
    EXPECT_TRUE(offset + 1024 <= input_offset || input_offset + 1024 <= offset)
        << "tensor " << t << " reuses the graph input's bytes";
  }
  // The chain itself still shares: 1 input + 2 ping-pong buffers... plus the output.
  EXPECT_LE(model->arena_size(), 4u * 1024u);
}

TEST(Serialize, ConvScratchIsPlannedAndSized) {
  const Int8Net net = int8_net(9, 7, 6, 12, 3, 5);
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  ref::ConvGeometry g;
  g.in_h = g.out_h = 9;
  g.in_w = g.out_w = 7;
  g.in_c = 6;
  g.out_c = 12;
  g.kernel_h = g.kernel_w = 3;
  g.pad_top = g.pad_left = 1;
  const fb::Operator* conv = model->operators()->Get(net.conv);
  EXPECT_EQ(conv->scratch_size(), conv2d_qs8_scratch_size(g));
  EXPECT_GT(conv->scratch_size(), 0u) << "a padded 3x3 conv gathers im2col rows";
  expect_plan_sound(model);
}

TEST(Serialize, WideChannelsAreValidatedAndStored) {
  Int8Net net = int8_net(9, 7, 6, 12, 3, 5);  // conv: 12 channels of 3 * 3 * 6 = 54 weights
  Op& conv = net.graph.ops[net.conv];
  conv.wide_channels = {2, 11};
  conv.wide_weights.assign(2 * 54, -255);
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  const fb::WideChannels* wide = model->operators()->Get(net.conv)->wide();
  ASSERT_NE(wide, nullptr);
  EXPECT_EQ(wide->channels()->size(), 2u);
  EXPECT_EQ(wide->weights()->size(), 2u * 54 * sizeof(int16_t));
  EXPECT_EQ(wide->weights()->offset() % 64, 0u);
  auto rejected = [&](std::vector<int32_t> channels, size_t weights, const char* needle) {
    Graph g = net.graph;
    g.ops[net.conv].wide_channels = std::move(channels);
    g.ops[net.conv].wide_weights.assign(weights, 1);
    std::vector<uint8_t> out;
    std::string error;
    EXPECT_FALSE(serialize(g, {}, &out, &error));
    EXPECT_NE(error.find(needle), std::string::npos) << error;
  };
  rejected({11, 2}, 2 * 54, "ascending");
  rejected({12}, 54, "ascending output channels below 12");
  rejected({2}, 53, "need 54 int16 weights");
  Graph on_reshape = net.graph;  // an op that is not GEMM-like
  Op* reshape = nullptr;
  for (Op& op : on_reshape.ops)
    if (op.type == OpType::Reshape) reshape = &op;
  ASSERT_NE(reshape, nullptr);
  reshape->wide_channels = {0};
  reshape->wide_weights = {1};
  std::vector<uint8_t> out;
  std::string error;
  EXPECT_FALSE(serialize(on_reshape, {}, &out, &error));
  EXPECT_NE(error.find("wide channels are only for"), std::string::npos) << error;
}

TEST(Serialize, PackedBlobsMatchThePacker) {
  const Int8Net net = int8_net(4, 4, 8, 16, 1, 24);
  SerializeOptions options;
  options.families = {PackFamily::RowMajor, PackFamily::X86Vnni,    PackFamily::X86Avx2,
                      PackFamily::ArmNeon,  PackFamily::ArmDotprod, PackFamily::ArmI8mm,
                      PackFamily::X86Vnni};  // duplicate and RowMajor are ignored
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph, options);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  const uint8_t* data = bytes.data() + model->data_offset();
  int blobs_seen = 0;
  for (int op_index : {net.conv, net.fc}) {
    const Op& op = net.graph.ops[op_index];
    const Tensor& w = net.graph.tensors[op.inputs[1]];
    const size_t n = w.shape[0], k = w.num_elements() / w.shape[0];
    std::vector<int32_t> bias(n, 0);
    if (op.inputs[2] >= 0)
      std::memcpy(bias.data(), net.graph.tensors[op.inputs[2]].data.data(), n * 4);
    const fb::Operator* fop = model->operators()->Get(op_index);
    std::vector<fb::PackFamily> expected;
    for (fb::PackFamily f : {PackFamily::X86Vnni, PackFamily::X86Avx2, PackFamily::ArmNeon,
                             PackFamily::ArmDotprod, PackFamily::ArmI8mm})
      if (gemm_qs8_packed_size(static_cast<octet::PackFamily>(f), n, k) > 0) expected.push_back(f);
    const size_t count = fop->packed() ? fop->packed()->size() : 0;
    ASSERT_EQ(count, expected.size()) << op.name;
    for (size_t i = 0; i < count; ++i) {
      const fb::PackedWeights* p = fop->packed()->Get(i);
      EXPECT_EQ(p->family(), expected[i]);
      const auto family = static_cast<octet::PackFamily>(p->family());
      const size_t size = gemm_qs8_packed_size(family, n, k);
      ASSERT_EQ(p->data()->size(), size);
      EXPECT_EQ(p->data()->offset() % 64, 0u);
      alignas(64) static uint8_t reference[1 << 20];
      ASSERT_LE(size, sizeof(reference));
      gemm_qs8_pack(family, n, k, w.as<int8_t>(), bias.data(), reference);
      EXPECT_EQ(0, std::memcmp(reference, data + p->data()->offset(), size))
          << op.name << " " << fb::EnumNamePackFamily(p->family());
      ++blobs_seen;
    }
  }
  // Reshape and float ops never get packed blobs.
  EXPECT_EQ(model->operators()->Get(1)->packed(), nullptr);
  if (blobs_seen == 0) GTEST_SKIP() << "this kernels build packs no family but RowMajor";
}

TEST(Serialize, NoFamiliesRequestedMeansNoPackedBlobs) {
  const Int8Net net = int8_net(4, 4, 8, 16, 1, 24);
  const std::vector<uint8_t> bytes = serialize_or_die(net.graph);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  for (const fb::Operator* op : *model->operators()) EXPECT_EQ(op->packed(), nullptr);
}

// ---------------------------------------------------------------- validation

struct BadGraphCase {
  const char* name;
  void (*corrupt)(Graph* g);
  const char* message_part;
};

TEST(Serialize, RejectsInvalidGraphsWithAMessage) {
  const BadGraphCase cases[] = {
      {"input index", [](Graph* g) { g->ops[0].inputs[0] = 99; }, "missing tensor"},
      {"output index", [](Graph* g) { g->ops[1].outputs[0] = -1; }, "missing tensor"},
      {"graph input index", [](Graph* g) { g->inputs[0] = 1000; }, "missing tensor"},
      {"graph output index", [](Graph* g) { g->outputs[0] = -5; }, "missing tensor"},
      {"constant size", [](Graph* g) { g->tensors[1].data.pop_back(); }, "bytes"},
      {"negative dim", [](Graph* g) { g->tensors[0].shape[1] = -3; }, "negative dimension"},
      {"order", [](Graph* g) { std::swap(g->ops[0], g->ops[1]); }, "before any op produces"},
      {"written twice", [](Graph* g) { g->ops[1].outputs[0] = g->ops[0].outputs[0]; },
       "another op's output"},
      {"writes constant", [](Graph* g) { g->ops[0].outputs[0] = 1; }, "constant"},
      {"multiplier count", [](Graph* g) { g->ops[0].multiplier.resize(5); }, "multipliers"},
      {"bias size",
       [](Graph* g) {
         g->tensors[2].shape = {3};
         g->tensors[2].data.resize(12);
       },
       "bias"},
      {"float weights on int8 conv",
       [](Graph* g) {
         g->tensors[1].dtype = DType::Float32;
         g->tensors[1].data.resize(g->tensors[1].data.size() * 4);
       },
       "int8 weights"},
      {"quant count", [](Graph* g) { g->tensors[1].quant.scale.pop_back(); }, "scales"},
      {"missing conv options", [](Graph* g) { g->ops[0].options.Reset(); }, "Conv2DOptions"},
      {"conv output shape", [](Graph* g) { g->tensors[3].shape[1] = 3; }, "does not follow"},
      {"conv stride", [](Graph* g) { g->ops[0].options.AsConv2DOptions()->stride_h = 0; },
       "strides"},
      {"conv channels", [](Graph* g) { g->tensors[0].shape[3] = 5; }, "channels"},
      {"lut size",
       [](Graph* g) {
         g->ops[1].type = OpType::Lut;
         g->ops[1].lut.resize(10);
       },
       "256"},
      {"output never produced",
       [](Graph* g) { g->outputs.push_back(g->add_tensor(activation("z", DType::Int8, {1}))); },
       "never produced"},
  };
  for (const BadGraphCase& c : cases) {
    Int8Net net = int8_net(4, 4, 3, 4, 3, 5);
    c.corrupt(&net.graph);
    std::vector<uint8_t> bytes;
    std::string error;
    EXPECT_FALSE(serialize(net.graph, {}, &bytes, &error)) << c.name;
    EXPECT_NE(error.find(c.message_part), std::string::npos)
        << c.name << ": message was '" << error << "'";
  }
}

TEST(Serialize, CorruptedGraphsNeverCrash) {
  // Random damage to indices, shapes, constant sizes and options: serialize either accepts the
  // graph (and then writes a verifiable file with a sound plan) or rejects it with a message.
  std::mt19937 rng(31337);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int rejected = 0;
  for (int trial = 0; trial < 500; ++trial) {
    Int8Net net =
        int8_net(pick(1, 6), pick(1, 6), pick(1, 4), pick(1, 5), 1 + 2 * pick(0, 1), pick(1, 7));
    Graph& g = net.graph;
    for (int damage = pick(1, 3); damage > 0; --damage) {
      switch (pick(0, 7)) {
        case 0:
          g.ops[pick(0, 2)].inputs[0] = pick(-3, 12);
          break;
        case 1:
          g.ops[pick(0, 2)].outputs[0] = pick(-3, 12);
          break;
        case 2: {
          Tensor& t = g.tensors[pick(0, static_cast<int>(g.tensors.size()) - 1)];
          if (!t.shape.empty())
            t.shape[pick(0, static_cast<int>(t.shape.size()) - 1)] = pick(-2, 9);
          break;
        }
        case 3: {
          Tensor& t = g.tensors[pick(0, static_cast<int>(g.tensors.size()) - 1)];
          t.shape.resize(pick(0, 7), 2);
          break;
        }
        case 4:
          g.tensors[pick(0, static_cast<int>(g.tensors.size()) - 1)].data.resize(pick(0, 64));
          break;
        case 5:
          g.ops[0].options.Reset();
          break;
        case 6:
          g.ops[pick(0, 2)].inputs.resize(pick(0, 4), -1);
          break;
        case 7:
          g.tensors[pick(0, static_cast<int>(g.tensors.size()) - 1)].dtype =
              static_cast<DType>(pick(0, 5));
          break;
      }
    }
    std::vector<uint8_t> bytes;
    std::string error;
    if (!serialize(g, {{PackFamily::X86Vnni}}, &bytes, &error)) {
      EXPECT_FALSE(error.empty());
      ++rejected;
      continue;
    }
    const fb::Model* model = parse(bytes);
    ASSERT_NE(model, nullptr) << "trial " << trial;
    expect_plan_sound(model);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(rejected, 100);
}

TEST(Serialize, EmptyGraphWithPassThroughInput) {
  Graph g;
  const int x = g.add_tensor(activation("x", DType::Float32, {2, 3}));
  g.inputs = {x};
  g.outputs = {x};
  const std::vector<uint8_t> bytes = serialize_or_die(g);
  const fb::Model* model = parse(bytes);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->tensors()->Get(0)->arena_offset(), 0);
  EXPECT_EQ(model->arena_size(), 64u);
}

TEST(WriteFile, WritesBytesAndReportsBadPaths) {
  const std::string path = ::testing::TempDir() + "/ir_write_file_test.octet";
  std::string error;
  ASSERT_TRUE(write_file(path, {1, 2, 3}, &error)) << error;
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  uint8_t buffer[8];
  EXPECT_EQ(std::fread(buffer, 1, sizeof(buffer), f), 3u);
  std::fclose(f);
  EXPECT_EQ(buffer[2], 3);
  EXPECT_FALSE(write_file("/nonexistent-dir/x.octet", {1}, &error));
  EXPECT_FALSE(error.empty());
}

TEST(DTypeSize, MatchesSchema) {
  EXPECT_EQ(dtype_size(DType::Float32), 4u);
  EXPECT_EQ(dtype_size(DType::Int8), 1u);
  EXPECT_EQ(dtype_size(DType::UInt8), 1u);
  EXPECT_EQ(dtype_size(DType::Int32), 4u);
  Tensor t;
  t.shape = {2, 3, 4};
  t.dtype = DType::Int32;
  EXPECT_EQ(t.num_elements(), 24u);
  EXPECT_EQ(t.size_bytes(), 96u);
}

}  // namespace
}  // namespace octet::ir
