//===- RecognizeShapes.cpp - attn-recognize-shapes --------------*- C++ -*-===//
//
// Mask: the mask is split into its AND-ed conjuncts; each conjunct that is a
// comparison of two affine forms in (q, k, seq_q, seq_k) with unit
// coefficients on k and q bounds the diagonal offset d = k - q' (q' = q, or
// q + seq_k - seq_q for bottom-right alignment). The band is the
// intersection of those bounds; other conjuncts make it `band_and`, except
// those every kept key satisfies (k <= seq_k - 1), which are dropped.
//
// Score: identity, softcap (c * tanh(score / c)), ALiBi
// (score +- slope[h] * (k - q)), additive (score + anything that does not
// read score), or generic.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/Transforms/Passes.h"
#include "flashgen/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

namespace flashgen::attn {
#define GEN_PASS_DEF_ATTNRECOGNIZESHAPES
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace flashgen::attn

using namespace mlir;
using namespace flashgen::attn;

namespace {

/// c + q*Q + k*K + sq*SEQ_Q + sk*SEQ_K.
struct Affine {
  int64_t q = 0, k = 0, sq = 0, sk = 0, c = 0;
  Affine operator-(const Affine &o) const {
    return {q - o.q, k - o.k, sq - o.sq, sk - o.sk, c - o.c};
  }
  Affine operator+(const Affine &o) const {
    return {q + o.q, k + o.k, sq + o.sq, sk + o.sk, c + o.c};
  }
  Affine scaled(int64_t f) const { return {q * f, k * f, sq * f, sk * f, c * f}; }
};

/// Region arguments of the mask: b, h, q, k, seq_q, seq_k.
std::optional<Affine> affine(Value v, Block &mask, int depth = 0) {
  if (depth > 32)
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != &mask)
      return std::nullopt;
    switch (arg.getArgNumber()) {
    case 2: return Affine{1, 0, 0, 0, 0};
    case 3: return Affine{0, 1, 0, 0, 0};
    case 4: return Affine{0, 0, 1, 0, 0};
    case 5: return Affine{0, 0, 0, 1, 0};
    default: return std::nullopt; // b, h: not a band
    }
  }
  APInt cst;
  if (matchPattern(v, m_ConstantInt(&cst)))
    return Affine{0, 0, 0, 0, cst.getSExtValue()};
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (auto add = dyn_cast<arith::AddIOp>(op)) {
    auto l = affine(add.getLhs(), mask, depth + 1), r = affine(add.getRhs(), mask, depth + 1);
    if (l && r)
      return *l + *r;
  } else if (auto sub = dyn_cast<arith::SubIOp>(op)) {
    auto l = affine(sub.getLhs(), mask, depth + 1), r = affine(sub.getRhs(), mask, depth + 1);
    if (l && r)
      return *l - *r;
  } else if (auto mul = dyn_cast<arith::MulIOp>(op)) {
    APInt f;
    if (matchPattern(mul.getRhs(), m_ConstantInt(&f)))
      if (auto l = affine(mul.getLhs(), mask, depth + 1))
        return l->scaled(f.getSExtValue());
    if (matchPattern(mul.getLhs(), m_ConstantInt(&f)))
      if (auto r = affine(mul.getRhs(), mask, depth + 1))
        return r->scaled(f.getSExtValue());
  }
  return std::nullopt;
}

/// The operands of a tree of `Op` (arith.andi: conjuncts, arith.ori:
/// disjuncts) rooted at v, left to right.
template <class Op> void flatten(Value v, SmallVectorImpl<Value> &out, int depth = 0) {
  if (auto o = v.getDefiningOp<Op>(); o && depth < 64) {
    flatten<Op>(o.getLhs(), out, depth + 1);
    flatten<Op>(o.getRhs(), out, depth + 1);
    return;
  }
  out.push_back(v);
}

/// The predicate P' with (-x P' 0) == (x P 0).
arith::CmpIPredicate negateOperands(arith::CmpIPredicate p) {
  using P = arith::CmpIPredicate;
  switch (p) {
  case P::slt: return P::sgt;
  case P::sle: return P::sge;
  case P::sgt: return P::slt;
  case P::sge: return P::sle;
  default: return p; // eq, ne; unsigned ones are rejected later
  }
}

struct BandBound {
  std::optional<int64_t> lower, upper;
  bool bottomRight = false;
};

