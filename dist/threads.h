// OpenMP threads per rank: the ranks on one host share its cores.
#pragma once

namespace nf::dist {

// Sets omp_set_num_threads for this rank. When
// OMP_NUM_THREADS is set, that wins and nothing changes. Otherwise the host's
// online cores are divided among the ranks on the same host that compute
// (computes = false for a rank that only coordinates, e.g. rank 0 of a
// search, which keeps one thread), at least 1 each, and capped by the cores
// this process may run on (mpirun binds ranks to one core by default when
// np <= 2: pass --bind-to none to let a rank's threads spread).
// Collective over all ranks. Returns this rank's count and the largest of
// any rank (what a coordinating rank reports for its workers).
struct RankThreads {
  int mine = 1;
  int most = 1;
};
RankThreads set_threads_per_rank(bool computes = true);

}  // namespace nf::dist
