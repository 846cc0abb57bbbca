//===- WideBudgetTest.cpp - the wide backward pair's fixed shapes ---------===//
//
// WsBudget.cuh decides, for each padded head-dim pair past 128, how many
// Q/dO buffers the wide dK/dV kernel gets (three run its pipelined
// consumer) and how many keys the dQ kernel's K/V tiles hold; the host
// sizes shared memory from the same functions and the kernels assert their
// layouts against them. Here: every choice fits sm_90's 227 KB, three
// buffers wherever they fit and only there, 64-key tiles likewise.
//
//===----------------------------------------------------------------------===//
#include "flashgen/attention/WsBudget.cuh"

#include "gtest/gtest.h"

namespace {

using namespace flashgen;

constexpr long long kBf16 = 2;

TEST(WideBudget, EveryPairFitsWithTheMostBuffersThatFit) {
  for (long long dqk = 64; dqk <= 256; dqk += 64)
    for (long long dv = 64; dv <= 256; dv += 64) {
      if (!bwdWideHeadDims(dqk, dv))
        continue;
      for (long long lookups = 0; lookups <= 4; ++lookups) {
        SCOPED_TRACE(testing::Message() << dqk << "/" << dv << ", " << lookups << " lookups");
        const int stages = bwdWideStages(dqk, dv, kBf16, lookups);
        ASSERT_TRUE(stages == 2 || stages == 3);
        EXPECT_LE(bwdWideSmemBytes(dqk, dv, kBf16, lookups), kSm90MaxDynamicSmem);
        EXPECT_EQ(bwdWideSmemBytes(dqk, dv, kBf16, lookups),
                  bwdWideSmemBytesAt(stages, dqk, dv, kBf16, lookups));
        const bool threeFit =
            bwdWideSmemBytesAt(3, dqk, dv, kBf16, lookups) <= kSm90MaxDynamicSmem;
        EXPECT_EQ(stages == 3, threeFit && bwdWideByGradient(dqk, dv));
        // The dQ kernel beside it.
        const int keys = bwdDqKeys(dqk, dv, kBf16);
        EXPECT_LE(bwdDqSmemBytes(dqk, dv, kBf16), kSm90MaxDynamicSmem);
        EXPECT_EQ(keys == 64, bwdDqSmemBytesAt(64, dqk, dv, kBf16) <= kSm90MaxDynamicSmem);
      }
    }
}

TEST(WideBudget, TheShapesTheNotesMeasured) {
  // MLA: three buffers (with a staged mask lookup too), 64-key dQ tiles.
  EXPECT_EQ(bwdWideStages(192, 128, kBf16, 0), 3);
  EXPECT_EQ(bwdWideStages(192, 128, kBf16, 1), 3);
  EXPECT_EQ(bwdDqKeys(192, 128, kBf16), 64);
  // 192/192 has 384 bytes to spare with three buffers: a lookup takes two.
  EXPECT_EQ(bwdWideStages(192, 192, kBf16, 0), 3);
  EXPECT_EQ(bwdWideStages(192, 192, kBf16, 1), 2);
  EXPECT_EQ(bwdDqKeys(192, 192, kBf16), 32);
  // 256/256 splits the head dim: two buffers, 32-key dQ tiles (230400 B).
  EXPECT_EQ(bwdWideStages(256, 256, kBf16, 0), 2);
  EXPECT_EQ(bwdDqKeys(256, 256, kBf16), 32);
  EXPECT_EQ(bwdDqSmemBytes(256, 256, kBf16), 230400);
  EXPECT_EQ(bwdWideSmemBytes(256, 256, kBf16, 0), 215104);
}

TEST(WideBudget, MbarriersFitTheirSpace) {
  EXPECT_EQ(kBwdWsBarrierBytes, 64); // the d64/d128 kernel's, unchanged
  for (long long stages = 1; stages <= 8; ++stages) {
    EXPECT_GE(bwdWsBarrierBytes(stages), 8 * (1 + 3 * stages)) << stages;
    EXPECT_EQ(bwdWsBarrierBytes(stages) % 64, 0) << stages;
  }
}

} // namespace
