#include "nas/darts_search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nas/evaluator.h"
#include "nas/notation.h"
#include "nas/space.h"
#include "nas/supernet_darts.h"
#include "nas/supernet_nb201.h"
#include "nas/accuracy.h"
#include "nas/device_batch.h"
#include "nn/atomic_file.h"
#include "nn/checkpoint.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"

namespace nf::nas {

namespace fs = std::filesystem;
using json = nlohmann::json;

// --- options -----------------------------------------------------------------------

void to_json(json& j, const DartsSearchOptions& o) {
  j = {{"order", o.order},         {"epochs", o.epochs},       {"batch_size", o.batch_size},
       {"lr", o.lr},               {"lr_min", o.lr_min},       {"momentum", o.momentum},
       {"weight_decay", o.weight_decay}, {"grad_clip", o.grad_clip}, {"arch_lr", o.arch_lr},
       {"arch_beta1", o.arch_beta1}, {"arch_beta2", o.arch_beta2}, {"arch_weight_decay", o.arch_weight_decay},
       {"hessian_radius", o.hessian_radius}, {"seed", o.seed},
       {"on_nonfinite", nn::on_nonfinite_name(o.nonfinite.policy)},
       {"max_skipped_steps", o.nonfinite.max_consecutive_skips}};
}

void from_json(const json& j, DartsSearchOptions& o) {
  NF_CHECK(j.is_object(), "darts options: expected a JSON object");
  DartsSearchOptions out;
  auto integer = [&](const char* key, int64_t& field, int64_t min) {
    if (!j.contains(key)) return;
    NF_CHECK(j[key].is_number_integer() && j[key].get<int64_t>() >= min, "darts options: ", key,
             ": expected an integer >= ", min, ", got ", j[key].dump());
    field = j[key].get<int64_t>();
  };
  auto real = [&](const char* key, double& field, double min, double max) {
    if (!j.contains(key)) return;
    NF_CHECK(j[key].is_number() && j[key].get<double>() >= min && j[key].get<double>() <= max, "darts options: ",
             key, ": expected a number in [", min, ", ", max, "], got ", j[key].dump());
    field = j[key].get<double>();
  };
  integer("order", out.order, 1);
  NF_CHECK(out.order <= 2, "darts options: order: expected 1 or 2, got ", out.order);
  integer("epochs", out.epochs, 1);
  integer("batch_size", out.batch_size, 2);
  real("lr", out.lr, 1e-12, 100);
  real("lr_min", out.lr_min, 0, 100);
  real("momentum", out.momentum, 0, 0.999999);
  real("weight_decay", out.weight_decay, 0, 1);
  real("grad_clip", out.grad_clip, 0, 1e9);
  real("arch_lr", out.arch_lr, 1e-12, 100);
  real("arch_beta1", out.arch_beta1, 0, 0.999999);
  real("arch_beta2", out.arch_beta2, 0, 0.999999);
  real("arch_weight_decay", out.arch_weight_decay, 0, 1);
  real("hessian_radius", out.hessian_radius, 1e-12, 1);
  if (j.contains("seed")) {
    NF_CHECK(j["seed"].is_number_unsigned(), "darts options: seed: expected a non-negative integer");
    out.seed = j["seed"].get<uint64_t>();
  }
  if (j.contains("on_nonfinite")) {  // absent in experiments made before the policy existed: fail
    NF_CHECK(j["on_nonfinite"].is_string(), "darts options: on_nonfinite: expected \"fail\" or \"skip\"");
    out.nonfinite.policy = nn::parse_on_nonfinite(j["on_nonfinite"].get<std::string>(), "darts options: on_nonfinite");
  }
  integer("max_skipped_steps", out.nonfinite.max_consecutive_skips, 1);
  o = out;
}

// --- the bilevel optimiser -------------------------------------------------------------

namespace {

// d(loss)/d(inputs) without touching .grad(); an input the loss does not use gets zeros.
std::vector<Tensor> grads_of(const Tensor& loss, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> g = autograd::grad({loss}, inputs, {}, false, /*allow_unused=*/true);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined()) g[i] = zeros_like(inputs[i]);
  return g;
}

// Freezes tensors (requires_grad off) for a scope: the weight step needs no α gradient.
class FrozenScope {
 public:
  explicit FrozenScope(const std::vector<Tensor>& ts) : ts_(ts) {
    for (Tensor& t : ts_) t.requires_grad_(false);
  }
  ~FrozenScope() {
    for (Tensor& t : ts_) t.requires_grad_(true);
  }
  FrozenScope(const FrozenScope&) = delete;
  FrozenScope& operator=(const FrozenScope&) = delete;

