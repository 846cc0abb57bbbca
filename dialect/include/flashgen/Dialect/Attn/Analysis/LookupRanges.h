//===- LookupRanges.h - which lookup indices are proven in range -*- C++ -*-===//
//
// A lookup `t[i0, i1, ...]` in a mask or score region reads the tensor at
// indices the kernels compute. Each index is either proven inside its
// declared extent (interval analysis of the region where the kernels
// evaluate it, MaskEval.h's kernelIndexRanges; b and h against batch and
// heads) or clamped to the extent when the kernel runs. Codegen emits the
// clamp from this answer, and `explain` shows it, so neither decides alone.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_LOOKUPRANGES_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_LOOKUPRANGES_H

#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace flashgen::attn {

/// Which of q and k the proofs of lookups rest on being inside the
/// sequence: an index that is q itself, of a dimension declared seq_q (k of
/// seq_k), is in range where q < seq_q (k < seq_k). The kernels evaluate
/// masks and score modifiers past the sequence too (a ragged edge tile's
/// elements, whose results are discarded), so the variant's functions
/// clamp q and k into the sequence (sequenceClampCode) unless the caller
/// knows its whole tile is inside (their kInSequence): the backward's
/// interior tiles pay no guard; the forward runs one clamped copy (a min
/// per row and column of its fragment; a second copy cost NVRTC time for
/// no speed, bench/results/2026-12-01-h200-s23.md).
///
/// An index that is q of a dimension declared seq_k (doc_id[b, q] with
/// doc_id : i32[batch, seq_k], self-attention's usual spelling) is proven
/// the same way where q < seq_k: the callers' "inside" then also asks for
/// the tile's rows below seq_k (qBelowSeqK; kBelowSeqQ alike), so equal
/// lengths pay nothing and rows past seq_k are clamped as before.
struct SequenceBounds {
  bool q = false, k = false;
  bool qBelowSeqK = false, kBelowSeqQ = false;
  bool any() const { return q || k || qBelowSeqK || kBelowSeqQ; }
};

/// For every lookup of `region` (a variant's mask or score region), one
/// flag per index: true when proven inside the tensor's declared extent.
/// `bounds` (optional): the sequence bounds the proofs use, together.
/// `acrossSequences`: also prove q of seq_k and k of seq_q (off in a
/// checked build, which reports such a read past the other sequence
/// instead of clamping it silently).
llvm::DenseMap<mlir::Operation *, llvm::SmallVector<bool, 4>>
lookupIndicesInRange(VariantOp variant, mlir::Region &region, SequenceBounds *bounds = nullptr,
                     bool acrossSequences = true);

/// The statements of a variant function (mask, score; q, k, seqQ, seqK in
/// the launch's frame) that clamp q and k into the sequence as `bounds`
/// needs, unless its template argument kInSequence says they are; "" when
/// no proof needs them.
std::string sequenceClampCode(const SequenceBounds &bounds);

/// The variant's lookups in the order the kernels number them (a checked
/// build reports a clamped index by this number): the mask region's, then
/// the score region's, each in walk order.
llvm::SmallVector<LookupOp> lookupSites(VariantOp variant);

/// "name in mask at FILE:LINE:COL" (or "in score"; no location when the
/// spec text had none), as diagnostics and `explain` name a lookup.
std::string lookupSiteText(VariantOp variant, LookupOp lookup);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_LOOKUPRANGES_H
