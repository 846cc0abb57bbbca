//===- BwdKeyBlock.cuh - the kv-major backward walk -------------*- CUDA -*-===//
//
// What every kv-major backward kernel (mma.sync and wgmma) shares: a CTA
// owns a block of keys [k0, k1] of one kv head and visits work items
// (query head of the kv head's group, query tile) in order. GQA/MQA sums
// over the group happen there, in registers. The query tiles come from the
// band's closed form (Variant::qTileRange, the transposed kvTileRange),
// then each item's tile class (Variant::tileClass with the key range fixed)
// skips empty tiles exactly as the forward does.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKEYBLOCK_CUH
#define FLASHGEN_ATTENTION_BWDKEYBLOCK_CUH

#include "flashgen/FastDivisor.cuh"
#include "flashgen/attention/OnlineSoftmax.cuh" // tile class codes
#include "flashgen/attention/TileClasses.cuh"
#include "flashgen/attention/TileWalk.cuh"

namespace flashgen {

/// Sequence bounds of batch entry b (varlen or dense).
struct SeqBounds {
  int64_t qRow0, kRow0;
  int seqQ, seqK;
};
template <class Variant> FG_DEVICE SeqBounds seqBounds(const FwdParams &p, int b) {
  if (Variant::kVarlen)
    return {p.cuSeqlensQ[b], p.cuSeqlensK[b], p.cuSeqlensQ[b + 1] - p.cuSeqlensQ[b],
            p.cuSeqlensK[b + 1] - p.cuSeqlensK[b]};
  return {0, 0, p.seqQ, p.seqK};
}

/// Element (batch b, row `row` of the sequence, head h) of a BSHD/BHSD/
/// packed tensor.
template <class Variant>
FG_DEVICE int64_t rowOffset(int b, int64_t row0, int row, int h, int64_t bs, int64_t rs,
                            int64_t hs) {
  return (Variant::kVarlen ? 0 : b * bs) + (row0 + row) * rs + h * hs;
}

/// Starts the copy of `rows` rows of a 16-bit tensor (batch entry b, head
/// `head`, sequence rows from `row`; strides in elements) into Tile at
/// `dst`; rows past `rows` and columns past `cols` zero-filled.
template <class Tile, int Threads, class Variant>
FG_DEVICE void loadSeqRows(uint32_t dst, const void *base, int b, int64_t seqRow0, int row,
                           int head, int64_t batchStride, int64_t rowStride, int64_t headStride,
                           int rows, int cols, int tid) {
  Tile::template load<Threads>(
      dst,
      static_cast<const uint16_t *>(base) +
          rowOffset<Variant>(b, seqRow0, row, head, batchStride, rowStride, headStride),
      rowStride, rows, cols, tid);
}

/// First workspace row of (batch entry b, head h): lse2, D and the dQ
/// accumulator (times the head dim) give every (b, h) seqPad rows.
FG_DEVICE int64_t workspaceRow0(const BwdParams &bp, int b, int h) {
  return (int64_t(b) * bp.f.heads + h) * bp.seqPad;
}

/// The deterministic order's counter of the query tile holding row q of
/// (batch entry b, head h) (BwdParams::dqOrder).
FG_DEVICE int32_t *dqOrderCounter(const BwdParams &bp, int b, int h, int q) {
  return bp.dqOrder + (workspaceRow0(bp, b, h) + q) / kBwdOrderRows;
}

template <class Variant> struct BwdKeyBlock {
  SeqBounds sb;
  int hk, b;        // kv head, batch entry
  int k0, k1;       // this CTA's keys (k1 inclusive)
  int group;        // query heads per kv head
  int part;         // which of the group's BwdParams::kvSplit head ranges
  int headsHere;    // query heads this CTA visits: group / kvSplit
  int iBegin, iEnd; // query tiles the band allows
  int items;        // headsHere * (iEnd - iBegin)
  int blockQ;       // rows per query tile
  FastDivisor tilesPerHead; // max(iEnd - iBegin, 1): an item's head and tile
  /// Walk the items last to first (the deterministic warp-specialized
  /// backward: every key block of a band then reaches a query tile at the
  /// same step, BwdKernelSm90Ws.cuh).
  bool reverse = false;

  /// From the grid (x: key block, y: kv head * kvSplit + part, z: batch
  /// entry); false if the block lies past the sequence.
  FG_DEVICE bool init(const BwdParams &bp, int blockK, int blockQ_) {
    const FwdParams &p = bp.f;
    b = blockIdx.z;
    hk = blockIdx.y / bp.kvSplit;
    part = blockIdx.y % bp.kvSplit;
    blockQ = blockQ_;
    sb = seqBounds<Variant>(p, b);
    k0 = blockIdx.x * blockK;
    if (k0 >= sb.seqK)
      return false;
    k1 = min(k0 + blockK, sb.seqK) - 1;
    group = p.heads / p.kvHeads;
    headsHere = group / bp.kvSplit; // the runtime splits by a divisor
    queryTiles(p, k0, k1, iBegin, iEnd);
    if constexpr (Variant::kRuntimeTileClasses)
      if (p.tileClassColBounds && p.tileClassHeads == 1) {
        // Only the query tiles whose rows keep some of these keys, from
        // the builder's column bounds (one slot per batch entry here).
        constexpr int g = Variant::kTileClassBlock;
        const int32_t *col = p.tileClassColBounds + 2 * int64_t(b) * p.tileClassTiles;
        int first = p.tileClassRowBlocks, end = 0;
        for (int c = k0 / g; c <= k1 / g; ++c) {
          first = min(first, p.tileClassRowBlocks - col[2 * c]);
          end = max(end, int(col[2 * c + 1]));
        }
        const int tFirst = first * g / blockQ, tEnd = (end * g + blockQ - 1) / blockQ;
        iBegin = max(iBegin, min(tFirst, iEnd));
        iEnd = max(iBegin, min(iEnd, tEnd));
      }
    items = headsHere * max(iEnd - iBegin, 0);
    tilesPerHead = FastDivisor(max(iEnd - iBegin, 1));
    return true;
  }
  /// The query tiles [ib, ie) the band allows for keys [ka, kb].
  FG_DEVICE void queryTiles(const FwdParams &p, int ka, int kb, int &ib, int &ie) const {
    ib = 0;
    ie = (sb.seqQ + blockQ - 1) / blockQ;
    Variant::qTileRange(p, ka, kb, sb.seqQ, sb.seqK, blockQ, ib, ie);
  }
  FG_DEVICE int slot(int item) const { return reverse ? items - 1 - item : item; }
  FG_DEVICE int head(int item) const {
    return hk * group + part * headsHere + tilesPerHead.quotient(slot(item));
  }
  FG_DEVICE int q0(int item) const {
    const int s = slot(item);
    return (iBegin + tilesPerHead.remainder(s, tilesPerHead.quotient(s))) * blockQ;
  }
  /// The class of query tile [q, ...] of head h against keys [ka, kb]: the
  /// walk's, and the deterministic order's count of a tile's key blocks.
  FG_DEVICE int classAt(const FwdParams &p, int h, int q, int ka, int kb) const {
    if constexpr (Variant::kRuntimeTileClasses)
      if (p.tileClasses)
        return builtTileClass<Variant>(p, b, h, q, min(q + blockQ, sb.seqQ) - 1, ka, kb);
    return Variant::tileClass(p, b, h, q, min(q + blockQ, sb.seqQ) - 1, ka, kb, sb.seqQ,
                              sb.seqK);
  }
  FG_DEVICE int classOf(const FwdParams &p, int item) const {
    return classAt(p, head(item), q0(item), k0, k1);
  }
  /// How many key blocks before this CTA's (blockIdx.x, `blockK` keys
  /// each) visit `item`'s query tile of its head: exactly the test their
  /// own walks make (qTileRange, then the class). Warp-wide, every lane.
  FG_DEVICE int keyBlocksBefore(const FwdParams &p, int item, int blockK, int lane) const {
    const int h = head(item), q = q0(item), tile = q / blockQ;
    int n = 0;
    for (int j = lane; j < int(blockIdx.x); j += 32) {
      const int ka = j * blockK, kb = min(ka + blockK, sb.seqK) - 1;
      int ib, ie;
      queryTiles(p, ka, kb, ib, ie);
      n += tile >= ib && tile < ie && classAt(p, h, q, ka, kb) != kTileEmpty;
    }
    return __reduce_add_sync(0xffffffffu, n);
  }
  /// The next non-empty item after `item` (items if none), and its class.
  /// Every thread of the CTA calls it (uniform control flow): with run-time
  /// classes, each warp reads them 32 items at a time (TileWalk.cuh).
  FG_DEVICE int next(const FwdParams &p, int item, int &cls) {
    auto classAt = [&](int it) { return classOf(p, it); };
    if constexpr (Variant::kRuntimeTileClasses)
      return nextNonEmptyWarp(item + 1, items, classAt, cls, window);
    else
      return nextNonEmpty<false>(item + 1, items, classAt, cls);
  }
  TileClassWindow window;
  /// Starts the copies of the resident K and V rows into KTile / VTile
  /// (SmemTile or WgmmaTile) at sK, sV; rows past the sequence zero-filled.
  template <class KTile, class VTile, int Threads>
  FG_DEVICE void loadKeys(const FwdParams &p, uint32_t sK, uint32_t sV, int tid) const {
    const int rows = k1 - k0 + 1;
    loadSeqRows<KTile, Threads, Variant>(sK, p.k, b, sb.kRow0, k0, hk, p.kBatchStride,
                                         p.kRowStride, p.kHeadStride, rows, p.headDimQK, tid);
    loadSeqRows<VTile, Threads, Variant>(sV, p.v, b, sb.kRow0, k0, hk, p.vBatchStride,
                                         p.vRowStride, p.vHeadStride, rows, p.headDimV, tid);
  }
  /// Starts the copies of an item's streamed tiles: its Q and dO rows into
  /// QTile / DOTile at sQ, sdO, and its lse2 and D rows (padded, so whole
  /// 16-byte chunks; blockQ floats each) at sStat.
  template <class QTile, class DOTile, int Threads>
  FG_DEVICE void loadItem(const BwdParams &bp, int item, uint32_t sQ, uint32_t sdO,
                          uint32_t sStat, int tid) const {
    const FwdParams &p = bp.f;
    const int h = head(item), q = q0(item);
    const int rows = min(blockQ, sb.seqQ - q);
    loadSeqRows<QTile, Threads, Variant>(sQ, p.q, b, sb.qRow0, q, h, p.qBatchStride,
                                         p.qRowStride, p.qHeadStride, rows, p.headDimQK, tid);
    loadSeqRows<DOTile, Threads, Variant>(sdO, bp.dO, b, sb.qRow0, q, h, bp.dOBatchStride,
                                          bp.dORowStride, bp.dOHeadStride, rows, p.headDimV,
                                          tid);
    const int64_t ws = workspaceRow0(bp, b, h) + q;
    for (int c = tid; c < 2 * blockQ / 4; c += Threads) {
      const float *src =
          c < blockQ / 4 ? bp.lse2 + ws + c * 4 : bp.dsum + ws + (c - blockQ / 4) * 4;
      cpAsync16(sStat + c * 16, src, 16);
    }
  }
  /// Row k of this CTA's split dK/dV plane (BwdParams::dkvPartial): dK's
  /// headDimQK floats, then dV's.
  FG_DEVICE float *dkvPartialRow(const BwdParams &bp, int k) const {
    const FwdParams &p = bp.f;
    const int64_t plane = (int64_t(part) * p.batch + b) * p.kvHeads + hk;
    return bp.dkvPartial + (plane * bp.seqPadK + k) * (p.headDimQK + p.headDimV);
  }
  /// Where this item's rows start in the fp32 dQ accumulator.
  FG_DEVICE float *dqAccumRows(const BwdParams &bp, int item, int headDim) const {
    return bp.dqAccum + (workspaceRow0(bp, b, head(item)) + q0(item)) * headDim;
  }
};

/// The q-major dQ kernels' walk: the kv tiles of `bn` keys that query rows
/// [q0, q1] of head h may attend (the band's closed form bounds [jBegin,
/// jEnd)), skipping empty ones by the variant's tile classes or the ones
/// its builder wrote at run time (then a warp-wide step: every thread of
/// the CTA calls next(), TileWalk.cuh).
template <class Variant> struct BwdQueryBlockWalk {
  const FwdParams &p;
  int b, h, q0, q1, seqQ, seqK, bn;
  int jBegin = 0, jEnd;
  TileClassWindow window;

  FG_DEVICE BwdQueryBlockWalk(const FwdParams &p_, int b_, int h_, int q0_, int q1_, int seqQ_,
                              int seqK_, int bn_)
      : p(p_), b(b_), h(h_), q0(q0_), q1(q1_), seqQ(seqQ_), seqK(seqK_), bn(bn_),
        jEnd((seqK_ + bn_ - 1) / bn_) {
    Variant::kvTileRange(p, q0, q1, seqQ, seqK, bn, jBegin, jEnd);
  }
  /// The class of tile j for rows [qa, qb] (the block's, or a part of it).
  FG_DEVICE int classAt(int qa, int qb, int j) const {
    const int k0 = j * bn, k1 = min(k0 + bn, seqK) - 1;
    if constexpr (Variant::kRuntimeTileClasses)
      if (p.tileClasses)
        return builtTileClass<Variant>(p, b, h, qa, qb, k0, k1);
    return Variant::tileClass(p, b, h, qa, qb, k0, k1, seqQ, seqK);
  }
  /// The next non-empty tile after j (jEnd if none), and its class.
  FG_DEVICE int next(int j, int &cls) {
    auto classOf = [&](int t) { return classAt(q0, q1, t); };
    if constexpr (Variant::kRuntimeTileClasses)
      return nextNonEmptyWarp(j + 1, jEnd, classOf, cls, window);
    else
      return nextNonEmpty<false>(j + 1, jEnd, classOf, cls);
  }
};

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKEYBLOCK_CUH
