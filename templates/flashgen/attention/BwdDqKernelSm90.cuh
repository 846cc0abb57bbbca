//===- BwdDqKernelSm90.cuh - q-major dQ on wgmma, sm_90a ---------*- CUDA -*-===//
//
// dQ without atomics for the wide backward (head dims 256/256; the dK/dV
// kernel, BwdKernelSm90Wide.cuh, then skips its dQ product and its
// reductions). Measured in session 28: the wide kernel's dQ reductions
// were 43-45% of its time (64 resident keys per CTA send twice the d128
// kernel's reduction bytes per FLOP); recomputing S and dP here costs two
// more products per tile pair (7 instead of 5) but no reduction at all.
//
// A CTA owns kBwdDqRows = 128 query rows of one head, each of its two
// warpgroups 64 (Q and dO resident in shared memory), and streams K/V tiles
// of bwdDqKeys keys (WsBudget.cuh: 64 where three buffers fit, as at
// 192/128; 32 at 256/256, 230400 B) through three cp.async buffers:
//
//   S  = Q K^T, dP = dO V^T   wgmma m64n32 or m64n64, A = Q / dO,
//                             B = K / V (K-major)
//   P, dS                     registers (BwdRowTileMath: mask, dropout,
//                             score-modifier gradient, as the mma.sync dQ
//                             kernel's)
//   dQ += dS K                wgmma m64nD, A = dS from registers (the
//                             accumulators packed to 16 bits), B = K
//                             transposed (N-major)
//
// Step n issues dQ of tile n and S, dP of tile n + 1 back to back, so the
// tensor cores work while the warps compute P and dS (no product stays in
// flight across the loop's back edge: ptxas would serialize every wgmma).
// Registers per thread at D = 256: dQ 128, S and dP 16 each, dS packed 8
// (192/128: dQ 96, S and dP 32 each, dS 16).
// Nothing is shared between the warpgroups but the K/V buffers (one
// __syncthreads per tile), and every dQ element is summed by one thread in
// key order: the results are bit-identical run to run.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BWDDQKERNELSM90_CUH
#define FLASHGEN_ATTENTION_BWDDQKERNELSM90_CUH

#include "flashgen/attention/BwdKernel.cuh"
#include "flashgen/attention/TileClasses.cuh"
#include "flashgen/attention/Wgmma.cuh"
#include "flashgen/attention/WsBudget.cuh"

