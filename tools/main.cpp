// nasforge: the command-line program. Dispatches to tools/cmd_*.cpp; every
// error reaches the user as one line on stderr and a non-zero exit code.
#include <iostream>
#include <map>
#include <string>

#include "tensor/error.h"
#include "tools/commands.h"

namespace {
const char* kUsage =
    "usage: nasforge <command> [flags]\n"
    "commands:\n"
    "  info      build configuration, SIMD level, threads, devices\n"
    "  train     train a built-in model (mlp, cnn, resnet) on a data set\n"
    "  eval      test accuracy of a trained checkpoint\n"
    "  search    neural architecture search (random, evolution, REINFORCE)\n"
    "  report    an HTML report of a search directory (plots, cell diagrams)\n"
    "  compare   searches side by side at equal budget (table, --html plot)\n";
}

int main(int argc, char** argv) {
  using namespace nf::tools;
  const std::map<std::string, int (*)(Flags&)> commands = {{"info", cmd_info},
                                                               {"train", cmd_train},
                                                               {"eval", cmd_eval},
                                                               {"search", cmd_search},
                                                               {"report", cmd_report},
                                                               {"compare", cmd_compare}};
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "nasforge: unknown command '" << argv[1] << "'\n" << kUsage;
    return 2;
  }
  try {
    Flags flags(argv[1], std::vector<std::string>(argv + 2, argv + argc));
    return it->second(flags);
  } catch (const nf::Error& e) {
    std::cerr << "nasforge: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nasforge: internal error: " << e.what() << "\n";
    return 3;
  }
}
