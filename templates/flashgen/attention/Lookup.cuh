//===- Lookup.cuh - reading named run-time tensors ---------------*- CUDA -*-===//
//
// Mask and score expressions read user tensors (document ids, ALiBi slopes,
// bias tables). Indices are clamped to the tensor's extents: a spec that
// indexes out of range reads the nearest element rather than stray memory.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_LOOKUP_CUH
#define FLASHGEN_ATTENTION_LOOKUP_CUH

#include "flashgen/attention/Params.cuh"

namespace flashgen {

/// Element offset of index `i` along dim `d`: clamped to the extent, unless
/// codegen proved it in range (kInRange: interval analysis of the index
/// against the declared extent, which the runtime checks the tensor has;
/// a clamp per element was most of a lookup's code and compile time).
template <bool kInRange> FG_DEVICE int64_t offsetOf(const TensorRef &t, int d, int i) {
  if (!kInRange)
    i = i < 0 ? 0 : (i >= t.dims[d] ? t.dims[d] - 1 : i);
  return int64_t(i) * t.strides[d];
}

template <class E, bool k0 = false> FG_DEVICE E lookup1(const TensorRef &t, int i0) {
  return static_cast<const E *>(t.data)[offsetOf<k0>(t, 0, i0)];
}
template <class E, bool k0 = false, bool k1 = false>
FG_DEVICE E lookup2(const TensorRef &t, int i0, int i1) {
  return static_cast<const E *>(t.data)[offsetOf<k0>(t, 0, i0) + offsetOf<k1>(t, 1, i1)];
}
template <class E, bool k0 = false, bool k1 = false, bool k2 = false>
FG_DEVICE E lookup3(const TensorRef &t, int i0, int i1, int i2) {
  return static_cast<const E *>(t.data)[offsetOf<k0>(t, 0, i0) + offsetOf<k1>(t, 1, i1) +
                                        offsetOf<k2>(t, 2, i2)];
}
template <class E, bool k0 = false, bool k1 = false, bool k2 = false, bool k3 = false>
FG_DEVICE E lookup4(const TensorRef &t, int i0, int i1, int i2, int i3) {
  return static_cast<const E *>(t.data)[offsetOf<k0>(t, 0, i0) + offsetOf<k1>(t, 1, i1) +
                                        offsetOf<k2>(t, 2, i2) + offsetOf<k3>(t, 3, i3)];
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_LOOKUP_CUH
