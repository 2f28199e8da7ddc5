// Runs the built octet-run and octet-inspect binaries: bad command lines, missing and malformed
// files and wrong inputs must end with a message and a non-zero exit (never a signal); models
// written by ir::serialize run and give the values the reference kernels compute.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/common/isa.h"
#include "tests/tools/ir_test_graphs.h"
#include "tools/common/inputs.h"
#include "tools/ir/graph.h"

namespace octet::cli {
namespace {

using ir::testing::float_fc;
using ir::testing::mixed_net;
using ir::testing::test_input;

struct Result {
  bool signaled = false;
  int exit_code = -1;
  std::string out, err;
};

// ctest runs test cases in parallel: every case writes into its own directory.
std::string work_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string dir = ::testing::TempDir() + "/octet-cli-" + info->test_suite_name() + "." +
                          info->name() + "-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Result run(const std::string& binary, const std::vector<std::string>& args) {
  const std::string out = work_dir() + "/cli_out.txt";
  const std::string err = work_dir() + "/cli_err.txt";
  // Cross builds run the tests under qemu-user without binfmt_misc: scripts/cross/test-arm.sh
  // exports the emulator command that a built program must be started with.
  const char* emulator = std::getenv("OCTET_TEST_EMULATOR");
  std::string command = emulator && *emulator ? std::string(emulator) + " " : std::string();
  command += quote(binary);
  for (const auto& a : args) command += " " + quote(a);
  command += " >" + quote(out) + " 2>" + quote(err);
  const int status = std::system(command.c_str());
  Result r;
  // system() runs sh -c; a child killed by a signal shows as 128+N from the shell.
  r.signaled = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 128);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

Result run_tool(const std::vector<std::string>& args) { return run(OCTET_RUN_PATH, args); }
Result inspect_tool(const std::vector<std::string>& args) { return run(OCTET_INSPECT_PATH, args); }

void expect_clean_failure(const Result& r, const std::string& message_part,
                          const std::string& what) {
  EXPECT_FALSE(r.signaled) << what << " crashed: " << r.err;
  EXPECT_NE(r.exit_code, 0) << what;
  EXPECT_FALSE(r.err.empty()) << what << ": no message on stderr";
  EXPECT_NE(r.err.find(message_part), std::string::npos) << what << ": stderr was: " << r.err;
}

std::string write_model(const ir::Graph& graph, const std::string& name,
                        const ir::SerializeOptions& options = {}) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(ir::serialize(graph, options, &bytes, &error)) << error;
  const std::string path = work_dir() + "/" + name;
  EXPECT_TRUE(ir::write_file(path, bytes, &error)) << error;
  return path;
}

std::string write_npy(const std::string& name, const std::vector<int64_t>& shape,
                      const std::vector<float>& values) {
  const std::string path = work_dir() + "/" + name;
  std::string error;
  EXPECT_TRUE(tools::save_npy(path, tools::ElementType::kFloat32, shape, values.data(),
                              values.size() * 4, &error))
      << error;
  return path;
}

std::vector<float> read_npy_floats(const std::string& path) {
  tools::NpyArray array;
  std::string error;
  EXPECT_TRUE(tools::load_npy(path, &array, &error)) << error;
  return tools::npy_to_float(array);
}

// x [1,4,4,3] → Reshape → y [1,48]: the output shows exactly what octet-run fed the input.
ir::Graph reshape_image_graph(ir::DType dtype, ir::Quant quant) {
  ir::Graph g;
  const int x = g.add_tensor(ir::testing::make_activation("image", dtype, {1, 4, 4, 3}, quant));
  const int y = g.add_tensor(ir::testing::make_activation("flat", dtype, {1, 48}, quant));
  ir::Op reshape;
  reshape.type = ir::OpType::Reshape;
  reshape.inputs = {x};
  reshape.outputs = {y};
  reshape.options.Set(octet::fb::ReshapeOptionsT());
  g.add_op(std::move(reshape));
  g.inputs = {x};
  g.outputs = {y};
  return g;
}

// ---------------------------------------------------------------- octet-run: bad input

