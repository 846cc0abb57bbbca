//===- Transforms.h - the passes' logic as functions ------------*- C++ -*-===//
//
// Each pass only walks the IR and calls one of these, so the CLI (explain),
// codegen and unit tests reuse the same logic.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
#define FLASHGEN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H

#include "flashgen/Dialect/Attn/Analysis/IOCostModel.h"
#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"
#include "flashgen/Dialect/Attn/IR/AttnOps.h"

namespace flashgen::attn {

/// Canonicalizes and CSEs the mask and score regions of `variant`, then
/// checkExpressions.
mlir::LogicalResult canonicalizeExpressions(VariantOp variant);

/// Errors the expressions make provable, emitted at their ops: an integer
/// divisor that is always 0, a lookup index outside a numeric extent
/// wherever the kernels evaluate it.
mlir::LogicalResult checkExpressions(VariantOp variant);

/// GQA packing (attn-pack-query-heads): rewrites `variant` so that a
/// launch of kv_heads heads and group x seq_q rows computes the original
/// one (row r = j * seq_q + q of head h' is query head h' * group + j's
/// row q; singleQuery: seq_q = 1, r = j). `heads` is the launch's query
/// heads (0: the spec's). Fails with the reason (an error at the variant)
/// where a packed launch cannot express the variant.
mlir::LogicalResult packQueryHeads(VariantOp variant, int64_t group, int64_t heads,
                                   bool singleQuery);

/// Recognizes the mask's band form and the score modifier's form.
MaskShapeAttr recognizeMaskShape(VariantOp variant);
ScoreShapeAttr recognizeScoreShape(VariantOp variant);

/// Whether the mask is a disjunction one of whose terms is a band open on
/// the left that keeps the diagonal (`k <= q + c`, c >= 0), as prefix-LM's
/// `k < prefix_len[b] || k <= q`: every row keeps at least a causal row's
/// keys whatever the other terms (and the tensors they read) decide.
bool keepsCausalBand(VariantOp variant);

/// The target a variant is planned for: `arch` if given, else its target
/// attribute; `native` plans for sm_90a (the lent H100) unless the runtime
/// supplies the device's own numbers. Emits an error on an unknown arch.
mlir::FailureOr<GpuTarget> resolveTarget(VariantOp variant, llvm::StringRef arch);

/// Adds the backward pass to the variant's passes, so that planTiling picks
/// backward tiles even when the spec asked for the forward only (the CLI's
/// `compile --backward`, the runtime's backward JIT).
void requestBackward(VariantOp variant);

/// What the tiling model needs to know of a variant (head dims, element
/// size, dropout, band mask; recognizeMaskShape must have run): the
/// planner's and the auto-tuner's one description of the problem.
TilingProblem tilingProblemOf(VariantOp variant, bool backward);

/// Plans forward (and, if requested, backward) tilings and sets fwd_tiling,
/// bwd_tiling and tiling_notes. Emits an error naming the limit on failure.
mlir::LogicalResult planTiling(VariantOp variant, const GpuTarget &target);

/// TileConfig <-> #attn.tiling.
TilingAttr toAttr(mlir::MLIRContext *ctx, const TileConfig &c);
TileConfig fromAttr(TilingAttr a);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_TRANSFORMS_TRANSFORMS_H
