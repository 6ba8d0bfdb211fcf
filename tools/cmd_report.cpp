// `nasforge report DIR`: writes DIR/report.html (tools/report.h) from an
// experiment directory, with a Graphviz file per drawn genotype beside it.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "tensor/error.h"
#include "tools/commands.h"
#include "tools/report.h"

namespace nf::tools {

namespace {
const char* kHelp =
    "usage: nasforge report DIR [flags]\n"
    "  writes DIR/report.html: one self-contained page (inline SVG, no network) with the\n"
    "  search's progress, accuracy vs cost with Pareto fronts, the best genotypes as cell\n"
    "  diagrams (and best-<k>.dot beside it for Graphviz), failed trials, the retrained\n"
    "  winner's training curves, the configuration and the environment; for a DARTS\n"
    "  experiment (alphas.jsonl), the supernet's curves, α heatmaps and derived cells\n"
    "  --retrain RUN_DIR   a `nasforge train` run of the winner (default: DIR/retrain when it\n"
    "                      holds metrics.jsonl)\n"
    "  --out FILE          where to write the page (default DIR/report.html)\n"
    "  --top K             genotypes drawn (default 3)\n";
}  // namespace

int cmd_report(Flags& flags) {
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  ReportOptions options;
  options.retrain_dir = flags.text("retrain", "");
  options.out = flags.text("out", "");
  options.top = int(flags.integer("top", 3, 0, 100));
  const auto dirs = flags.positionals();
  flags.finish();
  NF_CHECK(dirs.size() == 1, "nasforge report: expected one experiment directory, got ", dirs.size(),
           " (usage: nasforge report DIR)");
  const ReportFiles files = write_report(dirs[0], options);
  std::cout << "wrote " << files.html.string() << " (" << files.trials << " trials";
  if (std::isfinite(files.best_accuracy)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", 100 * files.best_accuracy);
    std::cout << ", best " << buf;
  }
  std::cout << ")\n";
  for (const auto& dot : files.dots) std::cout << "wrote " << dot.string() << "\n";
  return 0;
}

}  // namespace nf::tools
