//===- ForwardGridTest.cpp - the forward's split of the kv tiles ----------===//
#include "flashgen/Runtime/ForwardGrid.h"

#include "flashgen/attention/Params.cuh"

#include "gtest/gtest.h"

using namespace flashgen;
using namespace flashgen::runtime;

namespace {

TEST(ForwardGrid, SplitsOnlyWhereTheCtasLeaveSMsIdle) {
  // Decoding, GQA 32 query heads, batch 1: 32 CTAs; 4096 keys in 128-key
  // tiles: 4 splits fill 128 of 132 SMs.
  EXPECT_EQ(forwardKvSplits(32, 32, 132, kMaxKvSplits), 4);
  // Batch 8: 256 CTAs already fill the GPU.
  EXPECT_EQ(forwardKvSplits(256, 32, 132, kMaxKvSplits), 1);
  // Half the slots busy or more: no split.
  EXPECT_EQ(forwardKvSplits(66, 1000, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplits(65, 1000, 132, kMaxKvSplits), 2);
  // One CTA over a long sequence: at most kMaxKvSplits parts.
  EXPECT_EQ(forwardKvSplits(1, 1000, 132, kMaxKvSplits), kMaxKvSplits);
  // Two CTAs per SM give twice the slots.
  EXPECT_EQ(forwardKvSplits(32, 64, 264, kMaxKvSplits), 8);
}

TEST(ForwardGrid, EachSplitKeepsSomeTilesAndTheCap) {
  // At least kMinTilesPerKvSplit (8) tiles per split: 2048 keys in
  // 128-key tiles split in two, 1000 keys (8 tiles) not at all.
  EXPECT_EQ(forwardKvSplits(32, 16, 132, kMaxKvSplits), 2);
  EXPECT_EQ(forwardKvSplits(32, 15, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplits(32, 8, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplits(1, 3, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplits(1, 1000, 132, 5), 5);
  // Degenerate counts: no split.
  EXPECT_EQ(forwardKvSplits(0, 1000, 132, 8), 1);
  EXPECT_EQ(forwardKvSplits(8, 1000, 0, 8), 1);
  EXPECT_EQ(forwardKvSplits(8, 0, 132, 8), 1);
}

TEST(ForwardGrid, FewRowsSplitIntoShorterParts) {
  // One query row (decoding): down to one tile per split, within one wave,
  // at most 8 splits for walks of up to 32 tiles; 1000 rows: 8 tiles per
  // split.
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 1, 4096, 132, kMaxKvSplits), 8);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 32, 4096, 132, kMaxKvSplits), 8);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 1, 4097, 132, kMaxKvSplits), 16);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 1, 32768, 132, kMaxKvSplits), 16);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 1, 4096, 132, 4), 4);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 1, 1024, 132, kMaxKvSplits), 8);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 8, 1, 33, 4096, 132, kMaxKvSplits), 4);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 1, 1, 1000, 1000, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 1, 1, 1, 100, 132, kMaxKvSplits), 1);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 1, 1, 1, 511, 132, kMaxKvSplits), 4);
  EXPECT_EQ(forwardKvSplitsOf(64, 128, 1, 1, 1, 1, 1024, 132, kMaxKvSplits), 8);
}

TEST(ForwardGrid, PacksWhereTheCostModelExpectsItFaster) {
  // GPU times on the H200 (call 5 of bench/results/2026-11-30-h200-s19.md),
  // GQA 32/8, batch 1: 4096 keys, 8 x 8 packed CTAs vs 32 x 4 (16.9 vs
  // 23.7 us); 1024 keys, 8 x 8 vs 32 x 4 (11.3 vs 13.2 us).
  EXPECT_TRUE(packingIsFaster(64, 128, 4, 132));
  // 8192 keys: 8 x 16 vs 32 x 4 (20.5 vs 30+ us unpacked in session 18).
  EXPECT_TRUE(packingIsFaster(128, 128, 4, 132));
  // Batch 8, GQA 64/8, 1024 keys: 64 packed CTAs vs 512 (session 18: 0.0285
  // vs 0.0464 ms).
  EXPECT_TRUE(packingIsFaster(64, 512, 8, 132));
  // Too few packed CTAs to fill the GPU: 2 tiles of keys, 8 x 2 vs 32 x 2.
  EXPECT_FALSE(packingIsFaster(16, 64, 4, 132));
  // No group or no CTAs: nothing to gain.
  EXPECT_FALSE(packingIsFaster(8, 8, 1, 132));
  EXPECT_FALSE(packingIsFaster(0, 8, 4, 132));
}

} // namespace
