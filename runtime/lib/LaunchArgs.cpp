//===- LaunchArgs.cpp - launch arguments checked against a variant -*- C++ -*-===//
//
// Everything a launch's arguments must satisfy that the host can check
// without a GPU: pointers, counts, grouping, varlen offsets, strides,
// outputs apart from inputs, named tensors against their declarations;
// then the parameter blocks the
// kernels read (templates/flashgen/attention/Params.cuh).
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/LaunchArgs.h"

#include "flashgen/Codegen/ErrorKind.h"
#include "flashgen/Dialect/Attn/IR/AttnDialect.h"

#include "flashgen/attention/Params.cuh" // shared with the kernels

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

using namespace flashgen;

namespace {

bool aligned16(const void *p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

llvm::Error fail(const llvm::Twine &msg) { return makeError(ErrorKind::Argument, msg); }

/// Each named device pointer present and 16-byte aligned, else an error
/// "<who>: '<name>' is null" or "... must be 16-byte aligned (<why>)".
llvm::Error checkPointers(const std::string &who,
                          std::initializer_list<std::pair<const char *, const void *>> ptrs,
                          const char *why) {
  for (auto [name, p] : ptrs) {
    if (!p)
      return fail(who + ": '" + name + "' is null");
    if (!aligned16(p))
      return fail(who + ": '" + name + "' must be 16-byte aligned (" + why + ")");
  }
  return llvm::Error::success();
}

/// The bytes a [batch][rows][heads][dim] tensor (strides in elements) may
/// touch.
struct Footprint {
  const char *name;
  const void *ptr;
  int64_t batch, rows, heads, dim, elem;
  Strides st;
  uintptr_t base() const { return reinterpret_cast<uintptr_t>(ptr); }
  uintptr_t end() const {
    return base() + uintptr_t(((batch - 1) * st.batch + (rows - 1) * st.row +
                               (heads - 1) * st.head + dim) *
                              elem);
  }
};

/// The logsumexp's footprint: `count` contiguous fp32 values.
Footprint lseFootprint(const float *lse, int64_t count) {
  return {"lse", lse, 1, count, 1, 1, 4, Strides{0, 1, 0}};
}

/// Whether two footprints may share a byte. Conservative (their ranges
/// meet), except for tensors of one layout whose rows interleave in a
/// shared buffer (a packed QKV or QKVO tensor): each row's bytes lie in a
/// window of the row pitch, and the windows do not meet.
bool mayOverlap(const Footprint &a, const Footprint &b) {
  if (a.end() <= b.base() || b.end() <= a.base())
    return false;
  const int64_t pitch = a.st.row * a.elem;
  const int64_t window = ((a.heads - 1) * a.st.head + a.dim) * a.elem;
  const bool rowsInterleave =
      a.elem == b.elem && a.st.row == b.st.row && a.st.head == b.st.head &&
      a.st.batch == b.st.batch && a.heads == b.heads && a.dim == b.dim && window <= pitch &&
      a.st.batch % a.st.row == 0;
  if (!rowsInterleave)
    return true;
  const int64_t shift =
      ((int64_t(b.base()) - int64_t(a.base())) % pitch + pitch) % pitch; // b's window start
  return !(shift >= window && shift + window <= pitch);
}

/// "<who>: 'out' overlaps 'in' in memory" for the first output that may
/// share bytes with an input or another output.
llvm::Error checkNoOverlap(const std::string &who, llvm::ArrayRef<Footprint> outputs,
                           llvm::ArrayRef<Footprint> inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (const Footprint &in : inputs)
      if (mayOverlap(outputs[i], in))
        return fail(who + ": '" + outputs[i].name + "' overlaps '" + in.name +
                    "' in memory (an output must not share bytes with an input)");
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (mayOverlap(outputs[i], outputs[j]))
        return fail(who + ": '" + outputs[i].name + "' overlaps '" + outputs[j].name +
                    "' in memory (outputs must not share bytes)");
  }
  return llvm::Error::success();
}

/// The launch's slice lies inside the whole problem: offsets >= 0 and
/// offset + length <= the whole's length, so the positions the kernels
/// compute stay in [0, whole) as the compiler's range facts assume.
llvm::Error checkPositions(const std::string &pre, const ForwardArgs &a) {
  const Positions &pos = a.positions;
  struct Axis {
    const char *offsetName, *wholeName;
    int offset, own, whole;
  };
  const Axis axes[] = {{"qOffset", "seqQ", pos.qOffset, a.seqQ, pos.seqQ},
                       {"kOffset", "seqK", pos.kOffset, a.seqK, pos.seqK},
                       {"headOffset", "heads", pos.headOffset, a.heads, pos.heads}};
  for (const Axis &x : axes) {
    const int whole = x.whole ? x.whole : x.own;
    if (x.offset < 0 || x.whole < 0)
      return fail(pre + "positions." + x.offsetName + " (" + llvm::Twine(x.offset) +
                  ") and positions." + x.wholeName + " (" + llvm::Twine(x.whole) +
                  ") must be >= 0");
    if (int64_t(x.offset) + x.own > whole)
      return fail(pre + "positions." + x.offsetName + " " + llvm::Twine(x.offset) + " + " +
                  x.wholeName + " " + llvm::Twine(x.own) + " exceeds the whole problem's " +
                  x.wholeName + " " + llvm::Twine(whole) + " (set positions." + x.wholeName +
                  " to the whole problem's)");
  }
  return llvm::Error::success();
}

} // namespace

