//===- TilingModel.cpp - tile sizes from the SRAM and register budget -===//
#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace flashgen::attn;

namespace {
/// Registers for addresses, loop counters, row max/sum, the softmax scale
/// and score-modifier temporaries on top of the tile fragments. Calibrated
/// with ptxas -v on the generated sm_90a kernels (2026-11-24): the causal
/// d64 128x128 kernel uses 224 registers where fragments account for 144;
/// with 40 the d128 128x128 kernels spilled 48-408 bytes.
constexpr int64_t kOverheadRegsForward = 64;
/// Backward: addresses, the lse/D reads, loop state (uncalibrated yet).
constexpr int64_t kOverheadRegsBackward = 48;
/// A warp-specialized forward consumer computes no load addresses (its
/// backward counterpart keeps kOverheadRegsBackward). With 32
/// the shapes that run without spills fit (ptxas -v: d64 64x64 at 136
/// registers, d128 128x128 at 240, d128 64x64 at 232, 2026-11-25; d64
/// 192x128 in three consumer warpgroups at 160, 2026-11-30) and d64 64x128
/// at three CTAs per SM (136 registers for 128 of fragments) does not.
constexpr int64_t kOverheadRegsWsConsumer = 32;
/// Dropout's keep bits and Philox state, or a score modifier's
/// temporaries, per S element a thread holds: a quarter register each
/// (ptxas -v, 2026-11-30: d64 192x128 at 160 spills 4 B with softcap, 64 B
/// with a relative-bias table, 124 B with dropout; 64x64 with dropout fits
/// 136).
constexpr int64_t kWsConsumerRegsPerFourElements = 1;

/// Registers are allocated per warp in units of 256 (8 per thread).
constexpr int64_t kRegGranule = 8;
/// Shared memory the driver reserves per CTA on sm_80+.
constexpr int64_t kSmemReservedPerCTA = 1024;
/// Resident warps per SM below which memory latency shows.
constexpr int64_t kWarpsToHideLatency = 8;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

double reuse(const TileConfig &c) {
  return 2.0 / (1.0 / double(c.blockM) + 1.0 / double(c.blockN));
}

std::string describe(const TileConfig &c) {
  return llvm::formatv("Br={0} Bc={1} warps={2} stages={3}{4}{5}{6}", c.blockM,
                       c.blockN, c.warps, c.stages,
                       c.qInRegisters ? " Q-in-registers" : "",
                       c.mma == MmaKind::Wgmma ? " wgmma" : "",
                       c.warpSpecialized
                           ? llvm::formatv(" warp-specialized x{0} CTAs/SM", c.ctasPerSM).str()
                           : "")
      .str();
}
} // namespace

int64_t flashgen::attn::paddedHeadDim(int64_t d) { return ceilDiv(d, 32) * 32; }

std::string flashgen::attn::whyNoWgmma(const TilingProblem &p, const GpuTarget &t) {
  if (t.arch != "sm_90a")
    return "wgmma needs sm_90a, the target is " + t.arch;
  // The forward's tiles are whole 64-column atoms of the 128-byte swizzle
  // (Wgmma.cuh) and O's columns one wgmma of N <= 256; the backward keeps
  // full dK and dV rows per warpgroup, which fit up to 128 columns.
  for (int64_t d : {p.qkHeadDim, p.vHeadDim}) {
    int64_t pd = paddedHeadDim(d);
    if (p.backward && pd != 64 && pd != 128)
      return llvm::formatv("the wgmma backward takes head dims padded to 64 or 128, "
                           "not {0}", d)
          .str();
    if (!p.backward && (pd % 64 != 0 || pd > 256))
      return llvm::formatv("the wgmma forward takes head dims padded to 64, 128, 192 "
                           "or 256, not {0}", d)
          .str();
  }
  return "";
}

