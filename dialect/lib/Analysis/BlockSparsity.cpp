//===- BlockSparsity.cpp - which sparse blocks a pattern keeps --*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/BlockSparsity.h"

#include "llvm/ADT/bit.h"

#include <cstdlib>

using namespace flashgen::attn;

bool BlockSparsity::blockKept(int64_t i, int64_t j) const {
  switch (attr.getKind()) {
  case SparsityKind::local:
    return std::llabs(i - j) < attr.getWidth();
  case SparsityKind::strided: {
    int64_t s = attr.getStride();
    return ((i - j) % s + s) % s == 0 || i < attr.getGlobal() ||
           j < attr.getGlobal();
  }
  case SparsityKind::butterfly:
    return i == j || llvm::popcount(static_cast<uint64_t>(i ^ j)) == 1;
  case SparsityKind::layout: {
    llvm::ArrayRef<int64_t> l = attr.getLayout().asArrayRef();
    return l[(i % attr.getRows()) * attr.getCols() + (j % attr.getCols())] != 0;
  }
  case SparsityKind::runtime:
    return true;
  }
  return true;
}

bool BlockSparsity::tileMayBeComputed(int64_t q0, int64_t q1, int64_t k0,
                                      int64_t k1) const {
  int64_t bs = blockSize();
  for (int64_t i = q0 / bs; i <= q1 / bs; ++i)
    for (int64_t j = k0 / bs; j <= k1 / bs; ++j)
      if (blockKept(i, j))
        return true;
  return false;
}

bool BlockSparsity::tileFullyComputed(int64_t q0, int64_t q1, int64_t k0,
                                      int64_t k1) const {
  if (isRuntime())
    return false;
  int64_t bs = blockSize();
  for (int64_t i = q0 / bs; i <= q1 / bs; ++i)
    for (int64_t j = k0 / bs; j <= k1 / bs; ++j)
      if (!blockKept(i, j))
        return false;
  return true;
}
