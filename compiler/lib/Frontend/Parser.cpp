//===- Parser.cpp - recursive-descent parser for .attn files ----*- C++ -*-===//
#include "flashgen/Frontend/Parser.h"

#include "llvm/ADT/ScopeExit.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

using namespace flashgen;
using namespace flashgen::ast;

ast::SpecFile flashgen::parseSpec(llvm::StringRef buffer,
                                  DiagnosticEngine &diags) {
  return Parser(buffer, diags).parseFile();
}

bool Parser::expect(TokenKind k, const llvm::Twine &context) {
  if (consumeIf(k))
    return true;
  if (tok.is(TokenKind::Error))
    return false; // the lexer already reported this token
  std::string found = tok.is(TokenKind::Eof)
                          ? std::string("end of file")
                          : ("'" + tok.text + "'").str();
  diags.error(tok.getLoc(),
              "expected " + spellTokenKind(k) + " " + context + ", found " +
                  found);
  return false;
}

bool Parser::startsNewLine() const {
  if (!prevEnd.isValid() || tok.is(TokenKind::Eof))
    return false;
  return llvm::StringRef(prevEnd.getPointer(),
                         tok.text.data() - prevEnd.getPointer())
      .contains('\n');
}

void Parser::skipToItemEnd() {
  // Skip to just after the next ';' at this nesting level, or stop before a
  // '}' that closes the variant, so the next item parses cleanly.
  int nest = 0;
  while (tok.isNot(TokenKind::Eof)) {
    if (nest == 0 && tok.is(TokenKind::Semi)) {
      consume();
      return;
    }
    if (nest == 0 && (tok.is(TokenKind::RBrace) || tok.is(TokenKind::KwAttention)))
      return;
    if (tok.is(TokenKind::LParen) || tok.is(TokenKind::LSquare))
      ++nest;
    else if ((tok.is(TokenKind::RParen) || tok.is(TokenKind::RSquare)) && nest > 0)
      --nest;
    consume();
  }
}

ast::SpecFile Parser::parseFile() {
  SpecFile file;
  while (tok.isNot(TokenKind::Eof)) {
    if (tok.is(TokenKind::KwAttention)) {
      parseVariant(file);
      continue;
    }
    if (tok.isNot(TokenKind::Error))
      diags.error(tok.getLoc(), "expected 'attention' to start a variant, found '" +
                                    tok.text + "'");
    // Skip to the next `attention` keyword.
    do
      consume();
    while (tok.isNot(TokenKind::Eof) && tok.isNot(TokenKind::KwAttention));
  }
  if (file.variants.empty() && !diags.hasErrors())
    diags.error(tok.getLoc(), "no 'attention' variant in file");
  return file;
}

bool Parser::parseVariant(SpecFile &file) {
  VariantDecl variant;
  variant.loc = tok.getLoc();
  consume(); // 'attention'
  if (tok.is(TokenKind::Identifier)) {
    variant.name = tok.text.str();
    variant.nameRange = tok.getRange();
    consume();
  } else {
    expect(TokenKind::Identifier, "naming the variant after 'attention'");
  }
  if (!expect(TokenKind::LBrace, "to open the variant body")) {
    // Resynchronize on '{' if it is just late, else give up on this variant.
    while (tok.isNot(TokenKind::Eof) && tok.isNot(TokenKind::LBrace) &&
           tok.isNot(TokenKind::KwAttention))
      consume();
    if (!consumeIf(TokenKind::LBrace))
      return false;
  }
  while (tok.isNot(TokenKind::RBrace) && tok.isNot(TokenKind::Eof) &&
         tok.isNot(TokenKind::KwAttention)) {
    if (!parseItem(variant))
      skipToItemEnd();
  }
  if (tok.is(TokenKind::RBrace))
    consume();
  else
    diags.error(tok.getLoc(), "expected '}' to close variant '" + variant.name +
                                  "', found " +
                                  (tok.is(TokenKind::Eof)
                                       ? std::string("end of file")
                                       : ("'" + tok.text + "'").str()));
  file.variants.push_back(std::move(variant));
  return true;
}

