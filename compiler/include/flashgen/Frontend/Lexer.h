//===- Lexer.h - hand-written lexer for .attn files -------------*- C++ -*-===//
//
// Splits a buffer into tokens. Comments run from `#` or `//` to the end of
// the line. Bad characters are diagnosed and returned as Error tokens so the
// parser keeps going and reports every problem in the file.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_LEXER_H
#define FLASHGEN_FRONTEND_LEXER_H

#include "flashgen/Frontend/Diagnostics.h"
#include "flashgen/Frontend/Token.h"

namespace flashgen {

class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diags)
      : buffer(buffer), cur(buffer.begin()), diags(diags) {}

  /// Returns the next token; Eof forever once the buffer is exhausted.
  Token lex();

private:
  Token make(TokenKind kind, const char *start) {
    return Token{kind, llvm::StringRef(start, cur - start)};
  }
  void skipWhitespaceAndComments();
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);

  llvm::StringRef buffer;
  const char *cur;
  DiagnosticEngine &diags;
};

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_LEXER_H
