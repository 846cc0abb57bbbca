//===- ForwardGrid.cpp - the forward's split of the kv tiles ---------------===//
#include "flashgen/Runtime/ForwardGrid.h"

#include "flashgen/attention/Params.cuh" // kMaxKvSplits, shared with the kernels

#include <algorithm>

int flashgen::runtime::forwardKvSplits(int64_t ctas, int64_t tiles, int64_t slots, int cap) {
  if (ctas < 1 || slots < 1 || 2 * ctas >= slots)
    return 1;
  const int64_t most =
      std::min<int64_t>({tiles / kMinTilesPerKvSplit, kMaxKvSplits, cap, slots / ctas});
  return int(std::max<int64_t>(1, most));
}
