//===- Lowering.cpp - checked .attn variants to the attn dialect -*- C++ -*-===//
#include "flashgen/Frontend/Lowering.h"

#include "flashgen/Dialect/Attn/IR/AttnOps.h"
#include "flashgen/Dialect/Attn/IR/MmaKind.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace flashgen;
using namespace flashgen::ast;
using namespace mlir;
using llvm::cast;

namespace {

class VariantLowering {
public:
  VariantLowering(const VariantSpec &spec, llvm::SourceMgr &srcMgr,
                  OpBuilder &builder)
      : spec(spec), srcMgr(srcMgr), b(builder), ctx(builder.getContext()) {}

  attn::VariantOp lower();

private:
  Location loc(llvm::SMLoc l);
  /// Lowers `e` into the current block; `args` are the region arguments.
  Value lowerExpr(const Expr &e);
  Value toFloat(Value v, Location l);
  Value lowerCall(const CallExpr &c, Location l);
  Value lowerBinary(const BinaryExpr &e, Location l);
  void fillRegion(Region &region, const Expr *expr, bool isScore);
  Value runtimeBlockKept(Location l);

  const VariantSpec &spec;
  llvm::SourceMgr &srcMgr;
  OpBuilder &b;
  MLIRContext *ctx;
  Value score;
  Value indexArgs[attn::VariantOp::kNumIndexArgs]; // b, h, q, k, seq_q, seq_k
};

Location VariantLowering::loc(llvm::SMLoc l) {
  if (!l.isValid())
    return UnknownLoc::get(ctx);
  unsigned id = srcMgr.FindBufferContainingLoc(l);
  if (!id)
    return UnknownLoc::get(ctx);
  auto [line, col] = srcMgr.getLineAndColumn(l, id);
  return FileLineColLoc::get(
      ctx, srcMgr.getMemoryBuffer(id)->getBufferIdentifier(), line, col);
}

Value VariantLowering::toFloat(Value v, Location l) {
  if (v.getType().isF32())
    return v;
  return arith::SIToFPOp::create(b, l, b.getF32Type(), v);
}

Value VariantLowering::lowerCall(const CallExpr &c, Location l) {
  std::vector<Value> args;
  for (const CallExpr::Arg &a : c.args)
    args.push_back(lowerExpr(*a.value));
  bool isFloat = c.type == ExprType::Float;
  if (isFloat)
    for (Value &v : args)
      v = toFloat(v, l);
  llvm::StringRef f = c.callee;
  if (f == "abs")
    return isFloat ? Value(math::AbsFOp::create(b, l, args[0]))
                   : Value(math::AbsIOp::create(b, l, args[0]));
  auto minOf = [&](Value x, Value y) -> Value {
    return isFloat ? Value(arith::MinimumFOp::create(b, l, x, y))
                   : Value(arith::MinSIOp::create(b, l, x, y));
  };
  auto maxOf = [&](Value x, Value y) -> Value {
    return isFloat ? Value(arith::MaximumFOp::create(b, l, x, y))
                   : Value(arith::MaxSIOp::create(b, l, x, y));
  };
  if (f == "min")
    return minOf(args[0], args[1]);
  if (f == "max")
    return maxOf(args[0], args[1]);
  if (f == "clamp")
    return minOf(maxOf(args[0], args[1]), args[2]);
  if (f == "tanh")
    return math::TanhOp::create(b, l, args[0]);
  if (f == "exp")
    return math::ExpOp::create(b, l, args[0]);
  if (f == "exp2")
    return math::Exp2Op::create(b, l, args[0]);
  if (f == "log")
    return math::LogOp::create(b, l, args[0]);
  if (f == "log2")
    return math::Log2Op::create(b, l, args[0]);
  if (f == "sqrt")
    return math::SqrtOp::create(b, l, args[0]);
  assert(f == "float" && "Sema admits only known functions");
  return args[0];
}

Value VariantLowering::lowerBinary(const BinaryExpr &e, Location l) {
  Value x = lowerExpr(*e.lhs), y = lowerExpr(*e.rhs);
  bool anyFloat = x.getType().isF32() || y.getType().isF32();
  if (anyFloat) {
    x = toFloat(x, l);
    y = toFloat(y, l);
  }
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  auto cmp = [&](P pi, F pf) -> Value {
    if (anyFloat)
      return arith::CmpFOp::create(b, l, pf, x, y);
    return arith::CmpIOp::create(b, l, pi, x, y);
  };
  switch (e.op) {
  case BinaryOp::Add:
    return anyFloat ? Value(arith::AddFOp::create(b, l, x, y))
                    : Value(arith::AddIOp::create(b, l, x, y));
  case BinaryOp::Sub:
    return anyFloat ? Value(arith::SubFOp::create(b, l, x, y))
                    : Value(arith::SubIOp::create(b, l, x, y));
  case BinaryOp::Mul:
    return anyFloat ? Value(arith::MulFOp::create(b, l, x, y))
                    : Value(arith::MulIOp::create(b, l, x, y));
  case BinaryOp::Div: // C semantics: integer division truncates
    return anyFloat ? Value(arith::DivFOp::create(b, l, x, y))
                    : Value(arith::DivSIOp::create(b, l, x, y));
  case BinaryOp::Rem:
    return anyFloat ? Value(arith::RemFOp::create(b, l, x, y))
                    : Value(arith::RemSIOp::create(b, l, x, y));
  // Ordered float compares: a NaN score compares false.
  case BinaryOp::Lt: return cmp(P::slt, F::OLT);
  case BinaryOp::Le: return cmp(P::sle, F::OLE);
  case BinaryOp::Gt: return cmp(P::sgt, F::OGT);
  case BinaryOp::Ge: return cmp(P::sge, F::OGE);
  case BinaryOp::Eq: return cmp(P::eq, F::OEQ);
  case BinaryOp::Ne: return cmp(P::ne, F::UNE);
  case BinaryOp::And: return arith::AndIOp::create(b, l, x, y);
  case BinaryOp::Or: return arith::OrIOp::create(b, l, x, y);
  }
  llvm_unreachable("unknown binary op");
}

Value VariantLowering::lowerExpr(const Expr &e) {
  Location l = loc(e.getLoc());
  switch (e.getKind()) {
  case Expr::Kind::Int:
    return arith::ConstantIntOp::create(b, l, cast<IntExpr>(e).value, 32);
  case Expr::Kind::Float:
    return arith::ConstantFloatOp::create(
        b, l, b.getF32Type(), llvm::APFloat(static_cast<float>(cast<FloatExpr>(e).value)));
  case Expr::Kind::Bool:
    return arith::ConstantIntOp::create(b, l, cast<BoolExpr>(e).value, 1);
  case Expr::Kind::Name: {
    auto &n = cast<NameExpr>(e);
    switch (n.binding) {
    case Binding::Batch: return indexArgs[0];
    case Binding::Head: return indexArgs[1];
    case Binding::Query: return indexArgs[2];
    case Binding::Key: return indexArgs[3];
    case Binding::SeqQ: return indexArgs[4];
    case Binding::SeqK: return indexArgs[5];
    case Binding::Score: return score;
    default: llvm_unreachable("Sema desugars mask builtins and rejects the rest");
    }
  }
  case Expr::Kind::Index: {
    auto &x = cast<IndexExpr>(e);
    std::vector<Value> idx;
    for (const ExprPtr &i : x.indices)
      idx.push_back(lowerExpr(*i));
    Type t = x.type == ExprType::Float ? Type(b.getF32Type()) : Type(b.getI32Type());
    return attn::LookupOp::create(b, l, t, b.getStringAttr(x.name), idx);
  }
  case Expr::Kind::Call:
    return lowerCall(cast<CallExpr>(e), l);
  case Expr::Kind::Unary: {
    auto &u = cast<UnaryExpr>(e);
    // Negative literals become one constant, as the user wrote them.
    if (u.op == UnaryOp::Neg) {
      if (auto *i = llvm::dyn_cast<IntExpr>(u.operand.get()))
        return arith::ConstantIntOp::create(b, l, -i->value, 32);
      if (auto *f = llvm::dyn_cast<FloatExpr>(u.operand.get()))
        return arith::ConstantFloatOp::create(
            b, l, b.getF32Type(), llvm::APFloat(static_cast<float>(-f->value)));
    }
    Value v = lowerExpr(*u.operand);
    if (u.op == UnaryOp::Not)
      return arith::XOrIOp::create(b, l, v,
                                   arith::ConstantIntOp::create(b, l, 1, 1));
    if (v.getType().isF32())
      return arith::NegFOp::create(b, l, v);
    return arith::SubIOp::create(b, l, arith::ConstantIntOp::create(b, l, 0, 32), v);
  }
  case Expr::Kind::Binary: // located at the operator, as a reader expects
    return lowerBinary(cast<BinaryExpr>(e), loc(cast<BinaryExpr>(e).opLoc));
  case Expr::Kind::Ternary: {
    auto &t = cast<TernaryExpr>(e);
    Value c = lowerExpr(*t.cond);
    Value x = lowerExpr(*t.trueValue), y = lowerExpr(*t.falseValue);
    if (x.getType() != y.getType()) {
      x = toFloat(x, l);
      y = toFloat(y, l);
    }
    return arith::SelectOp::create(b, l, c, x, y);
  }
  case Expr::Kind::List:
    break;
  }
  llvm_unreachable("Sema rejects lists in expressions");
}

/// `block_mask[b, h, q / S, k / S] != 0`: the run-time block map of
/// `sparsity = runtime(block_size = S)` (Sema declares the tensor).
Value VariantLowering::runtimeBlockKept(Location l) {
  Value size = arith::ConstantIntOp::create(b, l, spec.sparsity->blockSize, 32);
  Value idx[] = {indexArgs[0], indexArgs[1], arith::DivSIOp::create(b, l, indexArgs[2], size),
                 arith::DivSIOp::create(b, l, indexArgs[3], size)};
  Value kept = attn::LookupOp::create(b, l, b.getI32Type(), b.getStringAttr(kBlockMaskTensor),
                                      idx);
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, kept,
                               arith::ConstantIntOp::create(b, l, 0, 32));
}

