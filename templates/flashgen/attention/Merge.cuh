//===- Merge.cuh - attention results over parts of the keys, merged -*- CUDA -*-===//
//
// Attention over keys K1 + K2 from the results over K1 and over K2 alone:
// with lse_i = log sum_{k in K_i} exp(s_k) and O_i normalized over K_i,
//
//   lse = log(exp(lse_1) + exp(lse_2) + ...),  O = sum_i exp(lse_i - lse) O_i,
//
// computed from the largest lse_i so no exponent overflows. A part that saw
// no key has lse_i = -inf and weight 0; if every part is empty the row has
// nothing to attend: O = 0 and lse = +inf, the forward's convention for
// such rows; a NaN lse_i makes the row NaN. The split-KV combine kernel
// (below; one small module per dtype and layout, JITted by the runtime on
// first use, runtime/lib/CombineKernel.cpp) and the host's tests share
// mergeWeights.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_MERGE_CUH
#define FLASHGEN_ATTENTION_MERGE_CUH

#include "flashgen/Platform.cuh"
#include "flashgen/attention/Params.cuh"

#ifndef __CUDACC_RTC__
#include <cmath>
#include <limits>
#endif

namespace flashgen {

/// +inf and NaN on the host and the device (NVRTC has no <limits> and no
/// __builtin_huge_valf).
FG_HOST_DEVICE float mergeInfinity() {
#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
  return __int_as_float(0x7f800000);
#else
  return std::numeric_limits<float>::infinity();
#endif
}
FG_HOST_DEVICE float mergeNaN() {
#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
  return __int_as_float(0x7fffffff);
#else
  return std::numeric_limits<float>::quiet_NaN();
#endif
}

/// The weights exp(lse_i - lse) of `n` parts' logsumexps (natural log,
/// -inf: an empty part) into w, and the merged lse: +inf when every part
/// is empty (then every weight is 0).
FG_HOST_DEVICE float mergeWeights(const float *lse, int n, float *w) {
  const float inf = mergeInfinity();
  float top = -inf;
  bool nan = false;
  for (int i = 0; i < n; ++i) {
    nan = nan || lse[i] != lse[i];
    top = lse[i] > top ? lse[i] : top;
  }
  if (nan) { // NaN inputs: NaN out, never an "empty" row
    for (int i = 0; i < n; ++i)
      w[i] = mergeNaN();
    return mergeNaN();
  }
  if (!(top > -inf)) { // every part empty (or no part)
    for (int i = 0; i < n; ++i)
      w[i] = 0.f;
    return inf;
  }
  float total = 0.f;
  for (int i = 0; i < n; ++i) {
    w[i] = expf(lse[i] - top); // exp(-inf) = 0 for empty parts
    total += w[i];
  }
  for (int i = 0; i < n; ++i)
    w[i] /= total;
  return top + logf(total);
}

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
/// The split-KV combine: one warp per (head, partial row); every lane
/// reads the row's splits' logsumexps (a few floats, L1-resident) and
/// weighs them, then merges its pairs of O's columns and writes them in T
/// at O's strides; lane 0 writes the merged lse.
template <class T, bool kVarlen> FG_DEVICE void combineKvSplits(const FwdParams &p) {
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t row = int64_t(blockIdx.x) * (kCombineThreads / 32) + warp;
  const int h = int(blockIdx.y);
  if (row >= p.partialRows)
    return;
  const int splits = p.kvSplits;
  float lse[kMaxKvSplits], w[kMaxKvSplits];
  for (int s = 0; s < splits; ++s)
    lse[s] = p.lsePartial[(int64_t(s) * p.heads + h) * p.partialRows + row];
  const float merged = mergeWeights(lse, splits, w);
  // The partial row back to (batch entry, row): varlen rows are packed.
  int b = 0;
  int64_t q = row;
  if (!kVarlen) {
    b = int(row / p.seqQ);
    q = row % p.seqQ;
  }
  uint16_t *out = static_cast<uint16_t *>(p.o) + (kVarlen ? 0 : b * p.oBatchStride) +
                  q * p.oRowStride + h * p.oHeadStride;
  for (int c = 2 * lane; c < p.headDimV; c += 64) {
    float x = 0.f, y = 0.f;
    for (int s = 0; s < splits; ++s) {
      if (w[s] == 0.f)
        continue; // an empty part (its O is 0)
      const float2 v = *reinterpret_cast<const float2 *>(
          p.oPartial + ((int64_t(s) * p.heads + h) * p.partialRows + row) * p.headDimV + c);
      x += w[s] * v.x;
      y += w[s] * v.y;
    }
    *reinterpret_cast<uint32_t *>(out + c) = packPair<T>(x, y);
  }
  if (p.lse && lane == 0)
    p.lse[kVarlen ? h * p.lseHeadStride + row
                           : b * p.lseBatchStride + h * p.lseHeadStride + q] = merged;
}
#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_MERGE_CUH
