//===- Check.h - run a kernel on random inputs, compare with float64 -===//
//
// What `flashgen run` and the GPU tests do: draw fresh random inputs (and
// plausible values for every named tensor), poison the outputs with NaN,
// launch, and compare O and logsumexp with the float64 CPU reference
// (Reference.h). Optionally times the kernel (CUDA events, median).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_CHECK_H
#define FLASHGEN_RUNTIME_CHECK_H

#include "flashgen/Runtime/Runtime.h"

#include <array>
#include <string>

namespace flashgen::runtime {

/// bf16 bits of `f`, rounded to nearest even (NaN: the canonical quiet
/// NaN), and back: the checks' inputs and outputs, and the GPU tests'.
uint16_t toBF16(float f);
float fromBF16(uint16_t h);
/// fp8 e4m3 bits of `f`, rounded to nearest even and saturated to +-448
/// (NaN: 0x7f), and back (Fp8.cpp).
uint8_t toE4M3(float f);
float fromE4M3(uint8_t b);

struct CheckOptions {
  int batch = 0, heads = 0; // 0: the spec's heads, else 3; batch 2 (1 if heads > 4)
  int seqQ = 128, seqK = 128;
  uint64_t seed = 0;        // 0: a fresh random seed
  bool reference = true;    // compare with the CPU reference
  int timingReps = 0;       // > 0: time that many launches
  bool flushL2 = false;     // evict L2 before each timed launch
  int repeatRuns = 0;       // backward: run again this many times, compare bits
                            // (deterministic mode only: the fast path's
                            // atomics may sum dQ in another order)
  bool deterministic = false; // backward: BackwardArgs::deterministic
  /// sparsity = runtime: the share of blocks the random block map keeps.
  double blockDensity = 0.5;
  /// How q, k, v and o lie on the device (the reference is BSHD either
  /// way); BHSD for forward checks of fixed-length variants only.
  Layout layout = Layout::BSHD;
  /// Per-entry key lengths (ForwardArgs::seqUsedK, forward only): entry 1
  /// keeps every key, entry 2 none, the others a random count, and the
  /// K/V rows past them are NaN.
  bool seqUsedK = false;
  /// > 0: K and V in a paged pool of pages of this many rows, in a random
  /// order (ForwardArgs::pageTable; fixed-length BSHD forwards).
  int pageSize = 0;
  /// K and V of batch + 2 entries, the batch's read through a random
  /// index (ForwardArgs::kvBatchIndex), the others NaN.
  bool kvBatchIndex = false;
  /// fp8: per-head descale factors too (ForwardArgs::qHeadDescale...),
  /// random in [1/4, 4] per (batch entry, kv head); Q's per entry and head,
  /// K's per head only (batch stride 0), V's per entry only (head stride 0).
  bool headDescale = false;
  /// Hold the run-time tile classes the forward's builder wrote against
  /// the mask element by element (runtime::referenceTileClasses; CPU time
  /// ~ B x heads' x Nq x Nk mask evaluations): CheckReport::tileClasses*.
  bool checkTileClasses = false;
};

struct CheckReport {
  int batch = 0, heads = 0, kvHeads = 0, seqQ = 0, seqK = 0, dqk = 0, dv = 0;
  bool bf16 = true;
  bool fp8 = false;                  // fp8 e4m3 inputs (bf16 output)
  double relErr = 0, bound = 0;      // ||O - ref|| / ||ref||, and its limit
  size_t unwritten = 0, lseBad = 0;  // NaN left in O; logsumexp mismatches
  double lseWorst = 0;
  double medianMs = 0, tflops = 0;   // when timed
  int kvSplits = 1;                  // FwdParams::kvSplits of the launch
  int packedGroup = 1;               // query heads per launch row group (GQA packing)
  /// Run-time tile classes the forward built (TileClassCapture.h), when
  /// the variant has them: tiles of tileRows x tileKeys per class [empty,
  /// full, partial], over every batch entry and head slot.
  bool tileClassesBuilt = false;
  int tileRows = 0, tileKeys = 0;
  std::array<int64_t, 3> tileClasses{0, 0, 0};
  /// With CheckOptions::checkTileClasses: tiles whose built class the
  /// mask contradicts (Empty with an element kept, Full with one masked:
  /// must be 0), and tiles built Partial that the mask makes Empty or Full
  /// (allowed: the builder's intervals are conservative).
  bool tileClassesChecked = false;
  int64_t tileClassesWrong = 0, tileClassesLoose = 0;
  bool checked = false;
  bool passed() const {
    return (!checked || (unwritten == 0 && lseBad == 0 && relErr <= bound)) &&
           tileClassesWrong == 0;
  }
  std::string summary() const;
};

/// checkBackward's findings: forward first (O and logsumexp feed the
/// backward), then dQ, dK, dV against referenceBackward: ||x - ref|| /
/// ||ref||; a gradient that vanishes (RMS < 1e-3, e.g. dQ and dK with a
/// single key) is judged by RMS(x - ref) / 0.5 instead.
struct BwdCheckReport {
  CheckReport forward;
  double errDQ = 0, errDK = 0, errDV = 0, bound = 0;
  size_t unwritten = 0;      // NaN left in dQ, dK or dV
  bool atomicDQ = false;     // the fast path ran, dQ summed with atomics
  /// The fast path ran with dQ from its own kernel (the wide pair at head
  /// dims past 128 on sm_90a): no atomics, so its runs are compared bit for bit.
  bool ownDQKernel = false;
  bool fastPath() const { return atomicDQ || ownDQKernel; }
  int kvSplit = 1;           // CTAs per (key block, kv head): BwdParams::kvSplit
  int repeats = 0;           // extra runs compared bit for bit
  size_t bitMismatches = 0;  // elements that differed in any repeat
  double medianMs = 0, tflops = 0; // backward time (all kernels), when timed
  bool checked = false;
  bool passed() const {
    return forward.passed() && (!checked || (unwritten == 0 && errDQ <= bound &&
                                             errDK <= bound && errDV <= bound)) &&
           bitMismatches == 0;
  }
  std::string summary() const;
};

/// Relative-error bound for the output dtype (bf16 has 8 mantissa bits).
double relErrBound(bool bf16);
/// The bound for fp8 inputs: the inputs are exact (the reference sees
/// their fp8 values), but P goes through e4m3 on its way to the tensor
/// cores (3 mantissa bits: up to 2^-4 relative, RMS ~3.6%, which a random
/// V's output does not average away).
constexpr double kFp8RelErrBound = 1e-1;

llvm::Expected<CheckReport> checkForward(const Kernel &kernel, llvm::StringRef specText,
                                         const CheckOptions &options);

/// Forward, then backward with a random dO (both poisoned first), compared
/// with the float64 reference; optionally repeated (bit-identity) and timed.
llvm::Expected<BwdCheckReport> checkBackward(const Kernel &kernel, llvm::StringRef specText,
                                             const CheckOptions &options);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_CHECK_H
