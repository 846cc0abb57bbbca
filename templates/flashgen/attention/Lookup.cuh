//===- Lookup.cuh - reading named run-time tensors ---------------*- CUDA -*-===//
//
// Mask and score expressions read user tensors (document ids, ALiBi slopes,
// bias tables). Indices are clamped to the tensor's extents: a spec that
// indexes out of range reads the nearest element rather than stray memory.
// A checked build (KernelSpec::checkLookups) passes where each lookup is
// evaluated (LookupAt) and records the first clamped index of an element
// inside seq_q x seq_k for the runtime to report.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_LOOKUP_CUH
#define FLASHGEN_ATTENTION_LOOKUP_CUH

#include "flashgen/attention/Params.cuh"

namespace flashgen {

/// Where a checked build evaluates a lookup: the report (null: none), the
/// site's number and the element, in the launch's frame.
struct LookupAt {
  int32_t *report;
  int site, b, h, q, k, seqQ, seqK;
};

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
/// Records a clamped index unless one is recorded already. Inline, behind
/// a branch taken only on a clamp: out of line, the call's possible stores
/// kept the compiler from hoisting a row's lookups out of the column loop
/// and put a call per element on every partial tile (a checked document
/// mask ran at 0.36x the plain build; bench/results/2026-11-30-h200-s17.md).
FG_DEVICE void recordClampedLookup(int32_t *report, int site, int dim, int index, int b,
                                            int h, int q, int k) {
  if (atomicCAS(report, 0, 1) != 0)
    return;
  const int fields[kLookupReportInts - 1] = {site, dim, index, b, h, q, k};
  for (int i = 0; i < kLookupReportInts - 1; ++i)
    report[1 + i] = fields[i];
}
#endif

/// Element offset of index `i` along dim `d`: clamped to the extent, unless
/// codegen proved it in range (kInRange: interval analysis of the index
/// against the declared extent, which the runtime checks the tensor has;
/// a clamp per element was most of a lookup's code and compile time).
/// A checked build's `at` records a clamp inside the sequences.
template <bool kInRange>
FG_DEVICE int64_t offsetOf(const TensorRef &t, int d, int i, const LookupAt &at) {
  if (!kInRange) {
    const bool clamped = (i < 0) | (i >= t.dims[d]);
    if (__builtin_expect((at.report != nullptr) & clamped & (at.q < at.seqQ) & (at.k < at.seqK), 0))
      recordClampedLookup(at.report, at.site, d, i, at.b, at.h, at.q, at.k);
    i = i < 0 ? 0 : (i >= t.dims[d] ? t.dims[d] - 1 : i);
  }
  return int64_t(i) * t.strides[d];
}

/// A lookup tensor's element through the read-only path: the tensors are
/// inputs no kernel writes, so the load may be hoisted and merged across
/// the kernel's own stores (a row's doc_id[b, q] once per row, not once per
/// element). Inline asm, not __ldg: the compiler takes the asm for pure
/// and hoists it; __ldg it keeps behind the kernel's stores, which made a
/// document mask's forward 2x slower (bench/results/2026-11-30-h200-s18.md,
/// calls 5-6). Every address is clamped or proven in range (its caller's
/// condition dominates it: asm is never speculated past a branch).
#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
FG_DEVICE int readOnly(const int *p) {
  int v;
  asm("ld.global.nc.s32 %0, [%1];" : "=r"(v) : "l"(p));
  return v;
}
FG_DEVICE float readOnly(const float *p) {
  float v;
  asm("ld.global.nc.f32 %0, [%1];" : "=f"(v) : "l"(p));
  return v;
}
#else
template <class E> inline E readOnly(const E *p) { return *p; }
#endif

template <class E, bool k0 = false>
FG_DEVICE E lookup1(const TensorRef &t, int i0, const LookupAt &at = {}) {
  return readOnly(static_cast<const E *>(t.data) + offsetOf<k0>(t, 0, i0, at));
}
template <class E, bool k0 = false, bool k1 = false>
FG_DEVICE E lookup2(const TensorRef &t, int i0, int i1, const LookupAt &at = {}) {
  return readOnly(static_cast<const E *>(t.data) + offsetOf<k0>(t, 0, i0, at) +
                  offsetOf<k1>(t, 1, i1, at));
}
template <class E, bool k0 = false, bool k1 = false, bool k2 = false>
FG_DEVICE E lookup3(const TensorRef &t, int i0, int i1, int i2, const LookupAt &at = {}) {
  return readOnly(static_cast<const E *>(t.data) + offsetOf<k0>(t, 0, i0, at) +
                  offsetOf<k1>(t, 1, i1, at) + offsetOf<k2>(t, 2, i2, at));
}
template <class E, bool k0 = false, bool k1 = false, bool k2 = false, bool k3 = false>
FG_DEVICE E lookup4(const TensorRef &t, int i0, int i1, int i2, int i3,
                    const LookupAt &at = {}) {
  return readOnly(static_cast<const E *>(t.data) + offsetOf<k0>(t, 0, i0, at) +
                  offsetOf<k1>(t, 1, i1, at) + offsetOf<k2>(t, 2, i2, at) +
                  offsetOf<k3>(t, 3, i3, at));
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_LOOKUP_CUH
