//===- SemaExpr.cpp - type checking of mask/score expressions ---*- C++ -*-===//
#include "SemaExpr.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace flashgen;
using namespace flashgen::ast;
using namespace flashgen::sema;
using llvm::cast;
using llvm::dyn_cast;
using llvm::isa;

namespace {
enum class MathFn { Abs, Min, Max, Clamp, Tanh, Exp, Exp2, Log, Log2, Sqrt, Float };

struct MathFnInfo {
  llvm::StringLiteral name;
  MathFn fn;
  unsigned arity;
  bool alwaysFloat; // result is float even for int arguments
};

constexpr MathFnInfo kMathFns[] = {
    {"abs", MathFn::Abs, 1, false},     {"min", MathFn::Min, 2, false},
    {"max", MathFn::Max, 2, false},     {"clamp", MathFn::Clamp, 3, false},
    {"tanh", MathFn::Tanh, 1, true},    {"exp", MathFn::Exp, 1, true},
    {"exp2", MathFn::Exp2, 1, true},    {"log", MathFn::Log, 1, true},
    {"log2", MathFn::Log2, 1, true},    {"sqrt", MathFn::Sqrt, 1, true},
    {"float", MathFn::Float, 1, true},
};

const MathFnInfo *findMathFn(llvm::StringRef name) {
  for (const MathFnInfo &f : kMathFns)
    if (f.name == name)
      return &f;
  return nullptr;
}

struct IndexVar {
  llvm::StringLiteral name;
  Binding binding;
};
constexpr IndexVar kIndexVars[] = {
    {"b", Binding::Batch},  {"h", Binding::Head},      {"q", Binding::Query},
    {"k", Binding::Key},    {"seq_q", Binding::SeqQ},  {"seq_k", Binding::SeqK},
};

const llvm::StringRef kMaskBuiltins[] = {"causal", "key_padding", "none",
                                                 "sliding_window"};

bool isNumeric(ExprType t) { return t == ExprType::Int || t == ExprType::Float; }

//===--------------------------------------------------------------------===//
// Building desugared expressions
//===--------------------------------------------------------------------===//

ExprPtr name(llvm::SMRange r, llvm::StringRef n, Binding b) {
  auto e = std::make_unique<NameExpr>(r, n);
  e->binding = b;
  e->type = ExprType::Int;
  return e;
}
ExprPtr intLit(llvm::SMRange r, int64_t v) {
  auto e = std::make_unique<IntExpr>(r, v);
  e->type = ExprType::Int;
  return e;
}
ExprPtr binary(llvm::SMRange r, BinaryOp op, ExprPtr l, ExprPtr rhs) {
  bool isBool = op == BinaryOp::Lt || op == BinaryOp::Le || op == BinaryOp::Gt ||
                op == BinaryOp::Ge || op == BinaryOp::Eq || op == BinaryOp::Ne ||
                op == BinaryOp::And || op == BinaryOp::Or;
  auto e = std::make_unique<BinaryExpr>(r, op, r.Start, std::move(l), std::move(rhs));
  e->type = isBool ? ExprType::Bool : ExprType::Int;
  return e;
}
/// q, or q + (seq_k - seq_q) when bottom-right aligned: the query row
/// expressed in key coordinates.
ExprPtr alignedQuery(llvm::SMRange r, bool bottomRight) {
  ExprPtr q = name(r, "q", Binding::Query);
  if (!bottomRight)
    return q;
  return binary(r, BinaryOp::Add, std::move(q),
                binary(r, BinaryOp::Sub, name(r, "seq_k", Binding::SeqK),
                       name(r, "seq_q", Binding::SeqQ)));
}
} // namespace

llvm::ArrayRef<llvm::StringRef> flashgen::sema::mathFunctionNames() {
  static const std::vector<llvm::StringRef> names = [] {
    std::vector<llvm::StringRef> v;
    for (const MathFnInfo &f : kMathFns)
      v.push_back(f.name);
    return v;
  }();
  return names;
}

TensorSpec *ExprChecker::findTensor(llvm::StringRef n) {
  for (TensorSpec &t : tensors)
    if (t.name == n)
      return &t;
  return nullptr;
}

