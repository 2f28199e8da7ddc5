// Loader/verifier tests: malformed files must yield an error code and a message, never a
// crash or an out-of-bounds read (run under ASan/UBSan by the sanitizer CI job).
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "octet/octet.h"
#include "tests/runtime/test_models.h"

namespace octet::test {
namespace {

void set_offset(fb::Buffer& b, uint64_t offset) { b = fb::Buffer(offset, b.size()); }
void set_size(fb::Buffer& b, uint64_t size) { b = fb::Buffer(b.offset(), size); }

struct OpenResult {
  octet_status status;
  std::string message;
};

OpenResult open_bytes(const std::vector<uint8_t>& bytes) {
  AlignedBytes aligned(bytes);
  octet_model* model = nullptr;
  const octet_status status = octet_model_open_buffer(aligned.data(), aligned.size(), &model);
  OpenResult r{status, octet_last_error()};
  if (status == OCTET_OK) {
    EXPECT_NE(model, nullptr);
  } else {
    EXPECT_EQ(model, nullptr);
  }
  octet_model_close(model);
  return r;
}

// Builds the valid conv model, applies `mutate` to it, and expects rejection mentioning `needle`.
void expect_rejected(const std::function<void(TestModel&)>& mutate, const std::string& needle,
                     octet_status expected = OCTET_ERROR_INVALID_MODEL) {
  TestModel tm = conv_model(ConvSpec());
  mutate(tm);
  const OpenResult r = open_bytes(tm.serialize());
  EXPECT_EQ(r.status, expected) << r.message;
  EXPECT_NE(r.message.find(needle), std::string::npos) << "message: " << r.message;
}

TEST(Loader, ValidModelsOpen) {
  TestModel conv = conv_model(ConvSpec());
  EXPECT_EQ(open_bytes(conv.serialize()).status, OCTET_OK);
  TestModel net = network_model(true);
  const OpenResult r = open_bytes(net.serialize());
  EXPECT_EQ(r.status, OCTET_OK) << r.message;
}

TEST(Loader, EveryTruncationIsRejected) {
  TestModel tm = network_model();
  const std::vector<uint8_t> bytes = tm.serialize();
  ASSERT_EQ(open_bytes(bytes).status, OCTET_OK);
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    const OpenResult r = open_bytes(cut);
    ASSERT_NE(r.status, OCTET_OK) << "truncated to " << len << " bytes was accepted";
    ASSERT_FALSE(r.message.empty());
  }
}

TEST(Loader, RandomBitFlipsNeverCrash) {
  TestModel tm = network_model(true);
  const std::vector<uint8_t> bytes = tm.serialize();
  std::mt19937 rng(1234);
  int rejected = 0, accepted = 0;
  for (int iteration = 0; iteration < 10000; ++iteration) {
    std::vector<uint8_t> flipped = bytes;
    const int flips = 1 + iteration % 4;
    for (int f = 0; f < flips; ++f) {
      // Mostly the flatbuffer (where structure lives), sometimes the data section.
      const size_t span = (iteration % 3) ? std::min<size_t>(flipped.size(), 2048) : flipped.size();
      flipped[rng() % span] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    AlignedBytes aligned(flipped);
    octet_model* model = nullptr;
    if (octet_model_open_buffer(aligned.data(), aligned.size(), &model) != OCTET_OK) {
      ++rejected;
      ASSERT_NE(octet_last_error()[0], '\0');
      continue;
    }
    ++accepted;
    // Whatever verified must also run safely.
    octet_session* session = nullptr;
    octet_session_options options;
    octet_session_options_init(&options);
    options.num_threads = iteration % 2 + 1;
    if (octet_session_create(model, &options, nullptr, 0, &session) == OCTET_OK) {
      EXPECT_EQ(octet_session_invoke(session), OCTET_OK);
      octet_session_destroy(session);
    }
    octet_model_close(model);
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(accepted, 0);  // flips in weights or names keep the file valid
}

TEST(Loader, WrongIdentifierAndVersion) {
  TestModel tm = conv_model(ConvSpec());
  std::vector<uint8_t> bytes = tm.serialize();
  bytes[8] = 'X';
  OpenResult r = open_bytes(bytes);
  EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
  EXPECT_NE(r.message.find("identifier"), std::string::npos) << r.message;
  expect_rejected([](TestModel& m) { m.model.version = 2; }, "version 2");
  expect_rejected([](TestModel& m) { m.model.version = 0; }, "version 0");
}

TEST(Loader, GarbageAndTinyInputs) {
  EXPECT_EQ(open_bytes({}).status, OCTET_ERROR_INVALID_MODEL);
  EXPECT_EQ(open_bytes(std::vector<uint8_t>(1000, 0xff)).status, OCTET_ERROR_INVALID_MODEL);
  EXPECT_EQ(open_bytes(std::vector<uint8_t>(1000, 0)).status, OCTET_ERROR_INVALID_MODEL);
  octet_model* model = nullptr;
  alignas(64) static uint8_t buffer[128] = {};
  EXPECT_EQ(octet_model_open_buffer(buffer + 1, 64, &model), OCTET_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(octet_model_open_buffer(nullptr, 64, &model), OCTET_ERROR_INVALID_ARGUMENT);
}

TEST(Loader, OutOfRangeIndices) {
  expect_rejected([](TestModel& m) { m.model.operators[0]->inputs[0] = 99; },
                  "input 0 is tensor 99");
  expect_rejected([](TestModel& m) { m.model.operators[0]->inputs[1] = -5; }, "tensor -5");
  expect_rejected([](TestModel& m) { m.model.operators[0]->outputs[0] = 4; },
                  "output 0 is tensor 4");
  expect_rejected([](TestModel& m) { m.model.outputs[0] = 7; }, "graph output 0");
  expect_rejected([](TestModel& m) { m.model.inputs[0] = 1; }, "graph input 0");  // a constant
  expect_rejected([](TestModel& m) { m.model.outputs.clear(); }, "no outputs");
}

TEST(Loader, BadBuffers) {
  expect_rejected([](TestModel& m) { set_offset(*m.model.tensors[1]->data, 1 << 20); },
                  "outside the data section");
  expect_rejected([](TestModel& m) { set_offset(*m.model.tensors[1]->data, 4); }, "aligned");
  expect_rejected([](TestModel& m) { set_size(*m.model.tensors[1]->data, 100); }, "expected 1152");
  expect_rejected(
      [](TestModel& m) { set_size(*m.model.operators[0]->multiplier, uint64_t{1} << 63); },
      "multiplier");
  expect_rejected([](TestModel& m) { set_size(*m.model.operators[0]->multiplier, 4 * 3); },
                  "multipliers");
}

TEST(Loader, BadDataSection) {
  for (uint64_t offset : {uint64_t{32}, uint64_t{64}, uint64_t{1} << 40, ~uint64_t{0} - 63}) {
    TestModel tm = conv_model(ConvSpec());
    tm.model.data_offset = offset;
    tm.model.data_size = tm.data.size();
    const OpenResult r = open_bytes(tm.serialize(/*keep_data_offset=*/true));
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL) << offset;
    EXPECT_NE(r.message.find("data section"), std::string::npos) << r.message;
  }
  TestModel tm = conv_model(ConvSpec());
  std::vector<uint8_t> bytes = tm.serialize();
  bytes.resize(bytes.size() - 1);  // data section runs past the end
  EXPECT_EQ(open_bytes(bytes).status, OCTET_ERROR_INVALID_MODEL);
}

TEST(Loader, BadShapesAndQuantization) {
  expect_rejected([](TestModel& m) { m.model.tensors[0]->shape = {1, 1, 1, 1, 1, 1, 9, 8}; },
                  "rank 8");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->shape[1] = 0; }, "must be > 0");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->shape[1] = -3; }, "must be > 0");
  expect_rejected(
      [](TestModel& m) {
        m.model.tensors[0]->shape = {1 << 30, 1 << 30, 1 << 30, 1 << 30};
      },
      "overflows");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->quant.reset(); }, "without quantization");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->quant->scale[0] = -1.0f; }, "scale");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->quant->scale[0] = NAN; }, "scale");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->quant->zero_point[0] = 300; },
                  "zero point");
  expect_rejected([](TestModel& m) { m.model.tensors[1]->quant->axis = 2; }, "axis");
  expect_rejected([](TestModel& m) { m.model.tensors[0]->dtype = static_cast<fb::DType>(9); },
                  "dtype");
}

