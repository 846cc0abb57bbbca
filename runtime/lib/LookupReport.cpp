//===- LookupReport.cpp - a checked build's clamped lookup, in words ------===//
#include "flashgen/Runtime/LookupReport.h"

#include "flashgen/attention/Params.cuh" // shared with the kernels

#include "llvm/Support/FormatVariadic.h"

using namespace flashgen;

std::string flashgen::runtime::describeClampedLookup(const codegen::KernelSpec &spec,
                                                     const FwdParams &f,
                                                     llvm::ArrayRef<int32_t> r,
                                                     llvm::StringRef pass) {
  if (r.size() < size_t(kLookupReportInts))
    return pass.str() + ": a lookup index was clamped (the report is incomplete)";
  const int site = r[1], dim = r[2], index = r[3];
  std::string what = "lookup #" + std::to_string(site);
  std::string extent = "its extent";
  if (site >= 0 && size_t(site) < spec.lookupSites.size()) {
    const codegen::LookupSite &s = spec.lookupSites[size_t(site)];
    what = s.text;
    if (s.tensor >= 0 && s.tensor < kMaxTensors && dim >= 0 && dim < kMaxTensorRank)
      extent = llvm::formatv("[0, {0})", f.tensors[s.tensor].dims[dim]).str();
  }
  return llvm::formatv("{0}: lookup index out of range: {1}, index {2} = {3} is outside {4} "
                       "at b={5} h={6} q={7} k={8} (positions in the whole problem); the "
                       "kernel read the nearest element instead. Bound the index (clamp, min, "
                       "max) or pass a larger tensor",
                       pass, what, dim, index, extent, r[4], r[5], r[6], r[7])
      .str();
}
