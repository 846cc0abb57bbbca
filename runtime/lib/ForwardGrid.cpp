//===- ForwardGrid.cpp - the forward's split of the kv tiles ---------------===//
#include "flashgen/Runtime/ForwardGrid.h"

#include "flashgen/attention/Params.cuh" // kMaxKvSplits, shared with the kernels

#include <algorithm>

int64_t flashgen::runtime::forwardGridCtas(int64_t blockM, int64_t heads, int64_t batch,
                                          int64_t seqQ, int64_t kvSplits) {
  return (seqQ + blockM - 1) / std::max<int64_t>(1, blockM) * heads * batch * kvSplits;
}

int flashgen::runtime::forwardKvSplits(int64_t ctas, int64_t tiles, int64_t slots, int cap,
                                       int64_t minTilesPerSplit) {
  if (ctas < 1 || slots < 1 || 2 * ctas >= slots)
    return 1;
  const int64_t most = std::min<int64_t>(
      {tiles / std::max<int64_t>(1, minTilesPerSplit), kMaxKvSplits, cap, slots / ctas});
  return int(std::max<int64_t>(1, most));
}

int flashgen::runtime::forwardKvSplitsOf(int64_t blockM, int64_t blockN, int64_t ctasPerSM,
                                         int heads, int batch, int seqQ, int seqK, int numSMs,
                                         int cap) {
  if (blockM < 1 || blockN < 1 || heads < 1 || batch < 1 || seqQ < 1 || seqK < 1)
    return 1;
  const bool fewRows = 2 * int64_t(seqQ) <= blockM;
  const int64_t tiles = (seqK + blockN - 1) / blockN;
  if (fewRows && tiles <= kShortWalkTiles)
    cap = std::min(cap, kMaxKvSplitsShortWalk);
  return forwardKvSplits(forwardGridCtas(blockM, heads, batch, seqQ, 1), tiles,
                         int64_t(numSMs) * std::max<int64_t>(1, ctasPerSM), cap,
                         fewRows ? kMinTilesPerKvSplitFewRows : kMinTilesPerKvSplit);
}

bool flashgen::runtime::packingIsFaster(int64_t packedCtas, int64_t unpackedCtas, int group,
                                        int64_t slots) {
  if (packedCtas < 1 || unpackedCtas < 1 || slots < 1 || group < 2)
    return false;
  // Time ~ bytes read / the share of the slots busy.
  auto idle = [&](int64_t ctas) { return double(slots) / double(std::min(ctas, slots)); };
  return kPackingMargin * idle(packedCtas) < kUnpackedRepeatCost * group * idle(unpackedCtas);
}