std::optional<int64_t> flashgen::resolveExtent(llvm::StringRef dim, const ForwardArgs &a,
                                               int kvHeads, bool varlen) {
  int64_t n;
  if (!dim.getAsInteger(10, n))
    return n;
  auto [base, block] = attn::splitExtent(dim);
  std::optional<int64_t> extent;
  if (base == "batch") extent = a.batch;
  else if (base == "heads") extent = a.positions.heads ? a.positions.heads : a.heads;
  else if (base == "kv_heads") extent = kvHeads;
  else if (base == "seq_q") extent = a.positions.seqQ ? a.positions.seqQ : a.seqQ;
  else if (base == "seq_k") extent = a.positions.seqK ? a.positions.seqK : a.seqK;
  else if (base == "tokens_q") extent = varlen ? a.totalQ : int64_t(a.batch) * a.seqQ;
  else if (base == "tokens_k") extent = varlen ? a.totalK : int64_t(a.batch) * a.seqK;
  if (!extent || block < 1)
    return std::nullopt;
  return (*extent + block - 1) / block;
}

llvm::Error flashgen::runtime::buildForwardParams(const codegen::KernelSpec &s,
                                                  const ForwardArgs &a, ParamsFor pass,
                                                  FwdParams &p) {
  const char *who = pass == ParamsFor::Forward ? "forward" : "backward";
  const std::string pre = std::string(who) + ": ";
  if (llvm::Error e = checkPointers(who, {{"q", a.q}, {"k", a.k}, {"v", a.v}, {"o", a.o}},
                                     "cp.async loads 16 bytes"))
    return e;
  if (a.lse && (reinterpret_cast<uintptr_t>(a.lse) & 3))
    return fail(pre + "'lse' must be 4-byte aligned");
  // Counts.
  if (a.batch < 1 || a.heads < 1 || a.seqQ < 1 || a.seqK < 1)
    return fail(pre + "batch, heads, seqQ and seqK must be >= 1 (got batch=" +
                llvm::Twine(a.batch) + " heads=" + llvm::Twine(a.heads) + " seqQ=" +
                llvm::Twine(a.seqQ) + " seqK=" + llvm::Twine(a.seqK) + ")");
  // Heads and batch index the grid's y and z dimensions.
  if (a.heads > 65535 || a.batch > 65535)
    return fail(pre + "heads (" + llvm::Twine(a.heads) + ") and batch (" +
                llvm::Twine(a.batch) + ") must each be at most 65535 (CUDA grid limit)");
  int kvHeads = resolvedKvHeads(s, a);
  if (kvHeads < 1 || a.heads % kvHeads != 0)
    return fail(pre + "kvHeads (" + llvm::Twine(kvHeads) + ") must divide heads (" +
                llvm::Twine(a.heads) + ")");
  if (s.kvHeadsRatio && a.heads / kvHeads != s.kvHeadsRatio)
    return fail(pre + "the spec groups " + llvm::Twine(s.kvHeadsRatio) +
                " query heads per kv head, but heads/kvHeads = " +
                llvm::Twine(a.heads / kvHeads));
  if (llvm::Error e = checkPositions(pre, a))
    return e;
  if (s.varlen) {
    if (!a.cuSeqlensQ || !a.cuSeqlensK || a.totalQ < 1 || a.totalK < 1)
      return fail(pre + "variant '" + s.variant + "' is varlen: give cuSeqlensQ, "
                  "cuSeqlensK (batch + 1 offsets each) and totalQ, totalK");
  } else if (a.cuSeqlensQ || a.cuSeqlensK) {
    return fail(pre + "cuSeqlensQ/cuSeqlensK given, but variant '" + s.variant +
                "' is not varlen (add `varlen = true;` to the spec)");
  }
  if (a.seqUsedK) {
    if (pass != ParamsFor::Forward)
      return fail(pre + "seqUsedK (per-entry key lengths) is a forward option: the backward "
                  "has no per-entry key lengths; give it the keys that exist");
    if (reinterpret_cast<uintptr_t>(a.seqUsedK) & 3)
      return fail(pre + "'seqUsedK' must be 4-byte aligned (int32 [batch])");
  }
  const bool paged = a.pageTable != nullptr;
  if (paged) {
    if (pass != ParamsFor::Forward)
      return fail(pre + "a paged KV cache (pageTable) is a forward option");
    if (s.varlen)
      return fail(pre + "a paged KV cache (pageTable) with varlen variant '" + s.variant +
                  "' is not supported: give per-entry lengths (seqUsedK) instead");
    if (reinterpret_cast<uintptr_t>(a.pageTable) & 3)
      return fail(pre + "'pageTable' must be 4-byte aligned (int32)");
    if (a.pageSize < 16 || a.pageSize % 16)
      return fail(pre + "pageSize (" + llvm::Twine(a.pageSize) +
                  ") must be a positive multiple of 16");
    if (a.numPages < 1 || int64_t(a.numPages) * a.pageSize > std::numeric_limits<int32_t>::max())
      return fail(pre + "numPages (" + llvm::Twine(a.numPages) +
                  ") must be >= 1, with numPages x pageSize rows < 2^31");
    const int64_t spanned = (int64_t(a.seqK) + a.pageSize - 1) / a.pageSize;
    if (a.pageTableStride < spanned)
      return fail(pre + "pageTableStride (" + llvm::Twine(a.pageTableStride) +
                  ") must hold the " + llvm::Twine(spanned) + " pages that seqK = " +
                  llvm::Twine(a.seqK) + " keys span");
    for (auto [name, st] : {std::pair("k", a.kStrides), std::pair("v", a.vStrides)})
      if (st.batch || st.row || st.head)
        return fail(pre + "a paged '" + name + "' is a contiguous pool [numPages][pageSize]"
                    "[kvHeads][d]: leave its strides zero");
  } else if (a.pageSize || a.numPages || a.pageTableStride) {
    return fail(pre + "pageSize/numPages/pageTableStride given without a pageTable");
  }
  if (a.kvBatchIndex) {
    if (pass != ParamsFor::Forward)
      return fail(pre + "kvBatchIndex (entries of a larger K/V) is a forward option");
    if (s.varlen || paged)
      return fail(pre + "kvBatchIndex does not combine with varlen or a paged cache");
    if (reinterpret_cast<uintptr_t>(a.kvBatchIndex) & 3)
      return fail(pre + "'kvBatchIndex' must be 4-byte aligned (int32 [batch])");
    if (a.kvBatch < 1 || a.kvBatch > 65535)
      return fail(pre + "kvBatch (" + llvm::Twine(a.kvBatch) +
                  ", the entries of K/V that kvBatchIndex picks from) must be in [1, 65535]");
  } else if (a.kvBatch) {
    return fail(pre + "kvBatch given without kvBatchIndex");
  }
  // Strides: explicit, or from the layout.
  int64_t dqk = s.headDimQK, dv = s.headDimV;
  auto derive = [&](Strides st, int h, int64_t seq, int64_t d) {
    return derivedStrides(st, a.layout, h, seq, d);
  };
  Strides qs = derive(a.qStrides, a.heads, s.varlen ? 0 : a.seqQ, dqk);
  // A paged pool: rows of kvHeads x d, one batch entry of numPages x
  // pageSize rows (the page table picks them).
  Strides ks = paged ? Strides{0, kvHeads * dqk, dqk}
                     : derive(a.kStrides, kvHeads, s.varlen ? 0 : a.seqK, dqk);
  Strides vs = paged ? Strides{0, kvHeads * dv, dv}
                     : derive(a.vStrides, kvHeads, s.varlen ? 0 : a.seqK, dv);
  Strides os = derive(a.oStrides, a.heads, s.varlen ? 0 : a.seqQ, dv);
  // 16 bytes: 8 elements, 16 of fp8 inputs (o is bf16).
  const int in = 16 / s.inputBytes();
  for (auto [name, st, m] : {std::tuple("q", qs, in), std::tuple("k", ks, in),
                             std::tuple("v", vs, in), std::tuple("o", os, 8)})
    if (st.row % m || st.head % m || st.batch % m || st.row <= 0)
      return fail(pre + "strides of '" + name + "' must be positive multiples of " +
                  llvm::Twine(m) + " elements (16 bytes)");
  if (s.fp8) {
    // The fp8 forward (FwdFp8.cuh) is the warp-specialized kernel, with
    // every feature of its 16-bit inputs' (decoding ones too) but a backward.
    if (pass != ParamsFor::Forward)
      return fail(pre + "fp8 inputs (variant '" + s.variant + "') have no backward");
    if (dv % 16)
      return fail(pre + "fp8 inputs need a V head dim that is a multiple of 16, not " +
                  llvm::Twine(dv));
    for (auto [name, f] : {std::pair("qDescale", a.qDescale), std::pair("kDescale", a.kDescale),
                           std::pair("vDescale", a.vDescale)})
      if (!(f > 0.f) || !std::isfinite(f))
        return fail(pre + name + " (" + std::to_string(f) +
                    ") must be a positive finite number");
    for (auto [name, f] : {std::pair("qHeadDescale", &a.qHeadDescale),
                           std::pair("kHeadDescale", &a.kHeadDescale),
                           std::pair("vHeadDescale", &a.vHeadDescale)}) {
      if (!f->data)
        continue;
      if (reinterpret_cast<uintptr_t>(f->data) % alignof(float))
        return fail(pre + name + " is not 4-byte aligned (float32 [batch][kvHeads])");
      if (f->batchStride < 0 || f->headStride < 0)
        return fail(pre + name + "'s strides (" + llvm::Twine(f->batchStride) + ", " +
                    llvm::Twine(f->headStride) + ") must not be negative");
    }
  } else if (a.qDescale != 1.f || a.kDescale != 1.f || a.vDescale != 1.f ||
             a.qHeadDescale.data || a.kHeadDescale.data || a.vHeadDescale.data) {
    return fail(pre + "descale factors apply to fp8 inputs; variant '" + s.variant + "' is " +
                (s.bf16 ? "bf16" : "f16"));
  }

  // The forward's outputs apart from its inputs and from each other
  // (varlen: totalQ/totalK rows of one batch entry); the backward reads o
  // and lse, and checks its gradients against them.
  if (pass == ParamsFor::Forward) {
    const int64_t fb = s.varlen ? 1 : a.batch, rq = s.varlen ? a.totalQ : a.seqQ,
                  rk = s.varlen ? a.totalK : a.seqK;
    const int64_t kvb = paged ? 1 : a.kvBatchIndex ? a.kvBatch : fb,
                  rkv = paged ? int64_t(a.numPages) * a.pageSize : rk;
    std::vector<Footprint> outs = {{"o", a.o, fb, rq, a.heads, dv, 2, os}};
    if (a.lse)
      outs.push_back(lseFootprint(a.lse, int64_t(a.heads) * fb * rq));
    if (llvm::Error e = checkNoOverlap(who, outs,
                                       {{"q", a.q, fb, rq, a.heads, dqk, s.inputBytes(), qs},
                                        {"k", a.k, kvb, rkv, kvHeads, dqk, s.inputBytes(), ks},
                                        {"v", a.v, kvb, rkv, kvHeads, dv, s.inputBytes(), vs}}))
      return e;
  }

  p.q = a.q; p.k = a.k; p.v = a.v; p.o = a.o; p.lse = a.lse;
  p.qBatchStride = qs.batch; p.qRowStride = qs.row; p.qHeadStride = qs.head;
  p.kBatchStride = ks.batch; p.kRowStride = ks.row; p.kHeadStride = ks.head;
  p.vBatchStride = vs.batch; p.vRowStride = vs.row; p.vHeadStride = vs.head;
  p.oBatchStride = os.batch; p.oRowStride = os.row; p.oHeadStride = os.head;
  if (s.varlen) {
    p.lseHeadStride = a.totalQ;
  } else {
    p.lseHeadStride = a.seqQ;
    p.lseBatchStride = int64_t(a.heads) * a.seqQ;
  }
  p.batch = a.batch; p.heads = a.heads; p.kvHeads = kvHeads;
  p.seqQ = a.seqQ; p.seqK = a.seqK;
  p.frameQOffset = a.positions.qOffset;
  p.frameKOffset = a.positions.kOffset;
  p.frameHeadOffset = a.positions.headOffset;
  p.frameSeqQ = a.positions.seqQ;
  p.frameSeqK = a.positions.seqK;
  p.headDimQK = int(dqk); p.headDimV = int(dv);
  p.cuSeqlensQ = a.cuSeqlensQ; p.cuSeqlensK = a.cuSeqlensK;
  p.seqUsedK = a.seqUsedK;
  p.pageTable = a.pageTable;
  p.pageSize = a.pageSize;
  p.pageTableStride = a.pageTableStride;
  p.poolRows = paged ? a.numPages * a.pageSize : 0;
  p.kvBatchIndex = a.kvBatchIndex;
  // fp8: Q's and K's descale factors scale every score (FwdFp8.cuh).
  const double scale = s.scale * double(a.qDescale) * double(a.kDescale);
  p.scale = float(scale);
  p.scaleLog2 = float(scale * 1.4426950408889634);
  p.oScale = a.vDescale;
  auto headFactors = [](const ForwardArgs::HeadDescale &f) {
    return HeadFactors{f.data, f.batchStride, f.headStride};
  };
  p.qHeadDescale = headFactors(a.qHeadDescale);
  p.kHeadDescale = headFactors(a.kHeadDescale);
  p.vHeadDescale = headFactors(a.vHeadDescale);
  p.dropoutP = float(s.dropout);
  p.dropoutScale = float(1.0 / (1.0 - s.dropout));
  p.seed = a.dropoutSeed; p.offset = a.dropoutOffset;

  // Named tensors: every declared one, nothing else, shapes as declared.
  for (auto &[name, t] : a.tensors) {
    bool known = false;
    for (const codegen::TensorInfo &ti : s.tensors)
      known |= ti.name == name;
    if (!known)
      return fail(pre + "tensor '" + name + "' is not read by variant '" + s.variant + "'");
  }
  for (size_t i = 0; i < s.tensors.size(); ++i) {
    const codegen::TensorInfo &ti = s.tensors[i];
    auto it = a.tensors.find(ti.name);
    if (it == a.tensors.end() || !it->second.data)
      return fail(pre + "variant '" + s.variant + "' reads tensor '" + ti.name +
                  "'; pass it in args.tensors");
    const NamedTensor &t = it->second;
    if (t.shape.size() != ti.dims.size())
      return fail(pre + "tensor '" + ti.name + "' must have rank " +
                  llvm::Twine(ti.dims.size()) + ", got " + llvm::Twine(t.shape.size()));
    if (reinterpret_cast<uintptr_t>(t.data) & 3)
      return fail(pre + "tensor '" + ti.name + "' must be 4-byte aligned");
    TensorRef &ref = p.tensors[i];
    ref.data = t.data;
    int64_t contiguous = 1;
    for (int d = int(ti.dims.size()) - 1; d >= 0; --d) {
      std::optional<int64_t> want = resolveExtent(ti.dims[d], a, kvHeads, s.varlen);
      if (!want || t.shape[d] != *want)
        return fail(pre + "tensor '" + ti.name + "' dimension " + llvm::Twine(d) +
                    " (" + ti.dims[d] + ") must be " + llvm::Twine(want.value_or(-1)) +
                    ", got " + llvm::Twine(t.shape[d]));
      ref.dims[d] = int32_t(t.shape[d]);
      ref.strides[d] = t.strides.empty() ? contiguous : t.strides[d];
      contiguous *= t.shape[d];
    }
  }

  return llvm::Error::success();
}


