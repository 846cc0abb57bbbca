//===- StagedColumns.h - mask lookups read once per key --------*- C++ -*-===//
//
// A mask lookup whose indices see the key k but not the query row q
// (doc_id[b, k] of a document mask) has one value per key of a kv tile,
// the same for every row. The warp-specialized forward's producer loads
// those values into shared memory beside the tile's K
// (FwdKernelSm90Ws.cuh), so a partial tile's mask reads them there instead
// of computing a global address and waiting for a load per column and
// consumer warp (documents from a tensor ran 13-18% below the same mask
// written as arithmetic, bench/results/2026-12-01-h200-s23.md). The
// backward's warp-specialized kernel stages the lookups of the query row
// with each streamed Q tile the same way. The planner counts their shared
// memory and codegen emits the loads from the same lists.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_STAGEDCOLUMNS_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_STAGEDCOLUMNS_H

#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "llvm/ADT/SmallVector.h"

namespace flashgen::attn {

/// The mask region's lookups that vary with k but not with q, in walk
/// order (each one staged value per key). Empty without a mask.
llvm::SmallVector<LookupOp> stagedColumnLookups(VariantOp variant);

/// The mask region's lookups that vary with q but not with k (doc_id[b,
/// q]): the backward streams query rows past resident keys, so there these
/// are the ones of one value per streamed row, staged with each Q tile.
llvm::SmallVector<LookupOp> stagedRowLookups(VariantOp variant);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_STAGEDCOLUMNS_H
