//===- FwdKernelSm90.cuh - forward with Hopper wgmma, sm_90a ----*- CUDA -*-===//
//
// The FlashAttention-2 algorithm of FwdKernel.cuh with both products on
// warpgroup MMA: each warpgroup (4 warps) owns 64 query rows, one CTA holds
// Br = 64 * warpgroups rows. Q and K/V tiles sit in shared memory in the
// 128-byte-swizzle layout the tensor cores read directly (Wgmma.cuh), so no
// ldmatrix traffic goes through registers:
//
//   S[64 x Bc]  = Q K^T   wgmma, A = Q and B = K from shared memory
//   (score modifier, mask, online softmax, dropout: OnlineSoftmax.cuh)
//   O[64 x dv] += P V     wgmma, A = P from registers (the S accumulators
//                         repacked to 16 bits), B = V transposed in smem
//
// K/V tiles stream through two cp.async stages: the next tile's copy is
// issued before this tile's math. The accumulators of wgmma are laid out
// as mma.sync's, so the register math is the mma.sync kernel's.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDKERNELSM90_CUH
#define FLASHGEN_ATTENTION_FWDKERNELSM90_CUH

#include "flashgen/attention/FwdRowBlock.cuh"
#include "flashgen/attention/Interval.cuh"
#include "flashgen/attention/Lookup.cuh"
#include "flashgen/attention/Wgmma.cuh"

