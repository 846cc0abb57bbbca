//===- TileLinksTest.cpp - a row's walk over the builder's links ----------===//
//
// The forward's walk over run-time tile classes (TileLinks.cuh) narrows a
// row block to the builder's bounds and steps by its next-kept links. Its
// first GPU run read one link past the row when a range or split was empty
// (session 34). Here every walk over random rows, ranges and splits must
// visit exactly the kept tiles of its range, in order, with the next row's
// links set to values that would send a stray read backwards.
//
//===----------------------------------------------------------------------===//
#include "flashgen/attention/TileLinks.cuh"

#include "gtest/gtest.h"

#include <random>
#include <vector>

using namespace flashgen;

namespace {

/// A row's links and part bounds as the builder writes them
/// (TileClasses.cuh), written out: within a part, each tile's next kept
/// tile; per part, its first kept tile and last + 1.
struct Row {
  std::vector<uint16_t> next; // this row's tiles, then the next row's (poison)
  std::vector<int32_t> parts;
};

Row build(const std::vector<bool> &kept) {
  const int tiles = int(kept.size());
  const int numParts = (tiles + kTileClassThreads - 1) / kTileClassThreads;
  Row r;
  r.next.assign(size_t(tiles) + kTileClassThreads, 0); // poison: link to tile 0
  r.parts.assign(size_t(2 * numParts), 0);
  for (int part = 0; part < numParts; ++part) {
    const int lo = part * kTileClassThreads, hi = std::min(tiles, lo + kTileClassThreads);
    int first = kNoKeptTile, end = 0;
    for (int j = lo; j < hi; ++j) {
      if (kept[size_t(j)]) {
        first = std::min(first, j);
        end = j + 1;
      }
      int n = kNoNextTile;
      for (int t = j + 1; t < hi; ++t)
        if (kept[size_t(t)]) {
          n = t;
          break;
        }
      r.next[size_t(j)] = uint16_t(n);
    }
    r.parts[size_t(2 * part)] = first;
    r.parts[size_t(2 * part + 1)] = end;
  }
  return r;
}

/// The tiles a walk over [jBegin, jEnd) visits: the first (FwdRowBlock::
/// firstTile), then the links; at most jEnd - jBegin + 1 steps.
std::vector<int> walk(const Row &r, const std::vector<bool> &kept, int jBegin, int jEnd) {
  std::vector<int> seen;
  int j = jBegin < jEnd && kept[size_t(jBegin)]
              ? jBegin
              : nextLinkedTile(r.next.data(), r.parts.data(), jBegin, jEnd);
  for (int steps = 0; j < jEnd && steps <= jEnd - jBegin; ++steps) {
    seen.push_back(j);
    j = nextLinkedTile(r.next.data(), r.parts.data(), j, jEnd);
  }
  return seen;
}

TEST(TileLinks, WalksVisitExactlyTheKeptTilesOfTheirRange) {
  std::mt19937_64 rng(34);
  for (int tiles : {1, 2, 7, 127, 128, 129, 300, 513})
    for (double density : {0.0, 0.03, 0.3, 1.0}) {
      std::vector<bool> kept(static_cast<size_t>(tiles));
      for (size_t j = 0; j < kept.size(); ++j)
        kept[j] = std::uniform_real_distribution<double>(0, 1)(rng) < density;
      const Row r = build(kept);
      int first, end;
      keptRange(r.parts.data(), int(r.parts.size() / 2), first, end);
      // The walk's range as startWalk narrows it, then as splits cut it.
      int jBegin = std::max(0, std::min(first, tiles));
      int jEnd = std::max(jBegin, std::min(tiles, end));
      std::vector<std::pair<int, int>> ranges = {{jBegin, jEnd}, {0, tiles}, {tiles, tiles}};
      for (int splits : {2, 3, 32}) {
        const int per = (jEnd - jBegin + splits - 1) / splits;
        for (int s = 0; s < splits; ++s) {
          const int b = std::min(jBegin + s * per, jEnd);
          ranges.push_back({b, std::min(b + per, jEnd)});
        }
      }
      for (int i = 0; i < 20; ++i) {
        const int a = int(rng() % uint64_t(tiles + 1)), b = int(rng() % uint64_t(tiles + 1));
        ranges.push_back({std::min(a, b), std::max(a, b)});
      }
      for (auto [b, e] : ranges) {
        std::vector<int> want;
        for (int j = b; j < e; ++j)
          if (kept[size_t(j)])
            want.push_back(j);
        ASSERT_EQ(walk(r, kept, b, e), want)
            << tiles << " tiles, density " << density << ", range [" << b << ", " << e << ")";
      }
    }
}

TEST(TileLinks, KeptRangeOverParts) {
  const int32_t parts[] = {kNoKeptTile, 0, 130, 200, kNoKeptTile, 0};
  int first, end;
  keptRange(parts, 3, first, end);
  EXPECT_EQ(first, 130);
  EXPECT_EQ(end, 200);
  const int32_t none[] = {kNoKeptTile, 0};
  keptRange(none, 1, first, end);
  EXPECT_EQ(first, kNoKeptTile);
  EXPECT_EQ(end, 0);
}

} // namespace
