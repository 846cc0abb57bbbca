//===- AttnDialect.cpp - attn dialect, enums, attributes --------*- C++ -*-===//
//
// Registers the dialect and implements attribute verifiers.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Dialect/Attn/IR/AttnDialect.h"
#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace flashgen::attn;

#include "flashgen/Dialect/Attn/IR/AttnDialect.cpp.inc"
#include "flashgen/Dialect/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "flashgen/Dialect/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "flashgen/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "flashgen/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

bool flashgen::attn::isSymbolicExtent(llvm::StringRef name) {
  static constexpr llvm::StringLiteral kExtents[] = {
      "batch", "heads", "kv_heads", "seq_q", "seq_k", "tokens_q", "tokens_k"};
  auto [base, block] = splitExtent(name);
  return block >= 1 && llvm::is_contained(kExtents, base);
}

std::pair<llvm::StringRef, int64_t> flashgen::attn::splitExtent(llvm::StringRef name) {
  auto [base, block] = name.split('/');
  if (block.empty())
    return {base, name.contains('/') ? 0 : 1};
  int64_t n = 0;
  if (block.getAsInteger(10, n) || n < 1)
    n = 0;
  return {base, n};
}

//===----------------------------------------------------------------------===//
// SparsityAttr
//===----------------------------------------------------------------------===//

LogicalResult
SparsityAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     SparsityKind kind, int64_t blockSize, int64_t width,
                     int64_t stride, int64_t numGlobal, int64_t rows,
                     int64_t cols, DenseI64ArrayAttr layoutAttr) {
  ArrayRef<int64_t> layout;
  if (layoutAttr)
    layout = layoutAttr.asArrayRef();
  // Block size must be a whole number of kernel tiles; 16 is the MMA row
  // granularity, 256 the largest tile any target holds.
  if (blockSize < 16 || blockSize > 256 || blockSize % 16 != 0)
    return emitError() << "'block_size' must be a multiple of 16 in [16, 256], got "
                       << blockSize;
  if (width < 0 || stride < 0 || numGlobal < 0 || rows < 0 || cols < 0)
    return emitError() << "sparsity parameters must be non-negative";
  switch (kind) {
  case SparsityKind::local:
    if (width < 1)
      return emitError() << "'local' sparsity needs 'width' >= 1";
    break;
  case SparsityKind::strided:
    if (stride < 1)
      return emitError() << "'strided' sparsity needs 'stride' >= 1";
    break;
  case SparsityKind::layout:
    if (rows < 1 || cols < 1)
      return emitError() << "'layout' sparsity needs 'rows' and 'cols' >= 1";
    // A layout bigger than 4096 x 4096 blocks would cover a million tokens
    // at the smallest block size; refusing it also keeps rows * cols exact.
    if (rows > 4096 || cols > 4096)
      return emitError() << "'layout' is at most 4096 x 4096 blocks, got "
                         << rows << " x " << cols;
    if (static_cast<int64_t>(layout.size()) != rows * cols)
      return emitError() << "'layout' has " << layout.size()
                         << " entries, expected rows * cols = " << rows * cols;
    for (int64_t v : layout)
      if (v != 0 && v != 1)
        return emitError() << "'layout' entries must be 0 or 1, got " << v;
    break;
  case SparsityKind::butterfly:
  case SparsityKind::runtime:
    break;
  }
  if (kind != SparsityKind::layout && !layout.empty())
    return emitError() << "'layout' is only valid with layout sparsity";
  return success();
}

//===----------------------------------------------------------------------===//
// TensorAttr
//===----------------------------------------------------------------------===//

LogicalResult TensorAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, Type elementType,
                                 ArrayAttr shape) {
  if (name.empty())
    return emitError() << "tensor name must not be empty";
  if (!elementType.isInteger(32) && !elementType.isF32())
    return emitError() << "tensor '" << name
                       << "' element type must be i32 or f32, got "
                       << elementType;
  if (shape.empty())
    return emitError() << "tensor '" << name << "' must have rank >= 1";
  for (Attribute dim : shape) {
    if (auto i = dyn_cast<IntegerAttr>(dim)) {
      if (i.getInt() < 1)
        return emitError() << "tensor '" << name
                           << "' has a non-positive dimension " << i.getInt();
      continue;
    }
    auto s = dyn_cast<StringAttr>(dim);
    if (!s || !isSymbolicExtent(s.getValue()))
      return emitError() << "tensor '" << name << "' dimension " << dim
                         << " is neither a size nor a symbolic extent";
  }
  return success();
}