bool Parser::parseItem(VariantDecl &variant) {
  if (tok.is(TokenKind::KwTensor))
    return parseTensor(variant);
  if (tok.is(TokenKind::Identifier))
    return parseProperty(variant);
  if (tok.is(TokenKind::Semi)) { // stray ';' is harmless
    consume();
    return true;
  }
  if (tok.isNot(TokenKind::Error))
    diags.error(tok.getLoc(), "expected a property ('name = value;') or a "
                              "tensor declaration, found '" +
                                  tok.text + "'");
  consume();
  return false;
}

bool Parser::parseTensor(VariantDecl &variant) {
  consume(); // 'tensor'
  TensorDecl t;
  if (tok.isNot(TokenKind::Identifier))
    return expect(TokenKind::Identifier, "naming the tensor");
  t.name = tok.text.str();
  t.nameRange = tok.getRange();
  consume();
  if (!expect(TokenKind::Colon, "after the tensor name"))
    return false;
  if (tok.isNot(TokenKind::Identifier))
    return expect(TokenKind::Identifier, "for the element type (i32 or f32)");
  t.elementType = tok.text.str();
  t.elementTypeRange = tok.getRange();
  consume();
  if (!expect(TokenKind::LSquare, "to start the tensor shape"))
    return false;
  do {
    TensorDecl::Dim dim;
    dim.range = tok.getRange();
    if (tok.is(TokenKind::Identifier)) {
      dim.symbol = tok.text.str();
    } else if (tok.is(TokenKind::Integer)) {
      if (tok.text.getAsInteger(10, dim.size)) {
        diags.error(tok.getLoc(), "tensor dimension '" + tok.text + "' is too large");
        return false;
      }
    } else {
      return expect(TokenKind::Integer, "or a symbolic extent as a tensor dimension");
    }
    consume();
    t.dims.push_back(std::move(dim));
  } while (consumeIf(TokenKind::Comma));
  if (!expect(TokenKind::RSquare, "to end the tensor shape"))
    return false;
  if (tok.isNot(TokenKind::Semi) && startsNewLine()) {
    // Forgotten ';' at the end of the line: keep the declaration.
    diags.error(prevEnd, "expected ';' after the tensor declaration");
    variant.tensors.push_back(std::move(t));
    return true;
  }
  if (!expect(TokenKind::Semi, "after the tensor declaration"))
    return false;
  variant.tensors.push_back(std::move(t));
  return true;
}

