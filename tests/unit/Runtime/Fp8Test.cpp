//===- Fp8Test.cpp - the host's fp8 e4m3 conversions ----------------------===//
#include "flashgen/Runtime/Check.h"

#include "flashgen/attention/FwdFp8.cuh"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace flashgen::runtime;

TEST(Fp8, EveryFiniteCodeRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7f) == 0x7f) {
      EXPECT_TRUE(std::isnan(fromE4M3(uint8_t(b)))) << b;
      continue;
    }
    const float x = fromE4M3(uint8_t(b));
    // -0 and +0 are both zero; every other code is its own value.
    EXPECT_EQ(toE4M3(x), b == 0x80 ? 0x80 : b) << b << " " << x;
  }
}

TEST(Fp8, KnownValues) {
  EXPECT_EQ(fromE4M3(0x38), 1.f);      // exponent 7 = bias
  EXPECT_EQ(fromE4M3(0x7e), 448.f);    // the largest finite
  EXPECT_EQ(fromE4M3(0x01), 0x1p-9f);  // the smallest subnormal
  EXPECT_EQ(fromE4M3(0x08), 0x1p-6f);  // the smallest normal
  EXPECT_EQ(fromE4M3(0xb8), -1.f);
  EXPECT_EQ(fromE4M3(0x3c), 1.5f);     // the timing runs' fill byte
}

TEST(Fp8, RoundsToNearestEvenAndSaturates) {
  // Between 1 (0x38) and 1.125 (0x39): below, above and at the midpoint
  // (ties to the even code, 0x38).
  EXPECT_EQ(toE4M3(1.05f), 0x38);
  EXPECT_EQ(toE4M3(1.07f), 0x39);
  EXPECT_EQ(toE4M3(1.0625f), 0x38);
  EXPECT_EQ(toE4M3(1.1875f), 0x3a); // between 0x39 and 0x3a: the even one
  EXPECT_EQ(toE4M3(1e6f), 0x7e);
  EXPECT_EQ(toE4M3(-1e6f), 0xfe);
  EXPECT_EQ(toE4M3(std::nanf("")), 0x7f);
  EXPECT_EQ(toE4M3(0x1p-11f), 0x00); // under half the smallest subnormal
  EXPECT_EQ(toE4M3(0x1p-10f * 1.01f), 0x01);
}

TEST(Fp8, KeyPermutationIsOneToOneWithinSixteen) {
  // P's register order and V^T's columns (FwdFp8.cuh): a bijection of each
  // 16 keys onto themselves.
  for (int base : {0, 16, 4096}) {
    std::set<int> keys;
    for (int k = base; k < base + 16; ++k) {
      const int key = flashgen::fp8KeyAtPosition(k);
      EXPECT_GE(key, base);
      EXPECT_LT(key, base + 16);
      keys.insert(key);
    }
    EXPECT_EQ(keys.size(), 16u);
  }
  // Thread t's bytes 4t .. 4t + 3 hold its accumulator columns 2t, 2t + 1,
  // 8 + 2t, 9 + 2t.
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(flashgen::fp8KeyAtPosition(4 * t + 0), 2 * t);
    EXPECT_EQ(flashgen::fp8KeyAtPosition(4 * t + 1), 2 * t + 1);
    EXPECT_EQ(flashgen::fp8KeyAtPosition(4 * t + 2), 8 + 2 * t);
    EXPECT_EQ(flashgen::fp8KeyAtPosition(4 * t + 3), 9 + 2 * t);
  }
}
