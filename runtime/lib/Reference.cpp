//===- Reference.cpp - float64 CPU reference attention ----------*- C++ -*-===//
#include "flashgen/Runtime/Reference.h"

#include "flashgen/Dialect/Attn/Analysis/BlockSparsity.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"
#include "flashgen/attention/Philox.cuh"

#include <cmath>
#include <limits>
#include <atomic>
#include <thread>

using namespace flashgen;
using namespace flashgen::attn;
using namespace flashgen::runtime;

ReferenceResult flashgen::runtime::referenceForward(VariantOp v, const Problem &p,
                                                 unsigned threads) {
  bool varlen = v.getVarlen();
  double scale = v.getScale().convertToDouble();
  double dropout = v.getDropout().convertToDouble();
  const bool scoreModified = v.getScoreValue() != v.getScore().front().getArgument(0);
  int group = p.heads / p.kvHeads;
  int64_t totalQ = varlen ? p.cuSeqlensQ.back() : int64_t(p.batch) * p.seqQ;
  ReferenceResult r;
  r.o.assign(size_t(totalQ) * p.heads * p.dv, 0.0);
  r.lse.assign(size_t(totalQ) * p.heads, 0.0);
  LookupFn lookup = [&](llvm::StringRef name, llvm::ArrayRef<int32_t> idx) {
    const HostTensor &t = p.tensors.at(name.str());
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
      int64_t i = std::min<int64_t>(std::max<int32_t>(idx[d], 0), t.shape[d] - 1);
      off = off * t.shape[d] + i;
    }
    return t.values[size_t(off)];
  };

  auto rows = [&](int b, int64_t &q0, int &nq, int64_t &k0, int &nk) {
    if (varlen) {
      q0 = p.cuSeqlensQ[b]; nq = p.cuSeqlensQ[b + 1] - int(q0);
      k0 = p.cuSeqlensK[b]; nk = p.cuSeqlensK[b + 1] - int(k0);
    } else {
      q0 = int64_t(b) * p.seqQ; nq = p.seqQ;
      k0 = int64_t(b) * p.seqK; nk = p.seqK;
    }
  };
  // Work items: (b, h, chunk of 32 query rows), so large problems use
  // every core.
  constexpr int kChunk = 32;
  int chunks = (std::max(p.seqQ, 1) + kChunk - 1) / kChunk;
  auto work = [&](int item) {
    int chunk = item % chunks, bh = item / chunks;
    int b = bh / p.heads, h = bh % p.heads, hk = h / group;
    int64_t q0, k0;
    int nq, nk;
    rows(b, q0, nq, k0, nk);
    std::vector<double> s(size_t(std::max(nk, 1)));
    std::vector<char> keep(s.size());
    for (int q = chunk * kChunk; q < std::min(nq, (chunk + 1) * kChunk); ++q) {
      const float *qr = &p.q[size_t(((q0 + q) * p.heads + h) * p.dqk)];
      double mx = -std::numeric_limits<double>::infinity();
      for (int k = 0; k < nk; ++k) {
        const float *kr = &p.k[size_t(((k0 + k) * p.kvHeads + hk) * p.dqk)];
        double dot = 0;
        for (int d = 0; d < p.dqk; ++d)
          dot += double(qr[d]) * double(kr[d]);
        IndexPoint at{b, h, q, k, nq, nk};
        double x = dot * scale;
        if (scoreModified) {
          std::optional<float> mod = evaluateScore(v, float(x), at, lookup);
          x = mod ? double(*mod) : std::nan("");
        }
        bool m = evaluateMask(v, at, lookup).value_or(false);
        if (auto sp = v.getSparsityAttr())
          m = m && BlockSparsity(sp).elementComputed(q, k);
        s[size_t(k)] = m ? x : -std::numeric_limits<double>::infinity();
        mx = std::max(mx, s[size_t(k)]);
      }
      double sum = 0;
      for (int k = 0; k < nk; ++k) {
        s[size_t(k)] = std::isinf(mx) ? 0.0 : std::exp(s[size_t(k)] - mx);
        sum += s[size_t(k)];
      }
      double *orow = &r.o[size_t(((q0 + q) * p.heads + h) * p.dv)];
      size_t lseIdx = varlen ? size_t(h) * size_t(totalQ) + size_t(q0 + q)
                             : (size_t(b) * p.heads + h) * size_t(p.seqQ) + size_t(q);
      if (sum == 0) {
        r.lse[lseIdx] = std::numeric_limits<double>::infinity();
        continue;
      }
      r.lse[lseIdx] = mx + std::log(sum);
      for (int k = 0; k < nk; ++k) {
        double pk = s[size_t(k)] / sum;
        if (dropout > 0) {
          uint64_t bh = uint64_t(b) * p.heads + h;
          pk = dropoutKeep(p.seed, p.offset, bh, q, k, float(dropout))
                   ? pk / (1.0 - double(float(dropout)))
                   : 0.0;
        }
        if (pk == 0)
          continue;
        const float *vr = &p.v[size_t(((k0 + k) * p.kvHeads + hk) * p.dv)];
        for (int d = 0; d < p.dv; ++d)
          orow[d] += pk * double(vr[d]);
      }
    }
  };
  int items = p.batch * p.heads * chunks;
  unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  std::atomic<int> next{0};
  for (unsigned t = 0; t < n; ++t)
    pool.emplace_back([&] {
      for (int i = next++; i < items; i = next++)
        work(i);
    });
  for (std::thread &t : pool)
    t.join();
  return r;
}

