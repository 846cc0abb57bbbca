//===- Merge.cpp - two attention results merged by their logsumexps -------===//
#include "flashgen/Runtime/Merge.h"
#include "CombineKernel.h"

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/attention/Params.cuh" // shared with the kernel

using namespace flashgen;

namespace {
llvm::Error fail(const llvm::Twine &msg) {
  return makeError(ErrorKind::Argument, "mergeAttention: " + msg);
}
} // namespace

llvm::Error flashgen::buildMergeParams(const MergeArgs &a, MergeParams &p) {
  for (auto [name, ptr] : {std::pair<const char *, const void *>{"oA", a.oA},
                           {"oB", a.oB},
                           {"o", a.o},
                           {"lseA", a.lseA},
                           {"lseB", a.lseB}}) {
    if (!ptr)
      return fail(llvm::Twine("'") + name + "' is null");
    // O is read and written in pairs of 16-bit values, lse in floats.
    if (reinterpret_cast<uintptr_t>(ptr) & 3)
      return fail(llvm::Twine("'") + name + "' must be 4-byte aligned");
  }
  if (a.lse && (reinterpret_cast<uintptr_t>(a.lse) & 3))
    return fail("'lse' must be 4-byte aligned");
  if (a.batch < 1 || a.heads < 1 || a.seq < 1 || a.headDim < 1)
    return fail("batch, heads, seq and headDim must be >= 1 (got batch=" + llvm::Twine(a.batch) +
                " heads=" + llvm::Twine(a.heads) + " seq=" + llvm::Twine(a.seq) +
                " headDim=" + llvm::Twine(a.headDim) + ")");
  if (a.headDim % 2)
    return fail("headDim must be even (O is read in pairs), got " + llvm::Twine(a.headDim));
  if (a.heads > 65535 || a.batch > 65535)
    return fail("batch and heads must be at most 65535 (a grid dimension each)");
  auto derive = [&](Strides st) {
    return runtime::derivedStrides(st, a.layout, a.heads, a.seq, a.headDim);
  };
  const Strides sa = derive(a.aStrides), sb = derive(a.bStrides), so = derive(a.oStrides);
  for (auto [name, st] : {std::pair<const char *, Strides>{"oA", sa}, {"oB", sb}, {"o", so}})
    if ((st.batch % 2) || (st.row % 2) || (st.head % 2))
      return fail(llvm::Twine("the strides of '") + name +
                  "' must be even (pairs of 16-bit values stay 4-byte aligned)");
  p = MergeParams{};
  p.oA = a.oA;
  p.oB = a.oB;
  p.o = a.o;
  p.lseA = a.lseA;
  p.lseB = a.lseB;
  p.lse = a.lse;
  const Strides *all[3] = {&sa, &sb, &so};
  int64_t *dst[3] = {p.aStrides, p.bStrides, p.oStrides};
  for (int i = 0; i < 3; ++i) {
    dst[i][0] = all[i]->batch;
    dst[i][1] = all[i]->row;
    dst[i][2] = all[i]->head;
  }
  p.batch = a.batch;
  p.heads = a.heads;
  p.seq = a.seq;
  p.headDim = a.headDim;
  return llvm::Error::success();
}

llvm::Error flashgen::mergeAttention(const MergeArgs &a) {
  MergeParams p;
  if (llvm::Error e = buildMergeParams(a, p))
    return e;
  llvm::Expected<runtime::CudaDriver &> driver = runtime::CudaDriver::get(a.device);
  if (!driver)
    return driver.takeError();
  llvm::Expected<CUfunction> fn =
      runtime::mergeKernelFunction(*driver, a.bf16, runtime::kMergeEntry);
  if (!fn)
    return fn.takeError();
  constexpr int kRowsPerCta = kCombineThreads / 32;
  void *args[] = {&p};
  return driver->launch(*fn, unsigned((a.seq + kRowsPerCta - 1) / kRowsPerCta), unsigned(a.heads),
                        unsigned(a.batch), kCombineThreads, 0, a.stream, args);
}
