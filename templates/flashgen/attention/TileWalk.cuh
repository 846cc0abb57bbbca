//===- TileWalk.cuh - the next non-empty tile of a walk ---------*- CUDA -*-===//
//
// Every walk over tiles (the forward's kv tiles, the backward's query tiles
// and its dQ kernel's kv tiles) skips empty ones. Where the classes are
// bytes a builder wrote (TileClasses.cuh), reading them one at a time puts
// a global load's latency on the walk for every empty tile: a sparse row
// (5% of its blocks kept) then spends longer finding its tiles than
// computing them (bench/results/2026-11-30-h200-s10.md). nextNonEmpty
// reads kTileWalkBatch classes at once, independent loads in flight
// together, and scans them in registers. Classes computed in the kernel
// (interval arithmetic) are not batched: that would compute classes past
// the first non-empty tile.
//
// The backward's walks, at 255 registers, cannot keep eight classes live
// (batched, they ran 35% slower than one at a time: call 4 of the results
// above). There every lane of a warp reads one of 32 items' classes and
// two ballots keep them as bit masks (TileClassWindow): one load per 32
// items, two registers. Every lane of the warp must call it.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_TILEWALK_CUH
#define FLASHGEN_ATTENTION_TILEWALK_CUH

#include "flashgen/attention/OnlineSoftmax.cuh" // tile class codes

namespace flashgen {

// kTileWalkBatch: Params.cuh (the runtime's row-bounds rule counts in it).

/// The first item of [from, end) whose class (classOf(item)) is not Empty,
/// with that class in `cls`; `end` if none. kBatched: classOf is a cheap
/// load, read kTileWalkBatch items at a time.
template <bool kBatched, class ClassOf>
FG_DEVICE int nextNonEmpty(int from, int end, const ClassOf &classOf, int &cls) {
  if constexpr (kBatched) {
    for (int base = from; base < end; base += kTileWalkBatch) {
      int c[kTileWalkBatch];
#pragma unroll
      for (int u = 0; u < kTileWalkBatch; ++u)
        c[u] = base + u < end ? classOf(base + u) : int(kTileEmpty);
#pragma unroll
      for (int u = 0; u < kTileWalkBatch; ++u)
        if (c[u] != kTileEmpty) {
          cls = c[u];
          return base + u;
        }
    }
    return end;
  } else {
    for (int item = from; item < end; ++item)
      if ((cls = classOf(item)) != kTileEmpty)
        return item;
    return end;
  }
}

/// 32 consecutive items' classes as a warp holds them: bit i is item
/// base + i (non-empty; full).
struct TileClassWindow {
  int base = -64;
  unsigned nonEmpty = 0, full = 0;
};

/// nextNonEmpty for a whole warp (every lane calls it, with the same
/// arguments): the window of 32 items is refilled by one class read per
/// lane when `from` leaves it.
template <class ClassOf>
FG_DEVICE int nextNonEmptyWarp(int from, int end, const ClassOf &classOf, int &cls,
                               TileClassWindow &w) {
  const int lane = threadIdx.x & 31;
  while (from < end) {
    if (from < w.base || from >= w.base + 32) {
      w.base = from;
      const int c = from + lane < end ? classOf(from + lane) : int(kTileEmpty);
      w.nonEmpty = __ballot_sync(0xffffffffu, c != kTileEmpty);
      w.full = __ballot_sync(0xffffffffu, c == kTileFull);
    }
    const int at = from - w.base;
    const unsigned rest = w.nonEmpty >> at;
    if (rest) {
      const int i = at + __ffs(int(rest)) - 1;
      cls = (w.full >> i) & 1u ? kTileFull : kTilePartial;
      return w.base + i;
    }
    from = w.base + 32;
  }
  return end;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_TILEWALK_CUH
