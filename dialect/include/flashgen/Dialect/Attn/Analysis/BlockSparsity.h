//===- BlockSparsity.h - which sparse blocks a pattern keeps ----*- C++ -*-===//
//
// The block patterns of #attn.sparsity, evaluated on the host: for tile
// classification (a kernel tile is skipped when every sparse block it
// overlaps is dropped), the IO cost model and the CPU reference. A
// `runtime` pattern is unknown until launch: every block may be kept.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_BLOCKSPARSITY_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_BLOCKSPARSITY_H

#include "flashgen/Dialect/Attn/IR/AttnDialect.h"

namespace flashgen::attn {

class BlockSparsity {
public:
  explicit BlockSparsity(SparsityAttr attr) : attr(attr) {}

  /// Is sparse block (i, j) computed? Runtime patterns: true (unknown).
  bool blockKept(int64_t i, int64_t j) const;
  bool isRuntime() const { return attr.getKind() == SparsityKind::runtime; }
  int64_t blockSize() const { return attr.getBlockSize(); }

  /// Element (q, k) lies in a kept block.
  bool elementComputed(int64_t q, int64_t k) const {
    return blockKept(q / blockSize(), k / blockSize());
  }
  /// Some element of rows [q0, q1] x cols [k0, k1] may be computed.
  bool tileMayBeComputed(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;
  /// Every element of the tile is in a kept block (false for runtime).
  bool tileFullyComputed(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;

private:
  SparsityAttr attr;
};

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_BLOCKSPARSITY_H
