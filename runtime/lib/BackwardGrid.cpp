//===- BackwardGrid.cpp - the kv-major backward's grid and head split ------===//
#include "flashgen/Runtime/BackwardGrid.h"
#include "flashgen/Codegen/KernelSpec.h"

#include <algorithm>
#include <array>
#include <climits>
#include <functional>
#include <map>
#include <mutex>
#include <queue>

using namespace flashgen;
using namespace flashgen::runtime;

KeyBand flashgen::runtime::keyBandOf(const codegen::KernelSpec &s) {
  return KeyBand{s.band, s.bottomRight, s.bandLower, s.bandUpper};
}

std::vector<int64_t> flashgen::runtime::backwardTilesPerKeyBlock(const KeyBand &band, int seqQ,
                                                                 int seqK, int64_t blockM,
                                                                 int64_t residentRows) {
  std::vector<int64_t> tiles;
  if (seqQ < 1 || seqK < 1 || blockM < 1 || residentRows < 1)
    return tiles;
  const int64_t queryTiles = (seqQ + blockM - 1) / blockM;
  const int64_t off = band.bottomRight ? int64_t(seqK) - seqQ : 0;
  for (int64_t k0 = 0; k0 < seqK; k0 += residentRows) {
    const int64_t k1 = std::min<int64_t>(k0 + residentRows, seqK) - 1;
    int64_t begin = 0, end = queryTiles;
    if (band.band && band.upper) { // q >= k - upper - off
      const int64_t lo = k0 - *band.upper - off;
      if (lo > 0)
        begin = std::max(begin, lo / blockM);
    }
    if (band.band && band.lower) { // q <= k - lower - off
      const int64_t hi = k1 - *band.lower - off;
      end = hi < 0 ? 0 : std::min(end, hi / blockM + 1);
    }
    tiles.push_back(std::max<int64_t>(0, end - begin));
  }
  return tiles;
}

namespace {
/// When the grid's last CTA finishes: CTAs in launch order (key block
/// fastest), each started on the first slot to be free.
int64_t makespan(llvm::ArrayRef<int64_t> tilesPerKeyBlock, int64_t repeats, int64_t headsPerCta,
                 int64_t slots) {
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<int64_t>> free;
  for (int64_t i = 0; i < slots; ++i)
    free.push(0);
  int64_t end = 0;
  for (int64_t r = 0; r < repeats; ++r)
    for (int64_t t : tilesPerKeyBlock) {
      const int64_t done = free.top() + headsPerCta * t + kBwdCtaOverheadTiles;
      free.pop();
      free.push(done);
      end = std::max(end, done);
    }
  return end;
}
} // namespace

int flashgen::runtime::backwardKvSplit(int group, int64_t kvHeadsTimesBatch,
                                       llvm::ArrayRef<int64_t> tilesPerKeyBlock, int64_t slots,
                                       int cap) {
  const int64_t blocks = int64_t(tilesPerKeyBlock.size());
  if (group < 2 || cap < 2 || slots < 1 || kvHeadsTimesBatch < 1 || blocks < 1)
    return 1;
  // Past this many waves the tail is a small part of the time: no split.
  constexpr int64_t kMaxWaves = 8, kMaxSimulatedCtas = 8192;
  if (blocks * kvHeadsTimesBatch >= kMaxWaves * slots)
    return 1;
  int best = 1;
  int64_t bestEnd = makespan(tilesPerKeyBlock, kvHeadsTimesBatch, group, slots);
  for (int s = 2; s <= std::min(group, cap); ++s) {
    if (group % s != 0)
      continue;
    if (blocks * kvHeadsTimesBatch * s > kMaxSimulatedCtas)
      break;
    const int64_t end = makespan(tilesPerKeyBlock, kvHeadsTimesBatch * s, group / s, slots);
    if (end * 100 < bestEnd * 99) {
      best = s;
      bestEnd = end;
    }
  }
  return best;
}

BackwardKvGrid flashgen::runtime::backwardKvGrid(const KeyBand &band, int heads, int kvHeads,
                                                 int batch, int seqQ, int seqK, int64_t blockM,
                                                 int64_t residentRows, int64_t slots, int cap) {
  BackwardKvGrid g;
  if (kvHeads < 1 || heads % kvHeads != 0 || batch < 1 || seqQ < 1 || seqK < 1 ||
      residentRows < 1 || blockM < 1)
    return g;
  // Every backward launch asks (and its workspace size twice): the
  // simulation's few hundred microseconds are paid once per shape.
  using Key = std::array<int64_t, 13>;
  const Key key{band.band,
                band.bottomRight,
                band.lower.value_or(INT64_MIN),
                band.upper.value_or(INT64_MIN),
                heads,
                kvHeads,
                batch,
                seqQ,
                seqK,
                blockM,
                residentRows,
                slots,
                cap};
  static std::mutex mutex;
  static std::map<Key, BackwardKvGrid> memo;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = memo.find(key); it != memo.end())
      return it->second;
  }
  std::vector<int64_t> tiles = backwardTilesPerKeyBlock(band, seqQ, seqK, blockM, residentRows);
  g.keyBlocks = int64_t(tiles.size());
  g.split = backwardKvSplit(heads / kvHeads, int64_t(kvHeads) * batch, tiles, slots, cap);
  std::lock_guard<std::mutex> lock(mutex);
  if (memo.size() >= 4096)
    memo.clear(); // shapes of a long-running process, bounded
  memo.emplace(key, g);
  return g;
}
