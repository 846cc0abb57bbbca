//===- TileInSequenceTest.cpp - which tiles skip the lookups' clamps ------===//
//
// TileInSequence.cuh decides, per tile, whether the variant's
// mask and score functions run without clamping q and k (kInSequence):
// inside both sequences, and below the other sequence's length where a
// lookup's proof rests on it (codegen's kLookupsNeedQBelowSeqK /
// kLookupsNeedKBelowSeqQ, from LookupRanges).
//
//===----------------------------------------------------------------------===//
#include "flashgen/attention/TileInSequence.cuh"

#include "gtest/gtest.h"

namespace {

struct SameSequences {
  static constexpr bool kLookupsNeedQBelowSeqK = false, kLookupsNeedKBelowSeqQ = false;
};
struct QOfSeqK { // doc_id[b, q] with doc_id : i32[batch, seq_k]
  static constexpr bool kLookupsNeedQBelowSeqK = true, kLookupsNeedKBelowSeqQ = false;
};
struct KOfSeqQ {
  static constexpr bool kLookupsNeedQBelowSeqK = false, kLookupsNeedKBelowSeqQ = true;
};

using flashgen::tileInSequence;

TEST(TileInSequence, InsideBothSequences) {
  EXPECT_TRUE(tileInSequence<SameSequences>(128, 128, 1000, 600));
  EXPECT_TRUE(tileInSequence<SameSequences>(1000, 600, 1000, 600));
  EXPECT_FALSE(tileInSequence<SameSequences>(1024, 128, 1000, 600)); // rows past seqQ
  EXPECT_FALSE(tileInSequence<SameSequences>(128, 640, 1000, 600));  // keys past seqK
  // Rows past seqK are inside when no proof needs them below it.
  EXPECT_TRUE(tileInSequence<SameSequences>(896, 128, 1000, 600));
}

TEST(TileInSequence, AlsoBelowTheOtherSequenceWhereAProofNeedsIt) {
  EXPECT_TRUE(tileInSequence<QOfSeqK>(512, 128, 1000, 600));
  EXPECT_FALSE(tileInSequence<QOfSeqK>(640, 128, 1000, 600)); // q may reach 600: clamp
  EXPECT_TRUE(tileInSequence<QOfSeqK>(1000, 1000, 1000, 1000)); // equal lengths: all inside
  EXPECT_TRUE(tileInSequence<KOfSeqQ>(128, 512, 600, 1000));
  EXPECT_FALSE(tileInSequence<KOfSeqQ>(128, 640, 600, 1000));
}

} // namespace
