//===- ReferenceBlockMaskTest.cpp - the reference reads block maps -------===//
//
// The GPU tests judge `sparsity = runtime` against referenceForward, which
// reads the block map through the spec's own mask (Lowering conjoins
// block_mask[b, h, q / S, k / S] != 0). Here that reference is checked
// against attention written out by hand: blocks kept per (batch, head),
// partial blocks at the sequence ends, rows with nothing kept.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/Reference.h"
#include "CompilePipeline.h" // runtime/lib: parseSpec

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace flashgen;

namespace {

TEST(ReferenceBlockMask, MatchesAttentionWrittenOut) {
  const std::string text = "attention r { head_dim = 8; mask = causal; "
                           "sparsity = runtime(block_size = 16); }";
  auto parsed = runtime::parseSpec(text, "r.attn");
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  attn::VariantOp v = (*parsed)->variant;

  runtime::Problem p;
  p.batch = 2;
  p.heads = p.kvHeads = 2;
  p.seqQ = 40; // 3 query blocks, the last one partial
  p.seqK = 50; // 4 kv blocks
  p.dqk = p.dv = 8;
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  auto fill = [&](std::vector<float> &x, size_t n) {
    x.resize(n);
    for (float &e : x)
      e = normal(rng);
  };
  fill(p.q, size_t(p.batch) * p.seqQ * p.heads * p.dqk);
  fill(p.k, size_t(p.batch) * p.seqK * p.heads * p.dqk);
  fill(p.v, size_t(p.batch) * p.seqK * p.heads * p.dv);
  const int qb = 3, kb = 4;
  runtime::HostTensor map;
  map.shape = {p.batch, p.heads, qb, kb};
  for (int i = 0; i < p.batch * p.heads * qb * kb; ++i)
    map.values.push_back(double(rng() % 2));
  // Batch 1, head 0, query block 1: nothing kept (its rows give O = 0).
  for (int j = 0; j < kb; ++j)
    map.values[size_t(((1 * p.heads + 0) * qb + 1) * kb + j)] = 0;
  p.tensors["block_mask"] = map;

  runtime::ReferenceResult r = runtime::referenceForward(v, p, 1);
  const double scale = 1 / std::sqrt(8.0);
  int emptyRows = 0;
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < p.heads; ++h)
      for (int q = 0; q < p.seqQ; ++q) {
        std::vector<double> w(size_t(p.seqK), 0);
        double mx = -INFINITY;
        for (int k = 0; k < p.seqK; ++k) {
          const bool kept = map.values[size_t(((b * p.heads + h) * qb + q / 16) * kb + k / 16)];
          if (!kept || k > q) {
            w[size_t(k)] = -INFINITY;
            continue;
          }
          double s = 0;
          for (int d = 0; d < 8; ++d)
            s += double(p.q[((size_t(b) * p.seqQ + q) * p.heads + h) * 8 + d]) *
                 double(p.k[((size_t(b) * p.seqK + k) * p.heads + h) * 8 + d]);
          w[size_t(k)] = s * scale;
          mx = std::max(mx, w[size_t(k)]);
        }
        double sum = 0;
        for (double &x : w)
          sum += x = std::isinf(mx) ? 0 : std::exp(x - mx);
        emptyRows += std::isinf(mx);
        for (int d = 0; d < 8; ++d) {
          double o = 0;
          for (int k = 0; k < p.seqK; ++k)
            o += w[size_t(k)] * double(p.v[((size_t(b) * p.seqK + k) * p.heads + h) * 8 + d]);
          o = std::isinf(mx) ? 0 : o / sum;
          EXPECT_NEAR(r.o[((size_t(b) * p.seqQ + q) * p.heads + h) * 8 + d], o, 1e-12)
              << "b=" << b << " h=" << h << " q=" << q << " d=" << d;
        }
        const double lse = std::isinf(mx) ? INFINITY : mx + std::log(sum);
        EXPECT_EQ(std::isinf(r.lse[(size_t(b) * p.heads + h) * p.seqQ + q]), std::isinf(lse));
        if (!std::isinf(lse))
          EXPECT_NEAR(r.lse[(size_t(b) * p.heads + h) * p.seqQ + q], lse, 1e-12);
      }
  EXPECT_GE(emptyRows, 16); // the emptied block row at least
}

} // namespace
