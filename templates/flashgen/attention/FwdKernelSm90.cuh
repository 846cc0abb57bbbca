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
// Software pipeline (per warpgroup; wgmma runs asynchronously): while the
// tensor cores compute S_next = Q K_next^T and O += P V for the current
// tile, the warps wait only for S_next, then run the softmax of S_next
// under the still-running P V; O is rescaled once P V has landed. K and V
// have two buffers each; the copies of K two tiles ahead and V one tile
// ahead are issued at the top of each step, a whole step before use.
// The accumulators of wgmma are laid out as mma.sync's, so the register
// math is the mma.sync kernel's (OnlineSoftmax.cuh).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDKERNELSM90_CUH
#define FLASHGEN_ATTENTION_FWDKERNELSM90_CUH

#include "flashgen/attention/FwdRowBlock.cuh"
#include "flashgen/attention/TileClasses.cuh"
#include "flashgen/attention/Interval.cuh"
#include "flashgen/attention/Lookup.cuh"
#include "flashgen/attention/Wgmma.cuh"
#include "flashgen/attention/FwdFp8.cuh"
#include "flashgen/attention/WsBudget.cuh"

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
  /// fp8 inputs (the warp-specialized kernel only, FwdFp8.cuh): one-byte
  /// elements, so a 128-byte atom holds 128 of them; V is read transposed
  /// (V^T: head-dim rows of key bytes, K-major as 8-bit wgmma needs); the
  /// output is bf16.
  static constexpr bool kFp8 = T_::kIsFp8;
  using TOut = typename T_::Output;
  static constexpr int kElemBytes = kFp8 ? 1 : 2;
  static constexpr int kAtomElems = 128 / kElemBytes;
  static_assert(!kFp8 || (kHeadDimQK % 128 == 0 && kBlockN % 128 == 0),
                "fp8 tiles are whole 128-byte atoms: head dim and kv tile multiples of 128");
  // Tiles in 16-bit columns: an fp8 row of C elements is C / 2 of them.
  using QTile = WgmmaTile<kBlockM, kHeadDimQK * kElemBytes / 2>;
  using KTile = WgmmaTile<kBlockN, kHeadDimQK * kElemBytes / 2>;
  using VTile = typename SelectType<kFp8, WgmmaTile<kHeadDimV, kBlockN / 2>,
                                    WgmmaTile<kBlockN, kHeadDimV>>::type;
  /// fp8 in a kernel with decoding features: the producer's warps
  /// transpose V into VTile themselves (FwdFp8.cuh), from V's tile as the
  /// copy engine lands it (key rows of one 128-byte atom).
  static constexpr bool kTransposesV = kFp8 && kFp8VInKernel;
  using VStageTile = WgmmaTile<kBlockN, 64>;
  /// The warp-specialized kernel's mbarriers (FwdKernelSm90Ws.cuh).
  static constexpr int kBarrierBytes = 128;
  /// +1024: the dynamic shared memory base is rounded up to an atom.
  static constexpr int kSmemBytes =
      QTile::kBytes + kStages * (KTile::kBytes + VTile::kBytes) + 1024 + kBarrierBytes +
      int(wsFp8StagingBytes(kStages, kElemBytes, kBlockN));
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
  const int wg = warpgroupIndex(); // rows 64 wg .. 64 wg + 63
  const int g = lane / 4, t = lane % 4;

  extern __shared__ __align__(1024) uint8_t smem[];
  const uint32_t sQ = (smemAddress(smem) + 1023u) & ~1023u;
  const uint32_t sK = sQ + Cfg::QTile::kBytes;
  const uint32_t sV = sK + Cfg::kStages * Cfg::KTile::kBytes;

  rb.startWalk(p, BN);
  const int jEnd = rb.jEnd;

  float o[1][kVTiles][4];
