//===- BwdKernelSm90Wide.cuh - wgmma dK/dV for head dim 256 -----*- CUDA -*-===//
//
// dK and dV on wgmma for head dims whose full dK and dV rows do not fit one
// warpgroup's registers (BwdKernelSm90.cuh holds 64 keys x (D + DV) per
// warpgroup: 256 registers per thread at D = DV = 256). Here both consumer
// warpgroups share the CTA's 64 keys and split the head dim instead:
//
//   S^T  = K Q^T, dP^T = V dO^T   warpgroup w: the 64 keys x its 32 of
//                                  the tile's 64 queries (m64n32)
//   P^T, dS^T                      registers (BwdTileMath), then stored
//                                  to shared memory (bf16, key-major):
//                                  every warpgroup needs all 64 queries
//   dV[:, w] += P^T dO[:, w]       A = P^T (smem, K-major), B = dO
//   dK[:, w] += dS^T Q[:, w]       (transposed), N = half the head dim
//
// dQ comes from its own q-major kernel (BwdDqKernelSm90.cuh). Until session
// 29 this kernel also computed dQ = dS K and added it to an fp32
// accumulator with red.global.add.v2: those reductions were 43-45% of its
// time (64 resident keys send twice the d128 kernel's bytes per FLOP), and
// recomputing S and dP in the dQ kernel costs less (1.14-1.28x,
// bench/results/2026-12-01-h200-s29.md). With no atomics the pair is also
// the deterministic path.
//
// Registers per consumer thread at D = DV = 256: dK and dV halves 64 each,
// S^T and dP^T 16 each. Shared memory: K, V (32 KB each), two buffers of Q
// and dO (32 KB each), P^T and dS^T (8 KB each), statistics and mbarriers:
// 209 KB.
//
// The producer warpgroup is BwdKernelSm90Ws.cuh's (its loader warp: K and
// V once, Q, dO, lse2 and D per item by TMA and bulk copy into two
// buffers). The design (tiles, registers, shared memory) is
// notes-hopper-kernels.md, section 7; FlashAttention-3 splits its d256
// backward the same way.
//
// Per item the warpgroups meet twice (named barriers, 256 threads): before
// storing P^T and dS^T (both are done reading the previous item's) and
// after (both halves are stored).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH
#define FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH

#include "flashgen/attention/BwdKernelSm90Ws.cuh"