namespace {
/// The warp-specialized forward's rules (FwdKernelSm90Ws.cuh), or "" if `c`
/// obeys them: its shapes, and its launch bound's budget (c.ctasPerSM CTAs
/// of the producer and consumer warps must find their registers, split by
/// setmaxnreg, and their shared memory on one SM).
std::string warpSpecializedError(const TileConfig &c, const TilingProblem &p,
                                 const GpuTarget &t) {
  if (c.blockN != 64 && c.blockN != 128)
    return "the warp-specialized kernel takes Bc = 64 or 128";
  if (c.ctasPerSM < 1)
    return "the warp-specialized kernel needs its CTAs per SM (its launch bound)";
  if (p.backward && c.ctasPerSM != 1)
    return "the warp-specialized backward runs one CTA per SM";
  const WsRegisterSplit r = warpSpecializedRegisters(c);
  if (r.consumer < flashgen::kWsMinConsumerRegs || r.consumer < c.regsPerThread)
    return llvm::formatv("{0} warp-specialized CTAs per SM leave the consumers {1} "
                         "registers/thread, they need {2} (at least {3})",
                         c.ctasPerSM, r.consumer, c.regsPerThread, flashgen::kWsMinConsumerRegs)
        .str();
  if (c.ctasPerSM * (c.smemBytes + kSmemReservedPerCTA) > t.smemPerSM)
    return llvm::formatv("{0} CTAs of {1} B shared memory exceed the SM's {2} B",
                         c.ctasPerSM, c.smemBytes, t.smemPerSM)
        .str();
  if (c.ctasPerSM * 32 * (c.warps + kWsProducerWarps) > t.maxThreadsPerSM)
    return "too many threads per SM";
  return "";
}

/// The wgmma kernels' shape rules (FwdConfigSm90, BwdConfigSm90), or "" if
/// `c` obeys them.
std::string wgmmaShapeError(const TileConfig &c, const TilingProblem &p) {
  if (p.backward) {
    if (c.warps != 8 || c.blockN != 128)
      return "the wgmma backward kernel runs two warpgroups of 64 keys each "
             "(8 warps, Bc = 128)";
    // 128-query tiles at head dim 64 only, and not with dropout: there
    // they spill 608 B per thread and measured 24% slower than 64
    // (bench/results/2026-11-25-h100-bwd-d64-s5.md).
    if (c.blockM != 64 &&
        !(c.blockM == 128 && paddedHeadDim(p.qkHeadDim) == 64 && !p.dropout))
      return "the wgmma backward kernel streams 64-query tiles (128 at head dim 64 "
             "without dropout)";
    if (c.stages != 2)
      return "the wgmma backward kernel double-buffers the streamed tiles";
    return "";
  }
  if (c.warps != 4 && c.warps != 8 && c.warps != 12)
    return "the wgmma forward runs one, two or three warpgroups (4, 8 or 12 warps)";
  if (c.blockM != 16 * c.warps)
    return llvm::formatv("the wgmma kernel gives each warpgroup 64 rows, so Br "
                         "must be {0}, not {1}", 16 * c.warps, c.blockM)
        .str();
  if (c.blockN != 64 && c.blockN != 128 && c.blockN != 256)
    return "the wgmma kernel takes Bc = 64, 128 or 256";
  if (c.stages != 2 || c.qInRegisters)
    return "the wgmma kernel streams K/V through two stages and reads Q from "
           "shared memory";
  return "";
}
} // namespace

int64_t flashgen::attn::plannedWarpSpecializedCtas(const TilingProblem &p,
                                                   const TileConfig &c) {
  // Measured on the H100 (bench/results/2026-11-25-h100-ws-ab-s6.md): at
  // head dim 128 34-43% faster than the plain kernel; at head dim 64 with
  // Bc = 128 7-22% faster than the plain kernel's best (128x64), while with
  // Bc = 64 it lost at short N, so 128x64 stays plain. One consumer
  // warpgroup (warps = 4) in two CTAs per SM (64x128) or three (64x64) at
  // head dim 64 (bench/results/2026-11-25-h100-ws-d64-s6.md); at head dim
  // 128 it wins at short causal N only (2026-11-25-h100-d128-one-consumer-
  // s6.md), a choice by shape that is the tuner's to make.
  // Unequal head dims (MLA-style 192/128) by the wider one.
  const int64_t d = std::max(paddedHeadDim(p.qkHeadDim), paddedHeadDim(p.vHeadDim));
  if (c.mma != MmaKind::Wgmma)
    return 0;
  // The backward's fused kernel: warp-specialized, one CTA per SM, 9-27%
  // faster than the plain one at head dims 64 and 128, causal or not, N =
  // 1k-16k (H200, bench/results/2026-11-30-h200-bwd-ws-s12.md).
  if (p.backward)
    return 1;
  // fp8 (head dim 128): one consumer warpgroup, 64x128 at two CTAs per SM,
  // 5-10% faster than 128x128 in one CTA at N <= 2k and with a causal
  // mask, equal at 8k-16k without (H200, bench/results/2026-12-01-h200-
  // s22.md): with 8-bit products twice as fast, each warpgroup's softmax
  // is the critical path, and two CTAs' warpgroups interleave it freely.
  if (c.warps == 4 && p.elemBytes == 1)
    return c.blockN == 128 ? 2 : 0;
  if (c.warps == 4)
    return d == 64 && (c.blockN == 64 || c.blockN == 128) ? (c.blockN == 64 ? 3 : 2) : 0;
  // From head dim 128 up two consumer warpgroups in one CTA (at 192 and
  // 256 only Bc = 64 leaves O, S and P their registers).
  return c.warps == 8 && (d >= 128 || (d == 64 && c.blockN == 128)) ? 1 : 0;
}

WsRegisterSplit flashgen::attn::warpSpecializedRegisters(const TileConfig &c) {
  const int ctas = int(std::max<int64_t>(c.ctasPerSM, 1)), warps = int(c.warps);
  WsRegisterSplit r;
  if (warps <= 0)
    return r; // no kernel (a pass the variant does not have): no split
  r.entry = flashgen::wsEntryRegs(ctas, warps);
  r.producer = flashgen::kWsProducerRegs;
  r.consumer = flashgen::wsConsumerRegs(ctas, warps);
  return r;
}

