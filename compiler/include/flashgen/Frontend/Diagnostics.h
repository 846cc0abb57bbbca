//===- Diagnostics.h - compiler-style diagnostics for .attn files -*- C++ -*-===//
//
// A thin layer over llvm::SourceMgr: `file:line:col: error: message`, the
// source line and a caret. Counts errors so every stage can keep going and
// report all of them, and offers "did you mean" suggestions.
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

namespace flashgen {

class DiagnosticEngine {
public:
  DiagnosticEngine(llvm::SourceMgr &srcMgr, llvm::raw_ostream &os)
      : srcMgr(srcMgr), os(os) {}

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
  void emit(llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
            const llvm::Twine &msg, llvm::ArrayRef<llvm::SMRange> ranges);

  llvm::SourceMgr &srcMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
  bool truncated = false;
};

/// The candidate closest to `word` by edit distance, if close enough to be
/// a plausible typo.
std::optional<llvm::StringRef>
suggestSpelling(llvm::StringRef word, llvm::ArrayRef<llvm::StringRef> candidates);

/// " (did you mean 'x'?)" or "".
std::string didYouMean(llvm::StringRef word,
                       llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace flashgen

#endif // FLASHGEN_FRONTEND_DIAGNOSTICS_H
