//===- TileClassification.h - empty, full or partial tiles ------*- C++ -*-===//
//
// For a tile of rows [q0, q1] x columns [k0, k1], decides from the mask
// alone (and the block-sparsity pattern, if any) whether the tile is
// Empty (skip it: no loads, no math), Full (no mask evaluation needed) or
// Partial. Sound: Empty and Full are never wrong; Partial may be
// conservative. Uses the interval evaluation of MaskEval.h with b and h
// ranging over the whole shape and seq_q/seq_k exact.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_TILECLASSIFICATION_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_TILECLASSIFICATION_H

#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"

namespace flashgen::attn {

enum class TileClass { Empty, Full, Partial };

/// 'E', 'F' or 'P'.
char tileClassLetter(TileClass c);

struct AttnShape {
  int64_t batch = 1, heads = 1, kvHeads = 1, seqQ = 1, seqK = 1;
};

/// Tile classes over the score matrix of one (batch, head).
struct TileCensus {
  int64_t rowBlocks = 0, colBlocks = 0;
  int64_t empty = 0, full = 0, partial = 0;
  /// Elements the mask attends, over all tiles (exact only when every
  /// tile is Empty or Full; partial tiles are counted by brute force if
  /// they are few, else as half full).
  double attendedFraction = 1.0;
  int64_t computed() const { return full + partial; }
  int64_t total() const { return rowBlocks * colBlocks; }
};

/// Classifies one tile (inclusive bounds).
TileClass classifyTile(VariantOp variant, const AttnShape &shape, int64_t q0,
                       int64_t q1, int64_t k0, int64_t k1);

/// The int tensors the mask reads, each once: their values decide tiles
/// only at run time (here a lookup is any value), so kernels of such masks
/// build their tile classes on the GPU (TileClasses.cuh).
llvm::SmallVector<llvm::StringRef> tileDecidingTensors(VariantOp variant);

/// Classifies every Br x Bc tile of an Nq x Nk score matrix with the mask's
/// interval evaluation (b and h range over the whole shape), and applies
/// the sparsity pattern, if any. Partial tiles' attended fractions are
/// counted exactly for masks without lookups.
TileCensus countTiles(VariantOp variant, const AttnShape &shape, int64_t blockM,
                      int64_t blockN);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_TILECLASSIFICATION_H
