//===- BwdKernelSm90.cuh - fused backward with Hopper wgmma -----*- CUDA -*-===//
//
// The fast backward path (dK, dV and atomic dQ in one kv-major kernel, see
// BwdKernel.cuh) with every product on warpgroup MMA, sm_90a. Two
// warpgroups; each owns 64 of the CTA's 128 keys. Per streamed tile of 64
// queries, 128 at head dim 64 (Q, dO, lse2 and D in shared memory, two
// buffers):
//
//   S^T  = K Q^T      wgmma, A = K rows, B = Q (both K-major, smem)
//   dP^T = V dO^T     wgmma, A = V rows, B = dO
//   P^T, dS^T         registers (BwdTileMath, shared with mma.sync)
//   dV  += P^T dO     wgmma, A = P^T from registers, B = dO transposed
//   dK  += dS^T Q     wgmma, A = dS^T from registers, B = Q transposed
//   dQ   = dS K       wgmma, A = dS^T stored key-major, read transposed;
//                     B = K transposed; each warpgroup half of dQ's
//                     columns (64-query tiles) or half of its rows (128)
//   dQ accumulator += dQ   staged in shared memory in fp32, added by the
//                          copy engine: head dim 64 one 32 KB bulk
//                          reduction per tile, 128 one per row
//
// The dQ reduction is a third of the time when nothing else changes
// (measured on the H100 by leaving it out). Against red.global.add.v2 from
// registers, per-row bulk reductions took 8-9% off at d128 but added 17%
// at d64 (256-byte rows); one reduction of the whole contiguous d64 tile
// took 1.5% (non-causal) to 7% (causal) off; red.v4 was slower
// (bench/results/2026-11-24-h100-bwd-wgmma-dq.txt). The d128 rows are
// padded in shared memory (bank conflicts of the staging stores), so
// they go one by one. Issuing the next tile's S^T and dP^T before the
// reduction (a deeper software pipeline) measured 2-12% slower and is not
// done. At head dim 64, 128-query tiles (half the barriers and
// reductions per key block) beat 64 by 16-17%; at 128 their accumulators
// do not fit in registers.
//
// S^T and dP^T are issued together; the P^T math runs while dP^T is still
// computing, the dS^T math while dV is, and the dS^T store, barrier and dQ
// issue while dK is. The wgmma accumulator layout is mma.sync's, so the
// elementwise code and the coordinates are those of the mma.sync kernel
// (warp w of the CTA owns keys 16 w .. 16 w + 15).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKERNELSM90_CUH
#define FLASHGEN_ATTENTION_BWDKERNELSM90_CUH

#include "flashgen/attention/BulkCopy.cuh"
#include "flashgen/attention/BwdKernel.cuh"
#include "flashgen/attention/Wgmma.cuh"

