//===- Token.h - tokens of the .attn language -------------------*- C++ -*-===//
#ifndef FLASHGEN_FRONTEND_TOKEN_H
#define FLASHGEN_FRONTEND_TOKEN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace flashgen {

enum class TokenKind {
  Eof,
  Error, // a character the lexer could not use; already diagnosed
  Identifier,
  Integer,
  Float,
  // Keywords.
  KwAttention,
  KwTensor,
  KwTrue,
  KwFalse,
  // Punctuation.
  LBrace, RBrace, LParen, RParen, LSquare, RSquare,
  Comma, Semi, Colon, Question, Equal,
  Plus, Minus, Star, Slash, Percent,
  Less, LessEqual, Greater, GreaterEqual, EqualEqual, NotEqual,
  AmpAmp, PipePipe, Bang,
};

/// Human-readable spelling of a token kind, for "expected X" messages.
llvm::StringRef spellTokenKind(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; // points into the SourceMgr's buffer

  bool is(TokenKind k) const { return kind == k; }
  bool isNot(TokenKind k) const { return kind != k; }
  llvm::SMLoc getLoc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  llvm::SMLoc getEndLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
  llvm::SMRange getRange() const { return {getLoc(), getEndLoc()}; }
};

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_TOKEN_H
