//===- Reference.cpp - float64 CPU reference attention ----------*- C++ -*-===//
#include "flashgen/Runtime/Reference.h"

#include "flashgen/Dialect/Attn/Analysis/BlockSparsity.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"
#include "flashgen/attention/Philox.cuh"

#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <thread>

using namespace flashgen;
using namespace flashgen::attn;
using namespace flashgen::runtime;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// What both passes read off the variant and the problem.
struct Naive {
  Naive(VariantOp v, const Problem &p)
      : v(v), p(p), varlen(v.getVarlen()), scale(v.getScale().convertToDouble()),
        dropout(v.getDropout().convertToDouble()),
        scoreModified(v.getScoreValue() != v.getScore().front().getArgument(0)),
        group(p.heads / p.kvHeads),
        totalQ(varlen ? p.cuSeqlensQ.back() : int64_t(p.batch) * p.seqQ),
        totalK(varlen ? p.cuSeqlensK.back() : int64_t(p.batch) * p.seqK) {
    if (SparsityAttr sp = v.getSparsityAttr())
      sparsity.emplace(sp);
    // Named tensors for the IR evaluator, indices clamped as the kernels
    // clamp them.
    lookup = [&p](llvm::StringRef name, llvm::ArrayRef<int32_t> idx) {
      const HostTensor &t = p.tensors.at(name.str());
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) {
        int64_t i = std::min<int64_t>(std::max<int32_t>(idx[d], 0), t.shape[d] - 1);
        off = off * t.shape[d] + i;
      }
      return t.values[size_t(off)];
    };
  }

  /// First packed row and length of batch entry b's queries and keys.
  struct Rows {
    int64_t q0;
    int nq;
    int64_t k0;
    int nk;
  };
  Rows rows(int b) const {
    Rows r = varlen ? Rows{p.cuSeqlensQ[b], p.cuSeqlensQ[b + 1] - p.cuSeqlensQ[b],
                           p.cuSeqlensK[b], p.cuSeqlensK[b + 1] - p.cuSeqlensK[b]}
                    : Rows{int64_t(b) * p.seqQ, p.seqQ, int64_t(b) * p.seqK, p.seqK};
    if (!p.seqUsedK.empty()) // keys past the entry's used length do not exist
      r.nk = std::min(r.nk, std::max(p.seqUsedK[size_t(b)], 0));
    return r;
  }

  const float *qRow(const Rows &r, int q, int h) const {
    return &p.q[size_t(((r.q0 + q) * p.heads + h) * p.dqk)];
  }
  const float *kRow(const Rows &r, int k, int hk) const {
    return &p.k[size_t(((r.k0 + k) * p.kvHeads + hk) * p.dqk)];
  }
  const float *vRow(const Rows &r, int k, int hk) const {
    return &p.v[size_t(((r.k0 + k) * p.kvHeads + hk) * p.dv)];
  }

  /// Element (b, h, q, k) of entry b's rows `r` as the mask and score
  /// modifier see it (the launch's positions, Positions.h).
  IndexPoint pointAt(int b, int h, int q, int k, const Rows &r) const {
    const Positions &pos = p.positions;
    return {b, h + pos.headOffset, q + pos.qOffset, k + pos.kOffset,
            pos.seqQ ? pos.seqQ : r.nq, pos.seqK ? pos.seqK : r.nk};
  }

  /// Whether the element at `at` is attended: the mask (undefined counts
  /// as masked) and the sparsity pattern.
  bool kept(const IndexPoint &at) const {
    const bool m = evaluateMask(v, at, lookup).value_or(false);
    return sparsity ? m && sparsity->elementComputed(at.q, at.k) : m;
  }

  /// Row q of head h: P over the sequence's keys (after mask, score
  /// modifier and softmax, before dropout) into `prob`; with `fprime`, also
  /// d score_mod / d x per key, by central differences of the IR evaluator
  /// (float ops, as the device), independent of codegen's symbolic
  /// derivative. Returns the logsumexp, +inf when nothing is attended (P = 0).
  double softmaxRow(int b, int h, int q, const Rows &r, std::vector<double> &prob,
                    std::vector<double> *fprime) const {
    const float *qr = qRow(r, q, h);
    const int hk = h / group;
    double mx = -kInf;
    for (int k = 0; k < r.nk; ++k) {
      const float *kr = kRow(r, k, hk);
      double dot = 0;
      for (int d = 0; d < p.dqk; ++d)
        dot += double(qr[d]) * double(kr[d]);
      const IndexPoint at = pointAt(b, h, q, k, r);
      double x = dot * scale;
      if (fprime)
        (*fprime)[size_t(k)] = 1.0;
      if (scoreModified) {
        std::optional<float> mod = evaluateScore(v, float(x), at, lookup);
        if (fprime) {
          // A small step: kinks (min, max, abs, select) inside
          // [x - h, x + h] give a wrong average slope, so keep it narrow.
          double step = 1e-3 * std::max(1.0, std::fabs(x));
          float lo = float(x - step), hi = float(x + step);
          std::optional<float> flo = evaluateScore(v, lo, at, lookup),
                               fhi = evaluateScore(v, hi, at, lookup);
          (*fprime)[size_t(k)] = flo && fhi ? (double(*fhi) - double(*flo)) /
                                                  (double(hi) - double(lo))
                                            : std::nan("");
        }
        x = mod ? double(*mod) : std::nan("");
      }
      prob[size_t(k)] = kept(at) ? x : -kInf;
      mx = std::max(mx, prob[size_t(k)]);
    }
    if (std::isinf(mx)) { // nothing attended (or an infinite score)
      std::fill(prob.begin(), prob.begin() + r.nk, 0.0);
      return kInf;
    }
    double sum = 0;
    for (int k = 0; k < r.nk; ++k) {
      prob[size_t(k)] = std::exp(prob[size_t(k)] - mx);
      sum += prob[size_t(k)];
    }
    for (int k = 0; k < r.nk; ++k)
      prob[size_t(k)] /= sum;
    return mx + std::log(sum);
  }

  /// The dropout multiplier of element (b, h, q, k): the kernels' Philox
  /// stream, replayed.
  double dropoutFactor(int b, int h, int q, int k) const {
    if (dropout <= 0)
      return 1.0;
    uint64_t bh = uint64_t(b) * p.heads + h;
    return dropoutKeep(p.seed, p.offset, bh, q, k, float(dropout))
               ? 1.0 / (1.0 - double(float(dropout)))
               : 0.0;
  }

  /// Work items (b, h, chunk of 32 query rows), so large problems use every
  /// core.
  static constexpr int kChunk = 32;
  int chunks() const { return (std::max(p.seqQ, 1) + kChunk - 1) / kChunk; }
  int items() const { return p.batch * p.heads * chunks(); }

  VariantOp v;
  const Problem &p;
  bool varlen;
  double scale, dropout;
  bool scoreModified;
  int group;
  int64_t totalQ, totalK;
  LookupFn lookup;
  std::optional<BlockSparsity> sparsity;
};

