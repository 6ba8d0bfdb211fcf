// The sub-commands of the nasforge program; each returns the process exit code.
#pragma once
#include "tools/flags.h"

namespace nf::tools {

int cmd_info(Flags& flags);
int cmd_train(Flags& flags);
int cmd_eval(Flags& flags);
int cmd_search(Flags& flags);

}  // namespace nf::tools
