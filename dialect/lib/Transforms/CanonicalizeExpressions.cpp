//===- CanonicalizeExpressions.cpp - attn-canonicalize-exprs ----*- C++ -*-===//
//
// MLIR's own canonicalization patterns and CSE, applied to the mask and
// score regions only (the regions are isolated, so nothing leaks in or out).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNCANONICALIZEEXPRS
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

LogicalResult flashgen::attn::canonicalizeExpressions(VariantOp variant) {
  MLIRContext *ctx = variant.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *d : ctx->getLoadedDialects())
    d->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  FrozenRewritePatternSet frozen(std::move(patterns));
  for (Region &region : variant->getRegions())
    // Not converging within the default iteration limit leaves valid IR;
    // only a verifier failure would be an error, and MLIR reports those.
    (void)applyPatternsGreedily(region, frozen);
  IRRewriter rewriter(ctx);
  DominanceInfo dominance;
  eliminateCommonSubExpressions(rewriter, dominance, variant);
  return checkExpressions(variant);
}

/// Errors the folded expressions make provable. An integer divisor that
/// folded to zero (`q / (k - k)`) would be undefined in the kernels (Sema
/// reports literal zeros; float division by zero is IEEE's inf or NaN). A
/// lookup index outside a numeric extent wherever the kernels evaluate it
/// (`t[k + 300]` of an i32[4]) reads only the clamped edge element: a
/// mistake, reported at the lookup.
LogicalResult flashgen::attn::checkExpressions(VariantOp variant) {
  bool ok = true;
  variant.walk([&](Operation *op) {
    if (isa<arith::DivSIOp, arith::RemSIOp>(op) && matchPattern(op->getOperand(1), m_Zero())) {
      op->emitError() << "integer " << (isa<arith::DivSIOp>(op) ? "division" : "remainder")
                      << " by zero: the divisor is always 0";
      ok = false;
    }
  });
  for (Region &region : variant->getRegions()) {
    Block &block = region.front();
    llvm::DenseMap<Value, Interval> ranges = evaluateRanges(block, kernelIndexRanges());
    block.walk([&](LookupOp l) {
      TensorAttr t = variant.lookupTensor(l.getName());
      if (!t)
        return;
      for (auto [d, index] : llvm::enumerate(l.getIndices())) {
        auto extent = dyn_cast<IntegerAttr>(t.getShape()[d]);
        auto range = ranges.find(index);
        if (!extent || range == ranges.end())
          continue;
        const int64_t n = extent.getInt();
        const Interval r = range->second;
        if (r.hi < 0 || r.lo >= n) {
          l.emitError() << "index " << d << " of '" << l.getName() << "' is always outside [0, "
                        << n << "): it lies in [" << r.lo << ", " << r.hi << "]";
          ok = false;
        }
      }
    });
  }
  return success(ok);
}

namespace {
struct CanonicalizeExprsPass
    : public flashgen::attn::impl::AttnCanonicalizeExprsBase<CanonicalizeExprsPass> {
  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      if (failed(canonicalizeExpressions(v)))
        signalPassFailure();
    });
  }
};
} // namespace