/// Workers that `threads` (0: one per core) gives for `items` work items.
unsigned workerCount(int items, unsigned threads) {
  unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  return std::min<unsigned>(n, unsigned(std::max(items, 1)));
}

/// Runs work(item, worker) for every item on `workers` threads.
void parallelFor(int items, unsigned workers, const std::function<void(int, unsigned)> &work) {
  std::vector<std::thread> pool;
  std::atomic<int> next{0};
  for (unsigned t = 0; t < workers; ++t)
    pool.emplace_back([&, t] {
      for (int i = next++; i < items; i = next++)
        work(i, t);
    });
  for (std::thread &t : pool)
    t.join();
}

} // namespace

ReferenceResult flashgen::runtime::referenceForward(VariantOp v, const Problem &p,
                                                   unsigned threads) {
  Naive n(v, p);
  ReferenceResult r;
  r.o.assign(size_t(n.totalQ) * p.heads * p.dv, 0.0);
  r.lse.assign(size_t(n.totalQ) * p.heads, 0.0);
  const int chunks = n.chunks();
  auto work = [&](int item, unsigned) {
    int chunk = item % chunks, bh = item / chunks;
    int b = bh / p.heads, h = bh % p.heads, hk = h / n.group;
    Naive::Rows rows = n.rows(b);
    std::vector<double> prob(size_t(std::max(rows.nk, 1)));
    for (int q = chunk * n.kChunk; q < std::min(rows.nq, (chunk + 1) * n.kChunk); ++q) {
      size_t lseIdx = n.varlen ? size_t(h) * size_t(n.totalQ) + size_t(rows.q0 + q)
                               : (size_t(b) * p.heads + h) * size_t(p.seqQ) + size_t(q);
      r.lse[lseIdx] = n.softmaxRow(b, h, q, rows, prob, nullptr);
      double *orow = &r.o[size_t(((rows.q0 + q) * p.heads + h) * p.dv)];
      for (int k = 0; k < rows.nk; ++k) {
        double pk = prob[size_t(k)] * n.dropoutFactor(b, h, q, k);
        if (pk == 0)
          continue;
        const float *vr = n.vRow(rows, k, hk);
        for (int d = 0; d < p.dv; ++d)
          orow[d] += pk * double(vr[d]);
      }
    }
  };
  parallelFor(n.items(), workerCount(n.items(), threads), work);
  return r;
}

