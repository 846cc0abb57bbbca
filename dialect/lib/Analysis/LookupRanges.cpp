//===- LookupRanges.cpp - which lookup indices are proven in range -------===//
#include "flashgen/Dialect/Attn/Analysis/LookupRanges.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"

#include <string>

using namespace flashgen::attn;

llvm::DenseMap<mlir::Operation *, llvm::SmallVector<bool, 4>>
flashgen::attn::lookupIndicesInRange(VariantOp v, mlir::Region &region,
                                     SequenceBounds *bounds, bool acrossSequences) {
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<bool, 4>> result;
  mlir::Block &block = region.front();
  // The last six arguments are b, h, q, k, seq_q, seq_k.
  const unsigned first = block.getNumArguments() - 6;
  mlir::Value b = block.getArgument(first), h = block.getArgument(first + 1),
              q = block.getArgument(first + 2), k = block.getArgument(first + 3);
  llvm::DenseMap<mlir::Value, Interval> ranges = evaluateRanges(block, kernelIndexRanges());
  SequenceBounds used;
  block.walk([&](LookupOp l) {
    TensorAttr t = v.lookupTensor(l.getName());
    llvm::SmallVector<bool, 4> &flags = result[l.getOperation()];
    for (auto [d, i] : llvm::enumerate(l.getIndices())) {
      bool proven = false;
      if (t && d < t.getShape().size()) {
        mlir::Attribute extent = t.getShape()[d];
        if (auto n = mlir::dyn_cast<mlir::IntegerAttr>(extent)) {
          auto it = ranges.find(i);
          proven = it != ranges.end() && it->second.lo >= 0 && it->second.hi < n.getInt();
        } else if (auto s = mlir::dyn_cast<mlir::StringAttr>(extent)) {
          // The grid's own extents: b < batch, h < heads; q < seq_q and
          // k < seq_k (or the other sequence) once the kernels clamp them
          // (SequenceBounds).
          const llvm::StringRef e = s.getValue();
          const bool onQ = e == "seq_q" && i == q, onK = e == "seq_k" && i == k,
                     qOfK = acrossSequences && e == "seq_k" && i == q,
                     kOfQ = acrossSequences && e == "seq_q" && i == k;
          proven = (e == "batch" && i == b) || (e == "heads" && i == h) || onQ || onK || qOfK ||
                   kOfQ;
          used.q |= onQ;
          used.k |= onK;
          used.qBelowSeqK |= qOfK;
          used.kBelowSeqQ |= kOfQ;
        }
      }
      flags.push_back(proven);
    }
  });
  if (bounds)
    *bounds = used;
  return result;
}

std::string flashgen::attn::sequenceClampCode(const SequenceBounds &bounds) {
  if (!bounds.any())
    return "";
  std::string code = "    if (!kInSequence) { // lookups indexed by q/k are proven inside the "
                     "sequences\n";
  if (bounds.q)
    code += "      q = min(q, seqQ - 1);\n";
  if (bounds.qBelowSeqK)
    code += "      q = min(q, seqK - 1);\n";
  if (bounds.k)
    code += "      k = min(k, seqK - 1);\n";
  if (bounds.kBelowSeqQ)
    code += "      k = min(k, seqQ - 1);\n";
  return code + "    }\n";
}

llvm::SmallVector<LookupOp> flashgen::attn::lookupSites(VariantOp v) {
  llvm::SmallVector<LookupOp> sites;
  for (mlir::Region *r : {&v.getMask(), &v.getScore()})
    r->walk([&](LookupOp l) { sites.push_back(l); });
  return sites;
}

std::string flashgen::attn::lookupSiteText(VariantOp v, LookupOp l) {
  std::string text = l.getName().str() +
                     (l->getParentRegion() == &v.getScore() ? " in score" : " in mask");
  if (auto loc = l.getLoc()->findInstanceOf<mlir::FileLineColLoc>())
    text += " at " + loc.getFilename().str() + ":" + std::to_string(loc.getLine()) + ":" +
            std::to_string(loc.getColumn());
  return text;
}