TensorSpec &ExprChecker::implicitTensor(llvm::StringRef n, llvm::SMRange loc) {
  if (TensorSpec *t = findTensor(n))
    return *t;
  TensorSpec t;
  t.name = n.str();
  t.isFloat = false;
  t.dims.push_back({"batch", 0});
  t.loc = loc;
  t.implicit = true;
  tensors.push_back(std::move(t));
  return tensors.back();
}

std::vector<llvm::StringRef> ExprChecker::namesInScope() const {
  std::vector<llvm::StringRef> names;
  for (const IndexVar &v : kIndexVars)
    names.push_back(v.name);
  if (ctx == ExprContext::Score)
    names.push_back("score");
  else
    names.insert(names.end(), std::begin(kMaskBuiltins), std::end(kMaskBuiltins));
  for (const TensorSpec &t : tensors)
    names.push_back(t.name);
  return names;
}

ExprType ExprChecker::check(ExprPtr &e) {
  ExprType t = ExprType::Unknown;
  switch (e->getKind()) {
  case Expr::Kind::Int: t = ExprType::Int; break;
  case Expr::Kind::Float: t = ExprType::Float; break;
  case Expr::Kind::Bool: t = ExprType::Bool; break;
  case Expr::Kind::Name: return checkName(e);
  case Expr::Kind::Index: t = checkIndex(cast<IndexExpr>(*e)); break;
  case Expr::Kind::Call: return checkCall(e);
  case Expr::Kind::Unary: t = checkUnary(cast<UnaryExpr>(*e)); break;
  case Expr::Kind::Binary: t = checkBinary(cast<BinaryExpr>(*e)); break;
  case Expr::Kind::Ternary: t = checkTernary(cast<TernaryExpr>(*e)); break;
  case Expr::Kind::List:
    diags.error(e->getLoc(), "a list is not allowed inside an expression",
                e->getRange());
    break;
  }
  e->type = t;
  return t;
}

ExprType ExprChecker::checkName(ExprPtr &e) {
  auto &n = cast<NameExpr>(*e);
  for (const IndexVar &v : kIndexVars)
    if (n.name == v.name) {
      n.binding = v.binding;
      return n.type = ExprType::Int;
    }
  if (n.name == "score") {
    if (ctx != ExprContext::Score) {
      diags.error(n.getLoc(), "'score' can only be used in the 'score' "
                              "expression, not in the mask",
                  n.getRange());
      return ExprType::Unknown;
    }
    n.binding = Binding::Score;
    return n.type = ExprType::Float;
  }
  if (llvm::is_contained(kMaskBuiltins, n.name)) {
    if (ctx != ExprContext::Mask) {
      diags.error(n.getLoc(), "'" + n.name + "' is a mask; it cannot be used in "
                              "the 'score' expression",
                  n.getRange());
      return ExprType::Unknown;
    }
    if (n.name == "sliding_window") {
      diags.error(n.getLoc(), "'sliding_window' needs its window: "
                              "sliding_window(left = N, right = M)",
                  n.getRange());
      return ExprType::Unknown;
    }
    return checkMaskBuiltinCall(e);
  }
  if (findTensor(n.name)) {
    diags.error(n.getLoc(), "tensor '" + n.name + "' must be indexed, e.g. '" +
                                n.name + "[q]'",
                n.getRange());
    return ExprType::Unknown;
  }
  diags.error(n.getLoc(), "unknown identifier '" + n.name + "'" +
                              didYouMean(n.name, namesInScope()),
              n.getRange());
  return ExprType::Unknown;
}

ExprType ExprChecker::checkIndex(IndexExpr &e) {
  bool ok = true;
  for (ExprPtr &i : e.indices) {
    ExprType t = check(i);
    if (t == ExprType::Unknown) {
      ok = false;
    } else if (t != ExprType::Int) {
      diags.error(i->getLoc(), "index of '" + e.name + "' must be an int, got " +
                                   spellType(t),
                  i->getRange());
      ok = false;
    }
  }
  TensorSpec *t = findTensor(e.name);
  if (!t) {
    std::vector<llvm::StringRef> names;
    for (const TensorSpec &x : tensors)
      names.push_back(x.name);
    diags.error(e.nameRange.Start,
                "unknown tensor '" + e.name + "'" + didYouMean(e.name, names) +
                    "; declare it with 'tensor " + e.name + " : f32[...];'",
                e.nameRange);
    return ExprType::Unknown;
  }
  t->used = true;
  if (t->dims.size() != e.indices.size()) {
    diags.error(e.getLoc(), "tensor '" + e.name + "' has rank " +
                                llvm::Twine(t->dims.size()) + " but is indexed with " +
                                llvm::Twine(e.indices.size()) +
                                (e.indices.size() == 1 ? " index" : " indices"),
                e.getRange());
    return ExprType::Unknown;
  }
  if (!ok)
    return ExprType::Unknown;
  return t->isFloat ? ExprType::Float : ExprType::Int;
}

