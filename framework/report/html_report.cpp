#include "framework/report/html_report.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/json_file.h"
#include "framework/core/provenance.h"
#include "framework/core/report_text.h"
#include "framework/report/results_table.h"
#include "framework/report/run_stages.h"
#include "framework/report/svg_chart.h"
#include "framework/report/training_metrics.h"

namespace fct::report {
namespace fs = std::filesystem;

namespace {

// Laptop first (one readable column), then paper: nothing scrolls or clips in print, and a chart
// or table row is not cut across pages.
constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1d1d1f;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 24px 48px; }
h1 { font-size: 1.65em; margin: 0 0 .15em; word-break: break-word; }
h2 { font-size: 1.3em; margin: 2em 0 .5em; padding-bottom: .2em; border-bottom: 1px solid #d8d8d8; }
h3 { font-size: 1.05em; margin: 1.5em 0 .3em; }
a { color: #0b5cad; }
.meta, .note { color: #555; font-size: .9em; }
.warning { color: #8a1c00; background: #fff3ef; border-left: 3px solid #d55e00; padding: 6px 10px; }
nav.toc { margin: .8em 0 0; font-size: .92em; }
nav.toc a { margin-right: 1em; white-space: nowrap; }
.wide { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 .3em; font-size: .92em; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
thead th { background: #f4f5f7; border-bottom: 2px solid #c8c8c8; font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.case, td.key, td.nowrap { white-space: nowrap; }
td.what { color: #444; }
tr.auc th, tr.auc td { color: #333; background: #f7faf7; }
td.missing { color: #999; text-align: center; }
.matrices { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 4px 24px; }
.matrices > * { overflow-x: auto; }
.matrices table { font-size: .88em; }
.matrices th, .matrices td { white-space: nowrap; }
.matrices caption { text-align: left; font-weight: 600; padding: 2px 0; }
.stage { margin-bottom: 1.2em; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(235px, 1fr)); gap: 6px 16px; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart text { font: 10px system-ui, sans-serif; fill: #444; }
svg.chart .chart-title { font-weight: 600; font-size: 11px; fill: #1d1d1f; }
svg.chart .legend { font-size: 10px; }
figure { margin: .8em 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .88em; margin-top: .2em; }
.origin-built { color: #0a6b3d; }
.origin-cache { color: #0b5cad; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f7f9; padding: 10px 12px;
  font-size: .8em; line-height: 1.35; border-radius: 4px; }
code { font-size: .92em; }
footer { margin-top: 3em; color: #777; font-size: .82em; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .wide { overflow: visible; }
  a { color: inherit; text-decoration: none; }
  h2, h3 { break-after: avoid; }
  tr, figure, .stage, svg.chart, .matrices table { break-inside: avoid; }
  tbody tr:nth-child(even), thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @page { margin: 14mm 12mm; }
}
)css";

std::string h(const std::string& text) {
  return xml_escape(text);
}

bool exists(const std::string& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const auto byte = [&](std::size_t k) {
      return k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0u;
    };
    const unsigned n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += i + 1 < bytes.size() ? kAlphabet[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// A relative link to a file below the report (a sweep point's report): each byte outside the
// unreserved set and '/' percent-encoded, so that a directory named "a=1,b#2" still links.
std::string url_path(const std::string& path) {
  std::string out;
  for (const unsigned char c : path) {
    if (std::isalnum(c) ||
        std::string_view("-._~/=,+").find(static_cast<char>(c)) != std::string_view::npos)
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// An SVG another writer made (graph.svg, grid.svg, ...), as a data: image: it scales to the page,
// and markup in it cannot reach the page's own.
std::string svg_figure(const std::string& path, const std::string& caption) {
  return "<figure><img alt=\"" + h(caption) + "\" src=\"data:image/svg+xml;base64," +
         base64(read_text(path)) + "\"><figcaption>" + h(caption) + "</figcaption></figure>\n";
}

std::string warning(const std::string& what, const std::exception& e) {
  return "<p class=\"warning\">" + h(what) + ": " + h(e.what()) + "</p>\n";
}

// An optional part of the page: an unreadable file there becomes a warning, not a missing report.
std::string optional_part(const std::string& what, const std::function<std::string()>& render) {
  try {
    return render();
  } catch (const std::exception& e) {
    return warning(what, e);
  }
}

struct Section {
  std::string id, title, body;
};

// ---- results ---------------------------------------------------------------------------------

std::string metric_cell(const std::string& attributes, const std::string& metric, double value) {
  return "<td class=\"num\" " + attributes + " data-metric=\"" + metric + "\">" + fixed2(value) +
         "</td>";
}

std::string study_results(const std::vector<ResultRow>& rows) {
  std::string out =
      "<div class=\"wide\"><table class=\"results\" id=\"results-table\">\n<thead><tr>"
      "<th>case</th><th class=\"num\">top-1</th><th class=\"num\">top-5</th>"
      "<th class=\"num\">mAP</th><th class=\"num\">negative flips</th>"
      "<th class=\"num\">queries</th><th>what it means</th></tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    const std::string c = h(row.case_name);
    const std::string data = "data-case=\"" + c + "\"";
    const bool auc = row.case_name.rfind("AUC ", 0) == 0;
    out += "<tr id=\"case-" + c + "\" " + data + (auc ? " class=\"auc\"" : "") +
           "><th class=\"case\" scope=\"row\">" + c + "</th>" +
           metric_cell(data, "top1", row.top1) + metric_cell(data, "top5", row.top5) +
           metric_cell(data, "mAP", row.mAP) +
           metric_cell(data, "negative_flips", row.negative_flips) + "<td class=\"num\" " + data +
           " data-metric=\"queries\">" + std::to_string(row.queries) + "</td><td class=\"what\">" +
           h(row.description) + "</td></tr>\n";
  }
  return out +
         "</tbody></table></div>\n<p class=\"note\">Percentages, query model / gallery. Negative "
         "flips: queries that old/old retrieves right and the case gets wrong. AUC rows: the mean "
         "of a backfilling curve's points (the gallery re-embedded by the new model in the named "
         "order).</p>\n";
}

std::string sweep_results(const std::string& run_directory, const nlohmann::json& summary,
                          const std::string& source) {
  struct Point {
    int64_t index;
    std::string label, link;
    std::vector<ResultRow> rows;
  };
  std::vector<Point> points;
  std::vector<std::string> cases;
  try {
    for (const auto& p : summary) {
      Point point;
      point.index = p.at("point").get<int64_t>();
      for (const auto& o : p.at("overrides")) {
        point.label += (point.label.empty() ? "" : " ") + o.get<std::string>();
      }
      const std::string directory = p.value("directory", std::string());
      const std::string name = fs::path(directory).filename().string();
      if (!name.empty() && exists(run_directory + "/" + name + "/report.html"))
        point.link = url_path(name + "/report.html");
      point.rows = results_from_json(p.at("results"), source);
      for (const auto& r : point.rows)
        if (std::find(cases.begin(), cases.end(), r.case_name) == cases.end())
          cases.push_back(r.case_name);
      points.push_back(std::move(point));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a sweep summary (" + e.what() + ")");
  }
  std::string out;
  for (const auto& [metric, title] :
       {std::pair{"top1", "top-1 (%)"}, std::pair{"mAP", "mAP (%)"}}) {
    out += "<h3>" + std::string(title) +
           " per case</h3>\n<div class=\"wide\"><table class=\"sweep\">"
           "<thead><tr><th class=\"num\">point</th><th>overrides</th>";
    for (const auto& c : cases) out += "<th class=\"num\">" + h(c) + "</th>";
    out += "</tr></thead>\n<tbody>\n";
    for (const auto& p : points) {
      const std::string index = std::to_string(p.index);
      out += "<tr data-point=\"" + index + "\"><td class=\"num\">" + index + "</td><td><code>" +
             h(p.label) + "</code>" +
             (p.link.empty() ? "" : " <a href=\"" + h(p.link) + "\">report</a>") + "</td>";
      for (const auto& c : cases) {
        const auto row = std::find_if(p.rows.begin(), p.rows.end(),
                                      [&](const ResultRow& r) { return r.case_name == c; });
        const std::string data = "data-point=\"" + index + "\" data-case=\"" + h(c) + "\"";
        if (row == p.rows.end())
          out += "<td class=\"missing\" " + data + ">&#8212;</td>";
        else
          out += metric_cell(data, metric, std::string(metric) == "top1" ? row->top1 : row->mAP);
      }
      out += "</tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  return out;
}

std::string grid_results(const std::string& run_directory, const nlohmann::json& grid,
                         const std::string& source) {
  std::string out;
  try {
    const auto olds = grid.at("old_models").get<std::vector<std::string>>();
    const auto news = grid.at("new_models").get<std::vector<std::string>>();
    out +=
        "<p class=\"note\">Rows: old models (the gallery), columns: new models (the queries). "
        "Percentages.</p>\n<div class=\"matrices\">\n";
    for (const auto& [case_name, by_metric] : grid.at("matrices").items()) {
      for (const auto& [metric, title] : {std::pair{"top1", "top-1"}, std::pair{"mAP", "mAP"}}) {
        if (!by_metric.contains(metric)) continue;
        const auto& matrix = by_metric.at(metric);
        out += "<table class=\"grid\"><caption>" + h(case_name) + ": " + title +
               "</caption><thead><tr><th>old \\ new</th>";
        for (const auto& n : news) out += "<th class=\"num\">" + h(n) + "</th>";
        out += "</tr></thead><tbody>\n";
        for (std::size_t i = 0; i < olds.size(); ++i) {
          out += "<tr><th scope=\"row\" class=\"case\">" + h(olds[i]) + "</th>";
          for (std::size_t j = 0; j < news.size(); ++j) {
            const auto& value = matrix.at(i).at(j);
            const std::string data = "data-old=\"" + h(olds[i]) + "\" data-new=\"" + h(news[j]) +
                                     "\" data-case=\"" + h(case_name) + "\"";
            if (value.is_null())
              out +=
                  "<td class=\"missing\" " + data + " data-metric=\"" + metric + "\">&#8212;</td>";
            else
              out += metric_cell(data, metric, value.get<double>());
          }
          out += "</tr>\n";
        }
        out += "</tbody></table>\n";
      }
    }
    out += "</div>\n";
    std::string pairs;
    for (const auto& pair : grid.value("pairs", nlohmann::json::array())) {
      const std::string name = pair.value("old", "") + "--" + pair.value("new", "");
      const std::string report = "pairs/" + name + "/report.html";
      if (exists(run_directory + "/" + report))
        pairs += " <a href=\"" + h(url_path(report)) + "\">" + h(name) + "</a>";
    }
    if (!pairs.empty()) out += "<p class=\"note\">Each pair's report:" + pairs + "</p>\n";
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a grid record (" + e.what() + ")");
  }
  return out;
}

// ---- training curves --------------------------------------------------------------------------

bool all_zero(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return !(v != 0); });
}

std::string stage_curves(const StageRecord& stage, const std::string& metrics_path) {
  const auto metrics = read_training_metrics(metrics_path);
  const auto epochs = metrics.column("epoch");
  if (!epochs) throw Error(metrics_path + ": no epoch column");
  const auto series = [&](const std::string& column) {
    return ChartSeries{column, *epochs, *metrics.column(column)};
  };
  std::vector<LineChart> charts;
  if (metrics.column("train_loss")) charts.push_back({"loss", "epoch", {series("train_loss")}});
  // Accuracies share a chart; another evaluation metric (h's val_mse) has a scale of its own.
  LineChart accuracy{"accuracy", "epoch", {}};
  std::vector<LineChart> others;
  for (const auto& column : metrics.columns) {
    const bool is_accuracy = column.find("accuracy") != std::string::npos;
    if (column == "train_accuracy") {
      if (!all_zero(*metrics.column(column))) accuracy.series.push_back(series(column));
    } else if (column.rfind("val_", 0) == 0) {
      if (is_accuracy)
        accuracy.series.push_back(series(column));
      else
        others.push_back({column, "epoch", {series(column)}});
    }
  }
  if (!accuracy.series.empty()) charts.push_back(accuracy);
  charts.insert(charts.end(), others.begin(), others.end());
  if (metrics.column("lr")) charts.push_back({"learning rate", "epoch", {series("lr")}});
  if (metrics.column("images_per_s"))
    charts.push_back({"throughput (images/s)", "epoch", {series("images_per_s")}});

  std::string facts = std::to_string(metrics.rows()) + " epoch" + (metrics.rows() == 1 ? "" : "s");
  if (const auto seconds = metrics.column("epoch_seconds")) {
    double total = 0;
    for (const double s : *seconds)
      if (std::isfinite(s)) total += s;
    facts += fmt::format(", {:.1f} s of epochs", total);
  }
  for (const auto& column : metrics.columns)
    if (column.rfind("val_", 0) == 0 && metrics.rows() > 0)
      facts += fmt::format(", last {} {:.4g}", column, metrics.column(column)->back());
  if (const auto wait = metrics.column("allreduce_wait_share"); wait && metrics.rows() > 0) {
    double sum = 0;
    for (const double w : *wait) sum += std::isfinite(w) ? w : 0;
    facts += fmt::format(", all-reduce wait {:.1f} % of step time",
                         100 * sum / static_cast<double>(metrics.rows()));
  }
  std::string out = "<div class=\"stage\" id=\"curves-" + h(stage.name) + "-" + h(stage.key) +
                    "\"><h3>" + h(stage.name) + " <span class=\"meta\">" +
                    h(stage.label.empty() ? stage.kind : stage.label) + " &#183; " + h(stage.key) +
                    "</span></h3>\n<p class=\"note\">" + h(facts) +
                    "</p>\n<div class=\"charts\">\n";
  for (const auto& chart : charts) out += line_chart_svg(chart) + "\n";
  return out + "</div></div>\n";
}

std::string training_curves(const std::vector<StageRecord>& stages) {
  std::string out;
  for (const auto& stage : stages) {
    if (stage.directory.empty()) continue;
    const std::string metrics = stage.directory + "/metrics.csv";
    if (!exists(metrics)) continue;
    out += optional_part("training curves of " + stage.name,
                         [&] { return stage_curves(stage, metrics); });
  }
  return out;
}

// Stages of a directory without a graph record (a run of `fct train`): its subdirectories that
// hold a metrics.csv.
std::vector<StageRecord> stage_directories(const std::string& run_directory) {
  std::vector<StageRecord> stages;
  std::error_code error;
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(run_directory, error)) children.push_back(entry);
  std::sort(children.begin(), children.end());
  for (const auto& child : children)
    if (exists((child / "metrics.csv").string())) {
      StageRecord s;
      s.name = child.filename().string();
      s.directory = child.string();
      stages.push_back(s);
    }
  return stages;
}

// ---- stage graph ------------------------------------------------------------------------------

std::string stage_table(const std::vector<StageRecord>& stages) {
  double built_seconds = 0, cached_seconds = 0;
  int built = 0, from_cache = 0;
  std::string rows;
  for (const auto& s : stages) {
    const bool is_built = s.origin == StageOrigin::kBuiltByThisRun;
    const bool is_cached = s.origin == StageOrigin::kFromCache;
    built += is_built;
    from_cache += is_cached;
    (is_built ? built_seconds : cached_seconds) += s.seconds;
    std::string origin = describe(s.origin);
    if (is_cached && !s.built_for.empty()) origin += " (built for " + s.built_for + ")";
    rows +=
        "<tr data-stage=\"" + h(s.name) + "\" data-key=\"" + h(s.key) + "\"><td class=\"key\">" +
        h(s.name) + "</td><td>" + h(s.kind) + "</td><td>" + h(s.label) +
        "</td><td class=\"key\"><code>" + h(s.key) + "</code></td><td class=\"num\">" +
        (s.seconds > 0 ? fmt::format("{:.1f}", s.seconds) : std::string()) + "</td><td class=\"" +
        (is_built    ? "origin-built"
         : is_cached ? "origin-cache"
                     : "origin-other") +
        "\">" + h(origin) + "</td><td class=\"nowrap\">" + h(s.published) + "</td></tr>\n";
  }
  return fmt::format(
             "<p class=\"note\">{} stages: {} built by this run ({:.1f} s), {} taken from the run "
             "cache (built in {:.1f} s before).</p>\n",
             stages.size(), built, built_seconds, from_cache, cached_seconds) +
         "<div class=\"wide\"><table class=\"stages\"><thead><tr><th>stage</th><th>kind</th>"
         "<th>what</th><th>key</th><th class=\"num\">seconds</th><th>origin</th>"
         "<th>in the cache since</th></tr></thead><tbody>\n" +
         rows + "</tbody></table></div>\n";
}

// ---- inputs -----------------------------------------------------------------------------------

std::string inputs_report(const std::vector<StageRecord>& stages) {
  std::string rows, paths;
  int stages_with_log = 0;
  int64_t bad = 0;
  for (const auto& s : stages) {
    const std::string summary_path = s.directory + "/summary.json";
    if (s.directory.empty() || !exists(summary_path)) continue;
    const auto summary = read_json_file(summary_path);
    if (!summary.is_object() || !summary.contains("inputs") || !summary["inputs"].is_object())
      continue;
    for (const auto& [label, counts] : summary["inputs"].items()) {
      ++stages_with_log;
      const auto count = [&](const char* key) { return counts.value(key, int64_t{0}); };
      bad += count("skipped_files") + count("truncated_files");
      rows += "<tr><td class=\"key\">" + h(s.name) + "</td><td>" + h(label) + "</td>";
      for (const char* key :
           {"skipped_files", "skipped_reads", "truncated_files", "truncated_reads"})
        rows += "<td class=\"num\" data-stage=\"" + h(s.name) + "\" data-split=\"" + h(label) +
                "\" data-metric=\"" + key + "\">" + std::to_string(count(key)) + "</td>";
      rows += "</tr>\n";
      for (const char* list : {"skipped", "truncated"})
        if (counts.contains(list) && counts[list].is_array())
          for (const auto& path : counts[list])
            if (path.is_string())
              paths += "<li>" + h(s.name) + " " + h(label) + " " + list + ": <code>" +
                       h(path.get<std::string>()) + "</code></li>\n";
    }
  }
  if (stages_with_log == 0)
    return "<p class=\"note\">No stage logged its inputs: the datasets were in memory (no image "
           "files to skip).</p>\n";
  std::string out =
      bad == 0 ? "<p class=\"note\">Every image file decoded: none skipped, none truncated.</p>\n"
               : "<p class=\"warning\">Some image files did not decode fully: each is named once "
                 "in the run's log.</p>\n";
  out +=
      "<div class=\"wide\"><table class=\"inputs\"><thead><tr><th>stage</th><th>split</th>"
      "<th class=\"num\">skipped files</th><th class=\"num\">skipped reads</th>"
      "<th class=\"num\">truncated files</th><th class=\"num\">truncated reads</th></tr></thead>"
      "<tbody>\n" +
      rows + "</tbody></table></div>\n";
  if (!paths.empty()) out += "<ul>\n" + paths + "</ul>\n";
  return out;
}

// ---- provenance -------------------------------------------------------------------------------

void flatten(const std::string& prefix, const nlohmann::json& value,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items())
      flatten(prefix.empty() ? key : prefix + "." + key, child, out);
  } else if (value.is_array() &&
             std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_string(); })) {
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : " ") + v.get<std::string>();
    out.emplace_back(prefix, joined);
  } else {
    out.emplace_back(prefix, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

std::string provenance(const std::string& run_directory) {
  std::string out;
  const std::string path = run_directory + "/provenance.json";
  if (exists(path)) {
    out += optional_part(path, [&] {
      std::vector<std::pair<std::string, std::string>> facts;
      flatten("", read_json_file(path), facts);
      std::string table = "<div class=\"wide\"><table class=\"provenance\"><tbody>\n";
      for (const auto& [key, value] : facts)
        table += "<tr><th class=\"case\" scope=\"row\">" + h(key) + "</th><td data-key=\"" +
                 h(key) + "\">" + h(value) + "</td></tr>\n";
      return table + "</tbody></table></div>\n";
    });
  }
  const std::string config = run_directory + "/config.yaml";
  if (exists(config))
    out += optional_part(config, [&] {
      return "<h3>Resolved config (config.yaml)</h3>\n<pre class=\"config\">" +
             h(read_text(config)) + "</pre>\n";
    });
  return out;
}

// ---- the page ---------------------------------------------------------------------------------

std::string run_title(const std::string& run_directory) {
  // The study's or grid's own name, as its resolved config records it ("runs/x" may be any path).
  try {
    const std::string config = run_directory + "/config.yaml";
    if (exists(config)) {
      const YAML::Node root = YAML::LoadFile(config);
      if (root.IsMap() && root["name"] && root["name"].IsScalar())
        return root["name"].Scalar() +
               (fs::path(run_directory).filename() == "sweep" ? " sweep" : "");
    }
  } catch (const YAML::Exception&) {
    // An unreadable record leaves the directory's name.
  }
  fs::path p(run_directory);
  if (p.filename().empty()) p = p.parent_path();  // "runs/x/"
  std::string name = p.filename().string();
  // A sweep's directory is <study>/sweep: its study names it.
  if (name == "sweep" && p.has_parent_path()) name = p.parent_path().filename().string() + " sweep";
  return name.empty() ? run_directory : name;
}

}  // namespace

std::string default_report_path(const std::string& run_directory) {
  return (fs::path(run_directory) / "report.html").string();
}

std::string html_report(const std::string& run_directory) {
  if (!fs::is_directory(run_directory))
    throw Error("fct report: " + run_directory + " is not a directory");
  const std::string results_path = run_directory + "/results.json";
  const std::string summary_path = run_directory + "/summary.json";
  const std::string grid_path = run_directory + "/grid.json";
  if (!exists(results_path) && !exists(summary_path) && !exists(grid_path)) {
    std::string hint;
    if (exists(run_directory + "/sweep/summary.json"))
      hint = " (a sweep's results are in " + run_directory + "/sweep)";
    throw Error("fct report: " + run_directory +
                " has no results (results.json, a sweep's summary.json or a grid's grid.json)" +
                hint);
  }

  std::vector<Section> sections;
  if (exists(results_path))
    sections.push_back(
        {"results", "Results",
         study_results(results_from_json(read_json_file(results_path), results_path))});
  if (exists(summary_path)) {
    std::string body = sweep_results(run_directory, read_json_file(summary_path), summary_path);
    if (exists(run_directory + "/summary.svg"))
      body =
          optional_part("summary.svg",
                        [&] {
                          return svg_figure(
                              run_directory + "/summary.svg",
                              "The first swept key against top-1 and mAP of the updated gallery");
                        }) +
          body;
    sections.push_back({"sweep", "Sweep summary", body});
  }
  if (exists(grid_path)) {
    std::string body = grid_results(run_directory, read_json_file(grid_path), grid_path);
    if (exists(run_directory + "/grid.svg"))
      body = optional_part("grid.svg",
                           [&] {
                             return svg_figure(
                                 run_directory + "/grid.svg",
                                 "new/fct+si: top-1 and mAP per pair; margins old/old and new/new");
                           }) +
             body;
    sections.push_back({"grid", "Compatibility grid", body});
  }
  if (exists(run_directory + "/backfill_curves.svg"))
    sections.push_back(
        {"backfilling", "Backfilling curves", optional_part("backfill_curves.svg", [&] {
           return svg_figure(run_directory + "/backfill_curves.svg",
                             "Top-1 and mAP as the gallery is re-embedded by the new model, one "
                             "line per transformation and order") +
                  "<p class=\"note\">Every point: backfill_curves.csv; the AUC of each curve is a "
                  "row of the results table.</p>\n";
         })});

  std::vector<StageRecord> stages;
  std::string stage_error;
  try {
    stages = read_run_stages(run_directory);
  } catch (const std::exception& e) {
    stage_error = warning("stage graph", e);
  }
  const bool has_graph_record = !stages.empty();
  if (stages.empty()) stages = stage_directories(run_directory);
  const std::string curves = training_curves(stages);
  if (!curves.empty())
    sections.push_back(
        {"training", "Training curves",
         "<p class=\"note\">One row per model stage, per epoch: the training loss, the "
         "accuracies (training batches and the stage's evaluation), the learning rate and the "
         "throughput of all ranks together.</p>\n" +
             curves});
  std::string graph_body = stage_error;
  if (exists(run_directory + "/graph.svg"))
    graph_body += optional_part("graph.svg", [&] {
      return svg_figure(
          run_directory + "/graph.svg",
          "The stage graph: a node one column right of its deepest input, coloured by "
          "its state in the cache when the graph was written");
    });
  // The drawing is an overview (a wide graph shrinks to the page); the table has every node.
  if (has_graph_record) graph_body += stage_table(stages);
  if (!graph_body.empty()) sections.push_back({"stages", "Stages", graph_body});
  const std::string inputs = optional_part("input report", [&] { return inputs_report(stages); });
  if (has_graph_record || !stages.empty()) sections.push_back({"inputs", "Inputs", inputs});
  const std::string origin = provenance(run_directory);
  if (!origin.empty()) sections.push_back({"provenance", "Provenance", origin});

  std::string meta = "<code>" + h(run_directory) + "</code>";
  if (exists(run_directory + "/provenance.json")) {
    try {
      const auto record = read_json_file(run_directory + "/provenance.json");
      meta += " &#183; run " + h(record.value("created", std::string("?"))) + " &#183; git " +
              h(record.value("git_revision", std::string("?")).substr(0, 12)) + " &#183; " +
              h(std::to_string(record.value("world_size", 0))) + " ranks";
    } catch (const std::exception&) {  // the provenance section shows the error
    }
  }
  const std::string title = run_title(run_directory);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>fct report: " +
      h(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n" +
      "<header><h1>" + h(title) + "</h1>\n<p class=\"meta\">" + meta + "</p>\n<nav class=\"toc\">";
  for (const auto& s : sections) page += "<a href=\"#" + s.id + "\">" + s.title + "</a>";
  page += "</nav></header>\n";
  for (const auto& s : sections)
    page += "<section id=\"" + s.id + "\">\n<h2>" + s.title + "</h2>\n" + s.body + "</section>\n";
  page += "<footer>Written by <code>fct report</code> (fct " FCT_VERSION ") at " +
          h(utc_timestamp()) + ".</footer>\n</main>\n</body>\n</html>\n";
  return page;
}

void write_html_report(const std::string& run_directory, const std::string& path) {
  write_text_atomically(path, html_report(run_directory));
}

bool write_html_report_after_run(const std::string& run_directory) {
  const std::string path = default_report_path(run_directory);
  try {
    write_html_report(run_directory, path);
    return true;
  } catch (const std::exception& e) {
    spdlog::error("report: cannot write {} (the results are written): {}", path, e.what());
    return false;
  }
}

}  // namespace fct::report
