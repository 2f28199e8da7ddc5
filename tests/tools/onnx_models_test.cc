// ONNX importer on real models from ../shared: the MNIST CNN (structure, agreement with ONNX
// Runtime on rendered sklearn digits, end-to-end through serialize + runtime when available),
// Silero VAD (reports exactly which op blocks it) and truncated real files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/tools/onnx_test_util.h"

#ifdef OCTET_ONNX_TEST_RUNTIME
#include "octet/octet.h"
#endif

namespace octet::onnx_test {
namespace {

std::string shared_path(const std::string& relative) {
  return std::string(OCTET_SHARED_DIR) + "/" + relative;
}
bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}
#define REQUIRE_SHARED(path)                                           \
  do {                                                                 \
    if (!exists(path))                                                 \
      GTEST_SKIP() << "shared data not found: " << (path)              \
                   << " (set OCTET_SHARED_DIR to the shared/ folder)"; \
  } while (0)

std::string mnist_path() { return shared_path("models/onnx/wonnx_opt-mnist.onnx"); }

// sklearn 8x8 digits (0..16) rendered MNIST-style: bilinear upscale to 20x20, centred in 28x28,
// scaled to 0..255 (white digit on black, the CNTK MNIST model's input convention).
bool load_digits(int count, std::vector<std::vector<float>>* images, std::vector<int>* labels) {
  const std::string path = shared_path("data/sklearn/digits.csv.gz");
  FILE* pipe = popen(("gzip -dc '" + path + "'").c_str(), "r");
  if (!pipe) return false;
  char line[1024];
  while (static_cast<int>(images->size()) < count && fgets(line, sizeof(line), pipe)) {
    std::vector<float> v;
    std::stringstream s(line);
    std::string field;
    while (std::getline(s, field, ',')) v.push_back(std::stof(field));
    if (v.size() != 65) continue;
    std::vector<float> image(28 * 28, 0.0f);
    for (int y = 0; y < 20; ++y)
      for (int x = 0; x < 20; ++x) {
        const float sy = std::min(std::max((y + 0.5f) * 8.0f / 20.0f - 0.5f, 0.0f), 7.0f);
        const float sx = std::min(std::max((x + 0.5f) * 8.0f / 20.0f - 0.5f, 0.0f), 7.0f);
        const int y0 = static_cast<int>(sy), x0 = static_cast<int>(sx);
        const int y1 = std::min(y0 + 1, 7), x1 = std::min(x0 + 1, 7);
        const float fy = sy - y0, fx = sx - x0;
        const float p = v[y0 * 8 + x0] * (1 - fy) * (1 - fx) + v[y0 * 8 + x1] * (1 - fy) * fx +
                        v[y1 * 8 + x0] * fy * (1 - fx) + v[y1 * 8 + x1] * fy * fx;
        image[(y + 4) * 28 + x + 4] = p * 255.0f / 16.0f;
      }
    images->push_back(image);
    labels->push_back(static_cast<int>(v[64]));
  }
  pclose(pipe);
  return static_cast<int>(images->size()) == count;
}

int argmax(const float* v, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

// A Python with onnxruntime + numpy in a venv under the build dir, created on first use.
// Returns "" (and why in *reason) when it cannot be made.
std::string onnxruntime_python(std::string* reason) {
  const std::string venv = OCTET_ONNX_TEST_VENV;
  const std::string python = venv + "/bin/python";
  const std::string probe = "'" + python + "' -c 'import onnxruntime, numpy' > /dev/null 2>&1";
  if (exists(python) && std::system(probe.c_str()) == 0) return python;
  const std::string create = "python3 -m venv '" + venv + "' > /dev/null 2>&1 && timeout 600 '" +
                             venv + "/bin/pip' install -q onnxruntime numpy > '" + venv +
                             ".log' 2>&1";
  if (std::system(create.c_str()) != 0 || std::system(probe.c_str()) != 0) {
    *reason =
        "could not create a venv with onnxruntime at " + venv + " (offline? see " + venv + ".log)";
    return "";
  }
  return python;
}

TEST(OnnxModels, MnistImportsToNhwcGraph) {
  REQUIRE_SHARED(mnist_path());
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(convert::import_onnx(mnist_path(), {}, &g, &error)) << error;
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.tensors[g.inputs[0]].shape, (std::vector<int32_t>{1, 28, 28, 1}));
  EXPECT_EQ(g.tensors[g.inputs[0]].name, "Input3");
  EXPECT_EQ(g.tensors[g.outputs[0]].shape, (std::vector<int32_t>{1, 10}));
  // Conv+Relu fused (bias Add folded), two max pools, NHWC -> NCHW transpose before the
  // flatten Reshape, one FullyConnected.
  EXPECT_EQ(count_ops(g, ir::OpType::Conv2D), 2);
  EXPECT_EQ(count_ops(g, ir::OpType::MaxPool2D), 2);
  EXPECT_EQ(count_ops(g, ir::OpType::FullyConnected), 1);
  EXPECT_EQ(count_ops(g, ir::OpType::Relu), 0);
  EXPECT_EQ(count_ops(g, ir::OpType::Add), 0);
  EXPECT_EQ(count_ops(g, ir::OpType::Transpose), 1);
  for (const ir::Op& op : g.ops) {
    if (op.type == ir::OpType::Conv2D) {
      EXPECT_EQ(op.activation, ir::Activation::Relu) << op.name;
    }
  }
  EXPECT_EQ(g.metadata["source_format"], "onnx");
  EXPECT_EQ(g.metadata["input_layout"], "NHWC");
  EXPECT_EQ(g.metadata["source_input_shapes"], "Input3:1x1x28x28");
  // The converter's clean-up passes accept the graph as it is (nothing left to fuse or drop).
  const size_t ops = g.ops.size();
  ASSERT_TRUE(convert::cleanup_graph(&g, &error)) << error;
  EXPECT_EQ(g.ops.size(), ops);
}

TEST(OnnxModels, MnistMatchesOnnxRuntimeOnDigits) {
  REQUIRE_SHARED(mnist_path());
  REQUIRE_SHARED(shared_path("data/sklearn/digits.csv.gz"));
  std::string reason;
  const std::string python = onnxruntime_python(&reason);
  if (python.empty()) GTEST_SKIP() << reason;
  constexpr int kImages = 100;
  std::vector<std::vector<float>> images;
  std::vector<int> labels;
  ASSERT_TRUE(load_digits(kImages, &images, &labels));

  const std::string dir = std::string(OCTET_ONNX_TEST_VENV) + "_io";
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
  {
    std::ofstream in(dir + "/mnist_in.bin", std::ios::binary);
    for (const auto& image : images)
      in.write(reinterpret_cast<const char*>(image.data()), image.size() * 4);
  }
  const std::string command = "'" + python + "' '" + OCTET_ONNX_TEST_ORT_SCRIPT + "' '" +
                              mnist_path() + "' '" + dir + "/mnist_in.bin' 1,1,28,28 '" + dir +
                              "/mnist_out.bin'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::vector<float> reference(kImages * 10);
  {
    std::ifstream out(dir + "/mnist_out.bin", std::ios::binary);
    out.read(reinterpret_cast<char*>(reference.data()), reference.size() * 4);
    ASSERT_EQ(out.gcount(), static_cast<std::streamsize>(reference.size() * 4));
  }

  ir::Graph g;
  std::string error;
  ASSERT_TRUE(convert::import_onnx(mnist_path(), {}, &g, &error)) << error;
  int correct = 0, agree = 0;
  float max_diff = 0.0f, max_magnitude = 0.0f;
  for (int i = 0; i < kImages; ++i) {
    GraphEvaluator eval(g);
    // C == 1: the NHWC input has the same bytes as the NCHW image.
    ASSERT_EQ(eval.run({images[i]}), "");
    const std::vector<float>& logits = eval.output(0);
    const float* ref = &reference[i * 10];
    for (int k = 0; k < 10; ++k) {
      max_diff = std::max(max_diff, std::fabs(logits[k] - ref[k]));
      max_magnitude = std::max(max_magnitude, std::fabs(ref[k]));
    }
    agree += argmax(logits.data(), 10) == argmax(ref, 10);
    correct += argmax(logits.data(), 10) == labels[i];
  }
  std::printf(
      "MNIST (sklearn digits rendered 28x28): %d/%d correct, top-1 agreement with ORT %d/%d, "
      "max |logit diff| %g (max |logit| %g)\n",
      correct, kImages, agree, kImages, max_diff, max_magnitude);
  EXPECT_LE(max_diff, 1e-4f * std::max(1.0f, max_magnitude));
  EXPECT_EQ(agree, kImages);
}

// Runs `model_path` in ONNX Runtime on one input of `shape`; returns its first output.
bool onnxruntime_reference(const std::string& python, const std::string& model_path,
                           const std::vector<float>& input, const std::string& shape,
                           size_t output_size, std::vector<float>* output) {
  const std::string dir = std::string(OCTET_ONNX_TEST_VENV) + "_io";
  if (std::system(("mkdir -p '" + dir + "'").c_str()) != 0) return false;
  {
    std::ofstream in(dir + "/composite_in.bin", std::ios::binary);
    in.write(reinterpret_cast<const char*>(input.data()), input.size() * 4);
  }
  const std::string command = "'" + python + "' '" + OCTET_ONNX_TEST_ORT_SCRIPT + "' '" +
                              model_path + "' '" + dir + "/composite_in.bin' " + shape + " '" +
                              dir + "/composite_out.bin'";
  if (std::system(command.c_str()) != 0) return false;
  output->assign(output_size, 0.0f);
  std::ifstream out(dir + "/composite_out.bin", std::ios::binary);
  out.read(reinterpret_cast<char*>(output->data()), output_size * 4);
  return out.gcount() == static_cast<std::streamsize>(output_size * 4);
}

// A MobileNet-style network built here (conv/BN/clip, depthwise, residual add, HardSwish as
// x*HardSigmoid, pooling, nearest resize, concat, GAP, flatten, Gemm, softmax) gives the same
// output through the importer as through ONNX Runtime (and, via run_model, through the runtime).
TEST(OnnxModels, CompositeNetworkMatchesOnnxRuntime) {
  std::string reason;
  const std::string python = onnxruntime_python(&reason);
  if (python.empty()) GTEST_SKIP() << reason;
  ModelBuilder m(13);
  uint32_t seed = 100;
  auto conv = [&](const std::string& in, const std::string& out, int64_t ic, int64_t oc, int64_t k,
                  int64_t stride, int64_t group) {
    m.init(out + "_w", {oc, ic / group, k, k},
           random_values(oc * (ic / group) * k * k, seed++, -0.5f, 0.5f));
    m.init(out + "_b", {oc}, random_values(oc, seed++, -0.1f, 0.1f));
    auto* n = m.node("Conv", {in, out + "_w", out + "_b"}, {out + "_conv"}, out + "/conv");
    ModelBuilder::attr_ints(n, "pads", {k / 2, k / 2, k / 2, k / 2});
    ModelBuilder::attr_ints(n, "strides", {stride, stride});
    ModelBuilder::attr_i(n, "group", group);
    m.init(out + "_scale", {oc}, random_values(oc, seed++, 0.5f, 1.5f));
    m.init(out + "_shift", {oc}, random_values(oc, seed++, -0.2f, 0.2f));
    m.init(out + "_mean", {oc}, random_values(oc, seed++, -0.2f, 0.2f));
    m.init(out + "_var", {oc}, random_values(oc, seed++, 0.5f, 2.0f));
    m.node("BatchNormalization",
           {out + "_conv", out + "_scale", out + "_shift", out + "_mean", out + "_var"}, {out},
           out + "/bn");
  };
  m.input("image", {1, 3, 16, 16});
  conv("image", "stem", 3, 8, 3, 2, 1);  // [1,8,8,8]
  m.init("zero", {}, {0.0f});
  m.init("six", {}, {6.0f});
  m.node("Clip", {"stem", "zero", "six"}, {"stem_act"});
  conv("stem_act", "dw", 8, 8, 3, 1, 8);
  m.node("Relu", {"dw"}, {"dw_act"});
  conv("dw_act", "pw", 8, 8, 1, 1, 1);
  m.node("Add", {"pw", "stem_act"}, {"residual"});
  auto* hs = m.node("HardSigmoid", {"residual"}, {"gate"});
  ModelBuilder::attr_f(hs, "alpha", 1.0f / 6.0f);
  m.node("Mul", {"residual", "gate"}, {"hswish"});
  auto* mp = m.node("MaxPool", {"hswish"}, {"pooled"});  // [1,8,4,4]
  ModelBuilder::attr_ints(mp, "kernel_shape", {2, 2});
  ModelBuilder::attr_ints(mp, "strides", {2, 2});
  m.init("scales", {4}, {1.0f, 1.0f, 2.0f, 2.0f});
  m.node("Resize", {"pooled", "", "scales"}, {"up"});  // [1,8,8,8]
  auto* ap = m.node("AveragePool", {"hswish"}, {"smooth"});
  ModelBuilder::attr_ints(ap, "kernel_shape", {3, 3});
  ModelBuilder::attr_ints(ap, "pads", {1, 1, 1, 1});
  auto* cat = m.node("Concat", {"up", "smooth"}, {"cat"});  // [1,16,8,8]
  ModelBuilder::attr_i(cat, "axis", 1);
  m.node("GlobalAveragePool", {"cat"}, {"gap"});
  m.node("Flatten", {"gap"}, {"flat"});
  m.init("fc_w", {10, 16}, random_values(160, seed++, -1.0f, 1.0f));
  m.init("fc_b", {10}, random_values(10, seed++, -0.1f, 0.1f));
  auto* gemm = m.node("Gemm", {"flat", "fc_w", "fc_b"}, {"logits"});
  ModelBuilder::attr_i(gemm, "transB", 1);
  m.node("Softmax", {"logits"}, {"probs"});
  m.output("probs");

  const std::string dir = std::string(OCTET_ONNX_TEST_VENV) + "_io";
  ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
  const std::string model_path = dir + "/composite.onnx";
  {
    std::ofstream f(model_path, std::ios::binary);
    f << m.bytes();
  }
  const std::vector<float> image = random_values(3 * 16 * 16, 7, -2.0f, 2.0f);
  std::vector<float> reference;
  ASSERT_TRUE(onnxruntime_reference(python, model_path, image, "1,3,16,16", 10, &reference));
  std::vector<std::vector<float>> out;
  ir::Graph g;
  ASSERT_TRUE(run_model(m, {image}, &out, &g));
  EXPECT_TRUE(all_near(out[0], reference, 1e-5f));
  // BN folded into the three convs, activations fused, HardSwish recognised.
  EXPECT_EQ(count_ops(g, ir::OpType::Conv2D), 2);
  EXPECT_EQ(count_ops(g, ir::OpType::DepthwiseConv2D), 1);
  EXPECT_EQ(count_ops(g, ir::OpType::HardSwish), 1);
  EXPECT_EQ(count_ops(g, ir::OpType::Relu) + count_ops(g, ir::OpType::Relu6), 0);
  EXPECT_EQ(count_ops(g, ir::OpType::Mul), 0);
}

#ifdef OCTET_ONNX_TEST_RUNTIME
// Imported graph -> serialize -> runtime: same logits as the direct evaluation of the graph.
TEST(OnnxModels, MnistRunsThroughSerializeAndRuntime) {
  REQUIRE_SHARED(mnist_path());
  REQUIRE_SHARED(shared_path("data/sklearn/digits.csv.gz"));
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(convert::import_onnx(mnist_path(), {}, &g, &error)) << error;
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ir::serialize(g, ir::SerializeOptions{}, &bytes, &error)) << error;
  // octet_model_open_buffer needs 64-byte aligned bytes.
  std::vector<uint8_t> storage(bytes.size() + 64);
  uint8_t* aligned = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  std::memcpy(aligned, bytes.data(), bytes.size());
  octet_model* model = nullptr;
  ASSERT_EQ(octet_model_open_buffer(aligned, bytes.size(), &model), OCTET_OK) << octet_last_error();
  EXPECT_STREQ(octet_model_metadata(model, "input_layout"), "NHWC");
  octet_session_options options;
  octet_session_options_init(&options);
  octet_session* session = nullptr;
  ASSERT_EQ(octet_session_create(model, &options, nullptr, 0, &session), OCTET_OK)
      << octet_last_error();
  std::vector<std::vector<float>> images;
  std::vector<int> labels;
  ASSERT_TRUE(load_digits(20, &images, &labels));
  for (size_t i = 0; i < images.size(); ++i) {
    std::memcpy(octet_session_input(session, 0), images[i].data(), images[i].size() * 4);
    ASSERT_EQ(octet_session_invoke(session), OCTET_OK) << octet_last_error();
    const float* logits = static_cast<const float*>(octet_session_output(session, 0));
    GraphEvaluator eval(g);
    ASSERT_EQ(eval.run({images[i]}), "");
    EXPECT_TRUE(all_near(std::vector<float>(logits, logits + 10), eval.output(0), 1e-4f))
        << "image " << i;
  }
  octet_session_destroy(session);
  octet_model_close(model);
}
#endif

