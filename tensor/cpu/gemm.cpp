// CPU GEMM (BLIS-style blocked, packed, register-tiled) and the batched matmul
// built on it. See gemm.h for the GEMM contract and gemm_microkernel.h for the
// register tile.
//
// Loop nest of the blocked path (C[M,N] += op(A)[M,K] op(B)[K,N]):
//   jc over N in NC columns
//     pc over K in KC steps: pack op(B)[pc:+KC, jc:+NC] into NR-wide slivers (shared;
//                            skipped when M fits one MC block and B is row-major)
//       tasks = (ic over M in MC rows) x (a chunk of the NR slivers), spread over threads:
//         pack alpha*op(A)[ic:+MC, pc:+KC] into MR-tall slivers (per thread)
//         jr over the chunk's B slivers, ir over the A slivers: micro-kernel
// K is never split across threads, so every C element is summed in the same order.
// The micro-kernel (and with its tile, MR/NR/KC/MC/NC) is the one for the
// current gemm_isa(), read once per call (gemm_isa.h).
#include "tensor/cpu/gemm.h"

#include <algorithm>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm_isa.h"
#include "tensor/cpu/gemm_microkernel.h"
#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"
#include "tensor/cpu/transpose.h"

namespace nf::cpu {
namespace {

using gemm_detail::MicroKernel;
using gemm_detail::pack_a;

// Below this many multiply-adds a GEMM (or a batch of them) runs on one thread.
constexpr int64_t kParallelFlops = int64_t{1} << 18;

// Cache blocking: see micro_kernel_for() in gemm_isa.cpp, next to the tiles.

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// C = beta * C over an M x N block (beta == 0 writes zeros without reading C).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0))
      std::fill(c, c + N, T(0));
    else if (beta != T(1))
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

// Stores alpha * acc + beta * c over n elements with stride ldc in c.
// The contiguous cases get loops of their own so that they vectorise: the
// edge tiles of small GEMMs (8-channel pointwise convolutions) spent a tenth
// of a DARTS step in the strided loop.
template <typename T>
void store_scaled(const T* acc, int64_t n, T alpha, T beta, T* c, int64_t ldc) {
  if (ldc == 1 && beta == T(0)) {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j];
  } else if (ldc == 1) {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j] + beta * c[j];
  } else {
    for (int64_t j = 0; j < n; ++j)
      c[j * ldc] = beta == T(0) ? alpha * acc[j] : alpha * acc[j] + beta * c[j * ldc];
  }
}

// Dot product with independent partial sums, so the compiler can vectorise it
// without reassociating (which it may not do under strict IEEE semantics).
template <typename T>
T dot(const T* x, const T* y, int64_t n) {
  constexpr int64_t L = 64 / sizeof(T);
  T part[L] = {};
  int64_t k = 0;
  for (; k + L <= n; k += L)
    for (int64_t u = 0; u < L; ++u) part[u] += x[k + u] * y[k + u];
  T s = 0;
  for (; k < n; ++k) s += x[k] * y[k];
  for (int64_t u = 0; u < L; ++u) s += part[u];
  return s;
}

// Matrix-vector and tiny products, where padding to MR x NR tiles and packing
// would cost more than they save. Picks a loop order that keeps the innermost
// loop contiguous; parallel over the rows (or columns) of C.
template <typename T>
void gemm_small(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  // A single row/column of a transposed-contiguous operand is contiguous too.
  if (N == 1 && !tb && ldb == 1) tb = true;
  if (M == 1 && ta && lda == 1) ta = false;
  auto grain = [&](int64_t per_item) {
    return std::max<int64_t>(1, kParallelFlops / std::max<int64_t>(1, per_item));
  };
  if (!tb) {  // rows of B are contiguous: C[i,:] = alpha * sum_k op(A)(i,k) * B[k,:]
    parallel_for(0, M, grain(N * K), [&](int64_t lo, int64_t hi) {
      T* acc = thread_scratch<T>(ScratchSlot::gemm_row, N);
      for (int64_t i = lo; i < hi; ++i) {
        std::fill(acc, acc + N, T(0));
        for (int64_t k = 0; k < K; ++k) {
          T aik = ta ? A[k * lda + i] : A[i * lda + k];
          const T* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) acc[j] += aik * b[j];
        }
        store_scaled(acc, N, alpha, beta, C + i * ldc, 1);
      }
    });
  } else if (!ta) {  // both contiguous along k: dot products
    parallel_for(0, M, grain(N * K), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        for (int64_t j = 0; j < N; ++j) {
          T s = alpha * dot(A + i * lda, B + j * ldb, K);
          C[i * ldc + j] = beta == T(0) ? s : s + beta * C[i * ldc + j];
        }
    });
  } else {  // columns of op(A) are contiguous: C[:,j] = alpha * sum_k A[k,:] * op(B)(k,j)
    parallel_for(0, N, grain(M * K), [&](int64_t lo, int64_t hi) {
      T* acc = thread_scratch<T>(ScratchSlot::gemm_row, M);
      for (int64_t j = lo; j < hi; ++j) {
        std::fill(acc, acc + M, T(0));
        for (int64_t k = 0; k < K; ++k) {
          T bkj = B[j * ldb + k];
          const T* a = A + k * lda;
          for (int64_t i = 0; i < M; ++i) acc[i] += bkj * a[i];
        }
        store_scaled(acc, M, alpha, beta, C + j, ldc);
      }
    });
  }
}