TEST(Loader, OperatorSemantics) {
  // Conv output shape inconsistent with the geometry.
  expect_rejected([](TestModel& m) { m.model.tensors[3]->shape[1] = 4; }, "geometry");
  // Stride change breaks the geometry too.
  expect_rejected(
      [](TestModel& m) { m.model.operators[0]->options.AsConv2DOptions()->stride_h = 1; },
      "geometry");
  expect_rejected(
      [](TestModel& m) { m.model.operators[0]->options.AsConv2DOptions()->stride_w = 0; },
      "stride");
  expect_rejected([](TestModel& m) { m.model.operators[0]->options.AsConv2DOptions()->groups = 3; },
                  "groups");
  expect_rejected([](TestModel& m) { m.model.operators[0]->inputs.resize(1); }, "inputs");
  expect_rejected([](TestModel& m) { m.model.operators[0]->inputs.push_back(0); }, "inputs");
  expect_rejected([](TestModel& m) { m.model.operators[0]->q_min = -300; }, "clamp");
  expect_rejected([](TestModel& m) { m.model.operators[0]->multiplier.reset(); }, "multipliers");
  expect_rejected([](TestModel& m) { m.model.operators[0]->type = static_cast<fb::OpType>(500); },
                  "unknown op type", OCTET_ERROR_UNSUPPORTED);
  // Weights that are not constant.
  expect_rejected([](TestModel& m) { m.model.operators[0]->inputs[1] = 0; }, "weights");
  // Reading a tensor nobody writes: make the input a non-input.
  expect_rejected([](TestModel& m) { m.model.inputs.clear(); }, "before anything writes it");
}