namespace flashgen {

template <class T_, int HeadDimQK_, int HeadDimV_, int BlockStream_, int Warps_>
struct BwdConfigSm90 {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_;
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kWarps = Warps_;
  static constexpr int kThreads = Warps_ * 32;
  static constexpr int kWarpgroups = Warps_ / 4;
  static constexpr int kBlockResident = 64 * kWarpgroups; // keys
  static constexpr int kBlockStream = BlockStream_;       // queries
  static_assert(kWarpgroups == 2 && kWarps == 8,
                "two warpgroups: 64 keys each, half of dQ's columns each");
  static_assert(kBlockStream == 64 || (kBlockStream == 128 && HeadDimQK_ == 64),
                "64-query tiles (dQ's 64 rows split by columns between the warpgroups), "
                "or 128 at head dim 64 (dQ split by rows)");
  static_assert((kHeadDimQK == 64 || kHeadDimQK == 128) &&
                    (kHeadDimV == 64 || kHeadDimV == 128),
                "head dims padded to 64 or 128");
  using KTile = WgmmaTile<kBlockResident, kHeadDimQK>;
  using VTile = WgmmaTile<kBlockResident, kHeadDimV>;
  using QTile = WgmmaTile<kBlockStream, kHeadDimQK>;
  using DOTile = WgmmaTile<kBlockStream, kHeadDimV>;
  using DSTile = WgmmaTile<kBlockResident, kBlockStream>; // dS^T, key-major
  static constexpr int kStatBytes = 2 * kBlockStream * 4; // lse2 and D per buffer
  static constexpr int kStages = 2; // Q/dO buffers (the warp-specialized kernel's)
  /// dQ of a tile: 64 rows, each warpgroup half of the columns; or 128
  /// rows, each warpgroup 64 of them with every column.
  static constexpr bool kDQSplitRows = kBlockStream == 128;
  static constexpr int kDQCols = kDQSplitRows ? kHeadDimQK : kHeadDimQK / kWarpgroups;
  /// The staging of one item's dQ in fp32, a row per query. At head dim
  /// 128 rows are padded by 32 bytes, so a warp's 8-row store takes 2 bank
  /// wavefronts, not 8, and each row is reduced on its own; at 64 the tile
  /// stays contiguous and is reduced in one piece (see above).
  static constexpr int kDQRowPad = kHeadDimQK >= 128 ? 32 : 0;
  static constexpr int kDQRowBytes = kHeadDimQK * 4 + kDQRowPad;
  static constexpr int kDQBytes = kBlockStream * kDQRowBytes;
  /// Tiles first (each a multiple of 1024 bytes, so every atom stays
  /// aligned), then the dQ staging rows and the statistics; +1024: the base
  /// is rounded up to an atom.
  static constexpr int kSmemBytes = KTile::kBytes + VTile::kBytes +
                                    2 * (QTile::kBytes + DOTile::kBytes) + DSTile::kBytes +
                                    kDQBytes + 2 * kStatBytes + 1024;
};

/// The products of one work item, shared by both wgmma backward kernels
/// (this one and the warp-specialized BwdKernelSm90Ws.cuh): each
/// warpgroup's 64 keys against the item's BR queries.
template <class Cfg> struct BwdSm90Products {
  using T = typename Cfg::T;
  static constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  static constexpr int BC = Cfg::kBlockResident, BR = Cfg::kBlockStream;
  static constexpr int kNT = BR / 8;      // 8-column blocks of S^T (queries)
  static constexpr int kQSteps = BR / 16; // k-steps of dV, dK
  static constexpr int kDQTiles = Cfg::kDQCols / 8;
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using DSTile = typename Cfg::DSTile;

  /// S^T = K Q^T and dP^T = V dO^T, one commit group each; `beforeDP` runs
  /// between them (the warp-specialized kernel waits for dO there).
  template <class BeforeDP>
  static FG_DEVICE void scores(float (&s)[kNT][4], float (&dp)[kNT][4], uint32_t kBase,
                               uint32_t vBase, uint32_t qBuf, uint32_t dOBuf, int wg,
                               BeforeDP beforeDP) {
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
      WgmmaSS<T, BR>::run(s, KTile::kMajor(kBase, ks, wg * 64), QTile::kMajor(qBuf, ks),
                          ks > 0);
    wgmmaCommit();
    beforeDP();
#pragma unroll
    for (int ks = 0; ks < DV / 16; ++ks)
      WgmmaSS<T, BR>::run(dp, VTile::kMajor(vBase, ks, wg * 64), DOTile::kMajor(dOBuf, ks),
                          ks > 0);
    wgmmaCommit();
  }

  /// With S^T and dP^T in flight: P^T (and f', dropout) while dP^T
  /// computes; dV += dropout(P)^T dO; dS^T under dV (kDSUnderDV) or after
  /// it; dK += dS^T Q, in flight on return (the last commit group), dS^T
  /// left in `s`. `partial`: evaluate the mask (into bits, in a rolled
  /// loop: one instantiation serves full and partial tiles); k0: the CTA's
  /// first key (whether the tile crosses a sequence end).
  /// kStaged: the mask's row lookups come from `stagedRows` (StagedColumns.h;
  /// per lookup, BR values of the tile's rows).
  template <class Variant, bool kDSUnderDV, bool kStaged = false, int DT, int VT>
  static FG_DEVICE void keyGradients(float (&s)[kNT][4], float (&dp)[kNT][4],
                                     float (&dk)[DT][4], float (&dv)[VT][4], const FwdParams &p,
                                     const float *lse2, const float *dsum, uint32_t qBuf,
                                     uint32_t dOBuf, int b, int h, int k0, int kRow, int q0, int g,
                                     int t, bool partial, int seqQ, int seqK,
                                     const uint32_t *stagedRows = nullptr) {
    wgmmaWait<1>();
    wgmmaFenceOperands(s);
    BwdTileMath<Variant, kNT> math;
    const bool edge = !tileInSequence<Variant>(q0 + BR, k0 + BC, seqQ, seqK);
    math.template recompute<kStaged>(s, p, lse2, b, h, kRow, q0, g, t, partial, edge, seqQ, seqK,
                                     stagedRows);
    uint32_t pf[kQSteps][4];
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      packA<T>(pf[ks], s, ks, [&](int n, int e) { return math.dropMul(p, n, e); });
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      WgmmaRS<T, DV>::run(dv, pf[ks], DOTile::mnMajor(dOBuf, ks), 1);
    wgmmaCommit();

    if constexpr (kDSUnderDV)
      wgmmaWait<1>();
    else
      wgmmaWait<0>();
    wgmmaFenceOperands(dp);
    math.gradient(s, dp, p, dsum, t);
    uint32_t dsf[kQSteps][4];
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      packA<T>(dsf[ks], s, ks, [](int, int) { return 1.f; });
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      WgmmaRS<T, D>::run(dk, dsf[ks], QTile::mnMajor(qBuf, ks), 1);
    wgmmaCommit();
  }

  /// keyGradients without dropout, its dS^T math under dV: P^T is packed
  /// twice, once as dV's A operand (read by the tensor core until dV
  /// completes) and once for the dS^T math, which then needs neither S^T's
  /// fp32 registers nor dV's operand; dS^T goes to shared memory (DSTile at
  /// dsBuf, this warp's 16 keys) straight from its packed copy, then dK +=
  /// dS^T Q is issued, in flight on return. (With S^T's fp32 copy live
  /// under dV, 240 registers made ptxas serialize the wgmmas.)
  template <class Variant, bool kStaged = false, int DT, int VT>
  static FG_DEVICE void keyGradientsPacked(float (&s)[kNT][4], float (&dp)[kNT][4],
                                           float (&dk)[DT][4], float (&dv)[VT][4],
                                           const FwdParams &p, const float *lse2,
                                           const float *dsum, uint32_t qBuf, uint32_t dOBuf,
                                           uint32_t dsBuf, int b, int h, int k0, int kRow, int q0,
                                           int warp, int lane, bool partial, int seqQ, int seqK,
                                           const uint32_t *stagedRows = nullptr) {
    static_assert(!Variant::kHasDropout, "dV's operand is P itself, not dropout(P)");
    const int g = lane / 4, t = lane % 4;
    wgmmaWait<1>();
    wgmmaFenceOperands(s);
    BwdTileMath<Variant, kNT> math;
    const bool edge = !tileInSequence<Variant>(q0 + BR, k0 + BC, seqQ, seqK);
    math.template recompute<kStaged>(s, p, lse2, b, h, kRow, q0, g, t, partial, edge, seqQ, seqK,
                                     stagedRows);
    uint32_t pf[kQSteps][4], pc[kQSteps][4];
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks) {
      packA<T>(pf[ks], s, ks, [](int, int) { return 1.f; });
      packA<T>(pc[ks], s, ks, [](int, int) { return 1.f; });
    }
    // Two copies, not one: the compiler must not read dV's operand.
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
#pragma unroll
      for (int i = 0; i < 4; ++i)
        asm volatile("" : "+r"(pc[ks][i]));
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      WgmmaRS<T, DV>::run(dv, pf[ks], DOTile::mnMajor(dOBuf, ks), 1);
    wgmmaCommit();

    wgmmaWait<1>(); // dP^T; dV still running
    wgmmaFenceOperands(dp);
    uint32_t dsf[kQSteps][4];
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks) {
      float pv[2][4];
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        unpackPair<T>(pc[ks][2 * j], pv[j][0], pv[j][1]);
        unpackPair<T>(pc[ks][2 * j + 1], pv[j][2], pv[j][3]);
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int n = 2 * ks + j;
#pragma unroll
        for (int e = 0; e < 4; ++e)
          pv[j][e] = math.dS(pv[j][e], dp[n][e], dsum, n, e, t);
      }
      dsf[ks][0] = packPair<T>(pv[0][0], pv[0][1]);
      dsf[ks][1] = packPair<T>(pv[0][2], pv[0][3]);
      dsf[ks][2] = packPair<T>(pv[1][0], pv[1][1]);
      dsf[ks][3] = packPair<T>(pv[1][2], pv[1][3]);
    }
    storePackedToTile<DSTile>(dsBuf, dsf, warp * 16, lane);
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kQSteps; ++ks)
      WgmmaRS<T, D>::run(dk, dsf[ks], QTile::mnMajor(qBuf, ks), 1);
    wgmmaCommit();
  }

  /// dQ = dS K over all BC keys, this warpgroup's part (dS^T rows from
  /// dsBase, K's columns from kColsBase), one commit group.
  static FG_DEVICE void dQ(float (&dq)[kDQTiles][4], uint32_t dsBase, uint32_t kColsBase) {
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < BC / 16; ++ks)
      WgmmaSSTransposed<T, Cfg::kDQCols>::run(dq, DSTile::mnMajor(dsBase, ks),
                                              KTile::mnMajor(kColsBase, ks), ks > 0);
    wgmmaCommit();
  }

  /// This warp's dQ fragment (rows row0 + 16 (warp % 4) .., columns
  /// col0 ..) to the fp32 staging rows at `staging`, fenced for the copy
  /// engine, which reads what st.shared wrote.
  static FG_DEVICE void stageDQ(uint32_t staging, const float (&dq)[kDQTiles][4], int row0,
                                int col0, int warp, int g, int t) {
#pragma unroll
    for (int n = 0; n < kDQTiles; ++n)
#pragma unroll
      for (int h2 = 0; h2 < 2; ++h2) {
        const int row = row0 + (warp % 4) * 16 + g + h2 * 8, col = col0 + n * 8 + 2 * t;
        asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(staging +
                                                               row * Cfg::kDQRowBytes + col * 4),
                     "f"(dq[n][2 * h2]), "f"(dq[n][2 * h2 + 1])
                     : "memory");
      }
    fenceProxyAsyncShared();
  }
};

