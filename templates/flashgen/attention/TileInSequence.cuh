//===- TileInSequence.cuh - tiles whose lookups need no clamp ---*- CUDA -*-===//
//
// The backward's element loops call the variant's mask and score
// functions with kInSequence (no clamp of q and k for their lookups) on
// tiles this says are inside (the forward's clamp everywhere: one copy of
// its code); host tests check the rule.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_TILEINSEQUENCE_CUH
#define FLASHGEN_ATTENTION_TILEINSEQUENCE_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// Whether every element of a tile whose queries end before `qEnd` and
/// keys before `kEnd` lies where the variant's lookups are proven in range
/// (codegen's LookupRanges: inside both sequences, and below the other
/// sequence's length where a proof rests on that, as doc_id[b, q] of a
/// seq_k dimension does). There the mask and score functions are called
/// with kInSequence and clamp nothing.
template <class Variant>
FG_HOST_DEVICE constexpr bool tileInSequence(int qEnd, int kEnd, int seqQ, int seqK) {
  return qEnd <= seqQ && kEnd <= seqK && (!Variant::kLookupsNeedQBelowSeqK || qEnd <= seqK) &&
         (!Variant::kLookupsNeedKBelowSeqQ || kEnd <= seqQ);
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_TILEINSEQUENCE_CUH
