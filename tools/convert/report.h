// Conversion report (Markdown or HTML with an inline SVG plot): per-layer SQNR float vs int8,
// activation and weight ranges, layers kept in float and why, model sizes, optional top-1.
#pragma once
#include <string>
#include <vector>

#include "tools/convert/calibration.h"
#include "tools/convert/quantizer.h"

namespace octet::convert {

struct EvalResult {
  int count = 0;
  int float_correct = 0, int8_correct = 0, agree = 0;
};

// Top-1 class of output 0 for each file (-1 where the file could not be run).
bool top1_predictions(const ir::Graph& graph, const std::vector<LabeledFile>& files,
                      const tools::Normalization& normalization, std::vector<int>* predictions,
                      std::string* error);
bool evaluate(const ir::Graph& float_graph, const ir::Graph& quantized_graph,
              const std::vector<LabeledFile>& files, const tools::Normalization& normalization,
              EvalResult* result, std::string* error);

struct ReportData {
  std::string model_path, output_path;
  std::string method;
  int calibration_samples = 0;
  int comparison_samples = 0;
  size_t float_size = 0, int8_size = 0;
  Comparison comparison;
  QuantizeInfo info;
  bool has_eval = false;
  EvalResult eval;
};

bool write_report(const std::string& path, const ReportData& data, std::string* error);

}  // namespace octet::convert
