//===- PackQueryHeads.cpp - attn-pack-query-heads ---------------*- C++ -*-===//
//
// GQA packing for decoding. A launch of one query row per head gives each
// query head its own CTA, which reads its kv head's whole cache: group
// query heads read it group times, each in a tile of one live row. The
// packed launch makes a kv head's query heads the rows of one CTA; this
// pass rewrites the variant's expressions in the packed launch's terms
// (h', r, seq_q') so the kernels, tile classes and reference stay the
// ordinary ones.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNPACKQUERYHEADS
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

namespace {
/// Block arguments of both regions, after the score's leading `score`.
struct Indices {
  Value b, h, q, k, seqQ, seqK;
};
Indices indicesOf(Block &block, bool score) {
  const unsigned o = score ? 1 : 0;
  return {block.getArgument(o), block.getArgument(o + 1), block.getArgument(o + 2),
          block.getArgument(o + 3), block.getArgument(o + 4), block.getArgument(o + 5)};
}

/// Rewrites one region's uses of h, q and seq_q (see the pass description).
void rewriteRegion(Region &region, bool score, int64_t group, bool singleQuery) {
  Block &block = region.front();
  Indices ix = indicesOf(block, score);
  Operation *firstOriginal = &block.front();
  OpBuilder b = OpBuilder::atBlockBegin(&block);
  Location loc = region.getParentOp()->getLoc();
  auto i32 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32).getResult(); };
  Value g = i32(group);
  Value seqQ, q, j;
  if (singleQuery) {
    seqQ = i32(1);
    q = i32(0);
    j = ix.q;
  } else {
    // seq_q' = group x seq_q exactly, so seq_q >= 1 here.
    seqQ = arith::DivSIOp::create(b, loc, ix.seqQ, g);
    q = arith::RemSIOp::create(b, loc, ix.q, seqQ);
    j = arith::DivSIOp::create(b, loc, ix.q, seqQ);
  }
  Value h = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, ix.h, g), j);
  // The ops just added read the launch's indices; every other use gets
  // the original variant's.
  llvm::SmallPtrSet<Operation *, 8> added;
  for (Operation &op : block) {
    if (&op == firstOriginal)
      break;
    added.insert(&op);
  }
  auto replace = [&](Value from, Value to) {
    from.replaceUsesWithIf(to, [&](OpOperand &use) { return !added.contains(use.getOwner()); });
  };
  replace(ix.seqQ, seqQ);
  replace(ix.q, q);
  replace(ix.h, h);
}
} // namespace

LogicalResult flashgen::attn::packQueryHeads(VariantOp v, int64_t group, int64_t heads,
                                             bool singleQuery) {
  if (group < 2)
    return v.emitError() << "packing query heads needs a group of 2 or more, got " << group;
  if (v.getHeads())
    heads = static_cast<int64_t>(*v.getHeads());
  if (heads < group || heads % group != 0)
    return v.emitError() << "packing query heads: " << heads << " query heads are not a "
                         << "multiple of the group of " << group;
  if (v.getKvHeads() && static_cast<int64_t>(*v.getKvHeads()) * group != heads)
    return v.emitError() << "packing query heads: kv_heads = " << *v.getKvHeads() << " is not "
                         << heads << " / " << group;
  if (v.getDropout().convertToDouble() > 0)
    return v.emitError() << "packing query heads: dropout draws per (head, query)";
  if (v.getVarlen())
    return v.emitError() << "packing query heads: varlen sequences";
  if (v.getSparsity())
    return v.emitError() << "packing query heads: block sparsity by query block";
  Builder b(v.getContext());
  SmallVector<Attribute> tensors;
  for (Attribute a : v.getTensors()) {
    auto t = cast<TensorAttr>(a);
    SmallVector<Attribute> shape;
    for (Attribute d : t.getShape()) {
      auto name = dyn_cast<StringAttr>(d);
      if (name && (name.getValue().starts_with("seq_q") || name.getValue().starts_with("tokens_q")))
        return v.emitError() << "packing query heads: tensor '" << t.getName()
                             << "' has a query-sized extent";
      shape.push_back(name && name.getValue() == "heads" ? b.getI64IntegerAttr(heads) : d);
    }
    tensors.push_back(TensorAttr::get(v.getContext(), t.getName(), t.getElementType(),
                                      b.getArrayAttr(shape)));
  }
  v.setTensorsAttr(b.getArrayAttr(tensors));
  rewriteRegion(v.getMask(), /*score=*/false, group, singleQuery);
  rewriteRegion(v.getScore(), /*score=*/true, group, singleQuery);
  const int64_t kvHeads = heads / group;
  v.setHeadsAttr(b.getI64IntegerAttr(kvHeads));
  v.setKvHeadsAttr(b.getI64IntegerAttr(kvHeads));
  return success();
}

namespace {
struct PackQueryHeadsPass
    : public flashgen::attn::impl::AttnPackQueryHeadsBase<PackQueryHeadsPass> {
  using AttnPackQueryHeadsBase::AttnPackQueryHeadsBase;
  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      if (failed(packQueryHeads(v, group, heads, singleQuery)))
        signalPassFailure();
    });
  }
};
} // namespace
