// The multi-trial search of nas/search.h with several trials in flight: the
// loop that rank 0 of `mpirun -np N nasforge search` runs (and every other
// search of an MPI build, with a LocalTrialPool of one).
//
// As soon as the pool has a free slot the strategy is asked for the next
// genotype (asynchronous, as Real et al. 2019 ran regularized evolution);
// results are recorded and observed in the order they finish, so trial
// numbers in trials.jsonl are completion order. The strategies are the
// ask/tell ones of nas/strategy.h, unchanged.
//
// Cache and budget are handled here, never on a worker: a genotype trained
// before (same hash) is recorded as a cached trial without training; one that
// is training right now waits for that result and is then recorded as cached
// (so no genotype trains twice). A trial budget counts finished plus running
// trials, so exactly max_trials are recorded; a time budget is checked before
// each start (it is the sum of trial times, Experiment::seconds_spent), so up
// to capacity() - 1 trials more than a serial search may end after it.
//
// Durability: strategy.json is {"trials": n, "strategy": <Strategy::save()>,
// "pending": [genotypes]}, where pending lists the genotypes proposed but not
// yet observed (in proposal order; omitted when none). It is rewritten after
// each observed trial and after new proposals, before any of them can finish,
// so every trial in trials.jsonl either was observed by the saved strategy or
// is in its pending list. A resume (a fresh strategy, as for nas::run_search)
// loads the strategy, observes the recorded trials it had not seen, and trains
// the still-pending genotypes first: a kill loses no finished trial and trains
// no genotype twice. Files written by nas::run_search (no "pending", at most
// one unobserved trial, replayed by proposing again) resume here too.
#pragma once
#include "dist/trial_pool.h"
#include "nas/experiment.h"
#include "nas/search.h"
#include "nas/strategy.h"

namespace nf::dist {

// Runs the search in `experiment` until the budget is spent and no trial is
// running. `strategy` must be fresh (see nas::run_search). Throws nf::Error
// when the budget is empty or the experiment's files contradict each other.
// callbacks.on_trial_start gets the number the trial would have if trials
// finished in start order (its real one with one trial at a time).
void run_async_search(nas::Experiment& experiment, nas::Strategy& strategy, TrialPool& pool,
                      nas::SearchBudget budget, const nas::SearchCallbacks& callbacks = {});

}  // namespace nf::dist
