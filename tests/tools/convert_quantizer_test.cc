// Calibration + quantizer tests: range selection, the int8 op contract on a small graph, and
// ResNet-8 float -> calibrated int8 on the real CIFAR-10 images.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "tools/convert/calibration.h"
#include "tools/convert/importer.h"
#include "tools/convert/quant_utils.h"
#include "tools/convert/quantizer.h"
#include "tools/convert/report.h"

namespace octet::convert {
namespace {

const std::string kShared = OCTET_SHARED_DIR;

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(Quantizer, GlobMatch) {
  EXPECT_TRUE(glob_match("*dense*", "model/dense_1/MatMul"));
  EXPECT_TRUE(glob_match("Softmax", "Softmax"));
  EXPECT_TRUE(glob_match("conv_2d_?", "conv_2d_7"));
  EXPECT_FALSE(glob_match("conv_2d_?", "conv_2d_17"));
  EXPECT_FALSE(glob_match("Softmax", "softmax_15"));
}

TEST(Quantizer, ActivationQuantKeepsZeroExact) {
  float scale;
  int32_t zp;
  choose_activation_quant(0.0f, 6.0f, &scale, &zp);
  EXPECT_EQ(zp, -128);
  EXPECT_NEAR(scale, 6.0f / 255.0f, 1e-7);
  choose_activation_quant(-1.0f, 3.0f, &scale, &zp);
  EXPECT_NEAR(scale * (-128 - zp), -1.0f, scale);  // lowest code reaches the minimum
  EXPECT_FLOAT_EQ(scale * static_cast<float>(zp - zp), 0.0f);
  choose_activation_quant(2.0f, 5.0f, &scale, &zp);  // widened to include 0
  EXPECT_EQ(zp, -128);
}

TensorStats make_stats(const std::vector<float>& values) {
  TensorStats s;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  s.seen = true;
  s.histogram.assign(kHistogramBins, 0);
  for (float v : values) {
    int b = static_cast<int>((v - s.min) / (s.max - s.min) * kHistogramBins);
    ++s.histogram[std::clamp(b, 0, kHistogramBins - 1)];
  }
  return s;
}

TEST(Calibration, MethodsClipOutliersButMinMaxDoesNot) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(100000);
  for (float& x : v) x = normal(rng);
  v[0] = 12.0f;  // one outlier
  const TensorStats s = make_stats(v);
  float lo, hi;
  choose_range(s, CalibrationMethod::kMinMax, 99.99f, &lo, &hi);
  EXPECT_FLOAT_EQ(hi, 12.0f);
  for (CalibrationMethod m : {CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    choose_range(s, m, 99.99f, &lo, &hi);
    // Percentile drops the single outlier outright; KL clips it less aggressively.
    EXPECT_LT(hi, m == CalibrationMethod::kPercentile ? 6.0f : 0.9f * s.max)
        << calibration_method_name(m);
    EXPECT_GT(hi, 3.0f) << calibration_method_name(m);
    EXPECT_LT(lo, -3.0f) << calibration_method_name(m);
  }
  // MSE clips a heavy tail (Laplace) where the rare large values cost less than coarse steps.
  std::exponential_distribution<float> expo(1.0f);
  for (float& x : v) x = (rng() & 1 ? 1.0f : -1.0f) * expo(rng);
  const TensorStats laplace = make_stats(v);
  choose_range(laplace, CalibrationMethod::kMse, 99.99f, &lo, &hi);
  EXPECT_LT(hi, 0.9f * laplace.max);
  EXPECT_GT(hi, 3.0f);
}

// x[1,8] -> FC(4) + Relu -> FC(3) -> Softmax, float.
ir::Graph small_float_graph() {
  ir::Graph g;
  ir::Tensor x;
  x.name = "x";
  x.shape = {1, 8};
  g.inputs = {g.add_tensor(x)};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto fc = [&](int in, int k, int n, ir::Activation act, const std::string& name) {
    std::vector<float> w(n * k), b(n);
    for (float& v : w) v = u(rng);
    for (float& v : b) v = 0.1f * u(rng);
    const int wi = g.add_tensor(make_const_tensor(name + "/w", ir::DType::Float32, {n, k}, w));
    const int bi = g.add_tensor(make_const_tensor(name + "/b", ir::DType::Float32, {n}, b));
    ir::Tensor y;
    y.name = name + "/out";
    y.shape = {1, n};
    const int yi = g.add_tensor(y);
    ir::Op op;
    op.type = ir::OpType::FullyConnected;
    op.name = name;
    op.inputs = {in, wi, bi};
    op.outputs = {yi};
    op.activation = act;
    activation_range_float(act, &op.act_min, &op.act_max);
    g.add_op(op);
    return yi;
  };
  const int h = fc(g.inputs[0], 8, 4, ir::Activation::Relu, "fc1");
  const int l = fc(h, 4, 3, ir::Activation::None, "fc2");
  ir::Tensor p;
  p.name = "probs";
  p.shape = {1, 3};
  const int pi = g.add_tensor(p);
  ir::Op sm;
  sm.type = ir::OpType::Softmax;
  sm.name = "softmax";
  sm.inputs = {l};
  sm.outputs = {pi};
  fb::SoftmaxOptionsT so;
  so.beta = 1.0f;
  sm.options.Set(so);
  g.add_op(sm);
  g.outputs = {pi};
  return g;
}

TEST(Quantizer, SmallGraphFollowsTheInt8ContractAndStaysClose) {
  const ir::Graph g = small_float_graph();
  const std::vector<Sample> samples = random_samples(g, 64, -1.0f, 1.0f, 9);
  CalibrationResult calib;
  CalibrationOptions co;
  co.method = CalibrationMethod::kMinMax;
  co.progress = false;
  std::string error;
  ASSERT_TRUE(calibrate(g, samples, co, &calib, &error)) << error;
  QuantizeOptions qo;
  qo.method = CalibrationMethod::kMinMax;
  ir::Graph q;
  QuantizeInfo info;
  ASSERT_TRUE(quantize_graph(g, calib, qo, &q, &info, &error)) << error;
  EXPECT_EQ(info.quantized_ops, 3);
  // Float I/O kept: Quantize first, Dequantize last.
  EXPECT_EQ(q.ops.front().type, ir::OpType::Quantize);
  EXPECT_EQ(q.ops.back().type, ir::OpType::Dequantize);
  EXPECT_EQ(q.tensors[q.outputs[0]].name, "probs");
  EXPECT_EQ(q.tensors[q.outputs[0]].dtype, ir::DType::Float32);
  for (const ir::Op& op : q.ops) {
    if (op.type != ir::OpType::FullyConnected) continue;
    const ir::Tensor& x = q.tensors[op.inputs[0]];
    const ir::Tensor& w = q.tensors[op.inputs[1]];
    const ir::Tensor& b = q.tensors[op.inputs[2]];
    const ir::Tensor& y = q.tensors[op.outputs[0]];
    ASSERT_EQ(w.dtype, ir::DType::Int8);
    ASSERT_EQ(b.dtype, ir::DType::Int32);
    ASSERT_EQ(op.multiplier.size(), static_cast<size_t>(w.shape[0]));
    const int k = w.shape[1];
    for (int c = 0; c < w.shape[0]; ++c) {
      int absmax = 0, sum = 0;
      for (int i = 0; i < k; ++i) {
        absmax = std::max(absmax, std::abs(static_cast<int>(w.as<int8_t>()[c * k + i])));
        sum += w.as<int8_t>()[c * k + i];
      }
      EXPECT_EQ(absmax, 127) << "per-channel absmax scaling";
      EXPECT_FLOAT_EQ(op.multiplier[c], static_cast<float>(static_cast<double>(x.quant.scale[0]) *
                                                           w.quant.scale[c] / y.quant.scale[0]));
      // Folded bias: b' = round(b / (sx sw)) - zx * sum(w).
      const ir::Tensor& fb = g.tensors[g.ops[op.name == "fc1" ? 0 : 1].inputs[2]];
      const int32_t b_q = static_cast<int32_t>(
          std::nearbyint(static_cast<double>(fb.as<float>()[c]) /
                         (static_cast<double>(x.quant.scale[0]) * w.quant.scale[c])));
      EXPECT_EQ(b.as<int32_t>()[c], b_q - x.quant.zero_point[0] * sum);
    }
    if (op.name == "fc1") {
      EXPECT_EQ(op.q_min, y.quant.zero_point[0]) << "Relu clamps at zero";
    }
  }
  Comparison cmp;
  ASSERT_TRUE(compare_graphs(g, q, info, samples, false, &cmp, &error)) << error;
  EXPECT_GT(cmp.output.sqnr_db(), 25.0);
  for (const LayerError& e : cmp.layers) EXPECT_GT(e.sqnr_db(), 20.0) << e.op;

  // Keep-float by pattern: fc2 stays float, with Dequantize/Quantize around it.
  qo.keep_float_patterns = {"fc2"};
  ASSERT_TRUE(quantize_graph(g, calib, qo, &q, &info, &error)) << error;
  ASSERT_EQ(info.kept_float.size(), 1u);
  EXPECT_EQ(info.kept_float[0].op, "fc2");
  bool saw_float_fc = false;
  for (const ir::Op& op : q.ops)
    if (op.name == "fc2") {
      saw_float_fc = true;
      EXPECT_EQ(q.tensors[op.inputs[0]].dtype, ir::DType::Float32);
      EXPECT_TRUE(op.keep_float);
    }
  EXPECT_TRUE(saw_float_fc);
  ASSERT_TRUE(compare_graphs(g, q, info, samples, false, &cmp, &error)) << error;
  EXPECT_GT(cmp.output.sqnr_db(), 25.0);

  // int8 I/O.
  qo.keep_float_patterns.clear();
  qo.int8_io = true;
  ASSERT_TRUE(quantize_graph(g, calib, qo, &q, &info, &error)) << error;
  EXPECT_EQ(q.tensors[q.inputs[0]].dtype, ir::DType::Int8);
  EXPECT_EQ(q.tensors[q.outputs[0]].dtype, ir::DType::Int8);
}

TEST(Quantizer, AutoKeepFloatReachesTarget) {
  const ir::Graph g = small_float_graph();
  const std::vector<Sample> samples = random_samples(g, 32, -1.0f, 1.0f, 4);
  CalibrationResult calib;
  CalibrationOptions co;
  co.progress = false;
  std::string error;
  ASSERT_TRUE(calibrate(g, samples, co, &calib, &error)) << error;
  ir::Graph q;
  QuantizeInfo info;
  // An unreachable target for int8 forces layers into float, one per round, until all are float.
  ASSERT_TRUE(auto_keep_float(g, calib, QuantizeOptions(), samples, 150.0, 3, &q, &info, &error))
      << error;
  EXPECT_EQ(info.kept_float.size(), 3u);
  for (const KeptFloat& k : info.kept_float) EXPECT_EQ(k.reason, "automatic: SQNR target");
}

// ResNet-8 float, calibrated on the 200 CIFAR-10 images with the defaults (MSE ranges, per-channel
// weights), against the float model and MLPerf's own int8 TFLite file run by Octet. One image is
// 0.5 points here, so "within 0.3 points of float" means no image lost. MLPerf's int8 file scores
// one image *above* the float model (72.5 vs 72.0 %) while agreeing with it less (96 %), so the
// test holds Octet's int8 to float's top-1 and to at least MLPerf's agreement with float.
// Sequential bias correction (opt-in) must then raise the output SQNR.
TEST(QuantizerReal, ResNet8CalibratedInt8MatchesFloatTop1) {
  const std::string f = kShared + "/models/mlperf-tiny/mlperftiny_ic_resnet8_cifar10_float.tflite";
  const std::string mq = kShared + "/models/mlperf-tiny/mlperftiny_ic_resnet8_cifar10_int8.tflite";
  const std::string data = kShared + "/data/cifar10";
  if (!exists(f) || !exists(data)) GTEST_SKIP() << "shared data absent: " << f;
  ir::Graph g, mlperf;
  std::string error;
  ASSERT_TRUE(import_tflite(f, ImportOptions(), &g, &error)) << error;
  ASSERT_TRUE(import_tflite(mq, ImportOptions(), &mlperf, &error)) << error;
  std::vector<Sample> samples;
  ASSERT_TRUE(load_samples(data, g, SampleOptions(), &samples, &error)) << error;
  ASSERT_EQ(samples.size(), 200u);
  CalibrationOptions co;
  co.progress = false;
  CalibrationResult calib;
  ASSERT_TRUE(calibrate(g, samples, co, &calib, &error)) << error;
  ir::Graph q;
  QuantizeInfo info;
  ASSERT_TRUE(quantize_graph(g, calib, QuantizeOptions(), &q, &info, &error)) << error;
  EXPECT_TRUE(info.kept_float.empty());

  std::vector<LabeledFile> files;
  ASSERT_TRUE(load_labels_csv(data, &files, &error)) << error;
  EvalResult ours, theirs;
  ASSERT_TRUE(evaluate(g, q, files, tools::Normalization(), &ours, &error)) << error;
  ASSERT_TRUE(evaluate(g, mlperf, files, tools::Normalization(), &theirs, &error)) << error;
  const double n = ours.count;
  printf(
      "ResNet-8, 200 CIFAR-10 images: float %.1f %%, Octet int8 %.1f %% (agreement %.1f %%), "
      "MLPerf int8 through Octet %.1f %% (agreement %.1f %%)\n",
      100 * ours.float_correct / n, 100 * ours.int8_correct / n, 100 * ours.agree / n,
      100 * theirs.int8_correct / n, 100 * theirs.agree / n);
  EXPECT_GE(100.0 * ours.int8_correct / n, 100.0 * ours.float_correct / n - 0.3);
  EXPECT_GE(ours.agree, theirs.agree);
  EXPECT_GE(ours.int8_correct, theirs.int8_correct - 1);

  const std::vector<Sample> subset(samples.begin(), samples.begin() + 64);
  Comparison before, after;
  ASSERT_TRUE(compare_graphs(g, q, info, subset, false, &before, &error)) << error;
  ASSERT_GT(correct_bias(g, &q, info, subset, &error), 0) << error;
  ASSERT_TRUE(compare_graphs(g, q, info, subset, false, &after, &error)) << error;
  printf("output SQNR %.2f -> %.2f dB with bias correction\n", before.output.sqnr_db(),
         after.output.sqnr_db());
  EXPECT_GT(after.output.sqnr_db(), before.output.sqnr_db()) << "bias correction must help";
  EXPECT_GT(after.output.sqnr_db(), 22.0);
}

}  // namespace
}  // namespace octet::convert