bool flashgen::attn::backwardSplitsDKDV(const TilingProblem &p) {
  // Full dK and dV rows per warp cost (dqk + dv) / 2 registers per thread;
  // past 256 columns they leave no room for S^T and dP^T.
  return paddedHeadDim(p.qkHeadDim) + paddedHeadDim(p.vHeadDim) > 256;
}

bool flashgen::attn::backwardHasAtomicDQ(const TilingProblem &p, const TileConfig &c) {
  if (backwardSplitsDKDV(p) || c.blockM % 32 != 0 || c.warps < 1)
    return false;
  const int64_t mTiles = c.blockM / 16, dTiles = paddedHeadDim(p.qkHeadDim) / 8;
  const int64_t warpsPerM = c.warps >= mTiles ? c.warps / mTiles : 1;
  const bool evenRows = c.warps >= mTiles ? c.warps % mTiles == 0 : mTiles % c.warps == 0;
  return evenRows && dTiles % warpsPerM == 0 && (dTiles / warpsPerM) % 2 == 0;
}

bool flashgen::attn::backwardHasWideWgmma(const TilingProblem &p, MmaKind forwardMma) {
  return forwardMma == MmaKind::Wgmma && p.elemBytes == 2 &&
         flashgen::bwdWideHeadDims(paddedHeadDim(p.qkHeadDim), paddedHeadDim(p.vHeadDim));
}

TileConfig flashgen::attn::estimateTile(TileConfig c, const TilingProblem &p,
                                        const GpuTarget &t) {
  int64_t dqk = paddedHeadDim(p.qkHeadDim), dv = paddedHeadDim(p.vHeadDim);
  int64_t e = p.elemBytes, T = 32 * c.warps;
  int64_t Br = c.blockM, Bc = c.blockN;
  int64_t regs;
  if (!p.backward) {
    // wgmma: the base aligned to 1024 bytes, 128 bytes of mbarriers.
    c.smemBytes = Br * dqk * e + c.stages * Bc * (dqk + dv) * e +
                  (c.mma == MmaKind::Wgmma ? 1024 + 128 : 0) +
                  flashgen::wsFp8StagingBytes(c.stages, e, Bc);
    if (c.warpSpecialized)
      c.smemBytes += flashgen::wsStagedLookupBytes(c.stages, p.stagedLookups, Bc);
    regs = ceilDiv(Br * dv, T) + ceilDiv(Br * Bc, T) + ceilDiv(Br * Bc, 2 * T) +
           (c.qInRegisters ? ceilDiv(Br * dqk, 2 * T) : 0);
  } else {
    // Two kernels with the same shape (resident Bc = 16 * warps rows,
    // streamed Br-row tiles): dK/dV (K, V resident; Q, dO, lse, D streamed)
    // and dQ (Q, dO resident; K, V streamed). The dK/dV kernel is larger:
    // each warp accumulates full rows of dK and dV, plus S^T and dP^T.
    c.smemBytes = Bc * (dqk + dv) * e + c.stages * Br * ((dqk + dv) * e + 8) + Bc * Br * e;
    // The wgmma fast path (BwdConfigSm90) aligns its base and stages each
    // tile's fp32 dQ rows for the copy engine's reduction (rows padded by
    // 32 bytes at head dim 128).
    if (c.mma == MmaKind::Wgmma)
      c.smemBytes += 1024 + Br * (dqk * 4 + (dqk >= 128 ? 32 : 0));
    // The warp-specialized one (BwdWsConfig) double-buffers the dQ
    // staging and adds its mbarriers.
    if (c.warpSpecialized)
      c.smemBytes += Br * (dqk * 4 + (dqk >= 128 ? 32 : 0)) + flashgen::kBwdWsBarrierBytes +
                     flashgen::wsStagedLookupBytes(2, p.stagedLookups, Br);
    regs = backwardSplitsDKDV(p) ? std::max(dqk / 2 + Br, dv / 2 + Br / 2)
                                 : (dqk + dv) / 2 + Br;
    c.qInRegisters = false;
  }
  if (c.warpSpecialized) {
    // The consumers' need; ctasPerSM is the launch bound, checked against
    // the split and shared memory in whyInvalid.
    if (!p.backward && (p.dropout || p.scoreMod))
      regs += kWsConsumerRegsPerFourElements * ceilDiv(Br * Bc, 4 * T);
    const int64_t overhead = p.backward ? kOverheadRegsBackward : kOverheadRegsWsConsumer;
    c.regsPerThread = ceilDiv(regs + overhead, kRegGranule) * kRegGranule;
    return c;
  }
  int64_t overhead = p.backward ? kOverheadRegsBackward : kOverheadRegsForward;
  c.regsPerThread = ceilDiv(regs + overhead, kRegGranule) * kRegGranule;
  int64_t byRegs = t.regsPerSM / (std::max<int64_t>(c.regsPerThread, 1) * T);
  int64_t bySmem = t.smemPerSM / (c.smemBytes + kSmemReservedPerCTA);
  int64_t byThreads = t.maxThreadsPerSM / T;
  c.ctasPerSM = std::min({byRegs, bySmem, byThreads, int64_t(t.maxBlocksPerSM)});
  return c;
}