ReferenceGrads flashgen::runtime::referenceBackward(VariantOp v, const Problem &p,
                                                   const std::vector<float> &dO,
                                                   unsigned threads) {
  bool varlen = v.getVarlen();
  double scale = v.getScale().convertToDouble();
  double dropout = v.getDropout().convertToDouble();
  const bool scoreModified = v.getScoreValue() != v.getScore().front().getArgument(0);
  int group = p.heads / p.kvHeads;
  int64_t totalQ = varlen ? p.cuSeqlensQ.back() : int64_t(p.batch) * p.seqQ;
  int64_t totalK = varlen ? p.cuSeqlensK.back() : int64_t(p.batch) * p.seqK;
  ReferenceGrads g;
  g.dq.assign(size_t(totalQ) * p.heads * p.dqk, 0.0);
  g.dk.assign(size_t(totalK) * p.kvHeads * p.dqk, 0.0);
  g.dv.assign(size_t(totalK) * p.kvHeads * p.dv, 0.0);
  LookupFn lookup = [&](llvm::StringRef name, llvm::ArrayRef<int32_t> idx) {
    const HostTensor &t = p.tensors.at(name.str());
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
      int64_t i = std::min<int64_t>(std::max<int32_t>(idx[d], 0), t.shape[d] - 1);
      off = off * t.shape[d] + i;
    }
    return t.values[size_t(off)];
  };
  constexpr int kChunk = 32;
  int chunks = (std::max(p.seqQ, 1) + kChunk - 1) / kChunk;
  int items = p.batch * p.heads * chunks;
  unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  n = std::min<unsigned>(n, unsigned(std::max(items, 1)));
  // dK/dV rows receive contributions from many query rows: each thread
  // sums into its own copy, added up at the end (dQ rows belong to one item).
  std::vector<std::vector<double>> dkPriv(n), dvPriv(n);
  auto work = [&](int item, std::vector<double> &dk, std::vector<double> &dvAcc) {
    int chunk = item % chunks, bh = item / chunks;
    int b = bh / p.heads, h = bh % p.heads, hk = h / group;
    int64_t q0, k0;
    int nq, nk;
    if (varlen) {
      q0 = p.cuSeqlensQ[b]; nq = p.cuSeqlensQ[b + 1] - int(q0);
      k0 = p.cuSeqlensK[b]; nk = p.cuSeqlensK[b + 1] - int(k0);
    } else {
      q0 = int64_t(b) * p.seqQ; nq = p.seqQ;
      k0 = int64_t(b) * p.seqK; nk = p.seqK;
    }
    std::vector<double> s(size_t(std::max(nk, 1))), fprime(s.size()), z(s.size()),
        dp(s.size());
    for (int q = chunk * kChunk; q < std::min(nq, (chunk + 1) * kChunk); ++q) {
      const float *qr = &p.q[size_t(((q0 + q) * p.heads + h) * p.dqk)];
      const float *gr = &dO[size_t(((q0 + q) * p.heads + h) * p.dv)];
      double mx = -std::numeric_limits<double>::infinity();
      for (int k = 0; k < nk; ++k) {
        const float *kr = &p.k[size_t(((k0 + k) * p.kvHeads + hk) * p.dqk)];
        double dot = 0;
        for (int d = 0; d < p.dqk; ++d)
          dot += double(qr[d]) * double(kr[d]);
        IndexPoint at{b, h, q, k, nq, nk};
        double x = dot * scale;
        fprime[size_t(k)] = 1.0;
        if (scoreModified) {
          std::optional<float> mod = evaluateScore(v, float(x), at, lookup);
          // Central difference on the evaluator (float ops, as the device).
          // A small step: kinks (min, max, abs, select) inside [x - h, x + h]
          // give a wrong average slope, so keep that window narrow.
          double step = 1e-3 * std::max(1.0, std::fabs(x));
          float lo = float(x - step), hi = float(x + step);
          std::optional<float> flo = evaluateScore(v, lo, at, lookup),
                               fhi = evaluateScore(v, hi, at, lookup);
          fprime[size_t(k)] = flo && fhi ? (double(*fhi) - double(*flo)) / (double(hi) - double(lo))
                                         : std::nan("");
          x = mod ? double(*mod) : std::nan("");
        }
        bool m = evaluateMask(v, at, lookup).value_or(false);
        if (auto sp = v.getSparsityAttr())
          m = m && BlockSparsity(sp).elementComputed(q, k);
        s[size_t(k)] = m ? x : -std::numeric_limits<double>::infinity();
        mx = std::max(mx, s[size_t(k)]);
      }
      if (std::isinf(mx) && mx < 0)
        continue; // nothing attended: P = 0, no gradient flows
      double sum = 0;
      for (int k = 0; k < nk; ++k) {
        s[size_t(k)] = std::exp(s[size_t(k)] - mx);
        sum += s[size_t(k)];
      }
      uint64_t bhIdx = uint64_t(b) * p.heads + h;
      double dsum = 0;
      for (int k = 0; k < nk; ++k) {
        s[size_t(k)] /= sum; // P
        z[size_t(k)] = dropout > 0 ? (dropoutKeep(p.seed, p.offset, bhIdx, q, k, float(dropout))
                                          ? 1.0 / (1.0 - double(float(dropout)))
                                          : 0.0)
                                   : 1.0;
        const float *vr = &p.v[size_t(((k0 + k) * p.kvHeads + hk) * p.dv)];
        double dpd = 0;
        for (int d = 0; d < p.dv; ++d)
          dpd += double(gr[d]) * double(vr[d]);
        dp[size_t(k)] = dpd * z[size_t(k)];
        dsum += s[size_t(k)] * dp[size_t(k)];
      }
      double *dqr = &g.dq[size_t(((q0 + q) * p.heads + h) * p.dqk)];
      for (int k = 0; k < nk; ++k) {
        double pk = s[size_t(k)];
        if (pk == 0)
          continue;
        double dx = pk * (dp[size_t(k)] - dsum) * fprime[size_t(k)] * scale;
        const float *kr = &p.k[size_t(((k0 + k) * p.kvHeads + hk) * p.dqk)];
        double *dkr = &dk[size_t(((k0 + k) * p.kvHeads + hk) * p.dqk)];
        for (int d = 0; d < p.dqk; ++d) {
          dqr[d] += dx * double(kr[d]);
          dkr[d] += dx * double(qr[d]);
        }
        double pd = pk * z[size_t(k)];
        double *dvr = &dvAcc[size_t(((k0 + k) * p.kvHeads + hk) * p.dv)];
        for (int d = 0; d < p.dv; ++d)
          dvr[d] += pd * double(gr[d]);
      }
    }
  };
  std::vector<std::thread> pool;
  std::atomic<int> next{0};
  for (unsigned t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      dkPriv[t].assign(g.dk.size(), 0.0);
      dvPriv[t].assign(g.dv.size(), 0.0);
      for (int i = next++; i < items; i = next++)
        work(i, dkPriv[t], dvPriv[t]);
    });
  for (std::thread &t : pool)
    t.join();
  for (unsigned t = 0; t < n; ++t) {
    for (size_t i = 0; i < g.dk.size(); ++i)
      g.dk[i] += dkPriv[t][i];
    for (size_t i = 0; i < g.dv.size(); ++i)
      g.dv[i] += dvPriv[t][i];
  }
  return g;
}
