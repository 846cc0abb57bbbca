//===- BlockClasses.cpp - how a spec's mask covers blocks of positions -*- C++ -*-===//
#include "flashgen/Runtime/BlockClasses.h"

#include "CompilePipeline.h"
#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Dialect/Attn/Analysis/BlockSparsity.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"

using namespace flashgen;

llvm::Expected<std::vector<BlockClass>>
flashgen::classifyBlocks(llvm::StringRef text, llvm::StringRef name, int32_t seqQ, int32_t seqK,
                         llvm::ArrayRef<PositionBlock> blocks) {
  if (seqQ < 1 || seqK < 1)
    return makeError(ErrorKind::Argument, "classifyBlocks: seqQ (" + llvm::Twine(seqQ) +
                                              ") and seqK (" + llvm::Twine(seqK) +
                                              ") must be >= 1");
  for (size_t i = 0; i < blocks.size(); ++i) {
    const PositionBlock &b = blocks[i];
    if (b.q0 < 0 || b.q1 < b.q0 || b.q1 >= seqQ || b.k0 < 0 || b.k1 < b.k0 || b.k1 >= seqK)
      return makeError(ErrorKind::Argument,
                       "classifyBlocks: block " + llvm::Twine(i) + " (rows [" +
                           llvm::Twine(b.q0) + ", " + llvm::Twine(b.q1) + "], keys [" +
                           llvm::Twine(b.k0) + ", " + llvm::Twine(b.k1) +
                           "]) is empty or outside the problem's " + llvm::Twine(seqQ) +
                           " x " + llvm::Twine(seqK) + " positions");
  }
  llvm::Expected<std::unique_ptr<runtime::ParsedSpec>> parsed = runtime::parseSpec(text, name);
  if (!parsed)
    return parsed.takeError();
  attn::VariantOp v = (*parsed)->variant;

  std::optional<attn::BlockSparsity> sparsity;
  if (attn::SparsityAttr sp = v.getSparsityAttr())
    sparsity.emplace(sp);
  attn::IndexRanges ranges = attn::kernelIndexRanges();
  ranges.seqQ = attn::Interval::point(seqQ);
  ranges.seqK = attn::Interval::point(seqK);
  std::vector<BlockClass> classes;
  classes.reserve(blocks.size());
  for (const PositionBlock &b : blocks) {
    ranges.q = attn::Interval::range(b.q0, b.q1);
    ranges.k = attn::Interval::range(b.k0, b.k1);
    attn::Tri t = attn::evaluateMaskInterval(v, ranges);
    if (sparsity && !sparsity->tileMayBeComputed(b.q0, b.q1, b.k0, b.k1))
      t = attn::Tri::False;
    else if (sparsity && t == attn::Tri::True && !sparsity->tileFullyComputed(b.q0, b.q1, b.k0, b.k1))
      t = attn::Tri::Unknown;
    classes.push_back(t == attn::Tri::False  ? BlockClass::Empty
                      : t == attn::Tri::True ? BlockClass::Full
                                             : BlockClass::Partial);
  }
  return classes;
}
