#include "tools/convert/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace octet::convert {

bool top1_predictions(const ir::Graph& graph, const std::vector<LabeledFile>& files,
                      const tools::Normalization& normalization, std::vector<int>* predictions,
                      std::string* error) {
  GraphRunner runner;
  if (!runner.open(graph, error)) return false;
  predictions->assign(files.size(), -1);
  for (size_t i = 0; i < files.size(); ++i) {
    Sample sample;
    if (!load_sample_file(files[i].path, graph, normalization, &sample, error)) return false;
    if (!runner.set_inputs(sample, error) || !runner.invoke({}, error)) return false;
    const std::vector<float> out = runner.output_as_float(0);
    if (out.empty()) return *error = "graph output 0 is unreadable", false;
    (*predictions)[i] = static_cast<int>(std::max_element(out.begin(), out.end()) - out.begin());
  }
  return true;
}

bool evaluate(const ir::Graph& float_graph, const ir::Graph& quantized_graph,
              const std::vector<LabeledFile>& files, const tools::Normalization& normalization,
              EvalResult* result, std::string* error) {
  std::vector<int> pf, pq;
  if (!top1_predictions(float_graph, files, normalization, &pf, error) ||
      !top1_predictions(quantized_graph, files, normalization, &pq, error))
    return false;
  *result = EvalResult();
  result->count = static_cast<int>(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    result->float_correct += pf[i] == files[i].label;
    result->int8_correct += pq[i] == files[i].label;
    result->agree += pf[i] == pq[i];
  }
  return true;
}

namespace {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|')
      o += "\\|";
    else
      o += c;
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string range_text(const std::map<std::string, std::pair<float, float>>& m,
                       const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return "";
  char buf[96];
  snprintf(buf, sizeof(buf), "[%.4g, %.4g]", it->second.first, it->second.second);
  return buf;
}

std::string kept_reason(const QuantizeInfo& info, const std::string& op) {
  for (const KeptFloat& k : info.kept_float)
    if (k.op == op) return k.reason;
  return "";
}

double pct(int a, int n) { return n ? 100.0 * a / n : 0.0; }

// Bar chart of per-layer SQNR (dB), one bar per layer, kept-float layers in grey.
std::string svg_plot(const Comparison& c) {
  const int n = static_cast<int>(c.layers.size());
  const int bar = 14, left = 40, top = 10, height = 220;
  const int width = left + std::max(n, 1) * bar + 20;
  double max_db = 10.0;
  for (const LayerError& e : c.layers) max_db = std::max(max_db, std::min(e.sqnr_db(), 80.0));
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height + 40
    << "' font-family='sans-serif' font-size='10'>\n";
  for (int db = 0; db <= max_db; db += 10) {
    const double yy = top + height - height * db / max_db;
    s << "<line x1='" << left << "' x2='" << width << "' y1='" << yy << "' y2='" << yy
      << "' stroke='#ddd'/><text x='2' y='" << yy + 3 << "'>" << db << " dB</text>\n";
  }
  for (int i = 0; i < n; ++i) {
    const LayerError& e = c.layers[i];
    const double db = std::clamp(e.sqnr_db(), 0.0, 80.0);
    const double h = height * std::min(db, max_db) / max_db;
    s << "<rect x='" << left + i * bar + 1 << "' y='" << top + height - h << "' width='" << bar - 2
      << "' height='" << h << "' fill='" << (e.kept_float ? "#999" : "#3a7") << "'><title>"
      << html_escape(e.op + " (" + e.type + "): " + fmt("%.2f dB", e.sqnr_db()))
      << "</title></rect>\n";
  }
  s << "<text x='" << left << "' y='" << height + top + 25
    << "'>layers in execution order (grey: kept in float); hover for names</text>\n";
  s << "</svg>\n";
  return s.str();
}

}  // namespace