std::string flashgen::attn::whyInvalid(const TileConfig &c, const TilingProblem &p,
                                       const GpuTarget &t) {
  // fp8 inputs (FwdFp8.cuh): the warp-specialized forward on 8-bit wgmma,
  // whose operands are whole 128-byte atoms (128 elements).
  if (p.elemBytes == 1) {
    if (p.backward)
      return "fp8 inputs have a forward only (train in bf16)";
    if (t.arch != "sm_90a")
      return "fp8 inputs need sm_90a's 8-bit wgmma, the target is " + t.arch;
    // Head dim 256 (O, S and P of 128 keys) does not fit the consumers'
    // registers; 64 would need the 64-byte swizzle.
    if (paddedHeadDim(p.qkHeadDim) != 128 || paddedHeadDim(p.vHeadDim) > 128)
      return llvm::formatv("fp8 inputs take a Q/K head dim of 128 and a V head dim of at "
                           "most 128 (got {0}/{1})",
                           p.qkHeadDim, p.vHeadDim)
          .str();
    if (c.mma != MmaKind::Wgmma || !c.warpSpecialized)
      return "fp8 inputs run on the warp-specialized wgmma forward";
    if (c.blockN % 128 != 0)
      return "fp8 kv tiles are multiples of 128 keys (V^T's rows are 128-byte atoms)";
  }
  if (c.blockM % 16 || c.blockN % 16)
    return "tile sizes must be multiples of 16 (the MMA shape)";
  if (c.warps < 1)
    return "needs at least one warp";
  if (c.warpSpecialized && c.mma != MmaKind::Wgmma)
    return "the warp-specialized kernels run on wgmma";
  if (c.warps == 12 && (c.mma != MmaKind::Wgmma || !c.warpSpecialized || p.backward))
    return "three consumer warpgroups (warps = 12) run in the warp-specialized wgmma "
           "forward only";
  if (c.mma == MmaKind::Wgmma) {
    std::string no = whyNoWgmma(p, t);
    if (no.empty())
      no = wgmmaShapeError(c, p);
    if (no.empty() && c.warpSpecialized)
      no = warpSpecializedError(c, p, t);
    if (!no.empty())
      return no;
  } else if (!p.backward) {
    // Forward warps split the Br rows only, so each row's softmax stays in
    // one warp; the kernel template gives each warp one or two 16-row MMA
    // slices.
    if (c.blockM != 16 * c.warps && c.blockM != 32 * c.warps)
      return llvm::formatv("the forward kernel gives each of the {0} warps 16 "
                           "or 32 rows, so Br must be {1} or {2}, not {3}",
                           c.warps, 16 * c.warps, 32 * c.warps, c.blockM)
          .str();
  } else if (c.blockN != 16 * c.warps) {
    // Each backward warp owns 16 resident rows (keys for dK/dV, queries
    // for dQ).
    return llvm::formatv("the backward kernels give each of the {0} warps 16 "
                         "resident rows, so Bc must be {1}, not {2}",
                         c.warps, 16 * c.warps, c.blockN)
        .str();
  } else if (c.blockM > 128) {
    return "the backward kernels stream at most 128 rows per tile";
  }
  // Name every resource that runs out, not just the first.
  std::string why;
  auto add = [&](const std::string &s) { why += (why.empty() ? "" : " and ") + s; };
  if (c.regsPerThread > t.maxRegsPerThread)
    add(llvm::formatv("needs {0} registers/thread > {1}", c.regsPerThread,
                      t.maxRegsPerThread));
  if (c.smemBytes > t.smemPerBlock)
    add(llvm::formatv("needs {0} B shared memory > {1} B per block on {2}",
                      c.smemBytes, t.smemPerBlock, t.arch));
  if (why.empty() && c.ctasPerSM < 1)
    add("no CTA fits on an SM");
  return why;
}

