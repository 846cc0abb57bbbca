//===- BlockMaskTest.cpp - BSR block masks: expansion and validation -----===//
#include "flashgen/Runtime/BlockMask.h"
#include "flashgen/Runtime/Runtime.h"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

/// One batch entry, two heads, three query blocks, four kv blocks.
struct Bsr {
  std::vector<int32_t> counts = {2, 0, 1, /*head 1:*/ 4, 1, 2};
  std::vector<int32_t> indices = {0, 2, 9, 9, /**/ 7, 7, 7, 7, /**/ 3, 9, 9, 9,
                                  0, 1, 2, 3, /**/ 1, 9, 9, 9, /**/ 0, 3, 9, 9};
  std::vector<int32_t> fullCounts = {1, 1, 0, 0, 0, 1};
  std::vector<int32_t> fullIndices = {1, 3, 9, 9, 9, 1};
  BsrBlockMask view(bool full) const {
    BsrBlockMask m;
    m.batch = 1;
    m.heads = 2;
    m.rowBlocks = 3;
    m.colBlocks = 4;
    m.counts = counts.data();
    m.indices = indices.data();
    m.indexStride = 4;
    if (full) {
      m.fullCounts = fullCounts.data();
      m.fullIndices = fullIndices.data();
      m.fullIndexStride = 1;
    }
    return m;
  }
};

std::string errorOf(const BsrBlockMask &m) {
  llvm::Expected<std::vector<int32_t>> r = expandBsr(m);
  if (r)
    return "no error";
  return llvm::toString(r.takeError());
}

TEST(BlockMask, ExpandsPartialAndFullBlocks) {
  Bsr bsr;
  llvm::Expected<std::vector<int32_t>> partial = expandBsr(bsr.view(false));
  ASSERT_TRUE(bool(partial)) << llvm::toString(partial.takeError());
  EXPECT_EQ(*partial, (std::vector<int32_t>{1, 0, 1, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 1,
                                            1, 1, 1, 1, /**/ 0, 1, 0, 0, /**/ 1, 0, 0, 1}));
  llvm::Expected<std::vector<int32_t>> both = expandBsr(bsr.view(true));
  ASSERT_TRUE(bool(both)) << llvm::toString(both.takeError());
  EXPECT_EQ(*both, (std::vector<int32_t>{1, 1, 1, 0, /**/ 0, 0, 0, 1, /**/ 0, 0, 0, 1,
                                         1, 1, 1, 1, /**/ 0, 1, 0, 0, /**/ 1, 1, 0, 1}));
}

TEST(BlockMask, ErrorsNameTheRow) {
  {
    Bsr bsr;
    bsr.indices[4 * 4 + 0] = 4; // head 1, query block 1: kv block 4 of 4
    EXPECT_EQ(errorOf(bsr.view(false)),
              "block mask row (batch 0, head 1, query block 1): partial kv block 4 at "
              "position 0 is outside [0, 4)");
  }
  {
    Bsr bsr;
    bsr.indices[1] = 0; // row 0: 0, 0
    EXPECT_EQ(errorOf(bsr.view(false)),
              "block mask row (batch 0, head 0, query block 0): partial kv blocks must be "
              "strictly ascending, but 0 at position 1 follows 0");
  }
  {
    Bsr bsr;
    bsr.indices[3 * 4 + 3] = 1; // head 1, query block 0: 0, 1, 2, 1
    EXPECT_NE(errorOf(bsr.view(false)).find("head 1, query block 0): partial kv blocks must "
                                            "be strictly ascending, but 1 at position 3"),
              std::string::npos);
  }
  {
    Bsr bsr;
    bsr.counts[2] = 5;
    EXPECT_EQ(errorOf(bsr.view(false)),
              "block mask row (batch 0, head 0, query block 2): partial count 5 is outside "
              "[0, 4]");
    bsr.counts[2] = -1;
    EXPECT_NE(errorOf(bsr.view(false)).find("partial count -1"), std::string::npos);
  }
  {
    Bsr bsr;
    bsr.fullIndices[5] = 0; // head 1, query block 2: 0 is partial too
    EXPECT_EQ(errorOf(bsr.view(true)),
              "block mask row (batch 0, head 1, query block 2): kv block 0 is listed both "
              "partial and full");
  }
  {
    Bsr bsr;
    BsrBlockMask m = bsr.view(false);
    m.indexStride = 1; // counts of 2 and 4 do not fit
    EXPECT_NE(errorOf(m).find("query block 0): partial count 2 is outside [0, 1]"),
              std::string::npos);
    m = bsr.view(true);
    m.fullIndices = nullptr;
    EXPECT_EQ(errorOf(m), "block mask: give both full counts and full indices, or neither");
    m = bsr.view(false);
    m.colBlocks = 0;
    EXPECT_NE(errorOf(m).find("must be >= 1"), std::string::npos);
    m = bsr.view(false);
    m.indices = nullptr;
    EXPECT_EQ(errorOf(m), "block mask: counts and indices are required");
  }
}

TEST(BlockMask, BlockedExtentsRoundUp) {
  ForwardArgs a;
  a.batch = 2;
  a.heads = 3;
  a.seqQ = 1000;
  a.seqK = 128;
  EXPECT_EQ(resolveExtent("seq_q/128", a, 3, false), 8);
  EXPECT_EQ(resolveExtent("seq_k/128", a, 3, false), 1);
  EXPECT_EQ(resolveExtent("seq_q/1", a, 3, false), 1000);
  EXPECT_EQ(resolveExtent("seq_q", a, 3, false), 1000);
  EXPECT_EQ(resolveExtent("seq_q/0", a, 3, false), std::nullopt);
  EXPECT_EQ(resolveExtent("seq_q/x", a, 3, false), std::nullopt);
  EXPECT_EQ(resolveExtent("rows/16", a, 3, false), std::nullopt);
}

} // namespace
