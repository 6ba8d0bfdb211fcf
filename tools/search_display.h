// What `nasforge search` prints: one line per finished trial (trial number,
// validation accuracy, best so far, cost, time, budget used and ETA, the
// genotype's notation) and, on a terminal, a status line redrawn in place while
// a trial trains. Logs and pipes get the per-trial lines only.
#pragma once
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "nas/evaluator.h"
#include "nas/experiment.h"
#include "nas/search.h"

namespace nf::tools {

class SearchDisplay {
 public:
  SearchDisplay(std::ostream& out, bool redraw, nas::SearchBudget budget);

  void trial_started(int64_t trial);
  void step(const nas::StepProgress& p);  // redraws the status line (at most 10 times a second)
  void trial_finished(const nas::Experiment& e);
  // The closing summary: best genotype, its accuracy and cost, where the files are.
  void summary(const nas::Experiment& e);

 private:
  using Clock = std::chrono::steady_clock;
  std::string budget_status(const nas::Experiment& e) const;  // "3:02/10:00, ETA 6:58"

  std::ostream& out_;
  bool redraw_;
  nas::SearchBudget budget_;
  int64_t trial_ = 0;
  Clock::time_point trial_start_, last_draw_;
  bool drawn_ = false;
};

// "105.3k", "12.4M": counts for humans.
std::string format_count(int64_t n);

}  // namespace nf::tools
