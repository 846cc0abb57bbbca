//===- BwdKernelSm90Ws.cuh - warp-specialized wgmma backward ----*- CUDA -*-===//
//
// The wgmma backward (BwdKernelSm90.cuh: same products, same register
// fragments, same 128 resident keys in two consumer warpgroups) with its
// memory traffic taken off the math warps:
//
//   warp 8 (the loader; one lane issues): K and V once by TMA, then each
//     item's Q and dO tiles by TMA and its lse2 and D rows by bulk copy into
//     two buffers; each buffer's qFull / doFull mbarrier completes when its
//     bytes have landed, and its `empty` mbarrier when every consumer warp
//     is done with it.
//   warp 9 (the dQ writer): hands each item's staged fp32 dQ to the copy
//     engine's reduce-add into the accumulator, then frees the staging.
//   warps 10, 11: idle (setmaxnreg takes registers per warpgroup, so the
//     producer side is a whole warpgroup at 24 registers).
//   warps 0-7 (the consumers, two warpgroups, the rest of the registers):
//     S^T, dP^T, dV, dK and dQ on the buffers, as BwdKernelSm90, except
//     that the dS^T math waits for dV (at 240 registers, holding P^T's
//     packed copy beside it makes ptxas serialize the wgmmas).
//
// In the plain kernel every item ends in two __syncthreads (buffers, dS^T)
// with its loads and reductions issued by the math threads between them;
// here the consumers wait only for data (mbarriers) and for each other's
// half of dS^T (named barrier 1, 256 threads), so the loads of item n + 1
// and the reduction of item n - 1 run under item n's products.
//
// Measured on the H200: 9-32% faster than the plain kernel at head dims
// 64 and 128, causal or not, N = 1k-16k (bench/results/2026-11-30-h200-bwd-
// ws-s12.md; two variants that measured slower are in bench/results/
// notes-hopper-kernels.md).
//
// Named barriers between the consumers (256 threads) and the writer warp
// (32), per dQ staging buffer b (item n stages into buffer n % 2): 2 + b,
// "dQ staged" (consumers arrive, the writer waits) and 4 + b, "staging
// free" (the writer arrives once the copy engine has read the buffer's
// previous item, the consumers wait), so one item's reduction stays in
// flight while the next is staged. One dS^T buffer: a warpgroup storing
// item n + 1's dS^T has passed item n's "staging free", which the other
// warpgroup reaches only after its item n dQ product has completed
// (scripts/ws-bwd-protocol-model.py models this protocol).
//
// Deterministic (BwdParams::dqOrder set): the same kernel, every role
// walking its items last to first, and the writer adding a tile's dQ only
// when the tile's counter says every earlier key block that visits it has
// added (its reduction complete), then counting itself in. A CTA waits
// only on lower block indices, which the GPU dispatches first: no cycle.
// Walking down, every key block of a band reaches a query tile at the same
// step, so the adds to a tile queue only by their latency instead of
// tying each CTA to key block 0's pace (notes-hopper-kernels.md, 5).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKERNELSM90WS_CUH
#define FLASHGEN_ATTENTION_BWDKERNELSM90WS_CUH

#include "flashgen/attention/BwdKernelSm90.cuh"
#include "flashgen/attention/Mbarrier.cuh"
#include "flashgen/attention/StagedLookups.cuh"
#include "flashgen/attention/Tma.cuh"
#include "flashgen/attention/WsBudget.cuh"