namespace {
/// The search grid: every kernel shape of the pass for `p` that `o` allows,
/// estimated on `t` and sorted into those that fit and those that do not
/// (with why). chooseTiling and feasibleTilings (the tuner's space) share it.
/// Launch bounds the warp-specialized forward is tried at (more CTAs leave
/// the consumers fewer than kWsMinConsumerRegs registers).
constexpr int64_t kMaxWsCtasPerSM = 4;

void enumerateTilings(const TilingProblem &p, const GpuTarget &t, const TileOverride &o,
                      std::vector<TileConfig> &valid,
                      std::vector<std::pair<TileConfig, std::string>> &rejected) {
  using namespace flashgen::attn;
  const std::string noWgmma = whyNoWgmma(p, t);
  auto consider = [&](TileConfig c) {
    c = estimateTile(c, p, t);
    std::string why = whyInvalid(c, p, t);
    if (why.empty())
      valid.push_back(c);
    else
      rejected.push_back({c, why});
  };
  const int64_t sizes[] = {128, 64, 32, 16};
  // Br = 192 is three consumer warpgroups of the warp-specialized forward.
  const int64_t rowSizes[] = {192, 128, 64, 32, 16};
  const int64_t warpCounts[] = {2, 4, 8, 12};
  for (int64_t Br : rowSizes)
    for (int64_t Bc : sizes)
      for (int64_t w : warpCounts)
        for (int64_t s : {2, 1})
          for (bool qRegs : {true, false})
            for (MmaKind mma : {MmaKind::Sync, MmaKind::Wgmma}) {
              if (p.backward && (qRegs || Bc != 16 * w))
                continue; // not a backward kernel shape
              if ((Br == 192 || w == 12) && (Br != 192 || w != 12 || mma != MmaKind::Wgmma))
                continue; // three warpgroups: wgmma 192-row tiles only
              const TileConfig c{Br, Bc, w, s, qRegs, mma};
              if (mma == MmaKind::Wgmma &&
                  (!noWgmma.empty() || !wgmmaShapeError(c, p).empty()))
                continue; // not a wgmma kernel shape
              if ((o.blockM && o.blockM != Br) || (o.blockN && o.blockN != Bc) ||
                  (o.warps && o.warps != w) || (o.stages && o.stages != s) ||
                  (o.mma != MmaKind::Free && o.mma != mma))
                continue;
              // The plain kernel (at the CTAs per SM its budget gives, which
              // an override may fix), and on wgmma the warp-specialized one
              // at each launch bound (the backward's: one).
              if (o.warpSpecialized <= 0 &&
                  (!o.ctasPerSM || estimateTile(c, p, t).ctasPerSM == o.ctasPerSM))
                consider(c);
              if (mma != MmaKind::Wgmma || o.warpSpecialized < 0)
                continue;
              for (int64_t ctas = 1; ctas <= (p.backward ? 1 : kMaxWsCtasPerSM); ++ctas) {
                if (o.ctasPerSM && o.ctasPerSM != ctas)
                  continue;
                TileConfig ws = c;
                ws.warpSpecialized = true;
                ws.ctasPerSM = ctas;
                consider(ws);
              }
            }
  // A fully specified override may lie outside the search grid (Br = 256).
  bool inGrid = llvm::is_contained(rowSizes, o.blockM) && llvm::is_contained(sizes, o.blockN) &&
                llvm::is_contained(warpCounts, o.warps);
  if (o.blockM && o.blockN && o.warps && !inGrid) {
    TileConfig c{o.blockM, o.blockN, o.warps, o.stages ? o.stages : 2, false,
                 o.mma == MmaKind::Wgmma || o.warpSpecialized > 0 ? MmaKind::Wgmma
                                                                  : MmaKind::Sync};
    c.warpSpecialized = o.warpSpecialized > 0;
    c.ctasPerSM = c.warpSpecialized ? std::max<int64_t>(o.ctasPerSM, 1) : 0;
    consider(c);
  }
}
} // namespace