TEST(OnnxModels, TruncatedMnistFailsCleanly) {
  REQUIRE_SHARED(mnist_path());
  std::ifstream file(mnist_path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t cut : {size_t{10}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 7}) {
    ir::Graph g;
    std::string error;
    EXPECT_FALSE(convert::import_onnx_buffer(bytes.data(), cut, {}, &g, &error))
        << "cut at " << cut;
    EXPECT_FALSE(error.empty());
  }
  // Flipped bytes inside the weights' raw data keep the file parseable; flipped bytes in the
  // structure must still give an error or a graph, never a crash.
  std::string corrupt = bytes;
  for (size_t i = 0; i < corrupt.size(); i += 97) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  ir::Graph g;
  std::string error;
  if (!convert::import_onnx_buffer(corrupt.data(), corrupt.size(), {}, &g, &error)) {
    EXPECT_FALSE(error.empty());
  }
}

// Silero VAD needs reflect padding (STFT), control flow (If on the sample rate) and LSTM (inside
// the If branches), none of which Octet has: the importer must stop at the first blocking node
// (the reflect Pad), name it, and list every other op of the model it cannot import. The int64
// "sr" input alone does not stop it (only ops reading it as data would).
TEST(OnnxModels, SileroVadReportsTheBlockingOps) {
  const std::string path = shared_path("models/onnx/silero_vad_16k_op15.onnx");
  REQUIRE_SHARED(path);
  ir::Graph g;
  std::string error;
  convert::ImportOptions options;
  options.input_shapes["input"] = {1, 512};
  options.input_shapes["state"] = {2, 1, 128};
  EXPECT_FALSE(convert::import_onnx(path, options, &g, &error));
  std::printf("Silero VAD: %s\n", error.c_str());
  EXPECT_NE(
      error.find(
          "'/model/stft/padding/Pad' (Pad): only mode 'constant' is supported, got 'reflect'"),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("does not support: If, LSTM]"), std::string::npos) << error;
}

}  // namespace
}  // namespace octet::onnx_test
