// Progress of one training epoch. On a terminal a single status line
// ("epoch 3/10  batch 120/469  5120 img/s  ETA 0:42  loss 0.4123  acc 85.31%")
// is redrawn in place with \r (at most 10 times a second); elsewhere (a log
// file, a pipe) nothing is drawn during the epoch and only the summary line
// given to finish() is printed, so logs hold one line per epoch.
#pragma once
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace nf::tools {

bool stdout_is_tty();

class EpochProgress {
 public:
  EpochProgress(std::ostream& out, bool redraw, int64_t epoch, int64_t epochs, int64_t batches);

  // After batch `batch` (1-based): totals so far in this epoch.
  void update(int64_t batch, int64_t images, double loss_sum, int64_t correct);
  // Seconds since construction.
  double seconds() const;
  // Clears the status line (on a terminal) and prints `summary` on its own line.
  void finish(const std::string& summary);

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool redraw_;
  int64_t epoch_, epochs_, batches_;
  Clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

// "1:05:03" / "4:07": a duration in seconds for humans.
std::string format_duration(double seconds);

}  // namespace nf::tools