/// `cond` as a bound on d = k - q', if it is one.
std::optional<BandBound> asBand(Value cond, Block &mask) {
  bool negate = false;
  // !(x) is arith.xori x, true.
  if (auto x = cond.getDefiningOp<arith::XOrIOp>()) {
    if (matchPattern(x.getRhs(), m_One())) {
      cond = x.getLhs();
      negate = true;
    }
  }
  auto cmp = cond.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return std::nullopt;
  auto l = affine(cmp.getLhs(), mask), r = affine(cmp.getRhs(), mask);
  if (!l || !r)
    return std::nullopt;
  Affine e = *l - *r; // e PRED 0
  using P = arith::CmpIPredicate;
  P pred = cmp.getPredicate();
  if (negate)
    pred = arith::invertPredicate(pred);
  if (e.k == -1) { // make the k coefficient +1
    e = e.scaled(-1);
    pred = negateOperands(pred);
  }
  if (e.k != 1 || e.q != -1)
    return std::nullopt;
  BandBound b;
  if (e.sk == 0 && e.sq == 0)
    b.bottomRight = false;
  else if (e.sk == -1 && e.sq == 1)
    b.bottomRight = true; // k - (q + seq_k - seq_q) + c
  else
    return std::nullopt;
  // e = d + c PRED 0.
  int64_t c = e.c;
  switch (pred) {
  case P::sle: b.upper = -c; break;
  case P::slt: b.upper = -c - 1; break;
  case P::sge: b.lower = -c; break;
  case P::sgt: b.lower = -c + 1; break;
  case P::eq: b.lower = b.upper = -c; break;
  default: return std::nullopt;
  }
  return b;
}

/// Whether `cond` bounds k by seq_k alone and holds for every key the
/// kernels keep (k < seq_k): `k <= seq_k - 1`, `k < seq_k + c` for c >= 0.
/// GQA packing for one query (attn-pack-query-heads) turns a bottom-right
/// causal mask into exactly this; read as a condition it would cost the
/// decoding launch a tile-class builder kernel of its own.
bool holdsForEveryKey(Value cond, Block &mask) {
  auto cmp = cond.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return false;
  auto l = affine(cmp.getLhs(), mask), r = affine(cmp.getRhs(), mask);
  if (!l || !r)
    return false;
  Affine e = *l - *r; // e PRED 0
  using P = arith::CmpIPredicate;
  P pred = cmp.getPredicate();
  if (e.k == -1) {
    e = e.scaled(-1);
    pred = negateOperands(pred);
  }
  if (e.k != 1 || e.sk != -1 || e.q != 0 || e.sq != 0)
    return false;
  // k - seq_k + c PRED 0, i.e. k PRED seq_k - c; k <= seq_k - 1 always.
  return (pred == P::sle && -e.c >= -1) || (pred == P::slt && -e.c >= 0);
}

bool readsScore(Value v, Value score, int depth = 0) {
  if (v == score)
    return true;
  Operation *op = v.getDefiningOp();
  if (!op || depth > 64)
    return false;
  for (Value operand : op->getOperands())
    if (readsScore(operand, score, depth + 1))
      return true;
  return false;
}

std::optional<double> constantFloat(Value v) {
  FloatAttr f;
  if (matchPattern(v, m_Constant(&f)))
    return f.getValueAsDouble();
  return std::nullopt;
}

bool nearlyEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b));
}

/// cap * tanh(score / cap) or cap * tanh(score * (1/cap)), factors in either
/// order.
std::optional<double> matchSoftcap(Value v, Value score) {
  auto outer = v.getDefiningOp<arith::MulFOp>();
  if (!outer)
    return std::nullopt;
  for (auto [capSide, tanhSide] : {std::pair(outer.getLhs(), outer.getRhs()),
                                   std::pair(outer.getRhs(), outer.getLhs())}) {
    std::optional<double> cap = constantFloat(capSide);
    auto tanh = tanhSide.getDefiningOp<math::TanhOp>();
    if (!cap || !tanh || *cap <= 0)
      continue;
    Value inner = tanh.getOperand();
    if (auto div = inner.getDefiningOp<arith::DivFOp>()) {
      auto d = constantFloat(div.getRhs());
      if (div.getLhs() == score && d && nearlyEqual(*d, *cap))
        return cap;
    }
    if (auto mul = inner.getDefiningOp<arith::MulFOp>()) {
      for (auto [s, f] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())}) {
        auto m = constantFloat(f);
        if (s == score && m && nearlyEqual(*m * *cap, 1.0))
          return cap;
      }
    }
  }
  return std::nullopt;
}

