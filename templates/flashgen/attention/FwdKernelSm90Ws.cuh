//===- FwdKernelSm90Ws.cuh - warp-specialized forward, sm_90a ----*- CUDA -*-===//
//
// The wgmma forward (FwdKernelSm90.cuh) with the loads taken off the math
// warps and the math warpgroups taking turns on the tensor cores:
//
//   producer warpgroup (the last one, 24 registers; one thread works):
//     the copy engine (TMA, Tma.cuh) loads Q once, then K and V of each kv
//     tile into a ring of kStages buffers; each buffer's "full" mbarrier
//     completes when the tile's bytes have landed; the producer waits on
//     the buffer's "empty" mbarrier before refilling it. (An earlier
//     version issued cp.async from all 128 producer threads, each waiting
//     and fencing its copies for the async proxy: an address computation
//     per 16 bytes, on the issue slots the consumers need; it measured
//     8-15% slower than the plain kernel, the TMA producer 34-43% faster:
//     bench/results/2026-11-25-h100-ws-ab-s6.md.)
//   consumer warpgroups 0 .. N-1 (64 query rows each, the rest of the
//     registers): the FlashAttention-2 loop of FwdKernelSm90 (S of the next
//     tile and P V of this one issued together, softmax of the next under
//     P V), releasing K as soon as its S landed and V once P V did.
//
// Turns ("pingpong"): a consumer issues its wgmmas only in its turn; named
// barrier 1 + w opens warpgroup w's turn, and each warpgroup opens the next
// one's after issuing. So while one warpgroup's products run, the other
// does its softmax, and the tensor cores see back-to-back work instead of
// every warpgroup's products at once and then none (the lockstep of a
// shared __syncthreads per tile). Every consumer walks the same tiles, so
// all take the same number of turns: the prologue's S, one per tile pair,
// the epilogue's P V.
//
// With one consumer warpgroup there are no turns; two or three CTAs per SM
// interleave instead (kCtasPerSM: the tiling record's ctas_per_sm, chosen
// by the planner or the tuner).
//
// fp8 inputs (Cfg::kFp8, FwdFp8.cuh): the same protocol on one-byte tiles
// (128-element atoms, 32-element k-steps); V^T is either the pre-pass's
// (prefill) or, in a kernel with decoding features, made here: the copy
// engine lands V in a staging ring (vStaged, then vStageFree once read),
// the producer warpgroup's last two warps transpose it into the
// consumers' V^T buffer (their arrivals complete vFull). P is packed to
// e4m3, and O is scaled by V's descale factor before its bf16 store.
//
// No __syncthreads after the start: the producer runs ahead by up to
// kStages tiles. scripts/ws-protocol-model.py models this protocol.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDKERNELSM90WS_CUH
#define FLASHGEN_ATTENTION_FWDKERNELSM90WS_CUH

#include "flashgen/attention/FwdKernelSm90.cuh"
#include "flashgen/attention/Mbarrier.cuh"
#include "flashgen/attention/StagedLookups.cuh"
#include "flashgen/attention/Tma.cuh"
#include "flashgen/attention/WsBudget.cuh"