#pragma unroll
  for (int n = 0; n < kVTiles; ++n)
    o[0][n][0] = o[0][n][1] = o[0][n][2] = o[0][n][3] = 0.f;
  float rowMax[2] = {negInf(), negInf()}, rowSum[2] = {0.f, 0.f};
  const int warpRow0 = rb.q0 + warp * 16; // 16 rows per warp
  const uint64_t bh = uint64_t(b) * p.heads + h;

  // Descriptors (WgmmaTile): Q and K K-major, V transposed (N-major).
  // Buffers alternate with the position of the tile in the walk (n % 2).
  auto qDesc = [&](int ks) { return Cfg::QTile::kMajor(sQ, ks, wg * 64); };
  auto kDesc = [&](int buf, int ks) {
    return Cfg::KTile::kMajor(sK + buf * Cfg::KTile::kBytes, ks);
  };
  auto vDesc = [&](int buf, int ks) {
    return Cfg::VTile::mnMajor(sV + buf * Cfg::VTile::kBytes, ks);
  };
  auto loadK = [&](int j, int buf) {
    Cfg::KTile::template load<Cfg::kThreads>(sK + buf * Cfg::KTile::kBytes,
                                             rb.k + int64_t(j) * BN * p.kRowStride,
                                             p.kRowStride, min(BN, seqK - j * BN),
                                             p.headDimQK, tid);
  };
  auto loadV = [&](int j, int buf) {
    Cfg::VTile::template load<Cfg::kThreads>(sV + buf * Cfg::VTile::kBytes,
                                             rb.v + int64_t(j) * BN * p.vRowStride,
                                             p.vRowStride, min(BN, seqK - j * BN),
                                             p.headDimV, tid);
  };
  // cp.async wrote what wgmma reads: make the writes visible to the async
  // proxy, then to every warpgroup.
  auto landLoads = [&] {
    cpAsyncWait<0>();
    fenceProxyAsyncShared();
    __syncthreads();
  };
  auto issueS = [&](float (&s)[1][kNTiles][4], int buf) {
#pragma unroll
    for (int ks = 0; ks < kKSteps; ++ks)
      WgmmaSS<T, BN>::run(s[0], qDesc(ks), kDesc(buf, ks), ks > 0);
    wgmmaCommit();
  };
  auto issuePV = [&](const uint32_t (&pf)[kPSteps][4], int buf) {
#pragma unroll
    for (int ks = 0; ks < kPSteps; ++ks)
      WgmmaRS<T, DV>::run(o[0], pf[ks], vDesc(buf, ks), 1);
    wgmmaCommit();
  };
  // S -> P for tile j: score modifier, mask, softmax, dropout; O's
  // rescaling factors are left in `correction`.
  float correction[2];
  uint32_t pCur[kPSteps][4];
  auto softmaxOf = [&](float (&s)[1][kNTiles][4], int j) {
    softmaxTile(s, p, rb, j, warpRow0, g, t, bh, rowMax, rowSum, correction);
  };
  auto packAll = [&](const float (&s)[1][kNTiles][4]) { packTile<T>(pCur, s); };

  // Prologue: Q, K and V of the first tile, K of the second; S and P of
  // the first.
  int cur = rb.firstTile();
  int nxt = cur < jEnd ? rb.nextTile(cur) : jEnd;
  Cfg::QTile::template load<Cfg::kThreads>(sQ, rb.q, p.qRowStride, rb.q1 - rb.q0 + 1,
                                           p.headDimQK, tid);
  if (cur < jEnd)
    loadK(cur, 0);
  cpAsyncCommit();
  // V of the first tile and K of the second land while S of the first is
  // computed: at small N the prologue is a large part of a CTA's work.
  if (cur < jEnd)
    loadV(cur, 0);
  if (nxt < jEnd)
    loadK(nxt, 1);
  cpAsyncCommit();
  cpAsyncWait<1>();
  fenceProxyAsyncShared();
  __syncthreads();

  if (cur < jEnd) {
    float s[1][kNTiles][4];
    wgmmaFence();
    issueS(s, 0);
    wgmmaWait<0>();
    wgmmaFenceOperands(s[0]);
    softmaxOf(s, cur);
    packAll(s);
  }
  landLoads();

  // Steady state: tile cur (position n) has P in registers and V in buffer
  // n % 2; tile nxt has K in buffer (n + 1) % 2.
  int buf = 0;
  while (nxt < jEnd) {
    float s[1][kNTiles][4];
    wgmmaFence();
    issueS(s, buf ^ 1);   // S_next = Q K_nxt^T
    issuePV(pCur, buf);   // O += P_cur V_cur

    // While those run: copies into the buffers free since the last step,
    // K of cur (its S is done) and V of the tile before cur (its P V is
    // done).
    const int nxt2 = rb.nextTile(nxt);
    if (nxt2 < jEnd)
      loadK(nxt2, buf);
    loadV(nxt, buf ^ 1);
    cpAsyncCommit();
    wgmmaWait<1>();       // S_next has landed; P V may still run
    wgmmaFenceOperands(s[0]);
    softmaxOf(s, nxt);
    wgmmaWait<0>();
    wgmmaFenceOperands(o[0]);
    rescaleRows(o, correction);
    packAll(s);

    landLoads(); // also: every warpgroup is done with this step's buffers
    cur = nxt;
    nxt = nxt2;
    buf ^= 1;
  }

  // Epilogue: the last tile's P V.
  if (cur < jEnd) {
    wgmmaFence();
    issuePV(pCur, buf);
    wgmmaWait<0>();
    wgmmaFenceOperands(o[0]);
  }

  storeOutput<T, Variant>(o, rowMax, rowSum, p, b, h, rb.qRow0,
                          FragmentCoords{warpRow0, 0, g, t}, seqQ, rb.split);
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDKERNELSM90_CUH
