//===- MaskEval.h - evaluate mask/score regions on the host -----*- C++ -*-===//
//
// Two evaluators over the ops of an attn.variant region:
//
//  * concrete: i32 values with the device's wrap-around semantics; the CPU
//    reference of the GPU tests and the brute-force oracle of the
//    tile-classification property test use it.
//  * interval: every i32 value becomes a closed interval [lo, hi], every i1 a
//    three-valued truth (False, True, Unknown). Sound by construction: an
//    op it does not understand, a possible overflow, or a division by an
//    interval holding zero yields the top interval / Unknown.
//
// Tile classification asks the interval evaluator about the whole tile at
// once (q in [q0, q0+Br), k in [k0, k0+Bc)): True means every element is
// attended (Full), False that none is (Empty), Unknown that some may be
// (Partial).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_MASKEVAL_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_MASKEVAL_H

#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include <cstdint>
#include "llvm/ADT/DenseMap.h"

#include <functional>
#include <limits>
#include <optional>

namespace flashgen::attn {

/// Closed interval of i32 values, stored in 64 bits so sums cannot overflow.
struct Interval {
  int64_t lo = std::numeric_limits<int32_t>::min();
  int64_t hi = std::numeric_limits<int32_t>::max();

  static Interval top() { return {}; }
  static Interval point(int64_t v) { return {v, v}; }
  static Interval range(int64_t lo, int64_t hi) { return {lo, hi}; }
  bool isPoint() const { return lo == hi; }
  bool contains(int64_t v) const { return lo <= v && v <= hi; }
  bool operator==(const Interval &o) const { return lo == o.lo && hi == o.hi; }
};

enum class Tri { False, True, Unknown };

/// Ranges of the six index arguments (b, h, q, k, seq_q, seq_k).
struct IndexRanges {
  Interval b, h, q, k, seqQ, seqK;
};

/// What every index can be where the kernels evaluate a region: b and h
/// within their extents (non-negative), q and k any row or column of a tile
/// (past seq_q / seq_k at the ragged edge, never negative), lengths >= 1.
inline IndexRanges kernelIndexRanges() {
  const Interval nonNegative = Interval::range(0, std::numeric_limits<int32_t>::max());
  const Interval length = Interval::range(1, std::numeric_limits<int32_t>::max());
  return {nonNegative, nonNegative, nonNegative, nonNegative, length, length};
}

/// Three-valued result of the mask region over `ranges`.
Tri evaluateMaskInterval(VariantOp variant, const IndexRanges &ranges);

/// The interval of every i32 value of `region` (a mask or score region,
/// whose last six arguments are b, h, q, k, seq_q, seq_k) over `ranges`:
/// sound, so a value that may wrap around i32 gets the whole range. Codegen
/// uses it to prove lookup indices in range.
llvm::DenseMap<mlir::Value, Interval> evaluateRanges(mlir::Block &region,
                                                     const IndexRanges &ranges);

/// Concrete index values.
struct IndexPoint {
  int32_t b = 0, h = 0, q = 0, k = 0, seqQ = 0, seqK = 0;
};

/// Reads tensor `name` at `indices`; returns i32 or f32 bits as a double.
/// Out-of-range indices are the callback's to clamp (the kernel clamps).
using LookupFn =
    std::function<double(llvm::StringRef name, llvm::ArrayRef<int32_t> indices)>;

/// Concrete mask value, or nullopt where it is undefined (division by zero).
std::optional<bool> evaluateMask(VariantOp variant, const IndexPoint &at,
                                 const LookupFn &lookup = nullptr);

/// Concrete score modifier applied to the scaled score `score` (f32 math
/// done in double, rounded to float after each op as the device does).
std::optional<float> evaluateScore(VariantOp variant, float score,
                                   const IndexPoint &at,
                                   const LookupFn &lookup = nullptr);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_MASKEVAL_H