/// Desugars `causal`, `causal(...)`, `key_padding`, `none`,
/// `sliding_window(...)` (as a name or a call) into plain expressions.
ExprType ExprChecker::checkMaskBuiltinCall(ExprPtr &e) {
  llvm::SMRange r = e->getRange();
  std::string callee;
  std::vector<CallExpr::Arg> *args = nullptr;
  std::vector<CallExpr::Arg> none;
  if (auto *n = dyn_cast<NameExpr>(e.get())) {
    callee = n->name;
    args = &none;
  } else {
    auto &c = cast<CallExpr>(*e);
    callee = c.callee;
    args = &c.args;
  }

  if (callee == "none" || callee == "key_padding") {
    if (!args->empty()) {
      diags.error(r.Start, "'" + callee + "' takes no arguments", r);
      return ExprType::Unknown;
    }
    if (callee == "none") {
      e = std::make_unique<BoolExpr>(r, true);
      return e->type = ExprType::Bool;
    }
    TensorSpec &t = implicitTensor("seqlens_k", r);
    if (t.isFloat || t.dims.size() != 1 || t.dims[0].symbol != "batch") {
      diags.error(r.Start, "'key_padding' reads the run-time tensor 'seqlens_k' "
                           "(i32[batch]), but a tensor of that name is "
                           "declared differently",
                  r);
      return ExprType::Unknown;
    }
    t.used = true;
    std::vector<ExprPtr> idx;
    idx.push_back(name(r, "b", Binding::Batch));
    auto len = std::make_unique<IndexExpr>(r, "seqlens_k", r, std::move(idx));
    len->type = ExprType::Int;
    e = binary(r, BinaryOp::Lt, name(r, "k", Binding::Key), std::move(len));
    return ExprType::Bool;
  }

  // causal / sliding_window: alignment and window sizes.
  bool bottomRight = false;
  std::optional<int64_t> left, right;
  bool ok = true;
  auto setAlign = [&](const Expr &v) {
    auto *n = dyn_cast<NameExpr>(&v);
    if (n && (n->name == "top_left" || n->name == "bottom_right")) {
      bottomRight = n->name == "bottom_right";
      return;
    }
    diags.error(v.getLoc(), "alignment must be 'top_left' or 'bottom_right'",
                v.getRange());
    ok = false;
  };
  for (CallExpr::Arg &a : *args) {
    if (callee == "causal") {
      if (!a.key.empty() && a.key != "align") {
        diags.error(a.keyRange.Start, "'causal' has no argument '" + a.key +
                                          "'; it takes an alignment",
                    a.keyRange);
        ok = false;
        continue;
      }
      setAlign(*a.value);
      continue;
    }
    // sliding_window
    if (a.key == "align") {
      setAlign(*a.value);
      continue;
    }
    if (a.key != "left" && a.key != "right") {
      if (a.key.empty())
        diags.error(a.value->getLoc(), "'sliding_window' arguments are named: "
                                       "left = N, right = M, align = ...",
                    a.value->getRange());
      else
        diags.error(a.keyRange.Start, "'sliding_window' has no argument '" +
                                          a.key + "'" +
                                          didYouMean(a.key, {"left", "right", "align"}),
                    a.keyRange);
      ok = false;
      continue;
    }
    std::optional<ConstValue> v =
        evalConstant(*a.value, diags, "sliding window '" + a.key + "'");
    if (!v) {
      ok = false;
      continue;
    }
    if (!v->isInt) {
      diags.error(a.value->getLoc(), "sliding window '" + a.key +
                                         "' must be an integer",
                  a.value->getRange());
      ok = false;
      continue;
    }
    if (v->i < 0) {
      diags.error(a.value->getLoc(), "sliding window '" + a.key +
                                         "' must be >= 0, got " + llvm::Twine(v->i),
                  a.value->getRange());
      ok = false;
      continue;
    }
    (a.key == "left" ? left : right) = v->i;
  }
  if (!ok)
    return ExprType::Unknown;

  if (callee == "causal") {
    // k <= q (+ seq_k - seq_q)
    e = binary(r, BinaryOp::Le, name(r, "k", Binding::Key), alignedQuery(r, bottomRight));
    return ExprType::Bool;
  }
  if (!left && !right) {
    diags.error(r.Start, "'sliding_window' needs 'left' and/or 'right'", r);
    return ExprType::Unknown;
  }
  // A missing side is causal (right = 0) or unbounded (left absent): the
  // common forms are sliding_window(left = W) for causal local attention.
  ExprPtr cond;
  if (left) // q - L <= k
    cond = binary(r, BinaryOp::Le,
                  binary(r, BinaryOp::Sub, alignedQuery(r, bottomRight), intLit(r, *left)),
                  name(r, "k", Binding::Key));
  int64_t rightValue = right.value_or(0);
  // k <= q + R
  ExprPtr upper = binary(r, BinaryOp::Le, name(r, "k", Binding::Key),
                         rightValue == 0 ? alignedQuery(r, bottomRight)
                                         : binary(r, BinaryOp::Add,
                                                  alignedQuery(r, bottomRight),
                                                  intLit(r, rightValue)));
  e = cond ? binary(r, BinaryOp::And, std::move(cond), std::move(upper))
           : std::move(upper);
  return ExprType::Bool;
}

