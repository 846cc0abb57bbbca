//===- BackwardGridTest.cpp - the backward's key blocks and head split ---===//
#include "flashgen/Runtime/BackwardGrid.h"

#include "gtest/gtest.h"

#include <array>

using namespace flashgen::runtime;

namespace {

const KeyBand kDense{};
const KeyBand kCausal{true, false, std::nullopt, 0};

TEST(BackwardGrid, KeyBlocksVisitTheQueryTilesOfTheirBand) {
  // Dense: every key block visits every query tile (1000 rows: 16 tiles).
  EXPECT_EQ(backwardTilesPerKeyBlock(kDense, 1000, 1000, 64, 128),
            (std::vector<int64_t>{16, 16, 16, 16, 16, 16, 16, 16}));
  // Causal (k <= q): key block j starts at query tile 2j.
  EXPECT_EQ(backwardTilesPerKeyBlock(kCausal, 1000, 1000, 64, 128),
            (std::vector<int64_t>{16, 14, 12, 10, 8, 6, 4, 2}));
  // Bottom-right causal, 17 queries over 1000 keys: the one query tile
  // sees every key block.
  const KeyBand bottomRight{true, true, std::nullopt, 0};
  EXPECT_EQ(backwardTilesPerKeyBlock(bottomRight, 17, 1000, 64, 128), std::vector<int64_t>(8, 1));
  // Top-left causal, 1000 queries over 17 keys... and 17 queries over 1000
  // keys: key blocks past the last query see no tile.
  EXPECT_EQ(backwardTilesPerKeyBlock(kCausal, 17, 1000, 64, 128),
            (std::vector<int64_t>{1, 0, 0, 0, 0, 0, 0, 0}));
  // A window of 256 keys back (-256 <= k - q <= 0): a key block reaches
  // at most (128 + 256) / 64 + 1 query tiles ahead.
  const KeyBand window{true, false, -256, 0};
  std::vector<int64_t> w = backwardTilesPerKeyBlock(window, 4096, 4096, 64, 128);
  ASSERT_EQ(w.size(), 32u);
  EXPECT_EQ(w[0], 6);
  EXPECT_EQ(w[10], 6);
  EXPECT_EQ(w[31], 2); // the last block's window runs past the queries
  EXPECT_TRUE(backwardTilesPerKeyBlock(kDense, 0, 1000, 64, 128).empty());
}

int split(const KeyBand &band, int heads, int kvHeads, int batch, int n, int cap = 1 << 30) {
  return backwardKvGrid(band, heads, kvHeads, batch, n, n, 64, 128, 132, cap).split;
}

TEST(BackwardGrid, SplitsWhereTheGridWouldFinishFirst) {
  // Measured on the H200 (2026-11-30-h200-s16.md, call 2): MQA 16/1 d128
  // causal, B=1 N=1000: 8 CTAs; all 16 parts fastest (0.140 ms vs 0.80).
  EXPECT_EQ(split(kCausal, 16, 1, 1, 1000), 16);
  // B=4 N=2048: 64 CTAs of uneven work; 8 parts (0.675 ms; the old
  // one-wave rule's 2: 0.882).
  EXPECT_EQ(split(kCausal, 16, 1, 4, 2048), 8);
  // B=1 N=2048: 8 parts (0.283 ms; 16: 0.307, a second wave of CTAs).
  EXPECT_EQ(split(kCausal, 16, 1, 1, 2048), 8);
  // GQA 32/8 dense, B=1 N=1000: 64 CTAs, 2 parts (4 is two waves).
  EXPECT_EQ(split(kDense, 32, 8, 1, 1000), 2);
  // Dense grids of a wave or more are not split (two waves of halves
  // cost each CTA's prologue twice).
  EXPECT_EQ(split(kDense, 32, 8, 4, 2048), 1);
  EXPECT_EQ(split(kDense, 32, 8, 1, 2048), 1);
  // Causal, many waves: not split.
  EXPECT_EQ(split(kCausal, 32, 8, 16, 2048), 1);
}

TEST(BackwardGrid, SplitsAreDivisorsWithinTheCap) {
  EXPECT_EQ(split(kCausal, 16, 1, 1, 1000, 4), 4);
  EXPECT_EQ(split(kCausal, 16, 1, 1, 1000, 1), 1);
  EXPECT_EQ(split(kCausal, 12, 1, 1, 1000, 5), 4);
  for (int cap : {2, 3, 5, 7, 16})
    for (int h : {2, 6, 12, 16}) {
      const int s = split(kCausal, h, 1, 1, 1000, cap);
      EXPECT_EQ(h % s, 0) << h << " " << cap;
      EXPECT_LE(s, cap);
    }
  // No group, no GPU, or counts that form no grid: no split, no blocks.
  EXPECT_EQ(split(kCausal, 8, 8, 1, 1000), 1);
  EXPECT_EQ(backwardKvSplit(16, 1, {16, 14}, 0, 16), 1);
  EXPECT_EQ(backwardKvSplit(16, 0, {16, 14}, 132, 16), 1);
  for (auto [h, hk, b, n] : {std::array{16, 0, 1, 1000}, std::array{16, 3, 1, 1000},
                             std::array{16, 1, 0, 1000}, std::array{16, 1, 1, 0}}) {
    BackwardKvGrid g = backwardKvGrid(kDense, h, hk, b, n, n, 64, 128, 132, 16);
    EXPECT_EQ(g.keyBlocks, 0);
    EXPECT_EQ(g.split, 1);
  }
}

} // namespace