namespace flashgen {

template <class T_, int HeadDimQK_, int HeadDimV_> struct BwdConfigSm90Wide {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_;
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kWarps = kBwdWideConsumerWarps;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kWarpgroups = kWarps / 4;
  static constexpr int kBlockResident = kBwdWideResident; // keys, shared by both warpgroups
  static constexpr int kBlockStream = kBwdWideStream;     // queries, half per warpgroup in S^T
  /// How the warpgroups share dK and dV (WsBudget.cuh): each half of both
  /// head dims (256/256: whole 64-column atoms, so that a transposed operand
  /// starting there is a plain atom offset), or by gradient, warpgroup 0
  /// all of dK and warpgroup 1 all of dV (192, unequal dims).
  static constexpr bool kByGradient = bwdWideByGradient(kHeadDimQK, kHeadDimV);
  static_assert(kWarpgroups == 2 && bwdWideHeadDims(kHeadDimQK, kHeadDimV),
                "two warpgroups sharing whole 64-column atoms of the head dims");
  using KTile = WgmmaTile<kBlockResident, kHeadDimQK>;
  using VTile = WgmmaTile<kBlockResident, kHeadDimV>;
  using QTile = WgmmaTile<kBlockStream, kHeadDimQK>;
  using DOTile = WgmmaTile<kBlockStream, kHeadDimV>;
  /// P^T then dS^T, each 64 keys x 64 queries, key-major (BwdWsSmem's dS
  /// region holds both).
  using PTile = WgmmaTile<kBlockResident, kBlockStream>;
  using DSTile = WgmmaTile<kBlockResident, 2 * kBlockStream>;
  static constexpr int kStatBytes = 2 * kBlockStream * 4; // lse2 and D per buffer
  static constexpr int kDQBytes = 0;                      // no dQ staging
  static constexpr int kSmemBytes = KTile::kBytes + VTile::kBytes +
                                    2 * (QTile::kBytes + DOTile::kBytes) + DSTile::kBytes +
                                    2 * kStatBytes + 1024;
  static_assert(kSmemBytes + kBwdWsBarrierBytes ==
                    bwdWideSmemBytes(kHeadDimQK, kHeadDimV, sizeof(uint16_t), 0),
                "the host's formula (WsBudget.cuh) is this layout");
};

/// Named barriers of the wide kernel (0 is __syncthreads): both warpgroups
/// are done with the previous item's P^T and dS^T; both have stored this
/// item's.
constexpr int kBwdWideFree = 1;
constexpr int kBwdWideStored = 2;

/// What a consumer warpgroup accumulates: half the columns of both dK and
/// dV, or all of dK, or all of dV (BwdConfigSm90Wide::kByGradient).
enum BwdWideRole : int { kWideHalves = 0, kWideDK = 1, kWideDV = 2 };

/// The consumers: one item's products per iteration (S^T, dP^T, and the
/// role's dV and/or dK).
template <class Cfg, class Variant, int Role>
FG_DEVICE void bwdWideConsumer(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                               const BwdWsSmem<Cfg> &sm, uint8_t *smem) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BR = Cfg::kBlockStream, BC = Cfg::kBlockResident;
  constexpr int kHalf = BR / 2;      // queries per warpgroup in S^T
  constexpr int kNT = kHalf / 8;     // its 8-column blocks
  constexpr int kSteps = BR / 16;    // k-steps of dV, dK (queries)
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using PTile = typename Cfg::PTile;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warpgroupIndex(), g = lane / 4, t = lane % 4;
  const int warpInGroup = warp % 4;
  const int b = kb.b, seqQ = kb.sb.seqQ, seqK = kb.sb.seqK, k0 = kb.k0;
  const float *statBase = reinterpret_cast<const float *>(smem + (sm.stat - smemAddress(smem)));
  const uint32_t pBuf = sm.dS, dsBuf = sm.dS + PTile::kBytes;
  // This warpgroup's columns of dK and dV (none: one 8-column dummy).
  constexpr int kDKCols = Role == kWideHalves ? D / 2 : Role == kWideDK ? D : 0;
  constexpr int kDVCols = Role == kWideHalves ? DV / 2 : Role == kWideDV ? DV : 0;
  const int dkCol0 = Role == kWideHalves ? wg * kDKCols : 0;
  const int dvCol0 = Role == kWideHalves ? wg * kDVCols : 0;
  // Whole atoms of Q (dK) and dO (dV).
  const uint32_t qColsOff = (dkCol0 / 64) * QTile::kAtomBytes;
  const uint32_t dOColsOff = (dvCol0 / 64) * DOTile::kAtomBytes;

  float dk[kDKCols ? kDKCols / 8 : 1][4], dv[kDVCols ? kDVCols / 8 : 1][4];
  zeroAcc(dk);
  zeroAcc(dv);

  const int kRowW = k0 + warpInGroup * 16; // this warp's first key
  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items)
    mbarrierWait(sm.kvFull(), 0);
  for (int n = 0; item < kb.items; ++n) {
    const int s = n % 2, phase = (n / 2) & 1;
    uint32_t kBase = sm.k, vBase = sm.v;
    asm volatile("" : "+r"(kBase), "+r"(vBase));
    const int h = kb.head(item), q0 = kb.q0(item);
    const uint32_t qBuf = sm.qBuf(s), dOBuf = sm.dOBuf(s);
    // This warpgroup's queries of the tile: lse2 and D from there.
    const float *lse2 = statBase + s * (Cfg::kStatBytes / 4) + wg * kHalf;
    const float *dsum = lse2 + BR;

    // S^T and dP^T: the 64 keys x this warpgroup's 32 queries.
    float sT[kNT][4], dp[kNT][4];
    mbarrierWait(sm.qFull(s), phase);
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
      WgmmaSS<T, kHalf>::run(sT, KTile::kMajor(kBase, ks), QTile::kMajor(qBuf, ks, wg * kHalf),
                             ks > 0);
    wgmmaCommit();
    mbarrierWait(sm.doFull(s), phase);
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < DV / 16; ++ks)
      WgmmaSS<T, kHalf>::run(dp, VTile::kMajor(vBase, ks), DOTile::kMajor(dOBuf, ks, wg * kHalf),
                             ks > 0);
    wgmmaCommit();

    // P^T while dP^T computes.
    wgmmaWait<1>();
    wgmmaFenceOperands(sT);
    const uint32_t *stagedRows = nullptr;
    if constexpr (Variant::kUseStagedRows)
      stagedRows = sm.template rows<Variant::kStagedRows>(s) + wg * kHalf;
    BwdTileMath<Variant, kNT> math;
    const int qW = q0 + wg * kHalf;
    const bool partial = Variant::kHasMask && cls == kTilePartial;
    const bool edge = !tileInSequence<Variant>(q0 + BR, k0 + BC, seqQ, seqK);
    math.template recompute<Variant::kUseStagedRows, BR>(sT, p, lse2, b, h, kRowW, qW, g, t,
                                                         partial, edge, seqQ, seqK, stagedRows);
    // Both warpgroups are done reading the previous item's P^T and dS^T
    // (their dK and dV products completed at the end of that item).
    namedBarrierSync(kBwdWideFree, Cfg::kThreads);
    // dropout(P)^T for dV, in this warpgroup's query columns.
