//===- KernelSpec.h - a tiled variant as plain C++ values -------*- C++ -*-===//
//
// Stage 1 of codegen: everything the CUDA text needs, read off a variant
// that went through the attn pipeline (shapes recognized, tiles planned).
// Variants the kernels cannot run yet are refused here, with the reason.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CODEGEN_KERNELSPEC_H
#define FLASHGEN_CODEGEN_KERNELSPEC_H

#include "flashgen/Dialect/Attn/Analysis/TilingModel.h"
#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "llvm/Support/Error.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

namespace flashgen::codegen {

/// A named run-time tensor, in the order of FwdParams::tensors.
struct TensorInfo {
  std::string name;
  bool isFloat = false;
  std::vector<std::string> dims; // "batch", "heads", ... or a number
};

/// A lookup of the mask or score, as a checked build reports it.
struct LookupSite {
  std::string text; // "name in mask at FILE:LINE:COL" (attn::lookupSiteText)
  int tensor = -1;  // which of FwdParams::tensors it reads
};

/// Positions in KernelSpec::backwardEntries().
enum BwdEntry : int {
  kBwdPre = 0,       // D, lse2 (and zeroing of the dQ accumulator)
  kBwdDKDV = 1,      // deterministic dK/dV (dV only when split)
  kBwdDQ = 2,        // deterministic dQ
  kBwdDK = 3,        // dK, when split
  kBwdFused = 4,     // fast: dK, dV and atomic dQ
  kBwdConvertDQ = 5, // fast: dQ = scale * accumulator
  kBwdTileClasses = 6, // the run-time tile-class builder (tileClassEntry)
  kBwdConvertDKDV = 7, // split heads: dK, dV = sums of the partial planes
};

/// Threads per CTA of a kernel with tiling `t`: its warps, and a
/// warp-specialized kernel's producer warpgroup (WsBudget.cuh).
inline int64_t threadsOf(const attn::TileConfig &t) {
  return t.warpSpecialized ? flashgen::wsThreads(int(t.warps)) : 32 * t.warps;
}

struct KernelSpec {
  std::string variant;  // the attn.variant's name
  std::string entry;    // extern "C" kernel name
  bool bf16 = true; // the output's type (and the inputs' unless fp8)
  /// fp8 e4m3 inputs, bf16 output (FwdFp8.cuh): the warp-specialized sm_90a
  /// forward, V transposed by the module's fp8TransposeEntry first (a
  /// prefill; a decoding launch's kernel transposes V itself).
  bool fp8 = false;
  std::string fp8TransposeEntry;
  /// Bytes per element of Q, K and V (O is 16-bit either way).
  int inputBytes() const { return fp8 ? 1 : 2; }
  int64_t headDimQK = 0, headDimV = 0;     // as in the spec
  int64_t paddedQK = 0, paddedV = 0;       // as laid out in shared memory
  attn::TileConfig tiles;                   // forward tiling
  /// The wgmma forward with a producer warpgroup and consumer turns
  /// (FwdKernelSm90Ws.cuh, tiles.warpSpecialized): a producer warpgroup
  /// more than the tiling's warps, tiles.ctasPerSM its launch bound.
  int64_t fwdThreads() const { return threadsOf(tiles); }
  /// Backward tiling, when planned: warps * 16 resident rows per CTA,
  /// blockM streamed rows per step (blockN == 16 * warps).
  std::optional<attn::TileConfig> bwdTiles;
  /// The separate kernels (no atomics): dK/dV, dQ. Empty for a
  /// warp-specialized fused tiling, whose fused kernel is also the
  /// deterministic path (dQ added in key-block order). bwdDKEntry is set
  /// when dK and dV come from separate passes (large head dims);
  /// bwdDKDVEntry then computes dV only.
  std::string bwdPreEntry, bwdDKDVEntry, bwdDKEntry, bwdDQEntry;
  /// The fast path (dQ summed with atomics), when the tiling allows it:
  /// the fused dK/dV/dQ kernel and the dQ conversion.
  std::string bwdFusedEntry, bwdConvertDQEntry;
  /// dK and dV from the partial planes when the kv-major kernels split a
  /// kv head's query heads over CTAs (BwdParams::kvSplit); every backward
  /// module has it.
  std::string bwdConvertDKDVEntry;
  /// The fused kernel is the wide wgmma backward (BwdKernelSm90Wide.cuh:
  /// padded head dims past 128 on sm_90a, WsBudget.cuh's bwdWideHeadDims):
  /// dK and dV only, dQ from the q-major wgmma kernel in bwdDQEntry
  /// (BwdDqKernelSm90.cuh). Its shared memory (WsBudget.cuh's
  /// bwdWideSmemBytes), else 0.
  int64_t bwdWideSmemBytes = 0;
  bool bwdWide() const { return bwdWideSmemBytes > 0; }
  /// The fused kernel is also the deterministic path: the warp-specialized
  /// one (dQ added in key-block order, BwdParams::dqOrder) and the wide one
  /// (no atomics at all).
  bool fusedIsDeterministic() const {
    return !bwdFusedEntry.empty() && bwdTiles && (bwdTiles->warpSpecialized || bwdWide());
  }
  /// The dQ kernel's rows per CTA, threads and shared memory: the q-major
  /// wgmma kernel beside the wide one, else the mma.sync kernel of bwdTiles.
  int64_t bwdDQRows() const { return bwdWide() ? flashgen::kBwdDqRows : 16 * bwdTiles->warps; }
  int64_t bwdDQThreads() const { return 32 * (bwdDQRows() / 16); } // 16 rows per warp
  int64_t bwdDQSmemBytes() const {
    return bwdWide() ? flashgen::bwdDqSmemBytes(paddedQK, paddedV, inputBytes())
                     : bwdTiles->smemBytes;
  }
  /// Every backward entry, at the positions of BwdEntry ("" when absent).
  std::vector<std::string> backwardEntries() const {
    return {bwdPreEntry,   bwdDKDVEntry,      bwdDQEntry,     bwdDKEntry,
            bwdFusedEntry, bwdConvertDQEntry, tileClassEntry, bwdConvertDKDVEntry};
  }
  /// The backward module's NVRTC programs, per BwdEntry position: unit 0
  /// holds the light entries (preprocessing, the conversions, the
  /// tile-class builder), each heavy kernel (dK/dV, dK, dQ, fused) a unit
  /// of its own, so the runtime compiles them side by side (one NVRTC
  /// program per unit, -DFLASHGEN_COMPILE_UNIT=n; EmitCuda guards each
  /// entry). -1 where the entry is absent.
  std::vector<int> backwardCompileUnits() const {
    std::vector<std::string> names = backwardEntries();
    std::vector<int> units(names.size(), -1);
    int next = 1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty())
        continue;
      const bool heavy = i == kBwdDKDV || i == kBwdDQ || i == kBwdDK || i == kBwdFused;
      units[i] = heavy ? next++ : 0;
    }
    return units;
  }
  int backwardCompileUnitCount() const {
    std::vector<int> u = backwardCompileUnits();
    return u.empty() ? 0 : 1 + *std::max_element(u.begin(), u.end());
  }
  /// The backward's run-time tile classes are built on a square grid of
  /// this many rows and keys, which divides both of its tile shapes: the
  /// dK/dV walk's (streamed query tiles x resident keys) and the dQ
  /// kernel's (resident queries x streamed key tiles); a tile's class
  /// combines the cells it covers (TileClasses.cuh: builtTileClass).
  /// Threads of the fused backward entry: with warp specialization the
  /// producer warpgroup beside the consumers (BwdKernelSm90Ws.cuh).
  int64_t bwdFusedThreads() const {
    return bwdWide() ? flashgen::wsThreads(flashgen::kBwdWideConsumerWarps)
                     : threadsOf(*bwdTiles);
  }
  /// Resident keys per CTA of the fused kernel and of the separate ones.
  int64_t bwdResidentRows(bool fused) const {
    return fused && bwdWide() ? flashgen::kBwdWideResident : 16 * bwdTiles->warps;
  }
  int64_t bwdTileClassBlock() const {
    const int64_t g = std::gcd(bwdTiles->blockM, 16 * bwdTiles->warps);
    return bwdWide() ? std::gcd(g, int64_t(flashgen::kBwdWideResident)) : g;
  }
  bool varlen = false, hasMask = false, hasScoreMod = false, hasDropout = false;
  double scale = 0, dropout = 0;
  /// The mask's diagonal band, if recognized: bounds the kv loop.
  bool band = false, bottomRight = false;
  std::optional<int64_t> bandLower, bandUpper;
  std::vector<TensorInfo> tensors;
  /// Every lookup, at the number a checked build reports it by
  /// (attn::lookupSites).
  std::vector<LookupSite> lookupSites;
  /// A checked build (JitOptions::checkLookups): a lookup index clamped at
  /// an element inside seq_q x seq_k is reported (FwdParams::lookupReport),
  /// and a run-time tile class whose lookups leave their tensor is partial,
  /// so that the kernel evaluates those elements one by one.
  bool checkLookups = false;
  attn::SparsityAttr sparsity; // null when dense
  int64_t kvHeadsRatio = 0;    // heads / kv_heads when both are in the spec
  /// Tile classes built at run time by tileClassEntry (TileClasses.cuh;
  /// empty: none), in the forward module on the forward's tiles and in the
  /// backward module on bwdTileClassBlock() cells; per query head when
  /// maskUsesHead, else once per batch entry.
  std::string tileClassEntry;
  bool maskUsesHead = false;
  bool runtimeTileClasses() const { return !tileClassEntry.empty(); }
  /// The forward module's entries: the forward, then the builder if any.
  /// With fp8 inputs the V transposition last (forwardEntries().back()).
  /// One NVRTC program (unlike the backward's units): every module costs a
  /// new process ~0.5 ms to load on a disk hit, while compiling the builder
  /// beside the forward saved no cold time measurable on the H200
  /// (bench/results/2026-12-01-h200-s25.md).
  std::vector<std::string> forwardEntries() const {
    std::vector<std::string> e{entry};
    if (!tileClassEntry.empty())
      e.push_back(tileClassEntry);
    if (fp8)
      e.push_back(fp8TransposeEntry);
    return e;
  }
};

/// Reads `variant` (after buildAttnPipeline). Fails, naming the feature,
/// for what the forward kernel does not support.
llvm::Expected<KernelSpec> buildKernelSpec(attn::VariantOp variant);

} // namespace flashgen::codegen

#endif // FLASHGEN_CODEGEN_KERNELSPEC_H
