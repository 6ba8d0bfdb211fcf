// Multi-trial strategies (nas/strategy*.h) on a synthetic objective with a known
// optimum: a hidden target token per decision, objective = fraction of decisions
// matching it + small seeded noise. Evolution and REINFORCE must beat random search
// on average over seeds at equal budget; random search never repeats; evolution's
// population ages; failed trials are harmless; a resumed strategy proposes exactly
// what an uninterrupted one does; bad options and states give errors naming the field.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "nas/space.h"
#include "nas/space_darts.h"
#include "nas/space_macro.h"
#include "nas/space_nb201.h"
#include "nas/strategy.h"
#include "nas/strategy_evolution.h"
#include "nas/strategy_random.h"
#include "nas/strategy_reinforce.h"
#include "tensor/error.h"

using namespace nf;
using namespace nf::nas;
using nlohmann::json;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// The controller's ops are tiny: threads would only add overhead.
void run_serially() {
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

// A hidden target token per decision, drawn from `seed`.
class MatchObjective {
 public:
  MatchObjective(const SearchSpace& space, uint64_t seed) : space_(space), noise_seed_(seed) {
    Generator gen(seed * 1000003 + 17);
    for (const Decision& d : space.decisions()) target_.push_back(static_cast<int>(gen.randint(d.num_options())));
  }
  int matches(const Genotype& g) const {
    Tokens t = space_.encode(g);
    int n = 0;
    for (size_t i = 0; i < t.size(); ++i) n += t[i] == target_[i];
    return n;
  }
  // In [0, 1.01): the match fraction plus noise that is a fixed function of the genotype.
  TrialResult operator()(const Genotype& g) const {
    double noise = 0.01 * philox_uniform(noise_seed_, hash(g));
    return {double(matches(g)) / double(target_.size()) + noise, false, ""};
  }

 private:
  const SearchSpace& space_;
  uint64_t noise_seed_;
  Tokens target_;
};

// `trials` sequential propose/observe rounds; returns the best match count seen.
int best_matches(Strategy& s, const MatchObjective& f, int trials) {
  int best = 0;
  for (int t = 0; t < trials; ++t) {
    Genotype g = s.propose();
    s.observe(g, f(g));
    best = std::max(best, f.matches(g));
  }
  return best;
}

// Proposes `k` at once (as parallel workers would), then observes them in reverse
// order, `rounds` times; every 5th result fails. Returns the proposals.
std::vector<Genotype> drive(Strategy& s, const MatchObjective& f, int rounds, int k = 3) {
  std::vector<Genotype> proposals;
  for (int r = 0; r < rounds; ++r) {
    std::vector<Genotype> batch;
    for (int i = 0; i < k; ++i) batch.push_back(s.propose());
    for (int i = k - 1; i >= 0; --i) {
      TrialResult res = f(batch[i]);
      if ((proposals.size() + i) % 5 == 4) res = {0, true, "diverged"};
      s.observe(batch[i], res);
    }
    proposals.insert(proposals.end(), batch.begin(), batch.end());
  }
  return proposals;
}

}  // namespace

// --- beating random search -------------------------------------------------------

TEST(Strategy, EvolutionAndReinforceBeatRandomSearchOnNb201) {
  run_serially();
  Nb201Space space;
  constexpr int kSeeds = 10, kBudget = 200;
  double random_sum = 0, evolution_sum = 0, reinforce_sum = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    MatchObjective f(space, seed);
    auto random = make_strategy("random", space, {{"budget", kBudget}}, seed);
    auto evolution = make_strategy("evolution", space, {{"budget", kBudget}}, seed);
    auto reinforce = make_strategy("reinforce", space, {{"budget", kBudget}}, seed);
    random_sum += best_matches(*random, f, kBudget);
    evolution_sum += best_matches(*evolution, f, kBudget);
    reinforce_sum += best_matches(*reinforce, f, kBudget);
  }
  const double random_mean = random_sum / kSeeds, evolution_mean = evolution_sum / kSeeds,
               reinforce_mean = reinforce_sum / kSeeds;
  std::printf("mean best matches of 6 over %d seeds, %d trials: random %.2f, evolution %.2f, reinforce %.2f\n",
              kSeeds, kBudget, random_mean, evolution_mean, reinforce_mean);
  EXPECT_GT(evolution_mean, random_mean);
  EXPECT_GT(reinforce_mean, random_mean);
}

