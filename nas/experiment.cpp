#include "nas/experiment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "nas/notation.h"
#include "nn/atomic_file.h"
#include "tensor/error.h"

namespace nf::nas {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  NF_CHECK(in.good(), "experiment: cannot read ", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

json parse_object(const std::string& text, const fs::path& path) {
  json j = json::parse(text, nullptr, false);
  NF_CHECK(!j.is_discarded() && j.is_object(), "experiment: ", path.string(), " is not a valid JSON object");
  return j;
}

// Appends one line and fsyncs, so a finished trial survives a crash right after.
void append_durably(const fs::path& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  NF_CHECK(fd >= 0, "experiment: cannot open ", path.string(), ": ", std::strerror(errno));
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      NF_FAIL("experiment: cannot append to ", path.string(), ": ", std::strerror(err));
    }
    done += size_t(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  NF_CHECK(synced, "experiment: cannot sync ", path.string(), ": ", std::strerror(errno));
}

// a dominates b: at least as good on every objective and better on one.
bool dominates(const Evaluation& a, const Evaluation& b) {
  const bool no_worse = a.val_accuracy >= b.val_accuracy && a.cost.params <= b.cost.params &&
                        a.cost.macs <= b.cost.macs;
  const bool better = a.val_accuracy > b.val_accuracy || a.cost.params < b.cost.params || a.cost.macs < b.cost.macs;
  return no_worse && better;
}

json summary(const TrialRecord& r) {
  return {{"trial", r.trial},
          {"notation", to_string(r.genotype)},
          {"val_accuracy", r.eval.val_accuracy},
          {"params", r.eval.cost.params},
          {"macs", r.eval.cost.macs},
          {"latency_ms", r.eval.latency_ms}};
}

}  // namespace

void to_json(json& j, const TrialRecord& r) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash(r.genotype)));
  j = {{"trial", r.trial}, {"genotype", r.genotype}, {"hash", hex}, {"notation", to_string(r.genotype)}};
  j.update(json(r.eval));
  if (r.cached) j["cached"] = true;
}

void from_json(const json& j, TrialRecord& r) {
  NF_CHECK(j.is_object(), "trial record: expected a JSON object");
  NF_CHECK(j.contains("trial") && j["trial"].is_number_integer() && j["trial"].get<int64_t>() >= 0,
           "trial record: trial: expected a non-negative integer");
  NF_CHECK(j.contains("genotype"), "trial record: genotype: missing");
  TrialRecord out;
  out.trial = j["trial"].get<int64_t>();
  out.genotype = j["genotype"].get<Genotype>();
  out.eval = j.get<Evaluation>();
  if (j.contains("cached")) {
    NF_CHECK(j["cached"].is_boolean(), "trial record: cached: expected true or false");
    out.cached = j["cached"].get<bool>();
  }
  r = std::move(out);
}

Experiment Experiment::create(const fs::path& dir, const json& config) {
  NF_CHECK(config.is_object(), "experiment: the config must be a JSON object");
  NF_CHECK(!fs::exists(dir / "config.json") && !fs::exists(dir / "trials.jsonl"), "experiment: ", dir.string(),
           " already holds an experiment; continue it with --resume or choose another directory");
  std::error_code ec;
  fs::create_directories(dir, ec);
  NF_CHECK(!ec, "experiment: cannot create ", dir.string(), ": ", ec.message());
  nn::write_file_atomic((dir / "config.json").string(), config.dump(2) + "\n");
  nn::write_file_atomic((dir / "trials.jsonl").string(), "");
  return Experiment(dir, config);
}

Experiment Experiment::open(const fs::path& dir) {
  const fs::path config_path = dir / "config.json", trials_path = dir / "trials.jsonl";
  NF_CHECK(fs::exists(config_path), "experiment: no config.json in ", dir.string(), " (not an experiment directory)");
  Experiment e(dir, parse_object(read_file(config_path), config_path));
  if (!fs::exists(trials_path)) return e;
  const std::string text = read_file(trials_path);
  const size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete < text.size()) fs::resize_file(trials_path, complete);  // a line torn by a crash
  std::istringstream lines(text.substr(0, complete));
  std::string line;
  for (int64_t number = 1; std::getline(lines, line); ++number) {
    try {
      json j = json::parse(line);
      TrialRecord r = j.get<TrialRecord>();
      NF_CHECK(r.trial == int64_t(e.trials_.size()), "trial ", r.trial, " out of order (expected ",
               e.trials_.size(), ")");
      e.add(std::move(r));
    } catch (const std::exception& ex) {
      NF_FAIL("experiment: ", trials_path.string(), " line ", number, ": ", ex.what());
    }
  }
  return e;
}

void Experiment::set_config(const json& config) {
  NF_CHECK(config.is_object(), "experiment: the config must be a JSON object");
  nn::write_file_atomic((dir_ / "config.json").string(), config.dump(2) + "\n");
  config_ = config;
}

void Experiment::add(TrialRecord r) {
  trials_.push_back(std::move(r));
  const TrialRecord& t = trials_.back();
  if (!t.eval.failed && (!best_ || t.eval.val_accuracy > trials_[*best_].eval.val_accuracy))
    best_ = trials_.size() - 1;
}

std::vector<size_t> Experiment::pareto_front() const {
  std::vector<size_t> front;
  for (size_t i = 0; i < trials_.size(); ++i) {
    const TrialRecord& t = trials_[i];
    if (t.eval.failed || t.cached) continue;  // a cached trial repeats an earlier one
    bool beaten = false;
    for (size_t k = 0; k < trials_.size() && !beaten; ++k)
      beaten = !trials_[k].eval.failed && dominates(trials_[k].eval, t.eval);
    if (!beaten) front.push_back(i);
  }
  std::stable_sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return trials_[a].eval.val_accuracy > trials_[b].eval.val_accuracy;
  });
  return front;
}

double Experiment::seconds_spent() const {
  double s = 0;
  for (const TrialRecord& t : trials_) s += t.eval.seconds;
  return s;
}

void Experiment::append(const TrialRecord& r) {
  NF_CHECK(r.trial == int64_t(trials_.size()), "experiment: appending trial ", r.trial, " after ", trials_.size(),
           " trials");
  append_durably(dir_ / "trials.jsonl", json(r).dump() + "\n");
  add(r);
  write_summaries();
}

void Experiment::write_summaries() const {
  if (best_) {
    const TrialRecord& b = trials_[*best_];
    json best = summary(b);
    best["genotype"] = b.genotype;
    best["space"] = config_.value("space", json::object());
    best["network"] = config_.value("network", json::object());
    best["data"] = config_.value("data", json::object());
    nn::write_file_atomic((dir_ / "best.json").string(), best.dump(2) + "\n");
  }
  json front = json::array();
  for (size_t i : pareto_front()) front.push_back(summary(trials_[i]));
  nn::write_file_atomic((dir_ / "pareto.json").string(),
                        json{{"objectives", {"val_accuracy (max)", "params (min)", "macs (min)"}}, {"trials", front}}
                                .dump(2) + "\n");
}

std::optional<json> Experiment::strategy_state() const {
  const fs::path path = dir_ / "strategy.json";
  if (!fs::exists(path)) return std::nullopt;
  return parse_object(read_file(path), path);
}

void Experiment::save_strategy_state(const json& state) {
  nn::write_file_atomic((dir_ / "strategy.json").string(), state.dump() + "\n");
}

}  // namespace nf::nas
