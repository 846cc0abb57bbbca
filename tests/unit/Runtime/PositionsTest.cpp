//===- PositionsTest.cpp - a launch as part of a larger problem ----------===//
//
// Context parallelism computes one attention as blocks at global
// positions. Two host pieces make that exact: the float64 reference reads
// indices through Positions (the GPU tests judge positioned launches by
// it), and classifyBlocks tells which blocks a mask leaves empty or full.
// Checked here: a causal + ALiBi attention split into query blocks equals
// the whole one row for row; block classes of causal, windowed,
// bottom-right, static block-sparse and tensor-reading masks.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/BlockClasses.h"
#include "flashgen/Runtime/Reference.h"
#include "CompilePipeline.h" // runtime/lib: parseSpec

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace flashgen;

namespace {

std::vector<BlockClass> classes(const std::string &text, int n,
                                std::vector<PositionBlock> blocks) {
  auto got = classifyBlocks(text, "t.attn", n, n, blocks);
  if (!got) {
    ADD_FAILURE() << llvm::toString(got.takeError());
    return {};
  }
  return *got;
}

constexpr BlockClass E = BlockClass::Empty, F = BlockClass::Full, P = BlockClass::Partial;

TEST(BlockClasses, CausalWindowAndBottomRight) {
  // Chunks of 16 of 64 positions.
  std::vector<PositionBlock> b = {{16, 31, 0, 15}, {16, 31, 16, 31}, {16, 31, 32, 47}};
  EXPECT_EQ(classes("attention a { head_dim = 64; mask = causal; }", 64, b),
            (std::vector<BlockClass>{F, P, E}));
  EXPECT_EQ(classes("attention a { head_dim = 64; mask = sliding_window(left = 4, right = 0); }",
                    64, b),
            (std::vector<BlockClass>{P, P, E}));
  EXPECT_EQ(classes("attention a { head_dim = 64; mask = sliding_window(left = 40, right = 40); }",
                    64, {{0, 15, 56, 63}, {0, 15, 48, 63}, {16, 31, 16, 31}}),
            (std::vector<BlockClass>{E, P, F}));
  // Bottom-right alignment reads seq_q / seq_k: the whole problem's.
  EXPECT_EQ(classes("attention a { head_dim = 64; mask = causal(bottom_right); }", 64, b),
            (std::vector<BlockClass>{F, P, E}));
}

TEST(BlockClasses, SparsityAndLookups) {
  // local(width 1) over 16-blocks keeps the diagonal blocks only.
  EXPECT_EQ(classes("attention a { head_dim = 64; sparsity = local(block_size = 16, width = 1); }",
                    64, {{16, 31, 16, 31}, {16, 31, 0, 15}, {0, 31, 0, 31}}),
            (std::vector<BlockClass>{F, E, P}));
  // A mask reading a tensor is partial wherever the band allows it.
  EXPECT_EQ(classes("attention d { head_dim = 64; tensor doc : i32[batch, seq_k]; "
                    "mask = causal && doc[b, q] == doc[b, k]; }",
                    64, {{16, 31, 0, 15}, {0, 15, 16, 31}}),
            (std::vector<BlockClass>{P, E}));
}

TEST(BlockClasses, ErrorsNameTheBlockAndTheSpec) {
  auto bad = classifyBlocks("attention a { head_dim = 64; }", "t.attn", 64, 64,
                            {{0, 15, 0, 15}, {60, 70, 0, 15}});
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "classifyBlocks: block 1 (rows [60, 70], keys [0, 15]) is empty or outside the "
            "problem's 64 x 64 positions");
  auto spec = classifyBlocks("attention a { head_dim = 64; mask = q <; }", "t.attn", 64, 64,
                             {{0, 1, 0, 1}});
  ASSERT_FALSE(bool(spec));
  EXPECT_NE(llvm::toString(spec.takeError()).find("errors in t.attn"), std::string::npos);
}

TEST(ReferencePositions, BlocksOfRowsEqualTheWholeProblem) {
  const std::string text = "attention a { head_dim = 8; mask = causal; tensor slope : f32[heads]; "
                           "score = score - slope[h] * float(q - k); }";
  auto parsed = runtime::parseSpec(text, "a.attn");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  attn::VariantOp v = (*parsed)->variant;

  const int n = 24, heads = 4, d = 8;
  runtime::Problem whole;
  whole.heads = whole.kvHeads = heads;
  whole.seqQ = whole.seqK = n;
  whole.dqk = whole.dv = d;
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal;
  auto fill = [&](std::vector<float> &x, size_t count) {
    x.resize(count);
    for (float &e : x)
      e = normal(rng);
  };
  fill(whole.q, size_t(n) * heads * d);
  fill(whole.k, size_t(n) * heads * d);
  fill(whole.v, size_t(n) * heads * d);
  whole.tensors["slope"] = {{0.5, 0.25, 0.125, 0.0625}, {heads}};
  runtime::ReferenceResult want = runtime::referenceForward(v, whole, 1);

  // Query rows [8, 16) of heads [2, 4): the launch holds those rows and
  // heads, all keys of heads 2 and 3.
  runtime::Problem part = whole;
  const int q0 = 8, rows = 8, h0 = 2, hp = 2;
  part.heads = part.kvHeads = hp;
  part.seqQ = rows;
  part.q.clear();
  part.k.clear();
  part.v.clear();
  for (int q = 0; q < rows; ++q)
    for (int h = 0; h < hp; ++h)
      for (int e = 0; e < d; ++e)
        part.q.push_back(whole.q[size_t(((q0 + q) * heads + h0 + h) * d + e)]);
  for (int k = 0; k < n; ++k)
    for (int h = 0; h < hp; ++h)
      for (int e = 0; e < d; ++e) {
        part.k.push_back(whole.k[size_t((k * heads + h0 + h) * d + e)]);
        part.v.push_back(whole.v[size_t((k * heads + h0 + h) * d + e)]);
      }
  part.positions = {q0, 0, h0, n, n, heads};
  runtime::ReferenceResult got = runtime::referenceForward(v, part, 1);
  for (int q = 0; q < rows; ++q)
    for (int h = 0; h < hp; ++h) {
      EXPECT_DOUBLE_EQ(got.lse[size_t(h * rows + q)], want.lse[size_t((h0 + h) * n + q0 + q)])
          << "row " << q << " head " << h;
      for (int e = 0; e < d; ++e)
        EXPECT_DOUBLE_EQ(got.o[size_t((q * hp + h) * d + e)],
                         want.o[size_t(((q0 + q) * heads + h0 + h) * d + e)]);
    }
  // Without positions the same launch is a different attention (causal
  // from row 0, other slopes): the test can fail.
  part.positions = {};
  runtime::ReferenceResult local = runtime::referenceForward(v, part, 1);
  EXPECT_NE(local.lse[0], want.lse[size_t(h0 * n + q0)]);
}

} // namespace
