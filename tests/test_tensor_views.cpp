// The nf::raw front end over views and copies: view/reshape (incl. -1 and
// impossible views), transpose/permute/slice/narrow/expand/squeeze/unsqueeze/
// select share storage and index correctly, contiguous() copies only when
// needed, cat/stack, broadcasting of raw::binary, in-place writes through
// views, error messages, and printing.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_kernel_check.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using namespace nf;
using nf::testing::expect_error;

// f32 tensor holding 0, 1, 2, ... in row-major order.
Tensor iota(const Shape& shape) {
  return raw::view(arange(0.0, double(shape_numel(shape)), 1.0, {DType::f32}), shape);
}

std::vector<float> vals(const Tensor& t) { return t.to_vector<float>(); }

bool shares(const Tensor& a, const Tensor& b) { return a.storage() == b.storage(); }

// --- view / reshape ---------------------------------------------------------------

TEST(View, InfersMinusOneAndSharesStorage) {
  Tensor x = iota({2, 3, 4});
  Tensor v = raw::view(x, {4, -1});
  EXPECT_EQ(v.shape(), (Shape{4, 6}));
  EXPECT_EQ(v.strides(), (Strides{6, 1}));
  EXPECT_TRUE(v.same_data(x));
  EXPECT_EQ(vals(v), vals(x));
  EXPECT_EQ(raw::view(x, {-1}).shape(), (Shape{24}));
  EXPECT_EQ(raw::view(x, {2, -1, 2}).shape(), (Shape{2, 6, 2}));
}

