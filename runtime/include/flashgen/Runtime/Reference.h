//===- Reference.h - float64 CPU reference attention ------------*- C++ -*-===//
//
// The naive formula, in double precision, for any variant: scores from
// Q K^T, the spec's own score modifier and mask (evaluated from the attn IR
// by MaskEval's concrete evaluator, so the reference and the kernel read the
// same definition), softmax, dropout replayed with the kernel's Philox
// stream, then P V. Rows with nothing to attend give O = 0, lse = +inf.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_REFERENCE_H
#define FLASHGEN_RUNTIME_REFERENCE_H

#include "flashgen/Dialect/Attn/IR/AttnOps.h"
#include "flashgen/Runtime/Positions.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace flashgen::runtime {

struct HostTensor {
  std::vector<double> values; // i32 tensors hold their ints as doubles
  std::vector<int64_t> shape;
};

/// Dense problem in BSHD layout, float values already rounded to the dtype.
struct Problem {
  int batch = 1, heads = 1, kvHeads = 1, seqQ = 1, seqK = 1, dqk = 64, dv = 64;
  std::vector<float> q, k, v; // [b][s][h][d]
  std::vector<int32_t> cuSeqlensQ, cuSeqlensK; // varlen: offsets, packed rows
  std::vector<int32_t> seqUsedK; // per entry, keys that exist (ForwardArgs::seqUsedK); empty: all
  uint64_t seed = 0, offset = 0;
  std::map<std::string, HostTensor> tensors;
  Positions positions; // the mask and score modifier see these (Positions.h)
};

struct ReferenceResult {
  std::vector<double> o;   // [b][s][h][dv] (varlen: [total][h][dv])
  std::vector<double> lse; // [b][h][s]      (varlen: [h][total])
};

ReferenceResult referenceForward(attn::VariantOp variant, const Problem &p,
                                 unsigned threads = 0);

struct ReferenceGrads {
  std::vector<double> dq; // like q: [b][s][h][dqk] (varlen: [total][h][dqk])
  std::vector<double> dk; // like k (kvHeads heads)
  std::vector<double> dv; // like v
};

/// Gradients of sum(O * dO) by the chain rule on the naive formula, in
/// double: dV = dropout(P)^T dO, dP = dropout(dO V^T), dS = P (dP - D),
/// D = rowsum(P dP), dx = dS f'(x) with f' the score modifier's derivative
/// by central differences of the IR evaluator (independent of codegen's
/// symbolic derivative), dQ = scale dx K, dK = scale dx^T Q. GQA sums dK/dV
/// over each group's query heads.
ReferenceGrads referenceBackward(attn::VariantOp variant, const Problem &p,
                                 const std::vector<float> &dO, unsigned threads = 0);

/// Tile classes, with the values of the kernels' TileClassCode
/// (OnlineSoftmax.cuh).
constexpr uint8_t kReferenceTileEmpty = 0, kReferenceTileFull = 1, kReferenceTilePartial = 2;

/// Every tile's class from the mask as referenceForward applies it (the
/// spec's mask and sparsity pattern), element by element: Empty if no
/// element inside entry b's sequences is kept, Full if every one is, else
/// Partial. Tiles of `rows` query rows x `keys` keys, laid out as the
/// tile-class builder writes them (TileClasses.cuh):
/// [((b * headSlots + h) * rowBlocks + rowBlock) * tiles + tile] with
/// rowBlocks and tiles over p.seqQ and p.seqK; headSlots 1 (a mask that
/// does not read the head: head 0 stands for all) or p.heads. The builder
/// may say Partial where this says Empty or Full (intervals are
/// conservative), never the reverse.
std::vector<uint8_t> referenceTileClasses(attn::VariantOp variant, const Problem &p, int rows,
                                          int keys, int headSlots, unsigned threads = 0);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_REFERENCE_H