TEST(OctetRun, BadCommandLines) {
  const std::string model = write_model(float_fc().graph, "fc.octet");
  expect_clean_failure(run_tool({}), "no model", "no arguments");
  expect_clean_failure(run_tool({model, "--repeat", "abc"}), "--repeat", "non-numeric repeat");
  expect_clean_failure(run_tool({model, "--repeat", "0"}), "--repeat", "zero repeat");
  expect_clean_failure(run_tool({model, "--threads", "-2"}), "--threads", "negative threads");
  expect_clean_failure(run_tool({model, "--isa", "sse9"}), "unknown ISA", "unknown ISA");
  expect_clean_failure(run_tool({model, "--frobnicate"}), "unknown option", "unknown flag");
  expect_clean_failure(run_tool({model, "--input"}), "needs a value", "missing value");
  expect_clean_failure(run_tool({model, "--mean", "1"}), "--std", "mean without std");
  expect_clean_failure(run_tool({model, model}), "unexpected argument", "two models");
  const Result help = run_tool({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage"), std::string::npos);
}

TEST(OctetRun, MissingAndMalformedModels) {
  expect_clean_failure(run_tool({work_dir() + "/no-such-model.octet"}), "cannot load",
                       "missing file");
  expect_clean_failure(run_tool({work_dir()}), "cannot load", "directory as model");

  std::vector<uint8_t> good;
  std::string error;
  ASSERT_TRUE(ir::serialize(mixed_net().graph, {}, &good, &error)) << error;
  struct Corruption {
    const char* name;
    std::vector<uint8_t> bytes;
  };
  std::vector<Corruption> corruptions;
  corruptions.push_back({"empty", {}});
  corruptions.push_back({"text", {'h', 'e', 'l', 'l', 'o', '\n'}});
  std::vector<uint8_t> truncated(good.begin(), good.begin() + good.size() / 2);
  corruptions.push_back({"truncated", truncated});
  std::vector<uint8_t> bad_id = good;
  bad_id[8] ^= 0xff;  // file identifier (after the size prefix and root offset)
  corruptions.push_back({"bad identifier", bad_id});
  std::vector<uint8_t> bad_prefix = good;
  bad_prefix[3] = 0x7f;  // size prefix far beyond the file
  corruptions.push_back({"bad size prefix", bad_prefix});
  std::mt19937 rng(3);
  for (int i = 0; i < 8; ++i) {  // random byte flips inside the flatbuffer
    std::vector<uint8_t> flipped = good;
    const size_t fb_size = 4 + flatbuffers::GetPrefixedSize(good.data());
    for (int k = 0; k < 4; ++k)
      flipped[std::uniform_int_distribution<size_t>(4, fb_size - 1)(rng)] ^= 0x5a;
    corruptions.push_back({"flipped bytes", flipped});
  }
  for (const auto& c : corruptions) {
    const std::string path = work_dir() + "/corrupt.octet";
    ASSERT_TRUE(ir::write_file(path, c.bytes, &error));
    const Result r = run_tool({path});
    EXPECT_FALSE(r.signaled) << c.name << " crashed octet-run: " << r.err;
    // Random flips may leave a valid model (e.g. a changed name); then it must simply run.
    if (std::string(c.name) != "flipped bytes") expect_clean_failure(r, "cannot load", c.name);
    const Result i = inspect_tool({path});
    EXPECT_FALSE(i.signaled) << c.name << " crashed octet-inspect: " << i.err;
    if (std::string(c.name) != "flipped bytes") expect_clean_failure(i, "cannot load", c.name);
  }
}

TEST(OctetRun, WrongInputs) {
  const std::string model = write_model(float_fc().graph, "fc.octet");
  const std::string raw = work_dir() + "/seven_bytes.bin";
  std::string error;
  ASSERT_TRUE(ir::write_file(raw, {1, 2, 3, 4, 5, 6, 7}, &error));
  expect_clean_failure(run_tool({model, "--input", raw}), "bytes", "raw input of wrong size");
  const std::string npy = write_npy("wrong_shape.npy", {2, 4}, std::vector<float>(8, 1.f));
  expect_clean_failure(run_tool({model, "--input", npy}), "shape", "npy of wrong shape");
  const std::string npy_ok = write_npy("ok.npy", {1, 8}, std::vector<float>(8, 1.f));
  expect_clean_failure(run_tool({model, "--input", npy_ok, "--input", npy_ok}), "input",
                       "too many inputs");
  expect_clean_failure(run_tool({model, "--input", work_dir() + "/missing.npy"}), "missing.npy",
                       "missing input file");
  const std::string image = work_dir() + "/x.ppm";
  ASSERT_TRUE(
      ir::write_file(image, {'P', '6', ' ', '4', ' ', '4', ' ', '2', '5', '5', '\n'}, &error));
  expect_clean_failure(run_tool({model, "--input", image}), "not image-shaped",
                       "image for a non-image input");
  expect_clean_failure(run_tool({model, "--labels", work_dir() + "/nolabels.txt"}), "labels",
                       "missing labels file");
  // An ISA this machine cannot run (e.g. neon on x86): the runtime refuses, octet-run says why.
  for (int isa = 0; isa < kIsaCount; ++isa) {
    if (isa_available(static_cast<Isa>(isa))) continue;
    const std::string name = isa_name(static_cast<Isa>(isa));
    expect_clean_failure(run_tool({model, "--isa", name}), "cannot", "unavailable ISA " + name);
  }
}

TEST(OctetRun, WrongInputDtype) {
  // uint8 data for an int8 input is refused rather than reinterpreted.
  const std::string model = write_model(
      reshape_image_graph(ir::DType::Int8, ir::Quant::per_tensor(0.5f, 3)), "int8_image.octet");
  const std::vector<uint8_t> bytes(48, 7);
  const std::string npy = work_dir() + "/u8.npy";
  std::string error;
  ASSERT_TRUE(tools::save_npy(npy, tools::ElementType::kUInt8, {1, 4, 4, 3}, bytes.data(),
                              bytes.size(), &error));
  expect_clean_failure(run_tool({model, "--input", npy}), "dtype", "uint8 npy for int8 input");
}

// ---------------------------------------------------------------- octet-run: good models

TEST(OctetRun, FloatModelGivesReferenceValues) {
  const auto net = float_fc();
  const std::string model = write_model(net.graph, "fc.octet");
  const std::vector<float> x = test_input(8, 11);
  const std::string input = write_npy("fc_in.npy", {1, 8}, x);
  const std::string output = work_dir() + "/fc_out.npy";
  const Result r = run_tool({model, "--input", input, "--output", output, "--repeat", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("isa "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("latency"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("over 3 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no repacking"), std::string::npos) << r.out;
  const std::vector<float> y = read_npy_floats(output);
  const std::vector<float> expected = net.expected(x);
  ASSERT_EQ(y.size(), expected.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-4f) << i;
}

TEST(OctetRun, RandomInputIsAnnounced) {
  const std::string model = write_model(float_fc().graph, "fc.octet");
  const Result r = run_tool({model, "--isa", "scalar"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("RANDOM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("isa      scalar"), std::string::npos) << r.out;
}

TEST(OctetRun, Int8ModelMatchesReferenceAndListsTopK) {
  const auto net = mixed_net();
  ir::SerializeOptions options;
  options.families = {ir::PackFamily::X86Vnni, ir::PackFamily::X86Avx2};
  const std::string model = write_model(net.graph, "mixed.octet", options);
  const std::vector<float> x = test_input(6 * 6 * 3, 12);
  const std::string input = write_npy("mixed_in.npy", {1, 6, 6, 3}, x);
  const std::string output = work_dir() + "/mixed_out.npy";
  const std::string labels = work_dir() + "/labels.txt";
  {
    std::ofstream f(labels);
    for (int i = 0; i < 10; ++i) f << "class_name_" << i << "\n";
  }
  const Result r =
      run_tool({model, "--input", input, "--output", output, "--labels", labels, "--top-k", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("top-3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("class_name_"), std::string::npos) << r.out;
  const std::vector<float> y = read_npy_floats(output);
  const std::vector<float> expected = net.expected(x);
  ASSERT_EQ(y.size(), expected.size());
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(y[i], expected[i]) << i;
  // Two threads, forced scalar path: the same bytes.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--threads", "2"}, std::vector<std::string>{"--isa", "scalar"}}) {
    std::vector<std::string> args = {model, "--input", input, "--output", output};
    args.insert(args.end(), extra.begin(), extra.end());
    const Result again = run_tool(args);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(read_npy_floats(output), y) << extra[0];
  }
}

// A 4x4 binary PPM whose pixel i, channel c is 16 * i + c.
std::string write_ppm(const std::string& name) {
  std::string text = "P6\n4 4\n255\n";
  std::vector<uint8_t> bytes(text.begin(), text.end());
  for (int i = 0; i < 16; ++i)
    for (int c = 0; c < 3; ++c) bytes.push_back(static_cast<uint8_t>(16 * i + c));
  const std::string path = work_dir() + "/" + name;
  std::string error;
  EXPECT_TRUE(ir::write_file(path, bytes, &error)) << error;
  return path;
}

TEST(OctetRun, ImageInputsRawPixelsOrNormalized) {
  const std::string image = write_ppm("grid.ppm");
  const std::string output = work_dir() + "/image_out.npy";
  // Quantized int8 input, no normalization: the pixel bytes minus 128.
  const std::string int8_model = write_model(
      reshape_image_graph(ir::DType::Int8, ir::Quant::per_tensor(0.5f, 3)), "int8_image.octet");
  Result r = run_tool({int8_model, "--input", image, "--output", output});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("raw pixel bytes - 128"), std::string::npos) << r.out;
  tools::NpyArray array;
  std::string error;
  ASSERT_TRUE(tools::load_npy(output, &array, &error)) << error;
  ASSERT_EQ(array.type, tools::ElementType::kInt8);
  for (int i = 0; i < 48; ++i)
    EXPECT_EQ(static_cast<int8_t>(array.data[i]), (16 * (i / 3) + i % 3) - 128) << i;
  // With a normalization the values are quantized with the input's scale and zero point:
  // q = clamp(round((pixel - 10) / 2 / 0.5) + 3).
  r = run_tool({int8_model, "--input", image, "--output", output, "--mean", "10", "--std", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  ASSERT_TRUE(tools::load_npy(output, &array, &error)) << error;
  for (int i = 0; i < 48; ++i) {
    const int pixel = 16 * (i / 3) + i % 3;
    const int expected =
        std::clamp(static_cast<int>(std::nearbyint((pixel - 10) / 2.0f / 0.5f)) + 3, -128, 127);
    EXPECT_EQ(static_cast<int8_t>(array.data[i]), expected) << i;
  }
  // Float input, per-channel mean/std.
  const std::string float_model =
      write_model(reshape_image_graph(ir::DType::Float32, {}), "float_image.octet");
  r = run_tool(
      {float_model, "--input", image, "--output", output, "--mean", "1,2,3", "--std", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const std::vector<float> values = read_npy_floats(output);
  ASSERT_EQ(values.size(), 48u);
  for (int i = 0; i < 48; ++i)
    EXPECT_FLOAT_EQ(values[i], (16 * (i / 3) + i % 3 - (i % 3 + 1)) / 4.0f) << i;
  expect_clean_failure(run_tool({float_model, "--input", image, "--mean", "1,2", "--std", "4"}),
                       "mean has 2 values", "mean with the wrong channel count");
}

// ---------------------------------------------------------------- real model

TEST(OctetRun, RealMobileNetV2ClassifiesTheCatOnEveryIsa) {
#ifndef OCTET_CONVERT_PATH
  GTEST_SKIP() << "octet-convert is not built in this configuration";
#else
  const std::string shared = OCTET_SHARED_DIR;
  const std::string tflite = shared + "/models/coral/coral_tf2_mobilenet_v2_1.0_224_ptq.tflite";
  const std::string image = shared + "/data/images/coral_cat.bmp";
  const std::string labels = shared + "/data/labels/coral_imagenet_labels_1001.txt";
  if (!std::filesystem::exists(tflite) || !std::filesystem::exists(image))
    GTEST_SKIP() << "shared models/data absent under " << shared;
  const std::string model = work_dir() + "/mobilenet_v2.octet";
  const Result convert = run(OCTET_CONVERT_PATH, {tflite, "-o", model, "--target", "all", "-q"});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  int isas_run = 0;
  for (int isa = 0; isa < kIsaCount; ++isa) {
    if (!isa_available(static_cast<Isa>(isa))) continue;
    const std::string name = isa_name(static_cast<Isa>(isa));
    // --repeat: later runs reuse the input filled once, so a plan that reused it would show.
    const Result r = run_tool({model, "--input", image, "--labels", labels, "--isa", name,
                               "--top-k", "1", "--repeat", "3"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("1. class 286"), std::string::npos) << name << ":\n" << r.out;
    EXPECT_NE(r.out.find("Egyptian cat"), std::string::npos) << name << ":\n" << r.out;
    EXPECT_NE(r.out.find("no repacking"), std::string::npos) << name << ": every family is stored";
    ++isas_run;
  }
  EXPECT_GE(isas_run, 1);
  // Stored without packed layouts: a SIMD path has to repack at load and says so.
  const Result bare = run(OCTET_CONVERT_PATH, {tflite, "-o", model, "--target", "none", "-q"});
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  const Isa best = best_isa();
  const Result r = run_tool({model, "--input", image, "--labels", labels, "--top-k", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Egyptian cat"), std::string::npos) << r.out;
  if (pack_family_for(best) != PackFamily::kRowMajor) {
    EXPECT_NE(r.out.find("repacked at load"), std::string::npos) << r.out;
  }
#endif
}

// ---------------------------------------------------------------- octet-inspect

TEST(OctetInspect, DescribesAModel) {
  const auto net = mixed_net();
  ir::SerializeOptions options;
  options.families = {ir::PackFamily::X86Vnni};
  const std::string model = write_model(net.graph, "mixed.octet", options);
  const Result r = inspect_tool({model});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part :
       {"Conv2D", "FullyConnected", "Quantize", "Dequantize", "conv_w", "per-axis 0: 8 scales",
        "scale 0.05 zp -10", "arena", "scratch", "X86Vnni", "mixed float/int8 test model",
        "data section", "peak live", "pad t1 l1 b1 r1", "fused Relu", "version 1"})
    EXPECT_NE(r.out.find(part), std::string::npos) << "missing '" << part << "' in:\n" << r.out;
}

TEST(OctetInspect, BadCommandLines) {
  expect_clean_failure(inspect_tool({}), "no model", "no arguments");
  expect_clean_failure(inspect_tool({"--bogus"}), "unknown option", "unknown flag");
  expect_clean_failure(inspect_tool({work_dir() + "/nothing.octet"}), "cannot load",
                       "missing file");
}

}  // namespace
}  // namespace octet::cli
