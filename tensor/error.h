// nf::Error and the checking macro every layer uses.
// Errors name the op, the shapes and the dtypes involved, e.g.
//   "matmul: shape mismatch [64,128] x [64,10]".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace nf {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

}  // namespace nf

// NF_CHECK(cond, "op: message ", value, ...) throws nf::Error with the streamed message.
#define NF_CHECK(cond, ...)                                   \
  do {                                                        \
    if (!(cond)) throw ::nf::Error(::nf::detail::concat(__VA_ARGS__)); \
  } while (0)

#define NF_FAIL(...) throw ::nf::Error(::nf::detail::concat(__VA_ARGS__))

// Internal invariants: checked in debug builds only.
#ifdef NDEBUG
#define NF_ASSERT(cond) ((void)0)
#else
#define NF_ASSERT(cond) \
  do {                  \
    if (!(cond)) throw ::nf::Error(::nf::detail::concat("internal assertion failed: ", #cond, " at ", __FILE__, ":", __LINE__)); \
  } while (0)
#endif