#pragma unroll
    for (int j = 0; j < kNT; ++j)
#pragma unroll
      for (int h2 = 0; h2 < 2; ++h2) {
        const uint32_t v = packPair<T>(sT[j][2 * h2] * math.dropMul(p, j, 2 * h2),
                                       sT[j][2 * h2 + 1] * math.dropMul(p, j, 2 * h2 + 1));
        asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(
                         pBuf + PTile::offset(warpInGroup * 16 + g + 8 * h2, wg * kNT + j) + 4 * t),
                     "r"(v)
                     : "memory");
      }
    wgmmaWait<0>();
    wgmmaFenceOperands(dp);
    math.gradient(sT, dp, p, dsum, t);
    storeAccToTile<T, PTile>(dsBuf, sT, warpInGroup * 16, lane, wg * kNT);
    fenceProxyAsyncShared();
    namedBarrierSync(kBwdWideStored, Cfg::kThreads); // both halves of P^T and dS^T

    // dV[:, cols] += dropout(P)^T dO[:, cols]; dK[:, cols] += dS^T Q[:, cols].
    wgmmaFence();
    if constexpr (kDVCols > 0) {
#pragma unroll
      for (int ks = 0; ks < kSteps; ++ks)
        WgmmaSSTransB<T, kDVCols>::run(dv, PTile::kMajor(pBuf, ks),
                                       DOTile::mnMajor(dOBuf + dOColsOff, ks), 1);
    }
    if constexpr (kDKCols > 0) {
#pragma unroll
      for (int ks = 0; ks < kSteps; ++ks)
        WgmmaSSTransB<T, kDKCols>::run(dk, PTile::kMajor(dsBuf, ks),
                                       QTile::mnMajor(qBuf + qColsOff, ks), 1);
    }
    wgmmaCommit();
    // dK and dV were the last products to read Q, dO, P^T and dS^T: the
    // buffer goes back (every consumer thread arrives, as in
    // BwdKernelSm90Ws.cuh).
    wgmmaWait<0>();
    mbarrierArrive(sm.empty(s));
    wgmmaFenceOperands(dk);
    wgmmaFenceOperands(dv);
    item = kb.next(p, item, cls);
  }
  storeKeyGradients<T, Variant, (kDKCols > 0), (kDVCols > 0)>(bp, kb, dk, dv, kRowW, g, t,
                                                              dkCol0, dvCol0);
}

/// The entry: 8 consumer warps and a producer warpgroup (the loader warp,
/// three idle), one CTA per SM, registers split by setmaxnreg.
template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardFusedSm90Wide(const BwdParams &bp) {
  using Ws = BwdWsConfig<Cfg>;
  BwdKeyBlock<Variant> kb;
  if (!kb.init(bp, Cfg::kBlockResident, Cfg::kBlockStream))
    return; // the whole CTA: before any barrier
  extern __shared__ __align__(1024) uint8_t smem[];
  const BwdWsSmem<Cfg> sm(smem);
  bwdWsInitBarriers<Cfg, Variant>(sm);
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (warp >= Ws::kConsumerWarps) {
    setMaxRegsDec<Ws::kProducerRegs>();
    if (warp == Ws::kLoaderWarp)
      bwdWsLoader<Cfg, Variant>(bp, kb, sm, lane);
  } else {
    setMaxRegsInc<Ws::kConsumerRegs>();
    if constexpr (!Cfg::kByGradient)
      bwdWideConsumer<Cfg, Variant, kWideHalves>(bp, kb, sm, smem);
    else if (warpgroupIndex() == 0)
      bwdWideConsumer<Cfg, Variant, kWideDK>(bp, kb, sm, smem);
    else
      bwdWideConsumer<Cfg, Variant, kWideDV>(bp, kb, sm, smem);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH
