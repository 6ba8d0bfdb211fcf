// The report of a DARTS experiment directory (nas/darts_search.h: config.json,
// alphas.jsonl, genotypes.jsonl), written by write_report() when DIR holds
// alphas.jsonl instead of trials.jsonl:
//   - the supernet's training and validation accuracy and loss per epoch
//   - for every α (darts: normal, reduce; nb201: cell) a heatmap per edge of
//     softmax(α) over epochs (rows: ops, columns: epochs; svg#alpha-<name>),
//     and the last epoch's weights as a table
//   - the derived cells of the last epoch as diagrams (+ best-1.dot), and the
//     derived genotype of every epoch
//   - the retrained winner, configuration and environment as in tools/report.h
#pragma once
#include <filesystem>

#include "tools/report.h"

namespace nf::tools {

// DIR has alphas.jsonl and no trials.jsonl.
bool is_darts_experiment(const std::filesystem::path& dir);

ReportFiles write_darts_report(const std::filesystem::path& dir, const ReportOptions& options);

}  // namespace nf::tools
