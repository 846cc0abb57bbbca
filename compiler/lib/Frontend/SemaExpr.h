//===- SemaExpr.h - type checking of mask/score expressions -----*- C++ -*-===//
//
// Internal to Sema: resolves names, assigns types, desugars mask builtins,
// and folds constant property values.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_SEMAEXPR_H
#define FLASHGEN_FRONTEND_SEMAEXPR_H

#include "flashgen/Frontend/Sema.h"

namespace flashgen::sema {

/// Which expression is being checked: names valid in one are not in the other.
enum class ExprContext { Mask, Score };

class ExprChecker {
public:
  ExprChecker(DiagnosticEngine &diags, std::vector<TensorSpec> &tensors,
              ExprContext ctx)
      : diags(diags), tensors(tensors), ctx(ctx) {}

  /// Checks `e` (rewriting builtins in place); returns its type, or Unknown
  /// after reporting an error.
  ast::ExprType check(ast::ExprPtr &e);

private:
  ast::ExprType checkName(ast::ExprPtr &e);
  ast::ExprType checkIndex(ast::IndexExpr &e);
  ast::ExprType checkCall(ast::ExprPtr &e);
  ast::ExprType checkMaskBuiltinCall(ast::ExprPtr &e);
  ast::ExprType checkUnary(ast::UnaryExpr &e);
  ast::ExprType checkBinary(ast::BinaryExpr &e);
  ast::ExprType checkTernary(ast::TernaryExpr &e);
  TensorSpec *findTensor(llvm::StringRef name);
  TensorSpec &implicitTensor(llvm::StringRef name, llvm::SMRange loc);
  std::vector<llvm::StringRef> namesInScope() const;

  DiagnosticEngine &diags;
  std::vector<TensorSpec> &tensors;
  ExprContext ctx;
};

/// A constant number: integers stay exact, the rest is double.
struct ConstValue {
  bool isInt = false;
  int64_t i = 0;
  double f = 0;
  double asDouble() const { return isInt ? static_cast<double>(i) : f; }
};

/// Folds a constant arithmetic expression (literals, + - * / %, unary -,
/// sqrt/exp/log/...). Reports an error naming `what` if `e` is not one.
std::optional<ConstValue> evalConstant(const ast::Expr &e,
                                       DiagnosticEngine &diags,
                                       const llvm::Twine &what);

/// Names of the math functions usable in expressions.
llvm::ArrayRef<llvm::StringRef> mathFunctionNames();

} // namespace flashgen::sema

#endif // FLASHGEN_FRONTEND_SEMAEXPR_H
