//===- MaskEval.cpp - evaluate mask/score regions on the host ---*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"
#include "flashgen/attention/IntArith.cuh" // the kernels' / and %, shared

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace flashgen::attn;

namespace {

constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

/// An interval whose 64-bit bounds left the i32 range may have wrapped on
/// the device: give up on it.
Interval clampOrTop(int64_t lo, int64_t hi) {
  if (lo < kI32Min || hi > kI32Max)
    return Interval::top();
  return {lo, hi};
}

Interval hull(Interval a, Interval b) {
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

Tri triAnd(Tri a, Tri b) {
  if (a == Tri::False || b == Tri::False)
    return Tri::False;
  if (a == Tri::True && b == Tri::True)
    return Tri::True;
  return Tri::Unknown;
}
Tri triOr(Tri a, Tri b) {
  if (a == Tri::True || b == Tri::True)
    return Tri::True;
  if (a == Tri::False && b == Tri::False)
    return Tri::False;
  return Tri::Unknown;
}
Tri triNot(Tri a) {
  return a == Tri::Unknown ? a : (a == Tri::True ? Tri::False : Tri::True);
}
Tri triXor(Tri a, Tri b) {
  if (a == Tri::Unknown || b == Tri::Unknown)
    return Tri::Unknown;
  return (a == Tri::True) != (b == Tri::True) ? Tri::True : Tri::False;
}

/// x < y over intervals.
Tri less(Interval x, Interval y) {
  if (x.hi < y.lo)
    return Tri::True;
  if (x.lo >= y.hi)
    return Tri::False;
  return Tri::Unknown;
}
Tri equal(Interval x, Interval y) {
  if (x.isPoint() && y.isPoint() && x.lo == y.lo)
    return Tri::True;
  if (x.hi < y.lo || y.hi < x.lo)
    return Tri::False;
  return Tri::Unknown;
}

Tri compare(arith::CmpIPredicate p, Interval x, Interval y) {
  using P = arith::CmpIPredicate;
  switch (p) {
  case P::slt: return less(x, y);
  case P::sle: return triNot(less(y, x));
  case P::sgt: return less(y, x);
  case P::sge: return triNot(less(x, y));
  case P::eq: return equal(x, y);
  case P::ne: return triNot(equal(x, y));
  default:
    // Unsigned compares agree with signed ones when both sides are >= 0.
    if (x.lo >= 0 && y.lo >= 0) {
      switch (p) {
      case P::ult: return less(x, y);
      case P::ule: return triNot(less(y, x));
      case P::ugt: return less(y, x);
      case P::uge: return triNot(less(x, y));
      default: break;
      }
    }
    return Tri::Unknown;
  }
}

Interval divide(Interval x, Interval y) {
  if (y.contains(0))
    return Interval::top();
  // Truncating division is monotone in x for a fixed-sign y and monotone in
  // y on each side of zero, so the corners bound it.
  int64_t c[4] = {x.lo / y.lo, x.lo / y.hi, x.hi / y.lo, x.hi / y.hi};
  return clampOrTop(*std::min_element(c, c + 4), *std::max_element(c, c + 4));
}

Interval remainder(Interval x, Interval y) {
  if (y.contains(0))
    return Interval::top();
  int64_t maxAbs = std::max(std::llabs(y.lo), std::llabs(y.hi));
  int64_t minAbs = std::min(std::llabs(y.lo), std::llabs(y.hi));
  // |x| < min|y| leaves x unchanged; otherwise the result has x's sign and
  // magnitude below max|y|.
  if (x.lo >= 0 && x.hi < minAbs)
    return x;
  // A constant divisor and an x within one period of it: remainder is
  // monotone there ([6, 7] % 4 = [2, 3]).
  if (y.isPoint()) {
    int64_t m = maxAbs;
    if (x.lo >= 0 && x.lo / m == x.hi / m)
      return {x.lo % m, x.hi % m};
    if (x.hi <= 0 && x.lo / m == x.hi / m)
      return {x.lo % m, x.hi % m};
  }
  if (x.hi <= 0 && -x.lo < minAbs)
    return x;
  int64_t lo = x.lo >= 0 ? 0 : std::max(x.lo, -(maxAbs - 1));
  int64_t hi = x.hi <= 0 ? 0 : std::min(x.hi, maxAbs - 1);
  return {lo, hi};
}

Interval multiply(Interval x, Interval y) {
  int64_t c[4] = {x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi};
  return clampOrTop(*std::min_element(c, c + 4), *std::max_element(c, c + 4));
}

/// Values of the interval walk: an Interval for i32, a Tri for i1, nothing
/// (top) for floats.
struct AbstractValue {
  Interval range;
  Tri truth = Tri::Unknown;
};

class IntervalEvaluator {
public:
  explicit IntervalEvaluator(Block &block) : block(block) {}

  AbstractValue run(llvm::ArrayRef<Interval> args, Value result) {
    runAll(args);
    return get(result);
  }
  /// Every value's, after a walk over `args` (the block's last arguments).
  const llvm::DenseMap<Value, AbstractValue> &runAll(llvm::ArrayRef<Interval> args) {
    for (unsigned i = 0; i < args.size(); ++i)
      values[block.getArgument(block.getNumArguments() - args.size() + i)] = {
          args[i], Tri::Unknown};
    for (Operation &op : block.without_terminator())
      visit(op);
    return values;
  }

private:
  AbstractValue get(Value v) {
    auto it = values.find(v);
    return it == values.end() ? AbstractValue{} : it->second;
  }
  Interval range(Value v) { return get(v).range; }
  Tri truth(Value v) { return get(v).truth; }

  void visit(Operation &op) {
    if (op.getNumResults() != 1)
      return;
    Value r = op.getResult(0);
    AbstractValue out;
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
            if (i.getType().isInteger(1))
              out.truth = i.getValue().isZero() ? Tri::False : Tri::True;
            else
              out.range = Interval::point(i.getValue().getSExtValue());
          }
        })
        .Case([&](arith::AddIOp o) {
          Interval x = range(o.getLhs()), y = range(o.getRhs());
          out.range = clampOrTop(x.lo + y.lo, x.hi + y.hi);
        })
        .Case([&](arith::SubIOp o) {
          Interval x = range(o.getLhs()), y = range(o.getRhs());
          out.range = clampOrTop(x.lo - y.hi, x.hi - y.lo);
        })
        .Case([&](arith::MulIOp o) {
          out.range = multiply(range(o.getLhs()), range(o.getRhs()));
        })
        .Case([&](arith::DivSIOp o) {
          out.range = divide(range(o.getLhs()), range(o.getRhs()));
        })
        .Case([&](arith::RemSIOp o) {
          out.range = remainder(range(o.getLhs()), range(o.getRhs()));
        })
        .Case([&](arith::MinSIOp o) {
          Interval x = range(o.getLhs()), y = range(o.getRhs());
          out.range = {std::min(x.lo, y.lo), std::min(x.hi, y.hi)};
        })
        .Case([&](arith::MaxSIOp o) {
          Interval x = range(o.getLhs()), y = range(o.getRhs());
          out.range = {std::max(x.lo, y.lo), std::max(x.hi, y.hi)};
        })
        .Case([&](math::AbsIOp o) {
          Interval x = range(o.getOperand());
          if (x.lo == kI32Min)
            out.range = Interval::top();
          else if (x.lo >= 0)
            out.range = x;
          else if (x.hi <= 0)
            out.range = {-x.hi, -x.lo};
          else
            out.range = {0, std::max(-x.lo, x.hi)};
        })
        .Case([&](arith::CmpIOp o) {
          out.truth = compare(o.getPredicate(), range(o.getLhs()), range(o.getRhs()));
        })
        .Case([&](arith::AndIOp o) {
          if (o.getType().isInteger(1))
            out.truth = triAnd(truth(o.getLhs()), truth(o.getRhs()));
        })
        .Case([&](arith::OrIOp o) {
          if (o.getType().isInteger(1))
            out.truth = triOr(truth(o.getLhs()), truth(o.getRhs()));
        })
        .Case([&](arith::XOrIOp o) {
          if (o.getType().isInteger(1))
            out.truth = triXor(truth(o.getLhs()), truth(o.getRhs()));
        })
        .Case([&](arith::SelectOp o) {
          Tri c = truth(o.getCondition());
          AbstractValue t = get(o.getTrueValue()), f = get(o.getFalseValue());
          if (c == Tri::True)
            out = t;
          else if (c == Tri::False)
            out = f;
          else if (o.getType().isInteger(1))
            out.truth = t.truth == f.truth ? t.truth : Tri::Unknown;
          else
            out.range = hull(t.range, f.range);
        })
        .Default([&](Operation *) {}); // lookups, floats, ...: top/Unknown
    values[r] = out;
  }

  Block &block;
  llvm::DenseMap<Value, AbstractValue> values;
};