namespace flashgen {

/// Shared memory of the warp-specialized kernel: Q, the K and V rings
/// (fp8: and V's staging ring), then the mbarriers (qFull; per buffer
/// kFull, vFull, kEmpty, vEmpty; fp8: vStaged, vStageFree).
template <class Cfg> struct WsSmem {
  static constexpr int S = Cfg::kStages;
  static_assert(8 * (1 + 6 * S) <= Cfg::kBarrierBytes, "barriers fit their space");
  static constexpr int kStagingBytes = int(wsFp8StagingBytes(S, Cfg::kElemBytes, Cfg::kBlockN));
  static_assert(kStagingBytes == (Cfg::kFp8 ? S * Cfg::VStageTile::kBytes : 0),
                "the planner's staging ring is the kernel's");
  uint32_t q, k, v, staging, bar;
  uint8_t *generic;       // the same bytes, for plain loads and stores
  uint32_t genericBase;
  FG_DEVICE explicit WsSmem(uint8_t *smem) : generic(smem), genericBase(smemAddress(smem)) {
    q = (genericBase + 1023u) & ~1023u;
    k = q + Cfg::QTile::kBytes;
    v = k + S * Cfg::KTile::kBytes;
    staging = v + S * Cfg::VTile::kBytes;
    bar = staging + kStagingBytes;
  }
  /// Stage s's staged mask columns (StagedColumns.h), after the barriers:
  /// `lookups` rows of kBlockN values.
  template <int lookups> FG_DEVICE uint32_t *columns(int s) const {
    const uint32_t at = bar + Cfg::kBarrierBytes + s * lookups * Cfg::kBlockN * 4;
    return reinterpret_cast<uint32_t *>(generic + (at - genericBase));
  }
  FG_DEVICE uint32_t kBuf(int s) const { return k + s * Cfg::KTile::kBytes; }
  FG_DEVICE uint32_t vBuf(int s) const { return v + s * Cfg::VTile::kBytes; }
  FG_DEVICE uint32_t qFull() const { return bar; }
  FG_DEVICE uint32_t kFull(int s) const { return bar + 8 * (1 + s); }
  FG_DEVICE uint32_t vFull(int s) const { return bar + 8 * (1 + S + s); }
  FG_DEVICE uint32_t kEmpty(int s) const { return bar + 8 * (1 + 2 * S + s); }
  FG_DEVICE uint32_t vEmpty(int s) const { return bar + 8 * (1 + 3 * S + s); }
  FG_DEVICE uint32_t vStage(int s) const { return staging + s * Cfg::VStageTile::kBytes; }
  FG_DEVICE uint32_t vStaged(int s) const { return bar + 8 * (1 + 4 * S + s); }
  FG_DEVICE uint32_t vStageFree(int s) const { return bar + 8 * (1 + 5 * S + s); }
};

/// The producer: one thread of the last warpgroup has the copy engine load
/// Q, then each kv tile's K and V into the ring (TMA boxes of one 64-column
/// atom each); each buffer's "full" mbarrier expects the tile's bytes.
template <class Cfg, class Variant>
FG_DEVICE void wsProducer(const FwdParams &p, const FwdRowBlock<Variant> &rb,
                          const WsSmem<Cfg> &sm) {
  using QTile = typename Cfg::QTile;
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;
  constexpr int BN = Cfg::kBlockN, S = Cfg::kStages;
  // Varlen: one batch entry of packed rows, this sequence's from row0.
  const int batch = Variant::kVarlen ? 0 : rb.b, kvBatch = Variant::kVarlen ? 0 : rb.kb;
  const int qRow = (Variant::kVarlen ? int(rb.qRow0) : 0) + rb.q0;
  const int kRow0 = Variant::kVarlen ? int(rb.kRow0) : 0;
  tmaPrefetchDescriptor(p.tmaK);
  tmaPrefetchDescriptor(p.tmaV);
  // Tile rows [row, row + rows of Tile) of `head` into `dst`: one box per
  // 64-column atom, completing on `full`, which expects all its bytes.
  auto fill = [&](auto tile, uint32_t dst, const TmaDescriptor &map, uint32_t full, int row,
                  int head, int entry) {
    using Tile = decltype(tile);
    mbarrierArriveExpectTx(full, Tile::kBytes);
#pragma unroll
    for (int a = 0; a < Tile::kAtoms; ++a)
      tmaLoad4d(dst + a * Tile::kAtomBytes, map, full, a * Cfg::kAtomElems, row, head, entry);
  };
  // fp8 prefill: V^T's tile (FwdFp8.cuh), all head-dim rows of keys
  // [key, key + BN), one box per 128 keys.
  auto fillTransposedV = [&](uint32_t dst, uint32_t full, int key) {
    mbarrierArriveExpectTx(full, VTile::kBytes);
#pragma unroll
    for (int a = 0; a < VTile::kAtoms; ++a)
      tmaLoad4d(dst + a * VTile::kAtomBytes, p.tmaV, full, key + a * 128, 0, rb.hk, kvBatch);
  };
  // A paged cache: the tile's keys in boxes of `box` rows, each inside one
  // page, at the pool row its page-table entry gives; a box past the
  // entry's keys reads past the pool (the copy engine fills zeros, no page
  // entry read: entries past a length need not be valid). A tile's pool
  // rows are read together, once for K and V, and the next tile's while
  // this thread waits for a free buffer: read one by one between the
  // copies (a dependent global load per box), 16-row pages took 0.60 ms at
  // batch 8 x 32k keys, now 0.49 (the contiguous cache: 0.26; bench/
  // results/2026-11-30-h200-s19.md). Boxes are >= 16 rows (pages are
  // multiples of 16), so a tile has at most BN / 16.
  constexpr int kMaxBoxes = BN / 16;
  struct PoolRows {
    int row[kMaxBoxes];
  };
  // (Not in a kernel compiled without decoding features: FwdDecoding.cuh.)
  const bool paged = kFwdDecoding && p.pageTable;
  const int box = paged ? pagedBoxRows(BN, p.pageSize) : BN;
  const int32_t *pages = paged ? p.pageTable + int64_t(rb.b) * p.pageTableStride : nullptr;
  auto readPoolRows = [&](int j) {
    PoolRows r;
#pragma unroll
    for (int i = 0; i < kMaxBoxes; ++i) {
      const int key = j * BN + i * box;
      r.row[i] = i * box < BN && key < rb.seqK
                     ? pages[key / p.pageSize] * p.pageSize + key % p.pageSize
                     : p.poolRows;
    }
    return r;
  };
  auto fillPaged = [&](auto tile, uint32_t dst, const TmaDescriptor &map, uint32_t full,
                       const PoolRows &rows) {
    using Tile = decltype(tile);
    mbarrierArriveExpectTx(full, Tile::kBytes);
#pragma unroll
    for (int i = 0; i < kMaxBoxes; ++i)
      if (i * box < BN) {
#pragma unroll
        for (int a = 0; a < Tile::kAtoms; ++a)
          tmaLoad4d(dst + a * Tile::kAtomBytes + i * box * 128, map, full,
                    a * Cfg::kAtomElems, rows.row[i], rb.hk, 0);
      }
  };
  fill(QTile{}, sm.q, p.tmaQ, sm.qFull(), qRow, rb.h, batch);
  int n = 0;
  PoolRows rows;
  if (pages && rb.firstTile() < rb.jEnd)
    rows = readPoolRows(rb.firstTile());
  for (int j = rb.firstTile(); j < rb.jEnd; j = rb.nextTile(j), ++n) {
    // Buffer s is free once its previous tile (use - 1) was released.
    const int s = n % S, use = n / S;
    if (use > 0)
      mbarrierWait(sm.kEmpty(s), (use - 1) & 1);
    if (pages)
      fillPaged(KTile{}, sm.kBuf(s), p.tmaK, sm.kFull(s), rows);
    else
      fill(KTile{}, sm.kBuf(s), p.tmaK, sm.kFull(s), kRow0 + j * BN, rb.hk, kvBatch);
    // fp8 in a decoding kernel: V lands in its staging buffer, free once
    // transposed; in a prefill one, the pre-pass's V^T in the V buffer.
    using VLoad = typename SelectType<Cfg::kTransposesV, typename Cfg::VStageTile, VTile>::type;
    const uint32_t vDst = Cfg::kTransposesV ? sm.vStage(s) : sm.vBuf(s),
                   vLanded = Cfg::kTransposesV ? sm.vStaged(s) : sm.vFull(s);
    if (use > 0)
      mbarrierWait(Cfg::kTransposesV ? sm.vStageFree(s) : sm.vEmpty(s), (use - 1) & 1);
    if constexpr (Cfg::kFp8 && !Cfg::kTransposesV) {
      fillTransposedV(sm.vBuf(s), sm.vFull(s), j * BN);
    } else if (pages) {
      fillPaged(VLoad{}, vDst, p.tmaV, vLanded, rows);
      if (rb.nextTile(j) < rb.jEnd)
        rows = readPoolRows(rb.nextTile(j));
    } else {
      fill(VLoad{}, vDst, p.tmaV, vLanded, kRow0 + j * BN, rb.hk, kvBatch);
    }
  }
}

/// The column stager: the producer warpgroup's second warp walks the same
/// kv tiles as the copy engine's thread and writes each tile's staged mask
/// values (Variant::stageColumns at every key of the tile) beside its K;
/// each lane's arrival on the tile's "full" barrier publishes its stores,
/// so the consumers' wait for K covers them. Every tile of the walk is
/// staged (512 bytes per lookup, from the L2 mostly): with a score
/// modifier the element loop evaluates the mask on full tiles too, its
/// result unused (OnlineSoftmax.cuh's scoreAndMask).
template <class Cfg, class Variant>
FG_DEVICE void wsColumnStager(const FwdParams &p, const FwdRowBlock<Variant> &rb,
                              const WsSmem<Cfg> &sm) {
  constexpr int BN = Cfg::kBlockN, S = Cfg::kStages, N = Variant::kStagedColumns;
  const int lane = threadIdx.x % 32;
  int n = 0;
  for (int j = rb.firstTile(); j < rb.jEnd; j = rb.nextTile(j), ++n) {
    const int s = n % S, use = n / S;
    if (use > 0)
      mbarrierWait(sm.kEmpty(s), (use - 1) & 1);
    stageTileLookups<N, BN>(sm.template columns<N>(s), lane, [&](int i, uint32_t(&out)[N]) {
      Variant::stageColumns(p, rb.b, rb.h, j * BN + i, rb.seqQ, rb.seqK, out);
    });
    mbarrierArrive(sm.kFull(s));
  }
}

/// fp8: a transposing warp of the producer warpgroup (FwdFp8.cuh). It walks
/// the copy engine's tiles; for each, once V landed in its staging buffer
/// and the consumers released the V^T buffer, it writes its share of V^T
/// (keys past the row block's key length as zeros), makes the writes
/// visible to wgmma (the async proxy), and arrives on vFull (the
/// consumers' wait) and on vStageFree (the copy engine's).
template <class Cfg, class Variant>
FG_DEVICE void wsTransposer(const FwdRowBlock<Variant> &rb, const WsSmem<Cfg> &sm,
                            int worker) {
  constexpr int BN = Cfg::kBlockN, S = Cfg::kStages;
  const int lane = threadIdx.x % 32;
  int n = 0;
  for (int j = rb.firstTile(); j < rb.jEnd; j = rb.nextTile(j), ++n) {
    const int s = n % S, use = n / S;
    mbarrierWait(sm.vStaged(s), use & 1);
    if (use > 0)
      mbarrierWait(sm.vEmpty(s), (use - 1) & 1);
    transposeTileFp8<typename Cfg::VTile, BN, Cfg::kHeadDimV>(
        sm.vStage(s), sm.vBuf(s), rb.seqK - j * BN, worker, lane);
    fenceProxyAsyncShared();
    __syncwarp();
    if (lane == 0) {
      mbarrierArrive(sm.vFull(s));
      mbarrierArrive(sm.vStageFree(s));
    }
  }
}

/// A consumer warpgroup (64 query rows): the wgmma FlashAttention-2 loop
/// on the producer's buffers, products issued in turns.
template <class Cfg, class Variant>
FG_DEVICE void wsConsumer(const FwdParams &p, const FwdRowBlock<Variant> &rb,
                          const WsSmem<Cfg> &sm) {
  using T = typename Cfg::T;
  constexpr int DV = Cfg::kHeadDimV, BN = Cfg::kBlockN, S = Cfg::kStages;
  // k-steps of 32 bytes: 16 elements, or 32 fp8 ones.
  constexpr int kKStepElems = 32 / Cfg::kElemBytes;
  constexpr int kKSteps = Cfg::kHeadDimQK / kKStepElems, kNTiles = BN / 8, kVTiles = DV / 8;
  constexpr int kPSteps = BN / kKStepElems;
  constexpr int kConsumers = Cfg::kWarpgroups;
  constexpr int kConsumerThreads = 128 * kConsumers;
  // Named barriers: 1 + w opens warpgroup w's turn; then the consumers'
  // own, after the edge tile's V rows were zeroed.
  constexpr int kZeroedBarrier = 1 + kConsumers;
  const int jEnd = rb.jEnd;
  const int seqQ = rb.seqQ, h = rb.h, b = rb.b;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warpgroupIndex();
  const int g = lane / 4, t = lane % 4;
  const int warpRow0 = rb.q0 + warp * 16;
  const uint64_t bh = uint64_t(b) * p.heads + h;

  float o[1][kVTiles][4];
#pragma unroll
  for (int nn = 0; nn < kVTiles; ++nn)
    o[0][nn][0] = o[0][nn][1] = o[0][nn][2] = o[0][nn][3] = 0.f;
  float rowMax[2] = {negInf(), negInf()}, rowSum[2] = {0.f, 0.f};

  auto qDesc = [&](int ks) { return Cfg::QTile::kMajor(sm.q, ks, wg * 64); };
  auto kDesc = [&](int s, int ks) { return Cfg::KTile::kMajor(sm.kBuf(s), ks); };
  auto vDesc = [&](int s, int ks) {
    if constexpr (Cfg::kFp8)
      return Cfg::VTile::kMajor(sm.vBuf(s), ks); // V^T
    else
      return Cfg::VTile::mnMajor(sm.vBuf(s), ks);
  };
  auto issueS = [&](float(&sc)[1][kNTiles][4], int s) {
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks)
      WgmmaSS<T, BN>::run(sc[0], qDesc(ks), kDesc(s, ks), ks > 0);
    wgmmaCommit();
  };
  uint32_t pCur[kPSteps][4];
  auto issuePV = [&](int s) {
#pragma unroll
    for (int ks = 0; ks < kPSteps; ++ks)
      WgmmaRS<T, DV>::run(o[0], pCur[ks], vDesc(s, ks), 1);
    wgmmaCommit();
  };
  float correction[2];
  // fp8: this row block's per-head descale factors (HeadFactors; one kv
  // head per CTA, packed or not). 16-bit inputs: the constant 1.
  float scoreDescale = 1.f;
  if constexpr (Cfg::kFp8)
    scoreDescale = p.qHeadDescale.at(b, rb.hk) * p.kHeadDescale.at(b, rb.hk);
  constexpr bool kStaged = Variant::kUseStagedColumns; // StagedColumns.h
  auto softmaxOf = [&](float(&sc)[1][kNTiles][4], int j, int stage) {
    if constexpr (kStaged)
      softmaxTile<Variant, kNTiles, true>(sc, p, rb, j, warpRow0, g, t, bh, rowMax, rowSum,
                                          correction,
                                          sm.template columns<Variant::kStagedColumns>(stage),
                                          scoreDescale);
    else
      softmaxTile(sc, p, rb, j, warpRow0, g, t, bh, rowMax, rowSum, correction, nullptr,
                  scoreDescale);
  };
  auto packAll = [&](const float(&sc)[1][kNTiles][4]) {
    if constexpr (Cfg::kFp8)
      packTileFp8(pCur, sc);
    else
      packTile<T>(pCur, sc);
  };
  // A buffer is free once every consumer warp's wgmma reading it is done.
  auto release = [&](uint32_t bar) {
    __syncwarp();
    if (lane == 0)
      mbarrierArrive(bar);
  };
  // Turns: warpgroup 0's first turn is open; the last warpgroup opens
  // nobody's turn after the last one.
  int turn = 0;
  auto turnBegin = [&] {
    if (kConsumers > 1 && (wg > 0 || turn > 0))
      namedBarrierSync(1 + wg, 256);
  };
  auto turnEnd = [&](bool last) {
    if (kConsumers > 1 && !(last && wg == kConsumers - 1))
      namedBarrierArrive(1 + (wg + 1) % kConsumers, 256);
    ++turn;
  };

