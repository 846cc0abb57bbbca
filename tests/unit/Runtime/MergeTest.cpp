//===- MergeTest.cpp - attention results over parts of the keys, merged --===//
#include "flashgen/Runtime/Merge.h"
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

MergeArgs validArgs() {
  static char buf[64];
  void *p = buf + (16 - reinterpret_cast<uintptr_t>(buf) % 16) % 16;
  MergeArgs a;
  a.oA = a.oB = a.o = p;
  a.lseA = a.lseB = static_cast<const float *>(p);
  a.batch = 2, a.heads = 3, a.seq = 5, a.headDim = 64;
  return a;
}

std::string mergeError(const MergeArgs &a) {
  MergeParams p;
  llvm::Error e = buildMergeParams(a, p);
  return e ? llvm::toString(std::move(e)) : "ok";
}

TEST(Merge, ArgumentsAreCheckedByName) {
  EXPECT_EQ(mergeError(validArgs()), "ok");
  MergeArgs a = validArgs();
  a.oB = nullptr;
  EXPECT_NE(mergeError(a).find("'oB' is null"), std::string::npos);
  a = validArgs();
  a.lseA = reinterpret_cast<const float *>(static_cast<const char *>(a.oA) + 2);
  EXPECT_NE(mergeError(a).find("'lseA' must be 4-byte aligned"), std::string::npos);
  a = validArgs();
  a.seq = 0;
  EXPECT_NE(mergeError(a).find("seq=0"), std::string::npos);
  a = validArgs();
  a.headDim = 63;
  EXPECT_NE(mergeError(a).find("headDim must be even"), std::string::npos);
  a = validArgs();
  a.oStrides = Strides{1000, 65, 2};
  EXPECT_NE(mergeError(a).find("strides of 'o' must be even"), std::string::npos);
  a = validArgs();
  a.heads = 70000;
  EXPECT_NE(mergeError(a).find("at most 65535"), std::string::npos);
}

TEST(Merge, StridesFollowTheLayoutUnlessGiven) {
  MergeArgs a = validArgs();
  MergeParams p;
  ASSERT_FALSE(bool(buildMergeParams(a, p)));
  // BSHD [2][5][3][64]: batch 960, row 192, head 64.
  EXPECT_EQ(p.aStrides[0], 960);
  EXPECT_EQ(p.aStrides[1], 192);
  EXPECT_EQ(p.aStrides[2], 64);
  a.layout = Layout::BHSD; // [2][3][5][64]: batch 960, row 64, head 320
  a.bStrides = Strides{2000, 128, 640};
  ASSERT_FALSE(bool(buildMergeParams(a, p)));
  EXPECT_EQ(p.aStrides[1], 64);
  EXPECT_EQ(p.aStrides[2], 320);
  EXPECT_EQ(p.bStrides[0], 2000);
  EXPECT_EQ(p.bStrides[2], 640);
  EXPECT_EQ(p.lse, nullptr);
  EXPECT_EQ(p.seq, 5);
}

} // namespace
