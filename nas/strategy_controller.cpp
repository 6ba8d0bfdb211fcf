#include "nas/strategy_controller.h"

#include <cmath>
#include <string>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nn/init.h"
#include "nn/rnn.h"
#include "tensor/factory.h"

namespace nf::nas {

namespace {
constexpr double kInitRange = 0.1;  // NASNet: controller weights U(-0.1, 0.1)
}

Controller::Controller(const std::vector<Decision>& decisions, ControllerOptions options, Generator& init)
    : Module("Controller"), options_(options) {
  const int64_t H = options.hidden_size;
  NF_CHECK(!decisions.empty(), "reinforce controller: the space has no decisions");
  NF_CHECK(H >= 1, "reinforce controller: hidden_size must be >= 1, got ", H);
  NF_CHECK(options.temperature > 0 && options.tanh_constant >= 0,
           "reinforce controller: need temperature > 0 and tanh_constant >= 0, got ", options.temperature, " and ",
           options.tanh_constant);
  int64_t rows = 1;
  for (size_t i = 0; i < decisions.size(); ++i) {
    num_options_.push_back(decisions[i].num_options());
    row_offset_.push_back(rows);
    if (i + 1 < decisions.size()) rows += decisions[i].num_options();
  }
  auto param = [&](const std::string& name, const Shape& shape) {
    Tensor t = register_parameter(name, empty(shape));
    nn::init::uniform_(t, -kInitRange, kInitRange, &init);
    return t;
  };
  embedding_ = param("embedding", {rows, H});
  w_ih_ = param("weight_ih", {4 * H, H});
  w_hh_ = param("weight_hh", {4 * H, H});
  b_ih_ = param("bias_ih", {4 * H});
  b_hh_ = param("bias_hh", {4 * H});
  for (size_t i = 0; i < decisions.size(); ++i) {
    head_w_.push_back(param("head" + std::to_string(i) + "_weight", {num_options_[i], H}));
    head_b_.push_back(param("head" + std::to_string(i) + "_bias", {num_options_[i]}));
  }
}

Tensor Controller::step(size_t i, int64_t row, std::vector<Tensor>& state) {
  nn::LSTMState s = nn::lstm_cell(embedding_.narrow(0, row, 1), {state[0], state[1]}, w_ih_, w_hh_, b_ih_, b_hh_);
  state = {s.h, s.c};
  Tensor logits = matmul(s.h, head_w_[i].t()) + head_b_[i];  // [1, n_i]
  if (options_.temperature != 1.0) logits = logits / options_.temperature;
  if (options_.tanh_constant > 0) logits = options_.tanh_constant * tanh(logits);
  return log_softmax(logits, 1);
}

Tokens Controller::sample(Generator& gen) {
  autograd::NoGradGuard no_grad;
  const int64_t H = options_.hidden_size;
  std::vector<Tensor> state{zeros({1, H}), zeros({1, H})};
  Tokens tokens(num_options_.size());
  int64_t row = 0;  // the start embedding
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::vector<float> logp = step(i, row, state).to_vector<float>();
    // Inverse CDF; the last option with mass absorbs rounding.
    const double u = gen.uniform();
    double cdf = 0;
    int chosen = -1;
    for (int k = 0; k < num_options_[i]; ++k) {
      double p = std::exp(double(logp[k]));
      if (p <= 0) continue;
      chosen = k;
      cdf += p;
      if (u < cdf) break;
    }
    NF_CHECK(chosen >= 0, "reinforce controller: decision ", i, " has no option with positive probability");
    tokens[i] = chosen;
    row = row_of(i, chosen);
  }
  return tokens;
}

Controller::Score Controller::score(std::span<const int> tokens) {
  NF_CHECK(tokens.size() == num_options_.size(), "reinforce controller: expected ", num_options_.size(),
           " tokens, got ", tokens.size());
  const int64_t H = options_.hidden_size;
  std::vector<Tensor> state{zeros({1, H}), zeros({1, H})};
  Tensor log_prob, entropy;
  int64_t row = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    NF_CHECK(tokens[i] >= 0 && tokens[i] < num_options_[i], "reinforce controller: token ", i, " is ", tokens[i],
             ", expected 0..", num_options_[i] - 1);
    Tensor logp = step(i, row, state);
    Tensor lp = logp.narrow(1, tokens[i], 1).sum();
    Tensor ent = -(exp(logp) * logp).sum();
    log_prob = log_prob.defined() ? log_prob + lp : lp;
    entropy = entropy.defined() ? entropy + ent : ent;
    row = row_of(i, tokens[i]);
  }
  return {log_prob, entropy};
}

}  // namespace nf::nas
