//===- EmitExpr.h - mask/score regions as CUDA expressions ------*- C++ -*-===//
//
// Stage 2 of codegen: the ops of an attn.variant region become statements of
// an inlined __device__ function, one local per SSA value, in op order.
//
//  * concrete: int (wrap-around via unsigned arithmetic), bool, float; the
//    per-element mask and score modifier.
//  * interval: flashgen::iv::Iv / Tri (Interval.cuh); the per-tile class.
//  * derivative: the concrete statements plus d(value)/d(score) for every
//    f32 value; the score modifier's gradient in the backward pass.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CODEGEN_EMITEXPR_H
#define FLASHGEN_CODEGEN_EMITEXPR_H

#include "flashgen/Codegen/KernelSpec.h"

#include "llvm/Support/raw_ostream.h"

namespace flashgen::codegen {

/// Writes the statements of `region` ending in `return <yield>;`. Region
/// arguments are named (score,) b, h, q, k, seqQ, seqK. The lookups in
/// `stagedColumns` read `col[i]` (uint32_t col[], i their position)
/// instead of the tensor.
void emitConcreteBody(mlir::Region &region, const KernelSpec &spec,
                      llvm::raw_ostream &os,
                      llvm::ArrayRef<attn::LookupOp> stagedColumns = {});

/// Writes the statements that compute the lookups `stagedColumns` of the
/// mask region (which do not read q) into `out[i]` as 32 bits each: what
/// the warp-specialized forward's producer stages per key
/// (StagedColumns.h).
void emitStagedColumnsBody(mlir::Region &region, const KernelSpec &spec,
                           llvm::ArrayRef<attn::LookupOp> stagedColumns,
                           llvm::raw_ostream &os);

/// Writes the statements of the score region differentiated with respect
/// to its score argument (forward mode: each f32 value and its derivative),
/// ending in `return <d result / d score>;`. The backward pass multiplies
/// dS by it, so any score expression gets its gradient without the user
/// writing one.
void emitScoreDerivativeBody(mlir::Region &region, const KernelSpec &spec,
                             llvm::raw_ostream &os);

/// Writes the statements of the mask region over intervals, ending in
/// `return <Tri>;`. Arguments are Iv values named b, h, q, k, seqQ, seqK.
/// Int lookups are unknown over a tile, or with `scanLookups` bounded by a
/// scan of the tensor over the index ranges (lookupScan, TileClasses.cuh:
/// the run-time tile-class builder's, which runs once per tile, not per
/// kernel thread).
void emitIntervalBody(mlir::Region &region, const KernelSpec &spec,
                      llvm::raw_ostream &os, bool scanLookups = false);

} // namespace flashgen::codegen

#endif // FLASHGEN_CODEGEN_EMITEXPR_H
