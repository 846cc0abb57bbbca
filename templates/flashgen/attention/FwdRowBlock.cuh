//===- FwdRowBlock.cuh - one forward CTA's rows and its kv tiles -*- CUDA -*-===//
//
// Shared by both forward kernels: which batch entry, head and query rows
// a CTA owns (varlen-aware), where its Q/K/V rows start, and the walk over
// the kv tiles those rows may attend (a band bounds them in closed form,
// Variant::tileClass() then skips empty tiles inside that range).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDROWBLOCK_CUH
#define FLASHGEN_ATTENTION_FWDROWBLOCK_CUH

#include "flashgen/attention/GridDependency.cuh"
#include "flashgen/attention/OnlineSoftmax.cuh"
#include "flashgen/attention/TileLinks.cuh"
#include "flashgen/attention/TileWalk.cuh"

namespace flashgen {

template <class Variant> struct FwdRowBlock {
  int b, h, hk;           // batch entry, query head, its kv head
  int kb;                 // K/V's batch entry (FwdParams::kvBatchIndex)
  int64_t qRow0, kRow0;   // first row of the sequence (varlen: packed)
  int seqQ, seqK;         // this entry's lengths
  int mBlock;             // the CTA's row block (of blockM rows)
  int q0, q1;             // the CTA's query rows [q0, q1]
  int split;              // its part of the kv tiles (FwdParams::kvSplits)
  const uint16_t *q, *k, *v; // Q at row q0; K, V at row 0

  /// Row blocks run last-first: with a causal band the last rows have the
  /// most kv tiles, and starting them first keeps the final wave short.
  /// Grid z is batch x kvSplits. Returns false when the block lies past
  /// this entry's sequence. Split launches let their combine launch early
  /// (GridDependency.cuh).
  FG_DEVICE bool init(const FwdParams &p, int blockM) {
    const int splits = p.kvSplits > 1 ? p.kvSplits : 1;
    if (splits > 1) // the combine may launch and wait for this grid
      gridDependentsMayLaunch();
    const bool inside =
        initAt(p, int(blockIdx.z) / splits, blockIdx.y, gridDim.x - 1 - blockIdx.x, blockM);
    split = int(blockIdx.z) % splits;
    return inside;
  }
  /// Row block `rowBlock` of head h of batch entry b (the tile-class
  /// builder's; init's from the grid), all of its kv tiles.
  FG_DEVICE bool initAt(const FwdParams &p, int b_, int h_, int rowBlock, int blockM) {
    b = b_;
    h = h_;
    mBlock = rowBlock;
    split = 0;
    qRow0 = kRow0 = 0;
    seqQ = p.seqQ;
    seqK = p.seqK;
    if (Variant::kVarlen) {
      qRow0 = p.cuSeqlensQ[b];
      kRow0 = p.cuSeqlensK[b];
      seqQ = p.cuSeqlensQ[b + 1] - int(qRow0);
      seqK = p.cuSeqlensK[b + 1] - int(kRow0);
    }
    if (p.seqUsedK)
      seqK = min(seqK, max(p.seqUsedK[b], 0));
    q0 = mBlock * blockM;
    if (q0 >= seqQ)
      return false;
    q1 = min(q0 + blockM, seqQ) - 1;
    hk = h / (p.heads / p.kvHeads);
    const int64_t bq = Variant::kVarlen ? 0 : b * p.qBatchStride;
    kb = p.kvBatchIndex ? p.kvBatchIndex[b] : b;
    const int64_t bk = Variant::kVarlen ? 0 : kb * p.kBatchStride;
    const int64_t bv = Variant::kVarlen ? 0 : kb * p.vBatchStride;
    q = static_cast<const uint16_t *>(p.q) + bq + (qRow0 + q0) * p.qRowStride +
        h * p.qHeadStride;
    k = static_cast<const uint16_t *>(p.k) + bk + kRow0 * p.kRowStride + hk * p.kHeadStride;
    v = static_cast<const uint16_t *>(p.v) + bv + kRow0 * p.vRowStride + hk * p.vHeadStride;
    return true;
  }

  /// The walk over kv tiles of `bn` keys: [jBegin, jEnd) bounds the tiles
  /// rows [q0, q1] may attend; firstTile()/nextTile() skip empty ones.
  const FwdParams *params;
  int bn, jBegin, jEnd;
  /// This row block's run-time tile classes (TileClasses.cuh), or null.
  const uint8_t *classes;
  FG_DEVICE void startWalk(const FwdParams &p, int tileKeys) {
    walkRange(p, tileKeys);
    if (Variant::kRuntimeTileClasses && p.tileClasses) {
      const int slot = b * p.tileClassHeads + (p.tileClassHeads > 1 ? h : 0);
      const int64_t row = int64_t(slot) * p.tileClassRowBlocks + mBlock;
      classes = p.tileClasses + row * p.tileClassTiles;
      if (p.tileClassBounds) { // only the tiles the builder found non-empty
        parts = p.tileClassBounds + 2 * row * p.tileClassBoundParts;
        int first, end;
        keptRange(parts, p.tileClassBoundParts, first, end);
        jBegin = max(jBegin, min(first, jEnd));
        jEnd = max(jBegin, min(jEnd, end));
        if (p.tileClassNext)
          next = p.tileClassNext + row * p.tileClassTiles;
      }
    }
    if (p.kvSplits > 1) {
      // Split-KV: this CTA's consecutive share of the range's tiles.
      const int per = (max(jEnd - jBegin, 0) + p.kvSplits - 1) / p.kvSplits;
      const int first = jBegin + split * per;
      jBegin = min(first, jEnd);
      jEnd = min(first + per, jEnd);
    }
  }
  /// [jBegin, jEnd) without run-time classes (what the builder classifies).
  FG_DEVICE void walkRange(const FwdParams &p, int tileKeys) {
    params = &p;
    bn = tileKeys;
    jBegin = 0;
    jEnd = (seqK + bn - 1) / bn;
    Variant::kvTileRange(p, q0, q1, seqQ, seqK, bn, jBegin, jEnd);
    classes = nullptr;
    next = nullptr;
    parts = nullptr;
  }
  /// The builder's next-kept links and part bounds of this row block, or
  /// null (FwdParams::tileClassNext).
  const uint16_t *next;
  const int32_t *parts;
  /// Keys [k0, k1] of tile j.
  FG_DEVICE int tileFirstKey(int j) const { return j * bn; }
  FG_DEVICE int tileLastKey(int j) const { return min(j * bn + bn, seqK) - 1; }
  FG_DEVICE int classOf(int j) const {
    if (Variant::kRuntimeTileClasses && classes)
      return classes[j];
    return Variant::tileClass(*params, b, h, q0, q1, tileFirstKey(j), tileLastKey(j), seqQ, seqK);
  }
  /// The first non-empty tile after j, or jEnd.
  FG_DEVICE int nextTile(int j) const {
    if (Variant::kRuntimeTileClasses && next)
      return nextLinkedTile(next, parts, j, jEnd);
    int cls;
    return nextNonEmpty<Variant::kRuntimeTileClasses>(
        j + 1, jEnd, [&](int t) { return classOf(t); }, cls);
  }
  FG_DEVICE int firstTile() const {
    return jBegin < jEnd && classOf(jBegin) != kTileEmpty ? jBegin : nextTile(jBegin);
  }
};

/// S -> P for kv tile j of one wgmma warpgroup (a 16-row slice per warp,
/// from warpRow0): score modifier, mask, online softmax, dropout; the
/// factors that rescale O are left in `correction`.
/// kStaged: the mask reads the tile's staged columns (StagedColumns.h) at
/// `stagedColumns`. scoreDescale: fp8's per-head factor (scoreAndMask).
template <class Variant, int NT, bool kStaged = false>
FG_DEVICE void softmaxTile(float (&s)[1][NT][4], const FwdParams &p, const FwdRowBlock<Variant> &rb,
                           int j, int warpRow0, int g, int t, uint64_t bh, float (&rowMax)[2],
                           float (&rowSum)[2], float (&correction)[2],
                           const uint32_t *stagedColumns = nullptr, float scoreDescale = 1.f) {
  const FragmentCoords at{warpRow0, j * rb.bn, g, t};
  const float sc = scoreAndMask<Variant, kStaged>(s, p, rb.classOf(j), rb.b, rb.h, at, rb.seqQ,
                                                  rb.seqK, stagedColumns, scoreDescale);
  onlineSoftmax(s, rowMax, rowSum, sc, correction);
  applyDropout<Variant>(s, p, bh, at);
}

/// P of a warpgroup's S tile as the 16-bit A fragments of P V.
template <class T, int NT> FG_DEVICE void packTile(uint32_t (&pf)[NT / 2][4], const float (&s)[1][NT][4]) {
#pragma unroll
  for (int ks = 0; ks < NT / 2; ++ks)
    packP<T>(pf[ks], s, 0, ks);
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDROWBLOCK_CUH