//===----------------------------------------------------------------------===//
// Concrete evaluation
//===----------------------------------------------------------------------===//

/// i32 arithmetic with the device's two's-complement wrap-around.
int32_t wrap(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

class ConcreteEvaluator {
public:
  ConcreteEvaluator(Block &block, const LookupFn &lookup)
      : block(block), lookup(lookup) {}

  /// Runs the block; false if a value was undefined (division by zero).
  bool run(llvm::ArrayRef<double> args) {
    for (unsigned i = 0; i < args.size(); ++i)
      values[block.getArgument(i)] = args[i];
    for (Operation &op : block.without_terminator())
      if (!visit(op))
        return false;
    return true;
  }
  double get(Value v) { return values.lookup(v); }

private:
  static float f32(double v) { return static_cast<float>(v); }

  bool visit(Operation &op) {
    auto i = [&](Value v) { return static_cast<int64_t>(values.lookup(v)); };
    auto f = [&](Value v) { return f32(values.lookup(v)); };
    bool ok = true;
    double out = 0;
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto a = dyn_cast<IntegerAttr>(c.getValue()))
            out = a.getType().isInteger(1) ? double(!a.getValue().isZero())
                                            : double(a.getValue().getSExtValue());
          else if (auto a = dyn_cast<FloatAttr>(c.getValue()))
            out = a.getValueAsDouble();
        })
        .Case([&](arith::AddIOp o) { out = wrap(i(o.getLhs()) + i(o.getRhs())); })
        .Case([&](arith::SubIOp o) { out = wrap(i(o.getLhs()) - i(o.getRhs())); })
        .Case([&](arith::MulIOp o) { out = wrap(i(o.getLhs()) * i(o.getRhs())); })
        // The kernels' total division (IntArith.cuh): x / 0 = 0, x % 0 = x.
        .Case([&](arith::DivSIOp o) {
          out = flashgen::divTotal(int32_t(i(o.getLhs())), int32_t(i(o.getRhs())));
        })
        .Case([&](arith::RemSIOp o) {
          out = flashgen::remTotal(int32_t(i(o.getLhs())), int32_t(i(o.getRhs())));
        })
        .Case([&](arith::MinSIOp o) { out = std::min(i(o.getLhs()), i(o.getRhs())); })
        .Case([&](arith::MaxSIOp o) { out = std::max(i(o.getLhs()), i(o.getRhs())); })
        .Case([&](math::AbsIOp o) { out = wrap(std::llabs(i(o.getOperand()))); })
        .Case([&](arith::CmpIOp o) {
          int64_t x = i(o.getLhs()), y = i(o.getRhs());
          uint32_t ux = static_cast<uint32_t>(x), uy = static_cast<uint32_t>(y);
          using P = arith::CmpIPredicate;
          switch (o.getPredicate()) {
          case P::eq: out = x == y; break;
          case P::ne: out = x != y; break;
          case P::slt: out = x < y; break;
          case P::sle: out = x <= y; break;
          case P::sgt: out = x > y; break;
          case P::sge: out = x >= y; break;
          case P::ult: out = ux < uy; break;
          case P::ule: out = ux <= uy; break;
          case P::ugt: out = ux > uy; break;
          case P::uge: out = ux >= uy; break;
          }
        })
        .Case([&](arith::AndIOp o) { out = double(i(o.getLhs()) & i(o.getRhs())); })
        .Case([&](arith::OrIOp o) { out = double(i(o.getLhs()) | i(o.getRhs())); })
        .Case([&](arith::XOrIOp o) { out = double(i(o.getLhs()) ^ i(o.getRhs())); })
        .Case([&](arith::SelectOp o) {
          out = values.lookup(o.getCondition()) != 0 ? values.lookup(o.getTrueValue())
                                                     : values.lookup(o.getFalseValue());
        })
        .Case([&](arith::SIToFPOp o) { out = f32(double(i(o.getIn()))); })
        .Case([&](arith::AddFOp o) { out = f32(f(o.getLhs()) + f(o.getRhs())); })
        .Case([&](arith::SubFOp o) { out = f32(f(o.getLhs()) - f(o.getRhs())); })
        .Case([&](arith::MulFOp o) { out = f32(f(o.getLhs()) * f(o.getRhs())); })
        .Case([&](arith::DivFOp o) { out = f32(f(o.getLhs()) / f(o.getRhs())); })
        .Case([&](arith::RemFOp o) { out = f32(std::fmod(f(o.getLhs()), f(o.getRhs()))); })
        .Case([&](arith::NegFOp o) { out = -f(o.getOperand()); })
        .Case([&](arith::MinimumFOp o) { out = std::fmin(f(o.getLhs()), f(o.getRhs())); })
        .Case([&](arith::MaximumFOp o) { out = std::fmax(f(o.getLhs()), f(o.getRhs())); })
        .Case([&](arith::CmpFOp o) {
          float x = f(o.getLhs()), y = f(o.getRhs());
          using P = arith::CmpFPredicate;
          switch (o.getPredicate()) {
          case P::OLT: out = x < y; break;
          case P::OLE: out = x <= y; break;
          case P::OGT: out = x > y; break;
          case P::OGE: out = x >= y; break;
          case P::OEQ: out = x == y; break;
          case P::UNE: out = !(x == y); break;
          default: ok = false; break;
          }
        })
        .Case([&](math::AbsFOp o) { out = std::fabs(f(o.getOperand())); })
        .Case([&](math::TanhOp o) { out = f32(std::tanh(f(o.getOperand()))); })
        .Case([&](math::ExpOp o) { out = f32(std::exp(f(o.getOperand()))); })
        .Case([&](math::Exp2Op o) { out = f32(std::exp2(f(o.getOperand()))); })
        .Case([&](math::LogOp o) { out = f32(std::log(f(o.getOperand()))); })
        .Case([&](math::Log2Op o) { out = f32(std::log2(f(o.getOperand()))); })
        .Case([&](math::SqrtOp o) { out = f32(std::sqrt(f(o.getOperand()))); })
        .Case([&](LookupOp o) {
          if (!lookup) {
            ok = false;
            return;
          }
          llvm::SmallVector<int32_t> idx;
          for (Value v : o.getIndices())
            idx.push_back(static_cast<int32_t>(i(v)));
          out = lookup(o.getName(), idx);
        })
        .Default([&](Operation *) { ok = false; });
    values[op.getResult(0)] = out;
    return ok;
  }

  Block &block;
  const LookupFn &lookup;
  llvm::DenseMap<Value, double> values;
};

} // namespace

