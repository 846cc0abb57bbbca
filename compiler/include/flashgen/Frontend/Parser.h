//===- Parser.h - recursive-descent parser for .attn files ------*- C++ -*-===//
//
// Grammar (Sema interprets the names; the parser only builds the tree):
//
//   file     := variant* EOF
//   variant  := 'attention' IDENT '{' item* '}'
//   item     := 'tensor' IDENT ':' IDENT '[' dim (',' dim)* ']' ';'
//             | IDENT '=' expr (',' expr)* ';'
//   dim      := INTEGER | IDENT
//   expr     := or ('?' expr ':' expr)?
//   or       := and ('||' and)*        and := eq ('&&' eq)*
//   eq       := rel (('=='|'!=') rel)* rel := add (('<'|'<='|'>'|'>=') add)*
//   add      := mul (('+'|'-') mul)*   mul := unary (('*'|'/'|'%') unary)*
//   unary    := ('-'|'!') unary | postfix
//   postfix  := primary ('[' expr (',' expr)* ']')?
//   primary  := INTEGER | FLOAT | 'true' | 'false' | IDENT
//             | IDENT '(' (arg (',' arg)*)? ')' | '(' expr ')'
//             | '[' (expr (',' expr)*)? ']'
//   arg      := (IDENT '=')? expr
//
// On an error the parser reports it and skips to the end of the item (`;`)
// or variant (`}`), so one run reports every syntax error of a file.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_PARSER_H
#define FLASHGEN_FRONTEND_PARSER_H

#include "flashgen/Frontend/AST.h"
#include "flashgen/Frontend/Lexer.h"

namespace flashgen {

class Parser {
public:
  Parser(llvm::StringRef buffer, DiagnosticEngine &diags)
      : lexer(buffer, diags), diags(diags) {
    tok = lexer.lex();
  }

  /// Parses the whole buffer. Always returns a tree (possibly partial);
  /// check the DiagnosticEngine for errors.
  ast::SpecFile parseFile();

  /// Expressions nested deeper than this are refused rather than risking
  /// the stack (the mutation test feeds thousands of '(' and '-').
  static constexpr unsigned kMaxDepth = 200;
  /// Nodes per property value: later stages walk expressions recursively,
  /// and a left-deep chain of 50,000 '+' would exhaust their stack.
  static constexpr unsigned kMaxNodes = 4096;

private:
  // Token handling.
  void consume() {
    prevEnd = tok.getEndLoc();
    tok = lexer.lex();
  }
  bool consumeIf(TokenKind k) {
    if (tok.isNot(k))
      return false;
    consume();
    return true;
  }
  /// Reports "expected X" at the current token and returns false.
  bool expect(TokenKind k, const llvm::Twine &context);
  void skipToItemEnd();
  /// True if a line break separates the previous token from the current one.
  bool startsNewLine() const;

  bool parseVariant(ast::SpecFile &file);
  bool parseItem(ast::VariantDecl &variant);
  bool parseTensor(ast::VariantDecl &variant);
  bool parseProperty(ast::VariantDecl &variant);

  ast::ExprPtr parseExpr();
  ast::ExprPtr parseBinary(unsigned level);
  ast::ExprPtr parseUnary();
  ast::ExprPtr parsePostfix();
  ast::ExprPtr parsePrimary();
  ast::ExprPtr parseCall(Token name);
  ast::ExprPtr parseListLiteral();
  llvm::SMRange rangeFrom(llvm::SMLoc start) const { return {start, prevEnd}; }

  Lexer lexer;
  DiagnosticEngine &diags;
  Token tok;
  llvm::SMLoc prevEnd;
  unsigned depth = 0;
  unsigned nodes = 0;        // in the current property value
  bool tooManyNodes = false; // reported once per value
  /// Counts one node; false (after one error) past kMaxNodes.
  bool countNode();
};

/// Parses `buffer` (registered in the engine's SourceMgr).
ast::SpecFile parseSpec(llvm::StringRef buffer, DiagnosticEngine &diags);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_PARSER_H