TEST(Loader, FullyConnectedAndLutChecks) {
  // FC whose K does not divide the input.
  {
    TestModel tm;
    const int x = tm.add_tensor("x", DType::Int8, {2, 10}, {0.1f}, {0});
    QLayer l = make_qlayer(4, 12, 0.1f, 0, 0.1f, 1);
    const int w = tm.add_constant("w", DType::Int8, {4, 12}, l.w, l.w_scale, {}, 0);
    const int b = tm.add_constant("b", DType::Int32, {4}, l.bias);
    const int y = tm.add_tensor("y", DType::Int8, {2, 4}, {0.1f}, {0});
    auto& op = tm.add_op(OpType::FullyConnected, {x, w, b}, {y});
    tm.set_multiplier(op, l.multiplier);
    tm.model.inputs = {x};
    tm.model.outputs = {y};
    tm.plan();
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
    EXPECT_NE(r.message.find("K=12"), std::string::npos) << r.message;
  }
  // Lut with a short table, and int8 Logistic (must be a Lut).
  for (int variant = 0; variant < 2; ++variant) {
    TestModel tm;
    const int x = tm.add_tensor("x", DType::Int8, {16}, {0.1f}, {0});
    const int y = tm.add_tensor("y", DType::Int8, {16}, {0.1f}, {0});
    auto& op = tm.add_op(variant == 0 ? OpType::Lut : OpType::Logistic, {x}, {y});
    int8_t table[128] = {};
    tm.set_lut(op, table, sizeof(table));
    tm.model.inputs = {x};
    tm.model.outputs = {y};
    tm.plan();
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_NE(r.status, OCTET_OK);
    EXPECT_NE(r.message.find(variant == 0 ? "256" : "Lut"), std::string::npos) << r.message;
  }
}

