#include "tools/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ostream>

namespace nf::tools {

bool stdout_is_tty() { return isatty(STDOUT_FILENO) == 1; }

EpochProgress::EpochProgress(std::ostream& out, bool redraw, int64_t epoch, int64_t epochs, int64_t batches)
    : out_(out), redraw_(redraw), epoch_(epoch), epochs_(epochs), batches_(batches), start_(Clock::now()) {}

double EpochProgress::seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void EpochProgress::update(int64_t batch, int64_t images, double loss_sum, int64_t correct) {
  if (!redraw_ || images <= 0) return;
  const auto now = Clock::now();
  if (drawn_ && batch < batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double elapsed = seconds();
  const double rate = elapsed > 0 ? double(images) / elapsed : 0.0;
  const double eta = batch > 0 ? elapsed / double(batch) * double(batches_ - batch) : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "\r\033[2Kepoch %lld/%lld  batch %lld/%lld  %.0f img/s  ETA %s  loss %.4f  acc %.2f%%",
                static_cast<long long>(epoch_), static_cast<long long>(epochs_), static_cast<long long>(batch),
                static_cast<long long>(batches_), rate, format_duration(eta).c_str(), loss_sum / double(images),
                100.0 * double(correct) / double(images));
  out_ << line << std::flush;
}

void EpochProgress::finish(const std::string& summary) {
  if (redraw_ && drawn_) out_ << "\r\033[2K";
  out_ << summary << std::endl;
}

std::string format_duration(double seconds) {
  const long long s = std::isfinite(seconds) && seconds > 0 ? std::llround(seconds) : 0;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

}  // namespace nf::tools