Tri flashgen::attn::evaluateMaskInterval(VariantOp variant,
                                         const IndexRanges &r) {
  Block &block = variant.getMask().front();
  IntervalEvaluator eval(block);
  Interval args[] = {r.b, r.h, r.q, r.k, r.seqQ, r.seqK};
  return eval.run(args, variant.getMaskValue()).truth;
}

llvm::DenseMap<Value, Interval> flashgen::attn::evaluateRanges(Block &region,
                                                               const IndexRanges &r) {
  IntervalEvaluator eval(region);
  Interval args[] = {r.b, r.h, r.q, r.k, r.seqQ, r.seqK};
  llvm::DenseMap<Value, Interval> out;
  for (const auto &[v, a] : eval.runAll(args))
    if (v.getType().isInteger(32))
      out[v] = a.range;
  return out;
}

std::optional<bool> flashgen::attn::evaluateMask(VariantOp variant,
                                                 const IndexPoint &at,
                                                 const LookupFn &lookup) {
  ConcreteEvaluator eval(variant.getMask().front(), lookup);
  double args[] = {double(at.b), double(at.h), double(at.q), double(at.k),
                   double(at.seqQ), double(at.seqK)};
  if (!eval.run(args))
    return std::nullopt;
  return eval.get(variant.getMaskValue()) != 0;
}

std::optional<float> flashgen::attn::evaluateScore(VariantOp variant, float score,
                                                   const IndexPoint &at,
                                                   const LookupFn &lookup) {
  ConcreteEvaluator eval(variant.getScore().front(), lookup);
  double args[] = {double(score), double(at.b), double(at.h), double(at.q),
                   double(at.k), double(at.seqQ), double(at.seqK)};
  if (!eval.run(args))
    return std::nullopt;
  return static_cast<float>(eval.get(variant.getScoreValue()));
}
