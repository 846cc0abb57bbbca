//===- PolyExp2Test.cpp - 2^x on the FMA pipe ------------------------------===//
//
// PolyExp2.cuh's exp2Poly stands in for ex2.approx on part of the
// forward's softmax: within 1e-4 relative of 2^x wherever 2^x is a normal
// float (the softmax's arguments run from -inf up to its rescale slack,
// 8), exactly 0 below 2^-125 and for -inf, NaN for NaN.
//
//===----------------------------------------------------------------------===//
#include "flashgen/PolyExp2.cuh"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

namespace {

using flashgen::exp2Poly;

TEST(PolyExp2, WithinTheBoundOfExp2OverTheSoftmaxRange) {
  double worst = 0;
  float at = 0;
  for (float x = -125.f; x <= 127.f; x += 1.f / 1024) {
    const double want = std::exp2(double(x));
    const double rel = std::fabs(double(exp2Poly(x)) - want) / want;
    if (rel > worst)
      worst = rel, at = x;
  }
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-125.f, 8.f);
  for (int i = 0; i < 1000000; ++i) {
    const float x = u(gen);
    const double want = std::exp2(double(x));
    const double rel = std::fabs(double(exp2Poly(x)) - want) / want;
    if (rel > worst)
      worst = rel, at = x;
  }
  EXPECT_LT(worst, 1e-4) << "at x = " << at;
}

TEST(PolyExp2, ZeroBelowTheNormalsAndForMaskedScores) {
  EXPECT_EQ(exp2Poly(-std::numeric_limits<float>::infinity()), 0.f);
  EXPECT_EQ(exp2Poly(-126.5f), 0.f);
  EXPECT_EQ(exp2Poly(-1000.f), 0.f);
  EXPECT_EQ(exp2Poly(-3.0e38f), 0.f);
  EXPECT_EQ(exp2Poly(-125.5f), 0.f);
  EXPECT_GT(exp2Poly(-125.f), 0.f);
  EXPECT_EQ(exp2Poly(0.f), exp2Poly(-0.f));
  EXPECT_NEAR(exp2Poly(0.f), 1.f, 1e-4);
  EXPECT_NEAR(exp2Poly(8.f), 256.f, 256e-4);
}

TEST(PolyExp2, NanStaysNan) {
  EXPECT_TRUE(std::isnan(exp2Poly(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(exp2Poly(-std::numeric_limits<float>::quiet_NaN())));
}

} // namespace
