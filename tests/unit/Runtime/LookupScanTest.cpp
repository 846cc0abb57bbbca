//===- LookupScanTest.cpp - a lookup's bounds over a tile's index ranges --===//
//
// lookupScan (templates/flashgen/attention/LookupScan.cuh) reads contiguous
// ranges with 16-byte loads after the unaligned elements before them; the
// bounds must be the exact min and max wherever the range starts and ends.
//
//===----------------------------------------------------------------------===//
#include "flashgen/attention/LookupScan.cuh"

#include "gtest/gtest.h"

#include <algorithm>
#include <random>
#include <vector>

using namespace flashgen;

namespace {

/// A [rows, cols] int tensor over `data` with a column stride.
TensorRef matrix(const std::vector<int> &data, int rows, int cols, int64_t colStride) {
  TensorRef t{};
  t.data = data.data();
  t.dims[0] = rows;
  t.dims[1] = cols;
  t.strides[0] = cols * colStride;
  t.strides[1] = colStride;
  return t;
}

TEST(LookupScan, ExactBoundsAtEveryAlignmentAndLength) {
  std::mt19937 rng(34);
  std::uniform_int_distribution<int> value(-1000, 1000);
  for (int64_t stride : {1, 3}) {
    const int rows = 3, cols = 300;
    std::vector<int> data(size_t(rows) * cols * stride);
    for (int &x : data)
      x = value(rng);
    const TensorRef t = matrix(data, rows, cols, stride);
    for (int row = 0; row < rows; ++row)
      for (int lo = 0; lo < 12; ++lo)
        for (int len = 1; len <= 70; ++len) {
          const int hi = std::min(lo + len - 1, cols - 1);
          const iv::Iv ix[2] = {iv::point(row), iv::Iv{lo, hi}};
          const iv::Iv got = lookupScan<2>(t, ix);
          int mn = data[(size_t(row) * cols + lo) * stride], mx = mn;
          for (int c = lo; c <= hi; ++c) {
            mn = std::min(mn, data[(size_t(row) * cols + c) * stride]);
            mx = std::max(mx, data[(size_t(row) * cols + c) * stride]);
          }
          ASSERT_EQ(got.lo, mn) << "stride " << stride << " row " << row << " [" << lo << ", "
                                << hi << "]";
          ASSERT_EQ(got.hi, mx) << "stride " << stride << " row " << row << " [" << lo << ", "
                                << hi << "]";
        }
  }
}

TEST(LookupScan, ExtremesAtTheRangeEnds) {
  // The minimum in the first element (before the aligned loads), the
  // maximum in the last (after them).
  std::vector<int> data(64, 5);
  data[1] = -7;
  data[42] = 9;
  const TensorRef t = matrix(data, 1, 64, 1);
  const iv::Iv ix[2] = {iv::point(0), iv::Iv{1, 42}};
  const iv::Iv got = lookupScan<2>(t, ix);
  EXPECT_EQ(got.lo, -7);
  EXPECT_EQ(got.hi, 9);
  const iv::Iv inner[2] = {iv::point(0), iv::Iv{2, 41}};
  const iv::Iv five = lookupScan<2>(t, inner);
  EXPECT_EQ(five.lo, 5);
  EXPECT_EQ(five.hi, 5);
}

TEST(LookupScan, ClampsLikeTheLookupAndGivesUpOnWideOrUnfixedRanges) {
  std::vector<int> data(100);
  for (int i = 0; i < 100; ++i)
    data[size_t(i)] = i;
  const TensorRef t = matrix(data, 1, 100, 1);
  // Indices past the extent read the nearest element, as the lookup does.
  const iv::Iv past[2] = {iv::point(0), iv::Iv{90, 150}};
  EXPECT_EQ(lookupScan<2>(t, past).lo, 90);
  EXPECT_EQ(lookupScan<2>(t, past).hi, 99);
  const iv::Iv before[2] = {iv::point(0), iv::Iv{-5, 3}};
  EXPECT_EQ(lookupScan<2>(t, before).lo, 0);
  EXPECT_EQ(lookupScan<2>(t, before).hi, 3);
  // A checked build: a range leaving the extent is unbounded.
  EXPECT_EQ((lookupScan<2, true>(t, past).lo), iv::top().lo);
  // An index before the last that is not one value: unbounded.
  const iv::Iv rows[2] = {iv::Iv{0, 1}, iv::Iv{0, 3}};
  EXPECT_EQ(lookupScan<2>(t, rows).hi, iv::top().hi);
  // Longer than kMaxLookupScan: unbounded.
  std::vector<int> big(size_t(kMaxLookupScan) + 8, 1);
  const TensorRef tb = matrix(big, 1, int(big.size()), 1);
  const iv::Iv wide[2] = {iv::point(0), iv::Iv{0, int(kMaxLookupScan)}};
  EXPECT_EQ(lookupScan<2>(tb, wide).lo, iv::top().lo);
}

} // namespace