// --- random search --------------------------------------------------------------------

TEST(RandomSearch, NeverRepeatsAndStartsANewPassWhenTheSpaceIsExhausted) {
  Nb201Space nb201;
  RandomSearch large(nb201, {}, 3);
  std::unordered_set<uint64_t> seen;
  for (int t = 0; t < 500; ++t) EXPECT_TRUE(seen.insert(hash(large.propose())).second) << "trial " << t;

  // 64 genotypes: rejection alone would often fail near the end; enumeration must not.
  MacroSpace tiny({.num_layers = 1});
  ASSERT_EQ(tiny.size().exact, std::optional<uint64_t>(64));
  for (int64_t retries : {int64_t(0), int64_t(100)}) {
    RandomSearch s(tiny, {.max_retries = retries}, 5);
    std::unordered_set<uint64_t> pass;
    for (int t = 0; t < 64; ++t) EXPECT_TRUE(pass.insert(hash(s.propose())).second) << "retries " << retries;
    std::unordered_set<uint64_t> second;
    for (int t = 0; t < 64; ++t) EXPECT_TRUE(second.insert(hash(s.propose())).second) << "second pass";
    EXPECT_EQ(s.num_proposed(), 128);
  }
}

// --- regularized evolution -----------------------------------------------------------------

TEST(RegularizedEvolution, DefaultSizesScaleWithTheBudget) {
  auto sizes = [](const json& options) {
    auto o = RegularizedEvolutionOptions::from_json(options);
    return std::pair{o.population_size, o.sample_size};
  };
  EXPECT_EQ(sizes(json::object()), std::pair(int64_t(100), int64_t(25)));
  EXPECT_EQ(sizes({{"budget", 200}}), std::pair(int64_t(50), int64_t(12)));
  EXPECT_EQ(sizes({{"budget", 20}}), std::pair(int64_t(10), int64_t(2)));
  EXPECT_EQ(sizes({{"budget", 100000}}), std::pair(int64_t(100), int64_t(25)));
  EXPECT_EQ(sizes({{"budget", 200}, {"population_size", 8}}), std::pair(int64_t(8), int64_t(2)));
  EXPECT_EQ(sizes({{"population_size", 30}, {"sample_size", 30}}), std::pair(int64_t(30), int64_t(30)));
}

TEST(RegularizedEvolution, PopulationAgesAndChildrenAreOneMutationFromAMember) {
  Nb201Space space;
  MatchObjective f(space, 7);
  constexpr int64_t P = 10;
  RegularizedEvolution s(space, {.population_size = P, .sample_size = 3}, 11);
  std::vector<std::pair<Genotype, double>> observed;  // arrival order
  for (int round = 0; round < 30; ++round) {
    // Two proposals in flight at once, observed in reverse order.
    std::vector<Genotype> batch{s.propose(), s.propose()};
    if (s.num_proposed() > P) {
      for (const Genotype& child : batch) {
        Tokens c = space.encode(child);
        bool one_away = false;
        for (const auto& m : s.population()) {
          Tokens p = space.encode(m.genotype);
          int diff = 0;
          for (size_t i = 0; i < c.size(); ++i) diff += c[i] != p[i];
          one_away = one_away || diff == 1;
        }
        EXPECT_TRUE(one_away) << "round " << round;
      }
    }
    for (int i = 1; i >= 0; --i) {
      TrialResult r = f(batch[i]);
      s.observe(batch[i], r);
      observed.emplace_back(batch[i], r.objective);
      // The population is exactly the last P arrivals, oldest first.
      const auto& pop = s.population();
      ASSERT_EQ(static_cast<int64_t>(pop.size()), std::min<int64_t>(P, observed.size()));
      const size_t first = observed.size() - pop.size();
      for (size_t k = 0; k < pop.size(); ++k) {
        EXPECT_EQ(pop[k].genotype, observed[first + k].first);
        EXPECT_EQ(pop[k].result.objective, observed[first + k].second);
      }
    }
  }
}

