#include "dist/comm.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <list>
#include <string>
#include <thread>

#include "dist/poll.h"
#include "tensor/error.h"

namespace nf::dist {

namespace {

// Messages sent but maybe not yet delivered: their text must live until then.
struct Outgoing {
  std::string text;
  MPI_Request request = MPI_REQUEST_NULL;
};
std::list<Outgoing>& outbox() {
  static auto* messages = new std::list<Outgoing>;  // never destroyed: finalize_at_exit runs after statics die
  return *messages;
}

// Forgets the outgoing messages that have been delivered.
void sweep_outbox() {
  auto& box = outbox();
  for (auto it = box.begin(); it != box.end();) {
    int done = 0;
    MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
    it = done ? box.erase(it) : std::next(it);
  }
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (auto& m : outbox()) MPI_Wait(&m.request, MPI_STATUS_IGNORE);
  outbox().clear();
  MPI_Finalize();
}

}  // namespace

namespace detail {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  NF_FAIL("dist: ", call, " failed: ", std::string(text, size_t(len)));
}

void Backoff::wait() {
  std::this_thread::sleep_for(std::chrono::microseconds(us_));
  us_ = std::min(us_ * 2, 2000);
}

void wait_for(MPI_Request& request, const char* call) {
  Backoff backoff;
  for (int done = 0;;) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    backoff.wait();
  }
}

}  // namespace detail

using detail::check;

bool launched() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (const char* v = std::getenv(var); v && *v) return true;
  return false;
}

void init() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  std::atexit(finalize_at_exit);  // only when this module initialised MPI
  // Errors come back as codes (and become nf::Error) instead of aborting silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int rank() {
  init();
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  init();
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void abort(const std::string& message, int code) {
  std::fflush(stdout);
  std::fprintf(stderr, "nasforge: error on rank %d of %d: %s\n", rank(), size(), message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

int run_or_abort(const std::function<int()>& body) {
  if (size() == 1) return body();
  try {
    return body();
  } catch (const std::exception& e) {
    abort(e.what());
  }
}

void send_json(const nlohmann::json& body, int dest, int tag) {
  init();
  sweep_outbox();
  Outgoing& m = outbox().emplace_back();
  m.text = body.dump();
  check(MPI_Isend(m.text.data(), int(m.text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD, &m.request), "MPI_Isend");
}

std::optional<Message> try_recv_json(int source, int tag) {
  init();
  sweep_outbox();
  int flag = 0;
  MPI_Status status;
  check(MPI_Iprobe(source == kAnySource ? MPI_ANY_SOURCE : source, tag == kAnyTag ? MPI_ANY_TAG : tag,
                   MPI_COMM_WORLD, &flag, &status),
        "MPI_Iprobe");
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(size_t(count), '\0');
  check(MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  Message m{status.MPI_SOURCE, status.MPI_TAG, nlohmann::json::parse(text, nullptr, false)};
  NF_CHECK(!m.body.is_discarded(), "dist: rank ", rank(), " received a malformed JSON message from rank ", m.source,
           " (tag ", m.tag, ")");
  return m;
}

Message recv_json(int source, int tag) {
  detail::Backoff backoff;
  for (;;) {
    if (auto m = try_recv_json(source, tag)) return std::move(*m);
    backoff.wait();
  }
}

void barrier() {
  init();
  MPI_Request request;
  check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "MPI_Ibarrier");
  detail::wait_for(request, "MPI_Ibarrier");
}

}  // namespace nf::dist
