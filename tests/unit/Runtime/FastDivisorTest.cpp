//===- FastDivisorTest.cpp - division by a run-time invariant divisor -----===//
//
// FastDivisor.cuh replaces `/` and `%` in the kernels' item walks by a
// multiply-high and a shift: it must agree with `/` for every numerator in
// [0, 2^31) and divisor in [1, 2^31). Checked exhaustively for small
// divisors and numerators, at every power of two and its neighbours, and
// on random pairs over the whole range.
//
//===----------------------------------------------------------------------===//
#include "flashgen/FastDivisor.cuh"

#include "gtest/gtest.h"

#include <random>
#include <vector>

namespace {

using flashgen::FastDivisor;

void expectExact(const FastDivisor &f, int d, int n) {
  const int q = f.quotient(n);
  ASSERT_EQ(q, n / d) << "n = " << n << ", d = " << d;
  ASSERT_EQ(f.remainder(n, q), n % d) << "n = " << n << ", d = " << d;
}

/// Numerators where a rounding error would show: small ones, multiples of
/// the divisor and their neighbours, and the top of the range.
std::vector<int> edgeNumerators(int d) {
  std::vector<int> ns;
  for (int n = 0; n < 4096; ++n)
    ns.push_back(n);
  for (long long k : {1LL, 2LL, 3LL, 1000LL, (1LL << 31) / d - 1, (1LL << 31) / d})
    for (long long delta : {-1LL, 0LL, 1LL}) {
      const long long n = k * d + delta;
      if (n >= 0 && n < (1LL << 31))
        ns.push_back(int(n));
    }
  for (int top = 0x7fffffff, i = 0; i < 64; ++i)
    ns.push_back(top - i);
  return ns;
}

TEST(FastDivisor, SmallDivisorsExhaustively) {
  for (int d = 1; d <= 1024; ++d) {
    const FastDivisor f(d);
    for (int n : edgeNumerators(d))
      expectExact(f, d, n);
  }
}

TEST(FastDivisor, PowersOfTwoAndNeighbours) {
  for (int p = 0; p < 31; ++p)
    for (long long delta : {-1LL, 0LL, 1LL}) {
      const long long d = (1LL << p) + delta;
      if (d < 1 || d >= (1LL << 31))
        continue;
      const FastDivisor f{int(d)};
      for (int n : edgeNumerators(int(d)))
        expectExact(f, int(d), n);
    }
}

TEST(FastDivisor, RandomPairs) {
  std::mt19937 rng(20261201);
  std::uniform_int_distribution<int> numerator(0, 0x7fffffff);
  std::uniform_int_distribution<int> divisor(1, 0x7fffffff);
  std::uniform_int_distribution<int> smallDivisor(1, 1 << 16);
  for (int i = 0; i < 20000; ++i) {
    const int d = i % 2 ? divisor(rng) : smallDivisor(rng);
    const FastDivisor f(d);
    for (int j = 0; j < 50; ++j)
      expectExact(f, d, numerator(rng));
  }
}

TEST(FastDivisor, DefaultIsDivisionByOne) {
  const FastDivisor f;
  for (int n : {0, 1, 17, 0x7fffffff})
    EXPECT_EQ(f.quotient(n), n);
}

} // namespace
