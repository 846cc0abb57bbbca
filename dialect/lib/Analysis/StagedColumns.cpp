//===- StagedColumns.cpp - mask lookups read once per key ------*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/StagedColumns.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace flashgen::attn;

namespace {
/// The mask region's arguments: b, h, q, k, seqQ, seqK.
constexpr unsigned kQueryArgument = 2, kKeyArgument = 3;

/// Which of q and k a value depends on (memoized over the region's SSA
/// values; regions are single blocks of pure ops).
struct Dependence {
  bool q = false, k = false;
};

Dependence dependenceOf(Value v, Block &body, llvm::DenseMap<Value, Dependence> &memo) {
  if (auto it = memo.find(v); it != memo.end())
    return it->second;
  Dependence d;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    d.q = arg.getOwner() == &body && arg.getArgNumber() == kQueryArgument;
    d.k = arg.getOwner() == &body && arg.getArgNumber() == kKeyArgument;
  } else if (Operation *def = v.getDefiningOp()) {
    for (Value operand : def->getOperands()) {
      Dependence o = dependenceOf(operand, body, memo);
      d.q |= o.q;
      d.k |= o.k;
    }
  }
  memo[v] = d;
  return d;
}

/// The mask's lookups whose indices depend on k and not on q (withKey), or
/// on q and not on k.
llvm::SmallVector<LookupOp> lookupsVaryingOnlyWith(VariantOp variant, bool withKey) {
  llvm::SmallVector<LookupOp> out;
  Region &mask = variant.getMask();
  if (mask.empty())
    return out;
  Block &body = mask.front();
  if (body.getNumArguments() != 6)
    return out;
  llvm::DenseMap<Value, Dependence> memo;
  mask.walk([&](LookupOp l) {
    Dependence d;
    for (Value i : l.getIndices()) {
      Dependence o = dependenceOf(i, body, memo);
      d.q |= o.q;
      d.k |= o.k;
    }
    if (withKey ? d.k && !d.q : d.q && !d.k)
      out.push_back(l);
  });
  return out;
}
} // namespace

llvm::SmallVector<LookupOp> flashgen::attn::stagedColumnLookups(VariantOp variant) {
  return lookupsVaryingOnlyWith(variant, /*withKey=*/true);
}

llvm::SmallVector<LookupOp> flashgen::attn::stagedRowLookups(VariantOp variant) {
  return lookupsVaryingOnlyWith(variant, /*withKey=*/false);
}
