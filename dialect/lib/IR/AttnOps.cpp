//===- AttnOps.cpp - attn operations ----------------------------*- C++ -*-===//
//
// Verifiers for attn.variant and attn.lookup. Every message names the
// attribute or region at fault, since users meet these through `flashgen`.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace flashgen::attn;

#define GET_OP_CLASSES
#include "flashgen/Dialect/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// VariantOp
//===----------------------------------------------------------------------===//

static constexpr llvm::StringLiteral kIndexArgNames[] = {
    "b", "h", "q", "k", "seq_q", "seq_k"};

void VariantOp::getAsmBlockArgumentNames(Region &region,
                                         OpAsmSetValueNameFn setNameFn) {
  if (region.empty())
    return;
  Block &block = region.front();
  unsigned first = 0;
  if (&region == &getScore() && block.getNumArguments() > 0) {
    setNameFn(block.getArgument(0), "score");
    first = 1;
  }
  for (unsigned i = 0; i < kNumIndexArgs && first + i < block.getNumArguments();
       ++i)
    setNameFn(block.getArgument(first + i), kIndexArgNames[i]);
}

TensorAttr VariantOp::lookupTensor(StringRef name) {
  for (Attribute a : getTensors())
    if (auto t = dyn_cast<TensorAttr>(a); t && t.getName() == name)
      return t;
  return {};
}

Value VariantOp::getMaskValue() {
  return cast<YieldOp>(getMask().front().getTerminator()).getValue();
}
Value VariantOp::getScoreValue() {
  return cast<YieldOp>(getScore().front().getTerminator()).getValue();
}

/// Head dims: the MMA k-step needs multiples of 8 (16-byte vectors of 16-bit
/// elements), and 256 is the largest the kernel templates tile.
static LogicalResult verifyHeadDim(VariantOp op, StringRef attr, int64_t d) {
  if (d <= 0 || d % 8 != 0 || d > 256)
    return op.emitOpError() << "'" << attr
                            << "' must be a positive multiple of 8 no larger "
                               "than 256, got "
                            << d;
  return success();
}

LogicalResult VariantOp::verify() {
  if (failed(verifyHeadDim(*this, "qk_head_dim",
                           static_cast<int64_t>(getQkHeadDim()))) ||
      failed(verifyHeadDim(*this, "v_head_dim",
                           static_cast<int64_t>(getVHeadDim()))))
    return failure();

  std::optional<uint64_t> heads = getHeads(), kvHeads = getKvHeads();
  if (heads && static_cast<int64_t>(*heads) < 1)
    return emitOpError() << "'heads' must be >= 1, got "
                         << static_cast<int64_t>(*heads);
  if (kvHeads && static_cast<int64_t>(*kvHeads) < 1)
    return emitOpError() << "'kv_heads' must be >= 1, got "
                         << static_cast<int64_t>(*kvHeads);
  if (kvHeads && !heads)
    return emitOpError() << "'kv_heads' requires 'heads'";
  if (heads && kvHeads && *heads % *kvHeads != 0)
    return emitOpError() << "'kv_heads' (" << *kvHeads
                         << ") must divide 'heads' (" << *heads << ")";

  double scale = getScale().convertToDouble();
  if (!std::isfinite(scale) || scale <= 0)
    return emitOpError() << "'scale' must be finite and positive, got "
                         << scale;
  double dropout = getDropout().convertToDouble();
  if (!(dropout >= 0.0 && dropout < 1.0))
    return emitOpError() << "'dropout' must be in [0, 1), got " << dropout;
  if (static_cast<uint32_t>(getPasses()) == 0)
    return emitOpError() << "'passes' must name forward and/or backward";

  llvm::StringSet<> seen;
  for (Attribute a : getTensors()) {
    auto t = cast<TensorAttr>(a);
    if (!seen.insert(t.getName()).second)
      return emitOpError() << "'tensors' declares '" << t.getName()
                           << "' twice";
  }
  return success();
}

/// Checks a region's single block: `numLeading` leading arguments of type
/// `leading`, then kNumIndexArgs i32 arguments, ending in attn.yield of
/// `yieldType`.
static LogicalResult verifyExprRegion(VariantOp op, Region &region,
                                      StringRef regionName,
                                      ArrayRef<Type> leading, Type yieldType) {
  Block &block = region.front();
  unsigned expected = leading.size() + VariantOp::kNumIndexArgs;
  if (block.getNumArguments() != expected)
    return op.emitOpError() << "'" << regionName << "' region must have "
                            << expected << " arguments, got "
                            << block.getNumArguments();
  Type i32 = IntegerType::get(op.getContext(), 32);
  for (auto [i, arg] : llvm::enumerate(block.getArguments())) {
    Type want = i < leading.size() ? leading[i] : i32;
    if (arg.getType() != want)
      return op.emitOpError() << "'" << regionName << "' region argument #"
                              << i << " must be " << want << ", got "
                              << arg.getType();
  }
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op.emitOpError() << "'" << regionName
                            << "' region must end in attn.yield";
  if (yield.getValue().getType() != yieldType)
    return op.emitOpError() << "'" << regionName << "' region must yield "
                            << yieldType << ", got "
                            << yield.getValue().getType();
  // Only pure scalar arithmetic may appear: the regions are inlined into the
  // kernel's inner loop.
  for (Operation &inner : block.without_terminator()) {
    Dialect *d = inner.getDialect();
    if (!isa<LookupOp>(inner) &&
        !(d && (isa<arith::ArithDialect, math::MathDialect>(d))))
      return inner.emitOpError()
             << "is not allowed in the '" << regionName
             << "' region (only arith, math and attn.lookup ops)";
  }
  return success();
}

LogicalResult VariantOp::verifyRegions() {
  Type f32 = Float32Type::get(getContext());
  Type i1 = IntegerType::get(getContext(), 1);
  if (failed(verifyExprRegion(*this, getMask(), "mask", {}, i1)))
    return failure();
  return verifyExprRegion(*this, getScore(), "score", {f32}, f32);
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

LogicalResult LookupOp::verify() {
  auto variant = (*this)->getParentOfType<VariantOp>();
  if (!variant)
    return emitOpError() << "must be inside an attn.variant";
  TensorAttr tensor = variant.lookupTensor(getName());
  if (!tensor)
    return emitOpError() << "refers to undeclared tensor '" << getName()
                         << "'";
  if (tensor.getShape().size() != getIndices().size())
    return emitOpError() << "tensor '" << getName() << "' has rank "
                         << tensor.getShape().size() << " but "
                         << getIndices().size() << " indices were given";
  if (tensor.getElementType() != getResult().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " does not match tensor '" << getName()
                         << "' element type " << tensor.getElementType();
  return success();
}