namespace flashgen {

template <class T_, int HeadDimQK_, int HeadDimV_> struct BwdDqConfigSm90 {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_; // padded to 64
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kBlockM = kBwdDqRows;
  static constexpr int kBlockN = bwdDqKeys(kHeadDimQK, kHeadDimV, 2); // 16-bit inputs
  static constexpr int kWarps = kBlockM / 16;
  static constexpr int kThreads = kWarps * 32;
  static_assert(kHeadDimQK % 64 == 0 && kHeadDimV % 64 == 0 && kHeadDimQK <= 256 &&
                    kHeadDimV <= 256,
                "wgmma tiles are whole 64-column atoms; dQ's accumulator is at most m64n256");
  using QTile = WgmmaTile<kBlockM, kHeadDimQK>;
  using DOTile = WgmmaTile<kBlockM, kHeadDimV>;
  using KTile = WgmmaTile<kBlockN, kHeadDimQK>;
  using VTile = WgmmaTile<kBlockN, kHeadDimV>;
  /// +1024: the dynamic shared memory base is rounded up to an atom.
  static constexpr int kSmemBytes =
      QTile::kBytes + DOTile::kBytes + kBwdDqKvBuffers * (KTile::kBytes + VTile::kBytes) + 1024;
  static_assert(kSmemBytes == bwdDqSmemBytes(kHeadDimQK, kHeadDimV, 2),
                "the host's formula (WsBudget.cuh) is this layout");
};

template <class Cfg, class Variant>
FG_DEVICE void attentionBackwardDQSm90(const BwdParams &bp) {
  using T = typename Cfg::T;
  const FwdParams &p = bp.f;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  constexpr int kNT = BN / 8;      // 8-column blocks of S (keys)
  constexpr int kKSteps = BN / 16; // k-steps of dS K
  using QTile = typename Cfg::QTile;
  using DOTile = typename Cfg::DOTile;
  using KTile = typename Cfg::KTile;
  using VTile = typename Cfg::VTile;

  // The longest query blocks (causal: the last ones) first.
  const int mBlock = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warpgroupIndex(), g = lane / 4, t = lane % 4;
  const SeqBounds sb = seqBounds<Variant>(p, b);
  const int seqQ = sb.seqQ, seqK = sb.seqK;
  const int q0 = mBlock * BM;
  if (q0 >= seqQ)
    return;
  const int q1 = min(q0 + BM, seqQ) - 1;
  const int hk = h / (p.heads / p.kvHeads);

  extern __shared__ __align__(1024) uint8_t smem[];
  const uint32_t sQ = (smemAddress(smem) + 1023u) & ~1023u;
  const uint32_t sDO = sQ + QTile::kBytes;
  const uint32_t sK = sDO + DOTile::kBytes;
  const uint32_t sV = sK + kBwdDqKvBuffers * KTile::kBytes;

  // The prologue's copies in three groups: Q with the first K tile (S can
  // start), dO with the first V tile (then dP), the second K/V tile. With
  // one CTA per SM nothing else hides them (bench/results/2026-12-02-h200-
  // s30.md, section 5).
  loadSeqRows<QTile, Cfg::kThreads, Variant>(sQ, p.q, b, sb.qRow0, q0, h, p.qBatchStride,
                                             p.qRowStride, p.qHeadStride, q1 - q0 + 1,
                                             p.headDimQK, tid);

  // The key tiles this block visits: the forward's walk (band range, tile
  // classes, run-time classes) over BN-key tiles.
  BwdQueryBlockWalk<Variant> walk(p, b, h, q0, q1, seqQ, seqK, BN);
  const int jEnd = walk.jEnd;
  auto loadK = [&](int j, int buf) {
    const int k0 = j * BN, rows = min(BN, seqK - k0);
    loadSeqRows<KTile, Cfg::kThreads, Variant>(sK + buf * KTile::kBytes, p.k, b, sb.kRow0, k0,
                                               hk, p.kBatchStride, p.kRowStride, p.kHeadStride,
                                               rows, p.headDimQK, tid);
  };
  auto loadV = [&](int j, int buf) {
    const int k0 = j * BN, rows = min(BN, seqK - k0);
    loadSeqRows<VTile, Cfg::kThreads, Variant>(sV + buf * VTile::kBytes, p.v, b, sb.kRow0, k0,
                                               hk, p.vBatchStride, p.vRowStride, p.vHeadStride,
                                               rows, p.headDimV, tid);
  };
  auto loadKV = [&](int j, int buf) {
    loadK(j, buf);
    loadV(j, buf);
  };
  // This thread's rows: g and g + 8 of its warp's 16 (padded workspace:
  // always in range).
  const int qRowW = q0 + warp * 16;
  const int64_t ws = workspaceRow0(bp, b, h);
  float l2[2], dsum[2];
#pragma unroll
  for (int h2 = 0; h2 < 2; ++h2) {
    l2[h2] = bp.lse2[ws + qRowW + g + h2 * 8];
    dsum[h2] = bp.dsum[ws + qRowW + g + h2 * 8];
  }
  float dq[D / 8][4];
  zeroAcc(dq);

  // S and dP of tile j (buffer `buf`), then P and dS, packed to 16 bits as
  // the A operand of its dQ product. With `pending` a dQ product was
  // committed just before (its group completes first).
  uint32_t a[kKSteps][4];
  auto sOf = [&](float (&s)[kNT][4], int buf) {
    const uint32_t kBase = sK + buf * KTile::kBytes;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
      WgmmaSS<T, BN>::run(s, QTile::kMajor(sQ, ks, wg * 64), KTile::kMajor(kBase, ks), ks > 0);
    wgmmaCommit();
  };
  auto dpOf = [&](float (&dp)[kNT][4], int buf) {
    const uint32_t vBase = sV + buf * VTile::kBytes;
#pragma unroll
    for (int ks = 0; ks < DV / 16; ++ks)
      WgmmaSS<T, BN>::run(dp, DOTile::kMajor(sDO, ks, wg * 64), VTile::kMajor(vBase, ks),
                          ks > 0);
    wgmmaCommit();
  };
  auto sAndDp = [&](float (&s)[kNT][4], float (&dp)[kNT][4], int buf) {
    sOf(s, buf);
    dpOf(dp, buf);
  };
  auto gradientOf = [&](float (&s)[kNT][4], float (&dp)[kNT][4], int j, int cls) {
    const int k0 = j * BN;
    // P while dP computes (and dQ of the tile before: its group came first).
    wgmmaWait<1>();
    wgmmaFenceOperands(s);
    BwdRowTileMath<Variant, kNT> math;
    math.recompute(s, p, l2, b, h, qRowW, k0, g, t, cls == kTilePartial,
                   !tileInSequence<Variant>(q0 + BM, k0 + BN, seqQ, seqK), seqQ, seqK);
    wgmmaWait<0>();
    wgmmaFenceOperands(dp);
    wgmmaFenceOperands(dq);
    math.gradient(s, dp, p, dsum);
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks)
      packA<T>(a[ks], s, ks, [](int, int) { return 1.f; });
  };
  // cp.async wrote what wgmma reads: visible to the async proxy, then to
  // every warpgroup (which also says every warpgroup is done with the
  // products of the step before).
  auto landLoads = [&] {
    fenceProxyAsyncShared();
    __syncthreads();
  };

