//===- IOCostModel.h - HBM traffic, FLOPs and roofline time -----*- C++ -*-===//
//
// Predicts, for one forward pass over a shape (B, H, Hkv, Nq, Nk):
//
//  flashgen (tiled, FlashAttention-2 schedule: one CTA per Br query rows,
//  row blocks of one head launched next to each other)
//    read  Q once            B*H*Nq*dqk*e
//    K, V tile loads into    B*H * (computed tiles) * Bc*(dqk+dv)*e
//      shared memory         -> Nq/Br passes over K and V: Theta(N^2 d^2 / M)
//                               with Br proportional to the SRAM size M (the
//                               paper's Theorem 2). Served by L2 or HBM.
//    read  K, V from HBM     once per kv head when the K/V of the heads in
//                            flight (one wave of CTAs) fit in half the L2,
//                            else every tile load
//    write O once, LSE once  B*H*Nq*(dv*e + 4)
//  standard attention (unfused: S = QK^T, softmax, P V, each through HBM)
//    read Q, K, V; write S; read S, write P; read P; write O
//    + one read and write of the N x N matrix per extra elementwise pass
//      (mask, score modifier, dropout): Theta(N d + N^2).
//
// FLOPs: the dense count 2*B*H*Nq*Nk*(dqk+dv) scaled by the fraction of
// computed elements (the benchmarks' convention: useful FLOPs), and the
// executed count (whole computed tiles, masked elements included).
// Time: max(bytes / bandwidth, FLOPs / MMA rate), the roofline.
//
// Every term stays a named field so the GPU's hardware counters (ncu's
// dram__bytes) can be checked against each one.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_IOCOSTMODEL_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_IOCOSTMODEL_H

#include "flashgen/Dialect/Attn/Analysis/TileClassification.h"
#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"

#include <string>
#include <utility>
#include <vector>

namespace flashgen::attn {

/// One named traffic term in bytes.
struct IOTerm {
  std::string name;
  double bytes = 0;
  bool write = false;
  bool hbm = true; // false: on-chip traffic, shown but not in the totals
};

struct IOEstimate {
  std::vector<IOTerm> terms;
  double readBytes = 0, writeBytes = 0;
  double usefulFlops = 0, executedFlops = 0;
  double extraMemoryBytes = 0; // beyond inputs and outputs
  double l2WorkingSetBytes = 0; // K/V of the heads one wave of CTAs touches
  bool kvFromL2 = false;
  double memSeconds = 0, mathSeconds = 0;
  double seconds() const { return std::max(memSeconds, mathSeconds); }
  /// Records a term; only HBM terms count toward the totals.
  void add(std::string name, double bytes, bool write, bool hbm = true) {
    terms.push_back({std::move(name), bytes, write, hbm});
    if (hbm)
      (write ? writeBytes : readBytes) += bytes;
  }
  double totalBytes() const { return readBytes + writeBytes; }
  double intensity() const { return executedFlops / std::max(totalBytes(), 1.0); }
};

/// How a forward launch runs beyond its tiles (`explain` at decoding
/// shapes): split-KV CTAs write fp32 partial results that the combine
/// reads back; a decoding launch of fp8 inputs transposes V in the kernel
/// (FwdFp8.cuh) instead of by a pre-pass through HBM.
struct FwdLaunchTraits {
  int kvSplits = 1;
  bool vTransposedInKernel = false;
};

IOEstimate estimateFlashgen(VariantOp variant, const AttnShape &shape,
                            const TileConfig &tiles, const TileCensus &census,
                            const GpuTarget &target, const FwdLaunchTraits &launch = {});
IOEstimate estimateStandard(VariantOp variant, const AttnShape &shape,
                            const TileCensus &census, const GpuTarget &target);

/// Bytes per element of the variant's dtype.
int64_t elementBytes(VariantOp variant);
/// Bytes per element of O: the inputs' (bf16 for fp8 inputs).
int64_t outputElementBytes(VariantOp variant);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_IOCOSTMODEL_H
