//===- Merge.h - two attention results merged by their logsumexps -*- C++ -*-===//
//
// Attention over the union of two disjoint key sets from each set's O and
// logsumexp (Merge.cuh): what split-KV, cascade/prefix sharing and
// multi-GPU attention all need. The kernel is JITted once per process and
// dtype (runtime/lib/CombineKernel.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_MERGE_H
#define FLASHGEN_RUNTIME_MERGE_H

#include "flashgen/Runtime/Runtime.h"

namespace flashgen {
struct MergeParams; // templates/flashgen/attention/Params.cuh

struct MergeArgs {
  /// O of each part and of the result, [batch][seq][heads][headDim] in
  /// `layout` or at explicit strides (elements; the head dim contiguous);
  /// o may be oA or oB (merged in place).
  const void *oA = nullptr, *oB = nullptr;
  void *o = nullptr;
  /// Logsumexps [batch][heads][seq] fp32 as the forward writes them (+inf:
  /// a row with no key); lse (optional) may be lseA or lseB.
  const float *lseA = nullptr, *lseB = nullptr;
  float *lse = nullptr;
  int batch = 0, heads = 0, seq = 0, headDim = 0;
  bool bf16 = true; // else fp16
  Layout layout = Layout::BSHD;
  Strides aStrides, bStrides, oStrides;
  CUstream stream = nullptr;
  int device = -1;
};

/// Checks every argument of `args` by name and fills the kernel's
/// parameters (no GPU needed).
llvm::Error buildMergeParams(const MergeArgs &args, MergeParams &params);

/// O and lse of attention over both parts' keys, on args.stream
/// (asynchronous): a row empty in one part takes the other's; a row empty
/// in both is O = 0, lse = +inf; NaN stays NaN.
llvm::Error mergeAttention(const MergeArgs &args);

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_MERGE_H
