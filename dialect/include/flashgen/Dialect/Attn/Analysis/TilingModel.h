//===- TilingModel.h - tile sizes from the SRAM and register budget -*- C++ -*-===//
//
// The decision FlashAttention makes by hand: how many query rows (Br) and
// key columns (Bc) a thread block holds, with how many warps and cp.async
// pipeline stages, and whether Q's MMA fragments stay in registers.
//
// Forward (one CTA = Br query rows, streaming K/V tiles of Bc rows):
//   smem  = Br*dqk*e (Q)  +  stages * Bc*(dqk + dv)*e (K and V)
//   regs  = Br*dv/T (O acc, fp32) + Br*Bc/T (S, fp32) + Br*Bc/(2T) (P, 16-bit)
//           [+ Br*dqk/(2T) (Q fragments)] + overhead,   T = 32 * warps
// Backward (two kernels of one shape: a CTA holds Bc = 16 * warps resident
// rows, 16 per warp, and streams tiles of Br rows; dK/dV: keys resident,
// Q/dO streamed; dQ: queries resident, K/V streamed):
//   smem  = Bc*(dqk + dv)*e (K, V) + stages * Br*((dqk + dv)*e + 8) (Q, dO,
//           logsumexp, D) + Bc*Br*e (dS^T, for the fused atomic-dQ kernel)
//   regs  = (dqk + dv)/2 (dK, dV rows) + Br (S^T, dP^T) + overhead; past
//           dqk + dv = 256 dK and dV come from separate passes
//           (backwardSplitsDKDV): max(dqk/2 + Br, dv/2 + Br/2)
// Head dims are padded to a multiple of 32 (MMA k-steps and 16-byte loads).
//
// On sm_90a the forward may use warpgroup MMA (wgmma) instead: each
// warpgroup of 4 warps owns 64 query rows (Br = 16 * warps), operands are
// read from 128-byte-swizzled shared memory, so head dims must be whole
// 64-column atoms (padded 64, 128, 192 or 256; the backward's wgmma kernel
// 64 or 128). Where it applies it is preferred:
// the tensor cores run it at about twice mma.sync's rate on the H100.
// smem adds 1024 B to align the tiles; registers as above without Q.
//
// Among the configurations that fit (registers <= the per-thread limit, at
// least one CTA per SM), the model prefers the most data reuse per loaded
// tile (harmonic mean of Br and Bc), then enough resident warps to hide
// latency (>= 8 per SM), then fewer warps. It records, in words, why the
// choice won and what stopped the next larger one.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_TILINGMODEL_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_TILINGMODEL_H