// Packs op(B)[0:kc, 0:nc] (B already at the panel's first element) as
// ceil(nc/NR) slivers of kc x NR, k-major; columns past nc are zero.
// Slivers [s_lo, s_hi) only, so threads can share the work.
template <typename T>
void pack_b(bool tb, const T* B, int64_t ldb, int64_t kc, int64_t nc, int64_t s_lo, int64_t s_hi,
            T* Bp, int64_t NR) {
  for (int64_t s = s_lo; s < s_hi; ++s) {
    int64_t j0 = s * NR, nr = std::min(NR, nc - j0);
    T* dst = Bp + s * NR * kc;
    if (!tb && nr == NR) {
      for (int64_t k = 0; k < kc; ++k)
        std::copy(B + k * ldb + j0, B + k * ldb + j0 + NR, dst + k * NR);
    } else if (!tb) {
      for (int64_t k = 0; k < kc; ++k) {
        std::copy(B + k * ldb + j0, B + k * ldb + j0 + nr, dst + k * NR);
        std::fill(dst + k * NR + nr, dst + (k + 1) * NR, T(0));
      }
    } else {  // rows j0.. of B's storage [N, K], transposed (8 x 8 register blocks on AVX2)
      if (nr < NR) std::fill(dst, dst + kc * NR, T(0));
      transpose_block(gemm_isa() != GemmIsa::scalar, B + j0 * ldb, nr, kc, ldb, dst, NR);
    }
  }
}

template <typename T>
void gemm_blocked(const MicroKernel<T>& mk, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
                  int64_t ldc) {
  const int64_t MR = mk.mr, NR = mk.nr;
  const bool parallel = M * N * K >= kParallelFlops && !in_parallel_region() && max_threads() > 1;
  T* Bp = thread_scratch<T>(ScratchSlot::gemm_pack_b, mk.kc * mk.nc);
  // Equal blocks, not full ones and a ragged rest: M = 1024 in 144-row blocks
  // left one of 16 rows, and the thread that got it idled a ninth of the time.
  const int64_t n_ic = ceil_div(M, mk.mc), MC = round_up(ceil_div(M, n_ic), MR);
  const int64_t NC = round_up(ceil_div(N, ceil_div(N, mk.nc)), NR);
  // With a single A block each B sliver is used by one pass of the ir loop,
  // straight from L1, so when its rows are contiguous (no trans_b) the
  // micro-kernel reads B in place and only a ragged last sliver is packed.
  const bool b_in_place = !tb && n_ic == 1;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc), n_slivers = ceil_div(nc, NR);
    // Enough tasks to balance the threads, but at least 4 B slivers per task
    // so that re-packing the A block for every task stays cheap.
    const int64_t n_chunks =
        parallel ? std::clamp(ceil_div(4 * max_threads(), n_ic), int64_t{1}, std::max<int64_t>(1, n_slivers / 4))
                 : 1;
    const int64_t n_tasks = n_ic * n_chunks;
    for (int64_t pc = 0; pc < K; pc += mk.kc) {
      const int64_t kc = std::min(mk.kc, K - pc);
      const T beta_k = pc == 0 ? beta : T(1);  // later K blocks accumulate
      const T* Bblock = tb ? B + jc * ldb + pc : B + pc * ldb + jc;
      if (!b_in_place)
        parallel_for(0, n_slivers, parallel ? 1 : n_slivers, [&](int64_t lo, int64_t hi) {
          pack_b(tb, Bblock, ldb, kc, nc, lo, hi, Bp, NR);
        });
      else if (nc % NR != 0)
        pack_b(tb, Bblock, ldb, kc, nc, n_slivers - 1, n_slivers, Bp, NR);
      parallel_for(0, n_tasks, parallel ? 1 : n_tasks, [&](int64_t lo, int64_t hi) {
        T* Ap = thread_scratch<T>(ScratchSlot::gemm_pack_a, mk.mc * mk.kc);
        int64_t packed = -1;
        for (int64_t task = lo; task < hi; ++task) {
          const int64_t ib = task / n_chunks, chunk = task % n_chunks;
          const int64_t ic = ib * MC, mc = std::min(MC, M - ic);
          if (ib != packed) {
            pack_a(ta, ta ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, alpha, Ap, MR);
            packed = ib;
          }
          const int64_t s_lo = chunk * n_slivers / n_chunks, s_hi = (chunk + 1) * n_slivers / n_chunks;
          for (int64_t s = s_lo; s < s_hi; ++s) {
            const int64_t j0 = s * NR, nr = std::min(NR, nc - j0);
            const bool in_place = b_in_place && nr == NR;
            const T* b = in_place ? Bblock + j0 : Bp + s * NR * kc;
            const int64_t b_step = in_place ? ldb : NR;
            for (int64_t i0 = 0; i0 < mc; i0 += MR) {
              const int64_t mr = std::min(MR, mc - i0);
              const T* a = Ap + i0 * kc;
              T* c = C + (ic + i0) * ldc + jc + j0;
              if (mr == MR && nr == NR) {
                mk.fn(kc, a, b, b_step, nullptr, c, ldc, beta_k);
              } else {  // edge tile: compute the full tile aside, store its valid part
                alignas(64) T tile[gemm_detail::kMaxTileElems];
                mk.fn(kc, a, b, b_step, nullptr, tile, NR, T(0));
                for (int64_t r = 0; r < mr; ++r)
                  store_scaled(tile + r * NR, nr, T(1), beta_k, c + r * ldc, 1);
              }
            }
          }
        }
      });
    }
  }
}