ExprType ExprChecker::checkCall(ExprPtr &e) {
  auto &c = cast<CallExpr>(*e);
  if (c.callee == "causal" || c.callee == "sliding_window") {
    if (ctx != ExprContext::Mask) {
      diags.error(c.calleeRange.Start, "'" + c.callee + "' is a mask; it cannot "
                                       "be used in the 'score' expression",
                  c.calleeRange);
      return ExprType::Unknown;
    }
    return checkMaskBuiltinCall(e);
  }
  if (c.callee == "none" || c.callee == "key_padding") {
    diags.error(c.calleeRange.Start, "'" + c.callee + "' takes no arguments",
                c.getRange());
    return ExprType::Unknown;
  }
  const MathFnInfo *fn = findMathFn(c.callee);
  if (!fn) {
    std::vector<llvm::StringRef> names(mathFunctionNames().begin(),
                                       mathFunctionNames().end());
    if (ctx == ExprContext::Mask) {
      names.push_back("causal");
      names.push_back("sliding_window");
    }
    diags.error(c.calleeRange.Start, "unknown function '" + c.callee + "'" +
                                         didYouMean(c.callee, names),
                c.calleeRange);
    return ExprType::Unknown;
  }
  if (c.args.size() != fn->arity) {
    diags.error(c.getLoc(), "'" + c.callee + "' takes " + llvm::Twine(fn->arity) +
                                " argument" + (fn->arity == 1 ? "" : "s") + ", got " +
                                llvm::Twine(c.args.size()),
                c.getRange());
    return ExprType::Unknown;
  }
  bool allInt = true, ok = true;
  for (CallExpr::Arg &a : c.args) {
    if (!a.key.empty()) {
      diags.error(a.keyRange.Start, "'" + c.callee + "' takes no named arguments",
                  a.keyRange);
      ok = false;
      continue;
    }
    ExprType t = check(a.value);
    if (t == ExprType::Unknown) {
      ok = false;
    } else if (!isNumeric(t)) {
      diags.error(a.value->getLoc(), "argument of '" + c.callee +
                                         "' must be a number, got " + spellType(t),
                  a.value->getRange());
      ok = false;
    } else if (t == ExprType::Float) {
      allInt = false;
    }
  }
  if (!ok)
    return ExprType::Unknown;
  return c.type = (fn->alwaysFloat || !allInt) ? ExprType::Float : ExprType::Int;
}

