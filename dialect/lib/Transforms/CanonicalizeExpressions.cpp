//===- CanonicalizeExpressions.cpp - attn-canonicalize-exprs ----*- C++ -*-===//
//
// MLIR's own canonicalization patterns and CSE, applied to the mask and
// score regions only (the regions are isolated, so nothing leaks in or out).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
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
  // An integer divisor that folded to zero (`q / (k - k)`) would be
  // undefined in the kernels: an error at the division (Sema reports
  // literal zeros; float division by zero is IEEE's inf or NaN).
  WalkResult zero = variant.walk([&](Operation *op) {
    if (!isa<arith::DivSIOp, arith::RemSIOp>(op) || !matchPattern(op->getOperand(1), m_Zero()))
      return WalkResult::advance();
    op->emitError() << "integer " << (isa<arith::DivSIOp>(op) ? "division" : "remainder")
                    << " by zero: the divisor is always 0";
    return WalkResult::interrupt();
  });
  return failure(zero.wasInterrupted());
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
