//===- Positions.h - a launch as part of a larger problem -------*- C++ -*-===//
//
// Context parallelism runs one attention as many launches, each over a
// slice of the queries, keys or heads. Masks, score modifiers and lookups
// must see positions of the whole problem (a causal mask compares global
// rows), so every launch may say where its slice sits: the kernels, the
// float64 reference and the tile classes all read indices through it.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_POSITIONS_H
#define FLASHGEN_RUNTIME_POSITIONS_H

namespace flashgen {

/// Query row q of the launch is row q + qOffset of the whole problem, key k
/// is key k + kOffset, head h is head h + headOffset; the spec's seq_q,
/// seq_k (and the extents "seq_q", "seq_k", "heads" of named tensors) are
/// the whole problem's `seqQ`, `seqK`, `heads`. Zero = the launch's own
/// (offsets 0 and sizes 0: a whole problem, the default). Offsets must be
/// >= 0 and offset + the launch's length <= the whole's length.
struct Positions {
  int qOffset = 0, kOffset = 0, headOffset = 0;
  int seqQ = 0, seqK = 0, heads = 0;
};

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_POSITIONS_H
