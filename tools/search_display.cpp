#include "tools/search_display.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "nas/notation.h"
#include "tools/progress.h"

namespace nf::tools {

std::string format_count(int64_t n) {
  char buf[32];
  if (n >= 1000000000)
    std::snprintf(buf, sizeof buf, "%.2fG", double(n) / 1e9);
  else if (n >= 1000000)
    std::snprintf(buf, sizeof buf, "%.2fM", double(n) / 1e6);
  else if (n >= 1000)
    std::snprintf(buf, sizeof buf, "%.1fk", double(n) / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

SearchDisplay::SearchDisplay(std::ostream& out, bool redraw, nas::SearchBudget budget)
    : out_(out), redraw_(redraw), budget_(budget) {}

void SearchDisplay::trial_started(int64_t trial) {
  trial_ = trial;
  trial_start_ = Clock::now();
  drawn_ = false;
}

void SearchDisplay::step(const nas::StepProgress& p) {
  if (!redraw_) return;
  const auto now = Clock::now();
  if (drawn_ && p.step < p.steps && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - trial_start_).count();
  char line[200];
  std::snprintf(line, sizeof line, "\r\033[2Ktrial %lld  training step %lld/%lld  loss %.4f  %s",
                static_cast<long long>(trial_ + 1), static_cast<long long>(p.step), static_cast<long long>(p.steps),
                p.loss, format_duration(elapsed).c_str());
  out_ << line << std::flush;
}

std::string SearchDisplay::budget_status(const nas::Experiment& e) const {
  const double spent = e.seconds_spent();
  const int64_t done = int64_t(e.trials().size());
  int64_t trained = 0;
  for (const auto& t : e.trials()) trained += t.cached ? 0 : 1;
  const double per_trial = trained > 0 ? spent / double(trained) : 0;
  double eta = 0;
  std::string used;
  if (budget_.max_seconds > 0) {
    eta = std::max(0.0, budget_.max_seconds - spent);
    used = format_duration(spent) + "/" + format_duration(budget_.max_seconds);
  }
  if (budget_.max_trials > 0) {
    const double by_trials = per_trial * double(std::max<int64_t>(0, budget_.max_trials - done));
    eta = budget_.max_seconds > 0 ? std::min(eta, by_trials) : by_trials;
    used += (used.empty() ? "" : ", ") + std::to_string(done) + "/" + std::to_string(budget_.max_trials) + " trials";
  }
  return used + ", ETA " + format_duration(eta);
}

void SearchDisplay::trial_finished(const nas::Experiment& e) {
  if (redraw_ && drawn_) out_ << "\r\033[2K";
  const nas::TrialRecord& t = e.trials().back();
  char head[64];
  std::snprintf(head, sizeof head, "trial %4lld  ", static_cast<long long>(t.trial + 1));
  std::string line = head;
  char buf[160];
  if (t.eval.failed) {
    line += "FAILED (" + t.eval.reason + ")";
  } else {
    std::snprintf(buf, sizeof buf, "val %6.2f%%%s  %7s params  %7s MACs  %6.2f ms  %5.1f s", 100 * t.eval.val_accuracy,
                  t.cached ? " (cached)" : "", format_count(t.eval.cost.params).c_str(),
                  format_count(t.eval.cost.macs).c_str(), t.eval.latency_ms, t.eval.seconds);
    line += buf;
  }
  if (auto b = e.best()) {
    std::snprintf(buf, sizeof buf, "  | best %.2f%% (trial %lld)", 100 * e.trials()[*b].eval.val_accuracy,
                  static_cast<long long>(*b + 1));
    line += buf;
  }
  line += "  | " + budget_status(e) + "  | " + nas::to_string(t.genotype);
  out_ << line << std::endl;
}

void SearchDisplay::summary(const nas::Experiment& e) {
  const auto b = e.best();
  out_ << "\nsearch finished: " << e.trials().size() << " trials, " << format_duration(e.seconds_spent())
       << " of training\n";
  if (!b) {
    out_ << "no trial succeeded; see " << (e.dir() / "trials.jsonl").string() << " for the reasons\n";
    return;
  }
  const nas::TrialRecord& t = e.trials()[*b];
  char buf[200];
  std::snprintf(buf, sizeof buf, "best: trial %lld, validation accuracy %.2f%%, %s params, %s MACs, %.2f ms\n",
                static_cast<long long>(t.trial + 1), 100 * t.eval.val_accuracy, format_count(t.eval.cost.params).c_str(),
                format_count(t.eval.cost.macs).c_str(), t.eval.latency_ms);
  out_ << buf << "genotype: " << nas::to_string(t.genotype) << "\n"
       << "results:  " << e.dir().string() << " (best.json, pareto.json, trials.jsonl)\n"
       << "retrain:  nasforge train --genotype " << (e.dir() / "best.json").string() << " --out "
       << (e.dir() / "retrain").string() << "\n";
}

}  // namespace nf::tools
