//===- flashgen.cpp - the flashgen command-line driver ----------*- C++ -*-===//
//
//   flashgen check FILE     diagnostics only
//   flashgen emit-ir FILE   print the attn dialect IR
//
// Exit codes: 0 ok, 1 errors in the input, 2 usage errors. Later stages add
// explain, compile, run, tune and bench subcommands.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Frontend/Frontend.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace {
enum ExitCode { kOk = 0, kInputError = 1, kUsageError = 2 };

cl::OptionCategory category("flashgen options");

cl::SubCommand checkCmd("check", "Check a .attn spec and print its diagnostics");
cl::SubCommand emitIRCmd("emit-ir", "Print the attn dialect IR of a .attn spec");

cl::opt<std::string> checkInput(cl::Positional, cl::desc("<spec.attn>"),
                                cl::Required, cl::sub(checkCmd),
                                cl::cat(category));
cl::opt<std::string> emitInput(cl::Positional, cl::desc("<spec.attn>"),
                               cl::Required, cl::sub(emitIRCmd),
                               cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Write the IR to <file> (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::sub(emitIRCmd), cl::cat(category));
cl::opt<bool> debugLoc("mlir-print-debuginfo",
                       cl::desc("Print source locations in the IR"),
                       cl::sub(emitIRCmd), cl::cat(category));

void printVersion(raw_ostream &os) {
  os << "flashgen " << FLASHGEN_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
     << ")\n";
}

/// Loads `path` into `srcMgr` as the main buffer, or reports why not.
bool loadInput(StringRef path, SourceMgr &srcMgr) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf = MemoryBuffer::getFileOrSTDIN(path);
  if (std::error_code ec = buf.getError()) {
    WithColor::error(errs(), "flashgen")
        << "cannot read '" << path << "': " << ec.message() << "\n";
    return false;
  }
  srcMgr.AddNewSourceBuffer(std::move(*buf), SMLoc());
  return true;
}

int runCheck(StringRef path, bool emit) {
  SourceMgr srcMgr;
  if (!loadInput(path, srcMgr))
    return kInputError;
  mlir::DialectRegistry registry;
  flashgen::registerAttnDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  flashgen::FrontendResult result = flashgen::runFrontend(srcMgr, errs(), &ctx);
  if (result.numErrors) {
    errs() << result.numErrors << " error" << (result.numErrors == 1 ? "" : "s")
           << " generated.\n";
    return kInputError;
  }
  if (!emit)
    return kOk;
  std::error_code ec;
  raw_fd_ostream os(outputFile, ec);
  if (ec) {
    WithColor::error(errs(), "flashgen")
        << "cannot write '" << outputFile << "': " << ec.message() << "\n";
    return kInputError;
  }
  mlir::OpPrintingFlags flags;
  if (debugLoc)
    flags.enableDebugInfo();
  result.module->print(os, flags);
  os << "\n";
  return kOk;
}
} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(printVersion);
  std::string errors;
  raw_string_ostream errOS(errors);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "flashgen: an IO-aware attention kernel compiler\n\n"
          "  flashgen check FILE      check a .attn spec, print diagnostics\n"
          "  flashgen emit-ir FILE    print the spec as attn dialect IR\n\n"
          "Exit codes: 0 ok, 1 errors in the input, 2 usage errors.\n",
          &errOS)) {
    errs() << errors << "Run 'flashgen --help' for usage.\n";
    return kUsageError;
  }
  if (checkCmd)
    return runCheck(checkInput, /*emit=*/false);
  if (emitIRCmd)
    return runCheck(emitInput, /*emit=*/true);
  errs() << "flashgen: no command given\nRun 'flashgen --help' for usage.\n";
  return kUsageError;
}
