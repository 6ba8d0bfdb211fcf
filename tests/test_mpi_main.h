// main() of the tests that run as several MPI ranks (mpirun -np 3 test_mpi_*):
// every rank runs every test in the same order (the tests call collectives);
// rank 0 prints GoogleTest's usual output, the others print only their failed
// assertions, prefixed with their rank. Any rank's failure fails the run.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>

#include "dist/comm.h"

namespace mpi_test {

class RankFailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure\n%s\n", rank_, r.file_name() ? r.file_name() : "?",
                 r.line_number(), r.summary());
  }

 private:
  int rank_;
};

inline int run_all_tests(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  nf::dist::init();
  if (nf::dist::rank() != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(nf::dist::rank()));
  }
  const int rc = RUN_ALL_TESTS();
  // Ranks done early wait here sleeping (dist::barrier polls), not spinning in MPI_Finalize.
  nf::dist::barrier();
  return rc;
}

}  // namespace mpi_test

#define NF_MPI_TEST_MAIN \
  int main(int argc, char** argv) { return mpi_test::run_all_tests(argc, argv); }