TEST(RegularizedEvolution, FailedMembersLoseEveryTournament) {
  Nb201Space space;
  // S = P with 2 members: over many proposals every tournament that drew the
  // successful member must mutate it, never the failed one.
  RegularizedEvolution s(space, {.population_size = 2, .sample_size = 2}, 3);
  Genotype good = s.propose(), bad = s.propose();
  s.observe(bad, {std::numeric_limits<double>::quiet_NaN(), false, ""});  // non-finite counts as failed
  s.observe(good, {0.5, false, ""});
  Tokens gt = space.encode(good), bt = space.encode(bad);
  int from_good = 0;
  for (int t = 0; t < 50; ++t) {
    Tokens c = space.encode(s.propose());
    int dg = 0, db = 0;
    for (size_t i = 0; i < c.size(); ++i) dg += c[i] != gt[i], db += c[i] != bt[i];
    from_good += dg == 1;
    EXPECT_TRUE(dg == 1 || db == 1);
  }
  // Only the tournaments that drew `bad` twice (1/4 of them) mutate it.
  EXPECT_GT(from_good, 25);
  EXPECT_TRUE(s.save()["state"]["population"][0]["failed"].get<bool>());
}

// --- REINFORCE ---------------------------------------------------------------------------------

TEST(Reinforce, BaselineIsAnEmaAndFailuresGetTheLowestReward) {
  run_serially();
  Nb201Space space;
  Reinforce s(space, {.hidden_size = 8, .baseline_decay = 0.9}, 1);
  EXPECT_FALSE(s.baseline().has_value());
  Genotype g = s.propose();
  s.observe(g, {0, true, "out of memory"});  // no success yet: reward 0
  EXPECT_DOUBLE_EQ(*s.baseline(), 0.0);
  s.observe(s.propose(), {0.5, false, ""});
  EXPECT_DOUBLE_EQ(*s.baseline(), 0.05);
  s.observe(s.propose(), {0.3, false, ""});
  EXPECT_DOUBLE_EQ(*s.baseline(), 0.9 * 0.05 + 0.1 * 0.3);
  s.observe(s.propose(), {std::numeric_limits<double>::infinity(), false, ""});  // failure: lowest reward 0.3
  EXPECT_DOUBLE_EQ(*s.baseline(), 0.9 * (0.9 * 0.05 + 0.1 * 0.3) + 0.1 * 0.3);
  EXPECT_EQ(s.num_updates(), 4);

  Reinforce batched(space, {.hidden_size = 8, .batch_size = 3}, 1);
  for (int t = 0; t < 7; ++t) batched.observe(batched.propose(), {0.1 * t, false, ""});
  EXPECT_EQ(batched.num_updates(), 2);
}

TEST(Reinforce, ControllerHandlesDecisionsOfDifferentSizes) {
  run_serially();
  DartsSpace darts;
  MatchObjective f(darts, 2);
  auto s = make_strategy("reinforce", darts, {{"hidden_size", 16}, {"batch_size", 2}}, 9);
  for (int t = 0; t < 6; ++t) {
    Genotype g = s->propose();
    validate(g);
    s->observe(g, f(g));
  }
  EXPECT_EQ(s->num_observed(), 6);
}

// --- failed trials, foreign genotypes -------------------------------------------------------

TEST(Strategy, FailedTrialsAreObservedWithoutCrashing) {
  run_serially();
  Nb201Space space;
  for (const char* name : {"random", "evolution", "reinforce"}) {
    auto s = make_strategy(name, space, {{"budget", 40}}, 4);
    for (int t = 0; t < 40; ++t) {
      Genotype g = s->propose();
      TrialResult r;
      if (t % 3 == 0) r = {0, true, "loss is NaN"};
      else if (t % 3 == 1) r = {std::numeric_limits<double>::quiet_NaN(), false, ""};
      else r = {0.1 * (t % 7), false, ""};
      EXPECT_NO_THROW(s->observe(g, r)) << name << " trial " << t;
    }
    EXPECT_EQ(s->num_observed(), 40) << name;
    EXPECT_NO_THROW(s->save().dump()) << name;  // NaN never reaches the JSON
  }
}

TEST(Strategy, ObservingAGenotypeOfAnotherSpaceThrows) {
  Nb201Space nb201;
  DartsSpace darts;
  Generator gen(1);
  Genotype foreign = darts.sample(gen);
  for (const char* name : {"random", "evolution", "reinforce"}) {
    auto s = make_strategy(name, nb201, json::object(), 1);
    EXPECT_NE(error_of([&] { s->observe(foreign, {0.5, false, ""}); }).find("expected a nb201 genotype"),
              std::string::npos)
        << name;
  }
}

