//===- LookupReport.h - a checked build's clamped lookup, in words -*- C++ -*-===//
//
// A checked build (JitOptions::checkLookups) records the first lookup index
// it clamped at an element inside seq_q x seq_k (FwdParams::lookupReport,
// Lookup.cuh). This turns the record into the launch's error: which lookup
// (its spec location), which index, its value and the extent it left, and
// the element, so the spec can be fixed (or the index bounded on purpose).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LOOKUPREPORT_H
#define FLASHGEN_RUNTIME_LOOKUPREPORT_H

#include "flashgen/Codegen/KernelSpec.h"

#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace flashgen {
struct FwdParams; // templates/flashgen/attention/Params.cuh

namespace runtime {

/// The message for `report` (kLookupReportInts ints, flag set) of a launch
/// of `spec` with parameters `f` (the tensors' extents); `pass` is
/// "forward" or "backward".
std::string describeClampedLookup(const codegen::KernelSpec &spec, const FwdParams &f,
                                  llvm::ArrayRef<int32_t> report, llvm::StringRef pass);

} // namespace runtime
} // namespace flashgen

#endif // FLASHGEN_RUNTIME_LOOKUPREPORT_H