 private:
  std::vector<Tensor> ts_;
};

double squared_norm(const std::vector<Tensor>& ts) {
  double sq = 0;
  for (const Tensor& t : ts) sq += raw::sum(raw::unary(UnaryOp::square, t)).item();
  return sq;
}

// w_i = base_i + scale * v_i, in place.
void set_shifted(const std::vector<Tensor>& w, const std::vector<Tensor>& base, const std::vector<Tensor>& v,
                 double scale) {
  for (size_t i = 0; i < w.size(); ++i) {
    raw::copy_(w[i], base[i]);
    if (scale != 0) raw::add_(w[i], v[i], scale);
  }
}

std::vector<Tensor> clones(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(raw::clone(t.detach()));
  return out;
}

}  // namespace

BilevelOptimizer::BilevelOptimizer(SupernetImpl& net, const DartsSearchOptions& o)
    : net_(net),
      options_(o),
      weights_(net.weight_parameters()),
      alphas_(net.arch_parameters()),
      weight_opt_(weights_, {.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay}),
      arch_opt_(alphas_, {.lr = o.arch_lr, .beta1 = o.arch_beta1, .beta2 = o.arch_beta2,
                          .weight_decay = o.arch_weight_decay}),
      arch_guard_(o.nonfinite),
      weight_guard_(o.nonfinite) {
  NF_CHECK(!alphas_.empty(), "darts search: the supernet has no architecture parameters");
  NF_CHECK(o.order == 1 || o.order == 2, "darts search: order must be 1 or 2, got ", o.order);
}

double BilevelOptimizer::xi() const { return options_.order == 2 ? weight_opt_.lr() : 0.0; }

bool BilevelOptimizer::finite_on_all_ranks(double value) const {
  std::vector<double> bad = {std::isfinite(value) ? 0.0 : 1.0};
  if (options_.sum_over_ranks) options_.sum_over_ranks(bad);  // every rank must take the same decision
  return bad[0] == 0;
}

bool BilevelOptimizer::accept(nn::NonFiniteGuard& guard, double loss, const std::vector<Tensor>& params,
                              double max_norm, const char* half) {
  // The gradients are already the mean over ranks, so the guard's gradient
  // check agrees everywhere; a loss that is finite here but not on another
  // rank is passed as NaN.
  const double checked_loss = finite_on_all_ranks(loss) ? loss : std::nan("");
  switch (guard.check_step(checked_loss, params, max_norm)) {
    case nn::NonFiniteGuard::Verdict::step:
      return true;
    case nn::NonFiniteGuard::Verdict::skip:
      buffers_->restore();
      return false;
    case nn::NonFiniteGuard::Verdict::fail:
      break;
  }
  NF_FAIL("darts search: ", half, " step: ", guard.reason());
}

