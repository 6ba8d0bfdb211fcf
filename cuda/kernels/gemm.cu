// Hand-written GEMM kernels (contract in gemm.h).
//
// SGEMM: each block of 256 threads computes a 128x128 tile of C, each thread
// an 8x8 sub-tile held in registers. K is walked in steps of 8: the A tile
// [128 m x 8 k] and B tile [8 k x 128 n] are staged through shared memory as
// As[k][m] and Bs[k][n], so the inner product step reads 8 consecutive m (or
// n) per thread as two float4. Two shared buffers: the next K step is loaded
// from global memory into registers before computing on the current buffer,
// then stored into the other buffer, so one __syncthreads per step suffices.
// Each thread loads 4 elements of each tile per step, 4 consecutive elements
// along the operand's contiguous dim (a float4 when aligned and inside the
// matrix, else bounds-checked scalars that read 0 outside).
#include <cstdint>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels/gemm.h"
#include "cuda/kernels/launch.cuh"
#include "tensor/error.h"

namespace nf::cuda {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 8;  // block tile
constexpr int kTM = 8, kTN = 8;               // thread tile
constexpr int kSgemmThreads = (kBM / kTM) * (kBN / kTN);  // 256
static_assert(kSgemmThreads == 256, "the tile loaders assume 256 threads");
static_assert(kBM * kBK == 4 * kSgemmThreads && kBN * kBK == 4 * kSgemmThreads,
              "each thread loads 4 elements of each tile");

// Elements (r, c0 .. c0+3) of a row-major matrix [rows, cols] with row stride
// ld; 0 outside. `vec`: p and ld allow 16-byte aligned loads at c0 % 4 == 0.
__device__ __forceinline__ void load4(const float* p, int64_t ld, int64_t rows, int64_t cols,
                                      int64_t r, int64_t c0, bool vec, float out[4]) {
  if (r < rows && vec && c0 + 3 < cols) {
    const float4 v = *reinterpret_cast<const float4*>(p + r * ld + c0);
    out[0] = v.x;
    out[1] = v.y;
    out[2] = v.z;
    out[3] = v.w;
    return;
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) out[i] = (r < rows && c0 + i < cols) ? p[r * ld + c0 + i] : 0.f;
}

// TA: A stored [K,M]; TB: B stored [N,K] (see gemm.h).
template <bool TA, bool TB>
__global__ void __launch_bounds__(kSgemmThreads)
    sgemm_tiled(GemmBatch<float> g, bool vec_a, bool vec_b) {
  __shared__ __align__(16) float As[2][kBK][kBM];
  __shared__ __align__(16) float Bs[2][kBK][kBN];
  const int tid = threadIdx.x;
  const int tx = tid % (kBN / kTN), ty = tid / (kBN / kTN);
  const int64_t m0 = int64_t(blockIdx.y) * kBM, n0 = int64_t(blockIdx.x) * kBN;
  // Stored shapes of A and B.
  const int64_t a_rows = TA ? g.K : g.M, a_cols = TA ? g.M : g.K;
  const int64_t b_rows = TB ? g.N : g.K, b_cols = TB ? g.K : g.N;

  for (int64_t bi = blockIdx.z; bi < g.batch; bi += gridDim.z) {
    const float* A = g.A + bi * g.stride_a;
    const float* B = g.B + bi * g.stride_b;
    float* C = g.C + bi * g.stride_c;
    float ra[4], rb[4];  // this thread's share of the next tiles

    // Global -> registers for the K step starting at k0.
    auto load_tiles = [&](int64_t k0) {
      if (TA)  // stored rows k0 + tid/32, columns m0 + (tid%32)*4 ..
        load4(A, g.lda, a_rows, a_cols, k0 + tid / 32, m0 + (tid % 32) * 4, vec_a, ra);
      else  // stored rows m0 + tid/2, columns k0 + (tid%2)*4 ..
        load4(A, g.lda, a_rows, a_cols, m0 + tid / 2, k0 + (tid % 2) * 4, vec_a, ra);
      if (TB)  // stored rows n0 + tid/2, columns k0 + (tid%2)*4 ..
        load4(B, g.ldb, b_rows, b_cols, n0 + tid / 2, k0 + (tid % 2) * 4, vec_b, rb);
      else  // stored rows k0 + tid/32, columns n0 + (tid%32)*4 ..
        load4(B, g.ldb, b_rows, b_cols, k0 + tid / 32, n0 + (tid % 32) * 4, vec_b, rb);
    };
    // Registers -> shared buffer `buf`, as As[k][m] and Bs[k][n].
    auto store_tiles = [&](int buf) {
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        if (TA)
          As[buf][tid / 32][(tid % 32) * 4 + i] = ra[i];
        else
          As[buf][(tid % 2) * 4 + i][tid / 2] = ra[i];
        if (TB)
          Bs[buf][(tid % 2) * 4 + i][tid / 2] = rb[i];
        else
          Bs[buf][tid / 32][(tid % 32) * 4 + i] = rb[i];
      }
    };

    float acc[kTM][kTN];
#pragma unroll
    for (int i = 0; i < kTM; ++i)
#pragma unroll
      for (int j = 0; j < kTN; ++j) acc[i][j] = 0.f;

    __syncthreads();  // the previous batch item's last step is done with the buffers
    load_tiles(0);
    store_tiles(0);
    __syncthreads();
    int buf = 0;
    for (int64_t k0 = 0; k0 < g.K; k0 += kBK) {
      const bool more = k0 + kBK < g.K;
      if (more) load_tiles(k0 + kBK);  // in flight while we compute
#pragma unroll
      for (int k = 0; k < kBK; ++k) {
        float a[kTM], b[kTN];
        const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * kTM]);
        const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][ty * kTM + 4]);
        const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * kTN]);
        const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * kTN + 4]);
        a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
        a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
        b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
        b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
        for (int i = 0; i < kTM; ++i)