namespace flashgen {

/// The warp-specialized backward's layout and budget on top of the plain
/// kernel's (BwdConfigSm90): a second dQ staging buffer and the mbarriers.
template <class Cfg> struct BwdWsConfig {
  static constexpr int kConsumerWarps = Cfg::kWarps;
  static constexpr int kThreads = wsThreads(kConsumerWarps);
  static constexpr int kLoaderWarp = kConsumerWarps, kWriterWarp = kConsumerWarps + 1;
  static constexpr int kSmemBytes =
      Cfg::kSmemBytes + Cfg::kDQBytes + int(bwdWsBarrierBytes(Cfg::kStages));
  static constexpr int kProducerRegs = kWsProducerRegs;
  static constexpr int kConsumerRegs = wsConsumerRegs(1, kConsumerWarps);
  static_assert(kConsumerRegs >= kWsMinConsumerRegs, "the accumulators stay in registers");
};

/// Shared memory: K, V, Cfg::kStages buffers of Q and dO, dS^T, two
/// buffers of dQ staging rows, kStages of statistics (lse2 then D), then
/// the mbarriers (kvFull; per buffer qFull, doFull, empty).
template <class Cfg> struct BwdWsSmem {
  static constexpr int kStages = Cfg::kStages;
  uint32_t k, v, q, dO, dS, dQ, stat, bar;
  uint8_t *generic; // the same bytes, for plain loads and stores
  uint32_t genericBase;
  FG_DEVICE explicit BwdWsSmem(uint8_t *smem) : generic(smem), genericBase(smemAddress(smem)) {
    k = (genericBase + 1023u) & ~1023u;
    v = k + Cfg::KTile::kBytes;
    q = v + Cfg::VTile::kBytes;
    dO = q + kStages * Cfg::QTile::kBytes;
    dS = dO + kStages * Cfg::DOTile::kBytes;
    dQ = dS + Cfg::DSTile::kBytes;
    stat = dQ + 2 * Cfg::kDQBytes;
    bar = stat + kStages * Cfg::kStatBytes;
  }
  FG_DEVICE uint32_t qBuf(int s) const { return q + s * Cfg::QTile::kBytes; }
  FG_DEVICE uint32_t dOBuf(int s) const { return dO + s * Cfg::DOTile::kBytes; }
  FG_DEVICE uint32_t dQBuf(int s) const { return dQ + s * Cfg::kDQBytes; }
  FG_DEVICE uint32_t statBuf(int s) const { return stat + s * Cfg::kStatBytes; }
  FG_DEVICE uint32_t kvFull() const { return bar; }
  FG_DEVICE uint32_t qFull(int s) const { return bar + 8 * (1 + s); }
  FG_DEVICE uint32_t doFull(int s) const { return bar + 8 * (1 + kStages + s); }
  FG_DEVICE uint32_t empty(int s) const { return bar + 8 * (1 + 2 * kStages + s); }
  static_assert(8 * (1 + 3 * kStages) <= bwdWsBarrierBytes(kStages),
                "the mbarriers fit their space");
  /// Buffer s's staged mask rows (StagedColumns.h), after the mbarriers:
  /// `lookups` rows of kBlockStream values.
  template <int lookups> FG_DEVICE uint32_t *rows(int s) const {
    const uint32_t at =
        bar + uint32_t(bwdWsBarrierBytes(kStages)) + s * lookups * Cfg::kBlockStream * 4;
    return reinterpret_cast<uint32_t *>(generic + (at - genericBase));
  }
};

/// Named barriers (0 is __syncthreads): 1, both warpgroups' dS^T stored;
/// per dQ staging buffer b, "staged" (consumers arrive, the writer syncs)
/// and "free" (the writer arrives, the consumers sync).
constexpr int kBwdWsDSStored = 1;
FG_DEVICE int bwdWsDQStaged(int b) { return 2 + b; }
FG_DEVICE int bwdWsDQFree(int b) { return 4 + b; }

/// The mbarriers, by thread 0 (the CTA syncs after): full, the loader's
/// arrival (+ its lanes staging mask rows, bwdWsLoader) plus the copy
/// engine's bytes; empty, one arrival per consumer thread. Shared with the
/// wide kernel (BwdKernelSm90Wide.cuh), whose loader this is too.
template <class Cfg, class Variant> FG_DEVICE void bwdWsInitBarriers(const BwdWsSmem<Cfg> &sm) {
  if (threadIdx.x != 0)
    return;
  mbarrierInit(sm.kvFull(), 1);
  for (int s = 0; s < Cfg::kStages; ++s) {
    mbarrierInit(sm.qFull(s), 1 + (Variant::kUseStagedRows ? 32 : 0));
    mbarrierInit(sm.doFull(s), 1);
    mbarrierInit(sm.empty(s), 32 * BwdWsConfig<Cfg>::kConsumerWarps);
  }
}

/// The loader warp: every lane walks the items (the run-time tile classes
/// are read warp-wide), lane 0 issues.
template <class Cfg, class Variant>
FG_DEVICE void bwdWsLoader(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                           const BwdWsSmem<Cfg> &sm, int lane) {
  const FwdParams &p = bp.f;
  constexpr int BR = Cfg::kBlockStream;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  // Varlen: one batch entry of packed rows, this sequence's from row0.
  const int batch = Variant::kVarlen ? 0 : kb.b;
  const int qRow0 = Variant::kVarlen ? int(kb.sb.qRow0) : 0;
  const int kRow0 = Variant::kVarlen ? int(kb.sb.kRow0) : 0;
  auto fill = [&](auto tile, uint32_t dst, const TmaDescriptor &map, uint32_t full, int row,
                  int head) {
    using Tile = decltype(tile);
#pragma unroll
    for (int a = 0; a < Tile::kAtoms; ++a)
      tmaLoad4d(dst + a * Tile::kAtomBytes, map, full, a * 64, row, head, batch);
  };
  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items && lane == 0) {
    tmaPrefetchDescriptor(p.tmaQ);
    tmaPrefetchDescriptor(bp.tmaDO);
    mbarrierArriveExpectTx(sm.kvFull(), Cfg::KTile::kBytes + Cfg::VTile::kBytes);
    fill(typename Cfg::KTile{}, sm.k, p.tmaK, sm.kvFull(), kRow0 + kb.k0, kb.hk);
    fill(typename Cfg::VTile{}, sm.v, p.tmaV, sm.kvFull(), kRow0 + kb.k0, kb.hk);
  }
  for (int n = 0; item < kb.items; ++n) {
    const int s = n % Cfg::kStages, use = n / Cfg::kStages;
    if constexpr (Variant::kUseStagedRows) {
      // The item's staged mask rows (StagedColumns.h): every lane's values
      // at its rows of the Q tile, published by its arrival on qFull.
      constexpr int N = Variant::kStagedRows;
      if (use > 0)
        mbarrierWait(sm.empty(s), (use - 1) & 1);
      const int h = kb.head(item), q0 = kb.q0(item);
      stageTileLookups<N, BR>(sm.template rows<N>(s), lane, [&](int i, uint32_t(&out)[N]) {
        Variant::stageRows(p, kb.b, h, q0 + i, kb.sb.seqQ, kb.sb.seqK, out);
      });
      mbarrierArrive(sm.qFull(s));
    }
    if (lane == 0) {
      if (!Variant::kUseStagedRows && use > 0)
        mbarrierWait(sm.empty(s), (use - 1) & 1);
      const int h = kb.head(item), q0 = kb.q0(item);
      // The workspace rows are padded (kBwdSeqPadding), so BR of them exist.
      const float *lse2 = bp.lse2 + workspaceRow0(bp, kb.b, h) + q0;
      const float *dsum = bp.dsum + (lse2 - bp.lse2);
      mbarrierArriveExpectTx(sm.qFull(s), QTile::kBytes + BR * 4);
      fill(QTile{}, sm.qBuf(s), p.tmaQ, sm.qFull(s), qRow0 + q0, h);
      bulkLoad(sm.statBuf(s), lse2, BR * 4, sm.qFull(s));
      mbarrierArriveExpectTx(sm.doFull(s), DOTile::kBytes + BR * 4);
      fill(DOTile{}, sm.dOBuf(s), bp.tmaDO, sm.doFull(s), qRow0 + q0, h);
      bulkLoad(sm.statBuf(s) + BR * 4, dsum, BR * 4, sm.doFull(s));
    }
    __syncwarp();
    item = kb.next(p, item, cls);
  }
}