ArchGradient BilevelOptimizer::arch_gradient(const Tensor& x_train, const Tensor& y_train, const Tensor& x_val,
                                             const Tensor& y_val, double xi) {
  ArchGradient out;
  auto val_loss = [&] {
    Tensor logits = net_.forward(x_val);
    Tensor loss = cross_entropy(logits, y_val);
    out.val_loss = loss.item();
    out.val_correct = count_correct(logits, y_val);
    return loss;
  };
  // Data parallel: each gradient below that feeds an update becomes the whole batch's.
  auto reduce = [&](std::vector<Tensor>& grads, const Tensor& labels) {
    if (options_.reduce_gradients) options_.reduce_gradients(grads, labels.size(0));
  };
  if (xi == 0) {  // first order: grad_α L_val(w, α)
    out.grads = grads_of(val_loss(), alphas_);
    reduce(out.grads, y_val);
    return out;
  }

  // Second order. Keep w and the BN statistics to restore them exactly.
  const std::vector<Tensor> w0 = clones(weights_);
  const std::vector<Tensor> buffers = net_.buffers(), buffers0 = clones(buffers);
  {
    // The virtual SGD step: w' = w - xi (g + weight_decay w + momentum buf).
    std::vector<Tensor> g = grads_of(cross_entropy(net_.forward(x_train), y_train), weights_);
    reduce(g, y_train);  // w' is the same on every rank
    const optim::NamedTensors bufs = weight_opt_.state_tensors();  // "<i>.momentum_buffer", in weights_ order
    for (size_t i = 0; i < weights_.size(); ++i) {
      raw::add_(weights_[i], g[i], -xi);
      if (options_.weight_decay != 0) raw::add_(weights_[i], w0[i], -xi * options_.weight_decay);
      if (options_.momentum != 0) raw::add_(weights_[i], bufs[i].second, -xi * options_.momentum);
    }
  }  // the training gradient is freed here
  // grad_α and grad_w' of L_val(w', α) in one backward pass.
  std::vector<Tensor> inputs = alphas_;
  inputs.insert(inputs.end(), weights_.begin(), weights_.end());
  std::vector<Tensor> g = grads_of(val_loss(), inputs);
  reduce(g, y_val);  // so v, ||v|| and eps agree on every rank
  const std::vector<Tensor> v(g.begin() + std::ptrdiff_t(alphas_.size()), g.end());
  out.grads.assign(g.begin(), g.begin() + std::ptrdiff_t(alphas_.size()));
  g.clear();

  // (The in-place updates below are nf::raw ops: they record no graph.)
  const double norm = std::sqrt(squared_norm(v));
  if (norm > 0 && std::isfinite(norm)) {
    // Hessian-vector product (grad_α grad_w L_train) v by central differences at w ± eps v.
    const double eps = options_.hessian_radius / norm;
    auto train_alpha_grad = [&](double shift) {
      set_shifted(weights_, w0, v, shift);
      return grads_of(cross_entropy(net_.forward(x_train), y_train), alphas_);
    };
    const std::vector<Tensor> gp = train_alpha_grad(eps);
    const std::vector<Tensor> gn = train_alpha_grad(-eps);
    std::vector<Tensor> diff;  // grad_α L_train(w+) - grad_α L_train(w-): linear, so one reduction serves both
    diff.reserve(alphas_.size());
    for (size_t i = 0; i < alphas_.size(); ++i) diff.push_back(raw::sub(gp[i], gn[i]));
    reduce(diff, y_train);
    for (size_t i = 0; i < alphas_.size(); ++i) {
      out.grads[i] = raw::clone(out.grads[i]);
      raw::add_(out.grads[i], diff[i], -xi / (2 * eps));
    }
  }
  set_shifted(weights_, w0, v, 0);  // exactly w again
  for (size_t i = 0; i < buffers.size(); ++i) raw::copy_(buffers[i], buffers0[i]);
  return out;
}

BilevelStepStats BilevelOptimizer::step(const data::Batch& train, const data::Batch& val) {
  BilevelStepStats s;
  const bool may_skip = options_.nonfinite.policy == nn::OnNonFinite::skip;
  if (may_skip && !buffers_) buffers_.emplace(net_);
  // 1. α: Adam along the architecture gradient.
  if (may_skip) buffers_->save();
  ArchGradient ag = arch_gradient(train.images, train.labels, val.images, val.labels, xi());
  s.val_loss = ag.val_loss;
  s.val_correct = ag.val_correct;  // (data parallel: ag.grads are already the mean over ranks)
  arch_opt_.zero_grad();
  for (size_t i = 0; i < alphas_.size(); ++i) autograd::backward({alphas_[i]}, {ag.grads[i]});  // .grad = gradient
  ag.grads.clear();
  s.arch_skipped = !accept(arch_guard_, s.val_loss, alphas_, 0, "architecture");
  if (!s.arch_skipped) arch_opt_.step();
  arch_opt_.zero_grad();
  // 2. w: SGD on the training batch, α frozen (no α gradient to compute).
  FrozenScope frozen(alphas_);
  weight_opt_.zero_grad();
  if (may_skip) buffers_->save();
  Tensor logits = net_.forward(train.images);
  Tensor loss = cross_entropy(logits, train.labels);
  s.train_loss = loss.item();
  s.train_correct = count_correct(logits, train.labels);
  logits = Tensor();
  loss.backward();  // even when the loss is not finite: data parallel, every rank joins the reduction
  loss = Tensor();
  if (options_.reduce_gradients) {  // data parallel: every rank passes every weight's gradient
    std::vector<Tensor> grads;
    for (const Tensor& w : weights_) {
      if (!w.grad().defined()) autograd::backward({w}, {zeros_like(w)});
      grads.push_back(w.grad());
    }
    options_.reduce_gradients(grads, train.labels.size(0));
  }
  // Clips to grad_clip (when > 0) and checks the loss and the gradients.
  s.weights_skipped = !accept(weight_guard_, s.train_loss, weights_, options_.grad_clip, "weight");
  if (!s.weights_skipped) weight_opt_.step();
  weight_opt_.zero_grad();
  return s;
}

