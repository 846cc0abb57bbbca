//===- BlockMask.cpp - run-time block masks from the BSR form ---*- C++ -*-===//
#include "flashgen/Runtime/BlockMask.h"

#include "flashgen/Codegen/ErrorKind.h"

#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <string>

using namespace flashgen;

namespace {
llvm::Error fail(const llvm::Twine &m) { return makeError(ErrorKind::Argument, m); }
} // namespace

llvm::Expected<std::vector<int32_t>> flashgen::expandBsr(const BsrBlockMask &m) {
  if (m.batch < 1 || m.heads < 1 || m.rowBlocks < 1 || m.colBlocks < 1)
    return fail("block mask: batch, heads, query blocks and kv blocks must be >= 1 (got " +
                llvm::Twine(m.batch) + ", " + llvm::Twine(m.heads) + ", " +
                llvm::Twine(m.rowBlocks) + ", " + llvm::Twine(m.colBlocks) + ")");
  if (!m.counts || !m.indices)
    return fail("block mask: counts and indices are required");
  if (bool(m.fullCounts) != bool(m.fullIndices))
    return fail("block mask: give both full counts and full indices, or neither");
  const int64_t rows = int64_t(m.batch) * m.heads * m.rowBlocks;
  std::vector<int32_t> dense(size_t(rows) * size_t(m.colBlocks), 0);
  auto where = [&](int64_t row) {
    const int64_t i = row % m.rowBlocks, h = (row / m.rowBlocks) % m.heads,
                  b = row / (int64_t(m.rowBlocks) * m.heads);
    return "block mask row (batch " + std::to_string(b) + ", head " + std::to_string(h) +
           ", query block " + std::to_string(i) + "): ";
  };
  // One list (partial or full) of every row into the dense map.
  auto expand = [&](const int32_t *counts, const int32_t *indices, int stride,
                    const char *what) -> llvm::Error {
    if (stride < 0)
      return fail(llvm::Twine("block mask: the ") + what + " index stride is negative");
    for (int64_t row = 0; row < rows; ++row) {
      const int32_t n = counts[row];
      if (n < 0 || n > stride || n > m.colBlocks)
        return fail(where(row) + what + " count " + std::to_string(n) + " is outside [0, " +
                    std::to_string(std::min(stride, m.colBlocks)) + "]");
      const int32_t *list = indices + row * int64_t(stride);
      int32_t *out = dense.data() + row * int64_t(m.colBlocks);
      for (int32_t e = 0; e < n; ++e) {
        const int32_t j = list[e];
        if (j < 0 || j >= m.colBlocks)
          return fail(where(row) + what + " kv block " + std::to_string(j) + " at position " +
                      std::to_string(e) + " is outside [0, " + std::to_string(m.colBlocks) +
                      ")");
        if (e > 0 && j <= list[e - 1])
          return fail(where(row) + what + " kv blocks must be strictly ascending, but " +
                      std::to_string(j) + " at position " + std::to_string(e) + " follows " +
                      std::to_string(list[e - 1]));
        if (out[j])
          return fail(where(row) + "kv block " + std::to_string(j) +
                      " is listed both partial and full");
        out[j] = 1;
      }
    }
    return llvm::Error::success();
  };
  if (llvm::Error e = expand(m.counts, m.indices, m.indexStride, "partial"))
    return e;
  if (m.fullCounts)
    if (llvm::Error e = expand(m.fullCounts, m.fullIndices, m.fullIndexStride, "full"))
      return e;
  return dense;
}