// --- resume ------------------------------------------------------------------------------------

TEST(Strategy, ResumedSearchProposesExactlyWhatAnUninterruptedOneDoes) {
  run_serially();
  Nb201Space nb201;
  DartsSpace darts({.include_none = false});
  struct Case {
    const char* name;
    const SearchSpace* space;
    json options;
  };
  const std::vector<Case> cases = {
      {"random", &nb201, json::object()},
      {"evolution", &nb201, {{"population_size", 12}, {"sample_size", 4}}},
      {"evolution", &darts, {{"budget", 40}}},
      {"reinforce", &nb201, {{"hidden_size", 16}}},
      {"reinforce", &darts, {{"hidden_size", 8}, {"batch_size", 4}, {"temperature", 2.0}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name) + " on " + c.space->config().dump());
    MatchObjective f(*c.space, 5);
    auto uninterrupted = make_strategy(c.name, *c.space, c.options, 21);
    auto first = make_strategy(c.name, *c.space, c.options, 21);
    std::vector<Genotype> expected = drive(*uninterrupted, f, 10);
    std::vector<Genotype> got = drive(*first, f, 5);
    // Through text, as a checkpoint file would; into a strategy with another seed.
    json state = json::parse(first->save().dump());
    first.reset();
    auto resumed = make_strategy(c.name, *c.space, c.options, 999);
    resumed->load(state);
    EXPECT_EQ(resumed->num_proposed(), 15);
    // drive() fails every 5th result by position: keep the positions aligned.
    std::vector<Genotype> rest;
    for (int r = 0; r < 5; ++r) {
      std::vector<Genotype> batch;
      for (int i = 0; i < 3; ++i) batch.push_back(resumed->propose());
      for (int i = 2; i >= 0; --i) {
        TrialResult res = f(batch[i]);
        if ((got.size() + rest.size() + i) % 5 == 4) res = {0, true, "diverged"};
        resumed->observe(batch[i], res);
      }
      rest.insert(rest.end(), batch.begin(), batch.end());
    }
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got.size(), expected.size());
    for (size_t t = 0; t < got.size(); ++t) EXPECT_EQ(got[t], expected[t]) << "proposal " << t;
    EXPECT_EQ(resumed->save(), uninterrupted->save());
  }
}

TEST(Strategy, LoadRejectsForeignStatesAndLeavesTheStrategyUnchanged) {
  run_serially();
  Nb201Space nb201;
  MacroSpace macro;
  MatchObjective f(nb201, 1);
  auto evo = make_strategy("evolution", nb201, {{"population_size", 10}}, 1);
  auto rl = make_strategy("reinforce", nb201, {{"hidden_size", 8}}, 1);
  drive(*evo, f, 4);
  drive(*rl, f, 4);
  const json evo_state = evo->save(), rl_state = rl->save();

  auto fresh_rl = make_strategy("reinforce", nb201, {{"hidden_size", 8}}, 2);
  const json before = fresh_rl->save();
  EXPECT_NE(error_of([&] { fresh_rl->load(evo_state); }).find("saved by the \"evolution\" strategy"),
            std::string::npos);
  auto other_options = make_strategy("reinforce", nb201, {{"hidden_size", 16}}, 2);
  EXPECT_NE(error_of([&] { other_options->load(rl_state); }).find("reinforce strategy state: options: saved with"),
            std::string::npos);
  auto other_space = make_strategy("reinforce", macro, {{"hidden_size", 8}}, 2);
  EXPECT_NE(error_of([&] { other_space->load(rl_state); }).find("space: saved for space"), std::string::npos);

  json corrupt = rl_state;
  corrupt["state"]["controller"]["weight_hh"]["data"] = "AAA";
  EXPECT_NE(error_of([&] { fresh_rl->load(corrupt); }).find("state.controller.weight_hh.data: not valid base64"),
            std::string::npos);
  corrupt = rl_state;
  corrupt["state"]["controller"]["head0_bias"]["shape"] = {4};
  EXPECT_NE(error_of([&] { fresh_rl->load(corrupt); }).find("state.controller.head0_bias.shape: expected [5], got [4]"),
            std::string::npos);
  corrupt = rl_state;
  corrupt["state"]["optimizer"]["metadata"]["type"] = "SGD";
  EXPECT_NE(error_of([&] { fresh_rl->load(corrupt); }).find("cannot load the state of a SGD optimizer"),
            std::string::npos);
  corrupt = rl_state;
  corrupt["rng"]["offset"] = -1;
  EXPECT_NE(error_of([&] { fresh_rl->load(corrupt); }).find("rng.offset: expected a non-negative integer"),
            std::string::npos);
  EXPECT_EQ(fresh_rl->save(), before);

  auto fresh_evo = make_strategy("evolution", nb201, {{"population_size", 10}}, 2);
  json bad_member = evo_state;
  bad_member["state"]["population"][2]["genotype"]["ops"][0] = "conv_7x7";
  EXPECT_NE(error_of([&] { fresh_evo->load(bad_member); }).find("state.population[2].genotype"), std::string::npos);
  auto small_evo = make_strategy("evolution", nb201, {{"population_size", 10}}, 2);
  json too_many = evo_state;
  for (int i = 0; i < 10; ++i) too_many["state"]["population"].push_back(evo_state["state"]["population"][0]);
  EXPECT_NE(error_of([&] { small_evo->load(too_many); }).find("more than population_size 10"), std::string::npos);
}

