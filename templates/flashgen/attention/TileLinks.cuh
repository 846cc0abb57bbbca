//===- TileLinks.cuh - a row's walk over the builder's bounds and links -*- CUDA -*-===//
//
// The tile-class builder (TileClasses.cuh) writes, per row block, each
// part's (kTileClassThreads tiles) first kept tile and last + 1, and per
// tile the next kept tile of its part (FwdParams::tileClassBounds,
// tileClassNext). The forward's walk (FwdRowBlock) narrows its range to
// the bounds and steps over empty tiles by the links. Host-compilable for
// its unit test (tests/unit/Runtime/TileLinksTest.cpp): a walk must never
// read a link outside [0, tiles) of its row.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_TILELINKS_CUH
#define FLASHGEN_ATTENTION_TILELINKS_CUH

#include "flashgen/attention/Params.cuh" // kTileClassThreads

namespace flashgen {

/// A part's bounds when it keeps no tile.
constexpr int32_t kNoKeptTile = 0x7fffffff;
/// A tile's link when no later tile of its part is kept.
constexpr uint16_t kNoNextTile = 0xffff;

/// [first kept, last kept + 1) over a row's `numParts` part bounds
/// ({kNoKeptTile, 0} when the row keeps nothing).
FG_HOST_DEVICE void keptRange(const int32_t *parts, int numParts, int &first, int &end) {
  first = kNoKeptTile;
  end = 0;
  for (int i = 0; i < numParts; ++i) {
    first = parts[2 * i] < first ? parts[2 * i] : first;
    end = parts[2 * i + 1] > end ? parts[2 * i + 1] : end;
  }
}

/// The first kept tile after j before jEnd, or jEnd, from a row's links
/// `next` and part bounds `parts`. j may be jEnd (an empty range or
/// split): then nothing is read. jEnd is at most the row's tile count.
FG_HOST_DEVICE int nextLinkedTile(const uint16_t *next, const int32_t *parts, int j, int jEnd) {
  if (j + 1 >= jEnd)
    return jEnd;
  const int n = next[j];
  if (n != kNoNextTile)
    return n < jEnd ? n : jEnd;
  for (int part = j / kTileClassThreads + 1; part * kTileClassThreads < jEnd; ++part)
    if (parts[2 * part] != kNoKeptTile)
      return parts[2 * part] < jEnd ? int(parts[2 * part]) : jEnd;
  return jEnd;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_TILELINKS_CUH
