# -*- Python -*-
# lit configuration for flashgen: tools from the build tree, FileCheck from
# LLVM 22, %examples pointing at the repository's examples/ folder.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "flashgen"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".attn", ".test", ".c"]
config.test_source_root = os.path.join(os.path.dirname(__file__), "lit")
config.test_exec_root = os.path.join(config.flashgen_obj_root, "tests", "lit")
config.excludes = ["Inputs", "lit.local.cfg"]

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.flashgen_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["flashgen", "flashgen-opt", "flashgen-capi-test"], tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

config.substitutions.append(
    ("%examples", os.path.join(config.flashgen_src_root, "examples")))