bool Parser::parseProperty(VariantDecl &variant) {
  PropertyDecl p;
  p.key = tok.text.str();
  p.keyRange = tok.getRange();
  consume();
  if (!expect(TokenKind::Equal, "after property name '" + p.key + "'")) {
    variant.failedKeys.push_back(p.key);
    return false;
  }
  llvm::SMLoc start = tok.getLoc();
  nodes = 0;
  tooManyNodes = false;
  ExprPtr first = parseExpr();
  if (!first) {
    variant.failedKeys.push_back(p.key);
    return false;
  }
  if (tok.is(TokenKind::Comma)) {
    std::vector<ExprPtr> elems;
    elems.push_back(std::move(first));
    while (consumeIf(TokenKind::Comma)) {
      ExprPtr e = parseExpr();
      if (!e)
        return false;
      elems.push_back(std::move(e));
    }
    p.value = std::make_unique<ListExpr>(rangeFrom(start), std::move(elems));
  } else {
    p.value = std::move(first);
  }
  if (tok.isNot(TokenKind::Semi) && startsNewLine()) {
    // A forgotten ';' at the end of a line: report it where it belongs and
    // keep the property, so the next line still parses and gets checked.
    diags.error(prevEnd, "expected ';' after the value of '" + p.key + "'");
    variant.properties.push_back(std::move(p));
    return true;
  }
  if (!expect(TokenKind::Semi, "after the value of '" + p.key + "'")) {
    variant.failedKeys.push_back(p.key);
    return false;
  }
  variant.properties.push_back(std::move(p));
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

bool Parser::countNode() {
  if (++nodes <= kMaxNodes)
    return true;
  if (!tooManyNodes)
    diags.error(tok.getLoc(), "expression is too long (more than " +
                                  llvm::Twine(kMaxNodes) + " operations)");
  tooManyNodes = true;
  return false;
}

ExprPtr Parser::parseExpr() {
  if (++depth > kMaxDepth) {
    diags.error(tok.getLoc(), "expression is nested too deeply (more than " +
                                  llvm::Twine(kMaxDepth) + " levels)");
    --depth;
    return nullptr;
  }
  auto restore = llvm::make_scope_exit([&] { --depth; });
  llvm::SMLoc start = tok.getLoc();
  ExprPtr cond = parseBinary(0);
  if (!cond || tok.isNot(TokenKind::Question))
    return cond;
  consume();
  ExprPtr t = parseExpr();
  if (!t || !expect(TokenKind::Colon, "in conditional expression"))
    return nullptr;
  ExprPtr f = parseExpr();
  if (!f)
    return nullptr;
  return std::make_unique<TernaryExpr>(rangeFrom(start), std::move(cond),
                                       std::move(t), std::move(f));
}

/// Binary operator precedence levels, loosest first.
static std::optional<BinaryOp> binaryOpAt(unsigned level, TokenKind k) {
  switch (level) {
  case 0: if (k == TokenKind::PipePipe) return BinaryOp::Or; break;
  case 1: if (k == TokenKind::AmpAmp) return BinaryOp::And; break;
  case 2:
    if (k == TokenKind::EqualEqual) return BinaryOp::Eq;
    if (k == TokenKind::NotEqual) return BinaryOp::Ne;
    break;
  case 3:
    if (k == TokenKind::Less) return BinaryOp::Lt;
    if (k == TokenKind::LessEqual) return BinaryOp::Le;
    if (k == TokenKind::Greater) return BinaryOp::Gt;
    if (k == TokenKind::GreaterEqual) return BinaryOp::Ge;
    break;
  case 4:
    if (k == TokenKind::Plus) return BinaryOp::Add;
    if (k == TokenKind::Minus) return BinaryOp::Sub;
    break;
  case 5:
    if (k == TokenKind::Star) return BinaryOp::Mul;
    if (k == TokenKind::Slash) return BinaryOp::Div;
    if (k == TokenKind::Percent) return BinaryOp::Rem;
    break;
  }
  return std::nullopt;
}
static constexpr unsigned kNumBinaryLevels = 6;

ExprPtr Parser::parseBinary(unsigned level) {
  if (level == kNumBinaryLevels)
    return parseUnary();
  llvm::SMLoc start = tok.getLoc();
  ExprPtr lhs = parseBinary(level + 1);
  while (lhs) {
    std::optional<BinaryOp> op = binaryOpAt(level, tok.kind);
    if (!op)
      break;
    llvm::SMLoc opLoc = tok.getLoc();
    consume();
    ExprPtr rhs = parseBinary(level + 1);
    if (!rhs || !countNode())
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(rangeFrom(start), *op, opLoc,
                                       std::move(lhs), std::move(rhs));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  llvm::SMLoc start = tok.getLoc();
  if (tok.is(TokenKind::Minus) || tok.is(TokenKind::Bang)) {
    UnaryOp op = tok.is(TokenKind::Minus) ? UnaryOp::Neg : UnaryOp::Not;
    consume();
    if (++depth > kMaxDepth) {
      diags.error(start, "expression is nested too deeply (more than " +
                             llvm::Twine(kMaxDepth) + " levels)");
      --depth;
      return nullptr;
    }
    ExprPtr operand = parseUnary();
    --depth;
    if (!operand)
      return nullptr;
    return std::make_unique<UnaryExpr>(rangeFrom(start), op, std::move(operand));
  }
  return parsePostfix();
}

ExprPtr Parser::parsePostfix() {
  llvm::SMLoc start = tok.getLoc();
  if (tok.isNot(TokenKind::Identifier))
    return parsePrimary();
  Token name = tok;
  consume();
  if (tok.is(TokenKind::LParen))
    return parseCall(name);
  if (tok.isNot(TokenKind::LSquare))
    return std::make_unique<NameExpr>(name.getRange(), name.text);
  consume(); // '['
  std::vector<ExprPtr> indices;
  do {
    ExprPtr e = parseExpr();
    if (!e)
      return nullptr;
    indices.push_back(std::move(e));
  } while (consumeIf(TokenKind::Comma));
  if (!expect(TokenKind::RSquare, "to close the index of '" + name.text + "'"))
    return nullptr;
  return std::make_unique<IndexExpr>(rangeFrom(start), name.text.str(),
                                     name.getRange(), std::move(indices));
}

ExprPtr Parser::parseCall(Token name) {
  consume(); // '('
  std::vector<CallExpr::Arg> args;
  if (tok.isNot(TokenKind::RParen)) {
    do {
      CallExpr::Arg arg;
      // `key = value` needs one token of lookahead past the identifier;
      // the lexer is cheap to copy, so peek with a copy.
      if (tok.is(TokenKind::Identifier)) {
        Lexer peek = lexer;
        Token next = peek.lex();
        if (next.is(TokenKind::Equal)) {
          arg.key = tok.text.str();
          arg.keyRange = tok.getRange();
          consume();
          consume();
        }
      }
      arg.value = parseExpr();
      if (!arg.value)
        return nullptr;
      args.push_back(std::move(arg));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expect(TokenKind::RParen, "to close the call to '" + name.text + "'"))
    return nullptr;
  return std::make_unique<CallExpr>(rangeFrom(name.getLoc()), name.text.str(),
                                    name.getRange(), std::move(args));
}

ExprPtr Parser::parseListLiteral() {
  llvm::SMLoc start = tok.getLoc();
  consume(); // '['
  std::vector<ExprPtr> elems;
  if (tok.isNot(TokenKind::RSquare)) {
    do {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      elems.push_back(std::move(e));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expect(TokenKind::RSquare, "to close the list"))
    return nullptr;
  return std::make_unique<ListExpr>(rangeFrom(start), std::move(elems));
}

ExprPtr Parser::parsePrimary() {
  llvm::SMLoc start = tok.getLoc();
  switch (tok.kind) {
  case TokenKind::Integer: {
    int64_t v;
    Token t = tok;
    consume();
    // Integers are i32 on the device; larger literals are refused here
    // rather than wrapped silently.
    if (t.text.getAsInteger(10, v) || v > INT32_MAX) {
      diags.error(t.getLoc(), "integer literal '" + t.text +
                                  "' does not fit in 32 bits");
      return nullptr;
    }
    return std::make_unique<IntExpr>(t.getRange(), v);
  }
  case TokenKind::Float: {
    Token t = tok;
    consume();
    std::string s = t.text.str();
    errno = 0;
    double v = std::strtod(s.c_str(), nullptr);
    if (errno == ERANGE || !std::isfinite(v)) {
      diags.error(t.getLoc(), "number '" + t.text + "' is out of range");
      return nullptr;
    }
    return std::make_unique<FloatExpr>(t.getRange(), v);
  }
  case TokenKind::KwTrue:
  case TokenKind::KwFalse: {
    bool v = tok.is(TokenKind::KwTrue);
    llvm::SMRange r = tok.getRange();
    consume();
    return std::make_unique<BoolExpr>(r, v);
  }
  case TokenKind::LParen: {
    consume();
    ExprPtr e = parseExpr();
    if (!e || !expect(TokenKind::RParen, "to close '('"))
      return nullptr;
    return e;
  }
  case TokenKind::LSquare:
    return parseListLiteral();
  case TokenKind::Error:
    consume();
    return nullptr;
  default:
    break;
  }
  std::string found = tok.is(TokenKind::Eof) ? std::string("end of file")
                                             : ("'" + tok.text + "'").str();
  diags.error(start, "expected an expression, found " + found);
  return nullptr;
}
