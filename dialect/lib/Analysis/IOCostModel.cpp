//===- IOCostModel.cpp - HBM traffic, FLOPs and roofline time ---*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/IOCostModel.h"

#include <algorithm>

using namespace flashgen::attn;

int64_t flashgen::attn::elementBytes(VariantOp v) {
  switch (v.getDtype()) {
  case ElementType::f16:
  case ElementType::bf16:
    return 2;
  case ElementType::fp8_e4m3:
  case ElementType::fp8_e5m2:
    return 1;
  }
  return 2;
}

int64_t flashgen::attn::outputElementBytes(VariantOp v) {
  return elementBytes(v) == 1 ? 2 : elementBytes(v);
}

IOEstimate flashgen::attn::estimateFlashgen(VariantOp v, const AttnShape &s,
                                            const TileConfig &tiles,
                                            const TileCensus &census,
                                            const GpuTarget &t,
                                            const FwdLaunchTraits &launch) {
  double e = double(elementBytes(v));
  double dqk = double(v.getQkHeadDim()), dv = double(v.getVHeadDim());
  double BH = double(s.batch) * double(s.heads);
  double BHkv = double(s.batch) * double(s.kvHeads);
  IOEstimate est;
  est.add("Q (read once)", BH * s.seqQ * dqk * e, false);
  // Each computed tile loads Bc rows of K and V into shared memory (edge
  // tiles fewer).
  double kvRows = std::min(double(census.computed()) * double(tiles.blockN),
                           double(census.rowBlocks) * double(s.seqK));
  double tileLoads = BH * kvRows * (dqk + dv) * e;
  est.add("K/V tile loads into SRAM (L2 or HBM)", tileLoads, false, /*hbm=*/false);
  // One wave of CTAs covers this many (query) heads; their K/V must stay in
  // L2 for the next row blocks of the same head to hit.
  double wave = double(t.numSMs) * double(std::max<int64_t>(tiles.ctasPerSM, 1));
  double headsInFlight = std::ceil(wave / double(std::max<int64_t>(census.rowBlocks, 1))) + 1;
  double group = double(s.heads) / double(std::max<int64_t>(s.kvHeads, 1));
  double kvHeadsInFlight = std::ceil(headsInFlight / group) + 1;
  double workingSet = kvHeadsInFlight * double(s.seqK) * (dqk + dv) * e;
  est.l2WorkingSetBytes = workingSet;
  est.kvFromL2 = workingSet <= 0.5 * double(t.l2Bytes);
  double kvOnce = BHkv * double(s.seqK) * (dqk + dv) * e;
  if (est.kvFromL2)
    est.add("K/V from HBM (once per kv head, L2 reuse)", std::min(kvOnce, tileLoads), false);
  else
    est.add("K/V from HBM (every tile load, L2 too small)", tileLoads, false);
  // fp8: the 8-bit P V reads V transposed, made by a pre-pass (FwdFp8.cuh)
  // unless the launch's kernel transposes each tile itself.
  const bool prePass = e == 1 && !launch.vTransposedInKernel;
  if (prePass) {
    est.add("V^T pre-pass (read V)", BHkv * double(s.seqK) * dv, false);
    est.add("V^T pre-pass (write V^T)", BHkv * double(s.seqK) * dv, true);
  }
  // Split-KV: each split's O rows and logsumexp in fp32 (Params.cuh's
  // oPartial/lsePartial), read back by the combine.
  const double partials =
      launch.kvSplits > 1 ? double(launch.kvSplits) * BH * s.seqQ * (dv + 1) * 4.0 : 0.0;
  if (partials > 0) {
    est.add("split-KV partial O and logsumexp (fp32)", partials, true);
    est.add("split-KV partials (the combine's read)", partials, false);
  }
  est.add("O (written once)", BH * s.seqQ * dv * double(outputElementBytes(v)), true);
  est.add("logsumexp (fp32)", BH * s.seqQ * 4.0, true);
  est.usefulFlops = 2.0 * BH * s.seqQ * s.seqK * (dqk + dv) * census.attendedFraction;
  est.executedFlops = 2.0 * BH * double(census.computed()) * tiles.blockM *
                      tiles.blockN * (dqk + dv);
  est.extraMemoryBytes = BH * s.seqQ * 4.0 + (prePass ? BHkv * double(s.seqK) * dv : 0.0) +
                         partials;
  est.memSeconds = est.totalBytes() / t.hbmBytesPerSec;
  // 8-bit products run at twice the 16-bit rate.
  est.mathSeconds = est.executedFlops / (t.mmaFlopsPerSec * (e == 1 ? 2.0 : 1.0));
  return est;
}

IOEstimate flashgen::attn::estimateStandard(VariantOp v, const AttnShape &s,
                                            const TileCensus &census,
                                            const GpuTarget &t) {
  double e = double(elementBytes(v));
  double dqk = double(v.getQkHeadDim()), dv = double(v.getVHeadDim());
  double BH = double(s.batch) * double(s.heads);
  double NN = double(s.seqQ) * double(s.seqK);
  IOEstimate est;
  // GQA: the unfused form reads each K/V head once per query head after
  // expanding it, as torch's reference implementation does.
  est.add("Q", BH * s.seqQ * dqk * e, false);
  est.add("K", BH * s.seqK * dqk * e, false);
  est.add("S = QK^T (write)", BH * NN * e, true);
  bool masked = !mlir::isa_and_nonnull<mlir::arith::ConstantOp>(
      v.getMaskValue().getDefiningOp());
  bool modified = v.getScoreValue() != v.getScore().front().getArgument(0);
  int extraPasses = (masked ? 1 : 0) + (modified ? 1 : 0) +
                    (v.getDropout().convertToDouble() > 0 ? 1 : 0);
  for (int i = 0; i < extraPasses; ++i) {
    est.add("elementwise pass over S (read)", BH * NN * e, false);
    est.add("elementwise pass over S (write)", BH * NN * e, true);
  }
  est.add("softmax (read S)", BH * NN * e, false);
  est.add("softmax (write P)", BH * NN * e, true);
  est.add("P (read)", BH * NN * e, false);
  est.add("V", BH * s.seqK * dv * e, false);
  est.add("O (write)", BH * s.seqQ * dv * double(outputElementBytes(v)), true);
  est.usefulFlops = 2.0 * BH * NN * (dqk + dv) * census.attendedFraction;
  est.executedFlops = 2.0 * BH * NN * (dqk + dv); // dense matmuls
  est.extraMemoryBytes = 2.0 * BH * NN * e;       // S and P live at once
  est.memSeconds = est.totalBytes() / t.hbmBytesPerSec;
  est.mathSeconds = est.executedFlops / t.mmaFlopsPerSec;
  return est;
}