std::optional<TileConfig> flashgen::attn::plannedForShape(const TilingProblem &p,
                                                          const GpuTarget &t,
                                                          const TileConfig &c, int64_t seqQ,
                                                          int64_t seqK, std::string *why) {
  // Only the warp-specialized forward in the family the planner picks has
  // measured alternatives by shape.
  if (p.backward || !c.warpSpecialized || plannedWarpSpecializedCtas(p, c) != c.ctasPerSM)
    return std::nullopt;
  const int64_t d = paddedHeadDim(p.qkHeadDim), n = std::max(seqQ, seqK);
  // The long-row rules go by the keys a row keeps: the sequence, or a
  // sliding window's width (a window of 1024 keeps 1024 at any length; at
  // 16k its d64 forward ran 270 TFLOP/s on the three-warpgroup rule, 0.88x
  // FlexAttention, and 320 at 2k on the planner's own tiles; H200, bench/
  // results/2026-12-01-h200-s25.md).
  const int64_t rowKeys = p.bandWidth > 0 ? std::min(n, p.bandWidth) : n;
  // Tuned on the H200 (bench/results/2026-11-29-h200-tune-s8.md), the same
  // direction as the H100's A/B runs of 2026-11-25:
  //  - head dim 64, rows of 2k or more (past 4k with a band mask):
  //    192x128 in three consumer warpgroups at one CTA per SM (H200,
  //    2026-11-30: +1.5% at 2k, +3% at 4k, +7-8% at 8k and 16k; causal
  //    +4-5% at 8k and 16k, 3-5% slower at 4k; 5-40% slower below 2k;
  //    bench/results/2026-11-30-h200-s13.md; a mask whose every tile is
  //    partial (dilated) +12-13% at 2k, tuned in 2026-12-02-h200-s33.md);
  //    the kernel's consumers get 160 registers, which dropout or
  //    a score modifier exceed (the budget then keeps the planner's tiles);
  //    not for masks sparse at run time, whose rows keep few tiles at any
  //    length (documents of 1000 tokens from a tensor, 8k: 0.72x of the
  //    64x128 kernel; 2026-11-30-h200-s14.md);
  //  - head dim 64, band mask, rows past 2k: Bc = 128 at two CTAs per SM
  //    instead of 64 at three (+4% at 4k, +8% at 8k, +15% at 16k): long
  //    rows amortize the wider tile, fewer CTAs reload Q less often;
  //  - head dim 64, no mask, 512 or fewer: 64x64 at three CTAs per SM
  //    instead of 64x128 at two (+6%): more CTAs for few tiles per row;
  //  - head dim 128, band mask, 1k or fewer: one consumer warpgroup, 64x64,
  //    two CTAs per SM, instead of two warpgroups of 128x128 (+11% at 512,
  //    +2% at 1k): causal rows of a few tiles leave two warpgroups idle
  //    while two CTAs interleave.
  // Tuned on the H200 since walks start at the tile-class builder's row
  // bounds (bench/results/2026-12-02-h200-s33.md, section 6), a band
  // conjoined with a mask sparse at run time (documents: causal && same
  // document, from a tensor or arithmetic) keeps a few tiles per row at
  // any length, so the short-row tilings win there at every length:
  //  - head dim 128: 64x64 at two CTAs per SM, +15% at 2k, +18% at 8k,
  //    +13% at 16k over 128x128;
  //  - head dim 64: the planner's own 64x64 at three CTAs per SM, not the
  //    long-band rule's Bc = 128 (64x64 +22% at 8k, +19% at 16k).
  // Tuned on the H200 (bench/results/2026-12-02-h200-s35.md, call 3), a
  // mask sparse at run time whose rows still keep at least a causal row
  // (prefix-LM: `k < prefix_len[b] || k <= q`) has long rows at long
  // sequences, unlike documents or block maps; at head dim 64 the
  // planner's 64x128 at two CTAs per SM lost to
  //  - 192x128 in three consumer warpgroups at 16k (1.64x);
  //  - 128x128 in two consumer warpgroups at 2k (1.09x).
  // At head dim 128 the planner's 128x128 was the tuner's best at both.
  // The rules in order; the first whose kernel the budget holds wins (a
  // rule the device or the variant cannot take falls through to the next).
  struct Rule {
    bool applies;
    int64_t blockM, blockN, warps, ctasPerSM;
    const char *text;
  };
  const Rule rules[] = {
      {d == 64 && !p.runtimeSparse && (p.bandMask ? rowKeys > 4096 : rowKeys >= 2048), 192,
       128, 12, 1,
       p.bandMask ? "head dim 64, band mask, sequences past 4k: three consumer "
                    "warpgroups, 192x128"
                  : "head dim 64, sequences of 2k or more: three consumer warpgroups, 192x128"},
      {d == 64 && p.runtimeSparse && p.keepsCausalBand && rowKeys >= 4096, 192, 128, 12, 1,
       "head dim 64, a mask that keeps at least a causal band (prefix-LM), sequences of 4k "
       "or more: three consumer warpgroups, 192x128"},
      {d == 64 && p.runtimeSparse && p.keepsCausalBand && rowKeys >= 2048, 128, 128, 8, 1,
       "head dim 64, a mask that keeps at least a causal band (prefix-LM), sequences of 2k to 4k: "
       "two consumer warpgroups, 128x128"},
      {d == 128 && p.bandMask && p.runtimeSparse, 64, 64, 4, 2,
       "head dim 128, a band with a mask sparse at run time (documents): one consumer "
       "warpgroup, 64x64 at two CTAs per SM"},
      {d == 64 && p.bandMask && !p.runtimeSparse && rowKeys > 2048, 64, 128, 4, 2,
       "head dim 64, band mask, sequences past 2k: Bc = 128 at two CTAs per SM"},
      {d == 64 && !p.bandMask && n <= 512, 64, 64, 4, 3,
       "head dim 64, sequences of 512 or fewer: 64x64 at three CTAs per SM"},
      {d == 128 && p.bandMask && n <= 1024, 64, 64, 4, 2,
       "head dim 128, band mask, sequences of 1k or fewer: one consumer warpgroup, "
       "64x64 at two CTAs per SM"},
  };
  for (const Rule &r : rules) {
    if (!r.applies)
      continue;
    TileOverride o;
    o.mma = MmaKind::Wgmma;
    o.warpSpecialized = 1;
    o.stages = 2;
    o.blockM = r.blockM, o.blockN = r.blockN, o.warps = r.warps, o.ctasPerSM = r.ctasPerSM;
    llvm::Expected<TilingDecision> dec = chooseTiling(p, t, o);
    if (!dec) { // the budget does not hold it: the next rule, else `c`
      llvm::consumeError(dec.takeError());
      continue;
    }
    if (why)
      *why = std::string(r.text) + " (measured faster on sm_90a)";
    return dec->config;
  }
  return std::nullopt;
}

std::vector<TileConfig> flashgen::attn::feasibleTilings(const TilingProblem &p,
                                                        const GpuTarget &t) {
  std::vector<TileConfig> valid;
  std::vector<std::pair<TileConfig, std::string>> rejected;
  enumerateTilings(p, t, TileOverride{}, valid, rejected);
  return valid;
}

