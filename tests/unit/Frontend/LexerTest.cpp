//===- LexerTest.cpp - tokens, comments, numbers, bad characters ----------===//
#include "flashgen/Frontend/Lexer.h"
#include "TestUtil.h"

#include "gtest/gtest.h"

#include <vector>

using namespace flashgen;

namespace {

std::vector<Token> lexAll(test::Source &src, unsigned *numErrors = nullptr) {
  DiagnosticEngine diags(src.srcMgr, src.diagOS);
  Lexer lexer(src.buffer(), diags);
  std::vector<Token> toks;
  for (Token t = lexer.lex(); t.isNot(TokenKind::Eof); t = lexer.lex())
    toks.push_back(t);
  if (numErrors)
    *numErrors = diags.getNumErrors();
  return toks;
}

std::vector<TokenKind> kinds(const std::vector<Token> &toks) {
  std::vector<TokenKind> out;
  for (const Token &t : toks)
    out.push_back(t.kind);
  return out;
}

TEST(Lexer, KeywordsIdentifiersAndPunctuation) {
  test::Source src("attention a_1 { tensor x : f32[heads]; mask = !(q<=k) && true || false; }");
  auto toks = lexAll(src);
  using K = TokenKind;
  std::vector<K> expected = {
      K::KwAttention, K::Identifier, K::LBrace, K::KwTensor, K::Identifier,
      K::Colon, K::Identifier, K::LSquare, K::Identifier, K::RSquare, K::Semi,
      K::Identifier, K::Equal, K::Bang, K::LParen, K::Identifier, K::LessEqual,
      K::Identifier, K::RParen, K::AmpAmp, K::KwTrue, K::PipePipe, K::KwFalse,
      K::Semi, K::RBrace};
  EXPECT_EQ(kinds(toks), expected);
  EXPECT_EQ(toks[1].text, "a_1");
}

TEST(Lexer, TwoCharacterOperators) {
  test::Source src("< <= > >= == != = ! ? % / * - +");
  using K = TokenKind;
  std::vector<K> expected = {K::Less, K::LessEqual, K::Greater, K::GreaterEqual,
                             K::EqualEqual, K::NotEqual, K::Equal, K::Bang,
                             K::Question, K::Percent, K::Slash, K::Star,
                             K::Minus, K::Plus};
  EXPECT_EQ(kinds(lexAll(src)), expected);
}

TEST(Lexer, CommentsRunToEndOfLine) {
  test::Source src("# hash comment ; {\nhead_dim // slash comment }\n= 8; # tail");
  auto toks = lexAll(src);
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[0].text, "head_dim");
  EXPECT_TRUE(toks[1].is(TokenKind::Equal));
  EXPECT_EQ(toks[2].text, "8");
}

TEST(Lexer, Numbers) {
  test::Source src("128 0.125 1e-3 .5 2.e1 3E+2 7e 9 e");
  unsigned errors = 0;
  auto toks = lexAll(src, &errors);
  using K = TokenKind;
  // "7e" has no exponent digits: a number glued to letters is an error.
  std::vector<K> expected = {K::Integer, K::Float, K::Float, K::Float, K::Float,
                             K::Float, K::Error, K::Integer, K::Identifier};
  EXPECT_EQ(errors, 1u);
  EXPECT_EQ(kinds(toks), expected);
  EXPECT_EQ(toks[2].text, "1e-3");
  EXPECT_EQ(toks[3].text, ".5");
}

TEST(Lexer, BadCharactersAreDiagnosedAndLexingContinues) {
  test::Source src("a $ b & c | d 12ab e");
  unsigned errors = 0;
  auto toks = lexAll(src, &errors);
  EXPECT_EQ(errors, 4u);
  using K = TokenKind;
  std::vector<K> expected = {K::Identifier, K::Error, K::Identifier, K::Error,
                             K::Identifier, K::Error, K::Identifier, K::Error,
                             K::Identifier};
  EXPECT_EQ(kinds(toks), expected);
  EXPECT_NE(src.diagText.find("test.attn:1:3: error: unexpected character '$'"),
            std::string::npos)
      << src.diagText;
  EXPECT_NE(src.diagText.find("logical and is '&&'"), std::string::npos);
  EXPECT_NE(src.diagText.find("invalid number '12ab'"), std::string::npos);
}

TEST(Lexer, NonPrintableBytesAreNamed) {
  test::Source src(llvm::StringRef("x \x01 y", 5));
  unsigned errors = 0;
  lexAll(src, &errors);
  EXPECT_EQ(errors, 1u);
  EXPECT_NE(src.diagText.find("byte 0x01"), std::string::npos) << src.diagText;
}

TEST(Lexer, EofRepeats) {
  test::Source src("  ");
  DiagnosticEngine diags(src.srcMgr, src.diagOS);
  Lexer lexer(src.buffer(), diags);
  EXPECT_TRUE(lexer.lex().is(TokenKind::Eof));
  EXPECT_TRUE(lexer.lex().is(TokenKind::Eof));
}

} // namespace
