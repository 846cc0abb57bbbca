//===- StagedLookups.cuh - a tile's staged mask lookups -------*- CUDA -*-===//
//
// The warp-specialized kernels stage the mask lookups of one value per key
// (the forward's kv tile) or per query row (the backward's streamed tile)
// in shared memory (dialect/.../StagedColumns.h): one warp computes them
// and stores them beside the tile, the consumers read them in the mask.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_STAGEDLOOKUPS_CUH
#define FLASHGEN_ATTENTION_STAGEDLOOKUPS_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// Lane `lane` computes the values of positions lane, lane + 32, ... of a
/// tile of kLength (at(position, out[N]): the variant's staging function)
/// and stores them in `dst` as N rows of kLength values. All loads are
/// issued before the first store.
template <int N, int kLength, class At>
FG_DEVICE void stageTileLookups(uint32_t *dst, int lane, At at) {
  static_assert(kLength % 32 == 0, "a warp's lanes cover the tile");
  uint32_t vals[kLength / 32][N];
#pragma unroll
  for (int r = 0; r < kLength / 32; ++r)
    at(r * 32 + lane, vals[r]);
#pragma unroll
  for (int r = 0; r < kLength / 32; ++r)
#pragma unroll
    for (int c = 0; c < N; ++c)
      dst[c * kLength + r * 32 + lane] = vals[r][c];
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_STAGEDLOOKUPS_CUH
