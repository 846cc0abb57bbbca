//===- StagedColumnsTest.cpp - which mask lookups are staged per key -------===//
//
// The warp-specialized forward stages a mask lookup per key of a kv tile
// when its indices see k but not q (StagedColumns.h): documents' doc_id[b,
// k], a per-head key table; not a lookup of q (the row's, hoisted anyway),
// not one of both, not one of neither (a constant per CTA), and none in the
// score region. The backward stages the lookups of q alone, per Q tile.
//
//===----------------------------------------------------------------------===//
#include "../Frontend/TestUtil.h"

#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "gtest/gtest.h"

#include <string>

using namespace flashgen;
using namespace flashgen::attn;

namespace {

/// The staged lookups' tensor names, in order, for a variant body: the
/// forward's (of the key) or the backward's (of the query row).
std::vector<std::string> stagedNames(const std::string &body, bool rows = false) {
  SCOPED_TRACE(body);
  auto ctx = test::makeContext();
  test::Source src("attention v { head_dim = 64; heads = 4;\n"
                   "  tensor doc : i32[batch, seq_k]; tensor key_bias : f32[heads, seq_k];\n"
                   "  tensor table : i32[seq_q, seq_k]; tensor slope : f32[heads];\n" +
                   body + "\n}\n");
  FrontendResult r = test::compile(src, *ctx);
  EXPECT_TRUE(r.module) << src.diagText;
  if (!r.module)
    return {};
  VariantOp v = *r.module->getOps<VariantOp>().begin();
  EXPECT_TRUE(mlir::succeeded(canonicalizeExpressions(v)));
  std::vector<std::string> names;
  for (LookupOp l : rows ? stagedRowLookups(v) : stagedColumnLookups(v))
    names.push_back(l.getName().str());
  return names;
}

using Names = std::vector<std::string>;

TEST(StagedColumns, KeyLookupsOnly) {
  EXPECT_EQ(stagedNames("mask = causal && doc[b, q] == doc[b, k];"), Names{"doc"});
  EXPECT_EQ(stagedNames("mask = key_bias[h, k] > 0.0;"), Names{"key_bias"});
  // Index arithmetic of k (and of b, h, seq_k) still varies per key only.
  EXPECT_EQ(stagedNames("mask = doc[b, min(k + 1, seq_k - 1)] == doc[b, q];"), Names{"doc"});
  EXPECT_EQ(stagedNames("mask = doc[b, k] == 1 && key_bias[h, k] > 0.0;"),
            (Names{"doc", "key_bias"}));
}

TEST(StagedColumns, NotRowsBothOrNeither) {
  EXPECT_EQ(stagedNames("mask = doc[b, q] == 3;"), Names{});
  EXPECT_EQ(stagedNames("mask = table[q, k] == 1;"), Names{});
  EXPECT_EQ(stagedNames("mask = doc[b, k - q] == 0;"), Names{});
  EXPECT_EQ(stagedNames("mask = slope[h] > 0.0 && causal;"), Names{});
  EXPECT_EQ(stagedNames("mask = causal;"), Names{});
  EXPECT_EQ(stagedNames("score = score + key_bias[h, k];"), Names{});
}

TEST(StagedColumns, TheBackwardStagesTheRowsLookups) {
  EXPECT_EQ(stagedNames("mask = causal && doc[b, q] == doc[b, k];", true), Names{"doc"});
  EXPECT_EQ(stagedNames("mask = doc[b, q] == 3 && key_bias[h, k] > 0.0;", true), Names{"doc"});
  EXPECT_EQ(stagedNames("mask = table[q, k] == 1;", true), Names{});
  EXPECT_EQ(stagedNames("mask = key_bias[h, k] > 0.0;", true), Names{});
  EXPECT_EQ(stagedNames("mask = slope[h] > 0.0 && causal;", true), Names{});
}

} // namespace
