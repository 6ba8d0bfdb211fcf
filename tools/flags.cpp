#include "tools/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "tensor/error.h"

namespace nf::tools {

Flags::Flags(std::string command, std::vector<std::string> args)
    : command_(std::move(command)), args_(std::move(args)), used_(args_.size(), false) {}

bool Flags::take_value(const std::string& name, std::string& value) {
  known_.push_back("--" + name);
  const std::string flag = "--" + name, prefix = flag + "=";
  bool found = false;
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    if (args_[i] == flag) {
      NF_CHECK(i + 1 < args_.size(), "nasforge ", command_, ": ", flag, " needs a value");
      used_[i] = used_[i + 1] = true;
      value = args_[i + 1];
    } else if (args_[i].rfind(prefix, 0) == 0) {
      used_[i] = true;
      value = args_[i].substr(prefix.size());
    } else {
      continue;
    }
    NF_CHECK(!found, "nasforge ", command_, ": ", flag, " given more than once");
    found = true;
  }
  return found;
}

std::string Flags::text(const std::string& name, const std::string& fallback) {
  std::string v;
  return take_value(name, v) ? v : fallback;
}

int64_t Flags::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  std::string v;
  if (!take_value(name, v)) return fallback;
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(v.c_str(), &end, 10);
  NF_CHECK(!v.empty() && *end == '\0' && errno == 0, "nasforge ", command_, ": --", name,
           " expects an integer, got '", v, "'");
  NF_CHECK(x >= min && x <= max, "nasforge ", command_, ": --", name, " must be in [", min, ", ",
           max, "], got ", x);
  return x;
}

double Flags::real(const std::string& name, double fallback, double min, double max) {
  std::string v;
  if (!take_value(name, v)) return fallback;
  errno = 0;
  char* end = nullptr;
  double x = std::strtod(v.c_str(), &end);
  NF_CHECK(!v.empty() && *end == '\0' && errno == 0 && std::isfinite(x), "nasforge ", command_,
           ": --", name, " expects a number, got '", v, "'");
  NF_CHECK(x >= min && x <= max, "nasforge ", command_, ": --", name, " must be in [", min, ", ",
           max, "], got ", x);
  return x;
}

bool Flags::has(const std::string& name) {
  known_.push_back("--" + name);
  bool found = false;
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i] || args_[i] != "--" + name) continue;
    used_[i] = true;
    found = true;
  }
  return found;
}

std::vector<std::string> Flags::positionals() {
  std::vector<std::string> out;
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i] || args_[i].rfind("--", 0) == 0) continue;
    used_[i] = true;
    out.push_back(args_[i]);
  }
  return out;
}

void Flags::finish() {
  for (size_t i = 0; i < args_.size(); ++i) {
    if (used_[i]) continue;
    std::string valid;
    for (const auto& k : known_) valid += (valid.empty() ? "" : ", ") + k;
    if (args_[i].rfind("--", 0) == 0)
      NF_FAIL("nasforge ", command_, ": unknown flag ", args_[i].substr(0, args_[i].find('=')),
              valid.empty() ? std::string(" (this command takes no flags)") : " (valid: " + valid + ")");
    NF_FAIL("nasforge ", command_, ": unexpected argument '", args_[i], "'");
  }
}

}  // namespace nf::tools
