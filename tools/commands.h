// The sub-commands of the nasforge program; each returns the process exit code.
#pragma once
#include <optional>

#include "tools/flags.h"

namespace nf::tools {

int cmd_info(Flags& flags);
int cmd_train(Flags& flags);
int cmd_eval(Flags& flags);
int cmd_search(Flags& flags);
int cmd_report(Flags& flags);
int cmd_compare(Flags& flags);
// A DARTS search (tools/cmd_search_darts.cpp) when the flags ask for one
// (--strategy darts, or --resume of a DARTS experiment); nullopt otherwise.
std::optional<int> cmd_search_darts(Flags& flags);

}  // namespace nf::tools
