//===- EstimateIO.cpp - attn-estimate-io ------------------------*- C++ -*-===//
//
// Runs the IO cost model for one shape and records each term, so lit tests
// pin the model's arithmetic and later GPU runs can compare it with ncu.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/IR/Builders.h"

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNESTIMATEIO
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

namespace {
DictionaryAttr toDict(Builder &b, const IOEstimate &e) {
  SmallVector<NamedAttribute> terms;
  for (const IOTerm &t : e.terms)
    if (t.hbm)
      terms.push_back(b.getNamedAttr(t.name, b.getI64IntegerAttr(int64_t(t.bytes))));
  return b.getDictionaryAttr({
      b.getNamedAttr("read_bytes", b.getI64IntegerAttr(int64_t(e.readBytes))),
      b.getNamedAttr("write_bytes", b.getI64IntegerAttr(int64_t(e.writeBytes))),
      b.getNamedAttr("useful_flops", b.getI64IntegerAttr(int64_t(e.usefulFlops))),
      b.getNamedAttr("executed_flops", b.getI64IntegerAttr(int64_t(e.executedFlops))),
      b.getNamedAttr("extra_memory_bytes",
                     b.getI64IntegerAttr(int64_t(e.extraMemoryBytes))),
      b.getNamedAttr("time_us", b.getF64FloatAttr(e.seconds() * 1e6)),
      b.getNamedAttr("bound", b.getStringAttr(e.memSeconds >= e.mathSeconds
                                                  ? "memory" : "compute")),
      b.getNamedAttr("terms", b.getDictionaryAttr(terms)),
  });
}

struct EstimateIOPass : public flashgen::attn::impl::AttnEstimateIOBase<EstimateIOPass> {
  using AttnEstimateIOBase::AttnEstimateIOBase;

  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      TilingAttr tiling = v.getFwdTilingAttr();
      if (!tiling) {
        v.emitError() << "attn-estimate-io needs 'fwd_tiling'; run "
                         "attn-plan-tiling first";
        return signalPassFailure();
      }
      FailureOr<GpuTarget> target = resolveTarget(v, arch);
      if (failed(target))
        return signalPassFailure();
      AttnShape s;
      s.batch = batch;
      s.heads = heads ? int64_t(heads)
                      : (v.getHeads() ? static_cast<int64_t>(*v.getHeads()) : 1);
      s.kvHeads = v.getKvHeads() ? static_cast<int64_t>(*v.getKvHeads()) : s.heads;
      s.seqQ = seqQ;
      s.seqK = seqK;
      TileConfig tiles = fromAttr(tiling);
      TileCensus census = countTiles(v, s, tiles.blockM, tiles.blockN);
      IOEstimate fg = estimateFlashgen(v, s, tiles, census, *target);
      IOEstimate std_ = estimateStandard(v, s, census, *target);
      Builder b(v.getContext());
      v->setAttr("attn.io",
                 b.getDictionaryAttr({
                     b.getNamedAttr("flashgen", toDict(b, fg)),
                     b.getNamedAttr("standard", toDict(b, std_)),
                     b.getNamedAttr("bytes_ratio",
                                    b.getF64FloatAttr(std_.totalBytes() /
                                                      fg.totalBytes())),
                 }));
    });
  }
};
} // namespace
