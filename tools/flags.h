// Command-line flags for `nasforge <command> ...`: --name value, --name=value
// and bare --switch. A command asks for each flag it knows (with type, default
// and range); finish() then rejects whatever is left, so a typo is an error
// naming the flag instead of a silently ignored option.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nf::tools {

class Flags {
 public:
  Flags(std::string command, std::vector<std::string> args);

  std::string text(const std::string& name, const std::string& fallback);
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  double real(const std::string& name, double fallback, double min, double max);
  bool has(const std::string& name);  // a bare --switch
  // Arguments that are not flags, in order. Call after every flag was asked for.
  std::vector<std::string> positionals();
  // Throws nf::Error for flags nobody asked for.
  void finish();

  const std::string& command() const { return command_; }

 private:
  // Index of the value token of --name (or -1), marking both tokens used.
  bool take_value(const std::string& name, std::string& value);

  std::string command_;
  std::vector<std::string> args_;
  std::vector<bool> used_;
  std::vector<std::string> known_;
};

}  // namespace nf::tools
