//===- DropoutTest.cpp - the Philox dropout stream, statistically --------===//
//
// The kernels and the CPU reference call the same dropoutKeep() (Philox.cuh
// is host/device). Here, on the CPU: the keep rate is 1 - p within 5
// standard deviations over 2^20 elements for several p, neighbouring
// elements are uncorrelated, and different seeds, offsets and heads give
// different masks. (That the GPU replays exactly this stream in forward and
// backward is tested against the reference in tests/gpu.)
//
//===----------------------------------------------------------------------===//
#include "flashgen/attention/Philox.cuh"

#include "gtest/gtest.h"

#include <cmath>

using namespace flashgen;

namespace {

TEST(Dropout, KeepRateMatchesProbability) {
  const int rows = 1024, cols = 1024;
  for (float p : {0.1f, 0.25f, 0.5f, 0.9f}) {
    double kept = 0;
    for (int q = 0; q < rows; ++q)
      for (int k = 0; k < cols; ++k)
        kept += dropoutKeep(12345, 77, 3, q, k, p);
    double n = double(rows) * cols, expect = (1.0 - p) * n;
    double sigma = std::sqrt(n * p * (1.0 - p));
    EXPECT_LT(std::fabs(kept - expect), 5 * sigma) << "p=" << p << " kept " << kept / n;
  }
}

TEST(Dropout, NeighboursAreUncorrelated) {
  // Correlation of keep(q, k) with keep(q, k+1) and keep(q+1, k).
  const int n = 512;
  const float p = 0.5f;
  double sxy = 0, sxz = 0, sx = 0;
  for (int q = 0; q < n; ++q)
    for (int k = 0; k < n; ++k) {
      double x = dropoutKeep(9, 0, 0, q, k, p) ? 1 : -1;
      sx += x;
      sxy += x * (dropoutKeep(9, 0, 0, q, k + 1, p) ? 1 : -1);
      sxz += x * (dropoutKeep(9, 0, 0, q + 1, k, p) ? 1 : -1);
    }
  double m = double(n) * n, bound = 5 / std::sqrt(m);
  EXPECT_LT(std::fabs(sxy / m), bound);
  EXPECT_LT(std::fabs(sxz / m), bound);
  EXPECT_LT(std::fabs(sx / m), bound);
}

TEST(Dropout, SeedOffsetAndHeadChangeTheMask) {
  auto differs = [](uint64_t s1, uint64_t o1, uint64_t bh1, uint64_t s2, uint64_t o2,
                    uint64_t bh2) {
    int diff = 0;
    for (int q = 0; q < 64; ++q)
      for (int k = 0; k < 64; ++k)
        diff += dropoutKeep(s1, o1, bh1, q, k, 0.5f) != dropoutKeep(s2, o2, bh2, q, k, 0.5f);
    return diff;
  };
  EXPECT_EQ(differs(1, 0, 0, 1, 0, 0), 0); // a replay is exact
  EXPECT_GT(differs(1, 0, 0, 2, 0, 0), 1500); // about half of 4096
  EXPECT_GT(differs(1, 0, 0, 1, 1, 0), 1500);
  EXPECT_GT(differs(1, 0, 0, 1, 0, 1), 1500);
  // p = 0 keeps everything.
  for (int k = 0; k < 1000; ++k)
    EXPECT_TRUE(dropoutKeep(5, 5, 5, 0, k, 0.0f));
}

} // namespace