template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardFusedSm90(const BwdParams &bp) {
  using T = typename Cfg::T;
  using Products = BwdSm90Products<Cfg>;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BC = Cfg::kBlockResident, BR = Cfg::kBlockStream;
  constexpr int kNT = Products::kNT, kDQTiles = Products::kDQTiles;
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using DSTile = typename Cfg::DSTile;

  BwdKeyBlock<Variant> kb;
  if (!kb.init(bp, BC, BR))
    return;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warpgroupIndex(), g = lane / 4, t = lane % 4;
  const int b = kb.b, seqQ = kb.sb.seqQ, seqK = kb.sb.seqK, k0 = kb.k0;

  extern __shared__ __align__(1024) uint8_t smem[];
  const uint32_t sK = (smemAddress(smem) + 1023u) & ~1023u;
  const uint32_t sV = sK + KTile::kBytes;
  const uint32_t sQ = sV + VTile::kBytes;
  const uint32_t sdO = sQ + 2 * QTile::kBytes;
  const uint32_t sDS = sdO + 2 * DOTile::kBytes;
  const uint32_t sDQ = sDS + DSTile::kBytes;
  const uint32_t sStat = sDQ + Cfg::kDQBytes;
  const float *statBase = reinterpret_cast<const float *>(smem + (sStat - smemAddress(smem)));

  kb.template loadKeys<KTile, VTile, Cfg::kThreads>(p, sK, sV, tid);
  cpAsyncCommit();

  auto loadTile = [&](int item, int buf) {
    kb.template loadItem<QTile, DOTile, Cfg::kThreads>(bp, item, sQ + buf * QTile::kBytes,
                                                       sdO + buf * DOTile::kBytes,
                                                       sStat + buf * Cfg::kStatBytes, tid);
  };

  // dQ's B operand: K transposed from this warpgroup's first column; a
  // 32-column half starts 64 bytes into the atom (the swizzle is a function
  // of the address, so an offset inside the 128-byte row stays valid).
  const int dqCol0 = Cfg::kDQSplitRows ? 0 : wg * Cfg::kDQCols;
  const int dqRow0 = Cfg::kDQSplitRows ? wg * 64 : 0;
  // dS^T's columns (queries) this warpgroup's dQ rows read: an atom each.
  const uint32_t sDSRows = sDS + (dqRow0 / 64) * DSTile::kAtomBytes;
  const uint32_t sKCols = sK + (dqCol0 / 64) * KTile::kAtomBytes + (dqCol0 % 64) * 2;

  float dk[D / 8][4], dv[DV / 8][4];
  zeroAcc(dk);
  zeroAcc(dv);

  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items)
    loadTile(item, 0);
  cpAsyncCommit();

  // dQ of the previous item: staged rows wait for the barrier that makes
  // them whole, then go to the copy engine (thread r hands over row r, or
  // thread 0 the whole tile). kReducers: the threads that issue, and wait.
  constexpr int kReducers = Cfg::kDQRowPad ? BR : 1;
  float *dqPending = nullptr;
  auto reduceStagedDQ = [&] {
    if (dqPending && tid < kReducers) {
      if (Cfg::kDQRowPad)
        bulkReduceAddF32(dqPending + tid * D, sDQ + tid * Cfg::kDQRowBytes, D * 4);
      else
        bulkReduceAddF32(dqPending, sDQ, BR * D * 4);
      bulkCommit();
    }
  };

  const int kRowW = k0 + warp * 16; // this warp's first key
  int buf = 0;
  while (item < kb.items) {
    // This item's tiles (and K, V) have landed and are visible to the
    // async proxy; every warpgroup is done with the previous item, so its
    // buffers (and dS^T) may be overwritten, and its staged dQ is whole.
    cpAsyncWait<0>();
    fenceProxyAsyncShared();
    __syncthreads();
    reduceStagedDQ();
    // The resident tiles' descriptors are loop-invariant; hoisted, they
    // would pin ~2 registers per k-step for the whole loop. Opaque copies
    // of the bases make the compiler recompute them (a few integer ops)
    // where they are used.
    uint32_t kBase = sK, vBase = sV, kColsBase = sKCols, dsBase = sDSRows;
    asm volatile("" : "+r"(kBase), "+r"(vBase), "+r"(kColsBase), "+r"(dsBase));
    int clsNext = kTileEmpty;
    const int itemNext = kb.next(p, item, clsNext);
    if (itemNext < kb.items)
      loadTile(itemNext, buf ^ 1);
    cpAsyncCommit();

    const int h = kb.head(item), q0 = kb.q0(item);
    const uint32_t qBuf = sQ + buf * QTile::kBytes, dOBuf = sdO + buf * DOTile::kBytes;
    const float *lse2 = statBase + buf * (Cfg::kStatBytes / 4);
    const float *dsum = lse2 + BR;

    // S^T = K Q^T and dP^T = V dO^T: this warpgroup's 64 keys x BR queries.
    float s[kNT][4], dp[kNT][4];
    Products::scores(s, dp, kBase, vBase, qBuf, dOBuf, wg, [] {});
    // dV, then dK with dS^T while dV computes (128-query tiles: after, so
    // that P^T's packed copy is dead and S^T, dP^T, dK, dV fit in
    // registers); dS^T to shared memory for dQ.
    Products::template keyGradients<Variant, BR != 128>(
        s, dp, dk, dv, p, lse2, dsum, qBuf, dOBuf, b, h, k0, kRowW, q0, g, t,
        Variant::kHasMask && cls == kTilePartial, seqQ, seqK);
    storeAccToTile<T, DSTile>(sDS, s, warp * 16, lane);
    fenceProxyAsyncShared();
    if (tid < kReducers)
      bulkWaitRead<0>(); // the previous dQ has left the staging rows
    __syncthreads(); // both warpgroups' keys of dS^T are stored

    // dQ[q0.., this warpgroup's columns] = dS K over all BC keys.
    float dq[kDQTiles][4];
    Products::dQ(dq, dsBase, kColsBase);
    wgmmaWait<0>();
    wgmmaFenceOperands(dq);
    wgmmaFenceOperands(dk);
    wgmmaFenceOperands(dv);
    Products::stageDQ(sDQ, dq, dqRow0, dqCol0, warp, g, t);
    dqPending = kb.dqAccumRows(bp, item, D);

    buf ^= 1;
    item = itemNext;
    cls = clsNext;
  }
  cpAsyncWait<0>(); // K/V (if no query tile was visited)
  __syncthreads();
  reduceStagedDQ();
  storeKeyGradients<T, Variant, true, true>(bp, kb, dk, dv, kRowW, g, t);
  if (tid < kReducers)
    bulkWait<0>(); // the staging rows stay valid until read
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKERNELSM90_CUH