TEST(View, ScalarsAndEmptyTensors) {
  Tensor s = scalar_tensor(4.0);
  EXPECT_EQ(raw::view(s, {1}).shape(), (Shape{1}));
  EXPECT_EQ(raw::view(s, {1, 1, 1}).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(raw::view(raw::view(s, {1}), {}).item(), 4.0);
  Tensor e = zeros({0, 3});
  EXPECT_EQ(raw::view(e, {-1, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(raw::view(e, {3, 0, 5}).shape(), (Shape{3, 0, 5}));
  expect_error([&] { raw::view(e, {0, -1}); }, {"view", "[0,3]", "[0,-1]"});
}

TEST(View, BadShapesNameOpAndShapes) {
  Tensor x = iota({2, 3, 4});
  expect_error([&] { raw::view(x, {5, 5}); }, {"view: cannot view [2,3,4]", "24 elements", "[5,5]"});
  expect_error([&] { raw::view(x, {-1, -1}); }, {"view", "only one dimension can be -1"});
  expect_error([&] { raw::view(x, {-2, 12}); }, {"view", "invalid size -2"});
  expect_error([&] { raw::view(x, {5, -1}); }, {"view", "[2,3,4]", "[5,-1]"});
  expect_error([&] { raw::reshape(x, {7, -1}); }, {"reshape", "[2,3,4]", "[7,-1]"});
}

TEST(View, ImpossibleOnTransposedTensorButReshapeCopies) {
  Tensor x = iota({3, 4});
  Tensor t = raw::transpose(x, 0, 1);  // [4,3], strides [1,4]
  expect_error([&] { raw::view(t, {12}); },
               {"view: cannot view [4,3]", "strides [1,4]", "[12]", "without a copy"});
  Tensor r = raw::reshape(t, {12});
  EXPECT_FALSE(shares(r, x));
  EXPECT_EQ(vals(r), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // Splitting or adding unit dims keeps aliasing possible.
  Tensor split = raw::view(t, {2, 2, 3});
  EXPECT_TRUE(shares(split, x));
  EXPECT_EQ(split.at({1, 0, 2}), x.at({2, 2}));
  EXPECT_TRUE(shares(raw::view(t, {4, 1, 3, 1}), x));
  // A contiguous input reshapes without a copy.
  EXPECT_TRUE(raw::reshape(x, {2, 6}).same_data(x));
}

TEST(View, OfSlices) {
  // Columns 0 and 2 of a [3,4]: offsets 0,2,...,10 are evenly spaced, so a
  // flat view with stride 2 exists.
  Tensor x = iota({3, 4});
  Tensor s = raw::slice(x, 1, 0, 4, 2);
  EXPECT_EQ(s.strides(), (Strides{4, 2}));
  Tensor flat = raw::view(s, {6});
  EXPECT_TRUE(shares(flat, x));
  EXPECT_EQ(flat.strides(), (Strides{2}));
  EXPECT_EQ(vals(flat), (std::vector<float>{0, 2, 4, 6, 8, 10}));
  // Columns 0..1 leave gaps between rows: no flat view, but unit dims are fine.
  Tensor n = raw::narrow(x, 1, 0, 2);
  expect_error([&] { raw::view(n, {6}); }, {"view: cannot view [3,2]", "strides [4,1]", "without a copy"});
  Tensor u = raw::view(n, {3, 1, 2, 1});
  EXPECT_TRUE(shares(u, x));
  EXPECT_EQ(vals(u), (std::vector<float>{0, 1, 4, 5, 8, 9}));
  EXPECT_EQ(vals(raw::reshape(n, {6})), (std::vector<float>{0, 1, 4, 5, 8, 9}));
  // Columns 0,2,4 of a [3,5]: stride 2 within a row, 5 between rows.
  Tensor s5 = raw::slice(iota({3, 5}), 1, 0, 5, 2);
  expect_error([&] { raw::view(s5, {9}); }, {"view: cannot view [3,3]", "strides [5,2]"});
}

// Storage offsets of t's elements in row-major logical order.
std::vector<int64_t> element_offsets(const Tensor& t) {
  std::vector<int64_t> out;
  std::vector<int64_t> idx(t.dim(), 0);
  for (int64_t k = 0; k < t.numel(); ++k) {
    int64_t off = t.offset();
    for (int64_t d = 0; d < t.dim(); ++d) off += idx[d] * t.stride(d);
    out.push_back(off);
    for (int64_t d = t.dim() - 1; d >= 0 && ++idx[d] == t.size(d); --d) idx[d] = 0;
  }
  return out;
}

// Brute-force oracle: t's elements can be seen as `target` without a copy iff
// every target dim advances the storage offset by one constant stride.
bool aliasable(const Tensor& t, const Shape& target) {
  const std::vector<int64_t> off = element_offsets(t);
  const Strides flat = contiguous_strides(target);
  Strides st(target.size(), 0);
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] > 1) st[i] = off[flat[i]] - off[0];
  for (int64_t k = 0; k < int64_t(off.size()); ++k) {
    int64_t expect = off[0], rem = k;
    for (size_t i = 0; i < target.size(); ++i) {
      expect += (rem / flat[i]) * st[i];
      rem %= flat[i];
    }
    if (expect != off[k]) return false;
  }
  return true;
}

// Random views of random strided tensors against the oracle: view() succeeds
// exactly when an alias exists, and then reads the values of a contiguous copy.
TEST(View, RandomViewsMatchBruteForceOracle) {
  std::mt19937_64 rng(2024);
  auto pick = [&](int64_t n) { return int64_t(rng() % uint64_t(n)); };
  int viewed = 0, refused = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    Shape shape(1 + pick(4));
    for (auto& d : shape) d = 1 + pick(4);
    Tensor t = iota(shape);
    for (int op = 0; op < 3; ++op) {
      const int64_t d = pick(t.dim());
      switch (pick(3)) {
        case 0: t = raw::transpose(t, d, pick(t.dim())); break;
        case 1: t = raw::slice(t, d, pick(2), t.size(d), 1 + pick(2)); break;
        default: t = raw::unsqueeze(t, pick(t.dim() + 1)); break;
      }
    }
    // A target shape: the numel split into random factors, with unit dims.
    Shape target;
    int64_t rest = t.numel();
    for (int64_t f = 2; f <= rest;) {
      if (rest % f == 0 && pick(2)) {
        target.push_back(f);
        rest /= f;
      } else if (rest % f != 0) {
        ++f;
      } else if (pick(3) == 0) {
        target.push_back(1);
      }
    }
    if (rest != 1) target.push_back(rest);
    if (pick(2)) target.insert(target.begin() + pick(int64_t(target.size()) + 1), 1);
    SCOPED_TRACE(shape_str(t.shape()) + " strides " + shape_str(t.strides()) + " -> " + shape_str(target));
    Tensor v;
    try {
      v = raw::view(t, target);
    } catch (const Error&) {
      ++refused;
      ASSERT_FALSE(aliasable(t, target));
      continue;
    }
    ++viewed;
    ASSERT_TRUE(aliasable(t, target));
    ASSERT_TRUE(shares(v, t));
    ASSERT_EQ(vals(v), vals(raw::contiguous(t)));
  }
  EXPECT_GT(viewed, 100);
  EXPECT_GT(refused, 20);
}

TEST(View, FlattenRanges) {
  Tensor x = iota({2, 3, 4, 5});
  EXPECT_EQ(raw::flatten(x).shape(), (Shape{120}));
  EXPECT_EQ(raw::flatten(x, 1).shape(), (Shape{2, 60}));
  EXPECT_EQ(raw::flatten(x, 1, 2).shape(), (Shape{2, 12, 5}));
  EXPECT_EQ(raw::flatten(x, -2).shape(), (Shape{2, 3, 20}));
  EXPECT_TRUE(raw::flatten(x, 1).same_data(x));
  expect_error([&] { raw::flatten(x, 2, 1); }, {"flatten", "start_dim 2", "end_dim 1"});
}

// --- other views ----------------------------------------------------------------------

TEST(Views, TransposeAndPermuteValues) {
  Tensor x = iota({2, 3, 4});
  Tensor t = raw::transpose(x, 0, 2);
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(t.strides(), (Strides{1, 4, 12}));
  EXPECT_TRUE(t.same_data(x));
  EXPECT_FALSE(t.is_contiguous());
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(t.at({k, j, i}), x.at({i, j, k}));
  Tensor p = raw::permute(x, {1, 2, 0});
  EXPECT_EQ(p.shape(), (Shape{3, 4, 2}));
  EXPECT_EQ(p.at({2, 1, 1}), x.at({1, 2, 1}));
  EXPECT_TRUE(raw::permute(p, {2, 0, 1}).is_contiguous());  // the inverse permutation
  EXPECT_EQ(raw::transpose(x, -1, -2).shape(), (Shape{2, 4, 3}));
  expect_error([&] { raw::permute(x, {0, 1, 1}); }, {"permute", "repeated"});
  expect_error([&] { raw::permute(x, {0, 1}); }, {"permute", "2 dims", "[2,3,4]"});
  expect_error([&] { raw::transpose(x, 0, 3); }, {"transpose", "dim 3 out of range"});
}

TEST(Views, SliceWithStepAndClamping) {
  Tensor x = iota({10});
  Tensor s = raw::slice(x, 0, 1, 8, 3);
  EXPECT_EQ(vals(s), (std::vector<float>{1, 4, 7}));
  EXPECT_EQ(s.stride(0), 3);
  EXPECT_EQ(s.offset(), 1);
  EXPECT_TRUE(shares(s, x));
  EXPECT_EQ(vals(raw::slice(x, 0, -3, 100)), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(vals(raw::slice(x, 0, 0, 10, 4)), (std::vector<float>{0, 4, 8}));
  EXPECT_EQ(raw::slice(x, 0, 6, 2).numel(), 0);  // empty, not an error
  // Slicing a slice composes offsets and strides.
  EXPECT_EQ(vals(raw::slice(s, 0, 1, 3)), (std::vector<float>{4, 7}));
  Tensor m = iota({4, 5});
  EXPECT_EQ(vals(raw::slice(raw::slice(m, 0, 1, 4, 2), 1, 1, 5, 3)), (std::vector<float>{6, 9, 16, 19}));
  expect_error([&] { raw::slice(x, 0, 0, 5, 0); }, {"slice", "step must be positive", "0"});
  expect_error([&] { raw::slice(x, 1, 0, 1); }, {"slice", "dim 1 out of range"});
}

TEST(Views, NarrowAndSelect) {
  Tensor x = iota({4, 3});
  Tensor n = raw::narrow(x, 0, 1, 2);
  EXPECT_EQ(vals(n), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(n.is_contiguous());
  EXPECT_TRUE(shares(n, x));
  EXPECT_EQ(vals(raw::narrow(x, 1, 2, 1)), (std::vector<float>{2, 5, 8, 11}));
  expect_error([&] { raw::narrow(x, 0, 2, 3); }, {"narrow", "[2, 5)", "dim 0", "[4,3]"});
  Tensor row = raw::select(x, 0, -1);
  EXPECT_EQ(row.shape(), (Shape{3}));
  EXPECT_EQ(vals(row), (std::vector<float>{9, 10, 11}));
  Tensor col = raw::select(x, 1, 1);
  EXPECT_EQ(col.stride(0), 3);
  EXPECT_EQ(vals(col), (std::vector<float>{1, 4, 7, 10}));
  EXPECT_TRUE(shares(col, x));
  EXPECT_EQ(raw::select(row, 0, 2).dim(), 0);
  expect_error([&] { raw::select(x, 0, 4); }, {"select", "index 4", "[4,3]"});
}

TEST(Views, ExpandBroadcastsWithStrideZero) {
  Tensor x = iota({3, 1});
  Tensor e = raw::expand(x, {2, 3, 4});
  EXPECT_EQ(e.strides(), (Strides{0, 1, 0}));
  EXPECT_TRUE(shares(e, x));
  EXPECT_EQ(vals(e), (std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                                         0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
  EXPECT_EQ(raw::expand(x, {-1, 5}).shape(), (Shape{3, 5}));
  expect_error([&] { raw::expand(x, {4, 4}); }, {"expand: cannot expand [3,1] to [4,4]"});
  expect_error([&] { raw::expand(x, {3}); }, {"expand", "[3,1]", "[3]"});
  // A contiguous copy of a broadcast materialises the repeats.
  Tensor c = raw::contiguous(e);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(shares(c, x));
  EXPECT_EQ(vals(c), vals(e));
}

TEST(Views, SqueezeAndUnsqueeze) {
  Tensor x = iota({2, 3});
  Tensor u0 = raw::unsqueeze(x, 0), u1 = raw::unsqueeze(x, 1), u2 = raw::unsqueeze(x, -1);
  EXPECT_EQ(u0.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(u1.shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(u2.shape(), (Shape{2, 3, 1}));
  for (const Tensor& u : {u0, u1, u2}) {
    EXPECT_TRUE(u.same_data(x));
    EXPECT_TRUE(u.is_contiguous());
    EXPECT_EQ(vals(u), vals(x));
  }
  EXPECT_EQ(raw::squeeze(u1, 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(raw::squeeze(u2, -1).shape(), (Shape{2, 3}));
  EXPECT_EQ(raw::unsqueeze(scalar_tensor(1.0), 0).shape(), (Shape{1}));
  expect_error([&] { raw::squeeze(x, 1); }, {"squeeze: dim 1 of shape [2,3] has size 3"});
  expect_error([&] { raw::unsqueeze(x, 4); }, {"unsqueeze", "dim 4 out of range"});
}

TEST(Views, WritesThroughViewsReachTheBase) {
  Tensor x = zeros({3, 4});
  raw::fill_(raw::slice(x, 1, 1, 4, 2), 7.0);  // columns 1 and 3
  raw::fill_(raw::select(x, 0, 2), 1.0);       // last row
  EXPECT_EQ(vals(x), (std::vector<float>{0, 7, 0, 7, 0, 7, 0, 7, 1, 1, 1, 1}));
  // copy_ broadcasts its source into a transposed destination.
  Tensor y = zeros({2, 3});
  raw::copy_(raw::transpose(y, 0, 1), from_vector<float>({5, 6}, {2}));
  EXPECT_EQ(vals(y), (std::vector<float>{5, 5, 5, 6, 6, 6}));
  // In-place writes bump the version seen by every view of the storage.
  Tensor v = raw::view(y, {6});
  const uint64_t before = v.version();
  raw::add_(raw::narrow(y, 0, 0, 1), ones({1, 3}), 2.0);
  EXPECT_EQ(v.version(), before + 1);
  EXPECT_EQ(vals(v), (std::vector<float>{7, 7, 7, 6, 6, 6}));
}

// --- contiguous / clone ------------------------------------------------------------------

TEST(Contiguous, CopiesOnlyWhenNeeded) {
  Tensor x = iota({4, 5});
  EXPECT_TRUE(raw::contiguous(x).same_data(x));
  Tensor rows = raw::narrow(x, 0, 1, 2);  // contiguous with an offset
  EXPECT_TRUE(raw::contiguous(rows).same_data(rows));
  Tensor unit = raw::unsqueeze(raw::select(x, 1, 0), 1);  // [4,1], strides [5,1]
  EXPECT_FALSE(unit.is_contiguous());
  Tensor cu = raw::contiguous(unit);
  EXPECT_FALSE(shares(cu, x));
  EXPECT_EQ(vals(cu), (std::vector<float>{0, 5, 10, 15}));
  Tensor t = raw::transpose(x, 0, 1);
  Tensor ct = raw::contiguous(t);
  EXPECT_TRUE(ct.is_contiguous());
  EXPECT_FALSE(shares(ct, x));
  EXPECT_EQ(vals(ct), vals(t));
  EXPECT_EQ(ct.at({3, 2}), 13.0);
  // clone always copies.
  Tensor c = raw::clone(x);
  EXPECT_FALSE(shares(c, x));
  EXPECT_EQ(vals(c), vals(x));
  // Size-1 dims with any stride do not break contiguity.
  Tensor odd(x.storage(), {1, 4}, {99, 1}, 0, DType::f32);
  EXPECT_TRUE(odd.is_contiguous());
}

// --- cat / stack ----------------------------------------------------------------------------

TEST(CatStack, Values) {
  Tensor a = iota({2, 3});
  Tensor b = raw::add_scalar(iota({1, 3}), 100);
  EXPECT_EQ(vals(raw::cat({a, b}, 0)), (std::vector<float>{0, 1, 2, 3, 4, 5, 100, 101, 102}));
  Tensor c = raw::add_scalar(iota({2, 2}), 50);
  Tensor ac = raw::cat({a, c}, -1);
  EXPECT_EQ(ac.shape(), (Shape{2, 5}));
  EXPECT_EQ(vals(ac), (std::vector<float>{0, 1, 2, 50, 51, 3, 4, 5, 52, 53}));
  // Non-contiguous inputs are read through their strides.
  Tensor at = raw::transpose(a, 0, 1);  // [3,2]
  EXPECT_EQ(vals(raw::cat({at, at}, 1)), (std::vector<float>{0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5}));
  EXPECT_EQ(raw::cat({a}, 0).shape(), (Shape{2, 3}));
  EXPECT_FALSE(shares(raw::cat({a}, 0), a));

  Tensor s0 = raw::stack({a, raw::add_scalar(a, 10)}, 0);
  EXPECT_EQ(s0.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(vals(s0), (std::vector<float>{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}));
  Tensor s2 = raw::stack({a, raw::add_scalar(a, 10)}, -1);
  EXPECT_EQ(s2.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(vals(s2), (std::vector<float>{0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  Tensor s1 = raw::stack({a, a, a}, 1);
  EXPECT_EQ(s1.shape(), (Shape{2, 3, 3}));
  EXPECT_EQ(s1.at({1, 2, 0}), 3.0);
}

TEST(CatStack, Errors) {
  Tensor a = iota({2, 2});
  expect_error([&] { raw::cat({}, 0); }, {"cat: expected at least one tensor"});
  expect_error([&] { raw::stack({}, 0); }, {"stack: expected at least one tensor"});
  expect_error([&] { raw::cat({a, iota({3, 3})}, 0); }, {"cat: tensor 1 has shape [3,3]", "[2,2]", "dim 0"});
  expect_error([&] { raw::cat({a, iota({2})}, 0); }, {"cat: tensor 1 has shape [2]"});
  expect_error([&] { raw::cat({a, zeros({2, 2}, {DType::f64})}, 0); }, {"cat", "dtype mismatch", "f32", "f64"});
  expect_error([&] { raw::cat({a, a}, 2); }, {"cat", "dim 2 out of range"});
  expect_error([&] { raw::stack({a, iota({2, 1})}, 0); }, {"stack: tensor 1 has shape [2,1], expected [2,2]"});
  expect_error([&] { raw::stack({a, a}, 3); }, {"stack", "dim 3 out of range"});
}

// --- broadcasting of raw::binary -----------------------------------------------------------

TEST(Broadcast, ColumnPlusRow) {
  Tensor col = iota({3, 1});                                    // 0,1,2
  Tensor row = raw::mul_scalar(iota({1, 4}), 10);               // 0,10,20,30
  Tensor s = raw::add(col, row);
  EXPECT_EQ(s.shape(), (Shape{3, 4}));
  EXPECT_TRUE(s.is_contiguous());
  EXPECT_EQ(vals(s), (std::vector<float>{0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32}));
  EXPECT_EQ(vals(raw::sub(row, col)), (std::vector<float>{0, 10, 20, 30, -1, 9, 19, 29, -2, 8, 18, 28}));
}

TEST(Broadcast, RankExtensionAndBothSides) {
  Tensor a = iota({5, 3, 1});
  Tensor b = raw::add_scalar(iota({3, 4}), 1);
  Tensor p = raw::mul(a, b);
  EXPECT_EQ(p.shape(), (Shape{5, 3, 4}));
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k)
        ASSERT_EQ(p.at({i, j, k}), a.at({i, j, 0}) * b.at({j, k})) << i << "," << j << "," << k;
  EXPECT_EQ(raw::mul(b, a).shape(), (Shape{5, 3, 4}));
}

TEST(Broadcast, ScalarsAndViews) {
  Tensor x = iota({2, 3});
  Tensor two = scalar_tensor(2.0);
  EXPECT_EQ(vals(raw::mul(x, two)), (std::vector<float>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(vals(raw::sub(two, x)), (std::vector<float>{2, 1, 0, -1, -2, -3}));
  Tensor ss = raw::add(two, scalar_tensor(3.0));
  EXPECT_EQ(ss.dim(), 0);
  EXPECT_EQ(ss.item(), 5.0);
  // A transposed operand broadcasts through its strides.
  Tensor t = raw::transpose(iota({3, 2}), 0, 1);  // [[0,2,4],[1,3,5]]
  EXPECT_EQ(vals(raw::add(x, t)), (std::vector<float>{0, 3, 6, 4, 7, 10}));
  EXPECT_EQ(vals(raw::div(raw::add_scalar(x, 1), from_vector<float>({1, 2, 4}, {1, 3}))),
            (std::vector<float>{1, 1, 0.75, 4, 2.5, 1.5}));
}

TEST(Broadcast, ComparisonsGiveBool) {
  Tensor x = iota({2, 3});
  Tensor m = raw::binary(BinaryOp::gt, x, from_vector<float>({2}, {1}));
  EXPECT_EQ(m.dtype(), DType::boolean);
  EXPECT_EQ(m.shape(), (Shape{2, 3}));
  EXPECT_EQ(m.to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
}

TEST(Broadcast, ErrorsNameOpShapesAndDtypes) {
  Tensor a = iota({2, 3});
  expect_error([&] { raw::mul(a, iota({3, 2})); }, {"mul: shapes [2,3] and [3,2] cannot be broadcast"});
  expect_error([&] { raw::add(iota({5, 3, 1}), iota({2, 4})); }, {"add", "[5,3,1]", "[2,4]", "cannot be broadcast"});
  expect_error([&] { raw::sub(a, arange(6)); }, {"sub: dtype mismatch f32 [2,3] and i64 [6]"});
  expect_error([&] { raw::div(a, Tensor{}); }, {"div", "second input is an undefined tensor"});
}

// --- printing -------------------------------------------------------------------------------

TEST(Printing, ValuesShapeDtypeAndLogicalOrder) {
  EXPECT_EQ(iota({2, 3}).str(), "tensor([[0, 1, 2],\n [3, 4, 5]], shape=[2,3], dtype=f32)");
  // A view prints in logical order, not storage order.
  EXPECT_EQ(raw::transpose(iota({2, 2}), 0, 1).str(),
            "tensor([[0, 2],\n [1, 3]], shape=[2,2], dtype=f32)");
  EXPECT_EQ(from_vector<double>({0.5, -1.25}, {2}).str(), "tensor([0.5, -1.25], shape=[2], dtype=f64)");
  EXPECT_EQ(raw::binary(BinaryOp::lt, iota({3}), scalar_tensor(1.0)).str(),
            "tensor([1, 0, 0], shape=[3], dtype=bool)");
  EXPECT_EQ(zeros({0}).str(), "tensor([], shape=[0], dtype=f32)");
  EXPECT_EQ(Tensor{}.str(), "tensor(undefined)");
  // Long dims show three values at each end.
  EXPECT_EQ(iota({10}).str(), "tensor([0, 1, 2, ..., 7, 8, 9], shape=[10], dtype=f32)");
  std::ostringstream os;
  os << iota({1});
  EXPECT_EQ(os.str(), "tensor([0], shape=[1], dtype=f32)");
}

}  // namespace
