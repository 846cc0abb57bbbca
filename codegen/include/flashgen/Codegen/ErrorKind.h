//===- ErrorKind.h - what kind of failure an error is ------------*- C++ -*-===//
//
// Errors from code generation up (unsupported variants, spec diagnostics,
// launch arguments, the driver and NVRTC) carry their kind in the error
// value, so the C API's status codes and the Python exceptions follow from
// it rather than from the wording of a message.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CODEGEN_ERRORKIND_H
#define FLASHGEN_CODEGEN_ERRORKIND_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <utility>

namespace flashgen {

enum class ErrorKind {
  Spec,        // the .attn text has errors
  Unsupported, // a valid spec the kernels cannot run
  NoDevice,    // no CUDA driver, or no such GPU
  Argument,    // a launch or API argument is wrong
  Cuda,        // the driver or NVRTC failed
};

class KindedError : public llvm::ErrorInfo<KindedError> {
public:
  static char ID;
  KindedError(ErrorKind kind, std::string message)
      : kind(kind), message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override { return llvm::inconvertibleErrorCode(); }
  ErrorKind kind;
  std::string message;
};
inline char KindedError::ID = 0;

inline llvm::Error makeError(ErrorKind kind, const llvm::Twine &message) {
  return llvm::make_error<KindedError>(kind, message.str());
}

/// The kind and the message of `e`, consumed: the first kinded error's
/// kind (`fallback` if none is kinded), every part's message.
inline std::pair<ErrorKind, std::string> takeKindAndMessage(llvm::Error e,
                                                            ErrorKind fallback) {
  std::optional<ErrorKind> kind;
  std::string message;
  llvm::handleAllErrors(
      std::move(e),
      [&](const KindedError &k) {
        if (!kind)
          kind = k.kind;
        message += (message.empty() ? "" : "\n") + k.message;
      },
      [&](const llvm::ErrorInfoBase &other) {
        message += (message.empty() ? "" : "\n") + other.message();
      });
  return {kind.value_or(fallback), message};
}

} // namespace flashgen

#endif // FLASHGEN_CODEGEN_ERRORKIND_H
