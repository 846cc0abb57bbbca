//===- BwdKernelSm90Wide.cuh - wgmma dK/dV, head dims past 128 -*- CUDA -*-===//
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
// Other pairs past 128 (192, 192/128, 256/128, 64/256) split by gradient:
// warpgroup 0 accumulates all of dK, warpgroup 1 all of dV. Where three Q/dO
// buffers fit (WsBudget.cuh's bwdWideStages), they run the pipelined
// consumer: item n - 1's dK or dV product under item n's P and dS math,
// one meeting per item (session 30: MLA 192/128 1.02-1.05x, d192
// 1.07-1.08x, bench/results/2026-12-02-h200-s30.md).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH
#define FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH

#include "flashgen/attention/BwdKernelSm90Ws.cuh"

namespace flashgen {

template <class T_, int HeadDimQK_, int HeadDimV_, int Stages_> struct BwdConfigSm90Wide {
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
  /// Q/dO buffers (WsBudget.cuh's bwdWideStages, which also counts the
  /// staged mask rows): three run the pipelined consumer.
  static constexpr int kStages = Stages_;
  static constexpr bool kPipelined = kStages == 3;
  static_assert(kStages == 2 || (kStages == 3 && kByGradient),
                "three buffers only where the warpgroups split by gradient");
  static_assert(kWarpgroups == 2 && bwdWideHeadDims(kHeadDimQK, kHeadDimV),
                "two warpgroups sharing whole 64-column atoms of the head dims");
  using KTile = WgmmaTile<kBlockResident, kHeadDimQK>;
  using VTile = WgmmaTile<kBlockResident, kHeadDimV>;
  using QTile = WgmmaTile<kBlockStream, kHeadDimQK>;
  using DOTile = WgmmaTile<kBlockStream, kHeadDimV>;
  /// P^T then dS^T, each 64 keys x 64 queries, key-major (BwdWsSmem's dS
  /// region holds both; the pipelined consumer two such pairs, item n's in
  /// pair n % 2).
  using PTile = WgmmaTile<kBlockResident, kBlockStream>;
  using DSTile = WgmmaTile<kBlockResident, (kPipelined ? 4 : 2) * kBlockStream>;
  static constexpr int kStatBytes = 2 * kBlockStream * 4; // lse2 and D per buffer
  static constexpr int kDQBytes = 0;                      // no dQ staging
  static constexpr int kSmemBytes = KTile::kBytes + VTile::kBytes +
                                    kStages * (QTile::kBytes + DOTile::kBytes) +
                                    DSTile::kBytes + kStages * kStatBytes + 1024;
  static_assert(kSmemBytes + bwdWsBarrierBytes(kStages) ==
                    bwdWideSmemBytesAt(kStages, kHeadDimQK, kHeadDimV, sizeof(uint16_t), 0),
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

/// A consumer thread's place, computed once per CTA (warpgroupIndex() is a
/// shuffle).
struct BwdWideThread {
  int lane, warpInGroup, wg, g, t;
  FG_DEVICE BwdWideThread()
      : lane(threadIdx.x % 32), warpInGroup(threadIdx.x / 32 % 4), wg(warpgroupIndex()),
        g(lane / 4), t(lane % 4) {}
};

/// One item's P^T and dS^T for this warpgroup's 32 queries, stored key-major
/// to pBuf and dsBuf (bf16): P from S^T once Pending + 1 product groups are
/// left in flight (dP^T's and, pipelined, the previous item's dK or dV),
/// dS from dP^T once Pending are. `beforeStore` runs between P's recompute
/// and its store (the halves consumer's meeting).
template <class Cfg, class Variant, int Pending, int NT, class BeforeStore>
FG_DEVICE void bwdWideItemGradients(float (&sT)[NT][4], float (&dp)[NT][4],
                                    const BwdKeyBlock<Variant> &kb, const BwdWsSmem<Cfg> &sm,
                                    const BwdWideThread &th, const float *statBase,
                                    const FwdParams &p, int s, int item, int cls,
                                    uint32_t pBuf, uint32_t dsBuf, BeforeStore beforeStore) {
  using T = typename Cfg::T;
  using PTile = typename Cfg::PTile;
  constexpr int BR = Cfg::kBlockStream, BC = Cfg::kBlockResident;
  constexpr int kHalf = BR / 2;
  static_assert(NT == kHalf / 8, "S^T holds this warpgroup's queries");
  const int lane = th.lane, wg = th.wg, g = th.g, t = th.t, warpInGroup = th.warpInGroup;
  const int b = kb.b, seqQ = kb.sb.seqQ, seqK = kb.sb.seqK, k0 = kb.k0;
  const int h = kb.head(item), q0 = kb.q0(item);
  // This warpgroup's queries of the tile: lse2 and D from there.
  const float *lse2 = statBase + s * (Cfg::kStatBytes / 4) + wg * kHalf;
  const float *dsum = lse2 + BR;

  // P^T while dP^T computes.
  wgmmaWait<Pending + 1>();
  wgmmaFenceOperands(sT);
  const uint32_t *stagedRows = nullptr;
  if constexpr (Variant::kUseStagedRows)
    stagedRows = sm.template rows<Variant::kStagedRows>(s) + wg * kHalf;
  BwdTileMath<Variant, NT> math;
  const int kRowW = k0 + warpInGroup * 16, qW = q0 + wg * kHalf;
  const bool partial = Variant::kHasMask && cls == kTilePartial;
  const bool edge = !tileInSequence<Variant>(q0 + BR, k0 + BC, seqQ, seqK);
  math.template recompute<Variant::kUseStagedRows, BR>(sT, p, lse2, b, h, kRowW, qW, g, t,
                                                       partial, edge, seqQ, seqK, stagedRows);
  beforeStore();
  // dropout(P)^T for dV, in this warpgroup's query columns.
#pragma unroll
  for (int j = 0; j < NT; ++j)
#pragma unroll
    for (int h2 = 0; h2 < 2; ++h2) {
      const uint32_t v = packPair<T>(sT[j][2 * h2] * math.dropMul(p, j, 2 * h2),
                                     sT[j][2 * h2 + 1] * math.dropMul(p, j, 2 * h2 + 1));
      asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(
                       pBuf + PTile::offset(warpInGroup * 16 + g + 8 * h2, wg * NT + j) + 4 * t),
                   "r"(v)
                   : "memory");
    }
  wgmmaWait<Pending>();
  wgmmaFenceOperands(dp);
  math.gradient(sT, dp, p, dsum, t);
  storeAccToTile<T, PTile>(dsBuf, sT, warpInGroup * 16, lane, wg * NT);
}

/// S^T = K Q^T and dP^T = V dO^T of an item in buffer s (its fill's
/// phase): the 64 keys x warpgroup wg's 32 queries, two commit groups.
template <class Cfg, int NT>
FG_DEVICE void bwdWideItemScores(float (&sT)[NT][4], float (&dp)[NT][4],
                                 const BwdWsSmem<Cfg> &sm, int wg, int s, int phase) {
  using T = typename Cfg::T;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV, kHalf = Cfg::kBlockStream / 2;
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  uint32_t kBase = sm.k, vBase = sm.v;
  asm volatile("" : "+r"(kBase), "+r"(vBase));
  mbarrierWait(sm.qFull(s), phase);
  wgmmaFence();
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks)
    WgmmaSS<T, kHalf>::run(sT, KTile::kMajor(kBase, ks), QTile::kMajor(sm.qBuf(s), ks, wg * kHalf),
                           ks > 0);
  wgmmaCommit();
  mbarrierWait(sm.doFull(s), phase);
  wgmmaFence();
#pragma unroll
  for (int ks = 0; ks < DV / 16; ++ks)
    WgmmaSS<T, kHalf>::run(dp, VTile::kMajor(vBase, ks),
                           DOTile::kMajor(sm.dOBuf(s), ks, wg * kHalf), ks > 0);
  wgmmaCommit();
}

/// The two-buffer consumers: one item's products per iteration (S^T, dP^T,
/// and the role's dV and/or dK), the warpgroups meeting twice per item.
template <class Cfg, class Variant, int Role>
FG_DEVICE void bwdWideConsumer(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                               const BwdWsSmem<Cfg> &sm, uint8_t *smem) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BR = Cfg::kBlockStream;
  constexpr int kNT = BR / 2 / 8;    // 8-column blocks of this warpgroup's S^T
  constexpr int kSteps = BR / 16;    // k-steps of dV, dK (queries)
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using PTile = typename Cfg::PTile;
  static_assert(Cfg::kStages == 2, "an item's buffer goes back at its end");
  const BwdWideThread th;
  const int wg = th.wg;
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

