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

/// For every lookup of `region` (a variant's mask or score region), one
/// flag per index: true when proven inside the tensor's declared extent.
llvm::DenseMap<mlir::Operation *, llvm::SmallVector<bool, 4>>
lookupIndicesInRange(VariantOp variant, mlir::Region &region);

/// The variant's lookups in the order the kernels number them (a checked
/// build reports a clamped index by this number): the mask region's, then
/// the score region's, each in walk order.
llvm::SmallVector<LookupOp> lookupSites(VariantOp variant);

/// "name in mask at FILE:LINE:COL" (or "in score"; no location when the
/// spec text had none), as diagnostics and `explain` name a lookup.
std::string lookupSiteText(VariantOp variant, LookupOp lookup);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_LOOKUPRANGES_H
