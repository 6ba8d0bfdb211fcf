#include "dist/threads.h"

#include <mpi.h>
#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "dist/comm.h"
#include "dist/poll.h"

namespace nf::dist {

namespace {

int choose_threads(bool computes, int computing_on_host) {
  if (const char* v = std::getenv("OMP_NUM_THREADS"); v && *v) return omp_get_max_threads();
  const long cores = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  int threads = computes ? int(std::max(1L, cores / std::max(1, computing_on_host))) : 1;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) threads = std::min(threads, std::max(1, CPU_COUNT(&allowed)));
  omp_set_num_threads(threads);
  return threads;
}

}  // namespace

RankThreads set_threads_per_rank(bool computes) {
  init();
  // The ranks sharing this host's memory, and how many of them compute.
  MPI_Comm host;
  detail::check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host),
                "MPI_Comm_split_type");
  int computing = computes ? 1 : 0;
  MPI_Request request;
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &computing, 1, MPI_INT, MPI_SUM, host, &request), "MPI_Iallreduce");
  detail::wait_for(request, "MPI_Iallreduce");
  MPI_Comm_free(&host);

  RankThreads t;
  t.mine = choose_threads(computes, computing);
  t.most = t.mine;
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &t.most, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &request), "MPI_Iallreduce");
  detail::wait_for(request, "MPI_Iallreduce");
  return t;
}

}  // namespace nf::dist