// --- the search ---------------------------------------------------------------------------

namespace {

data::LoaderOptions loader_options(const DartsSearchOptions& o, const data::Dataset& set,
                                   const data::Transform& transform, uint64_t seed) {
  // BatchNorm needs more than one row per batch: drop a short last batch when there are full ones.
  return {.batch_size = o.batch_size, .shuffle = true, .drop_last = set.size() >= o.batch_size, .seed = seed,
          .transform = transform};
}

const DartsData& checked(const DartsData& d) {
  NF_CHECK(d.train && d.train->size() >= 2, "darts search: the weight half of the training data needs 2+ examples");
  NF_CHECK(d.val && d.val->size() >= 2, "darts search: the architecture half of the training data needs 2+ examples");
  return d;
}

const DartsSearchOptions& checked(const DartsSearchOptions& o) {
  DartsSearchOptions round_trip = json(o).get<DartsSearchOptions>();  // from_json validates
  (void)round_trip;
  return o;
}

}  // namespace

DartsSearch::DartsSearch(std::shared_ptr<SupernetImpl> net, DartsSearchOptions options, DartsData data)
    : net_(std::move(net)),
      options_(checked(options)),
      data_(checked(data)),
      opt_(*net_, options_),
      schedule_(opt_.weight_optimizer(), options_.epochs, options_.lr_min),
      train_loader_(data_.train, loader_options(options_, *data_.train, data_.transform, options_.seed)),
      val_loader_(data_.val, loader_options(options_, *data_.val, data_.transform, options_.seed + 1)) {}

int64_t DartsSearch::steps_per_epoch() const { return std::min(train_loader_.size(), val_loader_.size()); }

DartsEpoch DartsSearch::run_epoch(const std::function<void(const DartsStepProgress&)>& on_step) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  DartsEpoch out;
  out.epoch = epoch_ + 1;
  schedule_.set_epoch(epoch_);
  out.lr = opt_.weight_optimizer().lr();
  train_loader_.set_epoch(epoch_);
  val_loader_.set_epoch(epoch_);
  const int64_t steps = steps_per_epoch();
  net_->train();
  const Device device = net_->device();  // batches are made on the host; the supernet may be on a GPU
  DartsStepProgress p{.steps = steps};
  double val_loss_sum = 0;
  int64_t val_images = 0, val_correct = 0;
  auto val_it = val_loader_.begin();
  for (auto& batch : train_loader_) {
    if (p.step == steps || val_it == std::default_sentinel) break;
    const bool sharded = bool(options_.shard_batch);  // data parallel: this rank's rows only
    const data::Batch train_rows = sharded ? options_.shard_batch(batch) : data::Batch{};
    const data::Batch val_rows = sharded ? options_.shard_batch(*val_it) : data::Batch{};
    const data::Batch& train_batch = sharded ? train_rows : batch;
    const data::Batch& val_batch = sharded ? val_rows : *val_it;
    ++p.step;
    BilevelStepStats s;
    try {
      s = opt_.step(to_device(train_batch, device), to_device(val_batch, device));
    } catch (const Error& e) {
      NF_FAIL(e.what(), " at epoch ", out.epoch, " step ", p.step, "/", steps,
              "; the epoch is lost (the last checkpoint is kept); try a lower lr, or --on-nonfinite skip");
    }
    const int64_t n = train_batch.labels.size(0), nv = val_batch.labels.size(0);
    if (s.weights_skipped) {
      ++out.skipped_weight_steps;  // its loss (NaN or Inf) stays out of the epoch's means
    } else {
      p.images += n;
      p.loss_sum += s.train_loss * double(n);
      p.correct += s.train_correct;
    }
    if (s.arch_skipped) {
      ++out.skipped_arch_steps;
    } else {
      val_loss_sum += s.val_loss * double(nv);
      val_correct += s.val_correct;
      val_images += nv;
    }
    ++val_it;
    if (on_step) on_step(p);
  }
  ++epoch_;
  if (options_.sum_over_ranks) {  // data parallel: the epoch's totals over every rank's rows
    std::vector<double> t = {p.loss_sum,   double(p.images),   double(p.correct),
                             val_loss_sum, double(val_images), double(val_correct)};
    options_.sum_over_ranks(t);
    p.loss_sum = t[0];
    p.images = int64_t(t[1]);
    p.correct = int64_t(t[2]);
    val_loss_sum = t[3];
    val_images = int64_t(t[4]);
    val_correct = int64_t(t[5]);
  }
  out.steps = p.step;
  out.train_loss = p.images > 0 ? p.loss_sum / double(p.images) : 0;
  out.train_accuracy = p.images > 0 ? double(p.correct) / double(p.images) : 0;
  out.val_loss = val_images > 0 ? val_loss_sum / double(val_images) : 0;
  out.val_accuracy = val_images > 0 ? double(val_correct) / double(val_images) : 0;
  out.genotype = net_->derive();
  out.alphas = net_->alphas_json();
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

