//===- BlockClasses.h - how a spec's mask covers blocks of positions -*- C++ -*-===//
//
// Context parallelism splits one attention into blocks of (query rows, keys)
// computed on different GPUs. A block the mask makes empty need not be
// computed, nor its keys sent; a full one needs no mask. The compiler's
// interval evaluator (MaskEval.h, the one tile classification uses) decides
// it on the host from the spec alone: sound, so "empty" is never wrong,
// and masks that read run-time tensors are "partial".
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_BLOCKCLASSES_H
#define FLASHGEN_RUNTIME_BLOCKCLASSES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace flashgen {

/// Query rows [q0, q1] and keys [k0, k1] (inclusive) of a whole problem.
struct PositionBlock {
  int32_t q0, q1, k0, k1;
};

enum class BlockClass : int32_t { Empty = 0, Full = 1, Partial = 2 };

/// The class of each block under the spec `text` (one variant) for a whole
/// problem of seqQ x seqK positions, over every batch entry and head.
/// Errors: the spec's diagnostics; a block outside [0, seqQ) x [0, seqK) or
/// with q1 < q0 or k1 < k0 (named by its index).
llvm::Expected<std::vector<BlockClass>> classifyBlocks(llvm::StringRef text,
                                                       llvm::StringRef name, int32_t seqQ,
                                                       int32_t seqK,
                                                       llvm::ArrayRef<PositionBlock> blocks);

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_BLOCKCLASSES_H