ExprType ExprChecker::checkUnary(UnaryExpr &e) {
  ExprType t = check(e.operand);
  if (t == ExprType::Unknown)
    return t;
  if (e.op == UnaryOp::Neg && !isNumeric(t)) {
    diags.error(e.getLoc(), "unary '-' needs a number, got " + spellType(t),
                e.getRange());
    return ExprType::Unknown;
  }
  if (e.op == UnaryOp::Not && t != ExprType::Bool) {
    diags.error(e.getLoc(), "'!' needs a bool, got " + spellType(t), e.getRange());
    return ExprType::Unknown;
  }
  return t;
}

ExprType ExprChecker::checkBinary(BinaryExpr &e) {
  ExprType l = check(e.lhs);
  ExprType r = check(e.rhs);
  if (l == ExprType::Unknown || r == ExprType::Unknown)
    return ExprType::Unknown;
  llvm::StringRef op = spellBinaryOp(e.op);
  auto mismatch = [&](llvm::StringRef need) {
    diags.error(e.opLoc, "operator '" + op + "' needs " + need + ", got " +
                             spellType(l) + " and " + spellType(r),
                {e.lhs->getRange(), e.rhs->getRange()});
    return ExprType::Unknown;
  };
  switch (e.op) {
  case BinaryOp::Add:
  case BinaryOp::Sub:
  case BinaryOp::Mul:
  case BinaryOp::Div:
  case BinaryOp::Rem:
    if (!isNumeric(l) || !isNumeric(r))
      return mismatch("numbers");
    if (l == ExprType::Int && r == ExprType::Int) {
      // A literal zero divisor; one that folds to zero (k - k) is
      // attn-canonicalize-exprs' to report. (+, - and * by 0 are fine.)
      auto *zero = llvm::dyn_cast<IntExpr>(e.rhs.get());
      if ((e.op == BinaryOp::Div || e.op == BinaryOp::Rem) && zero && zero->value == 0) {
        diags.error(e.opLoc, std::string("integer ") +
                                 (e.op == BinaryOp::Div ? "division" : "remainder") +
                                 " by zero",
                    e.rhs->getRange());
        return ExprType::Unknown;
      }
      return ExprType::Int;
    }
    return ExprType::Float;
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge:
    if (!isNumeric(l) || !isNumeric(r))
      return mismatch("numbers");
    return ExprType::Bool;
  case BinaryOp::Eq:
  case BinaryOp::Ne:
    if (isNumeric(l) != isNumeric(r))
      return mismatch("operands of the same kind");
    return ExprType::Bool;
  case BinaryOp::And:
  case BinaryOp::Or:
    if (l != ExprType::Bool || r != ExprType::Bool)
      return mismatch("bools");
    return ExprType::Bool;
  }
  return ExprType::Unknown;
}