llvm::Error flashgen::runtime::buildBackwardParams(const BackwardArgs &a, BwdParams &p) {
  const FwdParams &f = p.f;
  if (!a.lse)
    return fail("backward: 'lse' is required (the forward's logsumexp, [batch][heads][seqQ] "
                "fp32; varlen: [heads][totalQ])");
  if (llvm::Error e =
          checkPointers("backward", {{"dO", a.dO}, {"dQ", a.dQ}, {"dK", a.dK}, {"dV", a.dV}},
                        "vector loads and stores"))
    return e;
  if (a.workspace && !aligned16(a.workspace))
    return fail("backward: 'workspace' must be 16-byte aligned");
  // Gradient strides: explicit, or those of the tensor they belong to.
  auto orDefault = [](Strides st, int64_t b, int64_t r, int64_t h) {
    return (st.row || st.head || st.batch) ? st : Strides{b, r, h};
  };
  Strides dO = orDefault(a.dOStrides, f.oBatchStride, f.oRowStride, f.oHeadStride);
  Strides dQ = orDefault(a.dQStrides, f.qBatchStride, f.qRowStride, f.qHeadStride);
  Strides dK = orDefault(a.dKStrides, f.kBatchStride, f.kRowStride, f.kHeadStride);
  Strides dV = orDefault(a.dVStrides, f.vBatchStride, f.vRowStride, f.vHeadStride);
  for (auto [name, st] : {std::pair("dO", dO), std::pair("dQ", dQ), std::pair("dK", dK),
                          std::pair("dV", dV)})
    if (st.row % 8 || st.head % 8 || st.batch % 8 || st.row <= 0)
      return fail(llvm::Twine("backward: strides of '") + name +
                  "' must be positive multiples of 8 elements (16 bytes)");
  // Gradients apart from the inputs and from each other (varlen: one
  // batch entry of totalQ/totalK rows).
  const bool varlen = f.cuSeqlensQ != nullptr;
  const int64_t fb = varlen ? 1 : f.batch, rq = varlen ? a.totalQ : f.seqQ,
                rk = varlen ? a.totalK : f.seqK, ge = a.accumulateF32 ? 4 : 2;
  if (llvm::Error e = checkNoOverlap(
          "backward",
          {{"dQ", a.dQ, fb, rq, f.heads, f.headDimQK, ge, dQ},
           {"dK", a.dK, fb, rk, f.kvHeads, f.headDimQK, ge, dK},
           {"dV", a.dV, fb, rk, f.kvHeads, f.headDimV, ge, dV}},
          {{"q", f.q, fb, rq, f.heads, f.headDimQK, 2,
            Strides{f.qBatchStride, f.qRowStride, f.qHeadStride}},
           {"k", f.k, fb, rk, f.kvHeads, f.headDimQK, 2,
            Strides{f.kBatchStride, f.kRowStride, f.kHeadStride}},
           {"v", f.v, fb, rk, f.kvHeads, f.headDimV, 2,
            Strides{f.vBatchStride, f.vRowStride, f.vHeadStride}},
           {"o", f.o, fb, rq, f.heads, f.headDimV, 2,
            Strides{f.oBatchStride, f.oRowStride, f.oHeadStride}},
           {"dO", a.dO, fb, rq, f.heads, f.headDimV, 2, dO},
           lseFootprint(a.lse, int64_t(f.heads) * fb * rq)}))
    return e;
  p.dO = a.dO;
  p.dQ = a.dQ;
  p.dK = a.dK;
  p.dV = a.dV;
  p.dOBatchStride = dO.batch; p.dORowStride = dO.row; p.dOHeadStride = dO.head;
  p.dQBatchStride = dQ.batch; p.dQRowStride = dQ.row; p.dQHeadStride = dQ.head;
  p.dKBatchStride = dK.batch; p.dKRowStride = dK.row; p.dKHeadStride = dK.head;
  p.dVBatchStride = dV.batch; p.dVRowStride = dV.row; p.dVHeadStride = dV.head;
  p.accumulateF32 = a.accumulateF32 ? 1 : 0;
  p.kvSplit = 1; // the launch splits heads over CTAs where that fills the GPU
  p.dkvPartial = nullptr;
  return llvm::Error::success();
}