  // One step per kv tile j at walk position n + 1 (buffer (n + 1) % S):
  // S of j is issued with P V of the tile before it (position n, whose P
  // is in registers; none in the first step, n = -1), then j's softmax
  // runs under that P V. The first step is the loop's, not a prologue of
  // its own, so the softmax (mask, score modifier, dropout) is inlined
  // once: NVRTC's time follows its copies.
  int j = rb.firstTile(), jLast = j;
  mbarrierWait(sm.qFull(), 0);
  if (j < jEnd) {
    int n = -1;
    do {
      const int sn = (n + 1) % S, sc0 = n % S;
      const bool pv = n >= 0;
      float sc[1][kNTiles][4];
      mbarrierWait(sm.kFull(sn), ((n + 1) / S) & 1);
      // Each branch fences its own wgmmas (one branch around issuePV
      // alone has ptxas inject warpgroup.arrive, C7519).
      if (pv) {
        mbarrierWait(sm.vFull(sc0), (n / S) & 1);
        turnBegin();
        wgmmaFence();
        issueS(sc, sn); // S_j = Q K_j^T
        issuePV(sc0);   // O += P V of the tile before j
      } else {
        turnBegin();
        wgmmaFence();
        issueS(sc, sn);
        wgmmaCommit(); // an empty group: the waits below count the same
      }
      turnEnd(false);
      wgmmaWait<1>(); // S_j landed; P V may still run
      wgmmaFenceOperands(sc[0]);
      // Staged mask columns live in K's stage: released after the mask.
      if (!kStaged)
        release(sm.kEmpty(sn));
      softmaxOf(sc, j, sn);
      if (kStaged)
        release(sm.kEmpty(sn));
      wgmmaWait<0>();
      wgmmaFenceOperands(o[0]);
      if (pv)
        release(sm.vEmpty(sc0));
      // First step: O is 0 and stays 0 (the correction is 2^-inf = 0).
      rescaleRows(o, correction);
      packAll(sc);
      jLast = j;
      j = rb.nextTile(j);
      ++n;
    } while (j < jEnd);
    // Epilogue: the last tile's P V.
    mbarrierWait(sm.vFull(n % S), (n / S) & 1);
    // With per-entry key lengths (seqUsedK) or pages the copy engine
    // loaded the edge tile's rows past the entry's last key from memory
    // that may hold anything; P is 0 there, but 0 x NaN is NaN, so those V
    // rows become zeros (the edge tile is always the walk's last: its P V
    // is here). Otherwise such rows lie past the tensor: TMA filled zeros.
    if (!Cfg::kFp8 && kFwdDecoding && (p.seqUsedK || p.pageTable) &&
        (jLast + 1) * BN > rb.seqK) {
      Cfg::VTile::template zeroRows<kConsumerThreads>(sm.vBuf(n % S), rb.seqK - jLast * BN, tid);
      fenceProxyAsyncShared();
      namedBarrierSync(kZeroedBarrier, kConsumerThreads);
    }
    turnBegin();
    wgmmaFence();
    issuePV(n % S);
    turnEnd(true);
    wgmmaWait<0>();
    wgmmaFenceOperands(o[0]);
  }

