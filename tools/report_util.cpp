// The parts of tools/report.h that `nasforge compare` shares: the page frame
// and style sheet, JSON as a table, and the environment table.
#include <sys/utsname.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tensor/backend.h"
#include "tensor/cpu/parallel.h"
#include "tools/report.h"
#include "tools/svg.h"

namespace nf::tools {

using json = nlohmann::json;

namespace {

// No '<' or '&' in here: the page is checked as XML-like text.
const char* kStyle = R"(
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; background: #fff;
       max-width: 1220px; margin: 0 auto; padding: 12px 24px 48px; line-height: 1.4; }
h1 { font-size: 1.5em; margin: 0.6em 0 0.2em; }
h2 { font-size: 1.2em; margin: 1.6em 0 0.5em; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
.sub { color: #666; margin: 0 0 1em; }
.plots { display: flex; flex-wrap: wrap; gap: 14px; }
.plots svg, .cells svg { max-width: 100%; height: auto; border: 1px solid #e4e4e4; border-radius: 4px; background: #fff; }
.cells { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.note { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.4em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.86em; background: #f5f5f5;
       padding: 1px 4px; border-radius: 3px; word-break: break-all; }
.genotype { border: 1px solid #e4e4e4; border-radius: 6px; padding: 6px 12px 12px; margin: 10px 0; }
.best { font-weight: bold; color: #0a5; }
.failed { color: #b00; }
details summary { cursor: pointer; color: #246; margin: 0.5em 0; }
)";

void flatten(const json& j, const std::string& prefix, std::string& rows) {
  if (j.is_object() && !j.empty()) {
    for (auto& [key, value] : j.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, rows);
    return;
  }
  std::string text = j.is_string() ? j.get<std::string>() : j.dump();
  if (text.empty()) text = "\"\"";  // an empty string, visibly
  if (text.size() > 240) text = text.substr(0, 237) + "...";
  rows += "<tr><th>" + xml_escape(prefix) + "</th><td><code>" + xml_escape(text) + "</code></td></tr>\n";
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

}  // namespace

std::string html_page(std::string_view title, std::string_view body) {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  page += "<title>" + xml_escape(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  page += body;
  page += "</body>\n</html>\n";
  return page;
}

std::string json_table(const json& j) {
  std::string rows;
  flatten(j, "", rows);
  return "<table class=\"kv\">\n" + rows + "</table>\n";
}

std::vector<std::pair<std::string, std::string>> environment() {
  std::vector<std::pair<std::string, std::string>> env;
#ifdef NF_VERSION
  env.emplace_back("nasforge", NF_VERSION);
#endif
  env.emplace_back("CPU", cpu_model());
  env.emplace_back("CPU threads", std::to_string(cpu::max_threads()) + " (OMP_NUM_THREADS overrides)");
  std::string gpu;
  try {
    gpu = std::string(backend_for(Device::cuda(0)).name());
  } catch (const std::exception& e) {
    gpu = std::string("none (") + e.what() + ")";
  }
  env.emplace_back("GPU", gpu);
  env.emplace_back("compiler", __VERSION__);
  utsname u{};
  if (uname(&u) == 0) env.emplace_back("system", std::string(u.sysname) + " " + u.release + " " + u.machine);
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  env.emplace_back("report written", date);
  return env;
}

}  // namespace nf::tools
