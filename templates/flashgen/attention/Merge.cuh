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
#include "flashgen/attention/GridDependency.cuh"
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

/// The pieces of a merge, shared by the host's loop (mergeWeights) and the
/// combine kernel's warp (one part per lane): with top the largest lse_i,
/// part i weighs exp(lse_i - top) / total (total: the sum of those), and
/// the merged lse is top + log(total); a NaN lse_i makes every weight and
/// the merged lse NaN; no part with mass (top = -inf) makes every weight 0
/// and the merged lse +inf.
FG_HOST_DEVICE float mergeMass(float lse, float top) {
  // exp(-inf) = 0 for empty parts; none has mass when top is -inf.
  return top > -mergeInfinity() ? expf(lse - top) : 0.f;
}
FG_HOST_DEVICE float mergeWeight(float mass, float total, float top, bool nan) {
  return nan ? mergeNaN() : (top > -mergeInfinity() ? mass / total : 0.f);
}
FG_HOST_DEVICE float mergedLse(float total, float top, bool nan) {
  return nan ? mergeNaN() : (top > -mergeInfinity() ? top + logf(total) : mergeInfinity());
}

/// The weights exp(lse_i - lse) of `n` parts' logsumexps (natural log,
/// -inf: an empty part) into w, and the merged lse: +inf when every part
/// is empty (then every weight is 0).
FG_HOST_DEVICE float mergeWeights(const float *lse, int n, float *w) {
  float top = -mergeInfinity(), total = 0.f;
  bool nan = false;
  for (int i = 0; i < n; ++i) {
    nan = nan || lse[i] != lse[i];
    top = lse[i] > top ? lse[i] : top;
  }
  for (int i = 0; i < n; ++i) {
    w[i] = mergeMass(lse[i], top);
    total += w[i];
  }
  for (int i = 0; i < n; ++i)
    w[i] = mergeWeight(w[i], total, top, nan);
  return mergedLse(total, top, nan);
}

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
/// The split-KV combine: one warp per (head, partial row). Lane s reads
/// split s's logsumexp and the warp reduces them (kMaxKvSplits is the warp
/// size); then each lane merges its pairs of O's columns over the splits,
/// eight splits' loads in flight at a time, and writes them in T at O's
/// strides; lane 0 writes the merged lse. Loaded one after another, 16
/// splits' partials cost 18 us on the H200 where the main kernel took 11
/// (bench/results/2026-11-30-h200-s19.md).
template <class T, bool kVarlen> FG_DEVICE void combineKvSplits(const FwdParams &p) {
  static_assert(kMaxKvSplits <= 32, "one split per lane");
  constexpr int kInFlight = 8, kColumnSteps = 4; // pairs of columns per lane: head dims to 256
  const unsigned all = 0xffffffffu;
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t row = int64_t(blockIdx.x) * (kCombineThreads / 32) + warp;
  const int h = int(blockIdx.y);
  // Launched as the forward's programmatic dependent it may start early:
  // the partial results are complete and visible only after this.
  gridDependencyWait();
  if (row >= p.partialRows)
    return;
  const int splits = p.kvSplits;
  auto partAt = [&](int s) { return (int64_t(s) * p.heads + h) * p.partialRows + row; };
  const float lse = lane < splits ? p.lsePartial[partAt(lane)] : -mergeInfinity();
  float top = lse;
  bool nan = lse != lse;
  for (int o = 16; o > 0; o /= 2) {
    const float t = __shfl_xor_sync(all, top, o);
    top = t > top ? t : top;
  }
  nan = __any_sync(all, nan);
  const float mass = mergeMass(lse, top);
  float total = mass;
  for (int o = 16; o > 0; o /= 2)
    total += __shfl_xor_sync(all, total, o);
  const float w = mergeWeight(mass, total, top, nan);
  // The partial row back to (batch entry, row): varlen rows are packed.
  int b = 0;
  int64_t q = row;
  if (!kVarlen) {
    b = int(row / p.seqQ);
    q = row % p.seqQ;
  }
  uint16_t *out = static_cast<uint16_t *>(p.o) + (kVarlen ? 0 : b * p.oBatchStride) +
                  q * p.oRowStride + h * p.oHeadStride;
  float x[kColumnSteps] = {}, y[kColumnSteps] = {};
  for (int s0 = 0; s0 < splits; s0 += kInFlight) {
    float2 v[kInFlight][kColumnSteps];
    float ws[kInFlight];
#pragma unroll
    for (int i = 0; i < kInFlight; ++i) {
      ws[i] = __shfl_sync(all, w, (s0 + i) & 31);
#pragma unroll
      for (int j = 0; j < kColumnSteps; ++j) {
        const int c = 2 * lane + 64 * j;
        v[i][j] = s0 + i < splits && c < p.headDimV
                      ? *reinterpret_cast<const float2 *>(p.oPartial +
                                                          partAt(s0 + i) * p.headDimV + c)
                      : make_float2(0.f, 0.f);
      }
    }
    // An empty part (weight 0) adds nothing, whatever its O holds.
#pragma unroll
    for (int i = 0; i < kInFlight; ++i)
#pragma unroll
      for (int j = 0; j < kColumnSteps; ++j)
        if (s0 + i < splits && ws[i] != 0.f) {
          x[j] += ws[i] * v[i][j].x;
          y[j] += ws[i] * v[i][j].y;
        }
  }
#pragma unroll
  for (int j = 0; j < kColumnSteps; ++j) {
    const int c = 2 * lane + 64 * j;
    if (c < p.headDimV)
      *reinterpret_cast<uint32_t *>(out + c) = packPair<T>(x[j], y[j]);
  }
  if (p.lse && lane == 0)
    p.lse[kVarlen ? h * p.lseHeadStride + row
                  : b * p.lseBatchStride + h * p.lseHeadStride + q] = mergedLse(total, top, nan);
}

