//===- PackedLaunch.h - a forward launch with a kv head's query heads as rows -*- C++ -*-===//
//
// Decoding with GQA: each of a kv head's `group` query heads would be its
// own CTA reading the same K/V, each in a tile with seq_q live rows. The
// packed launch has kv_heads heads and group x seq_q rows (row
// r = j * seq_q + q is query head h' * group + j's row q), views of the
// same q, o and lse memory:
//   q, o: row stride = the head stride when seq_q = 1, else the row stride
//         (which then must make heads seq_q rows apart, as BHSD does);
//         head stride = group x the head stride;
//   lse [batch][heads][seq_q] is [batch][kv_heads][group x seq_q] as it is.
// The kernel is the variant rewritten by attn-pack-query-heads.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_PACKEDLAUNCH_H
#define FLASHGEN_RUNTIME_PACKEDLAUNCH_H

#include "flashgen/Codegen/KernelSpec.h"
#include "flashgen/Runtime/Runtime.h"

#include <optional>
#include <string>

namespace flashgen::runtime {

/// Most packed rows (group x seq_q): one row block of the forward's tiles,
/// so a kv head's K/V are read once.
constexpr int kMaxPackedRows = 128;

/// Why a variant (dropout, varlen, block sparsity) cannot pack `group`
/// query heads of `seqQ` rows each, or "" where it can: the launch's rule
/// (packedLaunchOf) and `explain`'s.
std::string whyNotPackable(bool dropout, bool varlen, bool sparse, int64_t group,
                           int64_t seqQ);

struct PackedLaunch {
  PackedQueryHeads pack;
  ForwardArgs args; // the packed launch's arguments
};

/// The packed launch of `a` on a forward of `spec` with `kvHeads` kv heads,
/// or nullopt where packing does not apply: no GQA group, more than
/// kMaxPackedRows rows, varlen, dropout, block sparsity, a launch placed
/// in a larger problem (positions), or q/o strides no single row stride
/// can describe.
std::optional<PackedLaunch> packedLaunchOf(const codegen::KernelSpec &spec, const ForwardArgs &a,
                                           int kvHeads);

/// When launches pack GQA query heads: $FLASHGEN_PACK_GQA ("0": never,
/// "1": where faster, "always") if set, else JitOptions::packGqa.
PackGqa packGqaFromEnvironment(PackGqa option);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_PACKEDLAUNCH_H
