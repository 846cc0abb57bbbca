//===- Check.cpp - run a kernel on random inputs, compare with float64 -===//
#include "flashgen/Runtime/Check.h"

#include "CompilePipeline.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/DeviceTiming.h"
#include "flashgen/Runtime/LaunchArgs.h"
#include "flashgen/Runtime/Reference.h"
#include "flashgen/Runtime/TileClassCapture.h"
#include "flashgen/Dialect/Attn/IR/AttnDialect.h" // splitExtent
#include "flashgen/Frontend/Sema.h"             // kBlockMaskTensor

#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>

using namespace flashgen;
using namespace flashgen::runtime;

uint16_t flashgen::runtime::toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f))
    return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}
float flashgen::runtime::fromBF16(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

namespace {

// fp16 conversions (round to nearest even), for inputs and outputs.
uint16_t toF16(float f) {
  // Inputs are N(0,1): normal range, no subnormals or overflow to handle.
  uint32_t u;
  std::memcpy(&u, &f, 4);
  uint32_t sign = (u >> 16) & 0x8000;
  int32_t exp = int32_t((u >> 23) & 0xff) - 127 + 15;
  uint32_t mant = u & 0x7fffff;
  if (exp <= 0)
    return uint16_t(sign); // flush tiny values
  uint32_t r = (uint32_t(exp) << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
    ++r;
  return uint16_t(sign | r);
}
float fromF16(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  int32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t u;
  if (exp == 0x1f)
    u = sign | 0x7f800000 | (mant << 13);
  else if (exp == 0)
    u = sign; // inputs never subnormal
  else
    u = sign | (uint32_t(exp - 15 + 127) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

llvm::Error fail(const llvm::Twine &m) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), m.str());
}

} // namespace

/// Absolute RMS error of a vanishing gradient that counts as relative
/// error 1: the bf16 bound (1.5e-2) then allows RMS 7.5e-3, f16 (5e-3) 2.5e-3.
constexpr double kVanishingRmsScale = 0.5;

double flashgen::runtime::relErrBound(bool bf16) { return bf16 ? 1.5e-2 : 5e-3; }

namespace {
/// A 16-bit device result against its float64 reference: squared error and
/// squared reference summed over the written elements; NaN (still
/// poisoned) elements are counted instead.
struct Deviation {
  double err2 = 0, ref2 = 0;
  size_t count = 0, unwritten = 0;
};
Deviation deviation(const std::vector<uint16_t> &got, const std::vector<double> &want,
                    bool bf16) {
  Deviation d;
  d.count = got.size();
  for (size_t i = 0; i < got.size(); ++i) {
    float x = bf16 ? fromBF16(got[i]) : fromF16(got[i]);
    if (std::isnan(x)) {
      ++d.unwritten;
      continue;
    }
    d.err2 += (x - want[i]) * (x - want[i]);
    d.ref2 += want[i] * want[i];
  }
  return d;
}

} // namespace

std::string CheckReport::summary() const {
  char buf[640];
  int n = std::snprintf(buf, sizeof(buf), "B=%d H=%d Hkv=%d Nq=%d Nk=%d dqk=%d dv=%d %s",
                        batch, heads, kvHeads, seqQ, seqK, dqk, dv,
                        fp8 ? "fp8_e4m3->bf16" : bf16 ? "bf16" : "f16");
  if (checked)
    n += std::snprintf(buf + n, sizeof(buf) - n, " rel_err=%.3e (bound %.0e) lse_bad=%zu nan=%zu",
                       relErr, bound, lseBad, unwritten);
  if (packedGroup > 1)
    n += std::snprintf(buf + n, sizeof(buf) - n, " packed_heads=%d", packedGroup);
  if (kvSplits > 1)
    n += std::snprintf(buf + n, sizeof(buf) - n, " kv_splits=%d", kvSplits);
  if (tileClassesBuilt)
    n += std::snprintf(buf + n, sizeof(buf) - n,
                       " tiles(%dx%d) empty/full/partial=%lld/%lld/%lld", tileRows, tileKeys,
                       (long long)tileClasses[0], (long long)tileClasses[1],
                       (long long)tileClasses[2]);
  if (tileClassesChecked || tileClassesWrong)
    n += std::snprintf(buf + n, sizeof(buf) - n, " vs_mask: wrong=%lld loose=%lld",
                       (long long)tileClassesWrong, (long long)tileClassesLoose);
  if (medianMs > 0) {
    n += std::snprintf(buf + n, sizeof(buf) - n, " time=%.4f ms %.1f TFLOP/s (dense count",
                       medianMs, tflops);
    // With built classes, also the benchmarks' count: the kept tiles' share
    // of the dense work (a sparse mask's dense-count rate can pass the
    // tensor cores' peak).
    const long long all = tileClasses[0] + tileClasses[1] + tileClasses[2];
    if (tileClassesBuilt && all > 0)
      n += std::snprintf(buf + n, sizeof(buf) - n, "; %.1f on kept tiles",
                         tflops * double(tileClasses[1] + tileClasses[2]) / double(all));
    std::snprintf(buf + n, sizeof(buf) - n, ")");
  }
  return buf;
}

namespace {
/// x[i] ~ N(0, 1) rounded to the kernel's dtype (bits[i]; x[i] its exact
/// value). Chunks have their own generators, seeded from `seed`, and run on
/// every core: the standard grid's inputs are 10^8 elements, seconds on one
/// core, which was most of a `flashgen run --no-check` on the GPU machine.
void fillNormal(std::vector<float> &x, std::vector<uint16_t> &bits, size_t n, uint64_t seed,
                bool bf16) {
  x.resize(n);
  bits.resize(n);
  constexpr size_t kChunk = size_t(1) << 18;
  llvm::parallelFor(0, (n + kChunk - 1) / kChunk, [&](size_t c) {
    std::mt19937_64 gen(seed ^ (0x9e3779b97f4a7c15ull * (c + 1)));
    std::normal_distribution<float> normal(0.f, 1.f);
    for (size_t i = c * kChunk, e = std::min(n, i + kChunk); i < e; ++i) {
      bits[i] = bf16 ? toBF16(normal(gen)) : toF16(normal(gen));
      x[i] = bf16 ? fromBF16(bits[i]) : fromF16(bits[i]);
    }
  });
}

llvm::Expected<CheckReport> checkImpl(const Kernel &kernel, llvm::StringRef specText,
                                      const CheckOptions &opt, BwdCheckReport *bwd);
} // namespace

llvm::Expected<CheckReport> flashgen::runtime::checkForward(const Kernel &kernel,
                                                           llvm::StringRef specText,
                                                           const CheckOptions &opt) {
  return checkImpl(kernel, specText, opt, nullptr);
}

llvm::Expected<BwdCheckReport> flashgen::runtime::checkBackward(const Kernel &kernel,
                                                               llvm::StringRef specText,
                                                               const CheckOptions &opt) {
  BwdCheckReport r;
  llvm::Expected<CheckReport> f = checkImpl(kernel, specText, opt, &r);
  if (!f)
    return f.takeError();
  r.forward = *f;
  return r;
}

std::string BwdCheckReport::summary() const {
  char buf[400];
  int n = std::snprintf(buf, sizeof(buf), "B=%d H=%d Hkv=%d Nq=%d Nk=%d dqk=%d dv=%d %s",
                        forward.batch, forward.heads, forward.kvHeads, forward.seqQ,
                        forward.seqK, forward.dqk, forward.dv, forward.bf16 ? "bf16" : "f16");
  if (checked)
    n += std::snprintf(buf + n, sizeof(buf) - n,
                       " fwd=%.2e dQ=%.3e dK=%.3e dV=%.3e (bound %.0e) nan=%zu", forward.relErr,
                       errDQ, errDK, errDV, bound, unwritten);
  n += std::snprintf(buf + n, sizeof(buf) - n, " dq=%s kv_split=%d",
                     atomicDQ ? "atomic" : ownDQKernel ? "kernel" : "ordered", kvSplit);
  if (repeats)
    n += std::snprintf(buf + n, sizeof(buf) - n, " repeats=%d bit_mismatch=%zu", repeats,
                       bitMismatches);
  if (medianMs > 0)
    std::snprintf(buf + n, sizeof(buf) - n, " bwd=%.4f ms %.1f TFLOP/s (dense count)", medianMs,
                  tflops);
  return buf;
}

namespace {
llvm::Expected<CheckReport> checkImpl(const Kernel &kernel, llvm::StringRef specText,
                                      const CheckOptions &opt, BwdCheckReport *bwd) {
  llvm::Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  CudaDriver &drv = *driver;
  llvm::Expected<std::unique_ptr<ParsedSpec>> parsed = parseSpec(specText, "spec.attn");
  if (!parsed)
    return fail("cannot parse the spec for the reference:\n" +
                llvm::toString(parsed.takeError()));
  attn::VariantOp v = (*parsed)->variant;
  const codegen::KernelSpec &ks = kernel.spec();
  std::mt19937_64 rng(opt.seed ? opt.seed : std::random_device{}());
  bool bf16 = ks.bf16;
  Problem p;
  p.heads = opt.heads ? opt.heads : (v.getHeads() ? int(*v.getHeads()) : 3);
  p.kvHeads = v.getKvHeads() ? int(*v.getKvHeads())
                             : (ks.kvHeadsRatio ? p.heads / int(ks.kvHeadsRatio) : p.heads);
  if (v.getHeads() && v.getKvHeads()) {
    // The spec fixes the group size; a requested head count must hold
    // whole groups.
    const int ratio = int(*v.getHeads() / *v.getKvHeads());
    if (p.heads % ratio != 0)
      return fail("heads = " + std::to_string(p.heads) + " is not a multiple of the spec's " +
                  "heads / kv_heads = " + std::to_string(ratio) +
                  " (query heads per kv head)");
    p.kvHeads = p.heads / ratio;
  }
  p.batch = opt.batch ? opt.batch : (p.heads > 4 ? 1 : 2);
  p.seqQ = opt.seqQ;
  p.seqK = opt.seqK;
  p.dqk = int(ks.headDimQK);
  p.dv = int(ks.headDimV);
  p.seed = rng();
  p.offset = rng() % 1000;
  bool varlen = ks.varlen;
  int64_t totalQ = int64_t(p.batch) * p.seqQ, totalK = int64_t(p.batch) * p.seqK;
  if (varlen) { // random lengths, the longest = seqQ/seqK
    p.cuSeqlensQ = {0};
    p.cuSeqlensK = {0};
    for (int b = 0; b < p.batch; ++b) {
      int lq = b == 0 ? p.seqQ : 1 + int(rng() % uint64_t(p.seqQ));
      int lk = b == 0 ? p.seqK : 1 + int(rng() % uint64_t(p.seqK));
      p.cuSeqlensQ.push_back(p.cuSeqlensQ.back() + lq);
      p.cuSeqlensK.push_back(p.cuSeqlensK.back() + lk);
    }
    totalQ = p.cuSeqlensQ.back();
    totalK = p.cuSeqlensK.back();
  }
  std::normal_distribution<float> normal(0.f, 1.f);
  auto fill = [&](std::vector<float> &x, size_t n, std::vector<uint16_t> &bits) {
    fillNormal(x, bits, n, rng(), bf16);
  };
  // Timing alone (no reference) needs no random values: the inputs are a
  // constant small value set on the device (0x3c3c: 0.0115 in bf16, 1.06
  // in f16), which skips drawing and uploading 10^8 elements per call (the
  // tuner times dozens of candidates per shape).
  const size_t nq = size_t(totalQ) * p.heads * p.dqk, nk = size_t(totalK) * p.kvHeads * p.dqk,
               nv = size_t(totalK) * p.kvHeads * p.dv;
  std::vector<uint16_t> qb, kb, vb;
  if (opt.reference) {
    fill(p.q, nq, qb);
    fill(p.k, nk, kb);
    fill(p.v, nv, vb);
  }

  ForwardArgs args;
  args.batch = p.batch;
  args.heads = p.heads;
  args.kvHeads = p.kvHeads;
  args.seqQ = p.seqQ;
  args.seqK = p.seqK;
  args.dropoutSeed = p.seed;
  args.dropoutOffset = p.offset;
  args.totalQ = int(totalQ);
  args.totalK = int(totalK);

  std::vector<std::unique_ptr<DeviceBuffer>> keepAlive;
  auto upload = [&](const void *src, size_t bytes) -> llvm::Expected<DeviceBuffer *> {
    keepAlive.push_back(std::make_unique<DeviceBuffer>(drv, bytes));
    DeviceBuffer *b = keepAlive.back().get();
    if (b->error)
      return std::move(b->error);
    if (src)
      if (llvm::Error e = drv.copyToDevice(b->p, src, bytes))
        return std::move(e);
    return b;
  };
  // Named tensors: plausible values for each declared one.
  for (const codegen::TensorInfo &t : ks.tensors) {
    HostTensor ht;
    int64_t n = 1;
    for (const std::string &d : t.dims) {
      // KernelSpec dims passed the frontend: always resolvable.
      int64_t e = *resolveExtent(d, args, p.kvHeads, varlen);
      ht.shape.push_back(e);
      n *= e;
    }
    ht.values.resize(size_t(n));
    std::vector<uint32_t> raw(static_cast<size_t>(n));
    // An integer with no sequence dimension (one per batch entry or head:
    // prefix_len[b], seqlens_k[b], a reach per head) is a length: 1..seq_k,
    // so masks that compare keys with it keep some and drop some.
    const bool length = llvm::all_of(t.dims, [](const std::string &d) {
      llvm::StringRef base = attn::splitExtent(d).first;
      int64_t unused;
      return !llvm::StringRef(d).getAsInteger(10, unused) || base == "batch" ||
             base == "heads" || base == "kv_heads";
    });
    // Ids: documents of 1..300 tokens along the last dimension, so tiles
    // inside one document (Full), across several (Partial) and between
    // two (Empty) all occur.
    int64_t docId = -1, docLeft = 0;
    for (int64_t i = 0; i < n; ++i) {
      double val;
      if (t.isFloat) {
        float f = 0.25f * normal(rng);
        val = double(f);
        std::memcpy(&raw[size_t(i)], &f, 4);
      } else if (t.name == kBlockMaskTensor) {
        val = std::uniform_real_distribution<double>(0, 1)(rng) < opt.blockDensity ? 1 : 0;
        raw[size_t(i)] = uint32_t(val);
      } else {
        // Lengths in range; ids in documents.
        const int64_t last = ht.shape.back();
        if (i % last == 0 || docLeft == 0) {
          docId = i % last == 0 ? (i / last) * 1000 : docId + 1;
          docLeft = 1 + int64_t(rng() % 300);
        }
        --docLeft;
        val = length ? double(1 + rng() % uint64_t(std::max(p.seqK, 1))) : double(docId);
        raw[size_t(i)] = uint32_t(int32_t(val));
      }
      ht.values[size_t(i)] = val;
    }
    auto buf = upload(raw.data(), raw.size() * 4);
    if (!buf)
      return buf.takeError();
    args.tensors[t.name] = NamedTensor{(*buf)->ptr(), ht.shape, {}};
    p.tensors[t.name] = std::move(ht);
  }

  size_t oElems = size_t(totalQ) * p.heads * p.dv;
  // BHSD on the device: the BSHD host data transposed (and o back).
  const bool bhsd = opt.layout == Layout::BHSD;
  if (bhsd && (bwd || varlen))
    return fail("the BHSD layout is checked for fixed-length forwards only");
  // Elements moved from one layout's offsets to the other's (derivedStrides:
  // the same offsets the launch derives).
  auto relayout = [&](std::vector<uint16_t> &x, int heads, int seq, int d, Layout from,
                      Layout to) {
    const Strides f = derivedStrides({}, from, heads, seq, d),
                  t = derivedStrides({}, to, heads, seq, d);
    std::vector<uint16_t> y(x.size());
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t s = 0; s < seq; ++s)
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t c = 0; c < d; ++c)
            y[size_t(b * t.batch + s * t.row + h * t.head + c)] =
                x[size_t(b * f.batch + s * f.row + h * f.head + c)];
    x.swap(y);
  };
  // fp8 inputs: each tensor's values rounded to e4m3 times a power-of-two
  // descale factor; the reference sees exactly those values, and the
  // 16-bit carriers (qb, kb, vb: relaid out below) hold the e4m3 codes
  // until the upload narrows them to bytes (0xffff, the NaN poison past
  // per-entry lengths and in unused pages below, to 0xff: NaN in e4m3).
  const float descale[3] = {0.5f, 0.25f, 2.f}; // q, k, v
  if (ks.fp8) {
    args.qDescale = descale[0];
    args.kDescale = descale[1];
    args.vDescale = descale[2];
  } else if (opt.headDescale) {
    return fail("per-head descale factors are checked for fp8 variants only");
  }
  // Per-head factors (opt.headDescale): [batch][kvHeads] on the device,
  // read at the strides below (K's shared by the batch, V's by the heads).
  std::vector<float> headDescale[3];
  const int64_t headStrides[3][2] = {{p.kvHeads, 1}, {0, 1}, {p.kvHeads, 0}};
  if (ks.fp8 && opt.headDescale) {
    std::uniform_real_distribution<float> factor(0.25f, 4.f);
    ForwardArgs::HeadDescale *dst[3] = {&args.qHeadDescale, &args.kHeadDescale,
                                        &args.vHeadDescale};
    for (int t = 0; t < 3; ++t) {
      headDescale[t].resize(size_t(p.batch) * p.kvHeads);
      for (float &f : headDescale[t])
        f = factor(rng);
      auto buf = upload(headDescale[t].data(), 4 * headDescale[t].size());
      if (!buf)
        return buf.takeError();
      *dst[t] = {reinterpret_cast<const float *>((*buf)->ptr()), headStrides[t][0],
                 headStrides[t][1]};
    }
  }
  if (ks.fp8 && opt.reference) {
    std::vector<float> *vals[3] = {&p.q, &p.k, &p.v};
    std::vector<uint16_t> *bits[3] = {&qb, &kb, &vb};
    const int heads[3] = {p.heads, p.kvHeads, p.kvHeads}, dims[3] = {p.dqk, p.dqk, p.dv};
    const int seqs[3] = {p.seqQ, p.seqK, p.seqK};
    const std::vector<int32_t> *offsets[3] = {&p.cuSeqlensQ, &p.cuSeqlensK, &p.cuSeqlensK};
    for (int t = 0; t < 3; ++t) {
      // Host rows are BSHD ([total rows][heads][d] with varlen); an
      // element's factor is its tensor's times its (entry, kv head)'s.
      const int64_t rowElems = int64_t(heads[t]) * dims[t];
      const int group = heads[t] / p.kvHeads;
      int entry = 0;
      for (size_t i = 0; i < vals[t]->size(); ++i) {
        float f = descale[t];
        if (!headDescale[t].empty()) {
          const int64_t row = int64_t(i) / rowElems;
          if (varlen)
            while (row >= (*offsets[t])[size_t(entry) + 1])
              ++entry;
          else
            entry = int(row / seqs[t]);
          const int hk = int(int64_t(i) / dims[t] % heads[t]) / group;
          f *= headDescale[t][size_t(entry * headStrides[t][0] + hk * headStrides[t][1])];
        }
        const uint8_t code = toE4M3((*vals[t])[i] / f);
        (*vals[t])[i] = fromE4M3(code) * f;
        (*bits[t])[i] = code;
      }
    }
  }
  // Per-entry key lengths: entry 1 keeps every key, entry 2 none (rows
  // with nothing to attend), the others a random count; the keys past
  // them are NaN, which must not reach the output.
  if (opt.seqUsedK) {
    if (bwd)
      return fail("seqUsedK is a forward option");
    for (int b = 0; b < p.batch; ++b)
      p.seqUsedK.push_back(b == 1 ? p.seqK : b == 2 ? 0
                                    : int32_t(rng() % uint64_t(p.seqK + 1)));
    if (opt.reference)
      for (int b = 0; b < p.batch; ++b) {
        const int64_t k0 = varlen ? p.cuSeqlensK[b] : int64_t(b) * p.seqK,
                      nk = varlen ? p.cuSeqlensK[b + 1] - k0 : p.seqK;
        for (int64_t k = p.seqUsedK[size_t(b)]; k < nk; ++k) {
          std::fill_n(kb.begin() + (k0 + k) * p.kvHeads * p.dqk, p.kvHeads * p.dqk, 0xffff);
          std::fill_n(vb.begin() + (k0 + k) * p.kvHeads * p.dv, p.kvHeads * p.dv, 0xffff);
        }
      }
    auto buf = upload(p.seqUsedK.data(), 4 * p.seqUsedK.size());
    if (!buf)
      return buf.takeError();
    args.seqUsedK = reinterpret_cast<const int32_t *>((*buf)->ptr());
  }
  // (A paged pool's rows are [kvHeads][d] in any layout: K/V stay BSHD.)
  if (bhsd && opt.reference) {
    relayout(qb, p.heads, p.seqQ, p.dqk, Layout::BSHD, Layout::BHSD);
    if (opt.pageSize == 0) {
      relayout(kb, p.kvHeads, p.seqK, p.dqk, Layout::BSHD, Layout::BHSD);
      relayout(vb, p.kvHeads, p.seqK, p.dv, Layout::BSHD, Layout::BHSD);
    }
  }
  args.layout = opt.layout;
  // A paged cache: K/V rows scattered over a pool of pages in a random
  // order, pages no entry uses (and table entries past an entry's keys)
  // NaN / -1, which must never be read.
  size_t kElems = nk, vElems = nv;
  // 0 .. n - 1 in a random order.
  auto shuffled = [&](int n) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    return order;
  };
  if (opt.pageSize > 0) {
    if (bwd || varlen)
      return fail("paged K/V are checked for fixed-length forwards only");
    const int ps = opt.pageSize, maxPages = (p.seqK + ps - 1) / ps;
    const int numPages = p.batch * maxPages + 3, stride = maxPages + 1;
    const std::vector<int32_t> perm = shuffled(numPages);
    std::vector<int32_t> table(static_cast<size_t>(p.batch) * stride, -1);
    const size_t kRow = size_t(p.kvHeads) * p.dqk, vRow = size_t(p.kvHeads) * p.dv;
    std::vector<uint16_t> kPool(size_t(numPages) * ps * kRow, 0xffff),
        vPool(size_t(numPages) * ps * vRow, 0xffff);
    for (int b = 0; b < p.batch; ++b) {
      const int used = p.seqUsedK.empty() ? p.seqK : p.seqUsedK[size_t(b)];
      for (int i = 0; i < (used + ps - 1) / ps; ++i)
        table[size_t(b) * stride + i] = perm[size_t(b) * maxPages + i];
      if (!opt.reference)
        continue;
      for (int k = 0; k < used; ++k) {
        const size_t row = size_t(table[size_t(b) * stride + k / ps]) * ps + k % ps,
                     from = size_t(b) * p.seqK + k;
        std::copy_n(kb.begin() + from * kRow, kRow, kPool.begin() + row * kRow);
        std::copy_n(vb.begin() + from * vRow, vRow, vPool.begin() + row * vRow);
      }
    }
    if (opt.reference) {
      kb.swap(kPool);
      vb.swap(vPool);
    }
    kElems = size_t(numPages) * ps * kRow;
    vElems = size_t(numPages) * ps * vRow;
    auto buf = upload(table.data(), 4 * table.size());
    if (!buf)
      return buf.takeError();
    args.pageTable = reinterpret_cast<const int32_t *>((*buf)->ptr());
    args.pageSize = ps;
    args.numPages = numPages;
    args.pageTableStride = stride;
  }
  // K/V entries read through an index: the batch's entries at random
  // places among two more, which hold NaN and must never be read.
  if (opt.kvBatchIndex) {
    if (bwd || varlen || bhsd || opt.pageSize > 0)
      return fail("kvBatchIndex is checked for fixed-length BSHD forwards only");
    const int kvBatch = p.batch + 2;
    std::vector<int32_t> perm = shuffled(kvBatch);
    perm.resize(size_t(p.batch));
    const size_t kEntry = size_t(p.seqK) * p.kvHeads * p.dqk,
                 vEntry = size_t(p.seqK) * p.kvHeads * p.dv;
    if (opt.reference) {
      std::vector<uint16_t> kAll(kEntry * kvBatch, 0xffff), vAll(vEntry * kvBatch, 0xffff);
      for (int b = 0; b < p.batch; ++b) {
        std::copy_n(kb.begin() + b * kEntry, kEntry, kAll.begin() + perm[size_t(b)] * kEntry);
        std::copy_n(vb.begin() + b * vEntry, vEntry, vAll.begin() + perm[size_t(b)] * vEntry);
      }
      kb.swap(kAll);
      vb.swap(vAll);
    }
    kElems = kEntry * kvBatch;
    vElems = vEntry * kvBatch;
    auto buf = upload(perm.data(), 4 * perm.size());
    if (!buf)
      return buf.takeError();
    args.kvBatchIndex = reinterpret_cast<const int32_t *>((*buf)->ptr());
    args.kvBatch = kvBatch;
  }
  // fp8: one byte per input element, the codes narrowed from their carriers.
  const size_t inBytes = size_t(ks.inputBytes());
  std::vector<uint8_t> q8, k8, v8;
  auto hostData = [&](const std::vector<uint16_t> &x, std::vector<uint8_t> &narrow) {
    if (!opt.reference)
      return static_cast<const void *>(nullptr);
    if (!ks.fp8)
      return static_cast<const void *>(x.data());
    narrow.assign(x.begin(), x.end());
    return static_cast<const void *>(narrow.data());
  };
  auto dq = upload(hostData(qb, q8), nq * inBytes),
       dk = upload(hostData(kb, k8), kElems * inBytes),
       dvb = upload(hostData(vb, v8), vElems * inBytes),
       dout = upload(nullptr, oElems * 2),
       dlse = upload(nullptr, size_t(totalQ) * p.heads * 4);
  for (auto *b : {&dq, &dk, &dvb, &dout, &dlse})
    if (!*b)
      return b->takeError();
  if (!opt.reference)
    for (auto *b : {&dq, &dk, &dvb})
      if (llvm::Error e = drv.memset8((**b)->p, 0x3c, (**b)->bytes))
        return std::move(e);
  // Poison: 0xFF bytes are NaN in bf16, f16 and f32.
  if (llvm::Error e = drv.memset8((*dout)->p, 0xff, (*dout)->bytes))
    return std::move(e);
  if (llvm::Error e = drv.memset8((*dlse)->p, 0xff, (*dlse)->bytes))
    return std::move(e);
  args.q = (*dq)->ptr();
  args.k = (*dk)->ptr();
  args.v = (*dvb)->ptr();
  args.o = (*dout)->ptr();
  args.lse = reinterpret_cast<float *>((*dlse)->ptr());
  if (varlen) {
    auto cuq = upload(p.cuSeqlensQ.data(), 4 * (p.batch + 1));
    auto cuk = upload(p.cuSeqlensK.data(), 4 * (p.batch + 1));
    if (!cuq)
      return cuq.takeError();
    if (!cuk)
      return cuk.takeError();
    args.cuSeqlensQ = reinterpret_cast<const int32_t *>((*cuq)->ptr());
    args.cuSeqlensK = reinterpret_cast<const int32_t *>((*cuk)->ptr());
  }
  TileClassCapture capture; // the builder's classes, when the variant has them
  if (llvm::Error e = kernel.forward(args))
    return std::move(e);
  if (llvm::Error e = drv.synchronize())
    return std::move(e);

  CheckReport rep;
  if (capture.captured) {
    rep.tileClassesBuilt = true;
    rep.tileRows = capture.rows;
    rep.tileKeys = capture.keys;
    rep.tileClasses = capture.counts();
    // The reference's classes in the builder's layout; a launch whose rows
    // are not the problem's (GQA-packed query heads) is not compared.
    const int slots = capture.headSlots;
    if (opt.checkTileClasses && (slots == 1 || slots == p.heads) &&
        capture.batch == p.batch &&
        capture.rowBlocks == (std::max(p.seqQ, 1) + capture.rows - 1) / capture.rows &&
        capture.tiles == (std::max(p.seqK, 1) + capture.keys - 1) / capture.keys) {
      const std::vector<uint8_t> want =
          referenceTileClasses(v, p, capture.rows, capture.keys, slots);
      for (size_t i = 0; i < want.size() && i < capture.classes.size(); ++i) {
        const uint8_t got = capture.classes[i];
        if (got == want[i])
          continue;
        if (got == kReferenceTilePartial)
          ++rep.tileClassesLoose;
        else
          ++rep.tileClassesWrong;
      }
      rep.tileClassesChecked = want.size() == capture.classes.size();
      if (!rep.tileClassesChecked)
        ++rep.tileClassesWrong; // a layout mismatch is a failure, not a pass
    }
  }
  rep.batch = p.batch; rep.heads = p.heads; rep.kvHeads = p.kvHeads;
  rep.seqQ = p.seqQ; rep.seqK = p.seqK; rep.dqk = p.dqk; rep.dv = p.dv;
  rep.bf16 = bf16;
  rep.fp8 = ks.fp8;
  rep.bound = ks.fp8 ? kFp8RelErrBound : relErrBound(bf16);
  rep.kvSplits = kernel.forwardKvSplits(args);
  rep.packedGroup = kernel.forwardPackedGroup(args);
  if (opt.reference) {
    std::vector<uint16_t> ob(oElems);
    std::vector<float> lse(size_t(totalQ) * p.heads);
    if (llvm::Error e = drv.copyToHost(ob.data(), (*dout)->p, ob.size() * 2))
      return std::move(e);
    if (llvm::Error e = drv.copyToHost(lse.data(), (*dlse)->p, lse.size() * 4))
      return std::move(e);
    if (bhsd)
      relayout(ob, p.heads, p.seqQ, p.dv, Layout::BHSD, Layout::BSHD);
    ReferenceResult ref = referenceForward(v, p);
    Deviation dev = deviation(ob, ref.o, bf16);
    rep.unwritten = dev.unwritten;
    for (size_t i = 0; i < lse.size(); ++i) {
      double want = ref.lse[i];
      bool ok = std::isinf(want) ? (std::isinf(lse[i]) && lse[i] > 0)
                                 : std::fabs(lse[i] - want) <= 1e-2;
      if (!ok) {
        ++rep.lseBad;
        if (!std::isnan(lse[i]))
          rep.lseWorst = std::max(rep.lseWorst, std::fabs(double(lse[i]) - want));
      }
    }
    rep.relErr = dev.ref2 > 0 ? std::sqrt(dev.err2 / dev.ref2) : std::sqrt(dev.err2);
    rep.checked = true;
  }
  // Timing with a cold L2: a write over twice its size before each launch
  // evicts the inputs, so a small problem is not timed from L2 (the
  // tuner's inputs would otherwise sit there between its back-to-back
  // launches, unlike a model's).
  std::unique_ptr<DeviceBuffer> l2Scratch;
  if (opt.timingReps > 0 && opt.flushL2) {
    l2Scratch = std::make_unique<DeviceBuffer>(
        drv, std::max<size_t>(size_t(2) * drv.device().l2Bytes, size_t(64) << 20));
    if (l2Scratch->error)
      return std::move(l2Scratch->error);
  }
  auto flush = [&]() -> llvm::Error {
    return l2Scratch ? drv.memset8(l2Scratch->p, 0, l2Scratch->bytes) : llvm::Error::success();
  };
  if (opt.timingReps > 0) {
    auto t = medianMs(drv, args.stream, opt.timingReps, [&] { return kernel.forward(args); },
                      flush);
    if (!t)
      return t.takeError();
    rep.medianMs = *t;
    // The dense count 4*B*H*Nq*Nk*d; masks that skip work (causal) make the
    // rate look lower than the benchmarks' masked count would.
    double dense = 2.0 * double(p.batch) * p.heads * double(p.seqQ) * p.seqK * (p.dqk + p.dv);
    rep.tflops = dense / (rep.medianMs * 1e-3) / 1e12;
  }
  if (bwd) {
    // Backward: random dO, gradients poisoned, reference by the chain rule.
    std::vector<float> dOf;
    std::vector<uint16_t> dOb;
    if (opt.reference)
      fill(dOf, oElems, dOb);
    auto ddO = upload(opt.reference ? dOb.data() : nullptr, oElems * 2),
         ddq = upload(nullptr, nq * 2), ddk = upload(nullptr, nk * 2),
         ddv = upload(nullptr, nv * 2);
    for (auto *b : {&ddO, &ddq, &ddk, &ddv})
      if (!*b)
        return b->takeError();
    if (!opt.reference)
      if (llvm::Error e = drv.memset8((*ddO)->p, 0x3c, (*ddO)->bytes))
        return std::move(e);
    BackwardArgs ba;
    static_cast<ForwardArgs &>(ba) = args;
    ba.dO = (*ddO)->ptr();
    ba.dQ = (*ddq)->ptr();
    ba.dK = (*ddk)->ptr();
    ba.dV = (*ddv)->ptr();
    ba.deterministic = opt.deterministic;
    auto runBackward = [&]() -> llvm::Error {
      for (DeviceBuffer *b : {*ddq, *ddk, *ddv})
        if (llvm::Error e = drv.memset8(b->p, 0xff, b->bytes))
          return e;
      if (llvm::Error e = kernel.backward(ba))
        return e;
      return drv.synchronize();
    };
    auto download = [&](DeviceBuffer *b, size_t n) -> llvm::Expected<std::vector<uint16_t>> {
      std::vector<uint16_t> h(n);
      if (llvm::Error e = drv.copyToHost(h.data(), b->p, n * 2))
        return std::move(e);
      return h;
    };
    if (llvm::Error e = runBackward())
      return std::move(e);
    // JITted by now.
    const bool fast = !opt.deterministic && kernel.hasFastBackward();
    bwd->ownDQKernel = fast && kernel.backwardSpec().bwdWide();
    bwd->atomicDQ = fast && !bwd->ownDQKernel;
    bwd->kvSplit = kernel.backwardKvSplit(args);
    // The gradients come back for the reference and the repeat runs only.
    const bool readBack = opt.reference || (!bwd->atomicDQ && opt.repeatRuns > 0);
    auto hq = download(*ddq, readBack ? nq : 0), hk = download(*ddk, readBack ? nk : 0),
         hv = download(*ddv, readBack ? nv : 0);
    for (auto *h : {&hq, &hk, &hv})
      if (!*h)
        return h->takeError();
    bwd->bound = relErrBound(bf16);
    if (opt.reference) {
      ReferenceGrads ref = referenceBackward(v, p, dOf);
      auto relErr = [&](const std::vector<uint16_t> &got, const std::vector<double> &want) {
        Deviation dev = deviation(got, want, bf16);
        bwd->unwritten += dev.unwritten;
        // A gradient that vanishes (RMS < 1e-3: dQ and dK with a single
        // key, where dS = P (dP - D) cancels exactly) is judged by its
        // absolute RMS error instead, scaled so the same bound applies: what
        // remains there is the rounding of the 16-bit O inside
        // D = rowsum(dO * O), as in FlashAttention.
        double n = double(std::max<size_t>(dev.count, 1));
        if (dev.ref2 / n < 1e-6)
          return std::sqrt(dev.err2 / n) / kVanishingRmsScale;
        return std::sqrt(dev.err2 / dev.ref2);
      };
      bwd->errDQ = relErr(*hq, ref.dq);
      bwd->errDK = relErr(*hk, ref.dk);
      bwd->errDV = relErr(*hv, ref.dv);
      bwd->checked = true;
    }
    for (int r = 0; r < (bwd->atomicDQ ? 0 : opt.repeatRuns); ++r) {
      if (llvm::Error e = runBackward())
        return std::move(e);
      auto rq = download(*ddq, nq), rk = download(*ddk, nk), rv = download(*ddv, nv);
      for (auto *h : {&rq, &rk, &rv})
        if (!*h)
          return h->takeError();
      auto diff = [](const std::vector<uint16_t> &a, const std::vector<uint16_t> &b) {
        size_t d = 0;
        for (size_t i = 0; i < a.size(); ++i)
          d += a[i] != b[i];
        return d;
      };
      bwd->bitMismatches += diff(*hq, *rq) + diff(*hk, *rk) + diff(*hv, *rv);
      ++bwd->repeats;
    }
    if (opt.timingReps > 0) {
      auto t = medianMs(drv, ba.stream, opt.timingReps, [&] { return kernel.backward(ba); },
                        flush);
      if (!t)
        return t.takeError();
      bwd->medianMs = *t;
      double dense = 2.5 * 2.0 * double(p.batch) * p.heads * double(p.seqQ) * p.seqK *
                     (p.dqk + p.dv);
      bwd->tflops = dense / (bwd->medianMs * 1e-3) / 1e12;
    }
  }
  return rep;
}
} // namespace
