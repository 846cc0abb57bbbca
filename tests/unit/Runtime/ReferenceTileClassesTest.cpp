//===- ReferenceTileClassesTest.cpp - tile classes from the mask itself ---===//
//
// runtime::referenceTileClasses is what the GPU tests hold the builder's
// run-time tile classes against (GpuForward.BuiltTileClassesMatchTheMask),
// so it is checked here against classes written out by hand: a causal band
// with odd tiles and sequence ends, documents from a tensor per batch
// entry, and a per-head mask laid out per head slot.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/Reference.h"
#include "CompilePipeline.h" // runtime/lib: parseSpec

#include "gtest/gtest.h"

#include <functional>

using namespace flashgen;

namespace {

constexpr uint8_t E = runtime::kReferenceTileEmpty, F = runtime::kReferenceTileFull,
                  P = runtime::kReferenceTilePartial;

attn::VariantOp variantOf(const std::string &text,
                          std::unique_ptr<runtime::ParsedSpec> &keep) {
  auto parsed = runtime::parseSpec(text, "t.attn");
  EXPECT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  keep = std::move(*parsed);
  return keep->variant;
}

/// The classes written out: tile (row block i, tile j) of entry b, head h
/// from `keeps(b, h, q, k)` over [0, nq) x [0, nk).
std::vector<uint8_t> byHand(int batch, int slots, int nq, int nk, int rows, int keys,
                            const std::function<bool(int, int, int, int)> &keeps) {
  const int rowBlocks = (nq + rows - 1) / rows, tiles = (nk + keys - 1) / keys;
  std::vector<uint8_t> out;
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < slots; ++h)
      for (int i = 0; i < rowBlocks; ++i)
        for (int j = 0; j < tiles; ++j) {
          int kept = 0, total = 0;
          for (int q = i * rows; q < std::min(nq, (i + 1) * rows); ++q)
            for (int k = j * keys; k < std::min(nk, (j + 1) * keys); ++k, ++total)
              kept += keeps(b, h, q, k);
          out.push_back(kept == 0 ? E : kept == total ? F : P);
        }
  return out;
}

runtime::Problem problem(int batch, int heads, int nq, int nk) {
  runtime::Problem p;
  p.batch = batch;
  p.heads = p.kvHeads = heads;
  p.seqQ = nq;
  p.seqK = nk;
  return p;
}

TEST(ReferenceTileClasses, CausalBandWithSequenceEnds) {
  std::unique_ptr<runtime::ParsedSpec> keep;
  attn::VariantOp v = variantOf("attention c { head_dim = 8; mask = causal; }", keep);
  runtime::Problem p = problem(1, 1, 10, 13);
  const std::vector<uint8_t> got = runtime::referenceTileClasses(v, p, 4, 3, 1, 1);
  // Rows 0-3, 4-7, 8-9 by keys 0-2, ..., 12: k <= q (top-left alignment).
  const std::vector<uint8_t> want = {
      P, P, E, E, E, //
      F, P, P, E, E, //
      F, F, F, P, E, //
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(got, byHand(1, 1, 10, 13, 4, 3, [](int, int, int q, int k) { return k <= q; }));
}

TEST(ReferenceTileClasses, DocumentsFromATensorPerEntry) {
  std::unique_ptr<runtime::ParsedSpec> keep;
  attn::VariantOp v = variantOf("attention d { head_dim = 8; tensor doc : i32[batch, seq_k]; "
                                "mask = doc[b, q] == doc[b, k]; }",
                                keep);
  runtime::Problem p = problem(2, 1, 12, 12);
  const int docs[2][12] = {{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2},
                           {5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6}};
  runtime::HostTensor t;
  t.shape = {2, 12};
  for (const auto &row : docs)
    for (int d : row)
      t.values.push_back(double(d));
  p.tensors["doc"] = t;
  const std::vector<uint8_t> got = runtime::referenceTileClasses(v, p, 4, 4, 1, 1);
  EXPECT_EQ(got, byHand(2, 1, 12, 12, 4, 4, [&](int b, int, int q, int k) {
              return docs[b][q] == docs[b][k];
            }));
  // Entry 0: one document per tile (diagonal Full, the rest Empty).
  EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.begin() + 9),
            (std::vector<uint8_t>{F, E, E, E, F, E, E, E, F}));
}

TEST(ReferenceTileClasses, PerHeadSlots) {
  std::unique_ptr<runtime::ParsedSpec> keep;
  attn::VariantOp v = variantOf("attention w { head_dim = 8; heads = 2; "
                                "tensor reach : i32[heads]; mask = k <= q && q - k < reach[h]; }",
                                keep);
  runtime::Problem p = problem(1, 2, 8, 8);
  runtime::HostTensor t;
  t.shape = {2};
  t.values = {0, 8}; // head 0 keeps nothing, head 1 is causal
  p.tensors["reach"] = t;
  const std::vector<uint8_t> got = runtime::referenceTileClasses(v, p, 4, 4, 2, 1);
  EXPECT_EQ(got, (std::vector<uint8_t>{E, E, E, E, P, E, F, P}));
}

} // namespace
