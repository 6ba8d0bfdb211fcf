// Internal to dist/: waiting for MPI without spinning a core (see dist/comm.h).
#pragma once
#include <mpi.h>

namespace nf::dist::detail {

// Throws nf::Error "dist: <call> failed: <MPI's text>" unless rc is MPI_SUCCESS.
void check(int rc, const char* call);

// Sleeps a little longer each time nothing has arrived: 20 us doubling to 2 ms.
class Backoff {
 public:
  void wait();

 private:
  int us_ = 20;
};

// Waits for a non-blocking operation, testing it between sleeps.
void wait_for(MPI_Request& request, const char* call);

}  // namespace nf::dist::detail
