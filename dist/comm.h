// MPI_COMM_WORLD, wrapped for nasforge: start-up on first use, rank and size,
// a job-wide stop with a message, and JSON messages between ranks.
//
// Only processes started by an MPI launcher use MPI (launched()); a plain
// `nasforge` never initialises it, so every non-MPI code path is unchanged.
//
// Waiting: OpenMPI's blocking receives spin a core at 100%. On a machine where
// the ranks share the cores that would take a core from a training rank, so
// every wait here polls (MPI_Iprobe) and sleeps between polls (at most 2 ms).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace nf::dist {

// True when this process was started by mpirun/mpiexec (OpenMPI, MPICH and
// PMIx launchers set OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK).
bool launched();

// Initialises MPI the first time it is called (thread level FUNNELED: only the
// main thread calls MPI; data-loader threads never do) and finalises it at
// process exit. When MPI was already initialised (a test's main) it is left to
// whoever initialised it. rank(), size() and everything below call it.
void init();
int rank();
int size();
inline bool is_root() { return rank() == 0; }

// Ends the whole job: prints "nasforge: error on rank R of N: <message>" to
// stderr and calls MPI_Abort(MPI_COMM_WORLD, code), which stops every rank
// (one that waits in a collective for a dead peer would otherwise hang).
[[noreturn]] void abort(const std::string& message, int code = 2);

// Runs `body` on this rank. With more than one rank an exception ends the job
// through abort() with its message; with one rank it propagates as usual.
int run_or_abort(const std::function<int()>& body);

// Point-to-point JSON messages (sent as their text). send_json returns at
// once, without waiting for the receiver; the message is delivered while this
// rank goes on calling into dist/ (or at exit), so two ranks may send to each
// other before either receives. Messages from one rank to another with the
// same tag arrive in the order sent.
constexpr int kAnySource = -1;
struct Message {
  int source = 0;
  int tag = 0;
  nlohmann::json body;
};
void send_json(const nlohmann::json& body, int dest, int tag);
// The next message from `source` (or kAnySource) with `tag` (or kAnyTag), if one has arrived.
constexpr int kAnyTag = -1;
std::optional<Message> try_recv_json(int source, int tag);
// Waits (polling, see above) for the next such message.
Message recv_json(int source, int tag);

// Waits until every rank has called it (polling, see above).
void barrier();

}  // namespace nf::dist
