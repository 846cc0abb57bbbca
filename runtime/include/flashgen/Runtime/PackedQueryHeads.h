//===- PackedQueryHeads.h - which GQA packing a kernel is built for -*- C++ -*-===//
//
// GQA packing for decoding (attn-pack-query-heads): a kv head's query
// heads become the rows of one launch, so its K/V are read once instead of
// once per query head. The runtime JITs a packed kernel per (group,
// heads, single query) and launches it through strided views of q, o and
// lse (PackedLaunch.h).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_PACKEDQUERYHEADS_H
#define FLASHGEN_RUNTIME_PACKEDQUERYHEADS_H

#include <string>

namespace flashgen {

/// When forward launches pack GQA query heads (JitOptions::packGqa).
enum class PackGqa {
  Never,
  WhereFaster, // packable, and expected faster (ForwardGrid.h: packingIsFaster)
  Always,      // wherever packable (tests, measurements)
};

struct PackedQueryHeads {
  int group = 0;            // query heads per kv head; 0: not packed
  int heads = 0;            // the launch's query heads
  bool singleQuery = false; // one query row per head (rows are heads)

  explicit operator bool() const { return group > 1; }
  /// What the JIT's cache keys add for a packed kernel ("" unpacked).
  std::string key() const {
    return group > 1 ? "-packed" + std::to_string(group) + "x" + std::to_string(heads) +
                           (singleQuery ? "s" : "r")
                     : std::string();
  }
};

} // namespace flashgen

#endif // FLASHGEN_RUNTIME_PACKEDQUERYHEADS_H
