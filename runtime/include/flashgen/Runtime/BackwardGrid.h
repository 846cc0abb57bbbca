//===- BackwardGrid.h - the kv-major backward's grid and head split -*- C++ -*-===//
//
// How many CTAs the backward's kv-major kernels launch per (key block, kv
// head): BwdParams::kvSplit splits a kv head's query heads over CTAs. The
// split is chosen by simulating the GPU's block scheduler on the grid's
// per-CTA work (query tiles a key block visits, the band of a causal or
// windowed mask included), so that one wave of equal CTAs (dense) and the
// uneven CTAs of a band (causal) both get the split that finishes first.
// The launch, the workspace's reservation and `explain` all size it here.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_BACKWARDGRID_H
#define FLASHGEN_RUNTIME_BACKWARDGRID_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace flashgen::codegen {
struct KernelSpec;
}

namespace flashgen::runtime {

/// The diagonal band a mask keeps, lower <= k - q' <= upper with q' = q
/// (+ seqK - seqQ when bottom-right aligned): KernelSpec::band and its
/// bounds, or the mask shape `explain` reads.
struct KeyBand {
  bool band = false, bottomRight = false;
  std::optional<int64_t> lower, upper;
};
KeyBand keyBandOf(const codegen::KernelSpec &spec);

/// Query tiles of `blockM` rows that each key block of `residentRows` keys
/// visits: every tile, or those the band allows (the kernels' qTileRange).
std::vector<int64_t> backwardTilesPerKeyBlock(const KeyBand &band, int seqQ, int seqK,
                                              int64_t blockM, int64_t residentRows);

/// A CTA's fixed cost (prologue: K and V loaded, the pipeline filled;
/// epilogue: dK and dV written) in query tiles' work. Fitted on the H200
/// (bench/results/2026-11-30-h200-s16.md: every split of 27 shapes timed):
/// with 8 the model's choice is on average 0.25% (at most 2.6%) slower
/// than the fastest split; with 6, 0.5% (8.5%); a term for the partial
/// planes' traffic made it worse.
constexpr int64_t kBwdCtaOverheadTiles = 8;

/// BwdParams::kvSplit: the divisor s of `group` (query heads per kv head),
/// at most `cap` (what the workspace holds), whose grid finishes first:
/// key blocks x `kvHeadsTimesBatch` x s CTAs, each group / s heads times
/// its key block's tiles plus kBwdCtaOverheadTiles, started in launch
/// order (key block fastest) on the first of `slots` (SMs x CTAs per SM)
/// to be free. A larger split must win by 1% (it costs workspace and a
/// summing pass). Grids of many waves are not split.
int backwardKvSplit(int group, int64_t kvHeadsTimesBatch, llvm::ArrayRef<int64_t> tilesPerKeyBlock,
                    int64_t slots, int cap);

/// The backward's kv-major grid for `heads` query heads over `kvHeads`,
/// `batch` entries, seqQ x seqK with tiles of `blockM` queries and
/// `residentRows` keys: its key blocks and backwardKvSplit of it (1 for
/// counts that do not form a grid).
struct BackwardKvGrid {
  int64_t keyBlocks = 0;
  int split = 1;
};
BackwardKvGrid backwardKvGrid(const KeyBand &band, int heads, int kvHeads, int batch, int seqQ,
                              int seqK, int64_t blockM, int64_t residentRows, int64_t slots,
                              int cap);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_BACKWARDGRID_H