// --- options ---------------------------------------------------------------------------------------

TEST(Strategy, InvalidOptionsNameTheOption) {
  Nb201Space space;
  auto err = [&](const char* name, const json& options) {
    return error_of([&] { make_strategy(name, space, options, 0); });
  };
  EXPECT_EQ(err("annealing", json::object()),
            "make_strategy: unknown strategy \"annealing\" (expected random, evolution or reinforce)");
  EXPECT_EQ(err("evolution", {{"popsize", 10}}),
            "evolution strategy options: popsize: unknown option (expected population_size, sample_size, budget)");
  EXPECT_EQ(err("evolution", {{"population_size", "ten"}}),
            "evolution strategy options: population_size: expected an integer >= 2, got \"ten\"");
  EXPECT_EQ(err("evolution", {{"population_size", 1}}),
            "evolution strategy options: population_size: expected an integer >= 2, got 1");
  EXPECT_EQ(err("evolution", {{"population_size", 10}, {"sample_size", 11}}),
            "evolution strategy options: sample_size: expected an integer in 1..population_size (10), got 11");
  EXPECT_EQ(err("random", {{"budget", 0}}), "random strategy options: budget: expected a positive integer, got 0");
  EXPECT_EQ(err("random", {{"max_retries", -1}}),
            "random strategy options: max_retries: expected an integer >= 0, got -1");
  EXPECT_EQ(err("random", json::array()), "random strategy options: expected an object, got []");
  EXPECT_EQ(err("reinforce", {{"lr", -0.1}}), "reinforce strategy options: lr: expected a number > 0, got -0.1");
  EXPECT_EQ(err("reinforce", {{"baseline_decay", 1}}),
            "reinforce strategy options: baseline_decay: expected a number in [0, 1), got 1");
  EXPECT_EQ(err("reinforce", {{"temperature", 0}}),
            "reinforce strategy options: temperature: expected a number > 0, got 0");
  EXPECT_EQ(err("reinforce", {{"hidden_size", 1.5}}),
            "reinforce strategy options: hidden_size: expected an integer in 1..4096, got 1.5");
  EXPECT_EQ(err("reinforce", {{"batch_size", 0}}),
            "reinforce strategy options: batch_size: expected an integer >= 1, got 0");
  EXPECT_NE(err("reinforce", {{"entropy", 0.1}}).find("reinforce strategy options: entropy: unknown option"),
            std::string::npos);
}

TEST(Strategy, OptionsRecordTheResolvedValues) {
  Nb201Space space;
  EXPECT_EQ(make_strategy("evolution", space, {{"budget", 200}})->options(),
            json({{"population_size", 50}, {"sample_size", 12}}));
  EXPECT_EQ(make_strategy("random", space)->options(), json({{"max_retries", 100}}));
  json rl = make_strategy("reinforce", space, {{"tanh_constant", 0}})->options();
  EXPECT_EQ(rl["tanh_constant"], 0.0);
  EXPECT_EQ(rl["hidden_size"], 64);
  EXPECT_EQ(rl["baseline_decay"], 0.95);
}
