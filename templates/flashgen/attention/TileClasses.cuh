//===- TileClasses.cuh - run-time tile classes of the forward ---*- CUDA -*-===//
//
// Masks that read tensors (document ids, sequence lengths) decide which
// tiles are empty only from the tensors' contents: inside the kernel the
// interval classifier sees a lookup as "any value", so every tile of the
// band is Partial and computed with the mask. Other residuals (arithmetic
// documents, block patterns) classify exactly, but every thread of every
// CTA would walk and classify the whole band. Before such a forward, one
// small launch (buildTileClasses, one thread per (row block, kv tile))
// classifies every tile with the lookups bounded by a scan of the values
// the tile's index ranges reach (lookupScan); the forward then reads one
// byte per tile (FwdRowBlock::classOf): Empty tiles are neither loaded nor
// computed, Full ones skip the mask.
//
// Layout: classes[((b * heads' + h') * rowBlocks + rowBlock) * tiles + j],
// heads' = 1 when the mask does not depend on the head (h' = 0), else the
// query heads. The runtime allocates it per launch (stream-ordered).
//
// The backward builds them the same way on square cells of
// Variant::kTileClassBlock rows and keys, which divide the tiles of both of
// its walks (dK/dV: query tiles x a key block; dQ: a query block x key
// tiles); builtTileClass combines the cells a tile covers.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_TILECLASSES_CUH
#define FLASHGEN_ATTENTION_TILECLASSES_CUH

#include "flashgen/attention/FwdRowBlock.cuh"
#include "flashgen/attention/Interval.cuh"
#include "flashgen/attention/LookupScan.cuh"
#include "flashgen/attention/TileLinks.cuh" // kNoKeptTile, kNoNextTile

namespace flashgen {

/// One thread per (kv tile, row block, batch x head slot): grid
/// (ceil(tiles / kTileClassThreads), rowBlocks, batch * heads'). Row blocks and
/// tiles are FwdRowBlock's (varlen-aware; tiles outside the band are empty).
template <class Variant>
FG_DEVICE void buildTileClasses(const FwdParams &p, int blockM, int blockN) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  const int rowBlock = blockIdx.y, slot = blockIdx.z;
  const int64_t row = int64_t(slot) * p.tileClassRowBlocks + rowBlock;
  FwdRowBlock<Variant> rb;
  uint8_t cls = kTileEmpty;
  if (j < p.tileClassTiles &&
      rb.initAt(p, slot / p.tileClassHeads, slot % p.tileClassHeads, rowBlock, blockM)) {
    rb.walkRange(p, blockN);
    if (j >= rb.jBegin && j < rb.jEnd)
      cls = uint8_t(Variant::tileClassScan(p, rb.b, rb.h, rb.q0, rb.q1, rb.tileFirstKey(j),
                                           rb.tileLastKey(j), rb.seqQ, rb.seqK));
  }
  if (j < p.tileClassTiles)
    p.tileClasses[row * p.tileClassTiles + j] = cls;
  if (p.tileClassColBounds && cls != kTileEmpty) {
    int32_t *col = p.tileClassColBounds + 2 * (int64_t(slot) * p.tileClassTiles + j);
    atomicMax(col, p.tileClassRowBlocks - rowBlock);
    atomicMax(col + 1, rowBlock + 1);
  }
  if (!p.tileClassBounds)
    return;
  // This block's part of the row: its first non-empty tile and last + 1,
  // reduced over the warps (every thread takes part, past the tiles too).
  static_assert(kTileClassThreads % 32 == 0 && kTileClassThreads <= 1024, "whole warps");
  constexpr int kWarps = kTileClassThreads / 32;
  __shared__ unsigned first[kWarps], end[kWarps];
  const bool kept = cls != kTileEmpty;
  const unsigned f = __reduce_min_sync(0xffffffffu, kept ? unsigned(j) : unsigned(kNoKeptTile));
  const unsigned e = __reduce_max_sync(0xffffffffu, kept ? unsigned(j + 1) : 0u);
  const unsigned ballot = __ballot_sync(0xffffffffu, kept);
  const int warp = threadIdx.x / 32;
  if (threadIdx.x % 32 == 0) {
    first[warp] = f;
    end[warp] = e;
  }
  __syncthreads();
  if (p.tileClassNext && j < p.tileClassTiles) {
    // The next kept tile after j in this block's part: in this warp from
    // the ballot, else the first of a later warp's.
    const int lane = threadIdx.x % 32;
    const unsigned later = lane == 31 ? 0u : ballot & (0xffffffffu << (lane + 1));
    unsigned next = later ? unsigned(j - lane + __ffs(later) - 1) : unsigned(kNoNextTile);
    for (int w = warp + 1; !later && w < kWarps; ++w)
      if (first[w] != unsigned(kNoKeptTile)) {
        next = first[w];
        break;
      }
    p.tileClassNext[row * p.tileClassTiles + j] = uint16_t(next);
  }
  if (threadIdx.x == 0) {
    unsigned bf = first[0], be = end[0];
    for (int w = 1; w < kWarps; ++w) {
      bf = first[w] < bf ? first[w] : bf;
      be = end[w] > be ? end[w] : be;
    }
    int32_t *part = p.tileClassBounds + 2 * (row * p.tileClassBoundParts + blockIdx.x);
    part[0] = int32_t(bf);
    part[1] = int32_t(be);
  }
}

/// The backward's class of rows [q0, q1] x keys [k0, k1] (sequence
/// positions; tile edges on cell edges) from the cells the builder wrote:
/// Empty if every cell is, Full if every cell is, else Partial.
template <class Variant>
FG_DEVICE int builtTileClass(const FwdParams &p, int b, int h, int q0, int q1, int k0, int k1) {
  constexpr int g = Variant::kTileClassBlock;
  const int slot = b * p.tileClassHeads + (p.tileClassHeads > 1 ? h : 0);
  const uint8_t *rows = p.tileClasses + int64_t(slot) * p.tileClassRowBlocks * p.tileClassTiles;
  bool anyKept = false, allFull = true;
  for (int i = q0 / g; i <= q1 / g; ++i)
    for (int j = k0 / g; j <= k1 / g; ++j) {
      const uint8_t c = rows[int64_t(i) * p.tileClassTiles + j];
      anyKept |= c != kTileEmpty;
      allFull &= c == kTileFull;
    }
  return !anyKept ? kTileEmpty : allFull ? kTileFull : kTilePartial;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_TILECLASSES_CUH