namespace flashgen {

template <class T_, int HeadDimQK_, int HeadDimV_, int BlockN_, int Warps_, int Stages_>
struct FwdConfigSm90 {
  using T = T_;
  static constexpr int kHeadDimQK = HeadDimQK_; // padded to 64
  static constexpr int kHeadDimV = HeadDimV_;
  static constexpr int kWarps = Warps_;
  static constexpr int kThreads = Warps_ * 32;
  static constexpr int kWarpgroups = Warps_ / 4;
  static_assert(kWarpgroups * 4 == Warps_ && kWarpgroups >= 1, "whole warpgroups");
  static constexpr int kBlockM = 64 * kWarpgroups;
  static constexpr int kBlockN = BlockN_;
  static constexpr int kStages = Stages_;
  static_assert(kStages == 2, "two K/V stages");
  static_assert(kHeadDimQK % 64 == 0 && kHeadDimV % 64 == 0,
                "wgmma tiles are whole 64-column atoms");
  using QTile = WgmmaTile<kBlockM, kHeadDimQK>;
  using KTile = WgmmaTile<kBlockN, kHeadDimQK>;
  using VTile = WgmmaTile<kBlockN, kHeadDimV>;
  /// +1024: the dynamic shared memory base is rounded up to an atom.
  static constexpr int kSmemBytes =
      QTile::kBytes + kStages * (KTile::kBytes + VTile::kBytes) + 1024;
};

template <class Cfg, class Variant>
FG_DEVICE void attentionForwardSm90(const FwdParams &p) {
  using T = typename Cfg::T;
  constexpr int D = Cfg::kHeadDimQK, DV = Cfg::kHeadDimV;
  constexpr int BM = Cfg::kBlockM, BN = Cfg::kBlockN;
  constexpr int kKSteps = D / 16;  // k-steps of Q K^T
  constexpr int kNTiles = BN / 8;  // 8-column blocks of S
  constexpr int kVTiles = DV / 8;  // 8-column blocks of O
  constexpr int kPSteps = BN / 16; // k-steps of P V

  FwdRowBlock<Variant> rb;
  if (!rb.init(p, BM))
    return;
  const int h = rb.h, b = rb.b, seqQ = rb.seqQ, seqK = rb.seqK;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int wg = warp / 4; // warpgroup: rows 64 wg .. 64 wg + 63
  const int g = lane / 4, t = lane % 4;

  extern __shared__ __align__(1024) uint8_t smem[];
  const uint32_t sQ = (smemAddress(smem) + 1023u) & ~1023u;
  const uint32_t sK = sQ + Cfg::QTile::kBytes;
  const uint32_t sV = sK + Cfg::kStages * Cfg::KTile::kBytes;

  int jBegin, jEnd;
  rb.kvRange(BN, jBegin, jEnd);
  auto classOf = [&](int j) { return rb.classOf(p, j, BN); };
  auto nextTile = [&](int j) { return rb.nextTile(p, j, jEnd, BN); };
  auto loadKV = [&](int j, int stage) {
    int rows = min(BN, seqK - j * BN);
    Cfg::KTile::template load<Cfg::kThreads>(sK + stage * Cfg::KTile::kBytes,
                                             rb.k + int64_t(j) * BN * p.kRowStride,
                                             p.kRowStride, rows, p.headDimQK, tid);
    Cfg::VTile::template load<Cfg::kThreads>(sV + stage * Cfg::VTile::kBytes,
                                             rb.v + int64_t(j) * BN * p.vRowStride,
                                             p.vRowStride, rows, p.headDimV, tid);
  };

  // Prologue: Q and the first non-empty K/V tile.
  Cfg::QTile::template load<Cfg::kThreads>(sQ, rb.q, p.qRowStride, rb.q1 - rb.q0 + 1,
                                           p.headDimQK, tid);
  int j = (jBegin < jEnd && classOf(jBegin) != kTileEmpty) ? jBegin : nextTile(jBegin);
  if (j < jEnd)
    loadKV(j, 0);
  cpAsyncCommit();

  float o[1][kVTiles][4];
#pragma unroll
  for (int n = 0; n < kVTiles; ++n)
    o[0][n][0] = o[0][n][1] = o[0][n][2] = o[0][n][3] = 0.f;
  float rowMax[2] = {negInf(), negInf()}, rowSum[2] = {0.f, 0.f};
  const int warpRow0 = rb.q0 + warp * 16; // 16 rows per warp
  const uint64_t bh = uint64_t(b) * p.heads + h;

  // Descriptors. K-major operands (Q, K): k-step ks is 32 bytes into atom
  // ks / 4; 8-row groups are 1024 bytes apart. V is read transposed
  // (N-major): k-step ks starts 16 rows (2048 bytes) further, its 64-column
  // atoms are a whole V atom apart.
  auto qDesc = [&](int ks) {
    return wgmmaDescriptor(sQ + (ks / 4) * Cfg::QTile::kAtomBytes + wg * 64 * 128 +
                               (ks % 4) * 32,
                           0, 1024);
  };
  auto kDesc = [&](int stage, int ks) {
    return wgmmaDescriptor(sK + stage * Cfg::KTile::kBytes + (ks / 4) * Cfg::KTile::kAtomBytes +
                               (ks % 4) * 32,
                           0, 1024);
  };
  auto vDesc = [&](int stage, int ks) {
    return wgmmaDescriptor(sV + stage * Cfg::VTile::kBytes + ks * 16 * 128,
                           Cfg::VTile::kAtomBytes, 1024);
  };

  int stage = 0;
  while (j < jEnd) {
    const int jNext = nextTile(j);
    if (jNext < jEnd) {
      loadKV(jNext, stage ^ 1); // overlaps the math below
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    fenceProxyAsyncShared(); // cp.async wrote what wgmma reads
    __syncthreads();

    // S = Q K^T.
    float s[1][kNTiles][4];
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks)
      WgmmaSS<T, BN>::run(s[0], qDesc(ks), kDesc(stage, ks), ks > 0);
    wgmmaCommit();
    wgmmaWait<0>();
    wgmmaFenceOperands(s[0]);

    const FragmentCoords at{warpRow0, j * BN, g, t};
    const float sc = scoreAndMask<Variant>(s, p, classOf(j), b, h, at, seqQ, seqK);
    onlineSoftmax(s, o, rowMax, rowSum, sc);
    applyDropout<Variant>(s, p, bh, at);

    // O += P V.
    uint32_t pf[kPSteps][4];
#pragma unroll
    for (int ks = 0; ks < kPSteps; ++ks)
      packP<T>(pf[ks], s, 0, ks);
    wgmmaFence();
#pragma unroll
    for (int ks = 0; ks < kPSteps; ++ks)
      WgmmaRS<T, DV>::run(o[0], pf[ks], vDesc(stage, ks), 1);
    wgmmaCommit();
    wgmmaWait<0>();
    wgmmaFenceOperands(o[0]);

    __syncthreads(); // this stage's buffers may be overwritten next
    stage ^= 1;
    j = jNext;
  }

  storeOutput<T, Variant>(o, rowMax, rowSum, p, b, h, rb.qRow0,
                          FragmentCoords{warpRow0, 0, g, t}, seqQ);
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDKERNELSM90_CUH