std::shared_ptr<nn::Module> DartsSearch::state_module() {
  auto holder = std::make_shared<nn::Module>("DartsSearchState");
  holder->register_module("net", net_);
  auto arch = std::make_shared<nn::Module>("ArchOptimizerState");
  for (const auto& [name, t] : opt_.arch_optimizer().state_tensors()) {
    std::string n = name;
    std::replace(n.begin(), n.end(), '.', '_');  // "3.exp_avg" -> "3_exp_avg": names may not hold dots
    arch->register_buffer(n, t);                 // shares Adam's live buffers, so loading restores them
  }
  holder->register_module("arch_optim", arch);
  return holder;
}

void DartsSearch::save(const std::string& path) {
  std::map<std::string, std::string> meta = {{"epoch", std::to_string(epoch_)}};
  for (const auto& [key, value] : opt_.arch_optimizer().state_metadata()) meta["arch_optim." + key] = value;
  nn::save_state(path, *state_module(), &opt_.weight_optimizer(), meta);
}

void DartsSearch::load(const std::string& path) {
  const auto meta = nn::load_state(path, *state_module(), &opt_.weight_optimizer());
  optim::Metadata arch;
  for (const auto& [key, value] : meta)
    if (key.rfind("arch_optim.", 0) == 0) arch[key.substr(11)] = value;
  opt_.arch_optimizer().load_metadata(arch);
  auto it = meta.find("epoch");
  NF_CHECK(it != meta.end() && !it->second.empty() && it->second.find_first_not_of("0123456789") == std::string::npos,
           "darts search: ", path, " has no valid epoch in its metadata");
  epoch_ = std::stoll(it->second);
}

std::shared_ptr<SupernetImpl> make_supernet(const json& space, const NetworkConfig& network) {
  const std::string name = space.is_object() ? space.value("space", std::string()) : std::string();
  if (name == "darts") return std::make_shared<DartsSupernetImpl>(network);
  if (name == "nb201") return std::make_shared<Nb201SupernetImpl>(network);
  NF_FAIL("darts search: space '", name, "' has no supernet (darts or nb201)");
}

// --- the experiment directory ------------------------------------------------------------

namespace {

json read_json(const fs::path& path) {
  std::ifstream in(path);
  NF_CHECK(in.good(), "darts search: cannot read ", path.string());
  json j = json::parse(in, nullptr, false);
  NF_CHECK(!j.is_discarded() && j.is_object(), "darts search: ", path.string(), " is not a JSON object");
  return j;
}

// Keeps the lines of epochs <= `epochs`; drops later ones and a torn last line. Returns the kept lines.
std::vector<json> truncate_log(const fs::path& path, int64_t epochs) {
  std::vector<json> kept;
  std::string text;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object() && j.value("epoch", int64_t{0}) >= 1 &&
          j.value("epoch", int64_t{0}) <= epochs) {
        kept.push_back(j);
        text += line + "\n";
      }
    }
  }
  nn::write_file_atomic(path.string(), text);
  return kept;
}

void append_line(const fs::path& path, const json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
  NF_CHECK(out.flush().good(), "darts search: cannot append to ", path.string());
}