template <typename T>
void gemm_impl(const MicroKernel<T>& mk, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
               T alpha, const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C,
               int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
  if (M == 1 || N == 1 || M * N * K <= 512)
    gemm_small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_blocked(mk, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// One [batch, rows, cols] operand of matmul as GEMM arguments.
template <typename T>
struct GemmOperand {
  const T* data;
  int64_t batch_stride;
  bool trans;
  int64_t ld;
};

template <typename T>
GemmOperand<T> gemm_operand(const Tensor& t, const char* which) {
  const int64_t rows = t.size(1), cols = t.size(2);
  if (t.stride(2) == 1 || cols == 1) return {t.data<T>(), t.stride(0), false, t.stride(1)};
  if (t.stride(1) == 1 || rows == 1) return {t.data<T>(), t.stride(0), true, t.stride(2)};
  NF_FAIL("matmul: operand ", which, " ", shape_str(t.shape()), " has strides ",
          shape_str(t.strides()), "; its last two dims must be row-major or transposed");
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_impl(gemm_detail::micro_kernel_for<float>(gemm_isa()), trans_a, trans_b, M, N, K, alpha, A,
            lda, B, ldb, beta, C, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc) {
  gemm_impl(gemm_detail::micro_kernel_for<double>(gemm_isa()), trans_a, trans_b, M, N, K, alpha,
            A, lda, B, ldb, beta, C, ldc);
}

namespace gemm_detail {

void gemm_with_kernel(const MicroKernel<float>& mk, bool trans_a, bool trans_b, int64_t M,
                      int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                      const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemm_impl(mk, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm_with_kernel(const MicroKernel<double>& mk, bool trans_a, bool trans_b, int64_t M,
                      int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                      const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  gemm_impl(mk, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace gemm_detail

void CpuBackend::matmul(const Tensor& a, const Tensor& b, Tensor& out) {
  NF_CHECK(a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && out.is_contiguous(),
           "matmul: cpu kernel expects a [B,M,K], b [B,K,N] and contiguous out [B,M,N], got ",
           shape_str(a.shape()), " x ", shape_str(b.shape()), " -> ", shape_str(out.shape()));
  dispatch_floating(out.dtype(), "matmul", [&](auto tag) {
    using T = decltype(tag);
    const int64_t batch = out.size(0), M = out.size(1), N = out.size(2), K = a.size(2);
    const GemmOperand<T> A = gemm_operand<T>(a, "a"), B = gemm_operand<T>(b, "b");
    T* C = out.data<T>();
    auto one = [&](int64_t i) {
      gemm(A.trans, B.trans, M, N, K, T(1), A.data + i * A.batch_stride, A.ld,
           B.data + i * B.batch_stride, B.ld, T(0), C + i * M * N, N);
    };
    // Many small products: one thread per product. Few large ones: in turn,
    // each spread over the threads by the GEMM itself.
    const int64_t flops = std::max<int64_t>(1, M * N * K);
    const int64_t grain = flops >= kParallelFlops ? batch : ceil_div(kParallelFlops, flops);
    parallel_for(0, batch, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) one(i);
    });
  });
}

}  // namespace nf::cpu