bool write_report(const std::string& path, const ReportData& d, std::string* error) {
  const bool html = path.size() >= 5 && (path.substr(path.size() - 5) == ".html" ||
                                         path.substr(path.size() - 4) == ".htm");
  std::ostringstream o;
  const std::string output_sqnr = fmt("%.2f dB", d.comparison.output.sqnr_db());
  if (html) {
    o << "<!doctype html><html><head><meta charset='utf-8'><title>octet-convert report</title>"
         "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:2px 6px;font-size:12px}td.n{text-align:right}"
         ".kept{background:#eee}</style></head><body>\n";
    o << "<h1>octet-convert report</h1>\n<ul>\n";
    o << "<li>model: " << html_escape(d.model_path) << " &rarr; " << html_escape(d.output_path)
      << "</li>\n";
    o << "<li>calibration: " << d.method << ", " << d.calibration_samples << " samples</li>\n";
    o << "<li>size: float " << d.float_size << " bytes, int8 " << d.int8_size << " bytes ("
      << fmt("%.2fx", d.int8_size ? static_cast<double>(d.float_size) / d.int8_size : 0.0)
      << " smaller)</li>\n";
    o << "<li>ops quantized: " << d.info.quantized_ops
      << ", kept in float: " << d.info.kept_float.size() << "</li>\n";
    o << "<li>output SQNR (float vs int8, " << d.comparison_samples << " samples): " << output_sqnr
      << "</li>\n";
    if (d.has_eval)
      o << "<li>top-1 on " << d.eval.count << " labelled samples: float "
        << fmt("%.2f %%", pct(d.eval.float_correct, d.eval.count)) << ", int8 "
        << fmt("%.2f %%", pct(d.eval.int8_correct, d.eval.count)) << ", agreement "
        << fmt("%.2f %%", pct(d.eval.agree, d.eval.count)) << "</li>\n";
    o << "</ul>\n<h2>Per-layer SQNR</h2>\n" << svg_plot(d.comparison);
    o << "<h2>Layers</h2>\n<table><tr><th>#</th><th>op</th><th>type</th><th>output range</th>"
         "<th>weight range</th><th>SQNR dB</th><th>kept in float</th></tr>\n";
    for (size_t i = 0; i < d.comparison.layers.size(); ++i) {
      const LayerError& e = d.comparison.layers[i];
      o << "<tr" << (e.kept_float ? " class='kept'" : "") << "><td class='n'>" << i << "</td><td>"
        << html_escape(e.op) << "</td><td>" << e.type << "</td><td>"
        << range_text(d.info.ranges, e.tensor) << "</td><td>"
        << range_text(d.info.weight_ranges, e.op) << "</td><td class='n'>"
        << fmt("%.2f", e.sqnr_db()) << "</td><td>" << html_escape(kept_reason(d.info, e.op))
        << "</td></tr>\n";
    }
    o << "</table>\n</body></html>\n";
  } else {
    o << "# octet-convert report\n\n";
    o << "- model: `" << d.model_path << "` -> `" << d.output_path << "`\n";
    o << "- calibration: " << d.method << ", " << d.calibration_samples << " samples\n";
    o << "- size: float " << d.float_size << " bytes, int8 " << d.int8_size << " bytes ("
      << fmt("%.2fx", d.int8_size ? static_cast<double>(d.float_size) / d.int8_size : 0.0)
      << " smaller)\n";
    o << "- ops quantized: " << d.info.quantized_ops
      << ", kept in float: " << d.info.kept_float.size() << "\n";
    o << "- output SQNR (float vs int8, " << d.comparison_samples << " samples): " << output_sqnr
      << "\n";
    if (d.has_eval)
      o << "- top-1 on " << d.eval.count << " labelled samples: float "
        << fmt("%.2f %%", pct(d.eval.float_correct, d.eval.count)) << ", int8 "
        << fmt("%.2f %%", pct(d.eval.int8_correct, d.eval.count)) << ", agreement "
        << fmt("%.2f %%", pct(d.eval.agree, d.eval.count)) << "\n";
    o << "\n## Layers\n\n| # | op | type | output range | weight range | SQNR dB | kept in float "
         "|\n"
         "|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < d.comparison.layers.size(); ++i) {
      const LayerError& e = d.comparison.layers[i];
      o << "| " << i << " | " << md_escape(e.op) << " | " << e.type << " | "
        << range_text(d.info.ranges, e.tensor) << " | " << range_text(d.info.weight_ranges, e.op)
        << " | " << fmt("%.2f", e.sqnr_db()) << " | " << md_escape(kept_reason(d.info, e.op))
        << " |\n";
    }
  }
  std::ofstream f(path);
  if (!f) return *error = "cannot write " + path, false;
  f << o.str();
  return static_cast<bool>(f) || (*error = "write failed: " + path, false);
}

}  // namespace octet::convert