#pragma unroll
          for (int j = 0; j < kTN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
      }
      if (more) {
        // Nobody reads buf^1 now: its last readers passed the previous barrier.
        store_tiles(buf ^ 1);
        __syncthreads();
        buf ^= 1;
      }
    }

#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int64_t m = m0 + ty * kTM + i;
      if (m >= g.M) continue;
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int64_t n = n0 + tx * kTN + j;
        if (n >= g.N) continue;
        float v = g.alpha * acc[i][j];
        if (g.beta != 0.f) v += g.beta * C[m * g.ldc + n];
        C[m * g.ldc + n] = v;
      }
    }
  }
}

// Simple tiled GEMM for any T: 16x16 threads, one output each; tiles are
// loaded along the stored operand's rows (coalesced for either transpose)
// and kept as As[m][k], Bs[k][n] (+1 column against bank conflicts).
constexpr int kTile = 16;

template <typename T, bool TA, bool TB>
__global__ void gemm_simple(GemmBatch<T> g) {
  __shared__ T As[kTile][kTile + 1];
  __shared__ T Bs[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t m0 = int64_t(blockIdx.y) * kTile, n0 = int64_t(blockIdx.x) * kTile;
  for (int64_t bi = blockIdx.z; bi < g.batch; bi += gridDim.z) {
    const T* A = g.A + bi * g.stride_a;
    const T* B = g.B + bi * g.stride_b;
    T* C = g.C + bi * g.stride_c;
    T acc = T(0);
    for (int64_t k0 = 0; k0 < g.K; k0 += kTile) {
      __syncthreads();  // previous step (or batch item) done reading the tiles
      if (TA) {  // stored (k, m): thread loads (k0+ty, m0+tx)
        const int64_t k = k0 + ty, m = m0 + tx;
        As[tx][ty] = (k < g.K && m < g.M) ? A[k * g.lda + m] : T(0);
      } else {  // stored (m, k): thread loads (m0+ty, k0+tx)
        const int64_t m = m0 + ty, k = k0 + tx;
        As[ty][tx] = (k < g.K && m < g.M) ? A[m * g.lda + k] : T(0);
      }
      if (TB) {  // stored (n, k): thread loads (n0+ty, k0+tx)
        const int64_t n = n0 + ty, k = k0 + tx;
        Bs[tx][ty] = (k < g.K && n < g.N) ? B[n * g.ldb + k] : T(0);
      } else {  // stored (k, n): thread loads (k0+ty, n0+tx)
        const int64_t k = k0 + ty, n = n0 + tx;
        Bs[ty][tx] = (k < g.K && n < g.N) ? B[k * g.ldb + n] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
    }
    const int64_t m = m0 + ty, n = n0 + tx;
    if (m < g.M && n < g.N) {
      T v = g.alpha * acc;
      if (g.beta != T(0)) v += g.beta * C[m * g.ldc + n];
      C[m * g.ldc + n] = v;
    }
  }
}

constexpr int64_t kMaxGridYZ = 65535;

template <typename T>
void check_grid(const GemmBatch<T>& g, int64_t tiles_m) {
  NF_CHECK(tiles_m <= kMaxGridYZ, "cuda gemm: M = ", g.M, " needs ", tiles_m,
           " row tiles, more than the grid's ", kMaxGridYZ);
}

bool aligned16(const float* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// float4 loads of an operand: the base is 16-byte aligned and every row and
// every batch item starts at a multiple of 4 elements.
bool vec_ok(const float* p, int64_t ld, int64_t stride, int64_t batch) {
  return aligned16(p) && ld % 4 == 0 && (batch == 1 || stride % 4 == 0);
}

template <typename T, bool TA, bool TB>
void launch_simple(const GemmBatch<T>& g, const Launch& l) {
  const int64_t tm = (g.M + kTile - 1) / kTile, tn = (g.N + kTile - 1) / kTile;
  check_grid(g, tm);
  const dim3 grid(unsigned(tn), unsigned(tm), unsigned(std::min(g.batch, kMaxGridYZ)));
  gemm_simple<T, TA, TB><<<grid, dim3(kTile, kTile), 0, l.stream>>>(g);
  NF_CUDA_CHECK_LAUNCH();
}

template <bool TA, bool TB>
void launch_sgemm(const GemmBatch<float>& g, const Launch& l) {
  const int64_t tm = (g.M + kBM - 1) / kBM, tn = (g.N + kBN - 1) / kBN;
  check_grid(g, tm);
  const dim3 grid(unsigned(tn), unsigned(tm), unsigned(std::min(g.batch, kMaxGridYZ)));
  sgemm_tiled<TA, TB><<<grid, kSgemmThreads, 0, l.stream>>>(
      g, vec_ok(g.A, g.lda, g.stride_a, g.batch), vec_ok(g.B, g.ldb, g.stride_b, g.batch));
  NF_CUDA_CHECK_LAUNCH();
}

template <typename T, typename Fn>
void by_transposes(const GemmBatch<T>& g, Fn&& fn) {
  if (g.trans_a)
    g.trans_b ? fn(std::true_type{}, std::true_type{}) : fn(std::true_type{}, std::false_type{});
  else
    g.trans_b ? fn(std::false_type{}, std::true_type{}) : fn(std::false_type{}, std::false_type{});
}

}  // namespace

void gemm_hand(const GemmBatch<float>& g, const Launch& l) {
  if (g.M == 0 || g.N == 0 || g.batch == 0) return;
  by_transposes(g, [&](auto ta, auto tb) { launch_sgemm<decltype(ta)::value, decltype(tb)::value>(g, l); });
}

void gemm_hand(const GemmBatch<double>& g, const Launch& l) {
  if (g.M == 0 || g.N == 0 || g.batch == 0) return;
  by_transposes(g, [&](auto ta, auto tb) {
    launch_simple<double, decltype(ta)::value, decltype(tb)::value>(g, l);
  });
}

}  // namespace nf::cuda
