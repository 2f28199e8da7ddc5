// octet-convert: TFLite / ONNX model -> .octet (int8, calibrated; or an already-quantized TFLite
// model's own quantization).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "tools/convert/calibration.h"
#include "tools/convert/importer.h"
#include "tools/convert/quant_utils.h"
#include "tools/convert/quantizer.h"
#include "tools/convert/report.h"

namespace {

using namespace octet;
using namespace octet::convert;

const char kUsage[] =
    "usage: octet-convert MODEL.(tflite|onnx) -o OUT.octet [options]\n"
    "\n"
    "Float models are calibrated and quantized to int8; quantized TFLite models (int8/uint8) keep\n"
    "their own quantization.\n"
    "\n"
    "  -o, --output FILE          output .octet file (required)\n"
    "  --calib DIR|FILE           calibration data: a folder of images/.npy files, an image, or a\n"
    "                             .npy holding [N, ...input shape]\n"
    "  --calib-count N            use at most N calibration samples (default 200)\n"
    "  --random-calib N           calibrate on N uniform random samples in [0, 1] (explicit only)\n"
    "  --method M                 minmax | meanminmax | percentile | entropy | mse\n"
    "                             (default mse)\n"
    "  --percentile P             percentile for --method percentile (default 99.99)\n"
    "  --per-tensor               one weight scale per tensor (default: per output channel)\n"
    "  --no-bias-correction       keep the folded biases as rounded (default: subtract each GEMM\n"
    "                             op's measured mean int8-float output shift, layer by layer)\n"
    "  --weight-rounding R        gptq (default: round weights so the layer output error on the\n"
    "                             calibration inputs is smallest) | nearest\n"
    "  --keep-float PATTERN       keep matching ops in float (glob on op name, output tensor or\n"
    "                             op type, e.g. Softmax or '*dense*'); repeatable\n"
    "  --auto-keep-float DB       keep the worst layers in float until the output SQNR >= DB\n"
    "  --io float|int8            graph inputs/outputs of a quantized float model (default float)\n"
    "  --float                    do not quantize: write the float graph\n"
    "  --target FAMILIES          extra weight packings: comma list of rowmajor, x86avx2, "
    "x86vnni,\n"
    "                             armneon, armdotprod, armi8mm, all, or none (default: this "
    "host's)\n"
    "  --report FILE.md|FILE.html per-layer SQNR, ranges, kept-float layers, sizes\n"
    "  --eval DIR                 DIR/labels.csv (file,class_index,class_name): top-1 float vs "
    "int8\n"
    "  --input-shape NAME:D,D,... override an input's shape (model layout); repeatable\n"
    "  --mean V[,V,V] --std V[,V,V]  image normalization (pixel - mean) / std, pixels in [0, 255]\n"
    "  -q, --quiet                no progress output\n"
    "  -v, --verbose              importer details\n";

int fail(const std::string& message) {
  fprintf(stderr, "octet-convert: error: %s\n", message.c_str());
  return 1;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}

bool parse_int(const std::string& s, long lo, long hi, long* v) {
  char* end = nullptr;
  *v = std::strtol(s.c_str(), &end, 10);
  return !s.empty() && *end == '\0' && *v >= lo && *v <= hi;
}

bool parse_float(const std::string& s, double* v) {
  char* end = nullptr;
  *v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}

bool parse_families(const std::string& text, std::vector<ir::PackFamily>* out, std::string* error) {
  out->clear();
  if (text == "none") return true;
  std::string item;
  std::vector<std::string> items;
  for (size_t start = 0;;) {
    const size_t comma = text.find(',', start);
    items.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const std::string& name : items) {
    if (name == "all") {
      for (int f = 1; f < kPackFamilyCount; ++f) out->push_back(static_cast<ir::PackFamily>(f));
      continue;
    }
    PackFamily family;
    if (!pack_family_from_name(name.c_str(), &family)) {
      *error = "unknown packing family '" + name +
               "' (rowmajor, x86avx2, x86vnni, armneon, armdotprod, armi8mm, all, none)";
      return false;
    }
    if (family != PackFamily::kRowMajor) out->push_back(static_cast<ir::PackFamily>(family));
  }
  return true;
}

bool graph_is_float(const ir::Graph& g) {
  for (const ir::Op& op : g.ops)
    for (int o : op.outputs)
      if (g.tensors[o].dtype == ir::DType::Int8) return false;
  return true;
}

size_t serialized_size(const ir::Graph& g) {
  std::vector<uint8_t> bytes;
  std::string error;
  ir::SerializeOptions so;
  return ir::serialize(g, so, &bytes, &error) ? bytes.size() : 0;
}

// At most `count` samples spread evenly over `samples` (a folder lists its files sorted, often
// class by class: the first N would cover only the first classes).
std::vector<Sample> spread_subset(const std::vector<Sample>& samples, size_t count) {
  if (samples.size() <= count) return samples;
  std::vector<Sample> out;
  for (size_t i = 0; i < count; ++i) out.push_back(samples[i * samples.size() / count]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, output_path, calib_source, report_path, eval_dir, io = "float";
  std::string method_name = "mse", target_text;
  long calib_count = 200, random_calib = 0;
  double percentile = 99.99, auto_db = 0.0;
  bool bias_correction = true;
  std::string weight_rounding = "gptq";
  bool per_tensor = false, keep_all_float = false, quiet = false, verbose = false,
       have_auto = false;
  std::vector<std::string> keep_float;
  ImportOptions import_options;
  tools::Normalization normalization;
  std::string mean_text, std_text;

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    fputs(kUsage, stderr);
    return 1;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "-o" || a == "--output") {
      if (!value(&output_path)) return fail(a + " needs a file name");
    } else if (a == "--calib") {
      if (!value(&calib_source)) return fail("--calib needs a folder or file");
    } else if (a == "--calib-count") {
      if (!value(&v) || !parse_int(v, 1, 1000000, &calib_count))
        return fail("--calib-count needs a positive integer");
    } else if (a == "--random-calib") {
      if (!value(&v) || !parse_int(v, 1, 100000, &random_calib))
        return fail("--random-calib needs a positive integer");
    } else if (a == "--method") {
      if (!value(&method_name))
        return fail("--method needs minmax|meanminmax|percentile|entropy|mse");
    } else if (a == "--percentile") {
      if (!value(&v) || !parse_float(v, &percentile) || percentile <= 50 || percentile > 100)
        return fail("--percentile needs a number in (50, 100]");
    } else if (a == "--bias-correction") {  // the default; kept for old command lines
      bias_correction = true;
    } else if (a == "--no-bias-correction") {
      bias_correction = false;
    } else if (a == "--weight-rounding") {
      if (!value(&weight_rounding) || (weight_rounding != "nearest" && weight_rounding != "gptq"))
        return fail("--weight-rounding needs nearest or gptq");
    } else if (a == "--per-tensor") {
      per_tensor = true;
    } else if (a == "--keep-float") {
      if (!value(&v)) return fail("--keep-float needs a pattern");
      keep_float.push_back(v);
    } else if (a == "--auto-keep-float") {
      if (!value(&v) || !parse_float(v, &auto_db))
        return fail("--auto-keep-float needs an SQNR in dB");
      have_auto = true;
    } else if (a == "--io") {
      if (!value(&io) || (io != "float" && io != "int8")) return fail("--io needs float or int8");
    } else if (a == "--float") {
      keep_all_float = true;
    } else if (a == "--target") {
      if (!value(&target_text)) return fail("--target needs a family list");
    } else if (a == "--report") {
      if (!value(&report_path)) return fail("--report needs a file name");
      if (!ends_with(report_path, ".md") && !ends_with(report_path, ".html") &&
          !ends_with(report_path, ".htm"))
        return fail("--report file must end in .md or .html");
    } else if (a == "--eval") {
      if (!value(&eval_dir)) return fail("--eval needs a folder with labels.csv");
    } else if (a == "--input-shape") {
      if (!value(&v)) return fail("--input-shape needs NAME:D,D,...");
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos || colon == 0)
        return fail("--input-shape needs NAME:D,D,... (got '" + v + "')");
      std::vector<int32_t> dims;
      std::string rest = v.substr(colon + 1);
      for (size_t s = 0; s <= rest.size();) {
        size_t c = rest.find(',', s);
        if (c == std::string::npos) c = rest.size();
        long d;
        if (!parse_int(rest.substr(s, c - s), 1, 1 << 30, &d))
          return fail("bad dimension in --input-shape '" + v + "'");
        dims.push_back(static_cast<int32_t>(d));
        s = c + 1;
      }
      import_options.input_shapes[v.substr(0, colon)] = dims;
    } else if (a == "--mean") {
      if (!value(&mean_text)) return fail("--mean needs values");
    } else if (a == "--std") {
      if (!value(&std_text)) return fail("--std needs values");
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option '" + a + "' (see --help)");
    } else if (model_path.empty()) {
      model_path = a;
    } else {
      return fail("unexpected argument '" + a + "' (one model at a time)");
    }
  }
  if (model_path.empty()) return fail("no input model given (see --help)");
  if (output_path.empty()) return fail("no output file given: -o OUT.octet");
  CalibrationMethod method;
  if (!parse_calibration_method(method_name, &method))
    return fail("unknown --method '" + method_name +
                "' (minmax, meanminmax, percentile, entropy, mse)");
  std::string error;
  if (!mean_text.empty() || !std_text.empty()) {
    normalization.kind = tools::Normalization::Kind::kMeanStd;
    normalization.mean = {0.0f};
    normalization.std = {1.0f};
    if (!mean_text.empty() && !tools::parse_float_list(mean_text, &normalization.mean, &error))
      return fail("--mean: " + error);
    if (!std_text.empty() && !tools::parse_float_list(std_text, &normalization.std, &error))
      return fail("--std: " + error);
  }
  std::vector<ir::PackFamily> families;
  if (!target_text.empty()) {
    if (!parse_families(target_text, &families, &error)) return fail(error);
  } else {
    const PackFamily host = pack_family_for(best_isa());
    if (host != PackFamily::kRowMajor) families.push_back(static_cast<ir::PackFamily>(host));
  }

  // Import.
  import_options.verbose = verbose;
  ir::Graph graph;
  if (ends_with(model_path, ".tflite")) {
    if (!import_tflite(model_path, import_options, &graph, &error)) return fail(error);
  } else if (ends_with(model_path, ".onnx")) {
    if (!import_onnx(model_path, import_options, &graph, &error)) return fail(error);
    if (!cleanup_graph(&graph, &error)) return fail(model_path + ": " + error);
  } else {
    return fail("'" + model_path + "': unknown model format (expected .tflite or .onnx)");
  }
  if (!quiet)
    fprintf(stderr, "imported %s: %zu ops, %zu tensors\n", model_path.c_str(), graph.ops.size(),
            graph.tensors.size());
  if (!mean_text.empty()) graph.metadata["input_mean"] = mean_text;
  if (!std_text.empty()) graph.metadata["input_std"] = std_text;

  ir::Graph result;
  ReportData report;
  report.model_path = model_path;
  report.output_path = output_path;
  if (keep_all_float || !graph_is_float(graph)) {
    if (!graph_is_float(graph) && (!calib_source.empty() || random_calib > 0) && !quiet)
      fprintf(
          stderr,
          "model is already quantized: using its own quantization, ignoring calibration data\n");
    result = std::move(graph);
    if (!report_path.empty())
      fprintf(stderr, "note: --report needs a float model to compare against; skipped\n");
    report_path.clear();
  } else {
    std::vector<Sample> samples;
    if (!calib_source.empty()) {
      SampleOptions so;
      so.normalization = normalization;
      so.max_count = static_cast<int>(calib_count);
      if (!load_samples(calib_source, graph, so, &samples, &error)) return fail(error);
    } else if (random_calib > 0) {
      samples = random_samples(graph, static_cast<int>(random_calib), 0.0f, 1.0f, 1234);
    } else {
      return fail(
          "float model: give calibration data with --calib DIR|FILE.npy (or --random-calib N, "
          "or --float to keep it float)");
    }
    if (!quiet)
      fprintf(stderr, "calibrating on %zu samples (%s)\n", samples.size(), method_name.c_str());
    CalibrationResult calibration;
    CalibrationOptions co;
    co.method = method;
    co.progress = !quiet;
    co.input_moments = weight_rounding == "gptq";
    if (!calibrate(graph, samples, co, &calibration, &error)) return fail("calibration: " + error);
    QuantizeOptions qo;
    qo.method = method;
    qo.percentile = static_cast<float>(percentile);
    qo.per_channel = !per_tensor;
    qo.weight_rounding = weight_rounding == "gptq" ? QuantizeOptions::WeightRounding::kCompensated
                                                   : QuantizeOptions::WeightRounding::kNearest;
    qo.keep_float_patterns = keep_float;
    qo.int8_io = io == "int8";
    QuantizeInfo info;
    // Comparisons use at most 64 samples: enough for stable SQNRs, cheap enough to repeat.
    const std::vector<Sample> compare_samples = spread_subset(samples, 64);
    if (have_auto) {
      if (!auto_keep_float(graph, calibration, qo, compare_samples, auto_db,
                           static_cast<int>(graph.ops.size()), &result, &info, &error))
        return fail("quantization: " + error);
    } else if (!quantize_graph(graph, calibration, qo, &result, &info, &error)) {
      return fail("quantization: " + error);
    }
    if (bias_correction) {
      // All calibration samples: the per-channel mean shift of the last layers (few positions
      // per sample) is noisy on 64 (ResNet-8 output SQNR 28.0 dB with 64, 29.5 dB with 200).
      const int n = correct_bias(graph, &result, info, samples, &error, !quiet);
      if (n < 0) return fail("bias correction: " + error);
      if (!quiet) fprintf(stderr, "bias correction: %d ops adjusted\n", n);
    }
    if (!quiet)
      fprintf(stderr, "quantized %d ops, %zu kept in float\n", info.quantized_ops,
              info.kept_float.size());
    if (!report_path.empty()) {
      if (!compare_graphs(graph, result, info, compare_samples, !quiet, &report.comparison, &error))
        return fail("report: " + error);
      report.method = method_name + (weight_rounding == "gptq" ? ", GPTQ weight rounding" : "") +
                      (bias_correction ? ", bias correction" : "");
      report.calibration_samples = static_cast<int>(samples.size());
      report.comparison_samples = static_cast<int>(compare_samples.size());
      report.float_size = serialized_size(graph);
      report.info = info;
    }
    // --eval works with or without --report (the report then includes it).
    if (!eval_dir.empty()) {
      std::vector<LabeledFile> files;
      if (!load_labels_csv(eval_dir, &files, &error)) return fail("--eval: " + error);
      if (!evaluate(graph, result, files, normalization, &report.eval, &error))
        return fail("--eval: " + error);
      report.has_eval = true;
      fprintf(stderr, "top-1 on %d samples: float %.2f %%, int8 %.2f %%, agreement %.2f %%\n",
              report.eval.count, 100.0 * report.eval.float_correct / report.eval.count,
              100.0 * report.eval.int8_correct / report.eval.count,
              100.0 * report.eval.agree / report.eval.count);
    }
  }

  ir::SerializeOptions so;
  so.families = families;
  so.producer = "octet-convert";
  std::vector<uint8_t> bytes;
  if (!ir::serialize(result, so, &bytes, &error)) return fail("serialize: " + error);
  if (!ir::write_file(output_path, bytes, &error)) return fail(error);
  if (!quiet) fprintf(stderr, "wrote %s (%zu bytes)\n", output_path.c_str(), bytes.size());
  if (!report_path.empty()) {
    report.int8_size = bytes.size();
    if (!write_report(report_path, report, &error)) return fail(error);
    if (!quiet) fprintf(stderr, "wrote report %s\n", report_path.c_str());
  }
  return 0;
}