/// slope[h] * float(k - q) (factors in either order); sign is +1 for k - q
/// and -1 for q - k.
std::optional<std::pair<StringRef, int64_t>> matchAlibiTerm(Value v, Block &score) {
  auto mul = v.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return std::nullopt;
  for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())}) {
    auto lookup = a.getDefiningOp<LookupOp>();
    auto cast = b.getDefiningOp<arith::SIToFPOp>();
    if (!lookup || !cast || lookup.getIndices().size() != 1 ||
        lookup.getIndices()[0] != score.getArgument(2)) // h
      continue;
    auto sub = cast.getIn().getDefiningOp<arith::SubIOp>();
    if (!sub)
      continue;
    Value q = score.getArgument(3), k = score.getArgument(4);
    if (sub.getLhs() == k && sub.getRhs() == q)
      return std::pair(lookup.getName(), int64_t(1));
    if (sub.getLhs() == q && sub.getRhs() == k)
      return std::pair(lookup.getName(), int64_t(-1));
  }
  return std::nullopt;
}

} // namespace

MaskShapeAttr flashgen::attn::recognizeMaskShape(VariantOp v) {
  MLIRContext *ctx = v.getContext();
  Block &mask = v.getMask().front();
  Value result = v.getMaskValue();
  if (matchPattern(result, m_One()))
    return MaskShapeAttr::get(ctx, MaskShapeKind::none, std::nullopt, std::nullopt, false);
  SmallVector<Value> terms;
  flatten<arith::AndIOp>(result, terms);
  std::optional<int64_t> lower, upper;
  std::optional<bool> bottomRight;
  bool residual = false;
  for (Value t : terms) {
    if (matchPattern(t, m_One()) || holdsForEveryKey(t, mask))
      continue; // `&& true`
    std::optional<BandBound> b = asBand(t, mask);
    if (!b || (bottomRight && *bottomRight != b->bottomRight)) {
      residual = true;
      continue;
    }
    bottomRight = b->bottomRight;
    if (b->lower)
      lower = lower ? std::max(*lower, *b->lower) : *b->lower;
    if (b->upper)
      upper = upper ? std::min(*upper, *b->upper) : *b->upper;
  }
  if (!bottomRight)
    return MaskShapeAttr::get(ctx, residual ? MaskShapeKind::generic : MaskShapeKind::none,
                              std::nullopt, std::nullopt, false);
  return MaskShapeAttr::get(ctx, residual ? MaskShapeKind::band_and : MaskShapeKind::band,
                            lower, upper, *bottomRight);
}

bool flashgen::attn::keepsCausalBand(VariantOp v) {
  Block &mask = v.getMask().front();
  SmallVector<Value> terms;
  flatten<arith::OrIOp>(v.getMaskValue(), terms);
  if (terms.size() < 2)
    return false; // the band alone is recognizeMaskShape's
  for (Value t : terms) {
    std::optional<BandBound> b = asBand(t, mask);
    if (b && !b->lower && b->upper && *b->upper >= 0)
      return true;
  }
  return false;
}

ScoreShapeAttr flashgen::attn::recognizeScoreShape(VariantOp v) {
  MLIRContext *ctx = v.getContext();
  Block &block = v.getScore().front();
  Value score = block.getArgument(0);
  Value result = v.getScoreValue();
  auto make = [&](ScoreShapeKind k, double cap = 0, StringRef tensor = "",
                  int64_t sign = 0) {
    return ScoreShapeAttr::get(ctx, k, llvm::APFloat(cap), tensor, sign);
  };
  if (result == score)
    return make(ScoreShapeKind::identity);
  if (std::optional<double> cap = matchSoftcap(result, score))
    return make(ScoreShapeKind::softcap, *cap);
  // score + T, T + score, score - T, with T independent of score.
  Value term;
  int64_t termSign = 0;
  if (auto add = result.getDefiningOp<arith::AddFOp>()) {
    if (add.getLhs() == score && !readsScore(add.getRhs(), score))
      term = add.getRhs(), termSign = 1;
    else if (add.getRhs() == score && !readsScore(add.getLhs(), score))
      term = add.getLhs(), termSign = 1;
  } else if (auto sub = result.getDefiningOp<arith::SubFOp>()) {
    if (sub.getLhs() == score && !readsScore(sub.getRhs(), score))
      term = sub.getRhs(), termSign = -1;
  }
  if (!term)
    return make(ScoreShapeKind::generic);
  if (auto alibi = matchAlibiTerm(term, block))
    return make(ScoreShapeKind::alibi, 0, alibi->first, termSign * alibi->second);
  return make(ScoreShapeKind::additive);
}

namespace {
struct RecognizeShapesPass
    : public flashgen::attn::impl::AttnRecognizeShapesBase<RecognizeShapesPass> {
  void runOnOperation() override {
    getOperation().walk([&](VariantOp v) {
      v.setMaskShapeAttr(recognizeMaskShape(v));
      v.setScoreShapeAttr(recognizeScoreShape(v));
    });
  }
};
} // namespace
