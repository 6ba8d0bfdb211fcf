#include "dist/trial_pool.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "dist/comm.h"
#include "tensor/error.h"

namespace nf::dist {

using json = nlohmann::json;

namespace {

// Message tags between rank 0 and the workers.
constexpr int kTrialTag = 101;   // rank 0 -> worker: {"id", "genotype"}
constexpr int kResultTag = 102;  // worker -> rank 0: {"id", "eval"}
constexpr int kStopTag = 103;    // rank 0 -> worker: {}

nas::Evaluation failed(const std::string& reason) {
  nas::Evaluation e;
  e.failed = true;
  e.reason = reason;
  return e;
}

// evaluate(g), with any exception turned into a failed evaluation.
nas::Evaluation evaluate_safely(const nas::EvaluateFn& evaluate, const nas::Genotype& g, const std::string& where) {
  try {
    return evaluate(g);
  } catch (const std::exception& e) {
    return failed(where + e.what());
  } catch (...) {
    return failed(where + "unknown exception");
  }
}

}  // namespace

// --- LocalTrialPool -------------------------------------------------------------

void LocalTrialPool::start(int64_t id, const nas::Genotype& g) {
  NF_CHECK(queued_.empty(), "LocalTrialPool: start() while trial ", queued_.front().first, " has not been waited for");
  queued_.emplace_back(id, g);
}

std::pair<int64_t, nas::Evaluation> LocalTrialPool::wait() {
  NF_CHECK(!queued_.empty(), "LocalTrialPool: wait() without a started trial");
  auto [id, g] = std::move(queued_.back());
  queued_.clear();
  return {id, evaluate_safely(evaluate_, g, "")};
}

// --- MpiTrialPool ---------------------------------------------------------------

MpiTrialPool::MpiTrialPool() {
  NF_CHECK(rank() == 0, "MpiTrialPool: only rank 0 holds the pool (this is rank ", rank(), ")");
  NF_CHECK(size() >= 2, "MpiTrialPool: needs 2 or more ranks (rank 0 plans, the others train), got ", size());
  for (int r = size() - 1; r >= 1; --r) free_.push_back(r);  // rank 1 is handed out first
}

MpiTrialPool::~MpiTrialPool() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; the job is ending anyway
  }
}

void MpiTrialPool::start(int64_t id, const nas::Genotype& g) {
  NF_CHECK(!stopped_, "MpiTrialPool: start() after stop()");
  NF_CHECK(!free_.empty(), "MpiTrialPool: start() with all ", capacity(), " workers busy");
  const int worker = free_.back();
  free_.pop_back();
  busy_.emplace(worker, id);
  send_json({{"id", id}, {"genotype", g}}, worker, kTrialTag);
}

std::pair<int64_t, nas::Evaluation> MpiTrialPool::wait() {
  NF_CHECK(!busy_.empty(), "MpiTrialPool: wait() without a started trial");
  Message m = recv_json(kAnySource, kResultTag);
  auto it = busy_.find(m.source);
  NF_CHECK(it != busy_.end(), "MpiTrialPool: a result from rank ", m.source, ", which has no trial");
  const int64_t id = it->second;
  NF_CHECK(m.body.value("id", int64_t(-1)) == id, "MpiTrialPool: rank ", m.source, " answered trial ",
           m.body.value("id", json()).dump(), " but was training trial ", id);
  busy_.erase(it);
  free_.push_back(m.source);
  nas::Evaluation e;
  try {
    e = m.body.at("eval").get<nas::Evaluation>();
  } catch (const std::exception& ex) {
    e = failed("rank " + std::to_string(m.source) + " sent an unreadable result: " + ex.what());
  }
  return {id, e};
}

void MpiTrialPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (int r = 1; r < size(); ++r) send_json(json::object(), r, kStopTag);
}

// --- the worker side -------------------------------------------------------------

int64_t serve_trials(const nas::EvaluateFn& evaluate) {
  NF_CHECK(rank() != 0, "serve_trials: rank 0 holds the pool; call it on ranks 1..N-1");
  const std::string where = "rank " + std::to_string(rank()) + ": ";
  int64_t trained = 0;
  for (;;) {
    Message m = recv_json(0, kAnyTag);
    if (m.tag == kStopTag) return trained;
    NF_CHECK(m.tag == kTrialTag, "serve_trials: unexpected message tag ", m.tag, " from rank 0");
    const int64_t id = m.body.at("id").get<int64_t>();
    nas::Evaluation e;
    try {
      e = evaluate_safely(evaluate, m.body.at("genotype").get<nas::Genotype>(), where);
    } catch (const std::exception& ex) {  // the genotype itself did not parse
      e = failed(where + ex.what());
    }
    send_json({{"id", id}, {"eval", e}}, 0, kResultTag);
    ++trained;
  }
}

}  // namespace nf::dist
