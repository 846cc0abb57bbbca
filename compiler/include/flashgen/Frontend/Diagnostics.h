//===- Diagnostics.h - compiler-style diagnostics for .attn files -*- C++ -*-===//
//
// A thin layer over llvm::SourceMgr: `file:line:col: error: message`, the
// source line and a caret. Counts errors so every stage can keep going and
// report all of them, and offers "did you mean" suggestions. Diagnostics are
// held until flush() (or destruction) and printed in source order, so the
// parser's and Sema's reports interleave as a reader expects; a note stays
// with the error before it.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FRONTEND_DIAGNOSTICS_H
#define FLASHGEN_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace flashgen {

class DiagnosticEngine {
public:
  DiagnosticEngine(llvm::SourceMgr &srcMgr, llvm::raw_ostream &os)
      : srcMgr(srcMgr), os(os) {}
  ~DiagnosticEngine() { flush(); }
  DiagnosticEngine(const DiagnosticEngine &) = delete;
  DiagnosticEngine &operator=(const DiagnosticEngine &) = delete;

  /// Prints the held diagnostics in source order.
  void flush();

  void error(llvm::SMLoc loc, const llvm::Twine &msg,
             llvm::ArrayRef<llvm::SMRange> ranges = {});
  void warning(llvm::SMLoc loc, const llvm::Twine &msg,
               llvm::ArrayRef<llvm::SMRange> ranges = {});
  void note(llvm::SMLoc loc, const llvm::Twine &msg);

  unsigned getNumErrors() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  llvm::SourceMgr &getSourceMgr() { return srcMgr; }

  /// Past this many errors further ones are dropped (a garbage file would
  /// otherwise print one error per token).
  static constexpr unsigned kMaxErrors = 50;

private:
  void add(llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
           const llvm::Twine &msg, llvm::ArrayRef<llvm::SMRange> ranges);

  struct Held {
    llvm::SMLoc loc;
    llvm::SourceMgr::DiagKind kind;
    std::string msg;
    std::vector<llvm::SMRange> ranges;
    std::vector<Held> notes;
  };
  std::vector<Held> held;

  llvm::SourceMgr &srcMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
  bool truncated = false;
};

/// The candidate closest to `word` by edit distance, if close enough to be
/// a plausible typo.
std::optional<llvm::StringRef>
suggestSpelling(llvm::StringRef word, llvm::ArrayRef<llvm::StringRef> candidates);

/// A number as a person writes it: 1.5, 0.125, 1e-06.
std::string formatNumber(double v);

/// " (did you mean 'x'?)" or "".
std::string didYouMean(llvm::StringRef word,
                       llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_DIAGNOSTICS_H
