//===- LookupScan.cuh - the values a lookup takes over a tile ---*- CUDA -*-===//
//
// The tile-class builder (TileClasses.cuh) bounds a mask's tensor lookups
// over a tile by scanning the tensor's values at every index the tile's
// ranges reach; the interval evaluation of the mask then decides the
// tile's class from those bounds. Host-compilable for its unit test
// (tests/unit/Runtime/LookupScanTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_LOOKUPSCAN_CUH
#define FLASHGEN_ATTENTION_LOOKUPSCAN_CUH

#include "flashgen/attention/Interval.cuh"
#include "flashgen/attention/Params.cuh" // TensorRef

namespace flashgen {

/// Four ints read with one 16-byte load (CUDA's int4 is not a host type).
struct alignas(16) Int4 {
  int x, y, z, w;
};

/// Longest index range lookupScan reads; past it the lookup is unbounded
/// (a tile's rows or keys are at most 256).
constexpr int64_t kMaxLookupScan = 4096;

/// The values an int tensor takes at indices in `ix` (clamped to the
/// extents, as the concrete lookup clamps them): exact bounds when every
/// index but the last is one value, else unbounded. kOutsideIsTop (a
/// checked build): unbounded when an index range leaves the extent, so the
/// tile is partial and its elements' clamps are reported one by one.
template <int N, bool kOutsideIsTop = false>
FG_DEVICE iv::Iv lookupScan(const TensorRef &t, const iv::Iv (&ix)[N]) {
  auto clampTo = [&](int d, int64_t i) {
    return i < 0 ? int64_t(0) : (i >= t.dims[d] ? int64_t(t.dims[d]) - 1 : i);
  };
  if (kOutsideIsTop)
    for (int d = 0; d < N; ++d)
      if (ix[d].lo < 0 || ix[d].hi >= t.dims[d])
        return iv::top();
  int64_t offset = 0;
#pragma unroll
  for (int d = 0; d + 1 < N; ++d) {
    if (ix[d].lo != ix[d].hi)
      return iv::top();
    offset += clampTo(d, ix[d].lo) * t.strides[d];
  }
  const int64_t lo = clampTo(N - 1, ix[N - 1].lo), hi = clampTo(N - 1, ix[N - 1].hi);
  if (hi - lo >= kMaxLookupScan)
    return iv::top();
  const int *data = static_cast<const int *>(t.data) + offset;
  const int64_t stride = t.strides[N - 1];
  int mn = data[lo * stride], mx = mn;
  auto take = [&](int v) {
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  };
  if (hi <= lo)
    return {mn, mx};
  if (stride != 1) {
    for (int64_t i = lo + 1; i <= hi; ++i)
      take(data[i * stride]);
    return {mn, mx};
  }
  // Contiguous: 16-byte loads, several in flight, after the elements
  // before the first aligned one. One at a time, a tile's 64-256 values
  // were as many dependent L2 round trips per builder thread (documents:
  // 18.5 us per build at 16k, 7% of the forward; block maps, one value per
  // range: 5 us; bench/results/2026-12-02-h200-s34.md).
  const int *at = data + lo + 1, *end = data + hi + 1;
  while (at < end && (reinterpret_cast<uint64_t>(at) & 15) != 0)
    take(*at++);
  const Int4 *at4 = reinterpret_cast<const Int4 *>(at);
  const int64_t quads = (end - at) / 4;
#pragma unroll 4
  for (int64_t i = 0; i < quads; ++i) {
    const Int4 v = at4[i];
    take(v.x);
    take(v.y);
    take(v.z);
    take(v.w);
  }
  for (at += quads * 4; at < end; ++at)
    take(*at);
  return {mn, mx};
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_LOOKUPSCAN_CUH