/// The dQ writer warp: per item, waits for the consumers' staged dQ, has
/// the copy engine add it to the accumulator, and frees the staging once
/// it has been read.
template <class Cfg, class Variant>
FG_DEVICE void bwdWsDQWriter(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                             const BwdWsSmem<Cfg> &sm, int lane) {
  constexpr int D = Cfg::kHeadDimQK, BR = Cfg::kBlockStream;
  constexpr int kBarrierThreads = Cfg::kThreads + 32;
  const FwdParams &p = bp.f;
  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  // Item n stages into buffer n % 2; the buffer is free again once the
  // copy engine has read item n's rows, which the writer checks one item
  // later (bulkWaitRead<1>), so a reduction stays in flight while the
  // consumers stage the next item.
  for (int n = 0; item < kb.items; ++n) {
    const int itemNext = kb.next(p, item, cls);
    if (n == 0) { // both buffers start free (the second if it is used)
      namedBarrierArrive(bwdWsDQFree(0), kBarrierThreads);
      if (itemNext < kb.items)
        namedBarrierArrive(bwdWsDQFree(1), kBarrierThreads);
    }
    float *rows = kb.dqAccumRows(bp, item, D);
    const uint32_t staging = sm.dQBuf(n % 2);
    int32_t *order = nullptr;
    if (bp.dqOrder) {
      // Deterministic: this tile's earlier key blocks add first.
      order = dqOrderCounter(bp, kb.b, kb.head(item), kb.q0(item));
      const int before = kb.keyBlocksBefore(p, item, Cfg::kBlockResident, lane);
      if (lane == 0)
        waitCounterAtLeast(order, before);
      __syncwarp();
      fenceProxyAsyncGlobal(); // their adds, seen by ours
    }
    namedBarrierSync(bwdWsDQStaged(n % 2), kBarrierThreads);
    if constexpr (Cfg::kDQRowPad != 0) {
      // Padded rows: one reduction each, the lanes sharing them.
#pragma unroll
      for (int r = lane; r < BR; r += 32)
        bulkReduceAddF32(rows + r * D, staging + r * Cfg::kDQRowBytes, D * 4);
    } else if (lane == 0) {
      bulkReduceAddF32(rows, staging, BR * D * 4);
    }
    bulkCommit();
    if (order) {
      // Done (not only read) before the next key block's turn.
      bulkWait<0>();
      fenceProxyAsyncGlobal();
      __syncwarp();
      if (lane == 0)
        releaseIncrement(order);
    }
    if (n > 0) {
      // Item n - 1's rows have been read: its buffer serves item n + 1.
      bulkWaitRead<1>();
      __syncwarp();
      if (itemNext < kb.items)
        namedBarrierArrive(bwdWsDQFree((n + 1) % 2), kBarrierThreads);
    }
    item = itemNext;
  }
  bulkWait<0>(); // the reductions are done before the CTA's memory goes
}

