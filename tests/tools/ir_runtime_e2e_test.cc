// End to end: graphs serialized by ir::serialize load in the runtime (verifier + plan check)
// and give, on every ISA this machine runs, the bytes the scalar reference kernels compute.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/common/isa.h"
#include "octet/octet.h"
#include "tests/tools/ir_test_graphs.h"
#include "tools/ir/graph.h"

namespace octet::ir {
namespace {

using testing::float_fc;
using testing::mixed_net;
using testing::test_input;

struct AlignedBytes {
  void* data = nullptr;
  size_t size = 0;
  explicit AlignedBytes(const std::vector<uint8_t>& bytes) : size(bytes.size()) {
    data = std::aligned_alloc(64, (bytes.size() + 63) / 64 * 64);
    std::memcpy(data, bytes.data(), bytes.size());
  }
  ~AlignedBytes() { std::free(data); }
};

struct ModelCloser {
  void operator()(octet_model* m) const { octet_model_close(m); }
};
using ModelPtr = std::unique_ptr<octet_model, ModelCloser>;

// Runs the model on `isa` (nullptr result: the ISA is not available here).
bool run_model(const octet_model* model, octet_isa isa, const std::vector<float>& x,
               std::vector<float>* y, bool* repacked, std::string* error) {
  octet_session_options options;
  octet_session_options_init(&options);
  options.isa = isa;
  octet_session* session = nullptr;
  const octet_status status = octet_session_create(model, &options, nullptr, 0, &session);
  if (status != OCTET_OK) {
    *error = std::string(octet_status_string(status)) + ": " + octet_last_error();
    return false;
  }
  octet_tensor_info in, out;
  EXPECT_EQ(octet_model_input_info(model, 0, &in), OCTET_OK);
  EXPECT_EQ(octet_model_output_info(model, 0, &out), OCTET_OK);
  EXPECT_EQ(in.size_bytes, x.size() * sizeof(float));
  std::memcpy(octet_session_input(session, 0), x.data(), x.size() * sizeof(float));
  EXPECT_EQ(octet_session_invoke(session), OCTET_OK) << octet_last_error();
  y->resize(out.size_bytes / sizeof(float));
  std::memcpy(y->data(), octet_session_output(session, 0), out.size_bytes);
  // Invoking again without refilling the input gives the same result: inputs survive invoke.
  EXPECT_EQ(octet_session_invoke(session), OCTET_OK) << octet_last_error();
  EXPECT_EQ(0, std::memcmp(y->data(), octet_session_output(session, 0), out.size_bytes))
      << "second invoke differs: the input was overwritten";
  *repacked = octet_session_repacked(session) != 0;
  octet_session_destroy(session);
  return true;
}

ModelPtr open_model(const std::vector<uint8_t>& bytes, AlignedBytes* storage) {
  octet_model* model = nullptr;
  const octet_status status = octet_model_open_buffer(storage->data, storage->size, &model);
  EXPECT_EQ(status, OCTET_OK) << octet_last_error();
  return ModelPtr(model);
}

TEST(EndToEnd, FloatGraphRuns) {
  const auto net = float_fc();
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(serialize(net.graph, {}, &bytes, &error)) << error;
  AlignedBytes storage(bytes);
  ModelPtr model = open_model(bytes, &storage);
  ASSERT_NE(model, nullptr);
  EXPECT_STREQ(octet_model_metadata(model.get(), "description"), "float fc test model");
  const std::vector<float> x = test_input(8, 1);
  std::vector<float> y;
  bool repacked = false;
  ASSERT_TRUE(run_model(model.get(), OCTET_ISA_SCALAR, x, &y, &repacked, &error)) << error;
  const std::vector<float> expected = net.expected(x);
  ASSERT_EQ(y.size(), expected.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4f) << i;
}

TEST(EndToEnd, PlanEdgeCasesLoad) {
  // An unused intermediate (no arena offset), a graph output that a later op also reads, and a
  // second output: the runtime's plan check must accept what the planner wrote.
  auto net = float_fc();
  Graph& g = net.graph;
  g.add_tensor(testing::make_activation("unused", DType::Float32, {16}));
  const int y = g.outputs[0];
  const int z = g.add_tensor(testing::make_activation("z", DType::Float32, {1, 4}));
  Op relu;
  relu.type = OpType::Relu;
  relu.name = "relu_again";
  relu.inputs = {y};
  relu.outputs = {z};
  g.add_op(std::move(relu));
  g.outputs = {y, z};
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(serialize(g, {}, &bytes, &error)) << error;
  AlignedBytes storage(bytes);
  ModelPtr model = open_model(bytes, &storage);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(octet_model_num_outputs(model.get()), 2);
  const std::vector<float> x = test_input(8, 4);
  std::vector<float> out;
  bool repacked = false;
  ASSERT_TRUE(run_model(model.get(), OCTET_ISA_SCALAR, x, &out, &repacked, &error)) << error;
  const std::vector<float> expected = net.expected(x);
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-4f);
}

TEST(EndToEnd, Int8GraphIsBitExactOnEveryIsa) {
  const auto net = mixed_net();
  for (bool with_packing : {false, true}) {
    SerializeOptions options;
    if (with_packing)
      options.families = {PackFamily::X86Avx2, PackFamily::X86Vnni, PackFamily::ArmNeon,
                          PackFamily::ArmDotprod, PackFamily::ArmI8mm};
    std::vector<uint8_t> bytes;
    std::string error;
    ASSERT_TRUE(serialize(net.graph, options, &bytes, &error)) << error;
    AlignedBytes storage(bytes);
    ModelPtr model = open_model(bytes, &storage);
    ASSERT_NE(model, nullptr);
    int isas_run = 0;
    for (unsigned seed : {1u, 2u, 3u}) {
      const std::vector<float> x = test_input(6 * 6 * 3, seed);
      const std::vector<float> expected = net.expected(x);
      for (int isa = OCTET_ISA_SCALAR; isa <= OCTET_ISA_I8MM; ++isa) {
        if (!isa_available(static_cast<Isa>(isa))) continue;
        SCOPED_TRACE(std::string("isa ") + octet_isa_name(static_cast<octet_isa>(isa)) +
                     (with_packing ? ", packed" : ", row-major only"));
        std::vector<float> y;
        bool repacked = false;
        ASSERT_TRUE(run_model(model.get(), static_cast<octet_isa>(isa), x, &y, &repacked, &error))
            << error;
        ASSERT_EQ(y.size(), expected.size());
        for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], expected[i]) << "output " << i;
        // The file carries every family when packed: nothing to repack then. Without packing,
        // an ISA whose GEMM reads another layout than RowMajor must repack.
        const PackFamily family = static_cast<PackFamily>(pack_family_for(static_cast<Isa>(isa)));
        EXPECT_EQ(repacked, !with_packing && family != PackFamily::RowMajor);
        ++isas_run;
      }
    }
    EXPECT_GE(isas_run, 3) << "at least the scalar path runs";
  }
}

}  // namespace
}  // namespace octet::ir