Strides flashgen::runtime::derivedStrides(Strides given, Layout layout, int64_t heads,
                                          int64_t seq, int64_t dim) {
  if (given.row || given.head || given.batch)
    return given;
  if (layout == Layout::BSHD)
    return Strides{seq * heads * dim, heads * dim, dim};
  return Strides{heads * seq * dim, dim, seq * dim};
}

int flashgen::runtime::resolvedKvHeads(const codegen::KernelSpec &s, const ForwardArgs &a) {
  if (a.kvHeads)
    return a.kvHeads;
  return s.kvHeadsRatio ? a.heads / int(s.kvHeadsRatio) : a.heads;
}

int64_t flashgen::runtime::backwardPaddedRows(int n) {
  return (int64_t(std::max(n, 0)) + kBwdSeqPadding - 1) / kBwdSeqPadding * kBwdSeqPadding;
}

runtime::BackwardWorkspace
flashgen::runtime::backwardWorkspaceLayout(const ForwardArgs &a, int64_t paddedQK, int kvHeads,
                                           int headDimQK, int headDimV, int kvSplit) {
  const size_t rows = size_t(std::max(a.batch, 0)) * size_t(std::max(a.heads, 0)) *
                      size_t(backwardPaddedRows(a.seqQ));
  BackwardWorkspace w;
  w.lse2 = 0;
  w.dsum = rows * sizeof(float);
  w.dqAccum = 2 * rows * sizeof(float);
  w.dqOrder = w.dqAccum + rows * size_t(paddedQK) * sizeof(float);
  const size_t end = w.dqOrder + rows / kBwdOrderRows * sizeof(int32_t);
  w.dkvPartial = (end + 15) / 16 * 16;
  w.bytes = kvSplit > 1 ? w.dkvPartial + size_t(bwdDkvPartialFloats(
                                             kvSplit, std::max(a.batch, 0), kvHeads,
                                             int(backwardPaddedRows(a.seqK)), headDimQK,
                                             headDimV)) *
                                             sizeof(float)
                        : end;
  return w;
}

