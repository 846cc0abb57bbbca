//===- EmitExpr.cpp - mask/score regions as CUDA expressions ----*- C++ -*-===//
#include "flashgen/Codegen/EmitExpr.h"
#include "flashgen/Dialect/Attn/Analysis/LookupRanges.h"
#include "flashgen/Dialect/Attn/Analysis/MaskEval.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace flashgen;
using namespace flashgen::attn;
using namespace flashgen::codegen;

namespace {

const char *kIndexNames[] = {"b", "h", "q", "k", "seqQ", "seqK"};

/// Shortest text that reads back as exactly this float.
std::string floatLiteral(double v) {
  float f = static_cast<float>(v);
  if (std::isinf(f))
    return f > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
  if (std::isnan(f))
    return "__int_as_float(0x7fc00000)";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9gf", f);
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos)
    s.insert(s.size() - 1, ".0");
  return s;
}

int tensorIndex(const KernelSpec &spec, StringRef name) {
  for (size_t i = 0; i < spec.tensors.size(); ++i)
    if (spec.tensors[i].name == name)
      return int(i);
  return -1;
}

class Emitter {
public:
  enum class Mode { Concrete, Interval, IntervalScan, Derivative };
  Emitter(Region &region, const KernelSpec &spec, raw_ostream &os, Mode mode)
      : block(region.front()), spec(spec), os(os),
        interval(mode == Mode::Interval || mode == Mode::IntervalScan),
        scanLookups(mode == Mode::IntervalScan), derivative(mode == Mode::Derivative) {
    unsigned first = block.getNumArguments() - 6;
    scoreRegion = first == 1;
    if (first == 1) {
      names[block.getArgument(0)] = "score";
      derivs[block.getArgument(0)] = "1.0f"; // d score / d score
    }
    for (unsigned i = 0; i < 6; ++i)
      names[block.getArgument(first + i)] = kIndexNames[i];
    auto variant = cast<attn::VariantOp>(region.getParentOp());
    // A checked build reports reads past the other sequence (LookupRanges.h).
    inRange = attn::lookupIndicesInRange(variant, region, nullptr, !spec.checkLookups);
    for (auto [i, l] : llvm::enumerate(attn::lookupSites(variant)))
      siteOf[l.getOperation()] = int(i);
  }

  /// Lookups read from the staged values `col[i]` (StagedColumns.h), i
  /// their position in `lookups`.
  void readStaged(ArrayRef<LookupOp> lookups) {
    for (auto [i, l] : llvm::enumerate(lookups))
      staged[LookupOp(l).getOperation()] = int(i);
  }

  /// The staging function's statements: only what the lookups need (no q),
  /// then each lookup's 32 bits into out[i].
  void runStaging(ArrayRef<LookupOp> lookups) {
    llvm::DenseSet<Operation *> needed;
    llvm::SmallVector<Operation *> work;
    for (LookupOp l : lookups)
      work.push_back(l.getOperation());
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (!needed.insert(op).second)
        continue;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          work.push_back(def);
    }
    for (Operation &op : block.without_terminator())
      if (needed.contains(&op))
        emitConcrete(op);
    for (auto [i, c] : llvm::enumerate(lookups)) {
      LookupOp l = c;
      os << "    out[" << i << "] = "
         << (l.getType().isF32() ? "__float_as_uint(" + name(l.getResult()) + ")"
                                 : "uint32_t(" + name(l.getResult()) + ")")
         << ";\n";
    }
  }

  void run() {
    for (Operation &op : block.without_terminator()) {
      interval ? emitInterval(op) : emitConcrete(op);
      if (derivative)
        emitDerivative(op);
    }
    Value result = cast<YieldOp>(block.getTerminator()).getValue();
    os << "    return " << (derivative ? deriv(result) : name(result)) << ";\n";
  }