/// The consumers: BwdKernelSm90's products on the loader's buffers.
template <class Cfg, class Variant>
FG_DEVICE void bwdWsConsumer(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                             const BwdWsSmem<Cfg> &sm, uint8_t *smem) {
  using T = typename Cfg::T;
  using Products = BwdSm90Products<Cfg>;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BR = Cfg::kBlockStream; // streamed rows (resident: Cfg::kBlockResident)
  constexpr int kNT = Products::kNT, kDQTiles = Products::kDQTiles;
  constexpr int kBarrierThreads = Cfg::kThreads + 32;
  using KTile = typename Cfg::KTile;
  using DSTile = typename Cfg::DSTile;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warpgroupIndex(), g = lane / 4, t = lane % 4;
  const int b = kb.b, seqQ = kb.sb.seqQ, seqK = kb.sb.seqK, k0 = kb.k0;
  const float *statBase = reinterpret_cast<const float *>(smem + (sm.stat - smemAddress(smem)));

  const int dqCol0 = Cfg::kDQSplitRows ? 0 : wg * Cfg::kDQCols;
  const int dqRow0 = Cfg::kDQSplitRows ? wg * 64 : 0;
  const uint32_t dsRowsOffset = (dqRow0 / 64) * DSTile::kAtomBytes;
  const uint32_t sKCols = sm.k + (dqCol0 / 64) * KTile::kAtomBytes + (dqCol0 % 64) * 2;

  float dk[D / 8][4], dv[DV / 8][4];
  zeroAcc(dk);
  zeroAcc(dv);

  const int kRowW = k0 + warp * 16;
  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items)
    mbarrierWait(sm.kvFull(), 0);
  for (int n = 0; item < kb.items; ++n) {
    const int s = n % Cfg::kStages, phase = (n / Cfg::kStages) & 1;
    uint32_t kBase = sm.k, vBase = sm.v, kColsBase = sKCols;
    asm volatile("" : "+r"(kBase), "+r"(vBase), "+r"(kColsBase));
    const int h = kb.head(item), q0 = kb.q0(item);
    const uint32_t qBuf = sm.qBuf(s), dOBuf = sm.dOBuf(s);
    const float *lse2 = statBase + s * (Cfg::kStatBytes / 4);
    const float *dsum = lse2 + BR;

    // S^T = K Q^T and dP^T = V dO^T: this warpgroup's 64 keys x BR queries,
    // each once its tile has landed.
    float sT[kNT][4], dp[kNT][4];
    mbarrierWait(sm.qFull(s), phase);
    Products::scores(sT, dp, kBase, vBase, qBuf, dOBuf, wg, [&] {
      mbarrierWait(sm.doFull(s), phase);
      wgmmaFence();
    });
    // dV, then dK; the dS^T math after dV, not under it: with P^T's packed
    // copy still held for dV, 240 registers make ptxas serialize the wgmmas
    // (C7512, checked with ptxas -v at head dims 64 and 128).
    constexpr bool kStaged = Variant::kUseStagedRows;
    const uint32_t *stagedRows = nullptr;
    if constexpr (kStaged)
      stagedRows = sm.template rows<Variant::kStagedRows>(s);
    // dS^T to shared memory for dQ.
    const uint32_t dsBuf = sm.dS;
    const bool partial = Variant::kHasMask && cls == kTilePartial;
    if constexpr (!Variant::kHasDropout && !Variant::kHasScoreMod && DV <= 64) {
      // The dS^T math under dV, from P^T's second packed copy (with a
      // score modifier's f' registers beside it, the consumers spill).
      // Measured on the H200 (session 25): +1.5-2% at d64, -1..-3% at d128,
      // where the longer dV product already hides the dS math.
      Products::template keyGradientsPacked<Variant, kStaged>(
          sT, dp, dk, dv, p, lse2, dsum, qBuf, dOBuf, dsBuf, b, h, k0, kRowW, q0, warp, lane,
          partial, seqQ, seqK, stagedRows);
    } else {
      Products::template keyGradients<Variant, /*kDSUnderDV=*/false, kStaged>(
          sT, dp, dk, dv, p, lse2, dsum, qBuf, dOBuf, b, h, k0, kRowW, q0, g, t, partial, seqQ,
          seqK, stagedRows);
      storeAccToTile<T, DSTile>(dsBuf, sT, warp * 16, lane);
    }
    fenceProxyAsyncShared();
    namedBarrierSync(kBwdWsDSStored, Cfg::kThreads); // both warpgroups' keys

    // dQ[q0.., this warpgroup's part] = dS K over all BC keys.
    float dq[kDQTiles][4];
    Products::dQ(dq, dsBuf + dsRowsOffset, kColsBase);
    // dK was the last product to read Q and dO: the buffer goes back.
    // Every consumer thread arrives: mbarrier.arrive releases the arriving
    // thread's own reads of the stage (its lse2/D loads), which is what
    // compute-sanitizer's racecheck tracks (one arrival per warp after
    // __syncwarp reported 48 hazards between those reads and the next
    // bulk load into the stage, session 16).
    wgmmaWait<1>();
    mbarrierArrive(sm.empty(s));
    wgmmaWait<0>();
    wgmmaFenceOperands(dq);
    wgmmaFenceOperands(dk);
    wgmmaFenceOperands(dv);
    const uint32_t staging = sm.dQBuf(n % 2);
    namedBarrierSync(bwdWsDQFree(n % 2), kBarrierThreads); // item n - 2's dQ has been read
    Products::stageDQ(staging, dq, dqRow0, dqCol0, warp, g, t);
    namedBarrierArrive(bwdWsDQStaged(n % 2), kBarrierThreads);
    item = kb.next(p, item, cls);
  }
  storeKeyGradients<T, Variant, true, true>(bp, kb, dk, dv, kRowW, g, t);
}

