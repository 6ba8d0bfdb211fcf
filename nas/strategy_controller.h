// The REINFORCE controller (Zoph & Le 2017; Zoph et al. 2018, NASNet): an LSTM
// that emits one token per decision of a search space, in decisions() order.
//
//   step 0 input: a learned start embedding; step i > 0: the embedding of the
//   token chosen at step i-1 (each decision has its own embedding rows, as its
//   options differ) -> LSTMCell (hidden H) -> head_i: Linear(H, n_i) -> logits
//   [1, n_i] -> / temperature -> tanh_constant * tanh(.) (when > 0) -> softmax.
//
// Logit clipping with C * tanh (Bello et al. 2017) keeps the policy from
// collapsing early; NASNet used C = 2.5. Every parameter starts U(-0.1, 0.1)
// (NASNet's initialisation), drawn from the generator given to the constructor.
#pragma once
#include <span>
#include <vector>

#include "nas/space.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace nf::nas {

struct ControllerOptions {
  int64_t hidden_size = 64;    // H, also the embedding size
  double temperature = 1.0;    // > 0; 1 = plain logits
  double tanh_constant = 2.5;  // >= 0; 0 = no clipping
};

class Controller : public nn::Module {
 public:
  Controller(const std::vector<Decision>& decisions, ControllerOptions options, Generator& init);

  // One token per decision drawn from the policy with `gen` (one uniform per
  // decision); records no graph.
  Tokens sample(Generator& gen);

  struct Score {
    Tensor log_prob;  // 0-d: sum over decisions of log p(token_i | tokens_<i)
    Tensor entropy;   // 0-d: sum over decisions of the entropy of step i's distribution
  };
  // The policy's score of a given token sequence (teacher forcing), with a graph
  // when grad mode is on.
  Score score(std::span<const int> tokens);

 private:
  // Feeds embedding row `row` to the LSTM (updating `state`) and returns decision
  // i's log-probabilities [1, n_i].
  Tensor step(size_t i, int64_t row, std::vector<Tensor>& state);
  // The embedding row of decision i's token t (as the input of step i + 1).
  int64_t row_of(size_t i, int t) const { return row_offset_[i] + t; }

  std::vector<int> num_options_;
  std::vector<int64_t> row_offset_;
  ControllerOptions options_;
  Tensor embedding_;                  // [1 + sum of n_i over all decisions but the last, H]; row 0 = start
  Tensor w_ih_, w_hh_, b_ih_, b_hh_;  // LSTMCell weights [4H, H], [4H, H], [4H], [4H]
  std::vector<Tensor> head_w_, head_b_;  // [n_i, H], [n_i]
};

}  // namespace nf::nas
