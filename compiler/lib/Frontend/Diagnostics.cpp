//===- Diagnostics.cpp - compiler-style diagnostics -------------*- C++ -*-===//
#include "flashgen/Frontend/Diagnostics.h"

using namespace flashgen;

void DiagnosticEngine::emit(llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
                            const llvm::Twine &msg,
                            llvm::ArrayRef<llvm::SMRange> ranges) {
  srcMgr.PrintMessage(os, loc, kind, msg, ranges);
}

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &msg,
                             llvm::ArrayRef<llvm::SMRange> ranges) {
  ++numErrors;
  if (numErrors > kMaxErrors) {
    if (!truncated)
      os << "flashgen: too many errors, stopping after " << kMaxErrors << "\n";
    truncated = true;
    return;
  }
  emit(loc, llvm::SourceMgr::DK_Error, msg, ranges);
}

void DiagnosticEngine::warning(llvm::SMLoc loc, const llvm::Twine &msg,
                               llvm::ArrayRef<llvm::SMRange> ranges) {
  if (!truncated)
    emit(loc, llvm::SourceMgr::DK_Warning, msg, ranges);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (!truncated)
    emit(loc, llvm::SourceMgr::DK_Note, msg, {});
}

std::optional<llvm::StringRef>
flashgen::suggestSpelling(llvm::StringRef word,
                          llvm::ArrayRef<llvm::StringRef> candidates) {
  // Allow about one edit per three characters: "casual" -> "causal",
  // "head_dm" -> "head_dim", but not "x" -> "h".
  unsigned best = std::max<unsigned>(1, word.size() / 3) + 1;
  std::optional<llvm::StringRef> result;
  for (llvm::StringRef c : candidates) {
    unsigned d = word.edit_distance(c, /*AllowReplacements=*/true, best);
    if (d < best) {
      best = d;
      result = c;
    }
  }
  return result;
}

std::string flashgen::didYouMean(llvm::StringRef word,
                                 llvm::ArrayRef<llvm::StringRef> candidates) {
  if (auto s = suggestSpelling(word, candidates))
    return (" (did you mean '" + *s + "'?)").str();
  return "";
}