llvm::Expected<TilingDecision>
flashgen::attn::chooseTiling(const TilingProblem &p, const GpuTarget &t,
                             const TileOverride &o) {
  // Whether this problem and target can use wgmma at all (else why).
  const std::string noWgmma = whyNoWgmma(p, t);
  std::vector<TileConfig> valid;
  std::vector<std::pair<TileConfig, std::string>> rejected;
  enumerateTilings(p, t, o, valid, rejected);
  // A user who asked for wgmma where it cannot run hears why.
  if (o.mma == MmaKind::Wgmma && !noWgmma.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (p.backward ? "bwd_mma = wgmma: " : "mma = wgmma: ") + noWgmma);
  if (o.warpSpecialized > 0 && !noWgmma.empty())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        std::string(p.backward ? "bwd_warp_specialized = true" : "warp_specialized = true") +
            ": the warp-specialized kernels run on wgmma, but " + noWgmma);

  const char *pass = p.backward ? "backward" : "forward";
  if (valid.empty()) {
    std::string msg = llvm::formatv("no {0} tiling fits {1}{2} for head dims "
                                    "qk={3} v={4}",
                                    pass, t.arch, t.part.empty() ? "" : " (" + t.part + ")",
                                    p.qkHeadDim, p.vHeadDim)
                          .str();
    // The smallest well-formed candidate's reason is the most telling: it
    // names the resource that runs out.
    const std::pair<TileConfig, std::string> *smallest = nullptr;
    for (auto &r : rejected) {
      bool wellFormed = r.second.find("warps") == std::string::npos &&
                        r.second.find("multiples of 16") == std::string::npos;
      if (wellFormed && (!smallest || r.first.smemBytes < smallest->first.smemBytes))
        smallest = &r;
    }
    if (smallest)
      msg += "; even " + describe(smallest->first) + " " + smallest->second;
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  }

  // Measured on the H100 (bench/results/2026-11-24-h100-fwd-tile-sweep*):
  // two 16-row slices per warp halve the K/V fragment traffic per MMA and
  // beat a wider tile (d64: 128x64, 4 warps 284 TFLOP/s vs 128x128, 8 warps
  // 242), but only with Bc >= 64; below that the per-tile overhead (barriers,
  // rescaling O) dominates (d128: 128x32, 4 warps 264 vs 128x128, 8 warps 287).
  auto twoSlices = [&](const TileConfig &c) {
    return !p.backward && c.blockM == 32 * c.warps && c.blockN >= 64;
  };
  // wgmma forward, measured on the H100: at head dim 128 two warpgroups
  // (Br = 128) and Bc = 128, warp-specialized (FwdKernelSm90Ws.cuh; bench/
  // results/2026-11-25-h100-ws-ab-s6.md: 34-43% faster than the plain
  // kernel). At head dim 64 one consumer warpgroup (Br = 64, Bc = 128),
  // warp-specialized, two CTAs per SM: 8-11% faster than two warpgroups
  // per CTA and 16-30% faster than the plain kernel's best (128x64)
  // (bench/results/2026-11-25-h100-ws-d64-s6.md). With a band mask (causal)
  // Bc = 64 and three CTAs per SM: rows have few tiles, and more CTAs hide
  // each one's start and end: 9-27% faster up to N = 2048, 7% slower at
  // 8192 (same file); without a mask Bc = 128 wins from N = 2048 on.
  // The backward's wgmma kernel has one shape but for its query tiles: at
  // head dim 64, 128 of them (dQ split by rows between the warpgroups) beat
  // 64 by 16-17% (bench/results/2026-11-25-h100-ab-s5.md: 16.2 vs 19.4 ms
  // at N = 16k), half the barriers and bulk reductions per key block.
  const bool fwdD64 = !p.backward && paddedHeadDim(p.qkHeadDim) == 64 &&
                      paddedHeadDim(p.vHeadDim) == 64;
  const int64_t fwdD64Bc = p.bandMask ? 64 : 128;
  auto wgmmaRank = [&](const TileConfig &c) {
    if (fwdD64)
      return int(c.blockM == 64) * 2 + int(c.blockN == fwdD64Bc);
    if (p.elemBytes == 1) // fp8: see plannedWarpSpecializedCtas
      return int(c.blockM == 64) * 2 + int(c.blockN == 128);
    return int(c.blockM == 128) * 2 + int(c.blockN == 128);
  };
  // The kernel family the measurements above chose for a shape: the
  // warp-specialized kernel at its launch bound, or the plain one.
  auto plannedFamily = [&](const TileConfig &c) {
    return plannedWarpSpecializedCtas(p, c) == (c.warpSpecialized ? c.ctasPerSM : 0);
  };
  auto better = [&](const TileConfig &a, const TileConfig &b) {
    if (a.mma != b.mma)
      return a.mma == MmaKind::Wgmma; // twice mma.sync's tensor-core rate
    // (Unless the spec fixed the family: then among what it allows.)
    if (!o.warpSpecialized && !o.ctasPerSM && plannedFamily(a) != plannedFamily(b))
      return plannedFamily(a);
    if (a.mma == MmaKind::Wgmma && wgmmaRank(a) != wgmmaRank(b))
      return wgmmaRank(a) > wgmmaRank(b);
    if (twoSlices(a) != twoSlices(b))
      return twoSlices(a);
    double ra = reuse(a), rb = reuse(b);
    if (ra != rb)
      return ra > rb;
    bool la = a.ctasPerSM * a.warps >= kWarpsToHideLatency;
    bool lb = b.ctasPerSM * b.warps >= kWarpsToHideLatency;
    if (la != lb)
      return la;
    if (a.blockM != b.blockM)
      return a.blockM > b.blockM; // fewer K/V re-reads from HBM
    if (a.qInRegisters != b.qInRegisters)
      return a.qInRegisters; // no Q re-reads from shared memory
    if (a.stages != b.stages)
      return a.stages > b.stages; // overlap loads with math
    return a.warps < b.warps;     // more work per warp
  };
  TileConfig best = *std::min_element(valid.begin(), valid.end(),
                                      [&](auto &a, auto &b) { return better(a, b); });

  TilingDecision d;
  d.config = best;
  if (best.warpSpecialized) {
    // The warp-specialized kernel's launch bound and register split, not
    // the plain kernel's estimate.
    const WsRegisterSplit r = warpSpecializedRegisters(best);
    const int64_t ctas = best.ctasPerSM;
    d.notes.push_back(llvm::formatv(
        "{0}: {1}; {2} B shared memory of {3} B/block; warp-specialized: {4} "
        "registers/thread at entry, then {5} per consumer and {6} per producer "
        "thread; {7} CTA(s) = {8} warps per SM",
        pass, describe(best), best.smemBytes, t.smemPerBlock, r.entry, r.consumer,
        r.producer, ctas, ctas * (best.warps + kWsProducerWarps)).str());
  } else {
    d.notes.push_back(llvm::formatv(
        "{0}: {1}; {2} B shared memory of {3} B/block, {4} registers/thread, "
        "{5} CTA(s) = {6} warps per SM",
        pass, describe(best), best.smemBytes, t.smemPerBlock, best.regsPerThread,
        best.ctasPerSM, best.ctasPerSM * best.warps).str());
  }
  if (best.mma == MmaKind::Wgmma && p.backward)
    d.notes.push_back(llvm::formatv(
        "{0}: wgmma kernel for the fast path (dK, dV and atomic dQ fused){1}; {2}",
        pass, best.blockM == 128 ? ", 128-query tiles at head dim 64 (measured fastest)" : "",
        best.warpSpecialized
            ? "the deterministic path is the same kernel, its dQ reductions in key-block order"
            : "the deterministic kernels use mma.sync with the same tiles").str());
  else if (best.mma == MmaKind::Wgmma && o.any())
    d.notes.push_back(llvm::formatv("{0}: wgmma kernel within the spec's constraints", pass)
                          .str());
  else if (best.mma == MmaKind::Wgmma)
    d.notes.push_back(llvm::formatv(
        "{0}: wgmma kernel: {1} and Bc = {2} are the fastest of the planner's sm_90a measurements",
        pass,
        p.elemBytes == 1 ? "fp8 inputs: one consumer warpgroup (Br = 64), two "
                           "warp-specialized CTAs per SM,"
        : !fwdD64    ? "two warpgroups (Br = 128)"
        : p.bandMask ? "one consumer warpgroup (Br = 64), three warp-specialized CTAs per SM "
                       "(a band mask: short rows),"
                     : "one consumer warpgroup (Br = 64), two warp-specialized CTAs per SM,",
        !fwdD64 && best.blockN < 128
            ? llvm::formatv("{0} (the widest whose O, S and P fit the registers)", best.blockN).str()
            : std::to_string(best.blockN)).str());
  else
    d.notes.push_back(llvm::formatv(
        "{0}: reuse per loaded tile 2/(1/Br+1/Bc) = {1:F1} is the highest that "
        "fits{2}", pass, reuse(best),
        o.any() ? " the user's constraints" : "").str());
  // What stopped the next larger tiles (same warps/stages family).
  for (auto &[c, why] : rejected) {
    bool larger = (c.blockM >= best.blockM && c.blockN >= best.blockN) &&
                  (c.blockM > best.blockM || c.blockN > best.blockN);
    if (larger && c.warps == best.warps && c.stages == best.stages &&
        c.qInRegisters == best.qInRegisters && c.mma == best.mma &&
        c.warpSpecialized == best.warpSpecialized && c.ctasPerSM == best.ctasPerSM &&
        (c.blockM == best.blockM || c.blockN == best.blockN)) {
      d.notes.push_back(llvm::formatv("{0}: {1} rejected: {2}", pass, describe(c), why).str());
    }
  }
  if (!best.qInRegisters && !p.backward && best.mma == MmaKind::Sync)
    d.notes.push_back(llvm::formatv(
        "{0}: Q fragments are re-read from shared memory each K/V step "
        "(keeping them in registers would exceed {1} registers/thread)",
        pass, t.maxRegsPerThread).str());
  return d;
}
