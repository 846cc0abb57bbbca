//===- Lexer.cpp - hand-written lexer for .attn files -----------*- C++ -*-===//
#include "flashgen/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>

using namespace flashgen;

llvm::StringRef flashgen::spellTokenKind(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof: return "end of file";
  case TokenKind::Error: return "invalid token";
  case TokenKind::Identifier: return "identifier";
  case TokenKind::Integer: return "integer";
  case TokenKind::Float: return "number";
  case TokenKind::KwAttention: return "'attention'";
  case TokenKind::KwTensor: return "'tensor'";
  case TokenKind::KwTrue: return "'true'";
  case TokenKind::KwFalse: return "'false'";
  case TokenKind::LBrace: return "'{'";
  case TokenKind::RBrace: return "'}'";
  case TokenKind::LParen: return "'('";
  case TokenKind::RParen: return "')'";
  case TokenKind::LSquare: return "'['";
  case TokenKind::RSquare: return "']'";
  case TokenKind::Comma: return "','";
  case TokenKind::Semi: return "';'";
  case TokenKind::Colon: return "':'";
  case TokenKind::Question: return "'?'";
  case TokenKind::Equal: return "'='";
  case TokenKind::Plus: return "'+'";
  case TokenKind::Minus: return "'-'";
  case TokenKind::Star: return "'*'";
  case TokenKind::Slash: return "'/'";
  case TokenKind::Percent: return "'%'";
  case TokenKind::Less: return "'<'";
  case TokenKind::LessEqual: return "'<='";
  case TokenKind::Greater: return "'>'";
  case TokenKind::GreaterEqual: return "'>='";
  case TokenKind::EqualEqual: return "'=='";
  case TokenKind::NotEqual: return "'!='";
  case TokenKind::AmpAmp: return "'&&'";
  case TokenKind::PipePipe: return "'||'";
  case TokenKind::Bang: return "'!'";
  }
  return "token";
}

void Lexer::skipWhitespaceAndComments() {
  const char *end = buffer.end();
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++cur;
    } else if (c == '#' || (c == '/' && cur + 1 != end && cur[1] == '/')) {
      while (cur != end && *cur != '\n')
        ++cur;
    } else {
      return;
    }
  }
}

Token Lexer::lex() {
  skipWhitespaceAndComments();
  const char *start = cur;
  const char *end = buffer.end();
  if (cur == end)
    return make(TokenKind::Eof, start);

  char c = *cur++;
  auto next = [&](char want) {
    if (cur != end && *cur == want) {
      ++cur;
      return true;
    }
    return false;
  };

  if (std::isalpha(static_cast<unsigned char>(c)) || c == '_')
    return lexIdentifier(start);
  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '.' && cur != end && std::isdigit(static_cast<unsigned char>(*cur))))
    return lexNumber(start);

  switch (c) {
  case '{': return make(TokenKind::LBrace, start);
  case '}': return make(TokenKind::RBrace, start);
  case '(': return make(TokenKind::LParen, start);
  case ')': return make(TokenKind::RParen, start);
  case '[': return make(TokenKind::LSquare, start);
  case ']': return make(TokenKind::RSquare, start);
  case ',': return make(TokenKind::Comma, start);
  case ';': return make(TokenKind::Semi, start);
  case ':': return make(TokenKind::Colon, start);
  case '?': return make(TokenKind::Question, start);
  case '+': return make(TokenKind::Plus, start);
  case '-': return make(TokenKind::Minus, start);
  case '*': return make(TokenKind::Star, start);
  case '/': return make(TokenKind::Slash, start);
  case '%': return make(TokenKind::Percent, start);
  case '<':
    return make(next('=') ? TokenKind::LessEqual : TokenKind::Less, start);
  case '>':
    return make(next('=') ? TokenKind::GreaterEqual : TokenKind::Greater,
                start);
  case '=':
    return make(next('=') ? TokenKind::EqualEqual : TokenKind::Equal, start);
  case '!':
    return make(next('=') ? TokenKind::NotEqual : TokenKind::Bang, start);
  case '&':
    if (next('&'))
      return make(TokenKind::AmpAmp, start);
    diags.error(llvm::SMLoc::getFromPointer(start),
                "unexpected '&'; logical and is '&&'");
    return make(TokenKind::Error, start);
  case '|':
    if (next('|'))
      return make(TokenKind::PipePipe, start);
    diags.error(llvm::SMLoc::getFromPointer(start),
                "unexpected '|'; logical or is '||'");
    return make(TokenKind::Error, start);
  default:
    break;
  }

  if (static_cast<unsigned char>(c) >= 0x80) {
    // One error per UTF-8 character, not per byte.
    while (cur != end && (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
      ++cur;
    diags.error(llvm::SMLoc::getFromPointer(start),
                "unexpected non-ASCII character '" +
                    llvm::StringRef(start, cur - start) + "'");
    return make(TokenKind::Error, start);
  }
  std::string shown;
  llvm::raw_string_ostream os(shown);
  if (std::isprint(static_cast<unsigned char>(c)))
    os << "'" << c << "'";
  else
    os << "byte 0x" << llvm::format_hex_no_prefix(static_cast<unsigned char>(c), 2);
  diags.error(llvm::SMLoc::getFromPointer(start),
              "unexpected character " + os.str());
  return make(TokenKind::Error, start);
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur != buffer.end() &&
         (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
    ++cur;
  llvm::StringRef text(start, cur - start);
  TokenKind kind = llvm::StringSwitch<TokenKind>(text)
                       .Case("attention", TokenKind::KwAttention)
                       .Case("tensor", TokenKind::KwTensor)
                       .Case("true", TokenKind::KwTrue)
                       .Case("false", TokenKind::KwFalse)
                       .Default(TokenKind::Identifier);
  return make(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  const char *end = buffer.end();
  auto digits = [&] {
    while (cur != end && std::isdigit(static_cast<unsigned char>(*cur)))
      ++cur;
  };
  bool isFloat = *start == '.'; // ".5"
  digits();
  if (cur != end && *cur == '.') {
    isFloat = true;
    ++cur;
    digits();
  }
  if (cur != end && (*cur == 'e' || *cur == 'E')) {
    const char *save = cur++;
    if (cur != end && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur != end && std::isdigit(static_cast<unsigned char>(*cur))) {
      isFloat = true;
      digits();
    } else {
      cur = save; // "2e" is the number 2 followed by identifier e
    }
  }
  // "12abc": a number glued to letters is a typo, not two tokens.
  if (cur != end && (std::isalpha(static_cast<unsigned char>(*cur)) || *cur == '_')) {
    while (cur != end &&
           (std::isalnum(static_cast<unsigned char>(*cur)) || *cur == '_'))
      ++cur;
    diags.error(llvm::SMLoc::getFromPointer(start),
                "invalid number '" + llvm::StringRef(start, cur - start) + "'");
    return make(TokenKind::Error, start);
  }
  return make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
}