  // Three K/V buffers: tile n of the walk in buffer n % 3. Step n issues
  // dQ of tile n together with S and dP of tile n + 1 (the tensor cores
  // stay busy while the warps compute P and dS), and the copies of tile
  // n + 2 into the buffer tile n - 1 left.
  int cls = kTileEmpty;
  const int j0 = walk.next(walk.jBegin - 1, cls);
  int clsNext = kTileEmpty;
  const int j1 = j0 < jEnd ? walk.next(j0, clsNext) : jEnd;
  if (j0 < jEnd)
    loadK(j0, 0);
  cpAsyncCommit(); // with Q
  loadSeqRows<DOTile, Cfg::kThreads, Variant>(sDO, bp.dO, b, sb.qRow0, q0, h, bp.dOBatchStride,
                                              bp.dORowStride, bp.dOHeadStride, q1 - q0 + 1,
                                              p.headDimV, tid);
  if (j0 < jEnd)
    loadV(j0, 0);
  cpAsyncCommit();
  if (j1 < jEnd)
    loadKV(j1, 1);
  cpAsyncCommit();
  cpAsyncWait<2>(); // Q and K of tile 0
  landLoads();
  if (j0 < jEnd) {
    float s[kNT][4], dp[kNT][4];
    wgmmaFence();
    sOf(s, 0);
    cpAsyncWait<1>(); // dO and V of tile 0
    landLoads();
    wgmmaFence();
    dpOf(dp, 0);
    gradientOf(s, dp, j0, cls);
  } else {
    cpAsyncWait<1>();
    landLoads();
  }

  int j = j0, jn = j1, n = 0;
  while (j < jEnd) {
    cpAsyncWait<0>(); // tile n + 1
    landLoads();
    int clsNext2 = kTileEmpty;
    const int jn2 = jn < jEnd ? walk.next(jn, clsNext2) : jEnd;
    if (jn2 < jEnd)
      loadKV(jn2, (n + 2) % 3);
    cpAsyncCommit();
    // dQ += dS K for tile n.
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks)
      WgmmaRS<T, D>::run(dq, a[ks], KTile::mnMajor(sK + (n % 3) * KTile::kBytes, ks), 1);
    wgmmaCommit();
    if (jn < jEnd) {
      float s[kNT][4], dp[kNT][4];
      sAndDp(s, dp, (n + 1) % 3);
      gradientOf(s, dp, jn, clsNext);
    } else {
      wgmmaWait<0>();
      wgmmaFenceOperands(dq);
    }
    j = jn;
    jn = jn2;
    clsNext = clsNext2;
    ++n;
  }

#pragma unroll
  for (int h2 = 0; h2 < 2; ++h2) {
    const int q = qRowW + g + h2 * 8;
    if (q >= seqQ)
      continue;
    storeGradRow<T>(bp.dQ,
                    rowOffset<Variant>(b, sb.qRow0, q, h, bp.dQBatchStride, bp.dQRowStride,
                                       bp.dQHeadStride),
                    bp.accumulateF32, dq, h2, t, p.headDimQK, p.scale);
  }
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BWDDQKERNELSM90_CUH
