//===- MergeGpuTest.cpp - mergeAttention on the GPU -----------------------===//
//
// Two parts' O (bf16) and logsumexps, made up on the host with the cases
// that matter (a part with no key: lse = +inf; both empty; a NaN; far-apart
// masses), merged on the GPU and compared with the same formula on the
// host (mergeWeights, Merge.cuh) up to bf16 rounding: BSHD, BHSD, and in
// place (o = oA).
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"

#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/Merge.h"
#include "flashgen/attention/Merge.cuh"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace flashgen;

namespace {

class GpuMerge : public gputest::GpuTest {};

TEST_F(GpuMerge, MatchesTheFormulaInEveryCase) {
  const int b = 2, h = 3, n = 37, d = 72;
  const size_t elems = size_t(b) * h * n * d, rows = size_t(b) * h * n;
  std::mt19937_64 rng(std::random_device{}());
  std::normal_distribution<float> normal(0.f, 2.f);
  std::vector<uint16_t> oa(elems), ob(elems);
  std::vector<float> la(rows), lb(rows);
  for (size_t i = 0; i < elems; ++i) {
    oa[i] = runtime::toBF16(normal(rng));
    ob[i] = runtime::toBF16(normal(rng));
  }
  for (size_t r = 0; r < rows; ++r) {
    la[r] = normal(rng);
    lb[r] = normal(rng);
  }
  const float inf = INFINITY;
  la[0] = inf;                   // part A saw no key: B's row
  lb[1] = inf;                   // part B saw no key: A's row
  la[2] = lb[2] = inf;           // neither: O = 0, lse = +inf
  la[3] = 500.f, lb[3] = -500.f; // far apart: no overflow
  lb[4] = NAN;                   // NaN stays NaN
  // Rows r = (b h) n + q; O in BSHD [b][q][h][d] or BHSD [b][h][q][d].
  auto at = [&](bool bshd, size_t r, int c) {
    const size_t bb = r / (size_t(h) * n), hh = (r / n) % h, q = r % n;
    return bshd ? ((bb * n + q) * h + hh) * d + c : ((bb * h + hh) * n + q) * d + c;
  };
  for (bool bshd : {true, false})
    for (bool inPlace : {false, true}) {
      SCOPED_TRACE(std::string(bshd ? "BSHD" : "BHSD") + (inPlace ? " in place" : ""));
      auto dev = [&](const void *src, size_t bytes) {
        CUdeviceptr p = *drv->alloc(bytes);
        EXPECT_FALSE(bool(drv->copyToDevice(p, src, bytes)));
        return p;
      };
      // Host data in this layout.
      std::vector<uint16_t> ha(elems), hb(elems);
      for (size_t r = 0; r < rows; ++r)
        for (int c = 0; c < d; ++c) {
          ha[at(bshd, r, c)] = oa[r * d + c];
          hb[at(bshd, r, c)] = ob[r * d + c];
        }
      CUdeviceptr pa = dev(ha.data(), elems * 2), pb = dev(hb.data(), elems * 2);
      CUdeviceptr pla = dev(la.data(), rows * 4), plb = dev(lb.data(), rows * 4);
      CUdeviceptr po = inPlace ? pa : *drv->alloc(elems * 2);
      CUdeviceptr plse = *drv->alloc(rows * 4);
      MergeArgs m;
      m.oA = reinterpret_cast<void *>(pa);
      m.oB = reinterpret_cast<void *>(pb);
      m.o = reinterpret_cast<void *>(po);
      m.lseA = reinterpret_cast<float *>(pla);
      m.lseB = reinterpret_cast<float *>(plb);
      m.lse = reinterpret_cast<float *>(plse);
      m.batch = b, m.heads = h, m.seq = n, m.headDim = d;
      m.layout = bshd ? Layout::BSHD : Layout::BHSD;
      ASSERT_FALSE(bool(mergeAttention(m)));
      ASSERT_FALSE(bool(drv->synchronize()));
      std::vector<uint16_t> out(elems);
      std::vector<float> lse(rows);
      ASSERT_FALSE(bool(drv->copyToHost(out.data(), po, elems * 2)));
      ASSERT_FALSE(bool(drv->copyToHost(lse.data(), plse, rows * 4)));
      for (size_t r = 0; r < rows; ++r) {
        float l[2] = {std::isinf(la[r]) && la[r] > 0 ? -inf : la[r],
                      std::isinf(lb[r]) && lb[r] > 0 ? -inf : lb[r]};
        float w[2];
        const float want = mergeWeights(l, 2, w);
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(lse[r])) << r;
        else if (std::isinf(want))
          EXPECT_EQ(lse[r], want) << r;
        else // The kernel's exp2/log2 are the fast approximations (a few ulp).
          EXPECT_NEAR(lse[r], want, 4e-6f * std::max(1.f, std::abs(want))) << r;
        for (int c = 0; c < d; ++c) {
          float x = 0.f;
          if (w[0] != 0.f)
            x += w[0] * runtime::fromBF16(oa[r * d + c]);
          if (w[1] != 0.f)
            x += w[1] * runtime::fromBF16(ob[r * d + c]);
          const float got = runtime::fromBF16(out[at(bshd, r, c)]);
          if (std::isnan(x)) {
            EXPECT_TRUE(std::isnan(got)) << r << " " << c;
            continue;
          }
          // One bf16 rounding of the fp32 result.
          EXPECT_NEAR(got, x, std::abs(x) * 0.0079f + 1e-30f) << r << " " << c;
        }
      }
      EXPECT_EQ(lse[2], inf);
      for (CUdeviceptr p : {pa, pb, pla, plb, plse})
        drv->free(p);
      if (!inPlace)
        drv->free(po);
    }
}

} // namespace