private:
  std::string name(Value v) { return names.lookup(v); }
  std::string fresh(Value v) {
    std::string n = "v" + std::to_string(counter++);
    names[v] = n;
    return n;
  }
  static const char *cType(Type t) {
    return t.isF32() ? "float" : t.isInteger(1) ? "bool" : "int";
  }
  void define(Value v, const std::string &expr) {
    os << "    const " << cType(v.getType()) << " " << fresh(v) << " = " << expr << ";\n";
  }
  /// i32 arithmetic wraps on the device exactly as in MaskEval's concrete
  /// evaluator: do it in unsigned, where C++ defines overflow.
  std::string wrap(const std::string &a, const char *op, const std::string &b) {
    return "int(unsigned(" + a + ") " + op + " unsigned(" + b + "))";
  }
  std::string lookupCall(LookupOp l) {
    int idx = tensorIndex(spec, l.getName());
    // Indices proven in range skip the clamp (lookupIndicesInRange).
    std::string proven;
    bool anyProven = false;
    for (bool p : inRange.lookup(l.getOperation())) {
      anyProven = anyProven || p;
      proven += p ? ", true" : ", false";
    }
    std::string s = "lookup" + std::to_string(l.getIndices().size()) + "<" +
                    (l.getType().isF32() ? "float" : "int") + (anyProven ? proven : "") +
                    ">(p.tensors[" + std::to_string(idx) + "]";
    for (Value i : l.getIndices())
      s += ", " + name(i);
    // A checked build says where each clamped lookup is evaluated.
    if (reportsClamps(l)) {
      s += ", LookupAt{p.lookupReport, " + std::to_string(siteOf.lookup(l.getOperation()));
      for (unsigned i = 0; i < 6; ++i)
        s += ", " + std::string(kIndexNames[i]);
      s += "}";
    }
    return s + ")";
  }
  /// A checked build reports (or, over a tile, refuses to bound) this
  /// lookup: one of its indices is not proven in range.
  bool reportsClamps(LookupOp l) {
    return spec.checkLookups && llvm::is_contained(inRange.lookup(l.getOperation()), false);
  }

  /// Float division. In a score modifier, by a constant: a multiply by its
  /// reciprocal (within an ulp of the quotient) when that is a normal float
  /// (else C's `/`: a subnormal or infinite reciprocal would lose the
  /// quotient); by anything else the SFU's __fdividef (2 ulp; 0 for
  /// divisors beyond 2^126). C's correctly rounded
  /// `/` is ~10 instructions and a slow-path call per score element, which
  /// NVRTC and ptxas then spend a fifth of a soft cap's JIT time on. A mask
  /// keeps C's `/`: its float comparisons must decide exactly as the CPU's
  /// MaskEval does (the block structures built on both agree).
  std::string divide(const std::string &num, Value den) {
    if (!scoreRegion)
      return "(" + num + " / " + name(den) + ")";
    FloatAttr c;
    if (!matchPattern(den, m_Constant(&c)))
      return "__fdividef(" + num + ", " + name(den) + ")";
    const double reciprocal = 1.0 / c.getValueAsDouble();
    if (!std::isnormal(float(reciprocal)))
      return "(" + num + " / " + name(den) + ")";
    return "(" + num + " * " + floatLiteral(reciprocal) + ")";
  }

  /// A constant divisor other than 0 and -1: C's / and % are defined.
  static bool plainDivisor(Value divisor) {
    llvm::APInt c;
    return matchPattern(divisor, m_ConstantInt(&c)) && !c.isZero() && !c.isAllOnes();
  }
  /// `fn(a, b)` of a binary op's operands.
  std::string call(const char *fn, Operation *o) {
    return std::string(fn) + "(" + name(o->getOperand(0)) + ", " + name(o->getOperand(1)) + ")";
  }

  void emitConcrete(Operation &op) {
    auto bin = [&](Operation *o, const char *sym) {
      return "(" + name(o->getOperand(0)) + " " + sym + " " + name(o->getOperand(1)) + ")";
    };
    Value r = op.getNumResults() ? op.getResult(0) : Value();
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
            define(r, i.getType().isInteger(1)
                          ? (i.getValue().isZero() ? "false" : "true")
                          : std::to_string(i.getValue().getSExtValue()));
          else
            define(r, floatLiteral(cast<FloatAttr>(c.getValue()).getValueAsDouble()));
        })
        .Case([&](arith::AddIOp o) { define(r, wrap(name(o.getLhs()), "+", name(o.getRhs()))); })
        .Case([&](arith::SubIOp o) { define(r, wrap(name(o.getLhs()), "-", name(o.getRhs()))); })
        .Case([&](arith::MulIOp o) { define(r, wrap(name(o.getLhs()), "*", name(o.getRhs()))); })
        // Total division (IntArith.cuh) unless the divisor is a constant
        // where C's operators are already defined (q / 1000 stays one op).
        .Case([&](arith::DivSIOp o) {
          define(r, plainDivisor(o.getRhs()) ? bin(o, "/") : call("divTotal", o));
        })
        .Case([&](arith::RemSIOp o) {
          define(r, plainDivisor(o.getRhs()) ? bin(o, "%") : call("remTotal", o));
        })
        .Case([&](arith::MinSIOp o) { define(r, call("min", o)); })
        .Case([&](arith::MaxSIOp o) { define(r, call("max", o)); })
        .Case([&](math::AbsIOp o) { define(r, "abs(" + name(o.getOperand()) + ")"); })
        .Case([&](arith::CmpIOp o) {
          using P = arith::CmpIPredicate;
          std::string a = name(o.getLhs()), b = name(o.getRhs());
          auto u = [](const std::string &x) { return "unsigned(" + x + ")"; };
          switch (o.getPredicate()) {
          case P::eq: define(r, "(" + a + " == " + b + ")"); break;
          case P::ne: define(r, "(" + a + " != " + b + ")"); break;
          case P::slt: define(r, "(" + a + " < " + b + ")"); break;
          case P::sle: define(r, "(" + a + " <= " + b + ")"); break;
          case P::sgt: define(r, "(" + a + " > " + b + ")"); break;
          case P::sge: define(r, "(" + a + " >= " + b + ")"); break;
          case P::ult: define(r, "(" + u(a) + " < " + u(b) + ")"); break;
          case P::ule: define(r, "(" + u(a) + " <= " + u(b) + ")"); break;
          case P::ugt: define(r, "(" + u(a) + " > " + u(b) + ")"); break;
          case P::uge: define(r, "(" + u(a) + " >= " + u(b) + ")"); break;
          }
        })
        // Booleans without short-circuits: every operand is already a
        // computed value, and a branch per element would put each lookup
        // behind its own wait (lookups are safe at any index: clamped or
        // proven in range).
        .Case([&](arith::AndIOp o) { define(r, bin(o, "&")); })
        .Case([&](arith::OrIOp o) { define(r, bin(o, "|")); })
        .Case([&](arith::XOrIOp o) { define(r, bin(o, o.getType().isInteger(1) ? "!=" : "^")); })
        .Case([&](arith::SelectOp o) {
          define(r, "(" + name(o.getCondition()) + " ? " + name(o.getTrueValue()) + " : " +
                        name(o.getFalseValue()) + ")");
        })
        .Case([&](arith::SIToFPOp o) { define(r, "float(" + name(o.getIn()) + ")"); })
        .Case([&](arith::AddFOp o) { define(r, bin(o, "+")); })
        .Case([&](arith::SubFOp o) { define(r, bin(o, "-")); })
        .Case([&](arith::MulFOp o) { define(r, bin(o, "*")); })
        .Case([&](arith::DivFOp o) { define(r, divide(name(o.getLhs()), o.getRhs())); })
        .Case([&](arith::RemFOp o) { define(r, "fmodf(" + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); })
        .Case([&](arith::NegFOp o) { define(r, "(-" + name(o.getOperand()) + ")"); })
        .Case([&](arith::MinimumFOp o) { define(r, "fminf(" + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); })
        .Case([&](arith::MaximumFOp o) { define(r, "fmaxf(" + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); })
        .Case([&](arith::CmpFOp o) {
          using P = arith::CmpFPredicate;
          std::string a = name(o.getLhs()), b = name(o.getRhs());
          switch (o.getPredicate()) {
          case P::OLT: define(r, "(" + a + " < " + b + ")"); break;
          case P::OLE: define(r, "(" + a + " <= " + b + ")"); break;
          case P::OGT: define(r, "(" + a + " > " + b + ")"); break;
          case P::OGE: define(r, "(" + a + " >= " + b + ")"); break;
          case P::OEQ: define(r, "(" + a + " == " + b + ")"); break;
          case P::UNE: define(r, "!(" + a + " == " + b + ")"); break;
          default: define(r, "false /* unsupported float predicate */"); break;
          }
        })
        .Case([&](math::AbsFOp o) { define(r, "fabsf(" + name(o.getOperand()) + ")"); })
        .Case([&](math::TanhOp o) {
          // The SFU's tanh in a score modifier (Platform.cuh), C's in a mask
          // (see divide()).
          define(r, (scoreRegion ? "tanhf_approx(" : "tanhf(") + name(o.getOperand()) + ")");
        })
        .Case([&](math::ExpOp o) { define(r, "expf(" + name(o.getOperand()) + ")"); })
        .Case([&](math::Exp2Op o) { define(r, "exp2f(" + name(o.getOperand()) + ")"); })
        .Case([&](math::LogOp o) { define(r, "logf(" + name(o.getOperand()) + ")"); })
        .Case([&](math::Log2Op o) { define(r, "log2f(" + name(o.getOperand()) + ")"); })
        .Case([&](math::SqrtOp o) { define(r, "sqrtf(" + name(o.getOperand()) + ")"); })
        .Case([&](LookupOp o) {
          if (auto it = staged.find(o.getOperation()); it != staged.end())
            define(r, (o.getType().isF32() ? "__uint_as_float(col[" : "int(col[") +
                          std::to_string(it->second) + "])");
          else
            define(r, lookupCall(o));
        })
        .Default([&](Operation *o) {
          // The verifier admits only the ops above; keep the code compiling
          // and loud if that ever changes.
          os << "    #error \"flashgen codegen: unsupported op "
             << o->getName().getStringRef() << "\"\n";
        });
  }

  /// Forward-mode differentiation with respect to the region's `score`
  /// argument: each f32 value v gets dv = dv/dscore, defined right after v.
  /// Values that do not depend on the score (constants, int conversions,
  /// lookups) have derivative 0 and no statement.
  std::string deriv(Value v) {
    auto it = derivs.find(v);
    return it == derivs.end() ? "0.0f" : it->second;
  }
  void emitDerivative(Operation &op) {
    if (op.getNumResults() != 1 || !op.getResult(0).getType().isF32())
      return;
    Value r = op.getResult(0);
    bool dependsOnScore = llvm::any_of(op.getOperands(), [&](Value o) {
      return deriv(o) != "0.0f";
    });
    if (!dependsOnScore)
      return;
    auto a = [&](unsigned i) { return name(op.getOperand(i)); };
    auto da = [&](unsigned i) { return "(" + deriv(op.getOperand(i)) + ")"; };
    std::string res = name(r), expr;
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::AddFOp) { expr = da(0) + " + " + da(1); })
        .Case([&](arith::SubFOp) { expr = da(0) + " - " + da(1); })
        .Case([&](arith::MulFOp) { expr = da(0) + " * " + a(1) + " + " + a(0) + " * " + da(1); })
        .Case([&](arith::DivFOp o) { expr = divide("(" + da(0) + " - " + res + " * " + da(1) + ")", o.getRhs()); })
        .Case([&](arith::RemFOp) {
          expr = da(0) + " - truncf(" + a(0) + " / " + a(1) + ") * " + da(1);
        })
        .Case([&](arith::NegFOp) { expr = "-" + da(0); })
        .Case([&](arith::MinimumFOp) { expr = "(" + a(0) + " <= " + a(1) + " ? " + da(0) + " : " + da(1) + ")"; })
        .Case([&](arith::MaximumFOp) { expr = "(" + a(0) + " >= " + a(1) + " ? " + da(0) + " : " + da(1) + ")"; })
        .Case([&](arith::SelectOp o) {
          expr = "(" + name(o.getCondition()) + " ? " + da(1) + " : " + da(2) + ")";
        })
        .Case([&](math::AbsFOp) { expr = "(" + a(0) + " >= 0.0f ? " + da(0) + " : -" + da(0) + ")"; })
        .Case([&](math::TanhOp) { expr = "(1.0f - " + res + " * " + res + ") * " + da(0); })
        .Case([&](math::ExpOp) { expr = res + " * " + da(0); })
        .Case([&](math::Exp2Op) { expr = res + " * 0.693147181f * " + da(0); })
        .Case([&](math::LogOp o) { expr = divide(da(0), o.getOperand()); })
        .Case([&](math::Log2Op) { expr = "__fdividef(" + da(0) + ", " + a(0) + " * 0.693147181f)"; })
        .Case([&](math::SqrtOp) { expr = "__fdividef(0.5f * " + da(0) + ", " + res + ")"; })
        .Default([&](Operation *o) {
          os << "    #error \"flashgen codegen: no derivative for "
             << o->getName().getStringRef() << "\"\n";
          expr = "0.0f";
        });
    std::string n = "d" + res;
    os << "    const float " << n << " = " << expr << ";\n";
    derivs[r] = n;
  }

  void emitInterval(Operation &op) {
    Value r = op.getNumResults() ? op.getResult(0) : Value();
    auto defineIv = [&](const std::string &e) {
      os << "    const iv::Iv " << fresh(r) << " = " << e << ";\n";
    };
    auto defineTri = [&](const std::string &e) {
      os << "    const iv::Tri " << fresh(r) << " = " << e << ";\n";
    };
    auto call2 = [&](const char *f, Operation *o) {
      return std::string("iv::") + f + "(" + name(o->getOperand(0)) + ", " +
             name(o->getOperand(1)) + ")";
    };
    bool isBool = r && r.getType().isInteger(1);
    bool isInt = r && r.getType().isInteger(32);
    // Float math and lookups: unknown over a whole tile.
    auto unknownOverTile = [&] {
      if (isBool)
        defineTri("2");
      else if (isInt)
        defineIv("iv::top()");
      else if (r)
        names[r] = "/*float*/";
    };
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto i = dyn_cast<IntegerAttr>(c.getValue())) {
            if (isBool)
              defineTri(i.getValue().isZero() ? "0" : "1");
            else
              defineIv("iv::point(" + std::to_string(i.getValue().getSExtValue()) + ")");
          } else {
            names[r] = "/*float*/"; // floats are never used by interval ops
          }
        })
        .Case([&](arith::AddIOp o) { defineIv(call2("add", o)); })
        .Case([&](arith::SubIOp o) { defineIv(call2("sub", o)); })
        .Case([&](arith::MulIOp o) { defineIv(call2("mul", o)); })
        .Case([&](arith::DivSIOp o) { defineIv(call2("div", o)); })
        .Case([&](arith::RemSIOp o) { defineIv(call2("rem", o)); })
        .Case([&](arith::MinSIOp o) { defineIv(call2("minI", o)); })
        .Case([&](arith::MaxSIOp o) { defineIv(call2("maxI", o)); })
        .Case([&](math::AbsIOp o) { defineIv("iv::absI(" + name(o.getOperand()) + ")"); })
        .Case([&](arith::CmpIOp o) {
          using P = arith::CmpIPredicate;
          switch (o.getPredicate()) {
          case P::eq: defineTri(call2("eq", o)); break;
          case P::ne: defineTri(call2("ne", o)); break;
          case P::slt: defineTri(call2("lt", o)); break;
          case P::sle: defineTri(call2("le", o)); break;
          case P::sgt: defineTri(call2("gt", o)); break;
          case P::sge: defineTri(call2("ge", o)); break;
          case P::ult: defineTri("iv::unsignedCmp(" + call2("lt", o) + ", " + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); break;
          case P::ule: defineTri("iv::unsignedCmp(" + call2("le", o) + ", " + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); break;
          case P::ugt: defineTri("iv::unsignedCmp(" + call2("gt", o) + ", " + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); break;
          case P::uge: defineTri("iv::unsignedCmp(" + call2("ge", o) + ", " + name(o.getLhs()) + ", " + name(o.getRhs()) + ")"); break;
          }
        })
        .Case([&](arith::AndIOp o) { isBool ? defineTri(call2("andT", o)) : defineIv("iv::top()"); })
        .Case([&](arith::OrIOp o) { isBool ? defineTri(call2("orT", o)) : defineIv("iv::top()"); })
        .Case([&](arith::XOrIOp o) { isBool ? defineTri(call2("xorT", o)) : defineIv("iv::top()"); })
        .Case([&](arith::SelectOp o) {
          std::string args = "(" + name(o.getCondition()) + ", " + name(o.getTrueValue()) +
                             ", " + name(o.getFalseValue()) + ")";
          if (isBool)
            defineTri("iv::selectT" + args);
          else if (isInt)
            defineIv("iv::selectI" + args);
          else
            names[r] = "/*float*/";
        })
        .Case([&](LookupOp l) {
          // Int lookups: the values the index ranges reach (TileClasses.cuh's
          // scan, for the run-time builder); else unknown over a tile.
          if (!scanLookups || !isInt)
            return unknownOverTile();
          std::string ix;
          for (Value i : l.getIndices())
            ix += (ix.empty() ? "" : ", ") + name(i);
          defineIv("lookupScan<" + std::to_string(l.getIndices().size()) +
                   (reportsClamps(l) ? ", true" : "") + ">(p.tensors[" +
                   std::to_string(tensorIndex(spec, l.getName())) + "], {" + ix + "})");
        })
        .Default([&](Operation *) { unknownOverTile(); });
  }

  Block &block;
  const KernelSpec &spec;
  raw_ostream &os;
  bool interval, scanLookups, derivative;
  bool scoreRegion = false; // the score modifier's region, not a mask's
  llvm::DenseMap<Value, std::string> names, derivs;
  /// Per lookup, its number among the variant's (attn::lookupSites).
  llvm::DenseMap<Operation *, int> siteOf;
  /// Per lookup, which indices are proven in range (no clamp).
  llvm::DenseMap<Operation *, llvm::SmallVector<bool, 4>> inRange;
  /// Staged lookups: their position in the staged values.
  llvm::DenseMap<Operation *, int> staged;
  unsigned counter = 0;
};

} // namespace

void flashgen::codegen::emitConcreteBody(Region &region, const KernelSpec &spec,
                                         raw_ostream &os, ArrayRef<LookupOp> stagedColumns) {
  Emitter e(region, spec, os, Emitter::Mode::Concrete);
  e.readStaged(stagedColumns);
  e.run();
}

void flashgen::codegen::emitStagedColumnsBody(Region &region, const KernelSpec &spec,
                                              ArrayRef<LookupOp> stagedColumns,
                                              raw_ostream &os) {
  Emitter(region, spec, os, Emitter::Mode::Concrete).runStaging(stagedColumns);
}

void flashgen::codegen::emitScoreDerivativeBody(Region &region, const KernelSpec &spec,
                                                raw_ostream &os) {
  Emitter(region, spec, os, Emitter::Mode::Derivative).run();
}

void flashgen::codegen::emitIntervalBody(Region &region, const KernelSpec &spec,
                                         raw_ostream &os, bool scanLookups) {
  Emitter(region, spec, os,
          scanLookups ? Emitter::Mode::IntervalScan : Emitter::Mode::Interval)
      .run();
}
