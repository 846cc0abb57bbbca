//===- MergeTest.cpp - attention results over parts of the keys, merged --===//
#include "flashgen/attention/Merge.cuh"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <vector>

using namespace flashgen;

namespace {

TEST(Merge, WeightsComeFromTheLogsumexps) {
  float w[3];
  const float equal[2] = {1.5f, 1.5f};
  EXPECT_NEAR(mergeWeights(equal, 2, w), 1.5f + std::log(2.f), 1e-6f);
  EXPECT_FLOAT_EQ(w[0], 0.5f);
  EXPECT_FLOAT_EQ(w[1], 0.5f);
  // An empty part (-inf) weighs nothing.
  const float oneEmpty[3] = {-INFINITY, 2.f, -INFINITY};
  EXPECT_FLOAT_EQ(mergeWeights(oneEmpty, 3, w), 2.f);
  EXPECT_EQ(w[0], 0.f);
  EXPECT_FLOAT_EQ(w[1], 1.f);
  EXPECT_EQ(w[2], 0.f);
  // Far apart: no overflow, the larger part dominates.
  const float far[2] = {1000.f, -1000.f};
  EXPECT_FLOAT_EQ(mergeWeights(far, 2, w), 1000.f);
  EXPECT_FLOAT_EQ(w[0], 1.f);
  EXPECT_EQ(w[1], 0.f);
}

TEST(Merge, EveryPartEmptyIsARowWithNothingToAttend) {
  // The forward's convention: lse = +inf, O = 0.
  float w[2] = {7.f, 7.f};
  const float empty[2] = {-INFINITY, -INFINITY};
  EXPECT_EQ(mergeWeights(empty, 2, w), INFINITY);
  EXPECT_EQ(w[0], 0.f);
  EXPECT_EQ(w[1], 0.f);
  EXPECT_EQ(mergeWeights(empty, 0, w), INFINITY);
}

TEST(Merge, NaNIsNeverAnEmptyRow) {
  float w[2];
  const float nan[2] = {NAN, -INFINITY};
  EXPECT_TRUE(std::isnan(mergeWeights(nan, 2, w)));
  EXPECT_TRUE(std::isnan(w[0]));
  EXPECT_TRUE(std::isnan(w[1]));
}

TEST(Merge, PartsOfTheKeysGiveTheWholeSoftmax) {
  // Attention of one query row over 300 keys, computed whole in double
  // and as 5 uneven parts (one empty) merged by mergeWeights.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0, 3);
  const int n = 300, d = 4;
  std::vector<double> s(n), v(n * d);
  for (double &x : s)
    x = normal(rng);
  for (double &x : v)
    x = normal(rng);
  auto attend = [&](int begin, int end, float &lse, std::vector<float> &o) {
    o.assign(d, 0.f);
    if (begin == end) {
      lse = -INFINITY;
      return;
    }
    double top = -INFINITY, sum = 0;
    for (int k = begin; k < end; ++k)
      top = std::max(top, s[k]);
    std::vector<double> acc(d, 0);
    for (int k = begin; k < end; ++k) {
      const double p = std::exp(s[k] - top);
      sum += p;
      for (int c = 0; c < d; ++c)
        acc[c] += p * v[k * d + c];
    }
    for (int c = 0; c < d; ++c)
      o[c] = float(acc[c] / sum);
    lse = float(top + std::log(sum));
  };
  float lseWhole;
  std::vector<float> whole;
  attend(0, n, lseWhole, whole);
  const int cuts[] = {0, 17, 17, 150, 299, 300};
  float lse[5], w[5];
  std::vector<float> parts[5];
  for (int i = 0; i < 5; ++i)
    attend(cuts[i], cuts[i + 1], lse[i], parts[i]);
  EXPECT_NEAR(mergeWeights(lse, 5, w), lseWhole, 1e-5f);
  for (int c = 0; c < d; ++c) {
    double merged = 0;
    for (int i = 0; i < 5; ++i)
      merged += w[i] * parts[i][c];
    EXPECT_NEAR(merged, whole[c], 1e-5) << c;
  }
}

} // namespace