  const int kRowW = kb.k0 + th.warpInGroup * 16; // this warp's first key
  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items)
    mbarrierWait(sm.kvFull(), 0);
  for (int n = 0; item < kb.items; ++n) {
    const int s = n % 2, phase = (n / 2) & 1;
    const uint32_t qBuf = sm.qBuf(s), dOBuf = sm.dOBuf(s);
    float sT[kNT][4], dp[kNT][4];
    bwdWideItemScores<Cfg>(sT, dp, sm, wg, s, phase);
    // Both warpgroups are done reading the previous item's P^T and dS^T
    // (their dK and dV products completed at the end of that item) before
    // either stores this item's.
    bwdWideItemGradients<Cfg, Variant, 0>(
        sT, dp, kb, sm, th, statBase, p, s, item, cls, pBuf, dsBuf,
        [] { namedBarrierSync(kBwdWideFree, Cfg::kThreads); });
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
  storeKeyGradients<T, Variant, (kDKCols > 0), (kDVCols > 0)>(bp, kb, dk, dv, kRowW, th.g, th.t,
                                                              dkCol0, dvCol0);
}

/// The pipelined consumer (three Q/dO buffers; warpgroup 0 all of dK, 1 all
/// of dV). Item n's S^T and dP^T are issued before item n - 1's dK or dV
/// product, so that product runs on the tensor cores while this warpgroup
/// computes P and dS of item n (the two-buffer consumer leaves them idle
/// then: at 192/128 its items took the same ~2 us as 256/256's with 62% of
/// the products, bench/results/2026-12-02-h200-s30.md). Every product
/// completes within its iteration (in flight across the back edge, ptxas
/// would serialize the wgmmas). The warpgroups meet once per item: all of
/// item n's P^T and dS^T are stored (pair n % 2), and both are done with
/// item n - 1's product, so item n + 1 may overwrite pair (n + 1) % 2. Item
/// n - 1's Q/dO buffer goes back after its product: an item later than in
/// the two-buffer consumer, hence the third buffer.
template <class Cfg, class Variant, int Role>
FG_DEVICE void bwdWidePipelinedConsumer(const BwdParams &bp, BwdKeyBlock<Variant> &kb,
                                        const BwdWsSmem<Cfg> &sm, uint8_t *smem) {
  static_assert(Role == kWideDK || Role == kWideDV, "split by gradient");
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int S = Cfg::kStages;
  constexpr int kCols = Role == kWideDK ? Cfg::kHeadDimQK : Cfg::kHeadDimV;
  constexpr int kNT = Cfg::kBlockStream / 2 / 8;
  constexpr int kSteps = Cfg::kBlockStream / 16;
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using PTile = typename Cfg::PTile;
  const BwdWideThread th;
  const float *statBase = reinterpret_cast<const float *>(smem + (sm.stat - smemAddress(smem)));
  auto pairOf = [&](int n) { return sm.dS + uint32_t(n & 1) * 2 * PTile::kBytes; };
  float acc[kCols / 8][4], none[1][4];
  zeroAcc(acc);

  // Item n's dK (dS^T Q) or dV (dropout(P)^T dO), its Q/dO in buffer s,
  // one commit group.
  auto product = [&](int n, int s) {
    const uint32_t pair = pairOf(n);
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kSteps; ++ks) {
      if constexpr (Role == kWideDK)
        WgmmaSSTransB<T, kCols>::run(acc, PTile::kMajor(pair + PTile::kBytes, ks),
                                     QTile::mnMajor(sm.qBuf(s), ks), 1);
      else
        WgmmaSSTransB<T, kCols>::run(acc, PTile::kMajor(pair, ks),
                                     DOTile::mnMajor(sm.dOBuf(s), ks), 1);
    }
    wgmmaCommit();
  };
  auto meet = [] {
    fenceProxyAsyncShared();
    namedBarrierSync(kBwdWideStored, Cfg::kThreads);
  };

  int cls = kTileEmpty;
  int item = kb.next(p, -1, cls);
  if (item < kb.items) {
    mbarrierWait(sm.kvFull(), 0);
    {
      float sT[kNT][4], dp[kNT][4];
      bwdWideItemScores<Cfg>(sT, dp, sm, th.wg, 0, 0);
      bwdWideItemGradients<Cfg, Variant, 0>(sT, dp, kb, sm, th, statBase, p, 0, item, cls,
                                            pairOf(0), pairOf(0) + PTile::kBytes, [] {});
    }
    meet();
    item = kb.next(p, item, cls);
    // Item n's buffer s, item n - 1's sPrev (three buffers: no division).
    int n = 1, s = 1, sPrev = 0, phase = 0;
    for (; item < kb.items; ++n) {
      float sT[kNT][4], dp[kNT][4];
      bwdWideItemScores<Cfg>(sT, dp, sm, th.wg, s, phase);
      product(n - 1, sPrev);
      bwdWideItemGradients<Cfg, Variant, 1>(sT, dp, kb, sm, th, statBase, p, s, item, cls,
                                            pairOf(n), pairOf(n) + PTile::kBytes, [] {});
      wgmmaWait<0>();
      wgmmaFenceOperands(acc);
      mbarrierArrive(sm.empty(sPrev)); // item n - 1's Q/dO buffer
      sPrev = s;
      if (++s == S) {
        s = 0;
        phase ^= 1;
      }
      meet();
      item = kb.next(p, item, cls);
    }
    product(n - 1, sPrev);
    wgmmaWait<0>();
    wgmmaFenceOperands(acc);
  }
  const int kRowW = kb.k0 + th.warpInGroup * 16;
  if constexpr (Role == kWideDK)
    storeKeyGradients<T, Variant, true, false>(bp, kb, acc, none, kRowW, th.g, th.t);
  else
    storeKeyGradients<T, Variant, false, true>(bp, kb, none, acc, kRowW, th.g, th.t);
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
    else if constexpr (Cfg::kPipelined) {
      if (warpgroupIndex() == 0)
        bwdWidePipelinedConsumer<Cfg, Variant, kWideDK>(bp, kb, sm, smem);
      else
        bwdWidePipelinedConsumer<Cfg, Variant, kWideDV>(bp, kb, sm, smem);
    } else if (warpgroupIndex() == 0)
      bwdWideConsumer<Cfg, Variant, kWideDK>(bp, kb, sm, smem);
    else
      bwdWideConsumer<Cfg, Variant, kWideDV>(bp, kb, sm, smem);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDKERNELSM90WIDE_CUH
