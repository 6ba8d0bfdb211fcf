// Where the trials of an asynchronous search (dist/async_search.h) train:
// in this process, one at a time (LocalTrialPool), or on MPI ranks 1..N-1,
// one trial per rank at a time (MpiTrialPool on rank 0, serve_trials on the others).
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "nas/evaluator.h"
#include "nas/genotype.h"
#include "nas/search.h"

namespace nf::dist {

class TrialPool {
 public:
  virtual ~TrialPool() = default;
  // Trials that may train at once (>= 1).
  virtual int64_t capacity() const = 0;
  // Starts training g as trial `id`; at most capacity() trials are started and
  // not yet returned by wait().
  virtual void start(int64_t id, const nas::Genotype& g) = 0;
  // Waits until a started trial has finished; returns its id and evaluation.
  // A trial whose evaluation throws comes back as a failed evaluation whose
  // reason carries the message; the pool keeps working.
  virtual std::pair<int64_t, nas::Evaluation> wait() = 0;
};

// Trains in this process: start() queues, wait() evaluates (so the caller's
// callbacks, e.g. a progress display, run on this thread).
class LocalTrialPool final : public TrialPool {
 public:
  explicit LocalTrialPool(nas::EvaluateFn evaluate) : evaluate_(std::move(evaluate)) {}
  int64_t capacity() const override { return 1; }
  void start(int64_t id, const nas::Genotype& g) override;
  std::pair<int64_t, nas::Evaluation> wait() override;

 private:
  nas::EvaluateFn evaluate_;
  std::vector<std::pair<int64_t, nas::Genotype>> queued_;
};

// Rank 0's view of ranks 1..N-1, each running serve_trials(). A free worker
// gets the next trial at once; results come back in whatever order the
// workers finish. Messages: {"id", "genotype"} to a worker, {"id", "eval"}
// back, and a stop message (stop(), also sent by the destructor).
class MpiTrialPool final : public TrialPool {
 public:
  MpiTrialPool();  // needs MPI with 2+ ranks; call on rank 0 only
  ~MpiTrialPool() override;
  MpiTrialPool(const MpiTrialPool&) = delete;
  MpiTrialPool& operator=(const MpiTrialPool&) = delete;

  int64_t capacity() const override { return int64_t(free_.size() + busy_.size()); }
  void start(int64_t id, const nas::Genotype& g) override;
  std::pair<int64_t, nas::Evaluation> wait() override;
  // Tells every worker to return from serve_trials (once; trials still
  // running are not waited for).
  void stop();

 private:
  std::vector<int> free_;         // worker ranks without a trial
  std::map<int, int64_t> busy_;   // worker rank -> trial id
  bool stopped_ = false;
};

// A worker rank's loop: trains the genotypes rank 0 sends with `evaluate`
// until rank 0 says stop; returns the number of trials it trained.
int64_t serve_trials(const nas::EvaluateFn& evaluate);

}  // namespace nf::dist