ExprType ExprChecker::checkTernary(TernaryExpr &e) {
  ExprType c = check(e.cond);
  ExprType t = check(e.trueValue);
  ExprType f = check(e.falseValue);
  if (c == ExprType::Unknown || t == ExprType::Unknown || f == ExprType::Unknown)
    return ExprType::Unknown;
  if (c != ExprType::Bool) {
    diags.error(e.cond->getLoc(), "condition of '?:' must be a bool, got " +
                                      spellType(c),
                e.cond->getRange());
    return ExprType::Unknown;
  }
  if (isNumeric(t) && isNumeric(f))
    return (t == ExprType::Int && f == ExprType::Int) ? ExprType::Int
                                                      : ExprType::Float;
  if (t != f) {
    diags.error(e.getLoc(), "branches of '?:' have different types, " +
                                spellType(t) + " and " + spellType(f),
                {e.trueValue->getRange(), e.falseValue->getRange()});
    return ExprType::Unknown;
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Constant folding of property values
//===----------------------------------------------------------------------===//

std::optional<ConstValue> flashgen::sema::evalConstant(const Expr &e,
                                                       DiagnosticEngine &diags,
                                                       const llvm::Twine &what) {
  auto fail = [&]() -> std::optional<ConstValue> {
    diags.error(e.getLoc(), what + " must be a constant number", e.getRange());
    return std::nullopt;
  };
  auto mkInt = [](int64_t v) { ConstValue c; c.isInt = true; c.i = v; return c; };
  auto mkFloat = [](double v) { ConstValue c; c.f = v; return c; };
  switch (e.getKind()) {
  case Expr::Kind::Int:
    return mkInt(cast<IntExpr>(e).value);
  case Expr::Kind::Float:
    return mkFloat(cast<FloatExpr>(e).value);
  case Expr::Kind::Unary: {
    auto &u = cast<UnaryExpr>(e);
    if (u.op != UnaryOp::Neg)
      return fail();
    auto v = evalConstant(*u.operand, diags, what);
    if (!v)
      return v;
    return v->isInt ? mkInt(-v->i) : mkFloat(-v->f);
  }
  case Expr::Kind::Binary: {
    auto &b = cast<BinaryExpr>(e);
    auto l = evalConstant(*b.lhs, diags, what);
    if (!l)
      return l;
    auto r = evalConstant(*b.rhs, diags, what);
    if (!r)
      return r;
    if (l->isInt && r->isInt) {
      // Values are bounded by 32-bit literals, so 64-bit products of two
      // literals cannot overflow; deeper products are checked.
      int64_t x = l->i, y = r->i, out = 0;
      switch (b.op) {
      case BinaryOp::Add: out = x + y; break;
      case BinaryOp::Sub: out = x - y; break;
      case BinaryOp::Mul:
        if (__builtin_mul_overflow(x, y, &out))
          return fail();
        break;
      case BinaryOp::Div:
      case BinaryOp::Rem:
        if (y == 0) {
          diags.error(b.opLoc, "division by zero in " + what, b.getRange());
          return std::nullopt;
        }
        out = b.op == BinaryOp::Div ? x / y : x % y;
        break;
      default:
        return fail();
      }
      if (out > INT32_MAX || out < INT32_MIN) {
        diags.error(b.getLoc(), what + " overflows 32 bits", b.getRange());
        return std::nullopt;
      }
      return mkInt(out);
    }
    double x = l->asDouble(), y = r->asDouble();
    switch (b.op) {
    case BinaryOp::Add: return mkFloat(x + y);
    case BinaryOp::Sub: return mkFloat(x - y);
    case BinaryOp::Mul: return mkFloat(x * y);
    case BinaryOp::Div: return mkFloat(x / y);
    case BinaryOp::Rem: return mkFloat(std::fmod(x, y));
    default: return fail();
    }
  }
  case Expr::Kind::Call: {
    auto &c = cast<CallExpr>(e);
    const MathFnInfo *fn = findMathFn(c.callee);
    if (!fn || c.args.size() != fn->arity)
      return fail();
    std::vector<ConstValue> args;
    for (const CallExpr::Arg &a : c.args) {
      if (!a.key.empty())
        return fail();
      auto v = evalConstant(*a.value, diags, what);
      if (!v)
        return v;
      args.push_back(*v);
    }
    double x = args[0].asDouble();
    bool allInt = true;
    for (const ConstValue &a : args)
      allInt &= a.isInt;
    if (allInt && (fn->fn == MathFn::Min || fn->fn == MathFn::Max ||
                   fn->fn == MathFn::Clamp)) {
      int64_t r = fn->fn == MathFn::Min   ? std::min(args[0].i, args[1].i)
                  : fn->fn == MathFn::Max ? std::max(args[0].i, args[1].i)
                  : std::min(std::max(args[0].i, args[1].i), args[2].i);
      return mkInt(r);
    }
    switch (fn->fn) {
    case MathFn::Abs: return args[0].isInt ? mkInt(std::llabs(args[0].i)) : mkFloat(std::fabs(x));
    case MathFn::Min: return mkFloat(std::min(x, args[1].asDouble()));
    case MathFn::Max: return mkFloat(std::max(x, args[1].asDouble()));
    case MathFn::Clamp:
      return mkFloat(std::min(std::max(x, args[1].asDouble()), args[2].asDouble()));
    case MathFn::Tanh: return mkFloat(std::tanh(x));
    case MathFn::Exp: return mkFloat(std::exp(x));
    case MathFn::Exp2: return mkFloat(std::exp2(x));
    case MathFn::Log: return mkFloat(std::log(x));
    case MathFn::Log2: return mkFloat(std::log2(x));
    case MathFn::Sqrt: return mkFloat(std::sqrt(x));
    case MathFn::Float: return mkFloat(x);
    }
    return fail();
  }
  default:
    return fail();
  }
}
