//===- TileClassification.cpp - empty, full or partial tiles ----*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/TileClassification.h"
#include "flashgen/Dialect/Attn/Analysis/BlockSparsity.h"

#include <algorithm>

using namespace flashgen::attn;

char flashgen::attn::tileClassLetter(TileClass c) {
  switch (c) {
  case TileClass::Empty: return 'E';
  case TileClass::Full: return 'F';
  case TileClass::Partial: return 'P';
  }
  return '?';
}

TileClass flashgen::attn::classifyTile(VariantOp v, const AttnShape &s,
                                       int64_t q0, int64_t q1, int64_t k0,
                                       int64_t k1) {
  bool blockPartial = false;
  if (SparsityAttr a = v.getSparsityAttr()) {
    BlockSparsity sparsity(a);
    if (!sparsity.tileMayBeComputed(q0, q1, k0, k1))
      return TileClass::Empty;
    blockPartial = !sparsity.tileFullyComputed(q0, q1, k0, k1);
  }
  IndexRanges r{Interval::range(0, s.batch - 1), Interval::range(0, s.heads - 1),
                Interval::range(q0, q1),          Interval::range(k0, k1),
                Interval::point(s.seqQ),          Interval::point(s.seqK)};
  switch (evaluateMaskInterval(v, r)) {
  case Tri::False:
    return TileClass::Empty;
  case Tri::True:
    return blockPartial ? TileClass::Partial : TileClass::Full;
  case Tri::Unknown:
    return TileClass::Partial;
  }
  return TileClass::Partial;
}

llvm::SmallVector<llvm::StringRef> flashgen::attn::tileDecidingTensors(VariantOp v) {
  llvm::SmallVector<llvm::StringRef> names;
  v.getMask().walk([&](LookupOp l) {
    if (l.getType().isInteger(32) && !llvm::is_contained(names, l.getName()))
      names.push_back(l.getName());
  });
  return names;
}

namespace {
/// Does the mask region read any tensor? Then elements cannot be counted
/// without the tensor's data.
bool usesLookups(VariantOp v) {
  bool found = false;
  v.getMask().walk([&](LookupOp) { found = true; });
  return found;
}
} // namespace

TileCensus flashgen::attn::countTiles(VariantOp v, const AttnShape &s,
                                      int64_t Br, int64_t Bc) {
  TileCensus c;
  c.rowBlocks = (s.seqQ + Br - 1) / Br;
  c.colBlocks = (s.seqK + Bc - 1) / Bc;
  bool countable = !usesLookups(v);
  std::optional<BlockSparsity> sparsity;
  if (SparsityAttr a = v.getSparsityAttr())
    sparsity.emplace(a);
  // Partial tiles are counted element by element while that stays cheap.
  int64_t budget = 64ll << 20;
  double attended = 0;
  for (int64_t i = 0; i < c.rowBlocks; ++i) {
    int64_t q0 = i * Br, q1 = std::min(s.seqQ, q0 + Br) - 1;
    for (int64_t j = 0; j < c.colBlocks; ++j) {
      int64_t k0 = j * Bc, k1 = std::min(s.seqK, k0 + Bc) - 1;
      double elems = double(q1 - q0 + 1) * double(k1 - k0 + 1);
      switch (classifyTile(v, s, q0, q1, k0, k1)) {
      case TileClass::Empty:
        ++c.empty;
        break;
      case TileClass::Full:
        ++c.full;
        attended += elems;
        break;
      case TileClass::Partial: {
        ++c.partial;
        if (!countable || budget < elems) {
          attended += 0.5 * elems;
          break;
        }
        budget -= int64_t(elems);
        for (int64_t q = q0; q <= q1; ++q)
          for (int64_t k = k0; k <= k1; ++k) {
            IndexPoint at{0, 0, int32_t(q), int32_t(k), int32_t(s.seqQ),
                          int32_t(s.seqK)};
            if ((!sparsity || sparsity->elementComputed(q, k)) &&
                evaluateMask(v, at).value_or(true))
              attended += 1;
          }
        break;
      }
      }
    }
  }
  c.attendedFraction = attended / (double(s.seqQ) * double(s.seqK));
  return c;
}