ReferenceGrads flashgen::runtime::referenceBackward(VariantOp v, const Problem &p,
                                                   const std::vector<float> &dO,
                                                   unsigned threads) {
  Naive n(v, p);
  ReferenceGrads g;
  g.dq.assign(size_t(n.totalQ) * p.heads * p.dqk, 0.0);
  g.dk.assign(size_t(n.totalK) * p.kvHeads * p.dqk, 0.0);
  g.dv.assign(size_t(n.totalK) * p.kvHeads * p.dv, 0.0);
  const int chunks = n.chunks();
  const unsigned workers = workerCount(n.items(), threads);
  // dK/dV rows receive contributions from many query rows: each worker
  // sums into its own copy, added up at the end (dQ rows belong to one item).
  std::vector<std::vector<double>> dkPriv(workers, std::vector<double>(g.dk.size())),
      dvPriv(workers, std::vector<double>(g.dv.size()));
  auto work = [&](int item, unsigned worker) {
    std::vector<double> &dk = dkPriv[worker], &dvAcc = dvPriv[worker];
    int chunk = item % chunks, bh = item / chunks;
    int b = bh / p.heads, h = bh % p.heads, hk = h / n.group;
    Naive::Rows rows = n.rows(b);
    std::vector<double> prob(size_t(std::max(rows.nk, 1))), fprime(prob.size()),
        z(prob.size()), dp(prob.size());
    for (int q = chunk * n.kChunk; q < std::min(rows.nq, (chunk + 1) * n.kChunk); ++q) {
      if (std::isinf(n.softmaxRow(b, h, q, rows, prob, &fprime)))
        continue; // nothing attended: P = 0, no gradient flows
      const float *qr = n.qRow(rows, q, h);
      const float *gr = &dO[size_t(((rows.q0 + q) * p.heads + h) * p.dv)];
      double dsum = 0;
      for (int k = 0; k < rows.nk; ++k) {
        z[size_t(k)] = n.dropoutFactor(b, h, q, k);
        const float *vr = n.vRow(rows, k, hk);
        double dpd = 0;
        for (int d = 0; d < p.dv; ++d)
          dpd += double(gr[d]) * double(vr[d]);
        dp[size_t(k)] = dpd * z[size_t(k)];
        dsum += prob[size_t(k)] * dp[size_t(k)];
      }
      double *dqr = &g.dq[size_t(((rows.q0 + q) * p.heads + h) * p.dqk)];
      for (int k = 0; k < rows.nk; ++k) {
        double pk = prob[size_t(k)];
        if (pk == 0)
          continue;
        double dx = pk * (dp[size_t(k)] - dsum) * fprime[size_t(k)] * n.scale;
        const float *kr = n.kRow(rows, k, hk);
        double *dkr = &dk[size_t(((rows.k0 + k) * p.kvHeads + hk) * p.dqk)];
        for (int d = 0; d < p.dqk; ++d) {
          dqr[d] += dx * double(kr[d]);
          dkr[d] += dx * double(qr[d]);
        }
        double pd = pk * z[size_t(k)];
        double *dvr = &dvAcc[size_t(((rows.k0 + k) * p.kvHeads + hk) * p.dv)];
        for (int d = 0; d < p.dv; ++d)
          dvr[d] += pd * double(gr[d]);
      }
    }
  };
  parallelFor(n.items(), workers, work);
  for (unsigned t = 0; t < workers; ++t) {
    for (size_t i = 0; i < g.dk.size(); ++i)
      g.dk[i] += dkPriv[t][i];
    for (size_t i = 0; i < g.dv.size(); ++i)
      g.dv[i] += dvPriv[t][i];
  }
  return g;
}

std::vector<uint8_t> flashgen::runtime::referenceTileClasses(VariantOp v, const Problem &p,
                                                             int rows, int keys,
                                                             int headSlots, unsigned threads) {
  const Naive n(v, p);
  const int rowBlocks = (std::max(p.seqQ, 1) + rows - 1) / rows;
  const int tiles = (std::max(p.seqK, 1) + keys - 1) / keys;
  std::vector<uint8_t> out(size_t(p.batch) * headSlots * rowBlocks * tiles, 0);
  // One work item per (slot, row block): every element of its tiles.
  const int items = p.batch * headSlots * rowBlocks;
  parallelFor(items, workerCount(items, threads), [&](int item, unsigned) {
    const int slot = item / rowBlocks, rowBlock = item % rowBlocks;
    const int b = slot / headSlots, h = slot % headSlots;
    const Naive::Rows r = n.rows(b);
    const int q0 = rowBlock * rows, q1 = std::min(q0 + rows, r.nq) - 1;
    for (int t = 0; t < tiles; ++t) {
      const int k0 = t * keys, k1 = std::min(k0 + keys, r.nk) - 1;
      int64_t kept = 0, total = 0;
      for (int q = q0; q <= q1; ++q)
        for (int k = k0; k <= k1; ++k, ++total)
          kept += n.kept(n.pointAt(b, h, q, k, r));
      out[size_t(item) * tiles + t] =
          uint8_t(kept == 0 ? kReferenceTileEmpty
                            : kept == total ? kReferenceTileFull : kReferenceTilePartial);
    }
  });
  return out;
}