/// The entry: 8 consumer warps and a producer warpgroup (loader, dQ writer,
/// two idle warps), one CTA per SM, registers split by setmaxnreg.
template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardFusedSm90Ws(const BwdParams &bp) {
  using Ws = BwdWsConfig<Cfg>;
  BwdKeyBlock<Variant> kb;
  if (!kb.init(bp, Cfg::kBlockResident, Cfg::kBlockStream))
    return; // the whole CTA: before any barrier
  // Deterministic: every role walks last to first (BwdKeyBlock::reverse).
  kb.reverse = bp.dqOrder != nullptr;
  extern __shared__ __align__(1024) uint8_t smem[];
  const BwdWsSmem<Cfg> sm(smem);
  bwdWsInitBarriers<Cfg, Variant>(sm);
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  // One branch per role, nothing after: what setmaxnreg needs.
  if (warp >= Ws::kConsumerWarps) {
    setMaxRegsDec<Ws::kProducerRegs>();
    if (warp == Ws::kLoaderWarp)
      bwdWsLoader<Cfg, Variant>(bp, kb, sm, lane);
    else if (warp == Ws::kWriterWarp)
      bwdWsDQWriter<Cfg, Variant>(bp, kb, sm, lane);
  } else {
    setMaxRegsInc<Ws::kConsumerRegs>();
    bwdWsConsumer<Cfg, Variant>(bp, kb, sm, smem);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKERNELSM90WS_CUH