  if constexpr (Cfg::kFp8) { // V's descale, per tensor and per head
    const float oScale = p.oScale * p.vHeadDescale.at(b, rb.hk);
#pragma unroll
    for (int nn = 0; nn < kVTiles; ++nn)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        o[0][nn][e] *= oScale;
  }
  storeOutput<typename Cfg::TOut, Variant>(o, rowMax, rowSum, p, b, h, rb.qRow0,
                                           FragmentCoords{warpRow0, 0, g, t}, seqQ, rb.split);
}

/// Registers per thread of the warp-specialized kernel at `kCtasPerSM` CTAs
/// per SM (WsBudget.cuh, the planner's formulas too; the generated code
/// asserts the planner's number is this one).
template <class Cfg, int kCtasPerSM> struct WsRegisters {
  static constexpr int kProducer = kWsProducerRegs;
  static constexpr int kConsumer = wsConsumerRegs(kCtasPerSM, 4 * Cfg::kWarpgroups);
  static_assert(kConsumer >= kWsMinConsumerRegs,
                "consumers need their accumulators in registers");
};

/// kCtasPerSM: the entry's __launch_bounds__ minimum (the tiling's
/// ctas_per_sm; the planner's default): one CTA with two consumer warpgroups
/// (~240 registers each, taking turns); two or three with one consumer
/// warpgroup, so that one CTA's loads, softmax and store overlap the
/// others' products.
template <class Cfg, class Variant, int kCtasPerSM>
FG_DEVICE void attentionForwardSm90Ws(const FwdParams &p) {
  constexpr int kConsumers = Cfg::kWarpgroups;
  constexpr int kConsumerThreads = 128 * kConsumers;
  constexpr int kProducerRegs = WsRegisters<Cfg, kCtasPerSM>::kProducer;
  constexpr int kConsumerRegs = WsRegisters<Cfg, kCtasPerSM>::kConsumer;

  FwdRowBlock<Variant> rb;
  if (!rb.init(p, Cfg::kBlockM))
    return; // the whole CTA: before any barrier
  rb.startWalk(p, Cfg::kBlockN);

  extern __shared__ __align__(1024) uint8_t smem[];
  const WsSmem<Cfg> sm(smem);
  if (threadIdx.x == 0) {
    // Full: the producer thread's arrival plus the copy engine's bytes.
    mbarrierInit(sm.qFull(), 1);
    for (int s = 0; s < Cfg::kStages; ++s) {
      // (+ the column stager's lanes: wsColumnStager)
      mbarrierInit(sm.kFull(s), 1 + (Variant::kUseStagedColumns ? 32 : 0));
      // (fp8: the transposing warps' arrivals; the copy engine's bytes
      // complete vStaged, read by them, who then free it)
      mbarrierInit(sm.vFull(s), Cfg::kTransposesV ? kFp8TransposerWarps : 1);
      if constexpr (Cfg::kTransposesV) {
        mbarrierInit(sm.vStaged(s), 1);
        mbarrierInit(sm.vStageFree(s), kFp8TransposerWarps);
      }
      // One arrival per consumer warp, after its warpgroup's wgmma waited.
      mbarrierInit(sm.kEmpty(s), 4 * kConsumers);
      mbarrierInit(sm.vEmpty(s), 4 * kConsumers);
    }
  }
  __syncthreads();

  // One branch per role, nothing after: what setmaxnreg needs.
  if (threadIdx.x >= kConsumerThreads) {
    setMaxRegsDec<kProducerRegs>();
    const int producerWarp = threadIdx.x / 32 - kConsumerThreads / 32;
    if (threadIdx.x == kConsumerThreads)
      wsProducer<Cfg, Variant>(p, rb, sm);
    else if (producerWarp == 1) {
      if constexpr (Variant::kUseStagedColumns)
        wsColumnStager<Cfg, Variant>(p, rb, sm);
    } else if (producerWarp >= kFp8FirstTransposerWarp) {
      if constexpr (Cfg::kTransposesV)
        wsTransposer<Cfg, Variant>(rb, sm, producerWarp - kFp8FirstTransposerWarp);
    }
  } else {
    setMaxRegsInc<kConsumerRegs>();
    wsConsumer<Cfg, Variant>(p, rb, sm);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDKERNELSM90WS_CUH
