//===- Tuner.h - time every feasible tiling, keep the fastest ---*- C++ -*-===//
//
// The auto-tuner behind `flashgen tune`: for a spec and a list of shapes on
// the GPU present, every forward tiling the budget model admits
// (attn::feasibleTilings: the planner's own search space, so each kernel
// added to the planner joins it) is compiled (NVRTC, on several threads),
// checked against the float64 reference on a small problem (a fast wrong
// kernel is discarded and reported), then timed at each shape (CUDA events,
// warm-up, median). The winner of each shape bucket goes into the tuning
// database (TuningDb.h), which the JIT reads at launch.
//
// A candidate is the spec with its tiling fixed by the properties a user
// could write (`block_m = 64; block_n = 128; warps = 4; stages = 2;
// mma = wgmma;`), so a tuned kernel is compiled, cached and explained
// exactly as a hand-tiled one; backward candidates use the backward's
// properties (`bwd_block_m = 64; bwd_warps = 8; bwd_stages = 2;`).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_TUNER_H
#define FLASHGEN_RUNTIME_TUNER_H

#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace flashgen::tuning {

struct Candidate {
  attn::TileConfig tiles;
  std::string properties; // tilingProperties(tiles)
  bool planner = false;   // the planner's own choice
  /// What runs where the properties do not say it: the backward at padded
  /// head dims past 128 on sm_90a runs the wide wgmma kernels whatever
  /// bwd_mma says (empty otherwise).
  std::string kernelNote;
};

/// The spec properties that select `c`'s kernel shape:
/// "block_m = 64; block_n = 128; warps = 4; stages = 2; mma = wgmma;".
std::string tilingProperties(const attn::TileConfig &c);
/// The same for a backward tiling: "bwd_block_m = 64; bwd_warps = 8;
/// bwd_stages = 2; bwd_mma = wgmma;".
std::string backwardTilingProperties(const attn::TileConfig &c);

/// `text` (one variant) with `properties` added; an error when the spec
/// fixes any tiling property itself (nothing to tune then).
llvm::Expected<std::string> withTiling(llvm::StringRef text, llvm::StringRef properties);

/// The forward (or backward) tilings to time for `text` on `target`, one
/// per kernel shape (Br, Bc, warps, stages, mma), the planner's choice first.
llvm::Expected<std::vector<Candidate>> tuningCandidates(llvm::StringRef text,
                                                       llvm::StringRef name,
                                                       const attn::GpuTarget &target,
                                                       bool backward);

using Shape = std::array<int, 4>; // batch, heads, seqQ, seqK

struct TuneOptions {
  std::vector<Shape> shapes;
  std::string dbPath;          // "" = TuningDb::defaultPath()
  double budgetSeconds = 600;  // timing time, shared equally by the shapes left
  /// `sparsity = runtime`: the share of blocks the random block map keeps
  /// in every check and timing (a tiling's best can depend on it).
  double blockDensity = 0.5;
  int reps = 20;               // timed launches per candidate and shape
  int threads = 0;             // NVRTC compilations at once (0: cores, <= 8)
  int finalists = 6;           // timed in full after a screening round (0: all)
  int device = -1;
  bool store = true;           // write the winners to the database
  llvm::raw_ostream *progress = nullptr;
};

struct ShapeResult {
  Shape shape{};
  std::string bucket;
  Candidate best;
  /// Dense count (4 B H Nq Nk d, x2.5 backward: masks not discounted) and
  /// median milliseconds, timed with a cold L2.
  /// The planner's tiling at this shape (its by-shape rule where one
  /// applies, else its shape-free choice): the bar the best is held to.
  Candidate planner;
  double bestTflops = 0, plannerTflops = 0;
  double bestMs = 0, plannerMs = 0;
  /// The shape's share of --budget ran out before every candidate was
  /// screened or timed (the planner's and the screening's fastest always are).
  bool cutByBudget = false;
};

struct TuneReport {
  std::string planner;               // the planner's properties
  std::vector<ShapeResult> shapes;
  int candidates = 0, compiled = 0, wrong = 0;
  std::vector<std::string> rejected; // "properties: why" for each discarded one
  double seconds = 0;
};

/// The tuning database's entry for `text`, `pass` and shape `bucket` on
/// device `ordinal`, if there is one; `why` (if given) says what was found
/// or why nothing was: no database, no GPU, no entry for this GPU/bucket,
/// or the tiling and its measured TFLOP/s. Never creates the database.
std::optional<Entry> findTuned(llvm::StringRef text, int ordinal, const std::string &bucket,
                               llvm::StringRef pass, std::string *why = nullptr);

/// The tiling the JIT launches `text` with at a shape on device
/// `ordinal`, when it is not the planner's shape-free choice: the tuning
/// database's entry for the shape's bucket, else (forward, a spec that
/// leaves its tiling free) the planner's rule for that shape
/// (attn::plannedForShape). `config` holds spec properties (withTiling);
/// `why` says which and why, also when `config` is empty.
struct LaunchChoice {
  std::optional<std::string> config;
  bool tuned = false; // from the database
  std::string why;
};
LaunchChoice launchTiling(llvm::StringRef text, int ordinal, int64_t batch, int64_t heads,
                          int64_t seqQ, int64_t seqK, bool backward);

/// The forward tiling the planner launches `text` with at seqQ x seqK on
/// `target` when that is not its shape-free choice (attn::plannedForShape;
/// `rule` names why), or nothing: a spec that fixes its tiling, or a shape
/// no rule covers. What the JIT runs without a tuned entry, and so the
/// tuner's bar at that shape.
std::optional<attn::TileConfig> plannerForShape(llvm::StringRef text,
                                                const attn::GpuTarget &target, int64_t seqQ,
                                                int64_t seqK, std::string *rule = nullptr);

/// Tunes the forward (or backward) kernels of `text` on the GPU present.
llvm::Expected<TuneReport> tune(llvm::StringRef text, llvm::StringRef name, bool backward,
                                const TuneOptions &options);

} // namespace flashgen::tuning

#endif // FLASHGEN_RUNTIME_TUNER_H