#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Dialect/Attn/IR/MmaKind.h"
#include "flashgen/attention/WsBudget.cuh" // shared with the kernel

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace flashgen::attn {

struct TilingProblem {
  int64_t qkHeadDim = 128, vHeadDim = 128;
  int64_t elemBytes = 2;
  bool backward = false;
  /// Dropout keeps its Philox state and keep bits live through the
  /// backward's element loop, which changes what fits in registers.
  bool dropout = false;
  /// A score modifier (softcap, biases, ...): its per-element
  /// temporaries live across the forward's unrolled element loop too.
  bool scoreMod = false;
  /// The mask is a band (causal, sliding window, ...): the kv loop of a
  /// row block is bounded, rows have fewer tiles and differ in length.
  bool bandMask = false;
  /// Keys a row keeps at most under a band bounded on both sides (a
  /// sliding window: upper - lower + 1); 0 when a side is open (causal),
  /// where rows grow with the sequence.
  int64_t bandWidth = 0;
  /// Which tiles are empty is known only at run time (a band conjoined
  /// with more, lookups deciding tiles, a run-time block map): rows may
  /// keep few tiles of many, as documents do, so long sequences do not
  /// mean long rows.
  bool runtimeSparse = false;
  /// ... yet every row keeps at least a causal row's keys (a disjunction
  /// with a causal band, as prefix-LM's): long sequences mean long rows.
  bool keepsCausalBand = false;
  /// Mask lookups the warp-specialized kernel stages in shared memory
  /// (StagedColumns.h): the forward's of one value per key, per kv tile;
  /// the backward's of one value per query row, per streamed Q tile.
  int64_t stagedLookups = 0;
};

struct TileConfig {
  int64_t blockM = 0, blockN = 0, warps = 0, stages = 0;
  bool qInRegisters = false;
  MmaKind mma = MmaKind::Sync;
  /// The kernel family: the warp-specialized wgmma kernel (a producer
  /// warpgroup beside `warps` consumer warps: FwdKernelSm90Ws.cuh, and for
  /// the backward's fused kernel BwdKernelSm90Ws.cuh) instead of the plain
  /// one. Its ctasPerSM is then a decision, not
  /// an estimate: the launch bound, which fixes the register split
  /// (warpSpecializedRegisters).
  bool warpSpecialized = false;
  // Derived by estimateTile() (ctasPerSM: chosen, for warp-specialized):
  int64_t smemBytes = 0, regsPerThread = 0, ctasPerSM = 0;
};

/// Fields the user fixed (0: free).
struct TileOverride {
  int64_t blockM = 0, blockN = 0, warps = 0, stages = 0;
  MmaKind mma = MmaKind::Free;
  /// 0: free, 1: the warp-specialized kernel, -1: the plain one.
  int64_t warpSpecialized = 0;
  /// CTAs per SM (the warp-specialized kernel's launch bound).
  int64_t ctasPerSM = 0;
  bool any() const {
    return blockM || blockN || warps || stages || mma != MmaKind::Free || warpSpecialized ||
           ctasPerSM;
  }
};

struct TilingDecision {
  TileConfig config;
  std::vector<std::string> notes; // why, in words, for `flashgen explain`
};

/// Head dim as laid out in shared memory.
int64_t paddedHeadDim(int64_t d);

/// Why the forward cannot use wgmma for `p` on `t`, or "" if it can.
std::string whyNoWgmma(const TilingProblem &p, const GpuTarget &t);

/// The warp-specialized forward's producer: one warpgroup beside the
/// tiling's warps (WsBudget.cuh, which the kernel includes too).
constexpr int64_t kWsProducerWarps = flashgen::kWsProducerWarps;

/// Registers per thread of a warp-specialized kernel at c.ctasPerSM CTAs
/// per SM (its __launch_bounds__, which setmaxnreg needs: the forward's
/// kCtasPerSM, the backward's 1): at entry (the launch bound's cap),
/// and after setmaxnreg for the producer and the consumers, by WsBudget.cuh's
/// formulas (the kernel's; the generated code asserts they agree).
struct WsRegisterSplit {
  int64_t entry = 0, producer = 0, consumer = 0;
};
WsRegisterSplit warpSpecializedRegisters(const TileConfig &c);

/// The tiling the planner would have picked for `c`'s shape before the
/// tuner could choose the kernel family: whether it is warp-specialized and
/// at how many CTAs per SM (0 for the plain kernel).
int64_t plannedWarpSpecializedCtas(const TilingProblem &p, const TileConfig &c);

/// Whether the backward computes dK and dV in separate passes (large head
/// dims: full rows of both would not fit in registers).
bool backwardSplitsDKDV(const TilingProblem &p);

/// Whether the backward tiling `c` has the fast fused kernel (dQ summed
/// with atomics; BwdConfig::kAtomicDQ is the kernels' twin): dK and dV in
/// one pass, streamed tiles of a multiple of 32 rows, and the Br x dqk block
/// of dQ splitting evenly over the warps in pairs of 8-column tiles.
bool backwardHasAtomicDQ(const TilingProblem &p, const TileConfig &c);

/// Whether the backward's fast path is the wide wgmma kernel
/// (BwdKernelSm90Wide.cuh): head dims past 128 (WsBudget.cuh's
/// bwdWideHeadDims), 16-bit inputs, a variant planned for sm_90a (its
/// forward on wgmma: what the IR records of the target the planner
/// resolved). Its shape is fixed (64 keys shared by two consumer
/// warpgroups that split the head dim, 64-query tiles); the backward
/// tiling then describes the separate mma.sync kernels, which stay the
/// deterministic path.
bool backwardHasWideWgmma(const TilingProblem &p, MmaKind forwardMma);

/// Fills smemBytes, regsPerThread and ctasPerSM of `c`.
TileConfig estimateTile(TileConfig c, const TilingProblem &p, const GpuTarget &t);

/// Why `c` (already estimated) cannot run, or "" if it can.
std::string whyInvalid(const TileConfig &c, const TilingProblem &p,
                       const GpuTarget &t);

/// Every tiling of the search grid that the budget model admits for `p`
/// on `t`: the auto-tuner's candidates. chooseTiling's choice (without an
/// override) is always one of them.
std::vector<TileConfig> feasibleTilings(const TilingProblem &p, const GpuTarget &t);

/// The planner's forward tiling for a launch of `seqQ` x `seqK` where the
/// tuner measured that another kernel of the warp-specialized family beats
/// its shape-free choice `c` (what chooseTiling returns without an
/// override), else nullopt; `why` (if given) says what was measured. The
/// rules follow the tuning-database buckets (sequence lengths 512, 1k, 2k,
/// ...), so one choice holds for a whole bucket.
std::optional<TileConfig> plannedForShape(const TilingProblem &p, const GpuTarget &t,
                                          const TileConfig &c, int64_t seqQ, int64_t seqK,
                                          std::string *why = nullptr);

/// Chooses a tiling, or explains why nothing fits.
llvm::Expected<TilingDecision> chooseTiling(const TilingProblem &p,
                                            const GpuTarget &t,
                                            const TileOverride &override = {});

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_TILINGMODEL_H
