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

TEST(ForwardGrid, PacksWhereThePackedGridKeepsTheSMsBusy) {
  // Batch 1, GQA 32/8, 4096 keys: packed 8 CTAs x 4 splits vs 32 x 4.
  EXPECT_FALSE(packedGridKeepsSMsBusy(32, 128, 132));
  // 32768 keys: packed 8 x 16 splits fill the GPU.
  EXPECT_TRUE(packedGridKeepsSMsBusy(128, 128, 132));
  // Batch 8, 4096 keys: 64 x 2 splits packed, 256 unpacked.
  EXPECT_TRUE(packedGridKeepsSMsBusy(128, 256, 132));
  // Few CTAs either way: packing reads K/V once, so it stays.
  EXPECT_TRUE(packedGridKeepsSMsBusy(8, 8, 132));
}

} // namespace
