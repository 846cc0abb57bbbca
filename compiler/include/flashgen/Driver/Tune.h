//===- Tune.h - the `flashgen tune` subcommand ------------------*- C++ -*-===//
//
// `flashgen tune FILE --shapes ...` times every feasible forward tiling on
// the GPU present and stores the winners (runtime/Tuner.h); `--dry-run`
// lists the candidates for an architecture without a GPU; `--list`,
// `--export FILE.json`, `--import FILE.json` and `--clear` manage the
// tuning database (runtime/TuningDb.h).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DRIVER_TUNE_H
#define FLASHGEN_DRIVER_TUNE_H

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace flashgen {

struct TuneCommand {
  std::string file;       // the spec (tuning, --dry-run)
  std::string shapes;     // "B,H,Nq,Nk[;...]"
  std::string pass = "fwd";
  std::string db;         // "" = the default path
  std::string exportFile, importFile;
  std::string arch;       // --dry-run: the architecture planned for
  std::string jsonFile;   // --json: every shape's result, machine-readable
  double budgetSeconds = 600;
  /// `sparsity = runtime` specs: the share of blocks the random block map
  /// of the checks and timings keeps (TuneOptions::blockDensity).
  double blockDensity = 0.5;
  int reps = 20, threads = 0;
  bool list = false, clear = false, dryRun = false;
  bool calibrate = false; // measure bandwidth and tensor-core rate first
};

/// Runs the command; returns the process exit code (0 ok, 1 input or
/// device errors, 2 usage errors), messages on `out` / `err`.
int runTune(const TuneCommand &cmd, llvm::raw_ostream &out, llvm::raw_ostream &err);

} // namespace flashgen

#endif // FLASHGEN_DRIVER_TUNE_H
