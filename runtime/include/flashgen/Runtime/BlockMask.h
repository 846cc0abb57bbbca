//===- BlockMask.h - run-time block masks from the BSR form -----*- C++ -*-===//
//
// `sparsity = runtime(block_size = S)` reads the named tensor block_mask
// (Sema.h's kBlockMaskTensor): i32[batch, heads, ceil(seq_q / S),
// ceil(seq_k / S)], nonzero where an S x S block is computed. It is passed
// like any named tensor (ForwardArgs::tensors; strides may be 0 to share one
// map between heads or batch entries), so the kernels, their tile-class
// builder and the float64 reference read it as any other lookup.
//
// Callers often hold block masks in BSR form instead, as FlexAttention's
// BlockMask does: per row (batch, head, query block), a count and the
// ascending indices of its kv blocks, split into partial blocks and full
// ones. expandBsr validates that form and writes the dense map. Full and
// partial blocks are both "kept": the kernel tells Full from Partial per
// tile from the spec's own mask, so a block labelled full wrongly cannot
// change a result.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_BLOCKMASK_H
#define FLASHGEN_RUNTIME_BLOCKMASK_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace flashgen {

/// A block mask in BSR form, on the host. Rows are (batch, head, query
/// block) in that order; `heads` may be 1 for one map shared by all heads.
struct BsrBlockMask {
  int batch = 1, heads = 1;
  int rowBlocks = 0; // query blocks: ceil(seq_q / block size)
  int colBlocks = 0; // kv blocks: ceil(seq_k / block size)
  /// Partial blocks: counts[row] kv block indices at indices[row * indexStride].
  const int32_t *counts = nullptr;
  const int32_t *indices = nullptr;
  int indexStride = 0; // indices per row; >= every count
  /// Full blocks, the same way; optional (null: none).
  const int32_t *fullCounts = nullptr;
  const int32_t *fullIndices = nullptr;
  int fullIndexStride = 0;
};

/// The dense block map of `bsr`: [batch][heads][rowBlocks][colBlocks], 1
/// for a kept block, else 0. Fails, naming the row (batch, head, query
/// block) and the entry, when a count is outside [0, indexStride], an index
/// outside [0, colBlocks), a row's indices not strictly ascending
/// (duplicates), or a block listed both full and partial.
llvm::Expected<std::vector<int32_t>> expandBsr(const BsrBlockMask &bsr);

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_BLOCKMASK_H