// best.json in the multi-trial format (nas/experiment.cpp), from a genotypes.jsonl line.
void write_best(const fs::path& dir, const json& config, const json& line) {
  json best = {{"trial", line.at("epoch").get<int64_t>() - 1},
               {"epoch", line.at("epoch")},
               {"notation", line.at("notation")},
               {"val_accuracy", line.at("val_accuracy")},
               {"params", line.at("params")},
               {"macs", line.at("macs")},
               {"latency_ms", line.at("latency_ms")},
               {"genotype", line.at("genotype")},
               {"space", config.value("space", json::object())},
               {"network", config.value("network", json::object())},
               {"data", config.value("data", json::object())}};
  nn::write_file_atomic((dir / "best.json").string(), best.dump(2) + "\n");
}

}  // namespace

void create_darts_experiment(const fs::path& dir, const json& config) {
  NF_CHECK(config.is_object(), "darts search: the config must be a JSON object");
  NF_CHECK(!fs::exists(dir / "config.json"), "darts search: ", dir.string(),
           " already holds an experiment; continue it with --resume or choose another directory");
  std::error_code ec;
  fs::create_directories(dir, ec);
  NF_CHECK(!ec, "darts search: cannot create ", dir.string(), ": ", ec.message());
  nn::write_file_atomic((dir / "config.json").string(), config.dump(2) + "\n");
  nn::write_file_atomic((dir / "alphas.jsonl").string(), "");
  nn::write_file_atomic((dir / "genotypes.jsonl").string(), "");
}

int64_t resume_darts_experiment(const fs::path& dir, DartsSearch& search) {
  const json config = read_json(dir / "config.json");
  const fs::path ckpt = dir / "checkpoint.safetensors";
  if (fs::exists(ckpt)) search.load(ckpt.string());
  const int64_t done = search.epochs_done();
  truncate_log(dir / "alphas.jsonl", done);
  const std::vector<json> epochs = truncate_log(dir / "genotypes.jsonl", done);
  if (!epochs.empty()) write_best(dir, config, epochs.back());
  return done;
}

void record_darts_epoch(const fs::path& dir, const json& config, DartsSearch& search, const DartsEpoch& e) {
  // The derived network's cost, built as `nasforge train` would; the global
  // generator is put back so the search's random stream does not depend on it.
  const auto space = make_space(config.at("space"));
  const NetworkConfig network = config.at("network").get<NetworkConfig>();
  const Generator saved = default_generator();
  Cost cost;
  double latency = 0;
  {
    auto built = space->build(e.genotype, network);
    cost = measure_cost(*built, network.image_shape);
    latency = measure_latency_ms(*built, network.image_shape, 3);
  }
  default_generator() = saved;

  json alphas = e.alphas;
  alphas["epoch"] = e.epoch;
  append_line(dir / "alphas.jsonl", alphas);
  const json line = {{"epoch", e.epoch},
                     {"genotype", e.genotype},
                     {"notation", to_string(e.genotype)},
                     {"train_loss", e.train_loss},
                     {"train_accuracy", e.train_accuracy},
                     {"val_loss", e.val_loss},
                     {"val_accuracy", e.val_accuracy},
                     {"lr", e.lr},
                     {"seconds", e.seconds},
                     {"steps", e.steps},
                     {"seconds_per_step", e.steps > 0 ? e.seconds / double(e.steps) : 0.0},
                     {"skipped_arch_steps", e.skipped_arch_steps},
                     {"skipped_weight_steps", e.skipped_weight_steps},
                     {"params", cost.params},
                     {"macs", cost.macs},
                     {"latency_ms", latency}};
  append_line(dir / "genotypes.jsonl", line);
  write_best(dir, config, line);
  // Last: a crash before this line redoes the epoch, and the resume drops its log lines.
  search.save((dir / "checkpoint.safetensors").string());
}

void run_darts_search(const fs::path& dir, const json& config, DartsSearch& search,
                      const std::function<void(const DartsStepProgress&)>& on_step,
                      const std::function<void(const DartsEpoch&)>& on_epoch) {
  while (search.epochs_done() < search.options().epochs) {
    const DartsEpoch e = search.run_epoch(on_step);
    record_darts_epoch(dir, config, search, e);
    if (on_epoch) on_epoch(e);
  }
}

}  // namespace nf::nas
