//===- AST.cpp - printing the .attn AST -------------------------*- C++ -*-===//
#include "flashgen/Frontend/AST.h"

using namespace flashgen::ast;
using llvm::cast;

llvm::StringRef flashgen::ast::spellType(ExprType t) {
  switch (t) {
  case ExprType::Unknown: return "<unknown>";
  case ExprType::Int: return "int";
  case ExprType::Float: return "float";
  case ExprType::Bool: return "bool";
  }
  return "<unknown>";
}

llvm::StringRef flashgen::ast::spellBinaryOp(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add: return "+";
  case BinaryOp::Sub: return "-";
  case BinaryOp::Mul: return "*";
  case BinaryOp::Div: return "/";
  case BinaryOp::Rem: return "%";
  case BinaryOp::Lt: return "<";
  case BinaryOp::Le: return "<=";
  case BinaryOp::Gt: return ">";
  case BinaryOp::Ge: return ">=";
  case BinaryOp::Eq: return "==";
  case BinaryOp::Ne: return "!=";
  case BinaryOp::And: return "&&";
  case BinaryOp::Or: return "||";
  }
  return "?";
}

/// Prints expressions fully parenthesized so tests see the parse tree.
void flashgen::ast::dump(const Expr &e, llvm::raw_ostream &os) {
  switch (e.getKind()) {
  case Expr::Kind::Int:
    os << cast<IntExpr>(e).value;
    return;
  case Expr::Kind::Float:
    os << cast<FloatExpr>(e).value;
    return;
  case Expr::Kind::Bool:
    os << (cast<BoolExpr>(e).value ? "true" : "false");
    return;
  case Expr::Kind::Name:
    os << cast<NameExpr>(e).name;
    return;
  case Expr::Kind::Index: {
    auto &x = cast<IndexExpr>(e);
    os << x.name << "[";
    for (size_t i = 0; i < x.indices.size(); ++i) {
      if (i) os << ", ";
      dump(*x.indices[i], os);
    }
    os << "]";
    return;
  }
  case Expr::Kind::Call: {
    auto &x = cast<CallExpr>(e);
    os << x.callee << "(";
    for (size_t i = 0; i < x.args.size(); ++i) {
      if (i) os << ", ";
      if (!x.args[i].key.empty())
        os << x.args[i].key << "=";
      dump(*x.args[i].value, os);
    }
    os << ")";
    return;
  }
  case Expr::Kind::Unary: {
    auto &x = cast<UnaryExpr>(e);
    os << "(" << (x.op == UnaryOp::Neg ? "-" : "!");
    dump(*x.operand, os);
    os << ")";
    return;
  }
  case Expr::Kind::Binary: {
    auto &x = cast<BinaryExpr>(e);
    os << "(";
    dump(*x.lhs, os);
    os << " " << spellBinaryOp(x.op) << " ";
    dump(*x.rhs, os);
    os << ")";
    return;
  }
  case Expr::Kind::Ternary: {
    auto &x = cast<TernaryExpr>(e);
    os << "(";
    dump(*x.cond, os);
    os << " ? ";
    dump(*x.trueValue, os);
    os << " : ";
    dump(*x.falseValue, os);
    os << ")";
    return;
  }
  case Expr::Kind::List: {
    auto &x = cast<ListExpr>(e);
    os << "[";
    for (size_t i = 0; i < x.elements.size(); ++i) {
      if (i) os << ", ";
      dump(*x.elements[i], os);
    }
    os << "]";
    return;
  }
  }
}

void flashgen::ast::dump(const SpecFile &file, llvm::raw_ostream &os) {
  for (const VariantDecl &v : file.variants) {
    os << "attention " << v.name << "\n";
    for (const TensorDecl &t : v.tensors) {
      os << "  tensor " << t.name << " : " << t.elementType << "[";
      for (size_t i = 0; i < t.dims.size(); ++i) {
        if (i) os << ", ";
        if (t.dims[i].symbol.empty())
          os << t.dims[i].size;
        else
          os << t.dims[i].symbol;
      }
      os << "]\n";
    }
    for (const PropertyDecl &p : v.properties) {
      os << "  " << p.key << " = ";
      if (p.value)
        dump(*p.value, os);
      os << "\n";
    }
  }
}
