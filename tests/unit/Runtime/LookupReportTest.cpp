//===- LookupReportTest.cpp - a checked build's clamped lookup, in words --===//
#include "flashgen/Runtime/LookupReport.h"

#include "flashgen/attention/Params.cuh"

#include "gtest/gtest.h"

using namespace flashgen;

namespace {

TEST(LookupReport, NamesTheLookupIndexExtentAndElement) {
  codegen::KernelSpec spec;
  spec.lookupSites = {{"t in mask at a.attn:6:10", 0}, {"bias in score at a.attn:7:19", 1}};
  FwdParams f{};
  f.tensors[0].dims[0] = 4;
  f.tensors[1].dims[0] = 8;
  const int32_t report[kLookupReportInts] = {1, 0, 0, 299, 1, 2, 5, 299};
  EXPECT_EQ(runtime::describeClampedLookup(spec, f, report, "forward"),
            "forward: lookup index out of range: t in mask at a.attn:6:10, index 0 = 299 is "
            "outside [0, 4) at b=1 h=2 q=5 k=299 (positions in the whole problem); the kernel "
            "read the nearest element instead. Bound the index (clamp, min, max) or pass a "
            "larger tensor");
  const int32_t negative[kLookupReportInts] = {1, 1, 0, -3, 0, 0, 0, 3};
  std::string m = runtime::describeClampedLookup(spec, f, negative, "backward");
  EXPECT_NE(m.find("backward: lookup index out of range: bias in score at a.attn:7:19, "
                   "index 0 = -3 is outside [0, 8) at b=0 h=0 q=0 k=3"),
            std::string::npos)
      << m;
}

TEST(LookupReport, ASiteItDoesNotKnowIsStillReported) {
  codegen::KernelSpec spec; // no sites: a report from another build
  FwdParams f{};
  const int32_t report[kLookupReportInts] = {1, 7, 2, 40, 0, 0, 1, 2};
  std::string m = runtime::describeClampedLookup(spec, f, report, "forward");
  EXPECT_NE(m.find("lookup #7, index 2 = 40 is outside its extent at b=0 h=0 q=1 k=2"),
            std::string::npos)
      << m;
  EXPECT_NE(runtime::describeClampedLookup(spec, f, llvm::ArrayRef<int32_t>(report, 3), "forward")
                .find("incomplete"),
            std::string::npos);
}

} // namespace