/// Two results merged (mergeAttention's kernel): one warp per (batch, head,
/// row); the lanes walk O's column pairs.
template <class T> FG_DEVICE void mergePair(const MergeParams &p) {
  const int warp = int(threadIdx.x) / 32, lane = int(threadIdx.x) % 32;
  const int64_t row = int64_t(blockIdx.x) * (kCombineThreads / 32) + warp;
  const int h = int(blockIdx.y), b = int(blockIdx.z);
  if (row >= p.seq)
    return;
  const int64_t at = (int64_t(b) * p.heads + h) * p.seq + row;
  // The kernels' +inf (no key) is no mass: -inf for mergeWeights.
  float lse[2] = {p.lseA[at], p.lseB[at]}, w[2];
  for (float &x : lse)
    x = x == mergeInfinity() ? -mergeInfinity() : x;
  const float merged = mergeWeights(lse, 2, w);
  auto rowOf = [&](const void *base, const int64_t *st) {
    return static_cast<const uint16_t *>(base) + b * st[0] + row * st[1] + h * st[2];
  };
  const uint16_t *a = rowOf(p.oA, p.aStrides), *bb = rowOf(p.oB, p.bStrides);
  uint16_t *out = const_cast<uint16_t *>(rowOf(p.o, p.oStrides));
  for (int c = 2 * lane; c < p.headDim; c += 64) {
    // An empty part's weight is 0 and its O is 0: skip it, so that a NaN
    // can only come from a part that attended.
    float lo = 0.f, hi = 0.f;
    if (w[0] != 0.f) {
      lo += w[0] * toFloat<T>(a[c]);
      hi += w[0] * toFloat<T>(a[c + 1]);
    }
    if (w[1] != 0.f) {
      lo += w[1] * toFloat<T>(bb[c]);
      hi += w[1] * toFloat<T>(bb[c + 1]);
    }
    *reinterpret_cast<uint32_t *>(out + c) = packPair<T>(lo, hi);
  }
  if (p.lse && lane == 0)
    p.lse[at] = merged;
}
#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_MERGE_CUH
