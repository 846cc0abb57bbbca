//===- AST.h - abstract syntax tree of .attn files --------------*- C++ -*-===//
//
// The parser builds this tree without interpreting names: `mask = causal`
// and `dtype = bf16` are both a property whose value is an expression. Sema
// gives the names meaning, checks types and fills in `Expr::type` and
// `NameExpr::binding`; Lowering reads those.
//
//   SpecFile -> VariantDecl* -> (PropertyDecl | TensorDecl)*
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_AST_H
#define FLASHGEN_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace flashgen::ast {

/// Types of expressions, assigned by Sema.
enum class ExprType { Unknown, Int, Float, Bool };
llvm::StringRef spellType(ExprType t);

class Expr {
public:
  enum class Kind { Int, Float, Bool, Name, Index, Call, Unary, Binary, Ternary, List };

  Expr(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  llvm::SMLoc getLoc() const { return range.Start; }
  llvm::SMRange getRange() const { return range; }

  ExprType type = ExprType::Unknown; // set by Sema

private:
  Kind kind;
  llvm::SMRange range;
};
using ExprPtr = std::unique_ptr<Expr>;

struct IntExpr : Expr {
  IntExpr(llvm::SMRange r, int64_t v) : Expr(Kind::Int, r), value(v) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Int; }
  int64_t value;
};

struct FloatExpr : Expr {
  FloatExpr(llvm::SMRange r, double v) : Expr(Kind::Float, r), value(v) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Float; }
  double value;
};

struct BoolExpr : Expr {
  BoolExpr(llvm::SMRange r, bool v) : Expr(Kind::Bool, r), value(v) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }
  bool value;
};

/// What a name in an expression refers to, resolved by Sema.
enum class Binding {
  Unresolved,
  Batch, Head, Query, Key, SeqQ, SeqK, // index variables (i32)
  Score,                               // the scaled score (score region only)
  Causal,                              // mask builtin: top-left causal
  KeyPadding,                          // mask builtin: k < seqlens_k[b]
  MaskNone,                            // mask builtin: attend everywhere
};

struct NameExpr : Expr {
  NameExpr(llvm::SMRange r, llvm::StringRef n) : Expr(Kind::Name, r), name(n) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
  std::string name;
  Binding binding = Binding::Unresolved;
};

/// `name[i, j]`: a lookup into a declared tensor.
struct IndexExpr : Expr {
  IndexExpr(llvm::SMRange r, std::string n, llvm::SMRange nameRange,
            std::vector<ExprPtr> idx)
      : Expr(Kind::Index, r), name(std::move(n)), nameRange(nameRange),
        indices(std::move(idx)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Index; }
  std::string name;
  llvm::SMRange nameRange;
  std::vector<ExprPtr> indices;
};

/// `f(a, key = b)`: a math function, a mask builtin or a property
/// constructor such as `sliding_window(left = 128)`.
struct CallExpr : Expr {
  struct Arg {
    std::string key; // empty for positional arguments
    llvm::SMRange keyRange;
    ExprPtr value;
  };
  CallExpr(llvm::SMRange r, std::string c, llvm::SMRange calleeRange,
           std::vector<Arg> a)
      : Expr(Kind::Call, r), callee(std::move(c)), calleeRange(calleeRange),
        args(std::move(a)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  std::string callee;
  llvm::SMRange calleeRange;
  std::vector<Arg> args;
};

enum class UnaryOp { Neg, Not };
struct UnaryExpr : Expr {
  UnaryExpr(llvm::SMRange r, UnaryOp o, ExprPtr x)
      : Expr(Kind::Unary, r), op(o), operand(std::move(x)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
  UnaryOp op;
  ExprPtr operand;
};

enum class BinaryOp { Add, Sub, Mul, Div, Rem, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
llvm::StringRef spellBinaryOp(BinaryOp op);

struct BinaryExpr : Expr {
  BinaryExpr(llvm::SMRange r, BinaryOp o, llvm::SMLoc opLoc, ExprPtr l, ExprPtr rhs)
      : Expr(Kind::Binary, r), op(o), opLoc(opLoc), lhs(std::move(l)),
        rhs(std::move(rhs)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  BinaryOp op;
  llvm::SMLoc opLoc;
  ExprPtr lhs, rhs;
};

/// `c ? a : b`
struct TernaryExpr : Expr {
  TernaryExpr(llvm::SMRange r, ExprPtr c, ExprPtr t, ExprPtr f)
      : Expr(Kind::Ternary, r), cond(std::move(c)), trueValue(std::move(t)),
        falseValue(std::move(f)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Ternary; }
  ExprPtr cond, trueValue, falseValue;
};

/// `a, b` at the top of a property value, or `[a, b]`.
struct ListExpr : Expr {
  ListExpr(llvm::SMRange r, std::vector<ExprPtr> e)
      : Expr(Kind::List, r), elements(std::move(e)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::vector<ExprPtr> elements;
};

/// `key = value;`
struct PropertyDecl {
  std::string key;
  llvm::SMRange keyRange;
  ExprPtr value;
};

/// `tensor name : elemType [dim, ...];`
struct TensorDecl {
  std::string name;
  llvm::SMRange nameRange;
  std::string elementType;
  llvm::SMRange elementTypeRange;
  struct Dim {
    std::string symbol; // empty for a literal size
    int64_t size = 0;
    llvm::SMRange range;
  };
  std::vector<Dim> dims;
};

/// `attention name { ... }`
struct VariantDecl {
  std::string name;
  llvm::SMRange nameRange;
  llvm::SMLoc loc; // of the `attention` keyword
  std::vector<PropertyDecl> properties;
  std::vector<TensorDecl> tensors;
  /// Keys of properties that failed to parse: Sema does not report them
  /// missing (that would be a follow-on error).
  std::vector<std::string> failedKeys;
};

struct SpecFile {
  std::vector<VariantDecl> variants;
};

/// Prints the tree in an indented, stable form (for tests and debugging).
void dump(const SpecFile &file, llvm::raw_ostream &os);
void dump(const Expr &expr, llvm::raw_ostream &os);

} // namespace flashgen::ast

#endif // FLASHGEN_FRONTEND_AST_H
