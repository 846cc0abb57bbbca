//===- ClassifyTiles.cpp - attn-classify-tiles ------------------*- C++ -*-===//
//
// Records the tile census of a shape (and, for small shapes, the map of
// tile classes) so lit tests and `flashgen explain` can show what the
// kernel will skip.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/IR/Builders.h"

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNCLASSIFYTILES
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

namespace {
struct ClassifyTilesPass : public flashgen::attn::impl::AttnClassifyTilesBase<ClassifyTilesPass> {
  using AttnClassifyTilesBase::AttnClassifyTilesBase;

  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      if (seqQ < 1 || seqK < 1) {
        v.emitError() << "seq-q and seq-k must be >= 1";
        return signalPassFailure();
      }
      int64_t Br = blockM, Bc = blockN;
      if (TilingAttr t = v.getFwdTilingAttr()) {
        Br = Br ? Br : t.getBlockM();
        Bc = Bc ? Bc : t.getBlockN();
      }
      Br = Br ? Br : 128;
      Bc = Bc ? Bc : 128;
      AttnShape shape;
      shape.heads = v.getHeads() ? static_cast<int64_t>(*v.getHeads()) : 1;
      shape.seqQ = seqQ;
      shape.seqK = seqK;
      Builder b(v.getContext());
      TileCensus c = countTiles(v, shape, Br, Bc);
      v->setAttr("attn.tile_census",
                 b.getDictionaryAttr({
                     b.getNamedAttr("block_m", b.getI64IntegerAttr(Br)),
                     b.getNamedAttr("block_n", b.getI64IntegerAttr(Bc)),
                     b.getNamedAttr("empty", b.getI64IntegerAttr(c.empty)),
                     b.getNamedAttr("full", b.getI64IntegerAttr(c.full)),
                     b.getNamedAttr("partial", b.getI64IntegerAttr(c.partial)),
                     b.getNamedAttr("total", b.getI64IntegerAttr(c.total())),
                 }));
      if (c.rowBlocks > maxMapBlocks || c.colBlocks > maxMapBlocks)
        return;
      SmallVector<Attribute> rows;
      for (int64_t i = 0; i < c.rowBlocks; ++i) {
        std::string row;
        int64_t q0 = i * Br, q1 = std::min<int64_t>(seqQ, q0 + Br) - 1;
        for (int64_t j = 0; j < c.colBlocks; ++j) {
          int64_t k0 = j * Bc, k1 = std::min<int64_t>(seqK, k0 + Bc) - 1;
          row += tileClassLetter(classifyTile(v, shape, q0, q1, k0, k1));
        }
        rows.push_back(b.getStringAttr(row));
      }
      v->setAttr("attn.tile_map", b.getArrayAttr(rows));
    });
  }
};
} // namespace