// x -> Relu -> a -> Relu -> b -> Relu -> c (float), planned by hand.
TestModel chain_model(int64_t off_x, int64_t off_a, int64_t off_b, int64_t off_c) {
  TestModel tm;
  const int x = tm.add_tensor("x", DType::Float32, {16});
  const int a = tm.add_tensor("a", DType::Float32, {16});
  const int b = tm.add_tensor("b", DType::Float32, {16});
  const int c = tm.add_tensor("c", DType::Float32, {16});
  tm.add_op(OpType::Relu, {x}, {a});
  tm.add_op(OpType::Relu, {a}, {b});
  tm.add_op(OpType::Relu, {b}, {c});
  tm.model.tensors[x]->arena_offset = off_x;
  tm.model.tensors[a]->arena_offset = off_a;
  tm.model.tensors[b]->arena_offset = off_b;
  tm.model.tensors[c]->arena_offset = off_c;
  tm.model.inputs = {x};
  tm.model.outputs = {c};
  tm.plan();
  return tm;
}

TEST(Loader, MemoryPlanChecks) {
  // Reuse of dead bytes is fine: x dies after op 0, b is born at op 1.
  {
    TestModel tm = chain_model(0, 64, 0, 64 * 2);
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_OK) << r.message;
    // a (ops 0..1) and c (op 2) do not overlap in time either.
    TestModel tm2 = chain_model(0, 64, 0, 64);
    EXPECT_EQ(open_bytes(tm2.serialize()).status, OCTET_OK);
  }
  // Input and output of the same op may not share bytes.
  {
    TestModel tm = chain_model(0, 32, 128, 192);
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
    EXPECT_NE(r.message.find("share arena bytes"), std::string::npos) << r.message;
  }
  // A graph input is live from the start: c cannot reuse... x is dead after op 0, but the
  // graph output c lives to the end, so c over a (live ops 0..1) is fine, c over b is not.
  {
    TestModel tm = chain_model(0, 64, 128, 128 + 16);
    EXPECT_EQ(open_bytes(tm.serialize()).status, OCTET_ERROR_INVALID_MODEL);
  }
  // Past the arena end, and a misaligned float offset.
  {
    TestModel tm = chain_model(0, 64, 128, 192);
    tm.model.arena_size = 200;
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
    EXPECT_NE(r.message.find("exceeds the arena"), std::string::npos) << r.message;
    TestModel tm2 = chain_model(2, 64, 128, 192);
    EXPECT_EQ(open_bytes(tm2.serialize()).status, OCTET_ERROR_INVALID_MODEL);
    TestModel tm3 = chain_model(0, 64, 128, 192);
    tm3.model.tensors[2]->arena_offset = -1;
    const OpenResult r3 = open_bytes(tm3.serialize());
    EXPECT_EQ(r3.status, OCTET_ERROR_INVALID_MODEL);
    EXPECT_NE(r3.message.find("no arena offset"), std::string::npos) << r3.message;
    // A tensor nothing references needs no arena bytes (the serializer leaves it at -1).
    TestModel tm4 = chain_model(0, 64, 128, 192);
    tm4.add_tensor("unused", DType::Float32, {1000});
    EXPECT_EQ(open_bytes(tm4.serialize()).status, OCTET_OK);
    // ...and its placement is ignored even when it does not fit (it gets no address).
    TestModel tm5 = chain_model(0, 64, 128, 192);
    const int unused = tm5.add_tensor("unused", DType::Float32, {1000});
    tm5.model.tensors[unused]->arena_offset = 0;
    AlignedBytes bytes(tm5.serialize());
    octet_model* model = nullptr;
    ASSERT_EQ(octet_model_open_buffer(bytes.data(), bytes.size(), &model), OCTET_OK)
        << octet_last_error();
    octet_session* session = nullptr;
    ASSERT_EQ(octet_session_create(model, nullptr, nullptr, 0, &session), OCTET_OK);
    EXPECT_EQ(octet_session_tensor_data(session, unused), nullptr);
    EXPECT_NE(octet_session_tensor_data(session, 0), nullptr);
    EXPECT_EQ(octet_session_invoke(session), OCTET_OK);
    octet_session_destroy(session);
    octet_model_close(model);
  }
  // Scratch overlapping a live tensor, and scratch outside the arena.
  {
    TestModel tm = conv_model(ConvSpec());
    ASSERT_GT(tm.model.operators[0]->scratch_size, 0u);
    tm.model.operators[0]->scratch_offset = 0;  // the input's bytes
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
    EXPECT_NE(r.message.find("scratch of operator 0"), std::string::npos) << r.message;
    TestModel tm2 = conv_model(ConvSpec());
    tm2.model.operators[0]->scratch_offset = tm2.model.arena_size;
    EXPECT_EQ(open_bytes(tm2.serialize()).status, OCTET_ERROR_INVALID_MODEL);
  }
  // Two writers of one tensor.
  {
    TestModel tm = chain_model(0, 64, 128, 192);
    tm.model.operators[1]->outputs[0] = 1;
    const OpenResult r = open_bytes(tm.serialize());
    EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
  }
}