void VariantLowering::fillRegion(Region &region, const Expr *expr, bool isScore) {
  Location l = loc(isScore ? spec.scoreLoc : spec.maskLoc);
  std::vector<Type> types;
  if (isScore)
    types.push_back(b.getF32Type());
  types.insert(types.end(), attn::VariantOp::kNumIndexArgs, b.getI32Type());
  std::vector<Location> locs(types.size(), l);
  Block *block = b.createBlock(&region, {}, types, locs);
  unsigned first = isScore ? 1 : 0;
  if (isScore)
    score = block->getArgument(0);
  for (unsigned i = 0; i < attn::VariantOp::kNumIndexArgs; ++i)
    indexArgs[i] = block->getArgument(first + i);

  Value result;
  if (!expr)
    result = isScore ? score : Value(arith::ConstantIntOp::create(b, l, 1, 1));
  else
    result = lowerExpr(*expr);
  if (isScore)
    result = toFloat(result, l);
  else if (spec.sparsity && spec.sparsity->kind == SparsityKind::Runtime)
    result = expr ? Value(arith::AndIOp::create(b, l, result, runtimeBlockKept(l)))
                  : runtimeBlockKept(l);
  attn::YieldOp::create(b, l, result);
}

attn::VariantOp VariantLowering::lower() {
  Location l = loc(spec.loc);
  attn::ElementType dtype =
      spec.dtype == DType::BF16      ? attn::ElementType::bf16
      : spec.dtype == DType::FP8E4M3 ? attn::ElementType::fp8_e4m3
                                     : attn::ElementType::f16;
  attn::Passes passes = static_cast<attn::Passes>(0);
  if (spec.forward)
    passes = passes | attn::Passes::forward;
  if (spec.backward)
    passes = passes | attn::Passes::backward;
  attn::Target target = attn::Target::native;
  switch (spec.target) {
  case Target::SM80: target = attn::Target::sm_80; break;
  case Target::SM86: target = attn::Target::sm_86; break;
  case Target::SM89: target = attn::Target::sm_89; break;
  case Target::SM90a: target = attn::Target::sm_90a; break;
  case Target::Native: target = attn::Target::native; break;
  }

  attn::SparsityAttr sparsity;
  if (spec.sparsity) {
    const SparsitySpec &s = *spec.sparsity;
    sparsity = attn::SparsityAttr::get(
        ctx, static_cast<attn::SparsityKind>(s.kind), s.blockSize, s.width,
        s.stride, s.numGlobal, s.rows, s.cols,
        s.layout.empty() ? DenseI64ArrayAttr() : b.getDenseI64ArrayAttr(s.layout));
  }
  std::vector<Attribute> tensors;
  for (const TensorSpec &t : spec.tensors) {
    std::vector<Attribute> dims;
    for (const TensorSpec::Dim &d : t.dims)
      dims.push_back(d.symbol.empty() ? Attribute(b.getI64IntegerAttr(d.size))
                                      : Attribute(b.getStringAttr(d.symbol)));
    tensors.push_back(attn::TensorAttr::get(
        ctx, t.name, t.isFloat ? Type(b.getF32Type()) : Type(b.getI32Type()),
        b.getArrayAttr(dims)));
  }

  auto mmaKind = [](MmaChoice c) {
    return c == MmaChoice::Sync    ? attn::MmaKind::Sync
           : c == MmaChoice::Wgmma ? attn::MmaKind::Wgmma
                                   : attn::MmaKind::Free;
  };
  const attn::MmaKind mma = mmaKind(spec.mma), bwdMma = mmaKind(spec.bwdMma);
  attn::TilingAttr tileOverride;
  if (spec.blockM || spec.blockN || spec.warps || spec.stages || mma != attn::MmaKind::Free ||
      spec.warpSpecialized || spec.ctasPerSM)
    tileOverride = attn::TilingAttr::get(ctx, spec.blockM, spec.blockN, spec.warps,
                                         spec.stages, false, 0, 0, spec.ctasPerSM,
                                         int64_t(mma), spec.warpSpecialized);
  attn::TilingAttr bwdTileOverride;
  if (spec.bwdBlockM || spec.bwdWarps || spec.bwdStages || bwdMma != attn::MmaKind::Free ||
      spec.bwdWarpSpecialized)
    bwdTileOverride = attn::TilingAttr::get(ctx, spec.bwdBlockM, 16 * spec.bwdWarps,
                                            spec.bwdWarps, spec.bwdStages, false, 0, 0, 0,
                                            int64_t(bwdMma), spec.bwdWarpSpecialized);

  auto op = attn::VariantOp::create(
      b, l, b.getStringAttr(spec.name),
      attn::ElementTypeAttr::get(ctx, dtype), b.getI64IntegerAttr(spec.qkHeadDim),
      b.getI64IntegerAttr(spec.vHeadDim),
      spec.heads ? b.getI64IntegerAttr(*spec.heads) : IntegerAttr(),
      spec.kvHeads ? b.getI64IntegerAttr(*spec.kvHeads) : IntegerAttr(),
      b.getF64FloatAttr(spec.scale), b.getF64FloatAttr(spec.dropout),
      attn::PassesAttr::get(ctx, passes), attn::TargetAttr::get(ctx, target),
      spec.varlen ? b.getUnitAttr() : UnitAttr(), sparsity,
      b.getArrayAttr(tensors), tileOverride, bwdTileOverride, /*mask_shape=*/nullptr,
      /*score_shape=*/nullptr, /*fwd_tiling=*/nullptr, /*bwd_tiling=*/nullptr,
      /*tiling_notes=*/nullptr);

  OpBuilder::InsertionGuard guard(b);
  fillRegion(op.getMask(), spec.mask, /*isScore=*/false);
  fillRegion(op.getScore(), spec.score, /*isScore=*/true);
  return op;
}

} // namespace

OwningOpRef<ModuleOp> flashgen::lowerToAttn(llvm::ArrayRef<VariantSpec> specs,
                                            llvm::SourceMgr &srcMgr,
                                            MLIRContext &ctx) {
  ctx.getOrLoadDialect<attn::AttnDialect>();
  OpBuilder b(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToEnd(module->getBody());
  for (const VariantSpec &spec : specs)
    VariantLowering(spec, srcMgr, b).lower();
  if (failed(verify(*module)))
    return nullptr;
  return module;
}