TEST(Loader, PackedWeightsSizeIsChecked) {
  ConvSpec spec;
  spec.pack = fb::PackFamily::X86Vnni;
  TestModel tm = conv_model(spec);
  EXPECT_EQ(open_bytes(tm.serialize()).status, OCTET_OK);
  set_size(*tm.model.operators[0]->packed[0]->data, 64);
  const OpenResult r = open_bytes(tm.serialize());
  EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
  EXPECT_NE(r.message.find("packed"), std::string::npos) << r.message;
  tm.model.operators[0]->packed[0]->family = static_cast<fb::PackFamily>(17);
  EXPECT_EQ(open_bytes(tm.serialize()).status, OCTET_ERROR_INVALID_MODEL);
}

TEST(Loader, WideChannelsAreChecked) {
  // conv_model: 16 output channels of 3 * 3 * 8 = 72 weights.
  auto set_wide = [](TestModel& m, std::vector<int32_t> channels, size_t weights) {
    auto wide = std::make_unique<fb::WideChannelsT>();
    wide->channels = std::move(channels);
    const std::vector<int16_t> w(weights, 200);
    wide->weights = std::make_unique<fb::Buffer>(m.add_data(w.data(), w.size() * 2));
    m.model.operators[0]->wide = std::move(wide);
  };
  {
    TestModel tm = conv_model(ConvSpec());
    set_wide(tm, {3, 9}, 2 * 72);
    EXPECT_EQ(open_bytes(tm.serialize()).status, OCTET_OK);
  }
  expect_rejected([&](TestModel& m) { set_wide(m, {3, 16}, 2 * 72); }, "wide channel");
  expect_rejected([&](TestModel& m) { set_wide(m, {9, 3}, 2 * 72); }, "ascending");
  expect_rejected([&](TestModel& m) { set_wide(m, {-1}, 72); }, "wide channel");
  expect_rejected([&](TestModel& m) { set_wide(m, {3, 9}, 72); }, "need 288 bytes");
  expect_rejected([&](TestModel& m) { set_wide(m, {}, 0); }, "without channels");
  expect_rejected(
      [&](TestModel& m) {
        set_wide(m, {3}, 72);
        std::vector<int16_t> w(72, 256);
        m.model.operators[0]->wide->weights =
            std::make_unique<fb::Buffer>(m.add_data(w.data(), w.size() * 2));
      },
      "outside [-255, 255]");
  expect_rejected(
      [&](TestModel& m) {
        set_wide(m, {3}, 72);
        set_size(*m.model.operators[0]->wide->weights, 1 << 30);
      },
      "outside the data section");
  // On an op that is not an int8 Conv2D / DepthwiseConv2D / FullyConnected (network_model's
  // first op is a Quantize).
  TestModel net = network_model();
  ASSERT_EQ(net.model.operators[0]->type, fb::OpType::Quantize);
  set_wide(net, {0}, 1);
  const OpenResult r = open_bytes(net.serialize());
  EXPECT_EQ(r.status, OCTET_ERROR_INVALID_MODEL);
  EXPECT_NE(r.message.find("wide channels are only for"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace octet::test
